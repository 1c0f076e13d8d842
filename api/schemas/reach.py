"""Shapes of what reaching her by message records: preferences, replies, check-in questions,
a facilitator's outreach."""

from __future__ import annotations

from marshmallow import fields, validate

from api.models import Channel, OutreachOutcome
from api.schemas.common import BaseSchema, MonthField, Timestamp
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
    opted_in = fields.Boolean(required=True)
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
    month = fields.Date(format="%Y-%m", required=True)
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
    month = fields.Date(format="%Y-%m", required=True)
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
