"""The sponsor's impact report: its businesses' figures before and after sponsorship (JSON
and CSV)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import api.services.sponsorship.targets as targets
from api.db import utcnow
from api.errors import NotFound
from api.models import (
    Business,
    CertificateStatus,
    Disbursement,
    DisbursementStatus,
    Milestone,
    OffPlatformSale,
    Order,
    OrderStatus,
    Organization,
    Product,
    SponsorConsent,
    Sponsorship,
    TargetType,
    TrainingCertificate,
    TrainingRegistration,
)
from api.services import regions
from api.services.authz import Actor, authorize
from api.services.sponsorship.consents import consenting_businesses

WINDOW = dt.timedelta(days=180)


@dataclass
class BusinessImpact:
    business_id: str
    business_name: str
    regency: dict[str, str]  # a place: {code, name}
    value_received_idr: int
    consented: bool
    first_disbursement_on: dt.date | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    activity_status: str | None = None


@dataclass
class ImpactReport:
    organization_id: str
    organization_name: str
    year: int
    sponsorships: dict[str, int]
    businesses_reached: int
    women_reached: int
    value_disbursed_idr: int
    by_kind: dict[str, int]
    by_region: list[dict[str, Any]]  # [{region: {code, name}, value_idr}], largest first
    milestones_met: int
    # Sponsorships that reached something this year, by kind of target.
    targets_reached: dict[str, int] = field(default_factory=dict)
    # Of the training events sponsored: women who came, and who completed (a valid certificate).
    training_attended: int = 0
    training_completed: int = 0
    businesses: list[BusinessImpact] = field(default_factory=list)


def impact_report(
    session: Session, *, actor: Actor, organization_id: str, year: int
) -> ImpactReport:
    """What the organisation's sponsorships did in a year; figures of a business only with its
    owner's consent (checked now: a revoked consent hides them at once). Women reached count
    once each, whether reached alone, through her group or through her cohort; the businesses
    of women reached through a group or a cohort are listed when they consented."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    authorize(actor, "view_members", organization)
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    sponsorships = session.scalars(
        select(Sponsorship).where(Sponsorship.organization_id == organization.id)
    ).all()
    by_status: dict[str, int] = defaultdict(int)
    for s in sponsorships:
        by_status[s.status.value] += 1
    rows = session.execute(
        select(Disbursement, Sponsorship)
        .join(Sponsorship, Sponsorship.id == Disbursement.sponsorship_id)
        .where(
            Sponsorship.organization_id == organization.id,
            Disbursement.status == DisbursementStatus.CONFIRMED,
            Disbursement.disbursed_on >= start,
            Disbursement.disbursed_on < end,
        )
        .order_by(Disbursement.disbursed_on)
    ).all()
    by_kind: dict[str, int] = defaultdict(int)
    by_region: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    first: dict[str, dt.date] = {}  # business -> first disbursement that reached it
    targeted: dict[str, Sponsorship] = {}
    for disbursement, sponsorship in rows:
        by_kind[sponsorship.kind.value] += disbursement.value_idr
        regency = (targets.region_of(session, sponsorship) or "")[:5]
        by_region[regency] += disbursement.value_idr
        targeted.setdefault(sponsorship.id, sponsorship)
        if sponsorship.business_id is not None:
            received[sponsorship.business_id] += disbursement.value_idr
            first.setdefault(sponsorship.business_id, disbursement.disbursed_on)
    region_names = regions.names(session, list(by_region))
    milestones = session.scalar(
        select(func.count())
        .select_from(Milestone)
        .join(Sponsorship, Sponsorship.id == Milestone.sponsorship_id)
        .where(
            Sponsorship.organization_id == organization.id,
            Milestone.met_at >= dt.datetime.combine(start, dt.time(), dt.UTC),
            Milestone.met_at < dt.datetime.combine(end, dt.time(), dt.UTC),
        )
    )
    women = targets.women_reached(session, list(targeted.values()))
    reach = Counter(s.target_type.value for s in targeted.values())
    report = ImpactReport(
        organization.id,
        organization.name,
        year,
        dict(by_status),
        len(received),
        len(women),
        sum(by_kind.values()),
        dict(by_kind),
        [
            {"region": {"code": code, "name": region_names.get(code, "")}, "value_idr": value}
            for code, value in sorted(by_region.items(), key=lambda item: (-item[1], item[0]))
        ],
        int(milestones or 0),
        targets_reached={kind.value: reach.get(kind.value, 0) for kind in TargetType},
    )
    event_ids = [s.event_id for s in targeted.values() if s.event_id]
    report.training_attended, report.training_completed = _trained(session, event_ids)
    # Groups, cohorts and events reach the businesses of their women: listed with consent only.
    pivots = _pivots(session, rows)
    reached = [b for b in (session.get(Business, i) for i in received) if b is not None]
    indirect = [
        b
        for b in targets.businesses_of(session, set(pivots))
        if b.id not in received and _pivot(b, pivots, session) is not None
    ]
    consenting = set(
        session.scalars(
            consenting_businesses(organization.id).where(
                SponsorConsent.business_id.in_([b.id for b in (*reached, *indirect)])
            )
        )
    )
    for business in reached:
        report.businesses.append(
            _business_impact(
                session,
                business,
                received[business.id],
                first[business.id],
                business.id in consenting,
            )
        )
    for business in indirect:
        if business.id in consenting:
            pivot = _pivot(business, pivots, session)
            assert pivot is not None
            report.businesses.append(_business_impact(session, business, 0, pivot, True))
    return report


def _trained(session: Session, event_ids: list[str]) -> tuple[int, int]:
    """Women (each once) who attended these events, and who were certified by one (a
    certificate not revoked)."""
    if not event_ids:
        return 0, 0
    attended = session.scalar(
        select(func.count(func.distinct(TrainingRegistration.user_id))).where(
            TrainingRegistration.event_id.in_(event_ids), TrainingRegistration.attended.is_(True)
        )
    )
    completed = session.scalar(
        select(func.count(func.distinct(TrainingCertificate.user_id))).where(
            TrainingCertificate.event_id.in_(event_ids),
            TrainingCertificate.status != CertificateStatus.REVOKED,
        )
    )
    return int(attended or 0), int(completed or 0)


def _pivots(session: Session, rows: Any) -> dict[str, dt.date]:
    """Each woman a group, cohort or event sponsorship reached -> its first confirmed
    disbursement."""
    found: dict[str, dt.date] = {}
    for disbursement, sponsorship in rows:
        if sponsorship.business_id is not None:
            continue
        for woman in targets.women_reached(session, [sponsorship]):
            found.setdefault(woman, disbursement.disbursed_on)
    return found


def _pivot(business: Business, pivots: dict[str, dt.date], session: Session) -> dt.date | None:
    """When support first reached a business's women (its owner, or its group's members)."""
    women = targets.women_reached_by_business(session, business)
    days = [pivots[w] for w in women if w in pivots]
    return min(days) if days else None


def _business_impact(
    session: Session, business: Business, value: int, since: dt.date, consented: bool
) -> BusinessImpact:
    item = BusinessImpact(
        business.id,
        business.name,
        regions.place(session, business.regency_code),
        value,
        consented,
        since if consented else None,
    )
    if consented:
        pivot = dt.datetime.combine(since, dt.time(), dt.UTC)
        item.before = _activity_between(session, business, pivot - WINDOW, pivot)
        item.after = _activity_between(session, business, pivot, min(pivot + WINDOW, utcnow()))
        item.activity_status = business.activity_status
    return item


def _activity_between(
    session: Session, business: Business, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Products listed at the end, completed orders and all sales within [start, end)."""
    listed = session.scalar(
        select(func.count()).where(
            Product.business_id == business.id,
            Product.published_at.is_not(None),
            Product.published_at < end,
        )
    )
    orders, on_platform = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.total_idr), 0)).where(
            Order.business_id == business.id,
            Order.status == OrderStatus.COMPLETED,
            Order.completed_at >= start,
            Order.completed_at < end,
        )
    ).one()
    off_platform = session.scalar(
        select(func.coalesce(func.sum(OffPlatformSale.amount_idr), 0)).where(
            OffPlatformSale.business_id == business.id,
            OffPlatformSale.sold_on >= start.date(),
            OffPlatformSale.sold_on < end.date(),
        )
    )
    return {
        "from_": start.date().isoformat(),
        "to": end.date().isoformat(),
        "products_listed": int(listed or 0),
        "orders": int(orders or 0),
        "sales_idr": int(on_platform or 0) + int(off_platform or 0),
    }


def report_csv_rows(report: ImpactReport) -> list[list[Any]]:
    header = [
        "business_id",
        "business",
        "regency",
        "value_received_idr",
        "consented",
        "first_disbursement_on",
        "products_before",
        "products_after",
        "orders_before",
        "orders_after",
        "sales_before_idr",
        "sales_after_idr",
        "activity_status",
    ]
    rows: list[list[Any]] = [header]
    for b in report.businesses:
        before, after = b.before or {}, b.after or {}
        rows.append(
            [
                b.business_id,
                b.business_name,
                b.regency["name"],
                b.value_received_idr,
                "yes" if b.consented else "no",
                b.first_disbursement_on or "",
                before.get("products_listed", ""),
                after.get("products_listed", ""),
                before.get("orders", ""),
                after.get("orders", ""),
                before.get("sales_idr", ""),
                after.get("sales_idr", ""),
                b.activity_status or "",
            ]
        )
    return rows
