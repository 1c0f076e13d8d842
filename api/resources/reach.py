"""The providers' callbacks: WhatsApp's webhook (verification handshake, replies and statuses)
and Twilio's (SMS replies and statuses). Each request is verified by the provider's signature,
recorded once, and answered at once; the work is a job."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response, request

from api.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.models import Channel, MessagingPreference, Outreach, Role
from api.schemas.reach import (
    MessagingPreferenceListSchema,
    MessagingPreferenceSchema,
    MessagingPreferenceUpdateSchema,
    OutreachCreateSchema,
    OutreachReportQueryArgsSchema,
    OutreachReportSchema,
    OutreachSchema,
    ReferralCreateSchema,
    ReferralSchema,
    TwilioCallbackSchema,
    WhatsAppHandshakeSchema,
    WhatsAppNotificationSchema,
)
from api.services import program
from api.services.messaging import inbound, preferences

log = logging.getLogger("berdaya.messaging")

blp = Blueprint(
    "reach",
    __name__,
    url_prefix="/v1",
    description="Callbacks of the messaging providers (WhatsApp Business Cloud API, Twilio SMS).",
)

WHATSAPP = "/messaging/whatsapp/webhook"
SMS = "/messaging/sms/webhook"


def _require(provider: str) -> None:
    settings = state().settings
    if provider == "whatsapp" and not settings.whatsapp_app_secret:
        raise NotFound()
    if provider == "sms" and not settings.twilio_auth_token:
        raise NotFound()


@blp.route(WHATSAPP, methods=["GET"])
@blp.scope(None)
@blp.doc(parameters=[{"in": "query", "schema": WhatsAppHandshakeSchema}])
@blp.response(200, description="The challenge, as plain text.")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
def verify_whatsapp_webhook() -> Response:
    """WhatsApp's verification handshake: `hub.mode=subscribe` and the configured
    `hub.verify_token` are answered with `hub.challenge`; anything else 403 (404 when WhatsApp
    is not configured)."""
    _require("whatsapp")
    args = request.args
    if (
        args.get("hub.mode") != "subscribe"
        or args.get("hub.verify_token") != state().settings.whatsapp_verify_token
        or not args.get("hub.challenge")
    ):
        log.info("whatsapp verification refused")
        raise Forbidden("verify_token_mismatch")
    return Response(args["hub.challenge"][:200], mimetype="text/plain")


@blp.route(WHATSAPP, methods=["POST"])
@blp.scope(None)
@blp.doc(
    requestBody={
        "required": True,
        "content": {"application/json": {"schema": WhatsAppNotificationSchema}},
    }
)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.response(200, description="Recorded (or ignored: a replay, an unknown number or message).")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def receive_whatsapp_webhook() -> Response:
    """Replies and status callbacks from WhatsApp, signed `X-Hub-Signature-256` (HMAC-SHA256 of
    the raw body with the app secret; 401 `signature_invalid` otherwise). Each message or status
    is recorded once (by its id) and worked on by a job; a replay, a number that is nobody's or
    a message that is not ours is ignored with a log line."""
    _require("whatsapp")
    raw = request.get_data(cache=True)
    header = request.headers.get("X-Hub-Signature-256")
    if not inbound.whatsapp_signature_ok(state().settings.whatsapp_app_secret, raw, header):
        log.info("whatsapp callback refused: signature invalid")
        raise Unauthorized("signature_invalid")
    try:
        ids = inbound.record_whatsapp(db(), json.loads(raw))
    except ValueError as error:
        log.info("whatsapp callback refused: %s", type(error).__name__)
        raise ValidationFailed("notification_malformed") from None
    return Response(json.dumps({"recorded": len(ids)}), mimetype="application/json")


def _form_posted(func: Any) -> Any:
    func.form = True  # Twilio posts a form (application/x-www-form-urlencoded)
    return func


@blp.route(SMS, methods=["POST"])
@_form_posted
@blp.scope(None)
@blp.doc(
    requestBody={
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": TwilioCallbackSchema}},
    }
)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.response(200, description="Recorded (or ignored), as an empty TwiML answer.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def receive_sms_webhook() -> Response:
    """SMS replies and status callbacks from Twilio, signed `X-Twilio-Signature` (401
    `signature_invalid` otherwise); recorded once by `MessageSid` and worked on by a job."""
    _require("sms")
    settings = state().settings
    form = {k: v for k, v in request.form.items()}
    base = settings.public_base_url.rstrip("/")
    url = f"{base}/v1{SMS}" if base else request.base_url
    header = request.headers.get("X-Twilio-Signature")
    if not inbound.twilio_signature_ok(settings.twilio_auth_token, url, form, header):
        log.info("sms callback refused: signature invalid")
        raise Unauthorized("signature_invalid")
    try:
        inbound.record_twilio(db(), form)
    except ValueError as error:
        log.info("sms callback refused: %s", type(error).__name__)
        raise ValidationFailed("notification_malformed") from None
    return Response("<Response/>", mimetype="application/xml")


@blp.route("/follow-up/<string:business_id>/outreach", methods=["POST"])
@blp.auth(Role.ADMIN, Role.FACILITATOR, assisted=False)
@blp.arguments(OutreachCreateSchema)
@blp.response(201, OutreachSchema)
def record_outreach(data: dict[str, Any], business_id: str) -> Outreach:
    """Record what you did about a business on your caseload (called, visited, no_answer,
    moved, closed, referred), with a note and the date you will try next. Facilitators: a
    business of a graduate of your cohort; admins: in your regions (404 otherwise)."""
    return program.record_outreach(db(), actor=current_actor(), business_id=business_id, data=data)


@blp.route("/follow-up/report", methods=["GET"])
@blp.auth(Role.ADMIN, Role.FACILITATOR, assisted=False)
@blp.arguments(OutreachReportQueryArgsSchema, location="query")
@blp.response(200, OutreachReportSchema)
def get_outreach_report(args: dict[str, Any]) -> dict[str, Any]:
    """Your month of outreach: by outcome, businesses reached, reactivated (checked in trading
    afterwards that month) and referrals."""
    return program.outreach_report(db(), actor=current_actor(), month=args["month"])


@blp.route("/me/messaging-preferences", methods=["GET"])
@blp.auth()
@blp.response(200, MessagingPreferenceListSchema)
def list_messaging_preferences() -> dict[str, Any]:
    """Your choice for WhatsApp and SMS: opted in (with the notice version), the events that
    reach you there, opted out; and the notice an opt-in records."""
    return {
        "items": preferences.list_preferences(db(), actor=current_actor()),
        "notice_version": preferences.NOTICE[0],
        "notice": preferences.NOTICE[1],
        "events": list(preferences.EVENTS),
    }


@blp.route("/me/messaging-preferences/<any(whatsapp, sms):channel>", methods=["PUT"])
@blp.auth()
@blp.arguments(MessagingPreferenceUpdateSchema)
@blp.response(200, MessagingPreferenceSchema)
def set_messaging_preference(data: dict[str, Any], channel: str) -> MessagingPreference:
    """Opt in to a channel with the events you choose (the notice version is recorded), or
    opt out (`opted_in: false`). Replying BERHENTI or STOP to a message opts out as well. A
    facilitator may record it for you under your grant (X-On-Behalf-Of; audited)."""
    return preferences.set_preference(
        db(), actor=current_actor(), channel=Channel(channel), data=data
    )


@blp.route("/follow-up/<string:business_id>/referrals", methods=["POST"])
@blp.auth(Role.FACILITATOR, assisted=False)
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema)
@blp.alt_response(409, response="CONFLICT")
def refer_from_caseload(data: dict[str, Any], business_id: str) -> dict[str, Any]:
    """Turn a caseload item into a mentoring request or a support need for her, in one call.
    You act as her (assisted: the event and the audit log name you both) when she asked for
    help ("Butuh bantuan", or support wanted in this or last month's check-in), or under her
    assist grant (403 `no_assist_grant` otherwise, `her_account_suspended` while she is
    suspended); the outreach is recorded as `referred`.
    Facilitators of her cohort only."""
    done, made = program.refer(db(), actor=current_actor(), business_id=business_id, data=data)
    kind = data["kind"]
    return {
        "outreach": done,
        "mentoring_request_id": made.id if kind == "mentoring_request" else None,
        "support_need_id": made.id if kind == "support_need" else None,
    }
