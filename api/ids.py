"""Opaque, prefixed, time-ordered identifiers such as ``usr_01JD3X...``."""

from ulid import ULID


def new_id(prefix: str) -> str:
    """A new id: the type prefix, an underscore and a ULID (26 characters, sortable by time)."""
    return f"{prefix}_{ULID()}" if prefix else str(ULID())
