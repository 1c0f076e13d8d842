"""Demo training events: a workshop held a month ago, with attendance (a walk-in, an absence)
and certificates, and an upcoming one that is full, with a waitlist, whose seats the CSR
company sponsors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    MentoringFormat,
    NeedKind,
    Role,
    SupportKind,
    TargetType,
    Topic,
    TrainingEvent,
    User,
)
from api.services import sponsorship
from api.services.authz import Actor
from api.services.training import events as training
from api.services.training import registrations
from api.storage import Storage


def load_training(
    session: Session,
    users: dict[str, User],
    storage: Storage | None,
    echo: Callable[[str], Any],
) -> None:
    """Without a storage (the API's test world) the past workshop is left attended but not
    completed: whoever loads it completes it, and its certificates are made there."""
    lestari = users["lestari@univ-mustika.example.id"]
    facilitator = session.scalars(select(User).where(User.role == Role.FACILITATOR)).first()
    alumnae = [u for u in users.values() if u.role == Role.ALUMNA]
    organizer = Actor(user=lestari)
    now = utcnow()
    trainers = [facilitator.id] if facilitator else []

    def event(
        title: str, topic: Topic, starts: dt.datetime, hours: int, capacity: int
    ) -> TrainingEvent:
        return training.create_event(
            session,
            actor=organizer,
            data={
                "title": title,
                "description": "Pelatihan untuk alumni Sekoper Cinta Kota Bekasi.",
                "topic": topic,
                "format": MentoringFormat.IN_PERSON,
                "place": "Aula Kelurahan Mustikasari, Kota Bekasi",
                "starts_at": starts,
                "ends_at": starts + dt.timedelta(hours=hours),
                "hours": hours,
                "capacity": capacity,
                "registration_opens_at": now - dt.timedelta(days=1),
                "registration_closes_at": starts,
                "region_codes": ["32.75"],
                "trainer_ids": trainers,
            },
        )

    held = event(
        "Jualan lewat WhatsApp Business", Topic.DIGITAL_MARKETING, now + dt.timedelta(days=1), 3, 20
    )
    for alumna in alumnae[:5]:
        registrations.register(session, actor=Actor(user=alumna), event_id=held.id)
    # It took place last week (the demo registers first, then moves it into the past: within
    # the 7 days after its end in which attendance is recorded).
    held.starts_at = now - dt.timedelta(days=5)
    held.ends_at = held.starts_at + dt.timedelta(hours=3)
    held.registration_opens_at = held.starts_at - dt.timedelta(days=14)
    held.registration_closes_at = held.starts_at
    session.flush()
    came = [{"user_id": a.id, "attended": True} for a in alumnae[:4]]
    came.append({"user_id": alumnae[4].id, "attended": False})
    if len(alumnae) > 5:
        came.append({"phone": alumnae[5].phone, "attended": True})  # came without registering
    runner = Actor(user=facilitator or lestari)
    placeholder: Any = storage
    registrations.record_attendance(
        session,
        actor=runner,
        event_id=held.id,
        entries=came,
        storage=placeholder,
    )
    if storage is not None:
        registrations.complete_event(session, actor=organizer, event_id=held.id, storage=storage)
    upcoming = event(
        "Foto produk dengan ponsel", Topic.PRODUCT_PHOTOGRAPHY, now + dt.timedelta(days=10), 2, 3
    )
    for alumna in alumnae[:5]:
        registrations.register(session, actor=Actor(user=alumna), event_id=upcoming.id)
    sponsor = users.get(SEATS_SPONSOR)
    if sponsor is not None:
        _sponsor_seats(session, upcoming, organizer, Actor(user=sponsor))
    echo(
        "  training: a workshop held a month ago (attendance, a walk-in, "
        f"{'certificates' if storage else 'not completed'}), one upcoming: 3 seats, 2 waiting"
        f"{', its seats sponsored' if sponsor else ''}"
    )


SEATS_SPONSOR = "andi.setiawan@sinarpangan.example.co.id"


def _sponsor_seats(
    session: Session, event: TrainingEvent, organizer: Actor, partner: Actor
) -> None:
    """The organiser asks for the event's seats; the CSR company pays for them (accepted, one
    disbursement confirmed): its impact report counts the women holding them."""
    need = sponsorship.create_event_need(
        session,
        actor=organizer,
        event_id=event.id,
        data={
            "kind": NeedKind.TRAINING,
            "title": f"Kursi pelatihan: {event.title}",
            "seats": event.capacity,
            "target_value_idr": 150_000 * event.capacity,
        },
    )
    proposal = sponsorship.propose(
        session,
        actor=partner,
        data={
            "target_type": TargetType.TRAINING_EVENT,
            "target_id": event.id,
            "need_id": need.id,
            "kind": SupportKind.CASH,
            "value_idr": need.target_value_idr,
            "terms": "Biaya kursi pelatihan dari CSR PT Sinar Pangan Nusantara.",
        },
    )
    sponsorship.act(session, actor=organizer, sponsorship_id=proposal.id, action="accept")
    paid = sponsorship.record_disbursement(
        session,
        actor=partner,
        sponsorship_id=proposal.id,
        data={
            "disbursed_on": utcnow().date(),
            "value_idr": need.target_value_idr,
            "description": "Transfer biaya kursi",
        },
    )
    sponsorship.confirm_disbursement(
        session, actor=organizer, sponsorship_id=proposal.id, disbursement_id=paid.id
    )
