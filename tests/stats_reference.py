"""The statistics as they were computed before they moved into SQL: every row loaded into
Python. Kept as the oracle the SQL figures are held to (tests/test_stats_sql.py)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import utcnow
from api.models import (
    Business,
    CheckIn,
    ClaimStatus,
    Cohort,
    Disbursement,
    DisbursementStatus,
    GraduateClaim,
    MentoringRequest,
    Order,
    OrderStatus,
    Product,
    ProductStatus,
    RequestStatus,
    RevenueBand,
    RosterEntry,
    Sponsorship,
)
from api.services import regions
from api.services.authz import Actor

MIN_GROUP = 5
SURVIVAL_MONTHS = (3, 6, 12, 24)
GROUPS = ("cohort", "program", "region", "year")
FIGURES = (
    "graduates",
    "verified_graduates",
    "businesses_started",
    "share_active",
    *(f"survival_{m}m" for m in SURVIVAL_MONTHS),
    "median_monthly_revenue_idr",
    "median_revenue_band",
    "products_listed",
    "orders",
    "mentoring_completed",
    "sponsorship_value_idr",
)


@dataclass
class Group:
    key: str
    label: str
    cohorts: list[Cohort] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    suppressed: bool = False


def _key(group: str, cohort: Cohort) -> tuple[str, str]:
    if group == "cohort":
        return cohort.id, cohort.name
    if group == "program":
        return cohort.program_id, cohort.program.name
    if group == "region":
        return cohort.region_code, cohort.region_code  # named below, all at once
    return str(cohort.year), str(cohort.year)


def compute(
    session: Session,
    *,
    actor: Actor,
    group: str,
    program: str | None = None,
    year: int | None = None,
    region: str | None = None,
    today: dt.date | None = None,
) -> list[Group]:
    today = today or utcnow().date()
    stmt = select(Cohort)
    if program:
        stmt = stmt.where(Cohort.program_id == program)
    if year:
        stmt = stmt.where(Cohort.year == year)
    if region:
        stmt = stmt.where(regions.within(Cohort.region_code, region))
    cohorts = list(session.scalars(stmt.order_by(Cohort.year, Cohort.name)))
    groups: dict[str, Group] = {}
    for cohort in cohorts:
        key, label = _key(group, cohort)
        groups.setdefault(key, Group(key, label)).cohorts.append(cohort)
    if group == "region":
        named = regions.names(session, groups)
        for item in groups.values():
            item.label = named.get(item.key, item.key)
    for item in groups.values():
        item.figures = _figures(session, item.cohorts, today)
        small = item.figures["businesses_started"] < MIN_GROUP
        in_scope = actor.is_admin and all(actor.covers(c.region_code) for c in item.cohorts)
        if small and not in_scope:
            item.suppressed = True
            item.figures = dict.fromkeys(FIGURES)
    return list(groups.values())


def _figures(session: Session, cohorts: list[Cohort], today: dt.date) -> dict[str, Any]:
    ids = [c.id for c in cohorts]
    graduates = session.scalar(
        select(func.count()).select_from(RosterEntry).where(RosterEntry.cohort_id.in_(ids))
    )
    claims = session.execute(
        select(GraduateClaim.user_id, GraduateClaim.cohort_id).where(
            GraduateClaim.cohort_id.in_(ids), GraduateClaim.status == ClaimStatus.VERIFIED
        )
    ).all()
    graduated_on = {c.id: c.graduated_on for c in cohorts}
    owners = {user_id for user_id, _ in claims}
    # A graduate's businesses are measured from her (earliest) cohort's graduation.
    since: dict[str, dt.date | None] = {}
    for user_id, cohort_id in claims:
        day = graduated_on[cohort_id]
        if user_id not in since or (day and (since[user_id] is None or day < since[user_id])):  # type: ignore[operator]
            since[user_id] = day
    businesses = list(session.scalars(select(Business).where(Business.owner_id.in_(owners))))
    ids_b = [b.id for b in businesses]
    active = sum(1 for b in businesses if b.activity_status == "active")
    figures: dict[str, Any] = {
        "graduates": int(graduates or 0),
        "verified_graduates": len(owners),
        "businesses_started": len(businesses),
        "share_active": round(active / len(businesses), 4) if businesses else None,
    }
    trading = defaultdict(set)
    reported_months = defaultdict(set)
    for business_id, month, is_trading in session.execute(
        select(CheckIn.business_id, CheckIn.month, CheckIn.trading).where(
            CheckIn.business_id.in_(ids_b)
        )
    ):
        reported_months[business_id].add(month)
        if is_trading:
            trading[business_id].add(month)
    order_days = defaultdict(list)
    for business_id, created in session.execute(
        select(Order.business_id, Order.created_at).where(Order.business_id.in_(ids_b))
    ):
        order_days[business_id].append(created.date())
    for months in SURVIVAL_MONTHS:
        alive = existing = 0
        for business in businesses:
            start = since.get(business.owner_id)
            if start is None:
                continue
            target = add_months(start, months)
            listed_later = business.created_at.date() > target
            reported = any(m <= target for m in reported_months[business.id])
            if target > today or (listed_later and not reported):
                continue  # not known to exist then: listed later, no check-in back then
            existing += 1
            window = {target.replace(day=1), add_months(target.replace(day=1), -1)}
            recent = any(
                target - dt.timedelta(days=60) <= d <= target for d in order_days[business.id]
            )
            if trading[business.id] & window or recent:
                alive += 1
        figures[f"survival_{months}m"] = round(alive / existing, 4) if existing else None
    year_ago = add_months(today.replace(day=1), -12)
    # One value per business: its latest monthly amount (band) reported in the last 12 months.
    latest_amount: dict[str, tuple[dt.date, int]] = {}
    latest_band: dict[str, tuple[dt.date, int]] = {}
    for business_id, month, band, value in session.execute(
        select(CheckIn.business_id, CheckIn.month, CheckIn.revenue_band, CheckIn.revenue_idr).where(
            CheckIn.business_id.in_(ids_b)
        )
    ):
        if value is not None and month > latest_amount.get(business_id, (dt.date.min, 0))[0]:
            latest_amount[business_id] = (month, value)
        if band is not None or value is not None:
            rank = BANDS.index(band) if band is not None else BANDS.index(_band_of(value))
            if month > latest_band.get(business_id, (dt.date.min, 0))[0]:
                latest_band[business_id] = (month, rank)
    revenues = [value for month, value in latest_amount.values() if month >= year_ago]
    figures["median_monthly_revenue_idr"] = int(statistics.median(revenues)) if revenues else None
    bands = sorted(rank for month, rank in latest_band.values() if month >= year_ago)
    figures["median_revenue_band"] = BANDS[statistics.median_low(bands)] if bands else None
    figures["products_listed"] = _count(
        session,
        select(func.count())
        .select_from(Product)
        .where(Product.business_id.in_(ids_b), Product.status == ProductStatus.PUBLISHED),
    )
    figures["orders"] = _count(
        session,
        select(func.count())
        .select_from(Order)
        .where(Order.business_id.in_(ids_b), Order.status == OrderStatus.COMPLETED),
    )
    figures["mentoring_completed"] = _count(
        session,
        select(func.count())
        .select_from(MentoringRequest)
        .where(
            MentoringRequest.alumna_id.in_(owners),
            MentoringRequest.status == RequestStatus.COMPLETED,
        ),
    )
    figures["sponsorship_value_idr"] = _count(
        session,
        select(func.coalesce(func.sum(Disbursement.value_idr), 0))
        .join(Sponsorship, Sponsorship.id == Disbursement.sponsorship_id)
        .where(
            Sponsorship.business_id.in_(ids_b), Disbursement.status == DisbursementStatus.CONFIRMED
        ),
    )
    return figures


BANDS = list(RevenueBand)


def _band_of(amount: int) -> RevenueBand:
    """Written out again, independently of ``stats.BAND_FLOORS``."""
    if amount == 0:
        return RevenueBand.NONE
    if amount < 1_000_000:
        return RevenueBand.UNDER_1M
    if amount < 5_000_000:
        return RevenueBand.FROM_1M_TO_5M
    if amount < 15_000_000:
        return RevenueBand.FROM_5M_TO_15M
    return RevenueBand.OVER_15M


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)
