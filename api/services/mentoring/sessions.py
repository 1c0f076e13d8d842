"""The sessions of an accepted mentoring request: scheduled, rescheduled, cancelled, recorded
as held; and the day-before reminder, sent once by ``housekeeping`` (re-armed by a reschedule,
dropped by a cancellation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dates import WIB
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    MentoringFormat,
    MentoringRequest,
    MentoringSession,
    SessionStatus,
)
from api.pagination import Page, paginate
from api.services import events
from api.services.authz import Actor
from api.services.mentoring.common import (
    ACCEPTED,
    ACTIVE,
    IN_PROGRESS,
    SESSION_SORTS,
    _session_event,
)
from api.services.mentoring.requests import get_request, is_party

REMIND_BEFORE = dt.timedelta(days=1)
# Messages wait out 21:00-07:00 WIB; a reminder due in the evening goes at 20:00 instead, so
# that it is not held until the morning of the day itself.
EVENING_QUIET, REMIND_BY = 21, 20


def reminder_at(starts_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When a session's reminder is due: a day before it starts (at 20:00 WIB when that falls
    in the evening's quiet hours); none when that has passed, as the notice of its scheduling,
    sent now, already tells her."""
    due = starts_at - REMIND_BEFORE
    local = due.astimezone(WIB)
    if local.hour >= EVENING_QUIET:
        due = local.replace(hour=REMIND_BY, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    return due if due > now else None


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
    check_place(data.get("mode"), data.get("place"), data.get("link"))
    meeting = MentoringSession(**data, request_id=request.id, created_by_id=actor.user_id)
    meeting.reminder_at = reminder_at(meeting.starts_at, utcnow())
    session.add(meeting)
    session.flush()
    _session_event(session, "scheduled", request, meeting, actor)
    return meeting


def check_place(mode: Any, place: str | None, link: str | None) -> None:
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
    check_place(meeting.mode, meeting.place, meeting.link)
    meeting.reschedule_count += 1
    meeting.reminder_at = reminder_at(meeting.starts_at, utcnow())  # re-armed for the new time
    session.flush()
    _session_event(session, "rescheduled", request, meeting, actor, reason=data["reason"])
    return meeting


def cancel_session(
    session: Session, *, actor: Actor, request_id: str, session_id: str, reason: str
) -> MentoringSession:
    request, meeting = _meeting(session, actor, request_id, session_id)
    meeting.status, meeting.reason = SessionStatus.CANCELLED, reason
    meeting.reminder_at = None
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
    meeting.status, meeting.reminder_at = SessionStatus.HELD, None
    meeting.notes, meeting.outcome = data.get("notes"), data.get("outcome")
    meeting.attendance = data["attendance"]
    if request.status == ACCEPTED:
        request.status, request.started_at = IN_PROGRESS, utcnow()
    session.flush()
    _session_event(session, "held", request, meeting, actor)
    return meeting


def remind_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """The reminders due: an event ``mentoring_session.reminder`` for each scheduled session
    whose reminder time has come and that has not started, told to both parties (and by message
    to whoever chose session reminders, under the messaging rules); each once."""
    now = now or utcnow()
    due = session.scalars(
        select(MentoringSession)
        .where(
            MentoringSession.reminder_at <= now,
            MentoringSession.status == SessionStatus.SCHEDULED,
        )
        .order_by(MentoringSession.reminder_at, MentoringSession.id)
        .with_for_update(of=MentoringSession, skip_locked=True)
    ).all()
    sent = 0
    for meeting in due:
        meeting.reminder_at = None
        if meeting.starts_at <= now:
            continue  # housekeeping did not run in time: a reminder after the start helps nobody
        request = session.get(MentoringRequest, meeting.request_id)
        if request is None or request.status not in ACTIVE:
            continue
        events.record(
            session,
            type="mentoring_session.reminder",
            subject=meeting,
            actor=None,
            data={
                "request_id": request.id,
                "starts_at": meeting.starts_at.isoformat(),
                "starts_at_wib": meeting.starts_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB"),
            },
            notify=(request.alumna_id, request.mentor_id),
            audience=(request.organization_id,),
        )
        sent += 1
    session.flush()
    return sent
