"""Training: courses with modules and attachments (``courses``), and what builds on them.

Import the sub-modules themselves (``from api.services.training import courses``); this
package imports nothing, so each part loads only what it needs.
"""
