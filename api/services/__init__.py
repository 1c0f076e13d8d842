"""Business rules, one module per domain. Services flush; the caller commits once.

A service never imports Flask: the HTTP layer, the CLI and tests call the same functions.
"""
