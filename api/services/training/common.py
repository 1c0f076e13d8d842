"""What the parts of training events share: who organises and who runs an event, reading and
locking it, its seats, the waitlist's order, and how its events are recorded.

Seats: registering, cancelling and raising the capacity lock the event's row first
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's transactions take the write lock at BEGIN),
so the count of confirmed seats read is the count at commit: of two women taking the last seat
at once, one gets it and the other the waitlist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, object_session

from api.db import utcnow
from api.errors import NotFound
from api.models import (
    MemberRole,
    Membership,
    RegistrationStatus,
    TrainingEvent,
    TrainingEventRegion,
    TrainingEventStatus,
    TrainingRegistration,
)
from api.services import events
from api.services.authz import Actor, authorize

SCHEDULED, COMPLETED, CANCELLED = (
    TrainingEventStatus.SCHEDULED,
    TrainingEventStatus.COMPLETED,
    TrainingEventStatus.CANCELLED,
)
CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


def is_organizer(actor: Actor, event: TrainingEvent) -> bool:
    """Its organiser, an admin of its organisation, or a platform admin."""
    if actor.user_id is None:
        return False
    if actor.user_id == event.organizer_id:
        return True
    if actor.is_admin:  # in her regions: one the event serves lies in them (or it serves all)
        return not event.region_codes or any(actor.covers(c) for c in event.region_codes)
    if event.organization_id is None:
        return False
    session = object_session(event)
    membership = (
        session.get(Membership, (event.organization_id, actor.user_id)) if session else None
    )
    return membership is not None and membership.role == MemberRole.ADMIN


def is_trainer(actor: Actor, event: TrainingEvent) -> bool:
    return actor.user_id is not None and actor.user_id in event.trainer_ids


def runs(actor: Actor, event: TrainingEvent) -> bool:
    """Who records attendance, completes it and sees who registered."""
    return is_organizer(actor, event) or is_trainer(actor, event)


def get_event(
    session: Session, *, actor: Actor, event_id: str, action: str = "view"
) -> TrainingEvent:
    event = session.get(TrainingEvent, event_id)
    if event is None:
        raise NotFound()
    return authorize(actor, action, event)


def locked(session: Session, event_id: str) -> TrainingEvent:
    event = session.scalar(
        select(TrainingEvent)
        .where(TrainingEvent.id == event_id)
        .with_for_update(of=TrainingEvent)
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound()
    return event


def seat_counts(session: Session, event_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(confirmed, waitlisted) per event."""
    found: dict[str, tuple[int, int]] = {}
    rows = session.execute(
        select(
            TrainingRegistration.event_id,
            func.count().filter(TrainingRegistration.status == CONFIRMED),
            func.count().filter(TrainingRegistration.status == WAITLISTED),
        )
        .where(TrainingRegistration.event_id.in_(list(event_ids)))
        .group_by(TrainingRegistration.event_id)
    )
    for event_id, confirmed, waiting in rows:
        found[event_id] = (int(confirmed), int(waiting))
    return found


def fill_seats(session: Session, event: TrainingEvent, actor: Actor) -> None:
    """Seat the waitlist in order while there are free seats (the event's row is locked)."""
    if event.status != SCHEDULED:
        return
    confirmed = seat_counts(session, [event.id]).get(event.id, (0, 0))[0]
    free = event.capacity - confirmed
    if free <= 0:
        return
    waiting = session.scalars(
        select(TrainingRegistration)
        .where(TrainingRegistration.event_id == event.id, TrainingRegistration.status == WAITLISTED)
        .order_by(TrainingRegistration.queued_at, TrainingRegistration.id)
        .limit(free)
    ).all()
    for registration in waiting:
        registration.status, registration.promoted_at = CONFIRMED, utcnow()
        session.flush()
        record_registration(session, "promoted", registration, actor)


def waitlist_position(session: Session, registration: TrainingRegistration) -> int | None:
    if registration.status != WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count()).where(
            TrainingRegistration.event_id == registration.event_id,
            TrainingRegistration.status == WAITLISTED,
            (TrainingRegistration.queued_at < registration.queued_at)
            | (
                (TrainingRegistration.queued_at == registration.queued_at)
                & (TrainingRegistration.id < registration.id)
            ),
        )
    )
    return int(ahead or 0) + 1


def record_event(
    session: Session,
    type: str,
    event: TrainingEvent,
    actor: Actor | None,
    notify: Sequence[str] = (),
    **data: Any,
) -> None:
    events.record(
        session,
        type=type,
        subject=event,
        actor=actor,
        data={"status": event.status.value, "title": event.title, **data},
        notify=(*notify, *event.trainer_ids),
        audience=(event.organization_id,),
        public=True,  # events are listed for everyone
    )


def record_registration(
    session: Session,
    what: str,
    registration: TrainingRegistration,
    actor: Actor | None,
    **data: Any,
) -> None:
    event = registration.event
    payload: dict[str, Any] = {
        "event_id": event.id,
        "status": registration.status.value,
        "title": event.title,
        "starts_on": event.starts_at.date().isoformat(),
        **data,
    }
    if what == "waitlisted":
        payload["position"] = waitlist_position(session, registration)
    events.record(
        session,
        type=f"training_registration.{what}",
        subject=registration,
        actor=actor,
        data=payload,
        notify=(registration.user_id,),
        audience=(event.organization_id,),
    )


def serves(code: str) -> Any:
    """Events serving a region: one of their regions is it or above it, or they serve all."""
    parts = code.split(".")
    ancestors = [".".join(parts[: i + 1]) for i in range(len(parts))]
    none = ~exists().where(TrainingEventRegion.event_id == TrainingEvent.id)
    return none | exists().where(
        TrainingEventRegion.event_id == TrainingEvent.id,
        TrainingEventRegion.region_code.in_(ancestors),
    )
