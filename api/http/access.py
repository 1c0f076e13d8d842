"""Auth and scopes: who may call an operation (a signed-in user, with a role) and which scope
an API key needs for it. ``Blueprint.auth`` and ``Blueprint.scope`` declare them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request

from api.errors import Forbidden, Unauthorized
from api.http.context import API_KEY_HEADER, current_actor
from api.models import Role
from api.services.authz import Actor


def require_user(
    *roles: Role, optional: bool = False, assisted: bool = True
) -> Callable[[Any], Any]:
    """Wrap a view: a signed-in user, with one of ``roles`` when given (401, then 403).
    ``assisted=False``: not for a facilitator acting for someone (X-On-Behalf-Of)."""
    names = [r.value for r in roles]

    def decorator(func: Any) -> Any:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = authorized(optional, names)
            if not assisted and actor.assisted_by is not None:
                raise Forbidden("not_while_assisting")
            return func(*args, **kwargs)

        return wrapper

    return decorator


def require_scope(view: Callable[..., Any], scope: str | None) -> Callable[..., Any]:
    """An API key may call the operation only if it holds its scope."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if API_KEY_HEADER in request.headers:
            actor = current_actor()
            if scope is None or not actor.has_scope(scope):
                raise Forbidden(
                    "insufficient_scope", params={"scope": scope or "not open to API keys"}
                )
        return view(*args, **kwargs)

    return wrapper


def authorized(optional: bool, roles: list[str]) -> Actor:
    """The caller, if she may call an operation for ``roles`` (any when empty): 401, then 403."""
    actor = current_actor()
    if not optional and not actor.is_authenticated:
        raise Unauthorized()
    if roles and actor.role not in roles:
        raise Forbidden("role_not_allowed", params={"roles": ", ".join(roles)})
    return actor
