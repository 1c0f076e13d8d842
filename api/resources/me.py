"""The signed-in user's own account."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, current_session_id, db, state
from api.http.pagination import page_response
from api.models import AssistGrant, AuditEntry, Membership, Notification, Role, User
from api.pagination import Page
from api.schemas.accounts import MePatchSchema, MeSchema, PasswordChangeSchema
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.notifications import MarkedSchema, NotificationQueryArgsSchema, NotificationSchema
from api.schemas.organizations import MyMembershipSchema
from api.schemas.program import (
    AssistGrantCreateSchema,
    AssistGrantListSchema,
    AssistGrantSchema,
    AuditEntrySchema,
    AuditQueryArgsSchema,
)
from api.services import accounts, assist, audit, events, organizations

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The caller's own account.")


@blp.route("", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, MeSchema)
def get_me() -> User:
    """Read your own account."""
    return current_actor().require_user()


@blp.route("", methods=["PATCH"])
@blp.auth(assisted=False)
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
@blp.auth(assisted=False)
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


@blp.route("/notifications", methods=["GET"])
@blp.auth()
@blp.arguments(NotificationQueryArgsSchema, location="query")
@blp.response(200, page_of(NotificationSchema))
def list_my_notifications(args: dict[str, Any]) -> tuple[Page[Notification], dict[str, str]]:
    """What happened to your orders, reviews and more, newest first."""
    return page_response(events.list_notifications(db(), actor=current_actor(), **args))


@blp.route("/notifications/<string:notification_id>/read", methods=["POST"])
@blp.auth()
@blp.response(200, NotificationSchema)
def mark_notification_read(notification_id: str) -> Notification:
    """Mark a notification read."""
    return events.mark_read(db(), actor=current_actor(), notification_id=notification_id)


@blp.route("/notifications/read-all", methods=["POST"])
@blp.auth()
@blp.response(200, MarkedSchema)
def mark_all_notifications_read() -> dict[str, int]:
    """Mark all your notifications read."""
    return {"marked": events.mark_all_read(db(), actor=current_actor())}


@blp.route("/assist-grants", methods=["POST"])
@blp.auth(Role.ALUMNA, assisted=False)
@blp.arguments(AssistGrantCreateSchema)
@blp.response(201, AssistGrantSchema)
def create_assist_grant(data: dict[str, Any]) -> AssistGrant:
    """Let a facilitator act for you (X-On-Behalf-Of) for some days; revoke it any time."""
    return assist.grant(db(), actor=current_actor(), **data)


@blp.route("/assist-grants", methods=["GET"])
@blp.auth(assisted=False)
@blp.response(200, AssistGrantListSchema)
def list_assist_grants() -> dict[str, Any]:
    """Grants you gave (alumna) or hold (facilitator)."""
    return {"items": assist.list_grants(db(), actor=current_actor())}


@blp.route("/assist-grants/<string:grant_id>", methods=["DELETE"])
@blp.auth(assisted=False)
@blp.response(204)
def revoke_assist_grant(grant_id: str) -> None:
    """Revoke a grant; it takes effect at once."""
    assist.revoke(db(), actor=current_actor(), grant_id=grant_id)


@blp.route("/audit", methods=["GET"])
@blp.auth(Role.ADMIN)
@blp.arguments(AuditQueryArgsSchema, location="query")
@blp.response(200, page_of(AuditEntrySchema))
def list_audit_log(args: dict[str, Any]) -> tuple[Page[AuditEntry], dict[str, str]]:
    """The append-only log of staff actions and actions done for someone (admins)."""
    return page_response(audit.list_entries(db(), actor=current_actor(), **args))


@blp.route("/organizations", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(MyMembershipSchema))
def list_my_organizations(args: dict[str, Any]) -> tuple[Page[Membership], dict[str, str]]:
    """The organisations you belong to, with your role in each."""
    return page_response(organizations.my_memberships(db(), actor=current_actor(), **args))
