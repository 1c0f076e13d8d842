"""The signed-in user's own account."""

from __future__ import annotations

from typing import Any

from flask import request

from api.http.blueprint import Blueprint
from api.http.context import current_actor, current_session_id, db, state
from api.http.limits import limit
from api.http.pages import page_response
from api.models import AssistGrant, AuditEntry, Consent, Membership, Notification, Role, User
from api.pagination import Page
from api.schemas.accounts import (
    CodeSentSchema,
    EmailVerificationRequestSchema,
    MePatchSchema,
    MeSchema,
    PasswordChangeSchema,
    PhoneVerificationRequestSchema,
    VerificationCodeSchema,
)
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.notifications import MarkedSchema, NotificationQueryArgsSchema, NotificationSchema
from api.schemas.organizations import MyMembershipSchema
from api.schemas.privacy import (
    ConsentGiveSchema,
    ConsentRecordListSchema,
    ConsentRecordSchema,
    PersonalDataExportSchema,
)
from api.schemas.program import (
    AssistGrantCreateSchema,
    AssistGrantListSchema,
    AssistGrantSchema,
    AuditEntrySchema,
    AuditQueryArgsSchema,
)
from api.services import (
    accounts,
    assist,
    audit,
    consents,
    events,
    identity,
    mentoring,
    orders,
    organizations,
    privacy,
    sponsorship,
)

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
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def update_me(changes: dict[str, Any]) -> User:
    """Change your name, email, phone, language or sign-in by code (send If-Match).

    A new phone number or email is stored once you prove it is yours: a code is sent to it
    (enter it at POST /v1/me/phone-verification/confirm or .../email-verification/confirm);
    until then `phone` and `email` stay as they were.
    """
    blp.check_etag(current_actor().require_user(), MeSchema)
    return accounts.update_me(
        db(),
        tools=state().tools,
        actor=current_actor(),
        address=request.remote_addr,
        changes=changes,
    )


@blp.route("/phone-verification", methods=["POST"])
@limit("rate_limit_login")
@blp.no_idempotency
@blp.auth(assisted=False)
@blp.arguments(PhoneVerificationRequestSchema, required=False)
@blp.response(202, CodeSentSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def request_phone_verification(data: dict[str, Any]) -> identity.CodeSent:
    """Send a code to a new number, or to your unverified one, to prove it is yours."""
    return identity.start_phone_verification(
        db(),
        state().tools,
        actor=current_actor(),
        address=request.remote_addr,
        phone=data.get("phone"),
    )


@blp.route("/phone-verification/confirm", methods=["POST"])
@limit("rate_limit_login")
@blp.no_idempotency
@blp.auth(assisted=False)
@blp.arguments(VerificationCodeSchema)
@blp.response(200, MeSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def confirm_phone_verification(data: dict[str, Any]) -> User:
    """Enter the code: the number becomes your phone, verified."""
    return identity.confirm_phone_verification(
        db(),
        state().tools,
        actor=current_actor(),
        address=request.remote_addr,
        code=data["code"],
    )


@blp.route("/email-verification", methods=["POST"])
@limit("rate_limit_login")
@blp.no_idempotency
@blp.auth(assisted=False)
@blp.arguments(EmailVerificationRequestSchema, required=False)
@blp.response(202, CodeSentSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def request_email_verification(data: dict[str, Any]) -> identity.CodeSent:
    """Send a code to a new email address, or to your unverified one, to prove it is yours
    (then password resets can go there)."""
    return identity.start_email_verification(
        db(),
        state().tools,
        actor=current_actor(),
        address=request.remote_addr,
        email=data.get("email"),
    )


@blp.route("/email-verification/confirm", methods=["POST"])
@limit("rate_limit_login")
@blp.no_idempotency
@blp.auth(assisted=False)
@blp.arguments(VerificationCodeSchema)
@blp.response(200, MeSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def confirm_email_verification(data: dict[str, Any]) -> User:
    """Enter the code sent to an email address: it becomes your email, verified."""
    return identity.confirm_email_verification(
        db(), state().tools, actor=current_actor(), address=request.remote_addr, code=data["code"]
    )


@blp.route("", methods=["DELETE"])
@blp.auth(assisted=False)
@blp.etag
@blp.response(204)
@blp.alt_response(409, response="CONFLICT")
def erase_me() -> None:
    """Erase your account and your personal data (send If-Match).

    Your name, email, phone, addresses, photos, messages and notes are erased and you are signed
    out everywhere. What stays is pseudonymous: your account id with the name "Pengguna
    terhapus", your businesses closed under the name "Usaha terhapus" with their figures
    (check-ins, sales, ratings) so that the program's survival statistics still count them,
    and orders with their amounts, because the other side keeps its record of them. Refused
    (409 `erasure_blocked`, listing them) while an order, a sponsorship or a mentoring you give
    is under way. The audit log records that it happened. It cannot be undone.
    """
    blp.check_etag(current_actor().require_user(), MeSchema)
    privacy.erase(db(), actor=current_actor(), storage=state().storage)


@blp.route("/export", methods=["GET"])
@blp.auth(assisted=False)
@blp.response(200, PersonalDataExportSchema)
def export_my_data() -> dict[str, Any]:
    """Everything Berdaya holds about you, in one JSON document.

    Your account, sign-ins, consents, memberships, businesses with their products, photos,
    check-ins, sales, needs, sponsorships and the consents you gave sponsors; orders you placed
    and received, reviews and reports, contact requests made and received, mentoring, graduate
    claims, assist grants, notifications, the API keys and webhooks you made, and the audit
    entries about you or by you. Secrets (password hash, tokens, keys) are never included.
    """
    actor = current_actor()
    copy = privacy.export(db(), actor=actor)
    # Shown as their own endpoints show them: with the actions she may take now.
    for key in ("orders_placed", "orders_received"):
        copy[key] = [orders.shown(actor, order) for order in copy[key]]
    for key in ("mentoring_requests", "mentoring_requests_taken"):
        copy[key] = [mentoring.shown(actor, item) for item in copy[key]]
    copy["sponsorships"] = [sponsorship.shown(db(), actor, item) for item in copy["sponsorships"]]
    return copy


@blp.route("/consents", methods=["GET"])
@blp.auth(assisted=False)
@blp.response(200, ConsentRecordListSchema)
def list_my_consents() -> dict[str, Any]:
    """Your consents, given and withdrawn, newest first (sponsors' access to your figures is
    under each business's consents)."""
    return {"items": consents.list_consents(db(), actor=current_actor())}


@blp.route("/consents", methods=["POST"])
@blp.auth(assisted=False)
@blp.arguments(ConsentGiveSchema)
@blp.response(201, ConsentRecordSchema)
@blp.alt_response(409, response="CONFLICT")
def give_consent(data: dict[str, Any]) -> Consent:
    """Consent to one purpose. `contact_reveal`: your businesses' WhatsApp number is shown to
    signed-in users who ask (each reveal is recorded as a lead you can see)."""
    return consents.give_consent(db(), actor=current_actor(), **data)


@blp.route("/consents/<string:consent_id>", methods=["DELETE"])
@blp.auth(assisted=False)
@blp.response(204)
def withdraw_consent(consent_id: str) -> None:
    """Withdraw a consent; it takes effect at once, and the record keeps when."""
    consents.withdraw_consent(db(), actor=current_actor(), consent_id=consent_id)


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
