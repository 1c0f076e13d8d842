"""Who may do what to which object: the single place ownership rules are enforced.

Rules are registered per model class and action by ``api.services.policies``. Services call
``authorize``; a caller who may not even see the object gets NotFound (never a hint that it
exists), one who may see it but not act gets Forbidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from api.errors import Forbidden, NotFound
from api.models import ApiKey, Role, User

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Whoever makes the request: a signed-in user, or nobody."""

    user: User | None = None
    # For admins and facilitators: the regions they work in (None: everywhere).
    regions: tuple[str, ...] | None = None
    # A facilitator acting for this user under her grant (X-On-Behalf-Of).
    assisted_by: User | None = None
    # An app's key: it acts as the member who made it, within the key's scopes.
    api_key: ApiKey | None = None

    def has_scope(self, scope: str) -> bool:
        """Keys hold scopes; a signed-in person may do whatever her role allows."""
        return self.api_key is None or scope in self.api_key.scopes

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user else None

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.FACILITATOR)

    def covers(self, region_code: str | None) -> bool:
        """Whether this admin or facilitator works where ``region_code`` lies."""
        if not self.is_staff:
            return False
        if self.regions is None:
            return True
        if not region_code:
            return False
        return any(region_code == r or region_code.startswith(r + ".") for r in self.regions)

    def admin_over(self, region_code: str | None) -> bool:
        """An admin whose scope holds this region (out of scope looks like not found)."""
        return self.is_admin and self.covers(region_code)

    def require_user(self) -> User:
        """The signed-in user; services that need one call this."""
        if self.user is None:
            raise Forbidden()
        return self.user


ANONYMOUS = Actor()

Rule = Callable[[Actor, Any], bool]
_RULES: dict[tuple[type, str], Rule] = {}


def rule(model: type, *actions: str) -> Callable[[Rule], Rule]:
    """Register the rule deciding ``actions`` on instances of ``model``."""

    def register(func: Rule) -> Rule:
        for action in actions:
            key = (model, action)
            if key in _RULES:
                raise RuntimeError(f"two rules for {model.__name__}.{action}")
            _RULES[key] = func
        return func

    return register


def can(actor: Actor, action: str, obj: Any) -> bool:
    """Whether the actor may do the action; an action without a rule is refused."""
    found = _RULES.get((type(obj), action))
    return bool(found and found(actor, obj))


def authorize(actor: Actor, action: str, obj: T) -> T:
    """Return obj if the actor may do the action; raise NotFound or Forbidden otherwise."""
    if not can(actor, "view", obj):
        raise NotFound()
    if action != "view" and not can(actor, action, obj):
        raise Forbidden()
    return obj


def registered_rules() -> dict[tuple[type, str], Rule]:
    """All rules (for tests that check every model has its rules)."""
    return dict(_RULES)
