"""A seeded world for the statistics tests: cohorts of graduates with businesses, check-ins and
orders spread over months, the same for every backend (random with a fixed seed)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import utcnow
from api.models import (
    BusinessStatus,
    CheckIn,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    Order,
    OrderStatus,
    Program,
    RevenueBand,
    Role,
    RosterEntry,
)
from tests.factories import BusinessFactory, UserFactory

VILLAGES = {"32.75": "32.75.11.1004", "32.71": "32.71.01.1001"}


def bare_order(buyer_id: str, business_id: str, **fields: object) -> Order:
    """An order of one rupiah picked up, with what the statistics read of it (``fields``:
    its status, when it was made)."""
    return Order(
        buyer_id=buyer_id,
        business_id=business_id,
        delivery_method="pickup",
        contact_name="B",
        contact_phone="+6281300000000",
        subtotal_idr=1,
        total_idr=1,
        **fields,
    )


def seed(session: Session, *, name: str, size: int, seed: int = 25) -> Program:
    """Cohorts in two regions and two years, with check-ins, orders, revenue, a closed business,
    businesses listed late, a graduate in two cohorts: the same data for the same arguments."""
    rng = random.Random(seed)
    today = utcnow().date()
    program = Program(name=name)
    session.add(program)
    session.flush()
    cohorts = []
    for i, (region, year, graduated) in enumerate(
        [
            ("32.75", 2023, dt.date(2023, 1, 31)),
            ("32.75", 2024, dt.date(2024, 3, 15)),
            ("32.71", 2024, dt.date(2024, 8, 1)),
            ("32.71", 2025, add_months(today, -4)),
        ]
    ):
        cohort = Cohort(
            program_id=program.id,
            name=f"{name} {i}",
            year=year,
            region_code=region,
            graduated_on=graduated,
        )
        session.add(cohort)
        cohorts.append(cohort)
    session.flush()
    buyer = UserFactory(role=Role.BUYER)
    previous = None
    for n in range(size):
        cohort = cohorts[n % len(cohorts)]
        alumna = UserFactory(role=Role.ALUMNA)
        session.add(
            RosterEntry(
                cohort_id=cohort.id,
                name=alumna.name,
                phone=alumna.phone,
                village_code="32.75.11.1004",
            )
        )
        session.add(
            GraduateClaim(user_id=alumna.id, cohort_id=cohort.id, status=ClaimStatus.VERIFIED)
        )
        if n % 7 == 3 and previous is not None and previous.id != cohort.id:
            # A graduate of two cohorts: measured from the earlier one.
            session.add(
                GraduateClaim(user_id=alumna.id, cohort_id=previous.id, status=ClaimStatus.VERIFIED)
            )
        previous = cohort
        if n % 9 == 8:
            continue  # verified, no business
        late = n % 6 == 5
        created = (
            dt.datetime.combine(add_months(today, -1), dt.time(), dt.UTC)
            if late
            else dt.datetime.combine(cohort.graduated_on, dt.time(9), dt.UTC)
        )
        business = BusinessFactory(
            owner_id=alumna.id,
            created_at=created,
            village_code=VILLAGES[cohort.region_code],
            status=BusinessStatus.CLOSED if n % 11 == 10 else BusinessStatus.ACTIVE,
        )
        business.last_activity_at = utcnow() - dt.timedelta(days=rng.choice([3, 70, 200]))
        start = cohort.graduated_on.replace(day=1)
        months = 0
        while add_months(start, months) <= today.replace(day=1):
            if rng.random() < 0.45:
                session.add(
                    CheckIn(
                        business_id=business.id,
                        month=add_months(start, months),
                        trading=rng.random() < 0.75,
                        revenue_idr=rng.choice([None, 500_000, 1_250_000, 2_000_001, 7_500_000]),
                        # Half of them answered by a button: a band, with or without an amount.
                        revenue_band=rng.choice([None, *RevenueBand]) if n % 2 else None,
                    )
                )
            months += 1
        for _ in range(rng.randint(0, 2)):
            when = dt.datetime.combine(
                cohort.graduated_on + dt.timedelta(days=rng.randint(0, 500)),
                dt.time(23, 30),
                dt.UTC,
            )
            if when.date() > today:
                continue
            session.add(
                bare_order(
                    buyer.id,
                    business.id,
                    status=rng.choice([OrderStatus.COMPLETED, OrderStatus.CANCELLED]),
                    created_at=when,
                )
            )
    session.flush()
    return program
