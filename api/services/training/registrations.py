"""Registrations and attendance: alumnae register (a seat, or the waitlist when it is full);
cancelling frees the seat for the first of the waitlist; trainers record who came (walk-ins
too); completing the event issues a certificate to every woman who attended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import phones
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    RegistrationStatus,
    Role,
    TrainingEvent,
    TrainingRegistration,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor, authorize, can
from api.services.lifecycle import refuse
from api.services.shown import Shown
from api.services.training import certificates
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
    record_registration,
    seat_counts,
    waitlist_position,
)
from api.storage import Storage

REGISTRATION_SORTS = sort_options(TrainingRegistration, created_at=["created_at"])
# Attendance is recorded from the start until a week after the end: late enough to correct
# the roll, not so late that an old event is reopened for certificates and hours.
ATTENDANCE_GRACE = dt.timedelta(days=7)


@dataclass
class Recorded:
    """One entry's outcome. A walk-in found by her phone is answered without her name or user
    id (and her phone masked), so the roll is no way to learn who holds a number."""

    entry: int
    registration: TrainingRegistration
    by_phone: bool


def register(session: Session, *, actor: Actor, event_id: str) -> TrainingRegistration:
    """She takes a seat, or the next place on the waitlist when the event is full."""
    user = actor.require_user()
    get_event(session, actor=actor, event_id=event_id)
    event = locked(session, event_id)
    now = utcnow()
    if event.status != SCHEDULED:
        raise Conflict("event_not_scheduled", params={"status": event.status.value})
    if not event.registration_opens_at <= now < event.registration_closes_at:
        raise Conflict("registration_closed")
    registration = session.scalar(
        select(TrainingRegistration).where(
            TrainingRegistration.event_id == event.id, TrainingRegistration.user_id == user.id
        )
    )
    if registration is not None and registration.status != RegistrationStatus.CANCELLED:
        raise Conflict("already_registered")
    confirmed = seat_counts(session, [event.id]).get(event.id, (0, 0))[0]
    status = CONFIRMED if confirmed < event.capacity else WAITLISTED
    if registration is None:
        registration = TrainingRegistration(event_id=event.id, user_id=user.id, status=status)
        session.add(registration)
    registration.status, registration.queued_at = status, now
    registration.cancelled_at = registration.promoted_at = None
    session.flush()
    record_registration(session, status.value, registration, actor)
    return registration


def get_registration(
    session: Session, *, actor: Actor, registration_id: str
) -> TrainingRegistration:
    registration = session.get(TrainingRegistration, registration_id)
    if registration is None:
        raise NotFound()
    return authorize(actor, "view", registration)


def cancel_registration(
    session: Session, *, actor: Actor, registration_id: str
) -> TrainingRegistration:
    """She gives up her seat (or her place in the queue) before the event starts; a seat she
    frees goes to the first woman waiting, who is told."""
    registration = authorize(
        actor,
        "cancel",
        get_registration(session, actor=actor, registration_id=registration_id),
    )
    event = locked(session, registration.event_id)
    if event.status != SCHEDULED or utcnow() >= event.starts_at:
        raise Conflict("registration_closed")
    if registration.status == RegistrationStatus.CANCELLED:
        refuse("cancel", registration.status)
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, utcnow()
    session.flush()
    record_registration(session, "cancelled", registration, actor)
    fill_seats(session, event, actor)
    return registration


def list_registrations(
    session: Session,
    *,
    actor: Actor,
    event_id: str | None = None,
    status: RegistrationStatus | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "created_at",
) -> Page[TrainingRegistration]:
    """An event's registrations (those who run it), or, without an event, the caller's own."""
    stmt = select(TrainingRegistration)
    if event_id is not None:
        get_event(session, actor=actor, event_id=event_id, action="run")
        stmt = stmt.where(TrainingRegistration.event_id == event_id)
    else:
        stmt = stmt.where(TrainingRegistration.user_id == actor.require_user().id)
    if status:
        stmt = stmt.where(TrainingRegistration.status == status)
    return paginate(
        session,
        stmt,
        model=TrainingRegistration,
        sort=sort,
        options=REGISTRATION_SORTS,
        limit=limit,
        cursor=cursor,
    )


def shown_registration(
    session: Session, actor: Actor, registration: TrainingRegistration
) -> Shown[TrainingRegistration]:
    """Her name for those who run the event (to call the roll: a walk-in's is hers to see
    alone, as she was found by a number); her position when waiting."""
    actions = []
    if (
        can(actor, "cancel", registration)
        and registration.status != RegistrationStatus.CANCELLED
        and registration.event.status == SCHEDULED
        and utcnow() < registration.event.starts_at
    ):
        actions.append("cancel")
    return Shown(
        registration,
        allowed_actions=actions,
        name=(
            None
            if registration.walk_in and actor.user_id != registration.user_id
            else registration.user.name
        ),
        position=waitlist_position(session, registration),
    )


def masked_phone(phone: str | None) -> str | None:
    """+6281255504301 -> 0812****4301: enough for the trainer to tell entries apart."""
    if not phone:
        return None
    national = "0" + phone[3:] if phone.startswith("+62") else phone
    return national[:4] + "****" + national[-4:] if len(national) > 8 else "****"


def shown_recorded(recorded: Recorded) -> dict[str, Any]:
    registration = recorded.registration
    hidden = recorded.by_phone and registration.walk_in
    return {
        "entry": recorded.entry,
        "registration_id": None if hidden else registration.id,
        "user_id": None if hidden else registration.user_id,
        "name": None if hidden else registration.user.name,
        "phone": masked_phone(registration.user.phone) if hidden else None,
        "walk_in": registration.walk_in,
        "attended": registration.attended,
        "status": registration.status,
    }


def record_attendance(
    session: Session,
    *,
    actor: Actor,
    event_id: str,
    entries: Sequence[Mapping[str, Any]],
    storage: Storage,
) -> list[Recorded]:
    """Who came and who did not, from the start until ATTENDANCE_GRACE after the end; a woman
    who came without registering is found by her phone or her user id and recorded as a
    walk-in. On a completed event, a woman newly recorded as present gets her certificate, and
    one corrected to absent loses hers (revoked): such corrections are for its organiser (those
    who may revoke a certificate), not its trainers."""
    event = get_event(session, actor=actor, event_id=event_id, action="run")
    event = locked(session, event.id)
    if event.status == CANCELLED:
        raise Conflict("event_not_scheduled", params={"status": event.status.value})
    if event.status == COMPLETED and not is_organizer(actor, event):
        raise Forbidden()
    now = utcnow()
    if now < event.starts_at:
        raise Conflict("event_not_started")
    if now > event.ends_at + ATTENDANCE_GRACE:
        raise Conflict("attendance_closed")
    users = _attendees(session, entries)
    recorded = []
    for index, (user, entry) in enumerate(zip(users, entries, strict=True)):
        registration = session.scalar(
            select(TrainingRegistration).where(
                TrainingRegistration.event_id == event.id, TrainingRegistration.user_id == user.id
            )
        )
        if registration is None:
            if not entry["attended"]:
                continue  # nobody to mark absent
            registration = TrainingRegistration(
                event_id=event.id, user_id=user.id, status=CONFIRMED, queued_at=now, walk_in=True
            )
            session.add(registration)
        if entry["attended"]:
            registration.status = CONFIRMED  # she came: her place is hers
        registration.attended = entry["attended"]
        registration.attendance_recorded_at = now
        registration.attendance_recorded_by_id = actor.user_id
        session.flush()
        record_registration(session, "attended", registration, actor, attended=entry["attended"])
        recorded.append(Recorded(index, registration, by_phone=not entry.get("user_id")))
        if event.status == COMPLETED:
            if entry["attended"]:
                certificates.issue(session, registration, storage=storage, actor=actor)
            else:
                certificates.revoke_for(
                    session, registration, actor=actor, reason=certificates.CORRECTED
                )
    return recorded


def _attendees(session: Session, entries: Sequence[Mapping[str, Any]]) -> list[User]:
    """Each entry's alumna, by user id or phone (422 naming the entries not found, and those
    naming a woman an earlier entry named). Not found says the same whether the number has no
    account or an account that is not an alumna's."""
    errors: dict[str, list[str]] = {}
    found: list[User] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        user: User | None = None
        if entry.get("user_id"):
            user = session.get(User, entry["user_id"])
            field = "user_id"
        else:
            number = phones.parse(entry.get("phone") or "")
            field = "phone"
            if number is not None:
                user = session.scalar(select(User).where(User.phone == phones.e164(number)))
        if user is None or user.role != Role.ALUMNA or user.erased_at is not None:
            errors[f"entries.{index}.{field}"] = ["No alumna found."]
        elif user.id in seen:
            errors[f"entries.{index}.{field}"] = ["The same woman as an earlier entry."]
        else:
            seen.add(user.id)
            found.append(user)
    if errors:
        raise ValidationFailed(errors=errors)
    return found


def complete_event(
    session: Session, *, actor: Actor, event_id: str, storage: Storage
) -> TrainingEvent:
    """The event is over: each woman recorded as present gets her certificate."""
    event = get_event(session, actor=actor, event_id=event_id, action="run")
    event = locked(session, event.id)
    if event.status != SCHEDULED:
        raise Conflict("event_not_scheduled", params={"status": event.status.value})
    if utcnow() < event.starts_at:
        raise Conflict("event_not_started")
    event.status, event.completed_at = COMPLETED, utcnow()
    session.flush()
    attended = session.scalars(
        select(TrainingRegistration).where(
            TrainingRegistration.event_id == event.id, TrainingRegistration.attended.is_(True)
        )
    ).all()
    for registration in attended:
        certificates.issue(session, registration, storage=storage, actor=actor)
    record_event(session, "training_event.completed", event, actor, attended=len(attended))
    return event
