"""Account recovery with a facilitator, and the development outbox of messages."""

from __future__ import annotations

from typing import Any

from flask import request

from api.errors import NotFound
from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.http.limits import limit
from api.http.pages import page_response
from api.models import Message, Role
from api.pagination import Page
from api.schemas.accounts import (
    OutboxMessageSchema,
    OutboxQueryArgsSchema,
    RecoveryCreateSchema,
    RecoverySchema,
)
from api.schemas.common import page_of
from api.services import identity, messaging

blp = Blueprint(
    "identity",
    __name__,
    url_prefix="/v1",
    description="Account recovery with a facilitator; the development outbox of messages.",
)


@blp.route("/account-recoveries", methods=["POST"])
@limit("rate_limit_login")
@blp.auth(Role.FACILITATOR, assisted=False)
@blp.arguments(RecoveryCreateSchema)
@blp.response(201, RecoverySchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def start_account_recovery(data: dict[str, Any]) -> identity.Recovery:
    """Recover the account of a woman you are with (a graduate of a cohort you facilitate).

    With `phone` (her new number) a reset code goes there, and entering it also makes it her
    verified phone; without, the answer holds a one-time reset code to give her in person. She
    sets a new password with it at POST /v1/auth/password-reset/confirm, which signs her out
    everywhere. She is told on every verified channel; the audit log names you both. Refused
    (403 `recovery_not_for_staff`) for facilitator and admin accounts, and (403
    `her_account_suspended`) while the moderators suspend hers.
    """
    return identity.start_recovery(
        db(),
        state().tools,
        actor=current_actor(),
        address=request.remote_addr,
        user_id=data["user_id"],
        phone=data.get("phone"),
    )


@blp.route("/dev/outbox", methods=["GET"])
@blp.scope(None)
@blp.arguments(OutboxQueryArgsSchema, location="query")
@blp.response(200, page_of(OutboxMessageSchema))
def list_outbox_messages(args: dict[str, Any]) -> tuple[Page[Message], dict[str, str]]:
    """The messages the embedded provider stored, newest first (development only: 404 else).

    Codes are shown here only in development, so the whole flow works offline.
    """
    if not state().settings.is_development:
        raise NotFound()
    return page_response(messaging.list_outbox(db(), **args))
