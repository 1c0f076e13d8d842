"""The signed-in user's own account."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, current_session_id, db, state
from api.models import User
from api.schemas.accounts import MePatchSchema, MeSchema, PasswordChangeSchema
from api.services import accounts

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The caller's own account.")


@blp.route("", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, MeSchema)
def get_me() -> User:
    """Read your own account."""
    return current_actor().require_user()


@blp.route("", methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(MePatchSchema)
@blp.response(200, MeSchema)
@blp.alt_response(409, response="CONFLICT")
def update_me(changes: dict[str, Any]) -> User:
    """Change your name, email, phone or language (send If-Match)."""
    blp.check_etag(current_actor().require_user(), MeSchema)
    return accounts.update_me(db(), actor=current_actor(), changes=changes)


@blp.route("/password", methods=["POST"])
@blp.no_idempotency
@blp.auth()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def change_password(data: dict[str, Any]) -> None:
    """Change your password; every other session is signed out.

    Wrong current passwords count towards the same lockout as failed sign-ins.
    """
    accounts.change_password(
        db(),
        security=state().security,
        lockout=state().lockout,
        actor=current_actor(),
        keep_session_id=current_session_id(),
        **data,
    )
