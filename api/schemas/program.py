"""Programs, cohorts, rosters, graduate claims, check-ins, follow-up."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from api.models import ClaimStatus, Cohort, Program, RevenueBand
from api.schemas.common import (
    BaseSchema,
    Date,
    Flag,
    MonthField,
    PageQueryArgsSchema,
    Text,
    Timestamp,
    sort_field,
)
from api.schemas.reach import CheckInPromptSchema, OutreachSchema
from api.schemas.references import Known, Place, RegionFilter
from api.services.program import COHORT_SORTS
from api.services.regions import CODE_PATTERN

REGION = validate.Regexp(CODE_PATTERN, error="Not a region code.")


class ProgramCreateSchema(BaseSchema):
    name = Text(min_length=3, max_length=120, required=True, metadata={"example": "Sekoper Cinta"})
    description = Text(max_length=2000, load_default="")
    organizer = Text(max_length=200, load_default="")


class ProgramSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    organizer = fields.String(required=True)
    created_at = Timestamp(required=True)


class ProgramListSchema(BaseSchema):
    items = fields.List(fields.Nested(ProgramSchema), required=True)


class CohortWriteSchema(BaseSchema):
    name = Text(min_length=3, max_length=120)
    year = fields.Integer(strict=True, validate=validate.Range(min=2000, max=2200))
    region_code = fields.String(validate=REGION)
    track = Text(max_length=60)
    graduated_on = Date(allow_none=True)
    facilitator_ids = fields.List(
        fields.String(validate=validate.Length(max=32)), validate=validate.Length(max=20)
    )


class CohortCreateSchema(CohortWriteSchema):
    program_id = fields.String(required=True, validate=validate.Length(max=32))
    name = Text(min_length=3, max_length=120, required=True)
    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2000, max=2200))
    region_code = fields.String(required=True, validate=REGION)
    track = Text(max_length=60, load_default="")
    facilitator_ids = fields.List(
        fields.String(validate=validate.Length(max=32)),
        validate=validate.Length(max=20),
        load_default=list,
    )


class CohortSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "coh_01M84..."})
    program_id = fields.String(required=True)
    name = fields.String(required=True)
    year = fields.Integer(required=True)
    region = Place(attribute="region_code", required=True)
    track = fields.String(required=True)
    graduated_on = fields.Date(allow_none=True, required=True)
    facilitator_ids = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)


class CohortQueryArgsSchema(PageQueryArgsSchema):
    program = Known(Program, error="Unknown program.")
    year = fields.Integer(validate=validate.Range(min=2000, max=2200))
    region = RegionFilter()
    sort = sort_field(COHORT_SORTS, "-year")


class RosterUploadSchema(Schema):
    """multipart/form-data with `file`: CSV (UTF-8, with or without a BOM; separated by commas,
    semicolons or tabs) or an .xlsx workbook (its first sheet); header `name,phone,village_code`."""

    file = Upload(required=True)


class RosterImportArgsSchema(BaseSchema):
    dry_run = fields.Boolean(
        load_default=True,
        metadata={"description": "Default true: report only. false: write (all or nothing)."},
    )


class RosterProblemSchema(BaseSchema):
    line = fields.Integer(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Field to its messages, as in a problem's `errors`."},
    )
    phone = fields.String()
    same_as_line = fields.Integer()
    already_in_roster = fields.Boolean()
    flag = fields.String(
        metadata={
            "description": "missing_phone: no phone of her own; shared_phone: a phone another "
            "row has (a household's). Valid, never matched by phone: link her account."
        }
    )


class RosterReportSchema(BaseSchema):
    dry_run = fields.Boolean(required=True)
    rows = fields.Integer(required=True)
    valid = fields.Integer(required=True, metadata={"description": "New valid rows."})
    created = fields.Integer(required=True)
    invalid = fields.List(fields.Nested(RosterProblemSchema), required=True)
    duplicates = fields.List(fields.Nested(RosterProblemSchema), required=True)
    flagged = fields.List(fields.Nested(RosterProblemSchema), required=True)


class RosterEntrySchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True, required=True)
    phone_shared = fields.Boolean(
        required=True, metadata={"description": "Another row of the cohort has this phone."}
    )
    village = Place(attribute="village_code", required=True)


class RosterLinkSchema(BaseSchema):
    """The account of the woman this row lists, whom you met."""

    user_id = fields.String(required=True, validate=validate.Length(min=1, max=40))


class ClaimCreateSchema(BaseSchema):
    cohort_id = fields.String(required=True, validate=validate.Length(max=32))
    note = Text(max_length=500, load_default="")


class ClaimSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "clm_01M84..."})
    user_id = fields.String(required=True)
    user_name = fields.String(required=True, attribute="user.name")
    cohort_id = fields.String(required=True)
    matched = fields.Boolean(
        required=True, metadata={"description": "Her phone is on the cohort's roster."}
    )
    status = fields.Enum(ClaimStatus, by_value=True, required=True)
    note = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    decided_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class ClaimQueryArgsSchema(PageQueryArgsSchema):
    cohort = Known(Cohort, error="Unknown cohort.")
    status = fields.List(fields.Enum(ClaimStatus, by_value=True), validate=validate.Length(max=3))


class CohortListSchema(BaseSchema):
    items = fields.List(fields.Nested(CohortSchema), required=True)


class CheckInWriteSchema(BaseSchema):
    """This month's (or `month`'s) check-in; a second one in a month updates the first."""

    month = MonthField(metadata={"description": "Default: this month (WIB). Not in the future."})
    trading = Flag(required=True)
    revenue_idr = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000_000_000)
    )
    revenue_band = fields.Enum(RevenueBand, by_value=True, allow_none=True)
    orders = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000)
    )
    workers = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000)
    )
    channels = fields.List(
        fields.String(validate=validate.Length(min=1, max=30)), validate=validate.Length(max=10)
    )
    challenges = Text(max_length=2000)
    support_wanted = Text(max_length=2000)


class CheckInSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "chk_01M84..."})
    business_id = fields.String(required=True)
    month = fields.Function(
        lambda c: c.month.strftime("%Y-%m"),
        required=True,
        metadata={"type": "string", "example": "2026-11"},
    )
    trading = fields.Boolean(required=True)
    revenue_idr = fields.Integer(allow_none=True, required=True)
    revenue_band = fields.Enum(RevenueBand, by_value=True, allow_none=True, required=True)
    orders = fields.Integer(allow_none=True, required=True)
    workers = fields.Integer(allow_none=True, required=True)
    channels = fields.List(fields.String(), required=True)
    challenges = fields.String(required=True)
    support_wanted = fields.String(required=True)
    recorded_by_id = fields.String(allow_none=True, required=True)
    on_behalf_of_id = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Set when her facilitator recorded it for her."},
    )
    updated_at = Timestamp(required=True)


class FollowUpQueryArgsSchema(PageQueryArgsSchema):
    status = fields.String(validate=validate.OneOf(["at_risk", "dormant"]))
    region = RegionFilter()


class FollowUpOwnerSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True, required=True, metadata={"example": "+6281287654321"})


class FollowUpCohortSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    year = fields.Integer(required=True)


class FollowUpSchema(BaseSchema):
    """A business to follow up (staff in its region only): whom to call, where, her cohort and
    what she said at her last check-in."""

    id = fields.String(required=True, attribute="business.id")
    name = fields.String(required=True, attribute="business.name")
    owner_id = fields.String(required=True, attribute="business.owner_id")
    owner = fields.Nested(FollowUpOwnerSchema, required=True)
    village = Place(required=True, attribute="business.village")
    cohort = fields.Nested(
        FollowUpCohortSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Her cohort (a verified claim first, else a pending one)."},
    )
    activity_status = fields.String(required=True, attribute="business.activity_status")
    last_activity_at = Timestamp(
        allow_none=True, required=True, attribute="business.last_activity_at"
    )
    last_check_in = fields.Nested(
        lambda: CheckInSchema(),
        allow_none=True,
        required=True,
        metadata={"description": "Her latest check-in (by month) with its answers, or null."},
    )
    reason = fields.String(
        required=True,
        validate=validate.OneOf(["quiet", "unanswered", "help", "support_wanted"]),
        metadata={
            "description": "Why she is on the list: no activity (quiet), no reply to the "
            "monthly question after a reminder, 'Butuh bantuan', or support wanted in a recent "
            "check-in."
        },
    )
    check_in_prompt = fields.Nested(
        lambda: CheckInPromptSchema(),
        allow_none=True,
        required=True,
        metadata={"description": "The latest monthly question by message and its stage."},
    )
    messages = fields.List(
        fields.Nested(lambda: CaseloadMessageSchema()),
        required=True,
        metadata={"description": "The latest messages about this business and their status."},
    )
    last_outreach = fields.Nested(lambda: OutreachSchema(), allow_none=True, required=True)


class CaseloadMessageSchema(BaseSchema):
    """A message sent to her about this business (its text stays hers)."""

    id = fields.String(required=True)
    template = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    status_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class AssistGrantCreateSchema(BaseSchema):
    facilitator_id = fields.String(required=True, validate=validate.Length(max=32))
    days = fields.Integer(strict=True, load_default=30, validate=validate.Range(min=1, max=90))


class AssistGrantSchema(BaseSchema):
    id = fields.String(required=True)
    alumna_id = fields.String(required=True)
    facilitator_id = fields.String(required=True)
    granted_at = Timestamp(required=True)
    expires_at = Timestamp(required=True)
    revoked_at = Timestamp(allow_none=True, required=True)
    active = fields.Boolean(required=True)


class AssistGrantListSchema(BaseSchema):
    items = fields.List(fields.Nested(AssistGrantSchema), required=True)


class AuditQueryArgsSchema(PageQueryArgsSchema):
    actor_filter = fields.String(data_key="actor", validate=validate.Length(max=40))
    action = fields.String(validate=validate.Length(max=60))


class AuditEntrySchema(BaseSchema):
    seq = fields.Integer(required=True)
    at = Timestamp(required=True)
    actor_id = fields.String(allow_none=True, required=True)
    actor_role = fields.String(allow_none=True, required=True)
    assisted_by_id = fields.String(allow_none=True, required=True)
    action = fields.String(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    data = fields.Dict(required=True)


class StatsQueryArgsSchema(BaseSchema):
    program = Known(Program, error="Unknown program.")
    year = fields.Integer(validate=validate.Range(min=2000, max=2200))
    region = RegionFilter()
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv", "xlsx", "svg", "png"]),
        metadata={
            "description": "`csv` (or `Accept: text/csv`) or `xlsx` for a spreadsheet; `svg` "
            "or `png` for a bar chart of businesses started (in the reader's language)."
        },
    )


class StatsRowSchema(BaseSchema):
    """One group. Every figure is null when `suppressed` (fewer than 5 businesses)."""

    key = fields.String(required=True)
    label = fields.String(required=True)
    region = Place(
        allow_none=True,
        required=True,
        metadata={"description": "The region of a `region` group (null for other groups)."},
    )
    suppressed = fields.Boolean(required=True)
    graduates = fields.Integer(allow_none=True, required=True)
    verified_graduates = fields.Integer(allow_none=True, required=True)
    businesses_started = fields.Integer(allow_none=True, required=True)
    share_active = fields.Float(allow_none=True, required=True)
    survival_3m = fields.Float(allow_none=True, required=True)
    survival_6m = fields.Float(allow_none=True, required=True)
    survival_12m = fields.Float(allow_none=True, required=True)
    survival_24m = fields.Float(allow_none=True, required=True)
    median_monthly_revenue_idr = fields.Integer(
        allow_none=True,
        required=True,
        metadata={
            "description": "The median of the businesses' latest monthly amount reported in "
            "the last 12 months: one value per business, however often it reports."
        },
    )
    median_revenue_band = fields.Enum(
        RevenueBand,
        by_value=True,
        allow_none=True,
        required=True,
        metadata={
            "description": "The lower median of the businesses' latest band reported in the "
            "last 12 months (given, or the band an amount falls in; one per business), so "
            "replies by WhatsApp or SMS, which give a band, count where amounts are missing."
        },
    )
    products_listed = fields.Integer(allow_none=True, required=True)
    orders = fields.Integer(allow_none=True, required=True)
    mentoring_completed = fields.Integer(allow_none=True, required=True)
    sponsorship_value_idr = fields.Integer(allow_none=True, required=True)


class StatsSchema(BaseSchema):
    group = fields.String(required=True)
    items = fields.List(fields.Nested(StatsRowSchema), required=True)


class ResearchQueryArgsSchema(BaseSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


class ResearchRowSchema(BaseSchema):
    business = fields.String(required=True, metadata={"description": "A stable pseudonym."})
    owner = fields.String(required=True, metadata={"description": "A stable pseudonym."})
    district_code = fields.String(required=True)
    regency_code = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    activity_status = fields.String(required=True)
    started = fields.String(required=True, metadata={"example": "2025-03"})
    verified_graduate = fields.Boolean(required=True)
    cohort_year = fields.Integer(allow_none=True, required=True)
    products_listed = fields.Integer(required=True)
    orders_completed = fields.Integer(required=True)
    check_ins = fields.Integer(required=True)
    months_trading = fields.Integer(required=True)
    median_revenue_idr = fields.Integer(allow_none=True, required=True)
    sponsorship_value_idr = fields.Integer(required=True)


class ResearchExportSchema(BaseSchema):
    columns = fields.List(fields.String(), required=True)
    items = fields.List(fields.Nested(ResearchRowSchema), required=True)
