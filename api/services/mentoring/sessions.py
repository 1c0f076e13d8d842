"""The sessions of an accepted mentoring request: scheduled, rescheduled, cancelled, recorded
as held."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    MentoringFormat,
    MentoringRequest,
    MentoringSession,
    SessionStatus,
)
from api.pagination import Page, paginate
from api.services.authz import Actor
from api.services.mentoring.common import (
    ACCEPTED,
    ACTIVE,
    IN_PROGRESS,
    SESSION_SORTS,
    _session_event,
)
from api.services.mentoring.requests import get_request, is_party


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
