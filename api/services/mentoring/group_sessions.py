"""Group mentoring: a workshop under a group offer with many attendees.

The mentor schedules it, invites alumnae (or lets any alumna register while seats are left),
each woman registers, declines or cancels herself, and afterwards the mentor records who came
(also women who came without registering). It counts once for the mentor (one session, its
duration) and once per attendee for the women (``report``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    GroupAttendee,
    GroupSession,
    InviteStatus,
    Membership,
    OfferKind,
    OfferStatus,
    Role,
    SessionStatus,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services import events
from api.services.authz import Actor, authorize, can
from api.services.mentoring.offers import get_offer
from api.services.mentoring.sessions import check_place
from api.services.shown import Shown

GROUP_SESSION_SORTS = sort_options(GroupSession, starts_at=["starts_at"])
MAX_INVITES = 100
HOLDING = (InviteStatus.INVITED, InviteStatus.REGISTERED)  # these take a seat


def _event(
    session: Session,
    what: str,
    meeting: GroupSession,
    actor: Actor,
    notify: Sequence[str | None] = (),
    **data: Any,
) -> None:
    events.record(
        session,
        type=f"group_session.{what}",
        subject=meeting,
        actor=actor,
        data={
            "status": meeting.status.value,
            "title": meeting.title,
            "starts_at": meeting.starts_at.isoformat(),
            **data,
        },
        notify=notify,
        audience=(meeting.organization_id,),
    )


def _seated(meeting: GroupSession) -> list[str]:
    return [a.alumna_id for a in meeting.attendees if a.status in HOLDING]


def schedule(
    session: Session, *, actor: Actor, offer_id: str, data: Mapping[str, Any]
) -> GroupSession:
    """The offer's mentor plans a workshop under her group offer."""
    offer = get_offer(session, actor=actor, offer_id=offer_id, action="edit")
    if offer.mentor_id != actor.user_id:
        raise Forbidden("not_your_offer")
    if offer.kind != OfferKind.GROUP:
        raise Conflict("offer_not_group")
    if offer.status != OfferStatus.ACTIVE:
        raise Conflict("offer_closed")
    values = dict(data)
    if values["topic"].value not in offer.topics:
        raise ValidationFailed(errors={"topic": ["Not a topic of this offer."]})
    if values["starts_at"] <= utcnow():
        raise ValidationFailed(errors={"starts_at": ["Must be in the future."]})
    check_place(values.get("mode"), values.get("place"), values.get("link"))
    values.setdefault("capacity", offer.group_size or offer.capacity)
    meeting = GroupSession(
        **values,
        offer_id=offer.id,
        mentor_id=offer.mentor_id,
        organization_id=offer.organization_id,
    )
    session.add(meeting)
    session.flush()
    _event(session, "scheduled", meeting, actor)
    return meeting


def get(session: Session, *, actor: Actor, session_id: str, action: str = "view") -> GroupSession:
    meeting = session.get(GroupSession, session_id)
    if meeting is None:
        raise NotFound()
    return authorize(actor, action, meeting)


def list_sessions(
    session: Session,
    *,
    actor: Actor,
    view: str = "mine",
    status: SessionStatus | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[GroupSession]:
    """``mine``: those she leads, her university's, or those she is invited to or registered
    for; ``open``: scheduled workshops open for registration."""
    user = actor.require_user()
    if view == "open":
        stmt = select(GroupSession).where(
            GroupSession.status == SessionStatus.SCHEDULED,
            GroupSession.open_registration.is_(True),
            GroupSession.starts_at > utcnow(),
        )
    else:
        hers = select(GroupAttendee.session_id).where(GroupAttendee.alumna_id == user.id)
        universities = select(Membership.organization_id).where(Membership.user_id == user.id)
        stmt = select(GroupSession).where(
            or_(
                GroupSession.mentor_id == user.id,
                GroupSession.id.in_(hers),
                GroupSession.organization_id.in_(universities),
            )
        )
    if status is not None:
        stmt = stmt.where(GroupSession.status == status)
    return paginate(
        session,
        stmt,
        model=GroupSession,
        sort="starts_at",
        options=GROUP_SESSION_SORTS,
        limit=limit,
        cursor=cursor,
    )


def _scheduled(meeting: GroupSession) -> None:
    if meeting.status != SessionStatus.SCHEDULED:
        raise Conflict("session_not_scheduled", params={"status": meeting.status.value})


def _locked(session: Session, actor: Actor, session_id: str, action: str) -> GroupSession:
    """The session, its row locked: seats are counted and taken one transaction at a time."""
    meeting = get(session, actor=actor, session_id=session_id, action=action)
    # The row alone (its mentor is joined outer, which FOR UPDATE may not lock), then its
    # attendees as they are now that nobody else can change them.
    session.execute(select(GroupSession.id).where(GroupSession.id == meeting.id).with_for_update())
    session.expire(meeting)
    return meeting


def _alumnae(session: Session, ids: Sequence[str], field: str) -> list[User]:
    wanted = list(dict.fromkeys(ids))
    found = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_(wanted), User.role == Role.ALUMNA, User.erased_at.is_(None)
            )
        )
    }
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise ValidationFailed(errors={field: [f"Not alumnae: {', '.join(unknown[:10])}."]})
    return [found[i] for i in wanted]


def invite(
    session: Session, *, actor: Actor, session_id: str, alumna_ids: Sequence[str]
) -> GroupSession:
    """The mentor invites alumnae (each takes a seat until she declines)."""
    meeting = _locked(session, actor, session_id, "edit")
    _scheduled(meeting)
    rows = {a.alumna_id: a for a in meeting.attendees}
    new = [u for u in _alumnae(session, alumna_ids, "alumna_ids") if u.id not in rows]
    if len(_seated(meeting)) + len(new) > meeting.capacity:
        raise Conflict("session_full", params={"capacity": meeting.capacity})
    for user in new:
        meeting.attendees.append(
            GroupAttendee(
                alumna_id=user.id, status=InviteStatus.INVITED, invited_by_id=actor.user_id
            )
        )
    session.flush()
    _event(session, "invited", meeting, actor, notify=[u.id for u in new], invited=len(new))
    return meeting


def register(session: Session, *, actor: Actor, session_id: str) -> GroupSession:
    """She takes her seat: accepting an invitation, or registering while it is open."""
    user = actor.require_user()
    meeting = _locked(session, actor, session_id, "view")
    _scheduled(meeting)
    row = next((a for a in meeting.attendees if a.alumna_id == user.id), None)
    if row is not None and row.status == InviteStatus.REGISTERED:
        raise Conflict("already_registered")
    if row is None and not meeting.open_registration:
        raise Forbidden("invitation_only")
    if (row is None or row.status not in HOLDING) and len(_seated(meeting)) >= meeting.capacity:
        raise Conflict("session_full", params={"capacity": meeting.capacity})
    if row is None:
        row = GroupAttendee(alumna_id=user.id, status=InviteStatus.REGISTERED)
        meeting.attendees.append(row)
    row.status = InviteStatus.REGISTERED
    session.flush()
    _event(session, "registered", meeting, actor, notify=(meeting.mentor_id,))
    return meeting


def withdraw(session: Session, *, actor: Actor, session_id: str) -> GroupSession:
    """She declines her invitation or cancels her registration: the seat is free again."""
    user = actor.require_user()
    meeting = get(session, actor=actor, session_id=session_id)
    _scheduled(meeting)
    row = next((a for a in meeting.attendees if a.alumna_id == user.id), None)
    if row is None or row.status not in HOLDING:
        raise Conflict("not_registered")
    invited = row.status == InviteStatus.INVITED
    row.status = InviteStatus.DECLINED if invited else InviteStatus.CANCELLED
    session.flush()
    _event(session, "declined" if invited else "withdrawn", meeting, actor, (meeting.mentor_id,))
    return meeting


def record(
    session: Session, *, actor: Actor, session_id: str, data: Mapping[str, Any]
) -> GroupSession:
    """Afterwards the mentor records who came: everyone listed as attended or not; women
    registered but not listed were absent; women who came without registering are added."""
    meeting = _locked(session, actor, session_id, "edit")
    if meeting.mentor_id != actor.user_id:
        raise Forbidden("not_your_session")
    _scheduled(meeting)
    if meeting.starts_at > utcnow():
        raise Conflict("session_in_future")
    marks = {item["alumna_id"]: item["attended"] for item in data["attendance"]}
    users = _alumnae(session, list(marks), "attendance")
    rows = {a.alumna_id: a for a in meeting.attendees}
    for user in users:
        if user.id not in rows:
            rows[user.id] = GroupAttendee(alumna_id=user.id, status=InviteStatus.REGISTERED)
            meeting.attendees.append(rows[user.id])
    for alumna_id, row in rows.items():
        if alumna_id in marks:
            row.attended = marks[alumna_id]
            if row.attended:
                row.status = InviteStatus.REGISTERED
        elif row.status in HOLDING:
            row.attended = False
    meeting.status, meeting.held_at, meeting.notes = SessionStatus.HELD, utcnow(), data.get("notes")
    session.flush()
    came = [a.alumna_id for a in meeting.attendees if a.attended]
    _event(session, "held", meeting, actor, notify=came, attended=len(came))
    return meeting


def cancel(session: Session, *, actor: Actor, session_id: str, reason: str) -> GroupSession:
    meeting = get(session, actor=actor, session_id=session_id, action="edit")
    _scheduled(meeting)
    meeting.status, meeting.reason = SessionStatus.CANCELLED, reason
    session.flush()
    _event(session, "cancelled", meeting, actor, notify=_seated(meeting), reason=reason)
    return meeting


def attendees(
    session: Session, *, actor: Actor, session_id: str, limit: int, cursor: str | None = None
) -> Page[GroupAttendee]:
    """Who is invited, registered and came: for the mentor, her university and admins."""
    meeting = get(session, actor=actor, session_id=session_id, action="edit")
    stmt = select(GroupAttendee).where(GroupAttendee.session_id == meeting.id)
    return paginate(
        session,
        stmt,
        model=GroupAttendee,
        sort="created_at",
        options=sort_options(GroupAttendee, created_at=["created_at"]),
        limit=limit,
        cursor=cursor,
    )


def her_status(meeting: GroupSession, user_id: str | None) -> dict[str, Any] | None:
    """The caller's own place in the session, if she has one."""
    row = next((a for a in meeting.attendees if a.alumna_id == user_id), None)
    if row is None:
        return None
    return {"status": row.status, "attended": row.attended}


def shown(actor: Actor, meeting: GroupSession) -> Shown[GroupSession]:
    """The session as the caller sees it: seats, her own place, what she may do now; the
    mentor's notes for the mentor and admins only."""
    leads = can(actor, "edit", meeting)
    mine = her_status(meeting, actor.user_id)
    actions: list[str] = []
    if meeting.status == SessionStatus.SCHEDULED:
        if leads:
            actions += ["invite", "cancel"]
            if actor.user_id == meeting.mentor_id:
                actions.append("record")
        if actor.role == Role.ALUMNA:
            holding = mine is not None and mine["status"] in HOLDING
            if not (mine is not None and mine["status"] == InviteStatus.REGISTERED):
                actions.append("register")
            if holding:
                actions.append("withdraw")
    return Shown(
        meeting,
        allowed_actions=actions,
        seats_taken=len(_seated(meeting)),
        attended_count=sum(1 for a in meeting.attendees if a.attended),
        my_attendance=mine,
        notes=meeting.notes if leads else None,
    )
