"""Research export: an anonymised dataset of businesses for universities under a data-use
agreement. No names, phones, addresses or exact places; ids are stable pseudonyms (a keyed hash,
so the same business has the same id in every export and cannot be traced back without the
server's secret); regions at district level; dates at month precision."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound
from api.models import (
    Business,
    CheckIn,
    ClaimStatus,
    Cohort,
    Disbursement,
    DisbursementStatus,
    GraduateClaim,
    Membership,
    Order,
    OrderStatus,
    Organization,
    OrganizationKind,
    Product,
    ProductStatus,
    Sponsorship,
)
from api.services import events
from api.services.authz import Actor

COLUMNS = (
    "business",
    "owner",
    "district_code",
    "regency_code",
    "category",
    "status",
    "activity_status",
    "started",
    "verified_graduate",
    "cohort_year",
    "products_listed",
    "orders_completed",
    "check_ins",
    "months_trading",
    "median_revenue_idr",
    "sponsorship_value_idr",
)


def set_agreement(
    session: Session, *, actor: Actor, organization_id: str, signed: bool
) -> Organization:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    if signed and (organization.kind != OrganizationKind.UNIVERSITY or not organization.verified):
        raise Conflict("not_a_verified_university")
    organization.data_use_agreement_at = utcnow() if signed else None
    session.flush()
    events.record(
        session,
        type="organization.data_use_agreement_" + ("signed" if signed else "ended"),
        subject=organization,
        actor=actor,
    )
    return organization


def may_export(session: Session, actor: Actor) -> bool:
    if actor.is_admin and actor.regions is None:
        return True
    if actor.user_id is None:
        return False
    return bool(
        session.scalar(
            select(Organization.id)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(
                Membership.user_id == actor.user_id,
                Organization.kind == OrganizationKind.UNIVERSITY,
                Organization.verified_at.is_not(None),
                Organization.data_use_agreement_at.is_not(None),
            )
            .limit(1)
        )
    )


def pseudonym(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:16]


def export(session: Session, *, actor: Actor, secret: str) -> list[dict[str, Any]]:
    """One row per business, anonymised (see the module's note)."""
    if not may_export(session, actor):
        raise Forbidden("no_data_use_agreement")
    businesses = list(session.scalars(select(Business).order_by(Business.created_at, Business.id)))
    published = dict(
        session.execute(
            select(Product.business_id, func.count())
            .where(Product.status == ProductStatus.PUBLISHED)
            .group_by(Product.business_id)
        ).all()
    )
    orders = dict(
        session.execute(
            select(Order.business_id, func.count())
            .where(Order.status == OrderStatus.COMPLETED)
            .group_by(Order.business_id)
        ).all()
    )
    sponsored = dict(
        session.execute(
            select(Sponsorship.business_id, func.sum(Disbursement.value_idr))
            .join(Disbursement, Disbursement.sponsorship_id == Sponsorship.id)
            .where(Disbursement.status == DisbursementStatus.CONFIRMED)
            .group_by(Sponsorship.business_id)
        ).all()
    )
    counts: dict[str, tuple[int, int]] = {
        business_id: (int(total), int(trading or 0))
        for business_id, total, trading in session.execute(
            select(
                CheckIn.business_id,
                func.count(),
                func.sum(case((CheckIn.trading.is_(True), 1), else_=0)),
            ).group_by(CheckIn.business_id)
        )
    }
    revenues: dict[str, list[int]] = defaultdict(list)
    for business_id, revenue in session.execute(
        select(CheckIn.business_id, CheckIn.revenue_idr)
        .where(CheckIn.revenue_idr.is_not(None))
        .order_by(CheckIn.business_id, CheckIn.revenue_idr)
    ):
        if revenue is not None:  # filtered above; the row type does not know it
            revenues[business_id].append(revenue)
    cohort_year: dict[str, int] = {}
    for user_id, year in session.execute(
        select(GraduateClaim.user_id, Cohort.year)
        .join(Cohort, Cohort.id == GraduateClaim.cohort_id)
        .where(GraduateClaim.status == ClaimStatus.VERIFIED)
        .order_by(Cohort.year)
    ):
        cohort_year.setdefault(user_id, year)
    rows = []
    for b in businesses:
        total, trading = counts.get(b.id, (0, 0))
        sorted_revenue = revenues[b.id]
        rows.append(
            {
                "business": pseudonym(secret, "business", b.id),
                "owner": pseudonym(secret, "user", b.owner_id),
                "district_code": b.district_code,
                "regency_code": b.regency_code,
                "category": b.category.slug,
                "status": b.status.value,
                "activity_status": b.activity_status,
                "started": b.created_at.strftime("%Y-%m"),
                "verified_graduate": b.verified_graduate,
                "cohort_year": cohort_year.get(b.owner_id),
                "products_listed": int(published.get(b.id, 0)),
                "orders_completed": int(orders.get(b.id, 0)),
                "check_ins": total,
                "months_trading": trading,
                "median_revenue_idr": (
                    sorted_revenue[len(sorted_revenue) // 2] if sorted_revenue else None
                ),
                "sponsorship_value_idr": int(sponsored.get(b.id) or 0),
            }
        )
    return rows
