"""What a caller may see of a record, as its service decides it: the record, what she may do
with it now (``allowed_actions``), and any part shown only to some (e.g. a contact). The
response schemas read it like the record itself; resources do not decide who sees what."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Shown(Generic[T]):
    """``item`` as one caller sees it: its attributes, and ``allowed_actions`` and ``extra``
    (attributes the service sets for this caller, e.g. ``None`` where she may not see)."""

    __slots__ = ("_extra", "allowed_actions", "item")

    def __init__(self, item: T, *, allowed_actions: list[str], **extra: Any) -> None:
        self.item = item
        self.allowed_actions = allowed_actions
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        extra = object.__getattribute__(self, "_extra")
        if name in extra:
            return extra[name]
        return getattr(object.__getattribute__(self, "item"), name)
