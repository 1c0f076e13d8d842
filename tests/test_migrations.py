"""Migrations: round trip, no drift from the models, naming convention, UTC timestamps."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import migrate
from api.db import make_engine
from tests.factories import OrganizationFactory


@pytest.fixture
def scratch_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"berdaya_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.slow  # every migration down and up again, on a scratch database
def test_upgrade_downgrade_upgrade_round_trip(scratch_database_url: str) -> None:
    migrate.upgrade(scratch_database_url)
    assert {"users", "organizations", "idempotency_keys"} <= table_names(scratch_database_url)
    migrate.check(scratch_database_url)  # the models have not drifted from the migrations
    migrate.downgrade(scratch_database_url, "base")
    assert table_names(scratch_database_url) <= {"alembic_version"}
    migrate.upgrade(scratch_database_url)
    migrate.check(scratch_database_url)


def test_constraints_follow_the_naming_convention(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        inspector = inspect(engine)
        for table in inspector.get_table_names():
            if table == "alembic_version" or table.startswith("fts_"):
                continue  # search structures are named fts_* by migration 0006
            pk = inspector.get_pk_constraint(table)
            if database_url.startswith("postgresql"):
                assert pk["name"] == f"pk_{table}"
            for fk in inspector.get_foreign_keys(table):
                assert fk["name"] and fk["name"].startswith(f"fk_{table}_"), fk
            for index in inspector.get_indexes(table):
                if index.get("duplicates_constraint") or index["name"].startswith("fts_"):
                    continue  # PostgreSQL's index behind a UNIQUE; the search index
                assert index["name"].startswith("ix_"), index
            for unique in inspector.get_unique_constraints(table):
                assert unique["name"] and unique["name"].startswith(f"uq_{table}_"), unique
    finally:
        engine.dispose()


def test_timestamps_come_back_timezone_aware_utc(db_session: Session) -> None:
    jakarta = dt.timezone(dt.timedelta(hours=7))
    moment = dt.datetime(2026, 11, 23, 17, 30, tzinfo=jakarta)
    organization = OrganizationFactory(verified_at=moment)
    db_session.expire_all()
    db_session.refresh(organization)
    created = organization.created_at
    assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
    assert organization.verified_at == moment
    assert organization.verified_at is not None
    assert organization.verified_at.utcoffset() == dt.timedelta(0)
    assert organization.verified_at.hour == 10


def test_naive_datetimes_are_refused(db_session: Session) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        OrganizationFactory(verified_at=dt.datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.slow  # a scratch database through three migrations, with the regions loaded
def test_product_views_move_out_of_the_products_rows_and_the_column_goes(
    scratch_database_url: str,
) -> None:
    """Migration 0042 adds each product's ``products.view_count`` to its ``product_views`` row
    and zeroes it; the workers of the release before keep adding to the column until their
    restart, and 0044 adds what they added and drops the column. Nothing is lost or counted
    twice, and a product never viewed gets no row."""
    from api.services.regions import load_regions
    from tests import factories
    from tests.factories import ProductFactory

    url = scratch_database_url
    migrate.upgrade(url, "0041")  # the release before product_views
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            load_regions(connection, echo=lambda _: None)
        with Session(engine) as session:
            factories.bind(session)
            try:
                products = [ProductFactory() for _ in range(3)]
                session.commit()
                viewed, counted, unseen = (p.id for p in products)
            finally:
                factories.bind(None)

        def add_views(views: dict[str, int]) -> None:
            with engine.begin() as connection:
                for product_id, count in views.items():
                    connection.execute(
                        text("UPDATE products SET view_count = view_count + :n WHERE id = :id"),
                        {"n": count, "id": product_id},
                    )

        def counted_views() -> dict[str, int | None]:
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT products.id, product_views.views FROM products"
                        " LEFT JOIN product_views ON product_views.product_id = products.id"
                    )
                )
                return {row.id: row.views for row in rows}

        add_views({viewed: 7, counted: 3})
        migrate.upgrade(url, "0042")
        assert counted_views() == {viewed: 7, counted: 3, unseen: None}
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT max(view_count) FROM products")) == 0
        add_views({counted: 2})  # a worker of the release before 0042, not yet restarted
        migrate.upgrade(url)
        assert counted_views() == {viewed: 7, counted: 5, unseen: None}
        engine.dispose()  # SQLite: the reflection below sees the new table
        assert "view_count" not in {c["name"] for c in inspect(engine).get_columns("products")}
        migrate.check(url)
        migrate.downgrade(url, "0043")  # the column comes back empty; the counts stay
        assert counted_views() == {viewed: 7, counted: 5, unseen: None}
    finally:
        engine.dispose()
