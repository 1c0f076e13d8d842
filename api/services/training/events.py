"""Training events: published by members of verified organisations or by programme staff;
alumnae register (a seat, or the waitlist when it is full); cancelling frees the seat for the
first of the waitlist; trainers record who came (walk-ins too); completing the event issues a
certificate to every woman who attended.

Seats: registering, cancelling and raising the capacity lock the event's row first
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's transactions take the write lock at BEGIN),
so the count of confirmed seats read is the count at commit: of two women taking the last seat
at once, one gets it and the other the waitlist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, object_session

from api import phones
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    MemberRole,
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
from api.services import events, regions
from api.services.authz import Actor, authorize, can
from api.services.lifecycle import refuse
from api.services.shown import Shown
from api.services.training import certificates
from api.storage import Storage

EVENT_SORTS = sort_options(TrainingEvent, starts_at=["starts_at"], created_at=["created_at"])
REGISTRATION_SORTS = sort_options(TrainingRegistration, created_at=["created_at"])
TRAINER_ROLES = (Role.FACILITATOR, Role.MENTOR)
SCHEDULED, COMPLETED, CANCELLED = (
    TrainingEventStatus.SCHEDULED,
    TrainingEventStatus.COMPLETED,
    TrainingEventStatus.CANCELLED,
)
CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


# -- who ---------------------------------------------------------------------------------------


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


# -- events ------------------------------------------------------------------------------------


def create_event(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> TrainingEvent:
    values = dict(data)
    organization = _organization(session, actor, values.pop("organization_id", None))
    codes, trainers = values.pop("region_codes", []), values.pop("trainer_ids", [])
    _check(session, values, codes, trainers)
    event = TrainingEvent(
        **values,
        organizer_id=actor.user_id,
        organization_id=organization.id if organization else None,
        region_rows=[TrainingEventRegion(region_code=c) for c in sorted(set(codes))],
        trainer_rows=[TrainingEventTrainer(user_id=t) for t in sorted(set(trainers))],
    )
    session.add(event)
    session.flush()
    _event(session, "training_event.published", event, actor)
    return event


def _check(
    session: Session, values: Mapping[str, Any], codes: Sequence[str], trainers: Sequence[str]
) -> None:
    errors: dict[str, list[str]] = {}
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = ["Must be after starts_at."]
    if values["registration_closes_at"] <= values["registration_opens_at"]:
        errors["registration_closes_at"] = ["Must be after registration_opens_at."]
    if values["registration_closes_at"] > values["ends_at"]:
        errors["registration_closes_at"] = ["Must not be after ends_at."]
    fmt = values["format"]
    if fmt in (MentoringFormat.IN_PERSON, MentoringFormat.BOTH) and not values.get("place"):
        errors["place"] = ["Required where the event meets in person."]
    if fmt in (MentoringFormat.ONLINE, MentoringFormat.BOTH) and not values.get("link"):
        errors["link"] = ["Required for an online event."]
    for index, trainer_id in enumerate(trainers):
        user = session.get(User, trainer_id)
        if user is None or user.role not in TRAINER_ROLES or user.erased_at is not None:
            errors[f"trainer_ids.{index}"] = ["Not a facilitator or mentor."]
    if errors:
        raise ValidationFailed(errors=errors)
    for index, code in enumerate(codes):
        regions.require_region(session, code, field=f"region_codes.{index}")


def get_event(
    session: Session, *, actor: Actor, event_id: str, action: str = "view"
) -> TrainingEvent:
    event = session.get(TrainingEvent, event_id)
    if event is None:
        raise NotFound()
    return authorize(actor, action, event)


def _locked(session: Session, event_id: str) -> TrainingEvent:
    event = session.scalar(
        select(TrainingEvent)
        .where(TrainingEvent.id == event_id)
        .with_for_update(of=TrainingEvent)
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound()
    return event


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
            "registration_opens_at",
            "registration_closes_at",
            "format",
            "place",
            "link",
        )
    }
    _check(session, merged, codes or [], trainers or [])
    if "capacity" in values:
        _locked(session, event.id)
        confirmed = _counts(session, [event.id]).get(event.id, (0, 0))[0]
        if values["capacity"] < confirmed:
            raise Conflict("capacity_below_registrations", params={"confirmed": confirmed})
    for name, value in values.items():
        setattr(event, name, value)
    if codes is not None:
        event.region_rows = [TrainingEventRegion(region_code=c) for c in sorted(set(codes))]
    if trainers is not None:
        event.trainer_rows = [TrainingEventTrainer(user_id=t) for t in sorted(set(trainers))]
    session.flush()
    _event(session, "training_event.updated", event, actor)
    _fill_seats(session, event, actor)
    return event


def cancel_event(session: Session, *, actor: Actor, event_id: str, reason: str) -> TrainingEvent:
    """Call the event off; everyone registered is told."""
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
    _event(session, "training_event.cancelled", event, actor, notify=registered, reason=reason)
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
        stmt = stmt.where(_serves(region))
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


def _serves(code: str) -> Any:
    """Events serving a region: one of their regions is it or above it, or they serve all."""
    parts = code.split(".")
    ancestors = [".".join(parts[: i + 1]) for i in range(len(parts))]
    none = ~exists().where(TrainingEventRegion.event_id == TrainingEvent.id)
    return none | exists().where(
        TrainingEventRegion.event_id == TrainingEvent.id,
        TrainingEventRegion.region_code.in_(ancestors),
    )


def _counts(session: Session, event_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
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


def shown_events(
    session: Session, actor: Actor, items: Sequence[TrainingEvent]
) -> list[Shown[TrainingEvent]]:
    """Events as the caller sees them: seats taken, waitlist, her registration, her actions."""
    counts = _counts(session, [e.id for e in items])
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
    if event.status in (SCHEDULED, COMPLETED) and runs(actor, event):
        actions.append("record_attendance")
    if event.status == SCHEDULED and runs(actor, event):
        actions.append("complete")
    return actions


# -- registrations -----------------------------------------------------------------------------


def register(session: Session, *, actor: Actor, event_id: str) -> TrainingRegistration:
    """She takes a seat, or the next place on the waitlist when the event is full."""
    user = actor.require_user()
    get_event(session, actor=actor, event_id=event_id)
    event = _locked(session, event_id)
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
    confirmed = _counts(session, [event.id]).get(event.id, (0, 0))[0]
    status = CONFIRMED if confirmed < event.capacity else WAITLISTED
    if registration is None:
        registration = TrainingRegistration(event_id=event.id, user_id=user.id, status=status)
        session.add(registration)
    registration.status, registration.queued_at = status, now
    registration.cancelled_at = registration.promoted_at = None
    session.flush()
    _registration_event(session, status.value, registration, actor)
    return registration


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
    event = _locked(session, registration.event_id)
    if event.status != SCHEDULED or utcnow() >= event.starts_at:
        raise Conflict("registration_closed")
    if registration.status == RegistrationStatus.CANCELLED:
        refuse("cancel", registration.status)
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, utcnow()
    session.flush()
    _registration_event(session, "cancelled", registration, actor)
    _fill_seats(session, event, actor)
    return registration


def _fill_seats(session: Session, event: TrainingEvent, actor: Actor) -> None:
    """Seat the waitlist in order while there are free seats (the event's row is locked)."""
    if event.status != SCHEDULED:
        return
    confirmed = _counts(session, [event.id]).get(event.id, (0, 0))[0]
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
        _registration_event(session, "promoted", registration, actor)


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
    """Her name for those who run the event (to call the roll); her position when waiting."""
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
        name=registration.user.name,
        position=waitlist_position(session, registration),
    )


# -- attendance --------------------------------------------------------------------------------


def record_attendance(
    session: Session,
    *,
    actor: Actor,
    event_id: str,
    entries: Sequence[Mapping[str, Any]],
    storage: Storage,
    verify_base: str,
) -> list[TrainingRegistration]:
    """Who came and who did not; a woman who came without registering is found by her phone
    or her user id and recorded as a walk-in. On a completed event, a woman newly recorded as
    present gets her certificate, and one corrected to absent loses hers (revoked)."""
    event = get_event(session, actor=actor, event_id=event_id, action="run")
    event = _locked(session, event.id)
    if event.status == CANCELLED:
        raise Conflict("event_not_scheduled", params={"status": event.status.value})
    now = utcnow()
    if now < event.starts_at:
        raise Conflict("event_not_started")
    users = _attendees(session, entries)
    recorded = []
    for user, entry in zip(users, entries, strict=True):
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
        _registration_event(session, "attended", registration, actor, attended=entry["attended"])
        recorded.append(registration)
        if event.status == COMPLETED:
            if entry["attended"]:
                certificates.issue(
                    session, registration, storage=storage, verify_base=verify_base, actor=actor
                )
            else:
                certificates.revoke_for(session, registration, actor=actor, reason="absent")
    return recorded


def _attendees(session: Session, entries: Sequence[Mapping[str, Any]]) -> list[User]:
    """Each entry's alumna, by user id or phone (422 naming the entries not found)."""
    errors: dict[str, list[str]] = {}
    found: list[User] = []
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
        else:
            found.append(user)
    if errors:
        raise ValidationFailed(errors=errors)
    return found


def complete_event(
    session: Session, *, actor: Actor, event_id: str, storage: Storage, verify_base: str
) -> TrainingEvent:
    """The event is over: each woman recorded as present gets her certificate."""
    event = get_event(session, actor=actor, event_id=event_id, action="run")
    event = _locked(session, event.id)
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
        certificates.issue(
            session, registration, storage=storage, verify_base=verify_base, actor=actor
        )
    _event(session, "training_event.completed", event, actor, attended=len(attended))
    return event


# -- events feed -------------------------------------------------------------------------------


def _event(
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


def _registration_event(
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
