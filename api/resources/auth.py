"""Registration, sign-in, token refresh and sign-out."""

from __future__ import annotations

from typing import Any

from flask import request

from api.http.blueprint import Blueprint
from api.http.context import current_session_id, db, state
from api.http.limits import auth_limit
from api.models import Role, User
from api.schemas.accounts import LoginSchema, MeSchema, RefreshSchema, RegisterSchema, TokenSchema
from api.services import accounts, auth
from api.services.auth import TokenPair

blp = Blueprint(
    "auth", __name__, url_prefix="/v1/auth", description="Accounts, sign-in and tokens."
)


@blp.route("/register", methods=["POST"])
@auth_limit()
@blp.arguments(RegisterSchema)
@blp.response(201, MeSchema)
@blp.alt_response(409, response="CONFLICT")
def register(data: dict[str, Any]) -> User:
    """Create an account (alumna, buyer, mentor or partner); then sign in."""
    return accounts.register(
        db(), security=state().security, **{**data, "role": Role(data["role"])}
    )


@blp.route("/login", methods=["POST"])
@auth_limit()
@blp.no_idempotency
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(data: dict[str, Any]) -> TokenPair:
    """Sign in with email or phone and password; the sixth failure in 15 minutes is a 429."""
    s = state()
    return auth.login(
        db(),
        security=s.security,
        lockout=s.lockout,
        user_agent=request.user_agent.string.replace("\x00", ""),
        **data,
    )


@blp.route("/refresh", methods=["POST"])
@auth_limit()
@blp.no_idempotency
@blp.arguments(RefreshSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def refresh_tokens(data: dict[str, Any]) -> TokenPair:
    """Exchange a refresh token for new tokens; a reused one ends the whole session."""
    return auth.refresh(db(), security=state().security, refresh_token=data["refresh_token"])


@blp.route("/logout", methods=["POST"])
@blp.no_idempotency
@blp.auth()
@blp.response(204)
def logout() -> None:
    """End this session: its refresh token and access tokens stop working."""
    session_id = current_session_id()
    assert session_id is not None
    auth.logout(db(), session_id=session_id)
