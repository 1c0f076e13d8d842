"""Training events: published by members of verified organisations or by programme staff,
changed and cancelled by their organisers, listed for everyone with their seats. Registration,
attendance and completion are in ``registrations``; what they share in ``common``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import api.services.sponsorship.needs as sponsorship_needs
from api.db import utcnow
from api.errors import Conflict, Forbidden, ValidationFailed
from api.models import (
    Course,
    CourseStatus,
    Membership,
    MentoringFormat,
    Organization,
    RegistrationStatus,
    Role,
    Topic,
    TrainingEvent,
    TrainingEventRegion,
    TrainingEventStatus,
    TrainingEventTrainer,
    TrainingRegistration,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services import regions
from api.services.authz import Actor
from api.services.shown import Shown
from api.services.training.common import (
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    SCHEDULED,
    WAITLISTED,
    fill_seats,
    get_event,
    is_organizer,
    locked,
    record_event,
    runs,
    seat_counts,
    serves,
)

EVENT_SORTS = sort_options(TrainingEvent, starts_at=["starts_at"], created_at=["created_at"])
TRAINER_ROLES = (Role.FACILITATOR, Role.MENTOR)


def _organization(
    session: Session, actor: Actor, organization_id: str | None
) -> Organization | None:
    """The verified organisation the event is published under; staff may publish without."""
    user = actor.require_user()
    stmt = (
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id, Organization.verified_at.is_not(None))
        .order_by(Organization.created_at)
    )
    if organization_id:
        stmt = stmt.where(Organization.id == organization_id)
    found = session.scalar(stmt.limit(1))
    if found is None and (organization_id or not actor.is_staff):
        raise Forbidden("not_in_verified_organization")
    return found


def create_event(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> TrainingEvent:
    values = dict(data)
    organization = _organization(session, actor, values.pop("organization_id", None))
    codes, trainers = values.pop("region_codes", []), values.pop("trainer_ids", [])
    _check(session, values, codes, trainers, new_start=True)
    event = TrainingEvent(
        **values,
        organizer_id=actor.user_id,
        organization_id=organization.id if organization else None,
        region_rows=[TrainingEventRegion(region_code=c) for c in sorted(set(codes))],
        trainer_rows=[TrainingEventTrainer(user_id=t) for t in sorted(set(trainers))],
    )
    session.add(event)
    session.flush()
    record_event(session, "training_event.published", event, actor)
    return event


def span_hours(starts_at: dt.datetime, ends_at: dt.datetime) -> int:
    """The event's length in whole hours, rounded up (a day-long training counts 24)."""
    return math.ceil((ends_at - starts_at).total_seconds() / 3600)


def _check(
    session: Session,
    values: Mapping[str, Any],
    codes: Sequence[str],
    trainers: Sequence[str],
    *,
    new_start: bool,
) -> None:
    """``new_start``: the start is being set (created, or moved), so must lie ahead: a start
    in the past would open attendance and certificates for an event nobody held."""
    errors: dict[str, list[str]] = {}
    if new_start and values["starts_at"] <= utcnow():
        errors["starts_at"] = ["Must be in the future."]
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = ["Must be after starts_at."]
    elif values["hours"] > span_hours(values["starts_at"], values["ends_at"]):
        errors["hours"] = ["Must not exceed the event's length in hours."]
    if values["registration_closes_at"] <= values["registration_opens_at"]:
        errors["registration_closes_at"] = ["Must be after registration_opens_at."]
    if values["registration_closes_at"] > values["ends_at"]:
        errors["registration_closes_at"] = ["Must not be after ends_at."]
    fmt = values["format"]
    if fmt in (MentoringFormat.IN_PERSON, MentoringFormat.BOTH) and not values.get("place"):
        errors["place"] = ["Required where the event meets in person."]
    if fmt in (MentoringFormat.ONLINE, MentoringFormat.BOTH) and not values.get("link"):
        errors["link"] = ["Required for an online event."]
    course_id = values.get("course_id")
    if course_id is not None:
        course = session.get(Course, course_id)
        if course is None or course.status != CourseStatus.PUBLISHED:
            errors["course_id"] = ["No published course with this id."]
    for index, trainer_id in enumerate(trainers):
        user = session.get(User, trainer_id)
        if user is None or user.role not in TRAINER_ROLES or user.erased_at is not None:
            errors[f"trainer_ids.{index}"] = ["Not a facilitator or mentor."]
    if errors:
        raise ValidationFailed(errors=errors)
    for index, code in enumerate(codes):
        regions.require_region(session, code, field=f"region_codes.{index}")


def update_event(
    session: Session, *, actor: Actor, event: TrainingEvent, changes: Mapping[str, Any]
) -> TrainingEvent:
    """Change a scheduled event; a larger capacity seats the waitlist in order."""
    if event.status != SCHEDULED:
        raise Conflict("event_not_scheduled", params={"status": event.status.value})
    values = dict(changes)
    codes, trainers = values.pop("region_codes", None), values.pop("trainer_ids", None)
    merged = {
        name: values.get(name, getattr(event, name))
        for name in (
            "starts_at",
            "ends_at",
            "hours",
            "registration_opens_at",
            "registration_closes_at",
            "format",
            "place",
            "link",
        )
    }
    if values.get("course_id") not in (None, event.course_id):  # a course newly named
        merged["course_id"] = values["course_id"]
    moved = any(
        name in values and values[name] != getattr(event, name) for name in ("starts_at", "ends_at")
    )
    if moved and event.starts_at <= utcnow():
        raise Conflict("event_started")  # its times are what attendance and hours rest on
    _check(
        session,
        merged,
        codes or [],
        trainers or [],
        new_start="starts_at" in values and values["starts_at"] != event.starts_at,
    )
    if "capacity" in values:
        locked(session, event.id)
        confirmed = seat_counts(session, [event.id]).get(event.id, (0, 0))[0]
        if values["capacity"] < confirmed:
            raise Conflict("capacity_below_registrations", params={"confirmed": confirmed})
    for name, value in values.items():
        setattr(event, name, value)
    if codes is not None:
        event.region_rows = [TrainingEventRegion(region_code=c) for c in sorted(set(codes))]
    if trainers is not None:
        event.trainer_rows = [TrainingEventTrainer(user_id=t) for t in sorted(set(trainers))]
    session.flush()
    record_event(session, "training_event.updated", event, actor)
    fill_seats(session, event, actor)
    return event


def cancel_event(session: Session, *, actor: Actor, event_id: str, reason: str) -> TrainingEvent:
    """Call the event off; everyone registered is told, and its open needs close (as a need
    closed by hand: nobody can sponsor seats that will not be held)."""
    event = get_event(session, actor=actor, event_id=event_id, action="manage")
    if event.status != SCHEDULED:
        raise Conflict("event_not_scheduled", params={"status": event.status.value})
    event.status, event.cancelled_at, event.reason = CANCELLED, utcnow(), reason
    session.flush()
    registered = session.scalars(
        select(TrainingRegistration.user_id).where(
            TrainingRegistration.event_id == event.id,
            TrainingRegistration.status.in_((CONFIRMED, WAITLISTED)),
        )
    ).all()
    record_event(
        session, "training_event.cancelled", event, actor, notify=registered, reason=reason
    )
    sponsorship_needs.close_event_needs(session, actor=actor, event=event)
    return event


def list_events(
    session: Session,
    *,
    topic: Topic | None = None,
    region: str | None = None,
    organization: str | None = None,
    course: str | None = None,
    status: TrainingEventStatus | None = None,
    upcoming: bool = False,
    limit: int,
    cursor: str | None = None,
    sort: str = "starts_at",
) -> Page[TrainingEvent]:
    stmt = select(TrainingEvent)
    if status:
        stmt = stmt.where(TrainingEvent.status == status)
    if upcoming:
        stmt = stmt.where(TrainingEvent.status == SCHEDULED, TrainingEvent.ends_at > utcnow())
    if topic:
        stmt = stmt.where(TrainingEvent.topic == topic)
    if region:
        stmt = stmt.where(serves(region))
    if organization:
        stmt = stmt.where(TrainingEvent.organization_id == organization)
    if course:
        stmt = stmt.where(TrainingEvent.course_id == course)
    return paginate(
        session,
        stmt,
        model=TrainingEvent,
        sort=sort,
        options=EVENT_SORTS,
        limit=limit,
        cursor=cursor,
    )


def shown_events(
    session: Session, actor: Actor, items: Sequence[TrainingEvent]
) -> list[Shown[TrainingEvent]]:
    """Events as the caller sees them: seats taken, waitlist, her registration, her actions."""
    counts = seat_counts(session, [e.id for e in items])
    mine: dict[str, TrainingRegistration] = {}
    if actor.user_id and items:
        mine = {
            r.event_id: r
            for r in session.scalars(
                select(TrainingRegistration).where(
                    TrainingRegistration.user_id == actor.user_id,
                    TrainingRegistration.event_id.in_([e.id for e in items]),
                )
            )
        }
    shown = []
    for event in items:
        confirmed, waiting = counts.get(event.id, (0, 0))
        registration = mine.get(event.id)
        shown.append(
            Shown(
                event,
                allowed_actions=_event_actions(actor, event, registration),
                seats_taken=confirmed,
                seats_left=max(event.capacity - confirmed, 0),
                waitlisted=waiting,
                my_registration=registration,
            )
        )
    return shown


def _event_actions(
    actor: Actor, event: TrainingEvent, registration: TrainingRegistration | None
) -> list[str]:
    actions = []
    if event.status == SCHEDULED:
        if actor.role == Role.ALUMNA and (
            registration is None or registration.status == RegistrationStatus.CANCELLED
        ):
            actions.append("register")
        if is_organizer(actor, event):
            actions += ["update", "cancel"]
    if (event.status == SCHEDULED and runs(actor, event)) or (
        event.status == COMPLETED and is_organizer(actor, event)
    ):
        actions.append("record_attendance")  # corrections after completion: the organiser's
    if event.status == SCHEDULED and runs(actor, event):
        actions.append("complete")
    return actions
