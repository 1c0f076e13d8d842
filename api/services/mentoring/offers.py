"""Mentoring offers: what mentors of verified universities offer (topics, regions, format,
capacity), and a mentor's public profile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Forbidden, NotFound, ValidationFailed
from api.models import (
    MentoringFormat,
    MentoringOffer,
    MentoringRequest,
    OfferKind,
    OfferRegion,
    OfferStatus,
    OfferTopic,
    Organization,
    OrganizationKind,
    Role,
    Topic,
    User,
)
from api.pagination import Page
from api.services import changes, organizations, regions
from api.services.authz import Actor, authorize
from api.services.lifecycle import refuse
from api.services.mentoring.common import COMPLETED, OFFER_SORTS, _event


def verified_university(session: Session, user_id: str) -> Organization | None:
    return organizations.verified_membership(session, user_id, OrganizationKind.UNIVERSITY)


def create_offer(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> MentoringOffer:
    """A mentor of a verified university publishes an offer."""
    mentor = actor.require_user()
    university = verified_university(session, mentor.id)
    if university is None:
        raise Forbidden("not_in_verified_university")
    values = dict(data)
    topics, codes = values.pop("topics"), values.pop("region_codes", [])
    _check_offer(session, values, codes)
    offer = MentoringOffer(
        **values,
        mentor_id=mentor.id,
        organization_id=university.id,
        topic_rows=[OfferTopic(topic=t) for t in sorted(set(topics))],
        region_rows=[OfferRegion(region_code=c) for c in sorted(set(codes))],
    )
    session.add(offer)
    session.flush()
    _event(session, "mentoring_offer.published", offer, actor)
    return offer


def _check_offer(session: Session, values: Mapping[str, Any], codes: Sequence[str]) -> None:
    if (
        values.get("starts_on")
        and values.get("ends_on")
        and values["ends_on"] < values["starts_on"]
    ):
        raise ValidationFailed(errors={"ends_on": ["Must not be before starts_on."]})
    if values.get("kind") == OfferKind.GROUP and not values.get("group_size"):
        raise ValidationFailed(errors={"group_size": ["Required for a group offer."]})
    if values.get("kind") == OfferKind.ONE_TO_ONE and values.get("group_size"):
        raise ValidationFailed(errors={"group_size": ["Only for a group offer."]})
    for index, code in enumerate(codes):
        regions.require_region(session, code, field=f"region_codes.{index}")


def get_offer(
    session: Session, *, actor: Actor, offer_id: str, action: str = "view"
) -> MentoringOffer:
    offer = session.get(MentoringOffer, offer_id)
    if offer is None:
        raise NotFound()
    return authorize(actor, action, offer)


def update_offer(
    session: Session, *, actor: Actor, offer: MentoringOffer, changes: Mapping[str, Any]
) -> MentoringOffer:
    values = dict(changes)
    topics, codes = values.pop("topics", None), values.pop("region_codes", None)
    merged = {
        "starts_on": values.get("starts_on", offer.starts_on),
        "ends_on": values.get("ends_on", offer.ends_on),
        "kind": values.get("kind", offer.kind),
        "group_size": values.get("group_size", offer.group_size),
    }
    _check_offer(session, merged, codes or [])
    for name, value in values.items():
        setattr(offer, name, value)
    if topics is not None:
        offer.topic_rows = [OfferTopic(topic=t) for t in sorted(set(topics))]
    if codes is not None:
        offer.region_rows = [OfferRegion(region_code=c) for c in sorted(set(codes))]
    session.flush()
    _event(session, "mentoring_offer.updated", offer, actor)
    return offer


def close_offer(session: Session, *, actor: Actor, offer_id: str) -> MentoringOffer:
    offer = get_offer(session, actor=actor, offer_id=offer_id, action="edit")
    if offer.status == OfferStatus.CLOSED:
        refuse("close", offer.status)
    offer.status = OfferStatus.CLOSED
    session.flush()
    _event(session, "mentoring_offer.closed", offer, actor)
    return offer


def _serves(code: str | None) -> Any:
    """Offers serving a region: one of its served regions contains it, or it serves all."""
    no_regions = ~exists().where(OfferRegion.offer_id == MentoringOffer.id)
    if not code:
        return no_regions
    parts = code.split(".")
    ancestors = [".".join(parts[: i + 1]) for i in range(len(parts))]
    return no_regions | exists().where(
        OfferRegion.offer_id == MentoringOffer.id, OfferRegion.region_code.in_(ancestors)
    )


def _covers(topic: Topic) -> Any:
    return exists().where(OfferTopic.offer_id == MentoringOffer.id, OfferTopic.topic == topic)


def _format_matches(column: Any, wanted: MentoringFormat) -> Any:
    if wanted == MentoringFormat.BOTH:
        return column == MentoringFormat.BOTH
    return column.in_([wanted, MentoringFormat.BOTH])


def list_offers(
    session: Session,
    *,
    topic: Topic | None = None,
    region: str | None = None,
    format: MentoringFormat | None = None,
    organization: str | None = None,
    mentor: str | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "-created_at",
    updated_since: dt.datetime | None = None,
) -> Page[MentoringOffer]:
    """Active offers that have not ended, filtered."""
    stmt = select(MentoringOffer).where(
        MentoringOffer.status == OfferStatus.ACTIVE, MentoringOffer.ends_on >= utcnow().date()
    )
    if topic:
        stmt = stmt.where(_covers(topic))
    if region:
        stmt = stmt.where(_serves(region))
    if format:
        stmt = stmt.where(_format_matches(MentoringOffer.format, format))
    # Filters no write changes: other offers' changes stay out of a sync.
    stable = [
        condition
        for value, condition in (
            (organization, MentoringOffer.organization_id == organization),
            (mentor, MentoringOffer.mentor_id == mentor),
        )
        if value
    ]
    stmt = stmt.where(*stable)
    return changes.paginate_changes(
        session,
        stmt,
        model=MentoringOffer,
        since=updated_since,
        scope=and_(*stable) if stable else None,
        sort=sort,
        options=OFFER_SORTS,
        limit=limit,
        cursor=cursor,
    )


def mentor_profile(session: Session, *, mentor_id: str) -> dict[str, Any]:
    """A mentor's public profile: her university, offers' topics, completed mentorings, rating."""
    mentor = session.get(User, mentor_id)
    if mentor is None or mentor.role != Role.MENTOR:
        raise NotFound()
    count, total, done = session.execute(
        select(
            func.count(MentoringRequest.rating),
            func.coalesce(func.sum(MentoringRequest.rating), 0),
            func.count().filter(MentoringRequest.status == COMPLETED),
        ).where(MentoringRequest.mentor_id == mentor.id)
    ).one()
    university = verified_university(session, mentor.id)
    return {
        "id": mentor.id,
        "name": mentor.name,
        "organization": {"id": university.id, "name": university.name} if university else None,
        "completed_mentorings": done,
        "rating": {"average": round((total or 0) / count, 2) if count else None, "count": count},
    }
