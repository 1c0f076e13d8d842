"""Demo data of business groups and group mentoring: KUB Melati of five women of
Mustikasari sharing the ketua's business, with its equipment, and the photo workshop of the
university's group offer, one held (with attendees and a walk-in) and one upcoming."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Business,
    GroupKind,
    GroupRole,
    MentoringFormat,
    MentoringOffer,
    OfferKind,
    Role,
    Topic,
    User,
)
from api.services import groups
from api.services.authz import Actor
from api.services.mentoring import group_sessions

MUSTIKASARI = "32.75.11.1004"
ROLES = (GroupRole.SEKRETARIS, GroupRole.BENDAHARA, GroupRole.ANGGOTA, GroupRole.ANGGOTA)


def load_groups(session: Session, users: dict[str, User], echo: Callable[[str], Any]) -> None:
    alumnae = [u for u in users.values() if u.role == Role.ALUMNA]
    everyone = list(session.scalars(select(User).where(User.role == Role.ALUMNA).order_by(User.id)))
    women = (alumnae + [u for u in everyone if u not in alumnae])[:5]
    if len(women) < 5:
        return
    _kub(session, women)
    _workshops(session, users, everyone)
    echo("  groups: KUB Melati (5 women, a shared business, equipment); 2 group workshops")


def _kub(session: Session, women: list[User]) -> None:
    ketua = Actor(user=women[0])
    group = groups.create_group(
        session,
        actor=ketua,
        data={
            "name": "KUB Melati Mustikasari",
            "kind": GroupKind.KUB,
            "description": "Lima lulusan Sekoper Cinta membuat keripik dan kue kering bersama.",
            "village_code": MUSTIKASARI,
        },
    )
    for woman, role in zip(women[1:], ROLES, strict=True):
        member = groups.invite(
            session, actor=ketua, group_id=group.id, data={"user_id": woman.id, "role": role}
        )
        groups.respond(
            session, actor=Actor(user=woman), group_id=group.id, member_id=member.id, accept=True
        )
    # Her own business becomes the group's shared one (the five make its snacks together).
    business = session.scalars(
        select(Business).where(Business.owner_id == women[0].id).order_by(Business.created_at)
    ).first()
    if business is None:
        return
    groups.add_business(session, actor=ketua, group_id=group.id, business_id=business.id)
    bendahara = Actor(user=women[2])
    for name, quantity, value, days in (
        ("Wajan besar", 2, 900_000, 40),
        ("Sealer plastik", 1, 1_250_000, 12),
    ):
        groups.record_equipment(
            session,
            actor=bendahara,
            group_id=group.id,
            data={
                "name": name,
                "quantity": quantity,
                "value_idr": value,
                "received_on": utcnow().date() - dt.timedelta(days=days),
                "source": "Swadaya anggota" if days > 20 else "CSR PT Sinar Pangan Nusantara",
            },
        )


def _workshops(session: Session, users: dict[str, User], alumnae: list[User]) -> None:
    """Bayu's group offer: a workshop held ten days ago for seven women (six invited, one of
    whom stayed away, and one who came without registering), and one next week."""
    bayu = users["bayu@univ-mustika.example.id"]
    mentor = Actor(user=bayu)
    offer = session.scalar(
        select(MentoringOffer).where(
            MentoringOffer.mentor_id == bayu.id, MentoringOffer.kind == OfferKind.GROUP
        )
    )
    if offer is None:
        return
    body = {
        "title": "Foto produk dengan ponsel",
        "topic": Topic.PRODUCT_PHOTOGRAPHY,
        "starts_at": utcnow() + dt.timedelta(days=7),
        "duration_minutes": 120,
        "mode": MentoringFormat.ONLINE,
        "link": "https://meet.example.id/foto-produk",
        "agenda": "Cahaya alami, latar sederhana, unggah ke marketplace.",
    }
    held = group_sessions.schedule(session, actor=mentor, offer_id=offer.id, data=body)
    group_sessions.invite(
        session, actor=mentor, session_id=held.id, alumna_ids=[u.id for u in alumnae[:6]]
    )
    for woman in alumnae[:6]:
        group_sessions.register(session, actor=Actor(user=woman), session_id=held.id)
    held.starts_at = utcnow() - dt.timedelta(days=10)  # the demo's past: it took place
    session.flush()
    came = [{"alumna_id": u.id, "attended": True} for u in alumnae[:5]]
    came.append({"alumna_id": alumnae[6].id, "attended": True})  # came without registering
    group_sessions.record(
        session,
        actor=mentor,
        session_id=held.id,
        data={"attendance": came, "notes": "Peserta antusias; lanjut sesi unggah marketplace."},
    )
    upcoming = group_sessions.schedule(
        session, actor=mentor, offer_id=offer.id, data={**body, "title": "Unggah ke marketplace"}
    )
    for woman in alumnae[7:10]:
        group_sessions.register(session, actor=Actor(user=woman), session_id=upcoming.id)
