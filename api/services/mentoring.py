"""Mentoring: university mentors' offers, graduates' requests and their lifecycle, sessions,
feedback, and the university's community-service record.

Request lifecycle: open -> accepted (by a mentor of a verified university, within the capacity
of one of her offers) -> in_progress (when the first session is recorded as held) -> completed
(both confirm, or the mentor confirms and 14 days pass). The alumna may cancel until it is
completed; the mentor who declines returns it to open; an open request nobody accepts expires
30 days after it (re)opened. ``housekeeping`` runs the timed steps.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from api.db import advisory_lock, utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    Attendance,
    Business,
    MentoringFormat,
    MentoringOffer,
    MentoringRequest,
    MentoringSession,
    OfferKind,
    OfferRegion,
    OfferStatus,
    OfferTopic,
    Organization,
    OrganizationKind,
    RequestStatus,
    Role,
    SessionStatus,
    Topic,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services import events, organizations, regions
from api.services.authz import Actor, authorize
from api.services.lifecycle import Lifecycle, refuse
from api.services.shown import Shown

TOPICS: dict[Topic, tuple[str, str]] = {
    Topic.ENTREPRENEURSHIP: ("Kewirausahaan", "Entrepreneurship"),
    Topic.BOOKKEEPING: (
        "Pembukuan dan pengelolaan keuangan",
        "Bookkeeping and financial management",
    ),
    Topic.DIGITAL_MARKETING: ("Pemasaran digital", "Digital marketing"),
    Topic.PRODUCT_PHOTOGRAPHY: ("Foto produk", "Product photography"),
    Topic.PACKAGING_BRANDING: ("Kemasan dan merek", "Packaging and branding"),
    Topic.PRICING_COSTING: ("Penetapan harga dan biaya", "Pricing and costing"),
    Topic.LICENSING: ("Perizinan (NIB, P-IRT, halal)", "Licensing (NIB, P-IRT, halal)"),
    Topic.ONLINE_MARKETPLACES: ("Marketplace daring", "Online marketplaces"),
    Topic.PRODUCTION_QUALITY: ("Produksi dan mutu", "Production and quality"),
    Topic.LEGAL_BASICS: ("Dasar hukum usaha", "Legal basics"),
}
MAX_OPEN_REQUESTS = 3
EXPIRE_AFTER = dt.timedelta(days=30)
CONFIRM_GRACE = dt.timedelta(days=14)
OFFER_SORTS = sort_options(MentoringOffer, created_at=["created_at"])
REQUEST_SORTS = sort_options(MentoringRequest, created_at=["created_at"])
SESSION_SORTS = sort_options(MentoringSession, starts_at=["starts_at"])

OPEN, ACCEPTED, IN_PROGRESS, COMPLETED, CANCELLED, EXPIRED = (
    RequestStatus.OPEN,
    RequestStatus.ACCEPTED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.COMPLETED,
    RequestStatus.CANCELLED,
    RequestStatus.EXPIRED,
)
MENTOR: Lifecycle[RequestStatus] = Lifecycle(
    {
        "accept": (frozenset({OPEN}), ACCEPTED),
        "decline": (frozenset({OPEN, ACCEPTED}), OPEN),
        "confirm": (frozenset({IN_PROGRESS}), IN_PROGRESS),
    }
)
ALUMNA: Lifecycle[RequestStatus] = Lifecycle(
    {
        "cancel": (frozenset({OPEN, ACCEPTED, IN_PROGRESS}), CANCELLED),
        "confirm": (frozenset({IN_PROGRESS}), IN_PROGRESS),
    }
)
ACTIVE = frozenset({ACCEPTED, IN_PROGRESS})


def topic_list() -> list[dict[str, str]]:
    return [{"code": t, "name_id": n[0], "name_en": n[1]} for t, n in TOPICS.items()]


# -- offers ---------------------------------------------------------------------------------


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
    if organization:
        stmt = stmt.where(MentoringOffer.organization_id == organization)
    if mentor:
        stmt = stmt.where(MentoringOffer.mentor_id == mentor)
    return paginate(
        session,
        stmt,
        model=MentoringOffer,
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


# -- requests -------------------------------------------------------------------------------


def create_request(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> MentoringRequest:
    """An alumna asks for help (at most three open requests at a time)."""
    alumna = actor.require_user()
    advisory_lock(session, "mentoring-requests:" + alumna.id)
    open_count = session.scalar(
        select(func.count()).where(
            MentoringRequest.alumna_id == alumna.id, MentoringRequest.status == OPEN
        )
    )
    if (open_count or 0) >= MAX_OPEN_REQUESTS:
        raise Conflict("too_many_open_requests", params={"limit": MAX_OPEN_REQUESTS})
    values = dict(data)
    region_code = values.pop("region_code", None)
    business_id = values.get("business_id")
    if business_id:
        business = session.get(Business, business_id)
        if business is None or business.owner_id != alumna.id:
            raise ValidationFailed(errors={"business_id": ["Not one of your businesses."]})
        region_code = business.village_code
    elif region_code:
        regions.require_region(session, region_code, field="region_code")
    offer_id = values.get("offer_id")
    if offer_id:
        offer = session.get(MentoringOffer, offer_id)
        if offer is None or offer.status != OfferStatus.ACTIVE:
            raise ValidationFailed(errors={"offer_id": ["Not an active offer."]})
        if values["topic"].value not in offer.topics:
            raise ValidationFailed(errors={"topic": ["The offer does not cover this topic."]})
    now = utcnow()
    request = MentoringRequest(
        **values,
        alumna_id=alumna.id,
        region_code=region_code,
        opened_at=now,
        expires_at=now + EXPIRE_AFTER,
    )
    session.add(request)
    session.flush()
    addressed = session.get(MentoringOffer, offer_id).mentor_id if offer_id else None  # type: ignore[union-attr]
    _event(session, "mentoring_request.opened", request, actor, notify=(addressed,))
    return request


def is_alumna(actor: Actor, request: MentoringRequest) -> bool:
    return actor.user_id is not None and actor.user_id == request.alumna_id


def is_mentor(actor: Actor, request: MentoringRequest) -> bool:
    return actor.user_id is not None and actor.user_id == request.mentor_id


def is_party(actor: Actor, request: MentoringRequest) -> bool:
    return is_alumna(actor, request) or is_mentor(actor, request)


def _addressed_to(actor: Actor, request: MentoringRequest) -> bool:
    """The request names an offer of this mentor's."""
    return request.offer is not None and request.offer.mentor_id == actor.user_id


def shown(actor: Actor, request: MentoringRequest) -> Shown[MentoringRequest]:
    """The request as the caller sees it: what she may do with it now, and the two parties'
    contacts for the parties themselves and the admins of its region only."""
    private = is_party(actor, request) or actor.admin_over(request.region_code)
    return Shown(
        request,
        allowed_actions=allowed_actions(actor, request),
        alumna_contact=_contact(request.alumna) if private else None,
        mentor_contact=_contact(request.mentor) if private else None,
    )


def _contact(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"name": user.name, "email": user.email, "phone": user.phone}


def allowed_actions(actor: Actor, request: MentoringRequest) -> list[str]:
    """What the caller may do with the request now."""
    addressed_to_me = _addressed_to(actor, request)
    mentor_may = {
        "accept": request.offer_id is None or addressed_to_me,
        "decline": is_mentor(actor, request) or (request.status == OPEN and addressed_to_me),
        "confirm": is_mentor(actor, request) and request.mentor_confirmed_at is None,
    }
    actions: list[str] = []
    if actor.role == Role.MENTOR:
        actions += [a for a in MENTOR.allowed(request.status) if mentor_may[a]]
    if is_alumna(actor, request):
        alumna_may = {"cancel": True, "confirm": request.alumna_confirmed_at is None}
        actions += [a for a in ALUMNA.allowed(request.status) if alumna_may[a]]
    return actions


def get_request(session: Session, *, actor: Actor, request_id: str) -> MentoringRequest:
    """A request: its parties and admins see it all; mentors see open ones without contact."""
    request = session.get(MentoringRequest, request_id)
    if request is None:
        raise NotFound()
    return authorize(actor, "view", request)


def act(
    session: Session, *, actor: Actor, request_id: str, action: str, **values: Any
) -> MentoringRequest:
    """One step of the request's lifecycle, by whoever may take it (409 naming what is allowed)."""
    request = get_request(session, actor=actor, request_id=request_id)
    if action in ("accept", "decline") or (action == "confirm" and actor.role == Role.MENTOR):
        lifecycle = MENTOR
    else:
        lifecycle = ALUMNA
    if lifecycle is MENTOR and actor.role != Role.MENTOR:
        raise Forbidden("not_your_action", params={"action": action})
    if lifecycle is ALUMNA and not is_alumna(actor, request):
        raise Forbidden("not_your_action", params={"action": action})
    now = utcnow()
    extra: dict[str, Any] = {}
    if action == "accept":
        _accept(session, actor, request, values.get("offer_id"))
    elif action == "decline":
        if not (
            is_mentor(actor, request) or (request.status == OPEN and _addressed_to(actor, request))
        ):
            raise Forbidden("not_your_action", params={"action": action})
        lifecycle.apply(request, action)
        extra = {"reason": values.get("reason"), "mentor_id": request.mentor_id}
        request.offer_id = request.mentor_id = request.organization_id = None
        request.accepted_at = None
        request.opened_at, request.expires_at = now, now + EXPIRE_AFTER
        request.reason = values.get("reason")
    elif action == "cancel":
        lifecycle.apply(request, action)
        request.reason, request.closed_at = values.get("reason"), now
        session.execute(
            update(MentoringSession)
            .where(
                MentoringSession.request_id == request.id,
                MentoringSession.status == SessionStatus.SCHEDULED,
            )
            .values(status=SessionStatus.CANCELLED, reason="mentoring cancelled")
        )
    elif action == "confirm":
        if lifecycle is MENTOR and not is_mentor(actor, request):
            raise Forbidden("not_your_action", params={"action": action})
        lifecycle.apply(request, action)
        if lifecycle is MENTOR:
            if request.mentor_confirmed_at:
                raise Conflict("already_confirmed")
            request.mentor_confirmed_at = now
            request.outcome = values.get("outcome") or request.outcome
            request.completes_at = now + CONFIRM_GRACE
        else:
            if request.alumna_confirmed_at:
                raise Conflict("already_confirmed")
            request.alumna_confirmed_at = now
        if request.mentor_confirmed_at and request.alumna_confirmed_at:
            request.status, request.completed_at = COMPLETED, now
    session.flush()
    _event(session, f"mentoring_request.{_past(action, request)}", request, actor, **extra)
    return request


def _past(action: str, request: MentoringRequest) -> str:
    if action == "confirm":
        return "completed" if request.status == COMPLETED else "confirmed"
    return {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}[action]


def _accept(
    session: Session, actor: Actor, request: MentoringRequest, offer_id: str | None
) -> None:
    mentor = actor.require_user()
    university = verified_university(session, mentor.id)
    if university is None:
        raise Forbidden("not_in_verified_university")
    chosen = request.offer_id or offer_id
    if not chosen:
        raise ValidationFailed(errors={"offer_id": ["Name the offer you take this on under."]})
    offer = session.scalar(
        select(MentoringOffer)
        .where(MentoringOffer.id == chosen)
        .with_for_update(of=MentoringOffer)
        .execution_options(populate_existing=True)
    )
    if offer is None or offer.mentor_id != mentor.id:
        if request.offer_id:
            raise Forbidden("not_your_action", params={"action": "accept"})
        raise ValidationFailed(errors={"offer_id": ["Not one of your offers."]})
    if offer.status != OfferStatus.ACTIVE:
        raise ValidationFailed(errors={"offer_id": ["The offer is closed."]})
    if request.topic.value not in offer.topics:
        raise ValidationFailed(errors={"offer_id": ["The offer does not cover this topic."]})
    taken = session.scalar(
        select(func.count()).where(
            MentoringRequest.offer_id == offer.id, MentoringRequest.status.in_(ACTIVE)
        )
    )
    if (taken or 0) >= offer.capacity:
        raise Conflict("offer_full", params={"capacity": offer.capacity})
    MENTOR.apply(request, "accept")
    request.offer_id, request.mentor_id = offer.id, mentor.id
    request.organization_id = offer.organization_id
    request.accepted_at, request.expires_at = utcnow(), None
    session.flush()


def list_requests(
    session: Session,
    *,
    actor: Actor,
    view: str = "mine",
    status: Sequence[RequestStatus] | None = None,
    topic: Topic | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "-created_at",
) -> Page[MentoringRequest]:
    """``mine``: an alumna's requests, or those a mentor took on. ``open``: for mentors, open
    requests matching the topics and regions of their active offers (or addressed to them)."""
    user = actor.require_user()
    stmt = select(MentoringRequest)
    if view == "open":
        if actor.role != Role.MENTOR:
            raise Forbidden("role_not_allowed", params={"roles": "mentor"})
        mine = select(MentoringOffer.id).where(
            MentoringOffer.mentor_id == user.id, MentoringOffer.status == OfferStatus.ACTIVE
        )
        matching = (
            exists()
            .where(
                MentoringOffer.mentor_id == user.id,
                MentoringOffer.status == OfferStatus.ACTIVE,
                _covers(MentoringRequest.topic),  # type: ignore[arg-type]
            )
            .where(_serves_request())
        )
        stmt = stmt.where(
            MentoringRequest.status == OPEN,
            (MentoringRequest.offer_id.in_(mine))
            | (MentoringRequest.offer_id.is_(None) & matching),
        )
    elif actor.role == Role.MENTOR:
        stmt = stmt.where(MentoringRequest.mentor_id == user.id)
    else:
        stmt = stmt.where(MentoringRequest.alumna_id == user.id)
    if status:
        stmt = stmt.where(MentoringRequest.status.in_(status))
    if topic:
        stmt = stmt.where(MentoringRequest.topic == topic)
    return paginate(
        session,
        stmt,
        model=MentoringRequest,
        sort=sort,
        options=REQUEST_SORTS,
        limit=limit,
        cursor=cursor,
    )


def _serves_request() -> Any:
    """The offer serves the request's region: a served region is it or lies above it."""
    no_regions = ~exists().where(OfferRegion.offer_id == MentoringOffer.id)
    code = MentoringRequest.region_code
    above = exists().where(
        OfferRegion.offer_id == MentoringOffer.id,
        (OfferRegion.region_code == code)
        | code.startswith(OfferRegion.region_code + ".", autoescape=False),
    )
    return no_regions | above


def rate(
    session: Session, *, actor: Actor, request_id: str, rating: int, text: str
) -> MentoringRequest:
    """The alumna rates a completed mentoring, once; the offer's rating follows."""
    request = get_request(session, actor=actor, request_id=request_id)
    if not is_alumna(actor, request):
        raise Forbidden("not_your_action", params={"action": "feedback"})
    if request.status != COMPLETED:
        raise Conflict("mentoring_not_completed")
    if request.rating is not None:
        raise Conflict("already_rated")
    request.rating, request.feedback, request.rated_at = rating, text, utcnow()
    session.flush()
    if request.offer_id:
        session.execute(
            update(MentoringOffer)
            .where(MentoringOffer.id == request.offer_id)
            .values(
                rating_count=MentoringOffer.rating_count + 1,
                rating_sum=MentoringOffer.rating_sum + rating,
            )
        )
    _event(session, "mentoring_request.rated", request, actor, rating=rating)
    return request


def expire_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """Open requests nobody accepted within 30 days expire."""
    now = now or utcnow()
    due = session.scalars(
        select(MentoringRequest)
        .where(MentoringRequest.status == OPEN, MentoringRequest.expires_at <= now)
        .with_for_update(of=MentoringRequest, skip_locked=True)
    ).all()
    for request in due:
        request.status, request.closed_at = EXPIRED, now
        session.flush()
        _event(session, "mentoring_request.expired", request, None)
    return len(due)


def complete_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """Mentorings the mentor confirmed 14 days ago complete without the alumna's confirmation."""
    now = now or utcnow()
    due = session.scalars(
        select(MentoringRequest)
        .where(MentoringRequest.status == IN_PROGRESS, MentoringRequest.completes_at <= now)
        .with_for_update(of=MentoringRequest, skip_locked=True)
    ).all()
    for request in due:
        request.status, request.completed_at = COMPLETED, now
        session.flush()
        _event(session, "mentoring_request.completed", request, None, automatic=True)
    return len(due)


# -- sessions -------------------------------------------------------------------------------


def _party_request(session: Session, actor: Actor, request_id: str) -> MentoringRequest:
    request = get_request(session, actor=actor, request_id=request_id)
    if not (is_party(actor, request) or actor.admin_over(request.region_code)):
        raise NotFound()  # other mentors see an open request, never its sessions
    return request


def add_session(
    session: Session, *, actor: Actor, request_id: str, data: Mapping[str, Any]
) -> MentoringSession:
    request = _party_request(session, actor, request_id)
    if not is_party(actor, request):
        raise Forbidden()
    if request.status not in ACTIVE:
        raise Conflict("mentoring_not_active", params={"status": request.status.value})
    _check_place(data.get("mode"), data.get("place"), data.get("link"))
    meeting = MentoringSession(**data, request_id=request.id, created_by_id=actor.user_id)
    session.add(meeting)
    session.flush()
    _session_event(session, "scheduled", request, meeting, actor)
    return meeting


def _check_place(mode: Any, place: str | None, link: str | None) -> None:
    if mode == MentoringFormat.ONLINE and not link:
        raise ValidationFailed(errors={"link": ["Required for an online session."]})
    if mode == MentoringFormat.IN_PERSON and not place:
        raise ValidationFailed(errors={"place": ["Required for an in-person session."]})


def list_sessions(
    session: Session, *, actor: Actor, request_id: str, limit: int, cursor: str | None = None
) -> Page[MentoringSession]:
    request = _party_request(session, actor, request_id)
    stmt = select(MentoringSession).where(MentoringSession.request_id == request.id)
    return paginate(
        session,
        stmt,
        model=MentoringSession,
        sort="starts_at",
        options=SESSION_SORTS,
        limit=limit,
        cursor=cursor,
    )


def _meeting(
    session: Session, actor: Actor, request_id: str, session_id: str
) -> tuple[MentoringRequest, MentoringSession]:
    request = _party_request(session, actor, request_id)
    meeting = session.get(MentoringSession, session_id)
    if meeting is None or meeting.request_id != request.id:
        raise NotFound()
    if not is_party(actor, request):
        raise Forbidden()
    if meeting.status != SessionStatus.SCHEDULED:
        raise Conflict("session_not_scheduled", params={"status": meeting.status.value})
    return request, meeting


def reschedule_session(
    session: Session, *, actor: Actor, request_id: str, session_id: str, data: Mapping[str, Any]
) -> MentoringSession:
    request, meeting = _meeting(session, actor, request_id, session_id)
    for name, value in data.items():
        setattr(meeting, name, value)
    _check_place(meeting.mode, meeting.place, meeting.link)
    meeting.reschedule_count += 1
    session.flush()
    _session_event(session, "rescheduled", request, meeting, actor, reason=data["reason"])
    return meeting


def cancel_session(
    session: Session, *, actor: Actor, request_id: str, session_id: str, reason: str
) -> MentoringSession:
    request, meeting = _meeting(session, actor, request_id, session_id)
    meeting.status, meeting.reason = SessionStatus.CANCELLED, reason
    session.flush()
    _session_event(session, "cancelled", request, meeting, actor, reason=reason)
    return meeting


def record_session(
    session: Session, *, actor: Actor, request_id: str, session_id: str, data: Mapping[str, Any]
) -> MentoringSession:
    """Afterwards: notes, outcome, attendance. The first held session starts the mentoring."""
    request, meeting = _meeting(session, actor, request_id, session_id)
    if meeting.starts_at > utcnow():
        raise Conflict("session_in_future")
    meeting.status = SessionStatus.HELD
    meeting.notes, meeting.outcome = data.get("notes"), data.get("outcome")
    meeting.attendance = data["attendance"]
    if request.status == ACCEPTED:
        request.status, request.started_at = IN_PROGRESS, utcnow()
    session.flush()
    _session_event(session, "held", request, meeting, actor)
    return meeting


# -- the university's record ------------------------------------------------------------------


@dataclass
class MentorRecord:
    mentor_id: str
    name: str
    sessions_held: int = 0
    minutes: int = 0
    alumnae: set[str] = field(default_factory=set)
    topics: Counter[str] = field(default_factory=Counter)
    completed: int = 0
    ratings: list[int] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def alumnae_served(self) -> int:
        return len(self.alumnae)

    @property
    def rating(self) -> dict[str, Any]:
        count = len(self.ratings)
        return {"average": round(sum(self.ratings) / count, 2) if count else None, "count": count}


@dataclass
class MentoringReport:
    organization_id: str
    organization_name: str
    from_date: dt.date
    to_date: dt.date
    mentors: list[MentorRecord]
    totals: MentorRecord


def mentoring_report(
    session: Session, *, actor: Actor, organization_id: str, from_date: dt.date, to_date: dt.date
) -> MentoringReport:
    """Sessions held between the dates (inclusive, by their start), for the university's
    community-service reporting: per mentor and in total. Hours count attended sessions."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    authorize(actor, "view_members", organization)
    if organization.kind != OrganizationKind.UNIVERSITY:
        raise Conflict("not_a_university")
    if to_date < from_date:
        raise ValidationFailed(errors={"to": ["Must not be before `from`."]})
    start = dt.datetime.combine(from_date, dt.time(), dt.UTC)
    end = dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time(), dt.UTC)
    records: dict[str, MentorRecord] = {}
    totals = MentorRecord("total", "total")
    rows = session.execute(
        select(MentoringSession, MentoringRequest)
        .join(MentoringRequest, MentoringRequest.id == MentoringSession.request_id)
        .where(
            MentoringRequest.organization_id == organization.id,
            MentoringSession.status == SessionStatus.HELD,
            MentoringSession.starts_at >= start,
            MentoringSession.starts_at < end,
        )
        .order_by(MentoringSession.starts_at)
    ).all()
    for meeting, request in rows:
        if request.mentor_id is None or request.mentor is None:
            continue
        record = records.setdefault(
            request.mentor_id, MentorRecord(request.mentor_id, request.mentor.name)
        )
        for target in (record, totals):
            target.sessions_held += 1
            if meeting.attendance == Attendance.ATTENDED:
                target.minutes += meeting.duration_minutes
                target.alumnae.add(request.alumna_id)
            target.topics[request.topic.value] += 1
    finished = session.scalars(
        select(MentoringRequest).where(
            MentoringRequest.organization_id == organization.id,
            MentoringRequest.status == COMPLETED,
            MentoringRequest.completed_at >= start,
            MentoringRequest.completed_at < end,
        )
    ).all()
    for request in finished:
        if request.mentor_id is None or request.mentor is None:
            continue
        record = records.setdefault(
            request.mentor_id, MentorRecord(request.mentor_id, request.mentor.name)
        )
        for target in (record, totals):
            target.completed += 1
            if request.rating is not None:
                target.ratings.append(request.rating)
    return MentoringReport(
        organization.id,
        organization.name,
        from_date,
        to_date,
        sorted(records.values(), key=lambda r: r.name),
        totals,
    )


def report_csv_rows(report: MentoringReport) -> list[list[Any]]:
    header = [
        "mentor_id",
        "mentor",
        "sessions_held",
        "hours",
        "alumnae_served",
        "mentorings_completed",
        "rating_average",
        "rating_count",
        "topics",
    ]
    rows: list[list[Any]] = [header]
    for record in [*report.mentors, report.totals]:
        rows.append(
            [
                record.mentor_id,
                record.name,
                record.sessions_held,
                record.hours,
                record.alumnae_served,
                record.completed,
                record.rating["average"] or "",
                record.rating["count"],
                "; ".join(f"{t}={n}" for t, n in sorted(record.topics.items())),
            ]
        )
    return rows


# -- events ---------------------------------------------------------------------------------


def _event(
    session: Session,
    type: str,
    subject: Any,
    actor: Actor | None,
    notify: Sequence[str | None] | None = None,
    **data: Any,
) -> None:
    if notify is None and isinstance(subject, MentoringRequest):
        notify = (subject.alumna_id, subject.mentor_id)
    status = getattr(subject, "status", None)
    events.record(
        session,
        type=type,
        subject=subject,
        actor=actor,
        data={"status": status.value if status is not None else None, **data},
        notify=notify or (),
        audience=(getattr(subject, "organization_id", None),),
        public=isinstance(subject, MentoringOffer),  # offers are listed for everyone
    )


def _session_event(
    session: Session,
    what: str,
    request: MentoringRequest,
    meeting: MentoringSession,
    actor: Actor,
    **data: Any,
) -> None:
    events.record(
        session,
        type=f"mentoring_session.{what}",
        subject=meeting,
        actor=actor,
        data={"request_id": request.id, "starts_at": meeting.starts_at.isoformat(), **data},
        notify=(request.alumna_id, request.mentor_id),
        audience=(request.organization_id,),
    )
