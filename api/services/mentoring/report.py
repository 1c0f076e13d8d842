"""The university's community-service record of its mentors and trainers: mentoring, group
mentoring and training events (JSON, CSV/XLSX and a chart, all from one report)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from api.errors import Conflict, NotFound, ValidationFailed
from api.models import (
    Attendance,
    GroupSession,
    MentoringRequest,
    MentoringSession,
    Organization,
    OrganizationKind,
    SessionStatus,
    TrainingEvent,
    TrainingEventStatus,
    TrainingRegistration,
    User,
)
from api.services.authz import Actor, authorize
from api.services.mentoring.common import COMPLETED


@dataclass
class MentorRecord:
    mentor_id: str
    name: str
    sessions_held: int = 0
    group_sessions_held: int = 0
    minutes: int = 0  # the mentor's: each session once, however many came
    alumna_minutes: int = 0  # the women's: each session once per woman who came
    alumnae: set[str] = field(default_factory=set)
    topics: Counter[str] = field(default_factory=Counter)
    training_events_held: int = 0
    completed: int = 0
    ratings: list[int] = field(default_factory=list)

    def count(self, minutes: int, came: set[str]) -> None:
        """The one counting rule of a meeting held (a one-to-one session, a workshop, a
        training event): its duration once for those who led it, if anyone came; once per
        woman who came for the women; each woman once, however she was reached."""
        if came:
            self.minutes += minutes
            self.alumna_minutes += minutes * len(came)
            self.alumnae |= came

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def alumna_hours(self) -> float:
        return round(self.alumna_minutes / 60, 2)

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
    """Sessions and training events held between the dates (inclusive, by their start), for
    the university's community-service reporting: per mentor or trainer and in total. Hours
    count what was attended, each once for those who led it (``MentorRecord.count``);
    ``alumna_hours`` counts it once per woman who came (a two-hour workshop or training for 20
    women: 2 hours, 40 alumna hours, 20 alumnae served)."""
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
        came = {request.alumna_id} if meeting.attendance == Attendance.ATTENDED else set()
        for target in (record, totals):
            target.sessions_held += 1
            target.topics[request.topic.value] += 1
            target.count(meeting.duration_minutes, came)
    _add_group_sessions(session, organization.id, start, end, records, totals)
    _add_training_events(session, organization.id, start, end, records, totals)
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


def _add_group_sessions(
    session: Session,
    organization_id: str,
    start: dt.datetime,
    end: dt.datetime,
    records: dict[str, MentorRecord],
    totals: MentorRecord,
) -> None:
    held = session.scalars(
        select(GroupSession)
        .where(
            GroupSession.organization_id == organization_id,
            GroupSession.status == SessionStatus.HELD,
            GroupSession.starts_at >= start,
            GroupSession.starts_at < end,
        )
        .order_by(GroupSession.starts_at)
    ).all()
    for meeting in held:
        if meeting.mentor_id is None or meeting.mentor is None:
            continue
        came = {a.alumna_id for a in meeting.attendees if a.attended}
        record = records.setdefault(
            meeting.mentor_id, MentorRecord(meeting.mentor_id, meeting.mentor.name)
        )
        for target in (record, totals):
            target.sessions_held += 1
            target.group_sessions_held += 1
            target.topics[meeting.topic.value] += 1
            target.count(meeting.duration_minutes, came)


def _add_training_events(
    session: Session,
    organization_id: str,
    start: dt.datetime,
    end: dt.datetime,
    records: dict[str, MentorRecord],
    totals: MentorRecord,
) -> None:
    """The university's training events held in the period (not cancelled; completed, or
    attendance recorded): each once for each of its trainers and once in the totals, however
    many trainers it had; its hours once per woman who came."""
    held = session.scalars(
        select(TrainingEvent)
        .where(
            TrainingEvent.organization_id == organization_id,
            TrainingEvent.status != TrainingEventStatus.CANCELLED,
            TrainingEvent.starts_at >= start,
            TrainingEvent.starts_at < end,
            or_(
                TrainingEvent.status == TrainingEventStatus.COMPLETED,
                exists().where(
                    TrainingRegistration.event_id == TrainingEvent.id,
                    TrainingRegistration.attended.is_not(None),
                ),
            ),
        )
        .order_by(TrainingEvent.starts_at)
    ).all()
    came_to = _attendees(session, [event.id for event in held])
    trainers = {
        user.id: user
        for user in session.scalars(
            select(User).where(User.id.in_({t for e in held for t in e.trainer_ids}))
        )
    }
    for event in held:
        came = came_to.get(event.id, set())
        leaders = [
            records.setdefault(t, MentorRecord(t, trainers[t].name))
            for t in event.trainer_ids
            if t in trainers
        ]
        for target in (*leaders, totals):
            target.training_events_held += 1
            target.topics[event.topic.value] += 1
            target.count(event.hours * 60, came)


def _attendees(session: Session, event_ids: list[str]) -> dict[str, set[str]]:
    came: dict[str, set[str]] = {}
    if event_ids:
        for event_id, user_id in session.execute(
            select(TrainingRegistration.event_id, TrainingRegistration.user_id).where(
                TrainingRegistration.event_id.in_(event_ids),
                TrainingRegistration.attended.is_(True),
            )
        ):
            came.setdefault(event_id, set()).add(user_id)
    return came


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
        "group_sessions_held",
        "alumna_hours",
        "training_events_held",
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
                record.group_sessions_held,
                record.alumna_hours,
                record.training_events_held,
            ]
        )
    return rows
