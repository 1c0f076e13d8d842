"""DATABASE_REPLICA_URL without a replica cluster (the drills in test_cluster_drills.py run a
real one): the setting's checks, and a replica that is down or is not a standby is skipped
without any request waiting for it."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, make_url, text

from api import create_app
from api.config import ConfigError, load_settings
from api.state import get_state
from tests.conftest import TEST_SETTINGS


def test_a_replica_needs_postgresql_for_both_urls() -> None:
    development = {"BERDAYA_ENV": "development"}
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL needs PostgreSQL"):
        load_settings(
            development,
            {"database_url": "sqlite:///var/x.sqlite3", "database_replica_url": "postgresql://h/d"},
        )
    with pytest.raises(ConfigError, match="REPLICA_MAX_LAG_SECONDS"):
        load_settings({**development, "REPLICA_MAX_LAG_SECONDS": "0"})
    settings = load_settings(
        {**development, "DATABASE_URL": "postgres://h/a", "DATABASE_REPLICA_URL": "postgres://r/a"}
    )
    assert settings.database_replica_url == "postgresql+psycopg://r/a"


def wait_for_reason(running: Flask, start: str) -> None:
    router = get_state(running).replica
    assert router is not None
    deadline = time.monotonic() + 5
    while not router.status()["reason"].startswith(start):
        assert time.monotonic() < deadline, router.status()
        time.sleep(0.05)
    assert router.usable() is None


@pytest.mark.postgres
def test_a_replica_that_is_down_is_skipped_and_no_read_waits_for_it(
    database_url: str, app: Flask
) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        running = create_app(
            {
                **TEST_SETTINGS,
                "database_url": database_url,
                "database_replica_url": f"postgresql://postgres@127.0.0.1:{port}/berdaya",
            }
        )
        try:
            client = running.test_client()
            for _ in range(5):
                started = time.monotonic()
                assert client.get("/v1/products?q=kue").status_code == 200
                assert client.get("/v1/stats/region").status_code == 200
                assert client.get("/v1/products/prd_nothing").status_code == 404  # read early
                assert time.monotonic() - started < 1.0  # not the replica's connect timeout
            wait_for_reason(running, "unreachable")
            assert client.get("/v1/products?limit=1").status_code == 200
        finally:
            get_state(running).engine.dispose()


@pytest.mark.postgres
def test_a_server_that_is_not_a_standby_is_not_used_as_a_replica(
    database_url: str, app: Flask
) -> None:
    running = create_app(
        {**TEST_SETTINGS, "database_url": database_url, "database_replica_url": database_url}
    )
    try:
        assert running.test_client().get("/v1/products?limit=1").status_code == 200
        wait_for_reason(running, "not in recovery")
    finally:
        get_state(running).engine.dispose()


@pytest.mark.postgres
def test_a_primary_that_went_through_crash_recovery_is_not_used_as_a_replica(
    database_url: str, app: Flask
) -> None:
    """A server started after a crash replays its WAL and then keeps reporting that position
    from pg_last_wal_replay_lsn(), though it is not a standby (as CI's server did once). The
    replica's connections here see a stand-in for that function before pg_catalog's (their
    search_path), which makes this database such a server; the router must still see that it
    is not in recovery."""
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    running = create_app(
        {**TEST_SETTINGS, "database_url": database_url, "database_replica_url": database_url}
    )
    router = get_state(running).replica
    assert router is not None

    @event.listens_for(router.replica, "connect")
    def crash_recovered(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("SET search_path = crash_recovered, pg_catalog")
        dbapi_connection.commit()  # kept past the pool's rollback on return

    try:
        with admin.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS crash_recovered CASCADE"))
            conn.execute(text("CREATE SCHEMA crash_recovered"))
            conn.execute(
                text(
                    "CREATE FUNCTION crash_recovered.pg_last_wal_replay_lsn() "
                    "RETURNS pg_lsn LANGUAGE sql AS $$ SELECT '0/1'::pg_lsn $$"
                )
            )
        with router.replica.connect() as probe:  # the stand-in is what the replica answers
            assert probe.execute(text("SELECT pg_last_wal_replay_lsn()::text")).scalar() == "0/1"
        assert running.test_client().get("/v1/products?limit=1").status_code == 200
        wait_for_reason(running, "not in recovery")
    finally:
        get_state(running).engine.dispose()
        router.replica.dispose()
        with admin.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS crash_recovered CASCADE"))
        admin.dispose()
