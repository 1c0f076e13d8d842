"""Mentoring: topics, offers, requests, sessions, feedback, the university's record."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.models import (
    Attendance,
    MentoringFormat,
    OfferKind,
    OfferStatus,
    Organization,
    RequestStatus,
    SessionStatus,
    Topic,
)
from api.schemas.common import (
    AwareDateTime,
    BaseSchema,
    Date,
    PageQueryArgsSchema,
    RatingSchema,
    Text,
    Timestamp,
    UpdatedSinceQueryArgsSchema,
    href,
    report_format,
    sort_field,
    value_of,
)
from api.schemas.references import Known, Place, RegionFilter
from api.services.mentoring import OFFER_SORTS, REQUEST_SORTS
from api.services.regions import CODE_PATTERN

LANGUAGES = ("id", "en", "su", "jv")  # Indonesian, English, Sundanese, Javanese
REGION_CODE = fields.String(validate=validate.Regexp(CODE_PATTERN, error="Not a region code."))


class TopicSchema(BaseSchema):
    code = fields.Enum(Topic, by_value=True, required=True)
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)


class TopicListSchema(BaseSchema):
    items = fields.List(fields.Nested(TopicSchema), required=True)


class OfferWriteSchema(BaseSchema):
    title = Text(min_length=3, max_length=120)
    description = Text(max_length=2000)
    topics = fields.List(
        fields.Enum(Topic, by_value=True), validate=validate.Length(min=1, max=len(Topic))
    )
    format = fields.Enum(MentoringFormat, by_value=True)
    kind = fields.Enum(OfferKind, by_value=True, metadata={"description": "1:1 or a workshop."})
    group_size = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=2, max=200),
        metadata={"description": "For a group offer: alumnae per workshop."},
    )
    capacity = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "Alumnae mentored at once under this offer."},
    )
    region_codes = fields.List(
        REGION_CODE,
        validate=validate.Length(max=50),
        metadata={"description": "Regions served, with everything below them; none: everywhere."},
    )
    starts_on = Date()
    ends_on = Date()
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class OfferCreateSchema(OfferWriteSchema):
    """A new offer (mentors of a verified university)."""

    title = Text(min_length=3, max_length=120, required=True)
    description = Text(max_length=2000, load_default="")
    topics = fields.List(
        fields.Enum(Topic, by_value=True),
        required=True,
        validate=validate.Length(min=1, max=len(Topic)),
    )
    format = fields.Enum(MentoringFormat, by_value=True, required=True)
    kind = fields.Enum(OfferKind, by_value=True, required=True)
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=500))
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))


class OfferPatchSchema(OfferWriteSchema):
    """Changes to your offer (send If-Match)."""

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class PersonRefSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class OfferSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "mof_01M84..."})
    mentor = fields.Nested(PersonRefSchema, required=True)
    organization_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    topics = fields.List(fields.String(), required=True)
    format = fields.Enum(MentoringFormat, by_value=True, required=True)
    kind = fields.Enum(OfferKind, by_value=True, required=True)
    group_size = fields.Integer(allow_none=True, required=True)
    capacity = fields.Integer(required=True)
    regions = fields.List(Place(), attribute="region_codes", required=True)
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    language = fields.String(required=True)
    status = fields.Enum(OfferStatus, by_value=True, required=True)
    rating = fields.Nested(RatingSchema, required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class OfferSummarySchema(BaseSchema):
    """An offer as a list row shows it (the default in lists; `view=full` for `Offer`)."""

    id = fields.String(required=True, metadata={"example": "mof_01M84..."})
    mentor = fields.Nested(PersonRefSchema, required=True)
    title = fields.String(required=True)
    topics = fields.List(fields.String(), required=True)
    format = value_of(MentoringFormat)
    kind = value_of(OfferKind)
    starts_on = fields.String(required=True, metadata={"format": "date"})
    ends_on = fields.String(required=True, metadata={"format": "date"})
    status = value_of(OfferStatus)
    rating = fields.Nested(RatingSchema, required=True)
    href = href("mentoring-offers")


class OfferQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    topic = fields.Enum(Topic, by_value=True)
    region = RegionFilter(metadata={"description": "Offers serving this region (any level)."})
    format = fields.Enum(
        MentoringFormat,
        by_value=True,
        metadata={"description": "`online` and `in_person` include offers of `both`."},
    )
    organization = Known(Organization, error="Unknown organisation.")
    mentor = fields.String(validate=validate.Length(max=32))
    sort = sort_field(OFFER_SORTS, "-created_at")


class MentorProfileSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    organization = fields.Nested(PersonRefSchema, allow_none=True, required=True)
    completed_mentorings = fields.Integer(required=True)
    rating = fields.Nested(RatingSchema, required=True)


class RequestCreateSchema(BaseSchema):
    """What you need help with."""

    topic = fields.Enum(Topic, by_value=True, required=True)
    need = Text(min_length=10, max_length=2000, required=True)
    business_id = fields.String(allow_none=True, validate=validate.Length(max=32))
    region_code = fields.String(
        allow_none=True,
        validate=validate.Regexp(CODE_PATTERN, error="Not a region code."),
        metadata={"description": "Your village, when you name no business."},
    )
    preferred_format = fields.Enum(MentoringFormat, by_value=True, required=True)
    preferred_times = Text(max_length=300, load_default="")
    offer_id = fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "Address it to one offer (its mentor decides)."},
    )


class PartyContactSchema(BaseSchema):
    name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, required=True)


class RequestSchema(BaseSchema):
    """A request. `alumna_contact` and `mentor_contact` are for its two parties only."""

    id = fields.String(required=True, metadata={"example": "mrq_01M84..."})
    status = fields.Enum(RequestStatus, by_value=True, required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    need = fields.String(required=True)
    preferred_format = fields.Enum(MentoringFormat, by_value=True, required=True)
    preferred_times = fields.String(required=True)
    business_id = fields.String(allow_none=True, required=True)
    region = Place(attribute="region_code", allow_none=True, required=True)
    offer_id = fields.String(allow_none=True, required=True)
    mentor_id = fields.String(allow_none=True, required=True)
    organization_id = fields.String(allow_none=True, required=True)
    alumna_contact = fields.Nested(PartyContactSchema, allow_none=True, required=True)
    mentor_contact = fields.Nested(PartyContactSchema, allow_none=True, required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    reason = fields.String(allow_none=True, required=True)
    outcome = fields.String(allow_none=True, required=True)
    rating = fields.Integer(allow_none=True, required=True)
    feedback = fields.String(allow_none=True, required=True)
    opened_at = Timestamp(required=True)
    expires_at = Timestamp(allow_none=True, required=True)
    accepted_at = Timestamp(allow_none=True, required=True)
    started_at = Timestamp(allow_none=True, required=True)
    alumna_confirmed_at = Timestamp(allow_none=True, required=True)
    mentor_confirmed_at = Timestamp(allow_none=True, required=True)
    completes_at = Timestamp(allow_none=True, required=True)
    completed_at = Timestamp(allow_none=True, required=True)
    closed_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class RequestQueryArgsSchema(PageQueryArgsSchema):
    view = fields.String(
        load_default="mine",
        validate=validate.OneOf(["mine", "open"]),
        metadata={
            "description": "`mine`: your requests (alumna) or those you took on (mentor); "
            "`open`: for mentors, open requests matching your offers."
        },
    )
    status = fields.List(fields.Enum(RequestStatus, by_value=True), validate=validate.Length(max=6))
    topic = fields.Enum(Topic, by_value=True)
    sort = sort_field(REQUEST_SORTS, "-created_at")


class AcceptRequestSchema(BaseSchema):
    offer_id = fields.String(
        validate=validate.Length(max=32),
        metadata={"description": "Your offer to take it on under (if not addressed to one)."},
    )


class ConfirmSchema(BaseSchema):
    outcome = Text(max_length=2000, metadata={"description": "The mentor's outcome note."})


class FeedbackSchema(BaseSchema):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    text = Text(max_length=2000, load_default="")


class SessionCreateSchema(BaseSchema):
    starts_at = AwareDateTime(required=True)
    duration_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=15, max=480)
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


class SessionRescheduleSchema(BaseSchema):
    starts_at = AwareDateTime(required=True)
    duration_minutes = fields.Integer(strict=True, validate=validate.Range(min=15, max=480))
    mode = fields.Enum(
        MentoringFormat,
        by_value=True,
        validate=validate.OneOf([MentoringFormat.ONLINE, MentoringFormat.IN_PERSON]),
    )
    place = Text(max_length=300, allow_none=True)
    link = fields.URL(schemes={"https"}, allow_none=True, validate=validate.Length(max=500))
    reason = Text(min_length=3, max_length=500, required=True)


class SessionRecordSchema(BaseSchema):
    attendance = fields.Enum(Attendance, by_value=True, required=True)
    notes = Text(max_length=4000)
    outcome = Text(max_length=2000)


class SessionSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "mss_01M84..."})
    request_id = fields.String(required=True)
    starts_at = Timestamp(required=True)
    duration_minutes = fields.Integer(required=True)
    mode = fields.Enum(MentoringFormat, by_value=True, required=True)
    place = fields.String(allow_none=True, required=True)
    link = fields.String(allow_none=True, required=True)
    agenda = fields.String(required=True)
    status = fields.Enum(SessionStatus, by_value=True, required=True)
    notes = fields.String(allow_none=True, required=True)
    outcome = fields.String(allow_none=True, required=True)
    attendance = fields.Enum(Attendance, by_value=True, allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    reschedule_count = fields.Integer(required=True)
    created_at = Timestamp(required=True)


class ReportQueryArgsSchema(BaseSchema):
    from_ = Date(required=True, data_key="from")
    to = Date(required=True)
    format = report_format("a bar chart of each mentor's hours")


class MentorRecordSchema(BaseSchema):
    mentor_id = fields.String(required=True)
    name = fields.String(required=True)
    sessions_held = fields.Integer(
        required=True,
        metadata={"description": "Mentoring sessions held, one-to-one and group, each once."},
    )
    group_sessions_held = fields.Integer(required=True)
    training_events_held = fields.Integer(
        required=True,
        metadata={
            "description": "The university's training events held (completed, or attendance "
            "recorded) that this trainer delivered; in the totals, each event once."
        },
    )
    hours = fields.Float(
        required=True,
        metadata={
            "description": "The mentor's or trainer's hours: each attended session and training "
            "event once, however many came (an event counts its certificate `hours`); in the "
            "totals, each once however many led it."
        },
    )
    alumna_hours = fields.Float(
        required=True,
        metadata={
            "description": "The women's hours: each attended session or training event once "
            "per woman who came."
        },
    )
    alumnae_served = fields.Integer(
        required=True,
        metadata={
            "description": "Women who came, each once, whether through mentoring, group "
            "mentoring or training."
        },
    )
    completed = fields.Integer(required=True, data_key="mentorings_completed")
    topics = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    rating = fields.Nested(RatingSchema, required=True)


class MentoringReportSchema(BaseSchema):
    organization_id = fields.String(required=True)
    organization_name = fields.String(required=True)
    from_date = Date(required=True, data_key="from")
    to_date = Date(required=True, data_key="to")
    mentors = fields.List(fields.Nested(MentorRecordSchema), required=True)
    totals = fields.Nested(MentorRecordSchema, required=True)
