"""Registration, sign-in (by password or by code), password reset, tokens and sign-out."""

from __future__ import annotations

from typing import Any

from flask import request

from api.http.blueprint import Blueprint
from api.http.context import answer_no_sooner_than, current_session_id, db, state
from api.http.limits import auth_limit
from api.models import Role, User
from api.schemas.accounts import (
    CodeSentSchema,
    CodeSignInRequestSchema,
    CodeSignInSchema,
    LoginSchema,
    MeSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    RefreshSchema,
    RegisterConfirmSchema,
    RegisterSchema,
    TokenSchema,
)
from api.services import auth, identity
from api.services.auth import TokenPair

blp = Blueprint(
    "auth", __name__, url_prefix="/v1/auth", description="Accounts, sign-in and tokens."
)


# Answers that must not tell whether an account exists take at least this long, so that the
# work done only for an existing account (a code and a message written) does not show.
UNIFORM_SECONDS = 0.15


def _user_agent() -> str:
    return request.user_agent.string.replace("\x00", "")


@blp.route("/register", methods=["POST"])
@auth_limit()
@blp.arguments(RegisterSchema)
@blp.response(202, CodeSentSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def register(data: dict[str, Any]) -> identity.CodeSent:
    """Start an account (alumna, buyer, mentor or partner): a code goes to the phone (or email).

    The account is made when the code is entered (POST /v1/auth/register/confirm). The answer
    is the same when the phone or email already has an account: its owner is told by message
    instead, and no code is sent.
    """
    answer_no_sooner_than(UNIFORM_SECONDS)
    return identity.start_registration(
        db(),
        state().tools,
        address=request.remote_addr,
        **{**data, "role": Role(data["role"])},
    )


@blp.route("/register/confirm", methods=["POST"])
@auth_limit()
@blp.arguments(RegisterConfirmSchema)
@blp.response(201, MeSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def confirm_registration(data: dict[str, Any]) -> User:
    """Enter the registration code: the account is made with its phone (or email) verified."""
    return identity.confirm_registration(db(), state().tools, address=request.remote_addr, **data)


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
        db(), security=s.security, lockout=s.lockout, user_agent=_user_agent(), **data
    )


@blp.route("/sign-in-code", methods=["POST"])
@auth_limit()
@blp.no_idempotency
@blp.arguments(CodeSignInRequestSchema)
@blp.response(202, CodeSentSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def request_sign_in_code(data: dict[str, Any]) -> identity.CodeSent:
    """Ask for a sign-in code, for an account that signs in by code (same answer for any)."""
    answer_no_sooner_than(UNIFORM_SECONDS)
    return identity.start_code_sign_in(
        db(), state().tools, address=request.remote_addr, phone=data["phone"]
    )


@blp.route("/sign-in-code/confirm", methods=["POST"])
@auth_limit()
@blp.no_idempotency
@blp.arguments(CodeSignInSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def sign_in_with_code(data: dict[str, Any]) -> TokenPair:
    """Sign in with the phone and the code sent to it."""
    return identity.sign_in_with_code(
        db(), state().tools, address=request.remote_addr, user_agent=_user_agent(), **data
    )


@blp.route("/password-reset", methods=["POST"])
@auth_limit()
@blp.no_idempotency
@blp.arguments(PasswordResetRequestSchema)
@blp.response(202, CodeSentSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def request_password_reset(data: dict[str, Any]) -> identity.CodeSent:
    """Ask for a reset code to the account's verified phone or email (same answer for any)."""
    answer_no_sooner_than(UNIFORM_SECONDS)
    return identity.start_password_reset(db(), state().tools, address=request.remote_addr, **data)


@blp.route("/password-reset/confirm", methods=["POST"])
@auth_limit()
@blp.no_idempotency
@blp.arguments(PasswordResetSchema)
@blp.response(204)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def reset_password(data: dict[str, Any]) -> None:
    """Enter the reset code and a new password; every session of the account is signed out."""
    identity.confirm_password_reset(db(), state().tools, address=request.remote_addr, **data)


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
