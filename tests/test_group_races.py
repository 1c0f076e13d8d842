"""The last seat of a workshop, taken by four women at once on PostgreSQL: one gets it.

Committed for real (the race needs separate connections), on its own app bound to the test
database; what it made is removed afterwards."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from api.db import utcnow
from api.models import (
    GroupAttendee,
    GroupSession,
    IdempotencyRecord,
    InviteStatus,
    MentoringFormat,
    MentoringOffer,
    Notification,
    OfferKind,
    Organization,
    OrganizationKind,
    Role,
    Topic,
    User,
)
from api.services import auth as auth_service
from api.state import get_state

pytestmark = pytest.mark.postgres


def in_parallel(count: int, call: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _person(role: Role, name: str) -> User:
    return User(
        name=name, email=f"seat-{uuid.uuid4().hex[:8]}@example.id", role=role, password_hash="x"
    )


def test_four_women_taking_the_last_seat_at_once_one_gets_it(live_app: Flask) -> None:
    state = get_state(live_app)
    with state.new_session() as session:
        mentor = _person(Role.MENTOR, "Mentor Balapan")
        women = [_person(Role.ALUMNA, f"Ibu Balapan {i}") for i in range(4)]
        session.add_all([mentor, *women])
        session.flush()
        university = Organization(
            name=f"Universitas Balapan {uuid.uuid4().hex[:6]}",
            kind=OrganizationKind.UNIVERSITY,
            created_by_id=mentor.id,
            verified_at=utcnow(),
        )
        session.add(university)
        session.flush()
        today = utcnow().date()
        offer = MentoringOffer(
            mentor_id=mentor.id,
            organization_id=university.id,
            title="Lokakarya",
            format=MentoringFormat.ONLINE,
            kind=OfferKind.GROUP,
            group_size=2,
            capacity=2,
            starts_on=today,
            ends_on=today + dt.timedelta(days=30),
        )
        session.add(offer)
        session.flush()
        meeting = GroupSession(
            offer_id=offer.id,
            mentor_id=mentor.id,
            organization_id=university.id,
            topic=Topic.PRODUCT_PHOTOGRAPHY,
            title="Kursi terakhir",
            starts_at=utcnow() + dt.timedelta(days=2),
            duration_minutes=60,
            capacity=2,
            mode=MentoringFormat.ONLINE,
            link="https://meet.example.id/x",
        )
        session.add(meeting)
        session.flush()
        # One seat is taken already: one is left.
        session.add(
            GroupAttendee(session_id=meeting.id, alumna_id=mentor.id, status=InviteStatus.INVITED)
        )
        tokens = [
            auth_service.open_session(session, security=state.security, user=w).access_token
            for w in women
        ]
        session.commit()

    def register(i: int) -> int:
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        url = f"/v1/group-mentoring-sessions/{meeting.id}/register"
        return live_app.test_client().post(url, headers=headers).status_code

    ids = [mentor.id, *(w.id for w in women)]
    try:
        statuses = in_parallel(len(women), register)
        assert sorted(statuses) == [200, 409, 409, 409], statuses
        with state.new_session() as session:
            seated = session.scalars(
                select(GroupAttendee).where(
                    GroupAttendee.session_id == meeting.id,
                    GroupAttendee.status.in_((InviteStatus.INVITED, InviteStatus.REGISTERED)),
                )
            ).all()
            assert len(seated) == 2
    finally:
        with state.new_session() as session:
            session.execute(delete(Notification).where(Notification.user_id.in_(ids)))
            session.execute(delete(GroupSession).where(GroupSession.id == meeting.id))
            session.execute(delete(MentoringOffer).where(MentoringOffer.id == offer.id))
            session.execute(delete(Organization).where(Organization.id == university.id))
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope.in_(ids)))
            session.execute(delete(User).where(User.id.in_(ids)))
            session.commit()
