"""Training events, registrations, attendance and certificates."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.models import (
    CertificateStatus,
    MentoringFormat,
    Organization,
    RegistrationStatus,
    Topic,
    TrainingEventStatus,
)
from api.schemas.common import (
    AwareDateTime,
    BaseSchema,
    Date,
    Flag,
    PageQueryArgsSchema,
    PhoneNumber,
    Text,
    Timestamp,
    sort_field,
)
from api.schemas.references import Known, Place, RegionFilter
from api.services.regions import CODE_PATTERN
from api.services.training.certificates import CERTIFICATE_SORTS
from api.services.training.events import EVENT_SORTS
from api.services.training.registrations import REGISTRATION_SORTS

ID = fields.String(validate=validate.Length(max=32))
MAX_TRAINERS = 10
MAX_ATTENDANCE = 200


class TrainingEventWriteSchema(BaseSchema):
    course_id = fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "The course delivered, if any (a standalone event: null)."},
    )
    title = Text(min_length=3, max_length=120)
    description = Text(max_length=2000)
    topic = fields.Enum(Topic, by_value=True, metadata={"description": "A mentoring topic."})
    format = fields.Enum(MentoringFormat, by_value=True)
    place = Text(max_length=300, allow_none=True, metadata={"description": "In person: where."})
    link = fields.URL(
        schemes={"https"},
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "Online: the meeting link."},
    )
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    hours = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "Hours of training the certificate states."},
    )
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    registration_opens_at = AwareDateTime()
    registration_closes_at = AwareDateTime()
    region_codes = fields.List(
        fields.String(validate=validate.Regexp(CODE_PATTERN, error="Not a region code.")),
        validate=validate.Length(max=50),
        metadata={"description": "Regions served, with everything below them; none: everywhere."},
    )
    trainer_ids = fields.List(
        ID,
        validate=validate.Length(max=MAX_TRAINERS),
        metadata={"description": "Facilitators or mentors who deliver it and take attendance."},
    )


class TrainingEventCreateSchema(TrainingEventWriteSchema):
    """A new event: published at once."""

    organization_id = Known(
        Organization,
        error="Unknown organisation.",
        metadata={"description": "Your verified organisation (default: your first one)."},
    )
    title = Text(min_length=3, max_length=120, required=True)
    description = Text(max_length=2000, load_default="")
    topic = fields.Enum(Topic, by_value=True, required=True)
    format = fields.Enum(MentoringFormat, by_value=True, required=True)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    hours = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=200))
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1000))
    registration_opens_at = AwareDateTime(required=True)
    registration_closes_at = AwareDateTime(required=True)


class TrainingEventPatchSchema(TrainingEventWriteSchema):
    """Changes to a scheduled event (send If-Match)."""

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class MyRegistrationSchema(BaseSchema):
    id = fields.String(required=True)
    status = fields.Enum(RegistrationStatus, by_value=True, required=True)


class TrainingEventSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "tev_01M84..."})
    course_id = fields.String(allow_none=True, required=True)
    organization_id = fields.String(allow_none=True, required=True)
    organizer_id = fields.String(allow_none=True, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    format = fields.Enum(MentoringFormat, by_value=True, required=True)
    place = fields.String(allow_none=True, required=True)
    link = fields.String(allow_none=True, required=True)
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)
    hours = fields.Integer(required=True)
    capacity = fields.Integer(required=True)
    seats_taken = fields.Integer(required=True)
    seats_left = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    registration_opens_at = Timestamp(required=True)
    registration_closes_at = Timestamp(required=True)
    regions = fields.List(Place(), attribute="region_codes", required=True)
    trainer_ids = fields.List(fields.String(), required=True)
    status = fields.Enum(TrainingEventStatus, by_value=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    my_registration = fields.Nested(
        MyRegistrationSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The caller's registration, if any."},
    )
    allowed_actions = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class TrainingEventQueryArgsSchema(PageQueryArgsSchema):
    topic = fields.Enum(Topic, by_value=True)
    region = RegionFilter(metadata={"description": "Events serving this region (any level)."})
    organization = Known(Organization, error="Unknown organisation.")
    course = fields.String(validate=validate.Length(max=32))
    status = fields.Enum(TrainingEventStatus, by_value=True)
    upcoming = fields.Boolean(
        load_default=False,
        metadata={"description": "Only scheduled events that have not ended."},
    )
    sort = sort_field(EVENT_SORTS, "starts_at")


class TrainingRegistrationRecordSchema(BaseSchema):
    """A registration as stored (her export)."""

    id = fields.String(required=True, metadata={"example": "trg_01M84..."})
    event_id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.Enum(RegistrationStatus, by_value=True, required=True)
    walk_in = fields.Boolean(required=True)
    attended = fields.Boolean(allow_none=True, required=True)
    promoted_at = Timestamp(allow_none=True, required=True)
    cancelled_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class TrainingRegistrationSchema(TrainingRegistrationRecordSchema):
    name = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Her name (to call the roll); null for a walk-in, but to her."},
    )
    position = fields.Integer(
        allow_none=True, required=True, metadata={"description": "Her place on the waitlist."}
    )
    allowed_actions = fields.List(fields.String(), required=True)


class RegistrationQueryArgsSchema(PageQueryArgsSchema):
    status = fields.Enum(RegistrationStatus, by_value=True)
    sort = sort_field(REGISTRATION_SORTS, "created_at")


class AttendanceEntrySchema(BaseSchema):
    """One woman, by her user id or her phone number (one of the two)."""

    user_id = ID
    phone = PhoneNumber()
    attended = Flag(required=True)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if bool(data.get("user_id")) == bool(data.get("phone")):
            raise ValidationError("Give user_id or phone.", "_schema")


class AttendanceSchema(BaseSchema):
    entries = fields.List(
        fields.Nested(AttendanceEntrySchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ATTENDANCE),
    )


class AttendanceRecordedSchema(BaseSchema):
    """One entry recorded. A walk-in found by her phone is answered without her name, user id
    or registration id, and with her phone masked: the roll is no phone directory."""

    entry = fields.Integer(required=True, metadata={"description": "The entry's index."})
    registration_id = fields.String(allow_none=True, required=True)
    user_id = fields.String(allow_none=True, required=True)
    name = fields.String(allow_none=True, required=True)
    phone = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "A walk-in's phone, masked.", "example": "0812****4301"},
    )
    walk_in = fields.Boolean(required=True)
    attended = fields.Boolean(allow_none=True, required=True)
    status = fields.Enum(RegistrationStatus, by_value=True, required=True)


class AttendanceResultSchema(BaseSchema):
    items = fields.List(fields.Nested(AttendanceRecordedSchema), required=True)


class TrainingCertificateSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "tce_01M84..."})
    event_id = fields.String(required=True)
    user_id = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "The verification code."})
    holder_name = fields.String(required=True)
    title = fields.String(required=True)
    issuer_name = fields.String(required=True)
    hours = fields.Integer(required=True)
    held_on = Date(required=True)
    status = fields.Enum(CertificateStatus, by_value=True, required=True)
    revoked_at = Timestamp(allow_none=True, required=True)
    revoked_reason = fields.String(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class CertificateQueryArgsSchema(PageQueryArgsSchema):
    sort = sort_field(CERTIFICATE_SORTS, "-created_at")


class CertificateVerificationSchema(BaseSchema):
    """What a certificate states, for anyone who has its code; nothing else. A withdrawn one
    (its holder erased her data) states nothing but that."""

    code = fields.String(required=True)
    status = fields.Enum(CertificateStatus, by_value=True, required=True)
    valid = fields.Boolean(required=True)
    holder_name = fields.String(allow_none=True, required=True)
    title = fields.String(allow_none=True, required=True)
    hours = fields.Integer(allow_none=True, required=True)
    held_on = Date(allow_none=True, required=True)
    issuer_name = fields.String(allow_none=True, required=True)
    revoked_at = Timestamp(allow_none=True, required=True)
