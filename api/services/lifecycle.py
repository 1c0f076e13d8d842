"""State machines of lifecycles: which action moves which status where.

Every lifecycle (businesses now; orders, mentoring requests, sponsorships later) declares its
table once; an action that its current status does not allow is a 409 that names the actions
that are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NoReturn, TypeVar

from api.errors import Conflict

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Lifecycle(Generic[S]):
    """Actions, each with the statuses it may start from and the status it leads to."""

    actions: Mapping[str, tuple[frozenset[S], S]]

    def allowed(self, status: S) -> list[str]:
        """The actions possible from a status, in declaration order."""
        return [name for name, (sources, _) in self.actions.items() if status in sources]

    def apply(self, obj: Any, action: str, *, attribute: str = "status") -> S:
        """Move ``obj`` along ``action`` or raise 409 naming what is allowed instead."""
        sources, target = self.actions[action]
        current = getattr(obj, attribute)
        if current not in sources:
            refuse(action, current, self.allowed(current))
        setattr(obj, attribute, target)
        return target


def refuse(action: str, status: StrEnum, allowed: Sequence[str] = ()) -> NoReturn:
    """The 409 of an action the current status does not allow, naming what is allowed."""
    raise Conflict(
        "invalid_transition",
        params={"action": action, "status": status.value, "allowed": ", ".join(allowed) or "none"},
        extra={"status_now": status.value, "allowed_actions": list(allowed)},
    )
