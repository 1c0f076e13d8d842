"""Needs: what a business asks sponsors for, and their progress (confirmed disbursements)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.catalogue.listing import shown_sql
from api.db import utcnow
from api.errors import NotFound, ValidationFailed
from api.models import (
    Business,
    ClaimStatus,
    GraduateClaim,
    NeedStatus,
    SupportNeed,
)
from api.pagination import Page
from api.services import businesses, categories, changes, events, regions
from api.services.authz import Actor, authorize
from api.services.lifecycle import refuse
from api.services.sponsorship.common import NEED_SORTS, OPEN_NEEDS, PROGRESS


def create_need(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> SupportNeed:
    """The owner states what would help: a target value, or items that add up to it."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    values = dict(data)
    items = values.get("items") or []
    if values.get("target_value_idr") is None:
        if not items:
            raise ValidationFailed(
                errors={"target_value_idr": ["Give a target or a list of items."]}
            )
        values["target_value_idr"] = sum(i["value_idr"] * i.get("quantity", 1) for i in items)
    if values.get("deadline") and values["deadline"] < utcnow().date():
        raise ValidationFailed(errors={"deadline": ["Must not be in the past."]})
    need = SupportNeed(**values, business_id=business.id)
    session.add(need)
    session.flush()
    events.record(
        session,
        type="need.posted",
        subject=need,
        actor=actor,
        data={"business_id": business.id, "kind": need.kind.value},
        public=True,  # needs are listed for everyone
    )
    return need


def get_need(session: Session, *, actor: Actor, need_id: str, action: str = "view") -> SupportNeed:
    need = session.get(SupportNeed, need_id)
    if need is None:
        raise NotFound()
    return authorize(actor, action, need)


def close_need(session: Session, *, actor: Actor, need_id: str) -> SupportNeed:
    need = get_need(session, actor=actor, need_id=need_id, action="edit")
    if need.status == NeedStatus.CLOSED:
        refuse("close", need.status)
    need.status, need.closed_at = NeedStatus.CLOSED, utcnow()
    session.flush()
    events.record(session, type="need.closed", subject=need, actor=actor, public=True)
    return need


def browse_needs(
    session: Session,
    *,
    actor: Actor,
    business: str | None = None,
    kind: Any = None,
    region: str | None = None,
    category: str | None = None,
    verified_graduate: bool | None = None,
    amount_min: int | None = None,
    amount_max: int | None = None,
    deadline_before: dt.date | None = None,
    cohort: str | None = None,
    status: Sequence[NeedStatus] | None = None,
    sort: str = "deadline",
    limit: int,
    cursor: str | None = None,
    updated_since: dt.datetime | None = None,
) -> Page[SupportNeed]:
    """Needs of active businesses, open or partly met unless the owner asks for more."""
    stmt = select(SupportNeed).join(Business, Business.id == SupportNeed.business_id)
    owner_view = False
    if business:
        owned = businesses.get_business(session, actor=actor, business_id=business)
        stmt = stmt.where(SupportNeed.business_id == owned.id)
        owner_view = businesses.shows_private(actor, owned)
    if not owner_view:
        stmt = stmt.where(shown_sql(Business))  # the public catalogue's rule
    stmt = stmt.where(
        SupportNeed.status.in_(status or (OPEN_NEEDS if not owner_view else list(NeedStatus)))
    )
    if kind:
        stmt = stmt.where(SupportNeed.kind == kind)
    if region:
        stmt = stmt.where(regions.within(Business.village_code, region))
    if category:
        stmt = stmt.where(Business.category_id.in_(categories.with_descendants(session, category)))
    if verified_graduate is not None:
        stmt = stmt.where(Business.verified_graduate.is_(verified_graduate))
    if amount_min is not None:
        stmt = stmt.where(SupportNeed.target_value_idr >= amount_min)
    if amount_max is not None:
        stmt = stmt.where(SupportNeed.target_value_idr <= amount_max)
    if deadline_before:
        stmt = stmt.where(SupportNeed.deadline < deadline_before)
    if cohort:
        graduates = select(GraduateClaim.user_id).where(
            GraduateClaim.cohort_id == cohort, GraduateClaim.status == ClaimStatus.VERIFIED
        )
        stmt = stmt.where(Business.owner_id.in_(graduates))
    if sort.lstrip("-") == "deadline":
        stmt = stmt.where(SupportNeed.deadline.is_not(None))
    return changes.paginate_changes(
        session,
        stmt,
        model=SupportNeed,
        since=updated_since,
        scope=SupportNeed.business_id == business if business else None,
        user_id=actor.user_id,
        sort=sort,
        options=NEED_SORTS,
        limit=limit,
        cursor=cursor,
        computed={"progress": PROGRESS},
    )
