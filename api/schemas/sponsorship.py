"""Support needs, sponsorships, milestones, disbursements, consent, impact report."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from api.models import (
    Business,
    Cohort,
    DisbursementStatus,
    NeedKind,
    NeedStatus,
    SponsorshipStatus,
    SupportKind,
    TargetType,
)
from api.schemas.common import (
    BaseSchema,
    Date,
    PageQueryArgsSchema,
    Text,
    Timestamp,
    UpdatedSinceQueryArgsSchema,
    href,
    report_format,
    sort_field,
    value_of,
)
from api.schemas.references import CategoryFilter, Known, Place, PlaceSchema, RegionFilter
from api.services.sponsorship import FUNDED_SORTS, NEED_SORTS, SPONSORSHIP_SORTS

MAX_VALUE_IDR = 10_000_000_000_000


def _money(**kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_VALUE_IDR),
        metadata={"description": "Whole rupiah."},
        **kwargs,
    )


class ItemSchema(BaseSchema):
    name = Text(min_length=1, max_length=120, required=True)
    quantity = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=10_000)
    )
    value_idr = _money(required=True)


class NeedCreateSchema(BaseSchema):
    """What would help; `target_value_idr`, or `items` whose values add up to it."""

    kind = fields.Enum(NeedKind, by_value=True, required=True)
    title = Text(min_length=3, max_length=120, required=True)
    description = Text(max_length=2000, load_default="")
    target_value_idr = _money(allow_none=True)
    items = fields.List(
        fields.Nested(ItemSchema), validate=validate.Length(max=30), load_default=list
    )
    deadline = Date(allow_none=True)


class EventNeedCreateSchema(NeedCreateSchema):
    """Seats of a training event a sponsor may pay for: `seats` (at most the event's capacity)
    and their value, `target_value_idr` (or `items`)."""

    kind = fields.Enum(NeedKind, by_value=True, load_default=NeedKind.TRAINING)
    seats = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "How many seats; at most the event's capacity."},
    )


class NeedBusinessSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    regency = Place(required=True)
    verified_graduate = fields.Boolean(required=True)


class TargetSchema(BaseSchema):
    """What a need or a sponsorship is for."""

    type = fields.Enum(
        TargetType,
        by_value=True,
        required=True,
        metadata={
            "description": "`business`, `group` (a business group), `cohort` or "
            "`training_event` (its seats)."
        },
    )
    id = fields.String(required=True)


class NeedSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "ned_01M84..."})
    target = fields.Nested(TargetSchema, required=True)
    business = fields.Nested(
        NeedBusinessSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The business, when the target is one."},
    )
    kind = fields.Enum(NeedKind, by_value=True, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)
    target_value_idr = fields.Integer(required=True)
    seats = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Seats asked for, when the target is a training event."},
    )
    confirmed_value_idr = fields.Integer(required=True)
    progress = fields.Float(
        required=True, metadata={"description": "Confirmed value over the target, 0 to 1."}
    )
    deadline = fields.Date(allow_none=True, required=True)
    status = fields.Enum(NeedStatus, by_value=True, required=True)
    created_at = Timestamp(required=True)


class NeedSummaryBusinessSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    regency = fields.Nested(PlaceSchema, required=True)


class NeedSummarySchema(BaseSchema):
    """A need as a list row shows it (the default in lists; `view=full` for `Need`)."""

    id = fields.String(required=True, metadata={"example": "ned_01M84..."})
    business = fields.Nested(
        NeedSummaryBusinessSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "The business, when the need is for one (null for a group, a "
            "cohort or a training event: `view=full` gives the target)."
        },
    )
    kind = value_of(NeedKind)
    title = fields.String(required=True)
    target_value_idr = fields.Integer(required=True)
    confirmed_value_idr = fields.Integer(required=True)
    progress = fields.Float(required=True)
    deadline = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    status = value_of(NeedStatus)
    href = href("needs")


class NeedQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    kind = fields.Enum(NeedKind, by_value=True)
    region = RegionFilter()
    category = CategoryFilter()
    verified_graduate = fields.Boolean()
    amount_min = fields.Integer(validate=validate.Range(min=0, max=MAX_VALUE_IDR))
    amount_max = fields.Integer(validate=validate.Range(min=0, max=MAX_VALUE_IDR))
    deadline_before = Date()
    cohort = Known(
        Cohort,
        error="Unknown cohort.",
        metadata={"description": "Needs of verified graduates of this cohort."},
    )
    business = Known(
        Business,
        error="Unknown business.",
        metadata={"description": "One business's needs (its owner also sees met and closed ones)."},
    )
    target_type = fields.Enum(
        TargetType,
        by_value=True,
        metadata={"description": "Needs of businesses, groups or cohorts only."},
    )
    status = fields.List(fields.Enum(NeedStatus, by_value=True), validate=validate.Length(max=4))
    sort = sort_field(NEED_SORTS, "deadline")


class MilestoneInSchema(BaseSchema):
    title = Text(min_length=3, max_length=200, required=True)
    due_on = Date(allow_none=True)


class SponsorshipCreateSchema(BaseSchema):
    """Support proposed by a partner of a verified CSR company: to a business (`business_id`,
    as before), or to a target (`target_type` and `target_id`: a business, a group, a cohort)."""

    business_id = fields.String(validate=validate.Length(min=1, max=32))
    target_type = fields.Enum(TargetType, by_value=True)
    target_id = fields.String(validate=validate.Length(min=1, max=32))
    need_id = fields.String(allow_none=True, validate=validate.Length(max=32))
    kind = fields.Enum(SupportKind, by_value=True, required=True)
    value_idr = _money(required=True)
    items = fields.List(
        fields.Nested(ItemSchema), validate=validate.Length(max=30), load_default=list
    )
    terms = Text(max_length=4000, load_default="")
    milestones = fields.List(
        fields.Nested(MilestoneInSchema), validate=validate.Length(max=20), load_default=list
    )


class MilestoneSchema(BaseSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    due_on = fields.Date(allow_none=True, required=True)
    met_at = Timestamp(allow_none=True, required=True)


class SponsorshipSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "spn_01M84..."})
    organization_id = fields.String(required=True)
    target = fields.Nested(TargetSchema, required=True)
    business = fields.Nested(
        NeedBusinessSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The business, when the target is one."},
    )
    need_id = fields.String(allow_none=True, required=True)
    kind = fields.Enum(SupportKind, by_value=True, required=True)
    value_idr = fields.Integer(required=True)
    confirmed_value_idr = fields.Integer(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)
    terms = fields.String(required=True)
    milestones = fields.List(fields.Nested(MilestoneSchema), required=True)
    status = fields.Enum(SponsorshipStatus, by_value=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    accepted_at = Timestamp(allow_none=True, required=True)
    activated_at = Timestamp(allow_none=True, required=True)
    closed_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class SponsorshipQueryArgsSchema(PageQueryArgsSchema):
    side = fields.String(
        load_default="recipient",
        validate=validate.OneOf(["recipient", "sponsor"]),
        metadata={
            "description": "`recipient`: to your businesses, the groups you are an officer "
            "of and the cohorts you facilitate; `sponsor`: your organisations'."
        },
    )
    status = fields.List(
        fields.Enum(SponsorshipStatus, by_value=True), validate=validate.Length(max=7)
    )
    sort = sort_field(SPONSORSHIP_SORTS, "-created_at")


class DisbursementCreateSchema(BaseSchema):
    disbursed_on = Date(required=True)
    value_idr = _money(required=True)
    description = Text(min_length=3, max_length=500, required=True)


class DisbursementSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "dsb_01M84..."})
    sponsorship_id = fields.String(required=True)
    disbursed_on = fields.Date(required=True)
    value_idr = fields.Integer(required=True)
    description = fields.String(required=True)
    status = fields.Enum(DisbursementStatus, by_value=True, required=True)
    has_evidence = fields.Boolean(required=True)
    confirmed_at = Timestamp(allow_none=True, required=True)
    dispute_reason = fields.String(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class EvidenceUploadSchema(Schema):
    """multipart/form-data with `file`: a photo of the receipt (JPEG, PNG, WebP) or a PDF."""

    file = Upload(required=True)


class ConsentCreateSchema(BaseSchema):
    organization_id = fields.String(required=True, validate=validate.Length(max=32))


class ConsentSchema(BaseSchema):
    id = fields.String(required=True)
    business_id = fields.String(required=True)
    organization_id = fields.String(required=True)
    granted_at = Timestamp(required=True)
    revoked_at = Timestamp(allow_none=True, required=True)


class ConsentListSchema(BaseSchema):
    items = fields.List(fields.Nested(ConsentSchema), required=True)


class ImpactQueryArgsSchema(BaseSchema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2200))
    format = report_format("a bar chart of the value disbursed by region")


class FiguresSchema(BaseSchema):
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    products_listed = fields.Integer(required=True)
    orders = fields.Integer(required=True)
    sales_idr = fields.Integer(required=True)


class BusinessImpactSchema(BaseSchema):
    business_id = fields.String(required=True)
    business_name = fields.String(required=True)
    regency = Place(required=True)
    value_received_idr = fields.Integer(required=True)
    consented = fields.Boolean(required=True)
    first_disbursement_on = fields.Date(allow_none=True, required=True)
    before = fields.Nested(FiguresSchema, allow_none=True, required=True)
    after = fields.Nested(FiguresSchema, allow_none=True, required=True)
    activity_status = fields.String(allow_none=True, required=True)


class RegionValueSchema(BaseSchema):
    region = Place(required=True)
    value_idr = fields.Integer(required=True)


class ImpactReportSchema(BaseSchema):
    organization_id = fields.String(required=True)
    organization_name = fields.String(required=True)
    year = fields.Integer(required=True)
    sponsorships = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    businesses_reached = fields.Integer(required=True)
    women_reached = fields.Integer(
        required=True,
        metadata={
            "description": "Each woman once, reached alone, through her group or her cohort."
        },
    )
    value_disbursed_idr = fields.Integer(required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_region = fields.List(
        fields.Nested(RegionValueSchema),
        required=True,
        metadata={"description": "Value disbursed by the city or regency of the business."},
    )
    milestones_met = fields.Integer(required=True)
    targets_reached = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Sponsorships with support confirmed this year, by target."},
    )
    training_attended = fields.Integer(
        required=True,
        metadata={"description": "Women (each once) who attended the training events sponsored."},
    )
    training_completed = fields.Integer(
        required=True,
        metadata={"description": "Women (each once) certified by those events (not revoked)."},
    )
    businesses = fields.List(fields.Nested(BusinessImpactSchema), required=True)


class FundedQueryArgsSchema(PageQueryArgsSchema):
    sort = sort_field(FUNDED_SORTS, "name")


class FundedBusinessSchema(BaseSchema):
    business_id = fields.String(required=True)
    business_name = fields.String(required=True)
    regency = Place(required=True)
    activity_status = fields.String(
        required=True, metadata={"description": "active, at_risk, dormant or closed."}
    )
    value_received_idr = fields.Integer(
        required=True, metadata={"description": "Confirmed disbursements from this organisation."}
    )
    first_disbursement_on = fields.Date(allow_none=True, required=True)
    since = fields.Date(
        required=True, metadata={"description": "The first day of the months the figures cover."}
    )
    check_ins = fields.Integer(required=True)
    months_trading = fields.Integer(
        required=True, metadata={"description": "Check-ins that said she was trading."}
    )
    last_check_in_month = fields.Date(allow_none=True, required=True)
    median_monthly_revenue_idr = fields.Integer(allow_none=True, required=True)
    orders = fields.Integer(required=True, metadata={"description": "Completed orders."})
    orders_idr = fields.Integer(required=True)
    off_platform_idr = fields.Integer(required=True)
