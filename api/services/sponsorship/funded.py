"""The businesses an organisation funded, with their figures, for its CSR staff: only those
whose owner lets it see them (an active consent, checked on every read), never the others.

"Funded": a sponsorship of the organisation that was accepted, is running or completed. The
figures are the last 12 months' (from the first day of the month a year ago): check-ins and the
months she reported trading, the median revenue she reported, completed orders and their value,
off-platform sales; and her activity status, the value received from the organisation
(confirmed disbursements) and the first such disbursement. A page costs the same few
statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import utcnow
from api.errors import NotFound
from api.models import (
    Business,
    CheckIn,
    Disbursement,
    DisbursementStatus,
    OffPlatformSale,
    Order,
    OrderStatus,
    Organization,
    Region,
    Sponsorship,
    SponsorshipStatus,
)
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor, authorize
from api.services.sponsorship.consents import consenting_businesses

FUNDED = (SponsorshipStatus.ACCEPTED, SponsorshipStatus.ACTIVE, SponsorshipStatus.COMPLETED)
FUNDED_SORTS = sort_options(Business, name=["name"])


@dataclass
class FundedBusiness:
    business_id: str
    business_name: str
    regency: dict[str, str]  # a place: {code, name}
    activity_status: str
    value_received_idr: int
    first_disbursement_on: dt.date | None
    since: dt.date  # the first month the figures cover
    check_ins: int
    months_trading: int
    last_check_in_month: dt.date | None
    median_monthly_revenue_idr: int | None
    orders: int
    orders_idr: int
    off_platform_idr: int


def funded_businesses(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    limit: int,
    cursor: str | None = None,
    sort: str = "name",
) -> Page[FundedBusiness]:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    authorize(actor, "view_members", organization)
    funded = select(Sponsorship.business_id).where(
        Sponsorship.organization_id == organization.id, Sponsorship.status.in_(FUNDED)
    )
    stmt = select(Business).where(
        Business.id.in_(funded), Business.id.in_(consenting_businesses(organization.id))
    )
    page = paginate(
        session, stmt, model=Business, sort=sort, options=FUNDED_SORTS, limit=limit, cursor=cursor
    )
    return Page(_figures(session, organization.id, page.items), page.next_cursor)


def _figures(session: Session, organization_id: str, items: list[Business]) -> list[FundedBusiness]:
    if not items:
        return []
    ids = [b.id for b in items]
    since = add_months(utcnow().date().replace(day=1), -12)
    moment = dt.datetime.combine(since, dt.time(), dt.UTC)
    received: dict[str, tuple[int, dt.date]] = {
        business: (int(value or 0), first)
        for business, value, first in session.execute(
            select(
                Sponsorship.business_id,
                func.sum(Disbursement.value_idr),
                func.min(Disbursement.disbursed_on),
            )
            .join(Disbursement, Disbursement.sponsorship_id == Sponsorship.id)
            .where(
                Sponsorship.organization_id == organization_id,
                Sponsorship.business_id.in_(ids),
                Disbursement.status == DisbursementStatus.CONFIRMED,
            )
            .group_by(Sponsorship.business_id)
        )
        if business is not None
    }
    check_ins: dict[str, list[Any]] = defaultdict(list)
    for business, month, trading, revenue in session.execute(
        select(CheckIn.business_id, CheckIn.month, CheckIn.trading, CheckIn.revenue_idr).where(
            CheckIn.business_id.in_(ids), CheckIn.month >= since
        )
    ):
        check_ins[business].append((month, trading, revenue))
    last_month = dict(
        session.execute(
            select(CheckIn.business_id, func.max(CheckIn.month))
            .where(CheckIn.business_id.in_(ids))
            .group_by(CheckIn.business_id)
        ).all()
    )
    orders = {
        business: (int(count), int(total or 0))
        for business, count, total in session.execute(
            select(Order.business_id, func.count(), func.sum(Order.total_idr))
            .where(
                Order.business_id.in_(ids),
                Order.status == OrderStatus.COMPLETED,
                Order.created_at >= moment,
            )
            .group_by(Order.business_id)
        )
    }
    sales = dict(
        session.execute(
            select(OffPlatformSale.business_id, func.sum(OffPlatformSale.amount_idr))
            .where(OffPlatformSale.business_id.in_(ids), OffPlatformSale.sold_on >= since)
            .group_by(OffPlatformSale.business_id)
        ).all()
    )
    names = dict(
        session.execute(
            select(Region.code, Region.name).where(Region.code.in_({b.regency_code for b in items}))
        ).all()
    )
    out = []
    for b in items:
        rows = check_ins.get(b.id, [])
        revenues = [r for _, _, r in rows if r is not None]
        value, first = received.get(b.id, (0, None))
        count, total = orders.get(b.id, (0, 0))
        out.append(
            FundedBusiness(
                business_id=b.id,
                business_name=b.name,
                regency={"code": b.regency_code, "name": names.get(b.regency_code, "")},
                activity_status=b.activity_status,
                value_received_idr=value,
                first_disbursement_on=first,
                since=since,
                check_ins=len(rows),
                months_trading=sum(1 for _, trading, _ in rows if trading),
                last_check_in_month=last_month.get(b.id),
                median_monthly_revenue_idr=int(statistics.median(revenues)) if revenues else None,
                orders=count,
                orders_idr=total,
                off_platform_idr=int(sales.get(b.id) or 0),
            )
        )
    return out
