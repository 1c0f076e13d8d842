"""Liveness and readiness probes."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from api import create_app
from tests.conftest import TEST_SETTINGS
from tests.helpers import assert_problem


def test_health_and_ready(client: FlaskClient) -> None:
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/ready").json == {"status": "ready"}


def test_ready_is_503_quickly_when_the_database_is_unreachable() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = create_app({**TEST_SETTINGS, "database_url": "postgresql://postgres@127.0.0.1:1/none"})
    started = time.monotonic()
    response = app.test_client().get("/ready")
    assert_problem(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 5
    assert app.test_client().get("/health").status_code == 200
