"""Off-platform sales and the monthly sales summary."""

from __future__ import annotations

from marshmallow import fields, validate

from api.models import SaleChannel
from api.schemas.common import (
    BaseSchema,
    Date,
    MonthField,
    PageQueryArgsSchema,
    Text,
    Timestamp,
    sort_field,
)
from api.services.sales import MAX_MONTHS, SORTS

MAX_SALE_IDR = 10_000_000_000


class SaleCreateSchema(BaseSchema):
    """A sale made elsewhere (or one day's sales of one channel)."""

    sold_on = Date(required=True, metadata={"description": "Not in the future (WIB)."})
    amount_idr = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_SALE_IDR)
    )
    channel = fields.Enum(SaleChannel, by_value=True, required=True)
    product_id = fields.String(allow_none=True, validate=validate.Length(max=32))
    quantity = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=1_000_000)
    )
    note = Text(max_length=500, load_default="")


class SaleSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "sal_01M84..."})
    business_id = fields.String(required=True)
    sold_on = Date(required=True)
    amount_idr = fields.Integer(required=True)
    channel = fields.Enum(SaleChannel, by_value=True, required=True)
    product_id = fields.String(allow_none=True, required=True)
    quantity = fields.Integer(allow_none=True, required=True)
    note = fields.String(required=True)
    created_at = Timestamp(required=True)


class SaleQueryArgsSchema(PageQueryArgsSchema):
    sort = sort_field(SORTS, "-sold_on")


class SalesSummaryQueryArgsSchema(BaseSchema):
    from_ = MonthField(
        data_key="from",
        metadata={"description": "First month; default 11 months before `to`."},
    )
    to = MonthField(
        metadata={"description": f"Last month; default this month. At most {MAX_MONTHS} months."}
    )


class SalesMonthSchema(BaseSchema):
    """One month's sales in WIB: completed orders (their totals) and recorded sales."""

    month = fields.String(required=True, metadata={"example": "2026-11"})
    on_platform_orders = fields.Integer(required=True)
    on_platform_idr = fields.Integer(required=True)
    off_platform_sales = fields.Integer(required=True)
    off_platform_idr = fields.Integer(required=True)
    total_idr = fields.Integer(required=True)


class SalesSummarySchema(BaseSchema):
    business_id = fields.String(required=True)
    from_month = fields.String(required=True, data_key="from")
    to_month = fields.String(required=True, data_key="to")
    months = fields.List(fields.Nested(SalesMonthSchema), required=True)
    totals = fields.Nested(SalesMonthSchema, required=True)
