"""Program statistics: figures computed here independently from the fixture, suppression of
small groups, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import utcnow
from api.models import (
    CheckIn,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    OrderItem,
    OrderStatus,
    Program,
    RevenueBand,
    Role,
    RosterEntry,
    StaffRegion,
    StatsFact,
    StatsMember,
    User,
)
from api.services import stats_facts
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory, UserFactory
from tests.stats_world import bare_order

GRADUATED = dt.date(2025, 1, 15)
EARLY = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)


def month(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


def make_cohort(
    session: Session, program: Program, name: str, graduates: int, roster_extra: int
) -> tuple[Cohort, list]:
    cohort = Cohort(
        program_id=program.id, name=name, year=2024, region_code="32.75", graduated_on=GRADUATED
    )
    session.add(cohort)
    session.flush()
    businesses = []
    for _ in range(graduates):
        alumna: User = UserFactory(role=Role.ALUMNA)
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
        businesses.append(BusinessFactory(owner_id=alumna.id, created_at=EARLY))
    for i in range(roster_extra):
        session.add(
            RosterEntry(
                cohort_id=cohort.id,
                name=f"Belum klaim {i}",
                phone=f"+62813777700{i:02d}",
                village_code="32.75.11.1004",
            )
        )
    session.flush()
    return cohort, businesses


def test_cohort_figures_match_an_independent_count(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    program = Program(name="Sekoper Cinta Uji")
    db_session.add(program)
    db_session.flush()
    cohort, biz = make_cohort(db_session, program, "Angkatan A", graduates=6, roster_extra=2)
    small, _ = make_cohort(db_session, program, "Angkatan Kecil", graduates=2, roster_extra=0)
    today = utcnow().date()
    recent = add_months(today.replace(day=1), -1)
    checkins = [  # (business, month, trading, revenue)
        (0, "2025-04", True, None),
        (0, "2025-07", True, None),
        (1, "2025-03", True, None),
        (2, "2025-02", True, None),
        (3, "2025-04", False, None),
        (0, recent.strftime("%Y-%m"), True, 2_000_000),
        (1, recent.strftime("%Y-%m"), True, 4_000_000),
        (2, recent.strftime("%Y-%m"), True, 3_000_000),
    ]
    for index, when, trading, revenue in checkins:
        db_session.add(
            CheckIn(
                business_id=biz[index].id, month=month(when), trading=trading, revenue_idr=revenue
            )
        )
    buyer: User = UserFactory(role=Role.BUYER)
    db_session.add(
        bare_order(
            buyer.id,
            biz[4].id,
            status=OrderStatus.COMPLETED,
            created_at=dt.datetime(2025, 3, 20, tzinfo=dt.UTC),
        )
    )
    db_session.flush()

    # Independently: who traded in the target month or the one before, or had an order in
    # the 60 days before, N months after 15 January 2025.
    def expected_survival(months: int) -> float | None:
        target = add_months(GRADUATED, months)
        if target > today:
            return None
        window = {target.replace(day=1), add_months(target.replace(day=1), -1)}
        alive = {i for i, when, trading, _ in checkins if trading and month(when) in window}
        if (
            dt.date(2025, 3, 20) >= target - dt.timedelta(days=60)
            and dt.date(2025, 3, 20) <= target
        ):
            alive.add(4)
        return round(len(alive) / 6, 4)

    body = client.get(f"/v1/stats/cohort?program={program.id}").json
    rows = {r["key"]: r for r in body["items"]}
    row = rows[cohort.id]
    assert row["suppressed"] is False
    assert (row["graduates"], row["verified_graduates"], row["businesses_started"]) == (8, 6, 6)
    assert row["survival_3m"] == expected_survival(3) == 0.5
    assert row["survival_6m"] == expected_survival(6) == round(1 / 6, 4)
    assert row["survival_12m"] == expected_survival(12) == 0.0
    assert row["survival_24m"] == expected_survival(24)
    assert row["median_monthly_revenue_idr"] == statistics.median([2_000_000, 4_000_000, 3_000_000])
    assert row["orders"] == 1
    assert row["share_active"] == 1.0  # all six were active (touched) just now

    # The small cohort: suppressed for the public, shown to an admin in scope.
    assert rows[small.id]["suppressed"] is True and rows[small.id]["graduates"] is None
    admin: User = UserFactory(role=Role.ADMIN)
    db_session.add(StaffRegion(user_id=admin.id, region_code="32.75"))
    db_session.flush()
    as_admin = client.get(
        f"/v1/stats/cohort?program={program.id}", headers=auth.headers(admin)
    ).json
    shown = {r["key"]: r for r in as_admin["items"]}[small.id]
    assert shown["suppressed"] is False and shown["businesses_started"] == 2
    bogor: User = UserFactory(role=Role.ADMIN)
    db_session.add(StaffRegion(user_id=bogor.id, region_code="32.71"))
    db_session.flush()
    other = client.get(f"/v1/stats/cohort?program={program.id}", headers=auth.headers(bogor)).json
    assert {r["key"]: r for r in other["items"]}[small.id]["suppressed"] is True

    # By program: both cohorts together (8 businesses) are not small.
    whole = client.get(f"/v1/stats/program?program={program.id}").json["items"][0]
    assert whole["businesses_started"] == 8 and whole["graduates"] == 10

    as_csv = client.get(f"/v1/stats/cohort?program={program.id}&format=csv")
    table = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert table[0][:4] == ["cohort", "label", "suppressed", "graduates"]
    assert any(r[0] == small.id and r[2] == "yes" and r[3] == "" for r in table[1:])
    assert client.get("/v1/stats/nothing").status_code == 404


def test_a_business_listed_later_counts_from_its_backdated_check_ins(
    client: FlaskClient, db_session: Session
) -> None:
    program = Program(name="Sekoper Cinta Susulan")
    db_session.add(program)
    db_session.flush()
    _, biz = make_cohort(db_session, program, "Angkatan Susulan", graduates=5, roster_extra=0)
    for business in biz:
        business.created_at = utcnow()  # listed on Berdaya only now
    # Two report trading three months after graduation (backdated), one reports not trading.
    for index, trading in ((0, True), (1, True), (2, False)):
        db_session.add(CheckIn(business_id=biz[index].id, month=month("2025-04"), trading=trading))
    db_session.flush()
    row = client.get(f"/v1/stats/cohort?program={program.id}").json["items"][0]
    assert row["survival_3m"] == round(2 / 3, 4)  # the two silent ones are not known then


def test_medians_count_each_business_once_by_its_latest_report(
    client: FlaskClient, db_session: Session
) -> None:
    """A business that reports every month weighs as much as one that reported once: the
    medians take each business's latest amount (and band) of the last 12 months. Per check-in,
    the busy seller's four 9-million months would make 9 million the median."""
    program = Program(name="Sekoper Cinta Median")
    db_session.add(program)
    db_session.flush()
    _, biz = make_cohort(db_session, program, "Angkatan Median", graduates=5, roster_extra=0)
    first = add_months(utcnow().date().replace(day=1), -1)
    reports = [  # (business, months ago, amount or band)
        (0, 0, 9_000_000),
        (0, 1, 9_000_000),
        (0, 2, 9_000_000),
        (0, 3, 9_000_000),
        (1, 0, 500_000),
        (2, 0, 2_000_000),
        (2, 5, 20_000_000),  # older than her latest: not counted
        (3, 0, RevenueBand.UNDER_1M),  # a band by button, no amount
        (4, 14, 30_000_000),  # more than 12 months ago: not counted
    ]
    for index, ago, given in reports:
        amount = given if isinstance(given, int) else None
        band = given if isinstance(given, RevenueBand) else None
        db_session.add(
            CheckIn(
                business_id=biz[index].id,
                month=add_months(first, -ago),
                trading=True,
                revenue_idr=amount,
                revenue_band=band,
            )
        )
    db_session.flush()
    row = client.get(f"/v1/stats/cohort?program={program.id}").json["items"][0]
    assert row["suppressed"] is False
    # Amounts: 9,000,000, 500,000, 2,000,000 -> 2,000,000 (per check-in it was 9,000,000).
    assert row["median_monthly_revenue_idr"] == 2_000_000
    # Bands: 5m_15m, under_1m, 1m_5m, under_1m -> lower median under_1m.
    assert row["median_revenue_band"] == RevenueBand.UNDER_1M.value


def test_orders_added_to_the_facts_match_a_full_recompute(
    db_session: Session, connection: Connection
) -> None:
    """A new order is added to its seller's facts (no rebuild); the rows are what ``refresh``
    computes from scratch, order after order: inside a horizon's window or not, on its edges,
    completed or not, two at once, for a business not known at a horizon, and with a check-in
    in the same flush (then the business is recomputed whole)."""
    program = Program(name="Sekoper Cinta Tambah")
    db_session.add(program)
    db_session.flush()
    _, (early, late) = make_cohort(db_session, program, "Angkatan Tambah", 2, 0)
    late.created_at = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)  # after the 3-month horizon
    buyer: User = UserFactory(role=Role.BUYER)
    product = ProductFactory(business_id=early.id)
    db_session.flush()
    fact = StatsFact.__table__
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    def rows(business_id: str) -> list[tuple[object, ...]]:
        db_session.expire_all()
        return list(
            db_session.execute(
                select(fact).where(fact.c.business_id == business_id).order_by(fact.c.since)
            )
        )

    def at(day: str, hour: int = 12) -> dt.datetime:
        return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)

    twelve = add_months(GRADUATED, 12)  # the 12-month horizon's window of orders, its edges
    opens = dt.datetime.combine(twelve - dt.timedelta(days=60), dt.time(), dt.UTC)
    closes = dt.datetime.combine(twelve + dt.timedelta(days=1), dt.time(), dt.UTC)
    steps: list[tuple[object, list[dict[str, object]]]] = [
        (early, [{"created_at": at("2025-05-20")}]),  # in no window
        (early, [{"created_at": at("2025-03-01")}]),  # the 3-month window
        (late, [{"created_at": at("2025-03-01")}]),  # the window, but not known then
        (early, [{"created_at": closes}]),  # just past the 12-month window
        (early, [{"created_at": opens - dt.timedelta(microseconds=1)}]),  # just before it
        (early, [{"created_at": opens, "status": OrderStatus.COMPLETED}]),  # its first moment
        (late, [{"created_at": closes - dt.timedelta(microseconds=1)}]),  # its last moment
        (late, [{"created_at": at("2025-06-01"), "status": OrderStatus.COMPLETED}, {}]),
        (early, [{}]),  # now: the last order, in no past window
    ]
    with_rows = 0
    event.listen(connection, "before_cursor_execute", note)
    try:
        for business, orders in steps:
            seen.clear()
            before = rows(business.id)
            for fields in orders:
                db_session.add(bare_order(buyer.id, business.id, **fields))
            db_session.flush()
            assert not any("DELETE FROM stats_facts" in s for s in seen), "recomputed"
            added = rows(business.id)
            with_rows += added != before
            stats_facts.refresh(db_session, business_ids=[business.id], members=False)
            assert added == rows(business.id), (orders, before)
        # An order whose flush failed (its line breaks a CHECK) in a savepoint is not
        # counted by the next flush, nor twice when placed again.
        for again in (False, True):
            failed = bare_order(
                buyer.id, early.id, created_at=at("2025-06-20"), status=OrderStatus.COMPLETED
            )
            failed.items = [
                OrderItem(
                    position=0,
                    product_id=product.id,
                    product_name="Kue",
                    unit="pcs",
                    unit_price_idr=1,
                    quantity=0,
                    line_total_idr=0,
                    held=0,
                )
            ]
            before = rows(early.id)
            savepoint = db_session.begin_nested()
            db_session.add(failed)
            with pytest.raises(IntegrityError):
                db_session.flush()
            savepoint.rollback()
            if again:
                failed.items[0].quantity = 1
                db_session.add(failed)
            else:
                UserFactory(role=Role.BUYER)
            db_session.flush()
            got = rows(early.id)
            stats_facts.refresh(db_session, business_ids=[early.id], members=False)
            assert got == rows(early.id)
            assert (got == before) is not again
        (row,) = rows(early.id)
        assert row.orders_completed == 2  # the order at the window's opening, and this one
        # An order and a check-in in one flush: the business is recomputed whole.
        seen.clear()
        db_session.add(bare_order(buyer.id, late.id, created_at=at("2025-07-10")))
        db_session.add(CheckIn(business_id=late.id, month=month("2025-07"), trading=True))
        db_session.flush()
        assert any("DELETE FROM stats_facts" in s for s in seen)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    # Each step changed its seller's rows but one: the order just before the window is older
    # than the last one and in no window.
    assert with_rows == len(steps) - 1
    (row,) = rows(late.id)
    assert (row.known_3m, row.alive_3m, row.alive_6m, row.orders_completed) == (
        False,
        False,
        True,
        1,
    )


def test_an_order_refreshes_its_sellers_facts_and_leaves_who_is_counted(
    db_session: Session, connection: Connection
) -> None:
    """An order changes its seller's facts (its last order, the windows it falls in), not who
    is counted in which cohort: the flush rewrites ``stats_facts`` and leaves
    ``stats_members``; a change of the business (its listing day) rewrites both."""
    program = Program(name="Sekoper Cinta Pesanan")
    db_session.add(program)
    db_session.flush()
    cohort, (business,) = make_cohort(db_session, program, "Angkatan Pesanan", 1, 0)
    buyer: User = UserFactory(role=Role.BUYER)
    db_session.flush()
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", note)
    try:
        order = bare_order(buyer.id, business.id)
        db_session.add(order)
        db_session.flush()
        assert any("stats_facts" in s for s in seen)
        assert not any("stats_members" in s for s in seen), [s[:60] for s in seen]
        last = db_session.scalar(
            select(StatsFact.last_order_at).where(StatsFact.business_id == business.id)
        )
        assert last is not None and last == order.created_at
        seen.clear()
        business.created_at = EARLY - dt.timedelta(days=30)
        db_session.flush()
        assert any("INSERT INTO stats_members" in s for s in seen)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    listed = db_session.scalar(
        select(StatsMember.created_at).where(
            StatsMember.business_id == business.id, StatsMember.cohort_id == cohort.id
        )
    )
    assert listed is not None and listed.replace(tzinfo=dt.UTC) == EARLY - dt.timedelta(days=30)
