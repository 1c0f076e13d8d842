"""Group mentoring: workshops under a group offer, their attendees and attendance."""

from __future__ import annotations

from marshmallow import fields, validate

from api.models import InviteStatus, MentoringFormat, SessionStatus, Topic
from api.schemas.common import (
    AwareDateTime,
    BaseSchema,
    Flag,
    PageQueryArgsSchema,
    Text,
    Timestamp,
)
from api.schemas.mentoring import PersonRefSchema

ID = fields.String(validate=validate.Length(min=1, max=32))


class GroupSessionCreateSchema(BaseSchema):
    """A workshop under your group offer."""

    title = Text(min_length=3, max_length=120, required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    starts_at = AwareDateTime(required=True)
    duration_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=15, max=480)
    )
    capacity = fields.Integer(
        strict=True,
        validate=validate.Range(min=2, max=200),
        metadata={"description": "Seats (default: the offer's group size)."},
    )
    mode = fields.Enum(
        MentoringFormat,
        by_value=True,
        required=True,
        validate=validate.OneOf([MentoringFormat.ONLINE, MentoringFormat.IN_PERSON]),
    )
    place = Text(max_length=300, allow_none=True)
    link = fields.URL(schemes={"https"}, allow_none=True, validate=validate.Length(max=500))
    agenda = Text(max_length=2000, load_default="")
    open_registration = Flag(
        load_default=True,
        metadata={"description": "Any alumna may register while seats are left (else: invited)."},
    )


class MyAttendanceSchema(BaseSchema):
    status = fields.Enum(InviteStatus, by_value=True, required=True)
    attended = fields.Boolean(allow_none=True, required=True)


class GroupSessionSchema(BaseSchema):
    """A workshop. Counted once for the mentor, once per attendee for the women."""

    id = fields.String(required=True, metadata={"example": "mgs_01M84..."})
    offer_id = fields.String(required=True)
    organization_id = fields.String(required=True)
    mentor = fields.Nested(PersonRefSchema, allow_none=True, required=True)
    title = fields.String(required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    starts_at = Timestamp(required=True)
    duration_minutes = fields.Integer(required=True)
    capacity = fields.Integer(required=True)
    seats_taken = fields.Integer(required=True, metadata={"description": "Invited or registered."})
    attended_count = fields.Integer(required=True)
    mode = fields.Enum(MentoringFormat, by_value=True, required=True)
    place = fields.String(allow_none=True, required=True)
    link = fields.String(allow_none=True, required=True)
    agenda = fields.String(required=True)
    open_registration = fields.Boolean(required=True)
    status = fields.Enum(SessionStatus, by_value=True, required=True)
    notes = fields.String(
        allow_none=True, required=True, metadata={"description": "The mentor's and admins' only."}
    )
    reason = fields.String(allow_none=True, required=True)
    held_at = Timestamp(allow_none=True, required=True)
    my_attendance = fields.Nested(MyAttendanceSchema, allow_none=True, required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class GroupSessionQueryArgsSchema(PageQueryArgsSchema):
    view = fields.String(
        load_default="mine",
        validate=validate.OneOf(["mine", "open"]),
        metadata={"description": "`mine` (yours, your university's) or `open` (to register)."},
    )
    status = fields.Enum(SessionStatus, by_value=True)


class InviteSchema(BaseSchema):
    alumna_ids = fields.List(ID, required=True, validate=validate.Length(min=1, max=100))


class AttendanceMarkSchema(BaseSchema):
    alumna_id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    attended = Flag(required=True)


class GroupSessionRecordSchema(BaseSchema):
    """Who came (women not listed who were registered were absent; listed women who had not
    registered came anyway)."""

    attendance = fields.List(
        fields.Nested(AttendanceMarkSchema), required=True, validate=validate.Length(max=200)
    )
    notes = Text(max_length=4000)


class AttendeeSchema(BaseSchema):
    id = fields.String(required=True)
    alumna = fields.Nested(PersonRefSchema, required=True)
    status = fields.Enum(InviteStatus, by_value=True, required=True)
    attended = fields.Boolean(allow_none=True, required=True)
    created_at = Timestamp(required=True)
