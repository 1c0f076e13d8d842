"""DATABASE_REPLICA_URL without a replica cluster (the drills in test_cluster_drills.py run a
real one): the setting's checks, and a replica that is down or is not a standby is skipped
without any request waiting for it."""

from __future__ import annotations

import socket
import time

import pytest
from flask import Flask

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
