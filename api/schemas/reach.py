"""Shapes of what reaching her by message records: preferences, replies, check-in questions,
a facilitator's outreach."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from api.models import Channel, OutreachOutcome
from api.schemas.common import BaseSchema, Flag, MonthField, Timestamp
from api.schemas.mentoring import RequestCreateSchema
from api.schemas.sponsorship import NeedCreateSchema
from api.services.messaging.preferences import EVENTS as MESSAGE_EVENTS

EVENTS = tuple(MESSAGE_EVENTS)


class MessagingPreferenceSchema(BaseSchema):
    """Her choice for one channel."""

    channel = fields.Enum(Channel, by_value=True, required=True)
    events = fields.List(fields.String(), required=True)
    notice_version = fields.String(allow_none=True, required=True)
    opted_in_at = Timestamp(allow_none=True, required=True)
    opted_out_at = Timestamp(allow_none=True, required=True)
    unreachable_at = Timestamp(allow_none=True, required=True)


class MessagingPreferenceListSchema(BaseSchema):
    """Her choice for WhatsApp and SMS, and the notice an opt-in records."""

    items = fields.List(fields.Nested(MessagingPreferenceSchema), required=True)
    notice_version = fields.String(required=True)
    notice = fields.String(required=True)
    events = fields.List(fields.String(), required=True)


class MessagingPreferenceUpdateSchema(BaseSchema):
    opted_in = Flag(required=True)
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        validate=validate.Length(max=len(EVENTS)),
        metadata={"description": "The events that reach her here (default: all)."},
    )


class InboundMessageSchema(BaseSchema):
    """A reply or a status callback as recorded."""

    id = fields.String(required=True)
    provider = fields.String(required=True)
    kind = fields.String(required=True)
    channel = fields.Enum(Channel, by_value=True, required=True)
    text = fields.String(required=True)
    received_at = Timestamp(required=True)
    outcome = fields.String(allow_none=True, required=True)


class CheckInPromptSchema(BaseSchema):
    """A month's check-in asked by message, and where it stands."""

    id = fields.String(required=True)
    business_id = fields.String(required=True)
    month = MonthField(required=True)
    stage = fields.String(required=True)
    answer = fields.String(allow_none=True, required=True)
    asked_at = Timestamp(required=True)
    reminded_at = Timestamp(allow_none=True, required=True)
    answered_at = Timestamp(allow_none=True, required=True)


class OutreachSchema(BaseSchema):
    """What a facilitator did about a business on her caseload."""

    id = fields.String(required=True)
    business_id = fields.String(required=True)
    facilitator_id = fields.String(allow_none=True, required=True)
    outcome = fields.Enum(OutreachOutcome, by_value=True, required=True)
    note = fields.String(required=True)
    next_on = fields.Date(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class OutreachCreateSchema(BaseSchema):
    outcome = fields.Enum(OutreachOutcome, by_value=True, required=True)
    note = fields.String(validate=validate.Length(max=2000), load_default="")
    next_on = fields.Date(allow_none=True, load_default=None)


class OutreachReportQueryArgsSchema(BaseSchema):
    month = MonthField(required=True)


class OutreachReportSchema(BaseSchema):
    """A facilitator's month of outreach, for the evaluation of facilitators."""

    facilitator_id = fields.String(required=True)
    month = MonthField(required=True)
    outreach = fields.Integer(required=True)
    by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    businesses_reached = fields.Integer(required=True)
    businesses_reactivated = fields.Integer(
        required=True,
        metadata={"description": "Reached businesses that checked in trading afterwards."},
    )
    referrals = fields.Integer(required=True)


class ReferralCreateSchema(BaseSchema):
    """A mentoring request or a support need made for her, with a note on the outreach."""

    kind = fields.String(
        required=True, validate=validate.OneOf(["mentoring_request", "support_need"])
    )
    mentoring_request = fields.Nested(
        RequestCreateSchema,
        metadata={"description": "With kind mentoring_request (its business is hers)."},
    )
    support_need = fields.Nested(
        NeedCreateSchema, metadata={"description": "With kind support_need."}
    )
    note = fields.String(validate=validate.Length(max=2000), load_default="")


class ReferralSchema(BaseSchema):
    outreach = fields.Nested(OutreachSchema, required=True)
    mentoring_request_id = fields.String(allow_none=True, required=True)
    support_need_id = fields.String(allow_none=True, required=True)


# What the providers post, as their documentation gives it: for the spec (and so for clients
# and Schemathesis) only. The webhooks read the raw body themselves, since the signature is of
# those very bytes, and a provider may add fields at any time.
class _Posted(Schema):
    class Meta:
        unknown = INCLUDE


def _text(size: int = 200) -> fields.String:
    return fields.String(validate=validate.Length(max=size))


def _many(schema: type[Schema]) -> fields.List:
    return fields.List(fields.Nested(schema), validate=validate.Length(max=100))


class WhatsAppErrorSchema(_Posted):
    code = fields.Integer(validate=validate.Range(min=0, max=10**9))
    title = _text()


class WhatsAppStatusSchema(_Posted):
    id = _text()
    status = _text(40)
    timestamp = _text(20)
    recipient_id = _text(20)
    errors = _many(WhatsAppErrorSchema)


class WhatsAppTextSchema(_Posted):
    body = _text(4096)


class WhatsAppButtonSchema(_Posted):
    payload = _text(256)
    text = _text(256)


class WhatsAppReplySchema(_Posted):
    id = _text(256)
    title = _text(256)


class WhatsAppInteractiveSchema(_Posted):
    type = _text(40)
    button_reply = fields.Nested(WhatsAppReplySchema)


class WhatsAppMessageSchema(_Posted):
    id = _text()
    from_ = fields.String(data_key="from", validate=validate.Length(max=20))
    timestamp = _text(20)
    type = _text(40)
    text = fields.Nested(WhatsAppTextSchema)
    button = fields.Nested(WhatsAppButtonSchema)
    interactive = fields.Nested(WhatsAppInteractiveSchema)


class WhatsAppMetadataSchema(_Posted):
    phone_number_id = _text(40)
    display_phone_number = _text(20)


class WhatsAppValueSchema(_Posted):
    messaging_product = _text(40)
    metadata = fields.Nested(WhatsAppMetadataSchema)
    messages = _many(WhatsAppMessageSchema)
    statuses = _many(WhatsAppStatusSchema)


class WhatsAppChangeSchema(_Posted):
    field = _text(40)
    value = fields.Nested(WhatsAppValueSchema)


class WhatsAppEntrySchema(_Posted):
    id = _text(40)
    changes = _many(WhatsAppChangeSchema)


class WhatsAppNotificationSchema(_Posted):
    """A WhatsApp Business Cloud API webhook notification (messages and statuses)."""

    object = fields.String(required=True, validate=validate.OneOf(["whatsapp_business_account"]))
    entry = fields.List(
        fields.Nested(WhatsAppEntrySchema), required=True, validate=validate.Length(max=100)
    )


class TwilioCallbackSchema(_Posted):
    """Twilio's inbound SMS (`MessageSid`, `From`, `Body`) or status callback (`MessageSid`,
    `MessageStatus`, `ErrorCode`), form encoded."""

    MessageSid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    From = _text(32)
    To = _text(32)
    Body = _text(1600)
    MessageStatus = _text(32)
    ErrorCode = _text(16)
    AccountSid = _text(64)


class WhatsAppHandshakeSchema(Schema):
    """WhatsApp's verification request."""

    mode = fields.String(data_key="hub.mode", validate=validate.OneOf(["subscribe"]))
    verify_token = fields.String(data_key="hub.verify_token", validate=validate.Length(max=200))
    challenge = fields.String(data_key="hub.challenge", validate=validate.Length(max=200))
