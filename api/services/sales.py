"""Sales made outside Berdaya, and the monthly summary of all of a business's sales.

Months are calendar months in Western Indonesia Time (WIB, UTC+7), where the program runs: an
order completed at 23:30 WIB on 31 January counts in January.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dates import WIB, add_months, today
from api.db import read_rows
from api.errors import NotFound, ValidationFailed
from api.models import Business, OffPlatformSale, Order, OrderStatus, Product
from api.pagination import Page, paginate, sort_options
from api.services import businesses, events
from api.services.authz import Actor

MAX_MONTHS = 36
SORTS = sort_options(OffPlatformSale, sold_on=["sold_on", "created_at"])


def _business(session: Session, actor: Actor, business_id: str, action: str) -> Business:
    return businesses.get_business(session, actor=actor, business_id=business_id, action=action)


def record_sale(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> OffPlatformSale:
    """The owner records a sale made elsewhere."""
    business = _business(session, actor, business_id, "edit")
    if data["sold_on"] > today():
        raise ValidationFailed(errors={"sold_on": ["A sale cannot be in the future."]})
    product_id = data.get("product_id")
    if product_id:
        product = session.get(Product, product_id)
        if product is None or product.business_id != business.id:
            raise ValidationFailed(errors={"product_id": ["Not a product of this business."]})
    sale = OffPlatformSale(**data, business_id=business.id, recorded_by_id=actor.user_id)
    session.add(sale)
    session.flush()
    events.record(
        session,
        type="sale.recorded",
        subject=sale,
        actor=actor,
        data={"business_id": business.id, "amount_idr": sale.amount_idr},
    )
    return sale


def list_sales(
    session: Session,
    *,
    actor: Actor,
    business_id: str,
    limit: int,
    cursor: str | None = None,
    sort: str = "-sold_on",
) -> Page[OffPlatformSale]:
    business = _business(session, actor, business_id, "edit")
    stmt = select(OffPlatformSale).where(OffPlatformSale.business_id == business.id)
    return paginate(
        session, stmt, model=OffPlatformSale, sort=sort, options=SORTS, limit=limit, cursor=cursor
    )


def delete_sale(session: Session, *, actor: Actor, business_id: str, sale_id: str) -> None:
    """The owner removes a sale recorded by mistake."""
    business = _business(session, actor, business_id, "edit")
    sale = session.get(OffPlatformSale, sale_id)
    if sale is None or sale.business_id != business.id:
        raise NotFound()
    session.delete(sale)
    session.flush()
    events.record(
        session,
        type="sale.deleted",
        subject=sale,
        actor=actor,
        data={"business_id": business.id},
    )


@dataclass
class Month:
    month: str
    on_platform_orders: int = 0
    on_platform_idr: int = 0
    off_platform_sales: int = 0
    off_platform_idr: int = 0

    @property
    def total_idr(self) -> int:
        return self.on_platform_idr + self.off_platform_idr


@dataclass
class Summary:
    business_id: str
    from_month: str
    to_month: str
    months: list[Month] = field(default_factory=list)

    @property
    def totals(self) -> Month:
        total = Month(month="total")
        for m in self.months:
            total.on_platform_orders += m.on_platform_orders
            total.on_platform_idr += m.on_platform_idr
            total.off_platform_sales += m.off_platform_sales
            total.off_platform_idr += m.off_platform_idr
        return total


def summary(
    session: Session,
    *,
    actor: Actor,
    business_id: str,
    from_month: dt.date | None = None,
    to_month: dt.date | None = None,
) -> Summary:
    """Monthly totals of completed orders (their total, delivery fee included) and recorded
    off-platform sales, every month of the range listed (zeros included)."""
    business = _business(session, actor, business_id, "view_figures")
    last = (to_month or today()).replace(day=1)
    first = (from_month or add_months(last, -11)).replace(day=1)
    if first > last:
        raise ValidationFailed(errors={"from": ["Must not be after `to`."]})
    if _months_between(first, last) >= MAX_MONTHS:
        raise ValidationFailed(errors={"from": [f"At most {MAX_MONTHS} months at once."]})
    end = add_months(last, 1)
    result = Summary(business.id, first.strftime("%Y-%m"), last.strftime("%Y-%m"))
    months: dict[str, Month] = {}
    cursor = first
    while cursor < end:
        key = cursor.strftime("%Y-%m")
        months[key] = Month(key)
        cursor = add_months(cursor, 1)
    start_utc = dt.datetime.combine(first, dt.time(), WIB)
    end_utc = dt.datetime.combine(end, dt.time(), WIB)
    completed = read_rows(
        session,
        select(Order.completed_at, Order.total_idr).where(
            Order.business_id == business.id,
            Order.status == OrderStatus.COMPLETED,
            Order.completed_at >= start_utc,
            Order.completed_at < end_utc,
        ),
    )
    for completed_at, total in completed:
        assert completed_at is not None  # filtered above
        month = months[completed_at.astimezone(WIB).strftime("%Y-%m")]
        month.on_platform_orders += 1
        month.on_platform_idr += total
    off = read_rows(
        session,
        select(OffPlatformSale.sold_on, OffPlatformSale.amount_idr).where(
            OffPlatformSale.business_id == business.id,
            OffPlatformSale.sold_on >= first,
            OffPlatformSale.sold_on < end,
        ),
    )
    for sold_on, amount in off:
        month = months[sold_on.strftime("%Y-%m")]
        month.off_platform_sales += 1
        month.off_platform_idr += amount
    result.months = list(months.values())
    return result


def _months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month
