"""Needs: what a business, a business group, a cohort or a training event (its seats) asks
sponsors for, and their progress
(confirmed disbursements)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

import api.services.sponsorship.targets as targets
from api.catalogue.listing import shown_sql
from api.db import utcnow
from api.errors import Forbidden, NotFound, ValidationFailed
from api.models import (
    Business,
    BusinessGroup,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    NeedStatus,
    SupportNeed,
    TargetType,
    TrainingEvent,
    TrainingEventRegion,
    TrainingEventStatus,
)
from api.pagination import Page
from api.services import businesses, categories, changes, events, groups, regions
from api.services.authz import Actor, authorize
from api.services.lifecycle import refuse
from api.services.sponsorship.common import DEADLINE, NEED_SORTS, OPEN_NEEDS, PROGRESS
from api.services.training.common import is_organizer, serves


def create_need(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> SupportNeed:
    """The owner states what would help: a target value, or items that add up to it."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    return _create(session, actor, TargetType.BUSINESS, business.id, data)


def create_group_need(
    session: Session, *, actor: Actor, group_id: str, data: Mapping[str, Any]
) -> SupportNeed:
    """A group's officers state what would help the group (its equipment, its training)."""
    group = groups.get_group(session, actor=actor, group_id=group_id, action="record")
    return _create(session, actor, TargetType.GROUP, group.id, data)


def create_cohort_need(
    session: Session, *, actor: Actor, cohort_id: str, data: Mapping[str, Any]
) -> SupportNeed:
    """A cohort's facilitators (or admins where it is) state what would help the cohort (the
    facilitators' own training, a shared stall)."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound()
    if not (actor.admin_over(cohort.region_code) or actor.user_id in cohort.facilitator_ids):
        raise Forbidden()
    return _create(session, actor, TargetType.COHORT, cohort.id, data)


def create_event_need(
    session: Session, *, actor: Actor, event_id: str, data: Mapping[str, Any]
) -> SupportNeed:
    """A scheduled training event's organisers ask sponsors for ``seats`` (at most its
    capacity) at a value in rupiah."""
    event = session.get(TrainingEvent, event_id)
    if event is None:
        raise NotFound()
    if not is_organizer(actor, event):
        raise Forbidden()
    if event.status != TrainingEventStatus.SCHEDULED:
        refuse("post_need", event.status)
    if data["seats"] > event.capacity:
        raise ValidationFailed(
            errors={"seats": [f"At most the event's capacity ({event.capacity})."]}
        )
    return _create(session, actor, TargetType.TRAINING_EVENT, event.id, data)


def _create(
    session: Session, actor: Actor, kind: TargetType, target_id: str, data: Mapping[str, Any]
) -> SupportNeed:
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
    need = SupportNeed(**values, **targets.columns(kind, target_id))
    session.add(need)
    session.flush()
    events.record(
        session,
        type="need.posted",
        subject=need,
        actor=actor,
        data={
            "business_id": need.business_id,
            "target_type": kind.value,
            "target_id": target_id,
            "kind": need.kind.value,
        },
        public=True,  # needs are listed for everyone
    )
    return need


def _events_in(region: str) -> Any:
    """Events serving the region (as the events' list has it) or serving a place within it."""
    within = exists().where(
        TrainingEventRegion.event_id == TrainingEvent.id,
        regions.within(TrainingEventRegion.region_code, region),
    )
    return select(TrainingEvent.id).where(serves(region) | within)


def get_need(session: Session, *, actor: Actor, need_id: str, action: str = "view") -> SupportNeed:
    need = session.get(SupportNeed, need_id)
    if need is None:
        raise NotFound()
    return authorize(actor, action, need)


def close_need(session: Session, *, actor: Actor, need_id: str) -> SupportNeed:
    need = get_need(session, actor=actor, need_id=need_id, action="edit")
    if need.status == NeedStatus.CLOSED:
        refuse("close", need.status)
    return _close(session, actor, need)


def close_event_needs(session: Session, *, actor: Actor, event: TrainingEvent) -> None:
    """A cancelled event's open needs close as a need closed by hand does (its proposals are
    left as they are, to be declined or withdrawn)."""
    for need in session.scalars(
        select(SupportNeed)
        .where(SupportNeed.event_id == event.id, SupportNeed.status.in_(OPEN_NEEDS))
        .order_by(SupportNeed.created_at, SupportNeed.id)
    ).all():
        _close(session, actor, need)


def _close(session: Session, actor: Actor, need: SupportNeed) -> SupportNeed:
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
    target_type: TargetType | None = None,
    status: Sequence[NeedStatus] | None = None,
    sort: str = "deadline",
    limit: int,
    cursor: str | None = None,
    updated_since: dt.datetime | None = None,
) -> Page[SupportNeed]:
    """Needs of active businesses, open or partly met unless the owner asks for more."""
    stmt = (
        select(SupportNeed)
        .outerjoin(Business, Business.id == SupportNeed.business_id)
        .outerjoin(BusinessGroup, BusinessGroup.id == SupportNeed.group_id)
        .outerjoin(Cohort, Cohort.id == SupportNeed.cohort_id)
    )
    owner_view = False
    if business:
        owned = businesses.get_business(session, actor=actor, business_id=business)
        stmt = stmt.where(SupportNeed.business_id == owned.id)
        owner_view = businesses.shows_private(actor, owned)
    if not owner_view:
        # A business's needs follow the public catalogue's rule; groups' and cohorts' are listed.
        stmt = stmt.where(or_(SupportNeed.business_id.is_(None), shown_sql(Business)))
    if target_type is not None:
        stmt = stmt.where(SupportNeed.target_type == target_type)
    stmt = stmt.where(
        SupportNeed.status.in_(status or (OPEN_NEEDS if not owner_view else list(NeedStatus)))
    )
    if kind:
        stmt = stmt.where(SupportNeed.kind == kind)
    if region:
        stmt = stmt.where(
            or_(
                regions.within(Business.village_code, region),
                regions.within(BusinessGroup.village_code, region),
                regions.within(Cohort.region_code, region),
                SupportNeed.event_id.in_(_events_in(region)),
            )
        )
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
        stmt = stmt.where(or_(Business.owner_id.in_(graduates), SupportNeed.cohort_id == cohort))
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
        computed={"progress": PROGRESS, "deadline": DEADLINE},
    )
