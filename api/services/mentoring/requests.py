"""Mentoring requests and their lifecycle (open -> accepted -> in_progress -> completed, or
cancelled, or expired), what each caller may see of one and do with it, feedback, and the
timed steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from api.db import advisory_lock, utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    Business,
    MentoringOffer,
    MentoringRequest,
    MentoringSession,
    OfferRegion,
    OfferStatus,
    RequestStatus,
    Role,
    SessionStatus,
    Topic,
    User,
)
from api.pagination import Page, paginate
from api.services import regions
from api.services.authz import Actor, authorize
from api.services.mentoring.common import (
    ACTIVE,
    ALUMNA,
    COMPLETED,
    CONFIRM_GRACE,
    EXPIRE_AFTER,
    EXPIRED,
    IN_PROGRESS,
    MAX_OPEN_REQUESTS,
    MENTOR,
    OPEN,
    REQUEST_SORTS,
    _event,
)
from api.services.mentoring.offers import _covers, verified_university
from api.services.shown import Shown


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
