"""Two buyers ordering from one seller at the same moment on PostgreSQL: both orders are taken,
and the seller's statistics' facts count both.

Each order recomputes its business's ``stats_facts`` row in its own transaction (delete, then
insert); without a lock the second insert broke the primary key and the buyer got a 500.
Committed for real (the race needs separate connections), on its own app bound to the test
database; what it made is removed afterwards."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from api.db import utcnow
from api.models import (
    Availability,
    Business,
    BusinessStatus,
    Category,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    IdempotencyRecord,
    Notification,
    Order,
    Product,
    ProductStatus,
    Program,
    Role,
    StatsFact,
    StatsMember,
    User,
)
from api.services import auth as auth_service
from api.state import get_state
from tests.helpers import in_parallel, place_order

pytestmark = pytest.mark.postgres
BUYERS = 4


def _person(role: Role, name: str) -> User:
    tag = uuid.uuid4().int % 10**8
    return User(
        name=name,
        email=f"race-{tag}@example.id",
        phone=f"+62813{tag:08d}",
        role=role,
        password_hash="x",
    )


def test_buyers_ordering_from_one_seller_at_once_are_all_served(live_app: Flask) -> None:
    state = get_state(live_app)
    tag = uuid.uuid4().hex[:6]
    with state.new_session() as session:
        seller = _person(Role.ALUMNA, "Ibu Penjual Balapan")
        buyers = [_person(Role.BUYER, f"Pembeli Balapan {i}") for i in range(BUYERS)]
        session.add_all([seller, *buyers])
        program = Program(name=f"Sekoper Balapan {tag}")
        session.add(program)
        session.flush()
        cohort = Cohort(
            program_id=program.id, name="Angkatan Balapan", year=2024, region_code="32.75"
        )
        session.add(cohort)
        session.flush()
        session.add(
            GraduateClaim(user_id=seller.id, cohort_id=cohort.id, status=ClaimStatus.VERIFIED)
        )
        category = session.scalar(select(Category.id).where(Category.slug == "snacks-cakes"))
        business = Business(
            owner_id=seller.id,
            name=f"Usaha Balapan {tag}",
            slug=f"usaha-balapan-{tag}",
            description="Kue basah.",
            category_id=category,
            village_code="32.75.11.1004",
            district_code="32.75.11",
            regency_code="32.75",
            address="Jl. Mustika Raya No. 12",
            status=BusinessStatus.ACTIVE,
        )
        session.add(business)
        session.flush()
        products = [
            Product(
                business_id=business.id,
                name=f"Kue balapan {i}",
                slug=f"kue-balapan-{tag}-{i}",
                description="Kue lapis legit.",
                category_id=category,
                price_idr=25_000,
                unit="loyang",
                stock=10,
                availability=Availability.IN_STOCK,
                status=ProductStatus.PUBLISHED,
                published_at=utcnow(),
            )
            for i in range(BUYERS)
        ]
        session.add_all(products)
        tokens = [
            auth_service.open_session(session, security=state.security, user=b).access_token
            for b in buyers
        ]
        session.commit()

    def order(i: int) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        response = place_order(live_app.test_client(), business.id, products[i].id, headers)
        return response.status_code, response.get_json()

    ids = [seller.id, *(b.id for b in buyers)]
    try:
        statuses = in_parallel(BUYERS, order)
        assert [status for status, _ in statuses] == [201] * BUYERS, statuses
        with state.new_session() as session:
            assert (
                session.scalar(
                    select(StatsMember.cohort_id).where(StatsMember.business_id == business.id)
                )
                == cohort.id
            )
            last = session.scalar(
                select(StatsFact.last_order_at).where(StatsFact.business_id == business.id)
            )
            newest = session.scalar(
                select(Order.created_at)
                .where(Order.business_id == business.id)
                .order_by(Order.created_at.desc())
                .limit(1)
            )
            assert last == newest
    finally:
        with state.new_session() as session:
            session.execute(delete(Order).where(Order.business_id == business.id))
            session.execute(delete(Notification).where(Notification.user_id.in_(ids)))
            session.execute(delete(Business).where(Business.id == business.id))
            session.execute(delete(Cohort).where(Cohort.id == cohort.id))
            session.execute(delete(Program).where(Program.id == program.id))
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope.in_(ids)))
            session.execute(delete(User).where(User.id.in_(ids)))
            session.commit()
