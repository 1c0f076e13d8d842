"""Statistics over time: monthly series and survival curves of the program's groups."""

from __future__ import annotations

from marshmallow import fields, validate

from api.models import Program
from api.schemas.common import BaseSchema, MonthField
from api.schemas.references import Known, Place, RegionFilter
from api.services.stats import BANDS

FORMATS = ["json", "csv", "xlsx", "svg", "png"]
FORMAT = fields.String(
    load_default="json",
    validate=validate.OneOf(FORMATS),
    metadata={
        "description": "`csv` or `xlsx` for a spreadsheet, `svg` or `png` for a chart "
        "(labelled in the reader's language, `Accept-Language`)."
    },
)


class GroupFilterSchema(BaseSchema):
    program = Known(Program, error="Unknown program.")
    year = fields.Integer(validate=validate.Range(min=2000, max=2200))
    region = RegionFilter()


class SeriesQueryArgsSchema(GroupFilterSchema):
    first = MonthField(
        data_key="from",
        metadata={"description": "The first month (default: 23 months before `to`)."},
    )
    last = MonthField(
        data_key="to", metadata={"description": "The last month (default: this one)."}
    )
    format = FORMAT


class SurvivalQueryArgsSchema(GroupFilterSchema):
    format = FORMAT


class SeriesMonthSchema(BaseSchema):
    """One month of a group. Every figure is null when `suppressed` (fewer than 5 businesses
    listed by the month's end)."""

    month = MonthField(required=True)
    region = Place(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)
    businesses = fields.Integer(allow_none=True, required=True)
    active = fields.Integer(allow_none=True, required=True)
    at_risk = fields.Integer(allow_none=True, required=True)
    dormant = fields.Integer(allow_none=True, required=True)
    check_ins = fields.Integer(allow_none=True, required=True)
    median_revenue_band = fields.String(
        allow_none=True, required=True, validate=validate.OneOf([b.value for b in BANDS])
    )
    orders = fields.Integer(allow_none=True, required=True)
    orders_idr = fields.Integer(allow_none=True, required=True)
    off_platform_sales = fields.Integer(allow_none=True, required=True)
    off_platform_idr = fields.Integer(allow_none=True, required=True)
    new_businesses = fields.Integer(allow_none=True, required=True)


class SeriesGroupSchema(BaseSchema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    region = Place(
        allow_none=True,
        required=True,
        metadata={"description": "The smallest region holding every cohort of the group."},
    )
    months = fields.List(fields.Nested(SeriesMonthSchema), required=True)


class SeriesSchema(BaseSchema):
    group = fields.String(required=True)
    items = fields.List(fields.Nested(SeriesGroupSchema), required=True)


class SurvivalPointSchema(BaseSchema):
    months = fields.Integer(required=True, metadata={"description": "Months since graduation."})
    at_risk = fields.Integer(required=True)
    events = fields.Integer(required=True, metadata={"description": "Stopped trading then."})
    censored = fields.Integer(required=True, metadata={"description": "Followed no longer."})
    survival = fields.Float(required=True)
    ci_low = fields.Float(required=True)
    ci_high = fields.Float(required=True)


class SurvivalCurveSchema(BaseSchema):
    """A group's Kaplan-Meier curve of "still trading"; no points when `suppressed`, and for
    the public only while 5 or more businesses are still followed."""

    key = fields.String(required=True)
    label = fields.String(required=True)
    region = Place(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)
    businesses = fields.Integer(allow_none=True, required=True)
    events = fields.Integer(allow_none=True, required=True)
    points = fields.List(fields.Nested(SurvivalPointSchema), required=True)


class SurvivalSchema(BaseSchema):
    group = fields.String(required=True)
    items = fields.List(fields.Nested(SurvivalCurveSchema), required=True)


class HelpedQueryArgsSchema(GroupFilterSchema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv", "xlsx"]),
        metadata={"description": "`csv` or `xlsx` for a spreadsheet."},
    )


class HelpedRowSchema(BaseSchema):
    """The businesses of the group whose owners had this help (``none``: none of the three).
    Every figure is null when `suppressed` (fewer than 5 businesses)."""

    exposure = fields.String(
        required=True, validate=validate.OneOf(["trained", "mentored", "sponsored", "none"])
    )
    suppressed = fields.Boolean(required=True)
    businesses = fields.Integer(allow_none=True, required=True)
    share_active = fields.Float(allow_none=True, required=True)
    survival_6m = fields.Float(allow_none=True, required=True)
    survival_12m = fields.Float(allow_none=True, required=True)


class HelpedGroupSchema(BaseSchema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    rows = fields.List(fields.Nested(HelpedRowSchema), required=True)


class HelpedSchema(BaseSchema):
    group = fields.String(required=True)
    note = fields.String(
        required=True, metadata={"description": "Association, not cause (reader's language)."}
    )
    items = fields.List(fields.Nested(HelpedGroupSchema), required=True)
