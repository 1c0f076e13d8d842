"""Liveness and readiness probes."""

from __future__ import annotations

import logging
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection

from api import create_app
from tests.conftest import TEST_SETTINGS, app_with
from tests.helpers import assert_problem


def test_health_and_ready(client: FlaskClient) -> None:
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/ready").json == {"status": "ready", "dependencies": {}}


def test_a_hung_redis_does_not_hang_the_api(
    app: Flask,
    database_url: str,
    connection: Connection,
    hung_redis: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with app_with(
        database_url,
        connection,
        rate_limit_storage_url=hung_redis,
        rate_limit_default="100 per minute",
        jobs_backend="rq",
        jobs_redis_url=hung_redis,
    ) as hung:
        client = hung.test_client()
        for _ in range(6):
            started = time.monotonic()
            response = client.get("/v1/categories")
            assert time.monotonic() - started < 3
            # Counted meanwhile in the process's memory.
            assert response.status_code == 200 and response.headers["X-RateLimit-Limit"] == "100"
        assert int(response.headers["X-RateLimit-Remaining"]) < 99
        started = time.monotonic()
        ready = client.get("/ready")
        assert time.monotonic() - started < 3
        assert ready.status_code == 200
        assert ready.json == {
            "status": "degraded",
            "dependencies": {"rate_limits": "unreachable", "jobs": "unreachable"},
        }
    # One line for the outage (the limiter's batch, sent by its thread), no traceback per request.
    waited = time.monotonic() + 3
    while time.monotonic() < waited and not [
        r for r in caplog.records if "unreachable" in r.getMessage()
    ]:
        time.sleep(0.05)
    outage = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage) == 1 and not [r for r in caplog.records if r.exc_info]


def test_ready_is_503_quickly_when_the_database_is_unreachable() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = create_app({**TEST_SETTINGS, "database_url": "postgresql://postgres@127.0.0.1:1/none"})
    started = time.monotonic()
    response = app.test_client().get("/ready")
    assert_problem(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 5
    assert app.test_client().get("/health").status_code == 200
