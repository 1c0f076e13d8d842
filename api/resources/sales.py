"""Off-platform sales and the monthly sales summary of a business."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pages import page_response
from api.models import OffPlatformSale
from api.pagination import Page
from api.schemas.common import page_of
from api.schemas.sales import (
    SaleCreateSchema,
    SaleQueryArgsSchema,
    SaleSchema,
    SalesSummaryQueryArgsSchema,
    SalesSummarySchema,
)
from api.services import sales as service

blp = Blueprint(
    "sales",
    __name__,
    scope="sales",
    url_prefix="/v1/businesses/<string:business_id>",
    description="Sales made outside Berdaya, and all sales by month.",
)


@blp.route("/sales", methods=["POST"])
@blp.auth()
@blp.arguments(SaleCreateSchema)
@blp.response(201, SaleSchema)
def record_sale(data: dict[str, Any], business_id: str) -> OffPlatformSale:
    """Record a sale made elsewhere: WhatsApp, a market stall, a reseller..."""
    return service.record_sale(db(), actor=current_actor(), business_id=business_id, data=data)


@blp.route("/sales", methods=["GET"])
@blp.auth()
@blp.arguments(SaleQueryArgsSchema, location="query")
@blp.response(200, page_of(SaleSchema))
def list_sales(
    args: dict[str, Any], business_id: str
) -> tuple[Page[OffPlatformSale], dict[str, str]]:
    """The off-platform sales you recorded, newest first."""
    return page_response(
        service.list_sales(db(), actor=current_actor(), business_id=business_id, **args)
    )


@blp.route("/sales/<string:sale_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def delete_sale(business_id: str, sale_id: str) -> None:
    """Remove a sale recorded by mistake."""
    service.delete_sale(db(), actor=current_actor(), business_id=business_id, sale_id=sale_id)


@blp.route("/sales-summary", methods=["GET"])
@blp.auth()
@blp.arguments(SalesSummaryQueryArgsSchema, location="query")
@blp.response(200, SalesSummarySchema)
def get_sales_summary(args: dict[str, Any], business_id: str) -> service.Summary:
    """Monthly totals (WIB) of completed orders and off-platform sales, zeros included."""
    return service.summary(
        db(),
        actor=current_actor(),
        business_id=business_id,
        from_month=args.get("from_"),
        to_month=args.get("to"),
    )
