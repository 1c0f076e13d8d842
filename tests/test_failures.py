"""Failure behaviour: the database away or its pool exhausted gives a quick 503 problem with
Retry-After; the app finds its feet again when its connections die under it, and when the real
PostgreSQL server is stopped and started under it; an error in the middle of a request leaves
nothing half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api import create_app
from api.models import Order, Product
from api.services import events as events_service
from api.state import get_state
from tests.conftest import TEST_SETTINGS, Auth
from tests.helpers import Shop, assert_problem


def test_every_endpoint_answers_503_quickly_when_the_database_is_away() -> None:
    app = create_app({**TEST_SETTINGS, "database_url": "postgresql://postgres@127.0.0.1:1/none"})
    client = app.test_client()
    for path in ("/v1/products", "/v1/categories", "/v1/regions?parent=32"):
        started = time.monotonic()
        answer = client.get(path)
        assert_problem(answer, 503, "service_unavailable")
        assert answer.headers["Retry-After"] == "5" and time.monotonic() - started < 5


@pytest.fixture
def tiny_pool(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            **TEST_SETTINGS,
            "database_url": database_url,
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout_seconds": 1,
        }
    )
    yield app
    get_state(app).engine.dispose()


@pytest.mark.postgres
def test_an_exhausted_pool_is_a_quick_503(tiny_pool: Flask) -> None:
    engine = get_state(tiny_pool).engine
    with engine.connect():  # the pool's only connection, held
        started = time.monotonic()
        answer = tiny_pool.test_client().get("/v1/categories")
        assert_problem(answer, 503, "service_unavailable")
        assert answer.headers["Retry-After"] == "5"
        assert time.monotonic() - started < 3
    assert tiny_pool.test_client().get("/v1/categories").status_code == 200


def _kill_the_pooled_connection(engine: Any) -> None:
    """Terminate, from another connection, the server process of the pool's connection."""
    with engine.connect() as connection:
        mine = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(engine.url)
    with killer.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": mine})
        other.commit()
    killer.dispose()


@pytest.mark.postgres
def test_the_app_recovers_when_its_connections_are_killed(tiny_pool: Flask) -> None:
    """What a PostgreSQL restart does to a running app: every connection it holds dies."""
    client = tiny_pool.test_client()
    assert client.get("/v1/categories").status_code == 200
    _kill_the_pooled_connection(get_state(tiny_pool).engine)
    for _ in range(3):
        assert client.get("/v1/categories").status_code == 200  # no error reaches a user


def _local_cluster(database_url: str) -> list[str] | None:
    """pg_ctlcluster for the server under test, if it is this machine's."""
    tool = shutil.which("pg_ctlcluster")
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not tool or not versions or make_url(database_url).host not in ("127.0.0.1", "localhost"):
        return None
    return [tool, "--skip-systemctl-redirect", versions[0], "main"]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.serial  # stops the server every other test (and worker) is using
def test_the_app_recovers_by_itself_after_postgresql_restarts(
    database_url: str, app: Flask
) -> None:
    """The real server stopped and started again under a running app: quick 503s while it is
    down, then answers again with nobody restarting the app."""
    # The suite's own pool would keep connections the restart kills; it starts afresh.
    get_state(app).engine.dispose()
    cluster = _local_cluster(database_url)
    if cluster is None:
        if os.environ.get("BERDAYA_REQUIRE_PG_RESTART"):
            pytest.fail("cannot restart the PostgreSQL server under test (pg_ctlcluster)")
        pytest.skip("the PostgreSQL server under test is not this machine's cluster")
    running = create_app({**TEST_SETTINGS, "database_url": database_url, "db_pool_size": 2})
    try:
        _stop_and_start(running.test_client(), cluster)
    finally:
        get_state(running).engine.dispose()


def _stop_and_start(client: FlaskClient, cluster: list[str]) -> None:
    assert client.get("/v1/categories").status_code == 200
    try:
        subprocess.run([*cluster, "stop", "-m", "fast"], check=True, timeout=120)
        started = time.monotonic()
        answer = client.get("/v1/categories")
        assert_problem(answer, 503, "service_unavailable")
        assert answer.headers["Retry-After"] == "5" and time.monotonic() - started < 5
        assert client.get("/ready").status_code == 503
    finally:
        subprocess.run([*cluster, "start"], check=True, timeout=120)
    statuses = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        statuses.append(client.get("/v1/categories").status_code)
        if statuses[-1] == 200:
            break
        time.sleep(0.25)
    assert statuses[-1] == 200, statuses
    assert set(statuses) <= {200, 503}, statuses  # a 503 while it starts; never a 500
    assert client.get("/ready").status_code == 200


def test_a_failure_inside_the_commit_leaves_nothing_half_written(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    shop = Shop(auth)
    stock = shop.cake.stock
    orders = db_session.scalar(select(func.count()).select_from(Order))

    def fail(session: Session, written: Any) -> None:
        if any(event.type.startswith("order.") for event, _ in written):
            raise RuntimeError("the disk filled up")

    events_service.on_written(fail)
    try:
        answer = shop.order(client, (shop.cake, 2))
    finally:
        events_service._WRITTEN.remove(fail)
    assert_problem(answer, 500, "internal_error")
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Order)) == orders
    product = db_session.get(Product, shop.cake.id)
    assert product is not None and product.stock == stock
    # The same request afterwards goes through: nothing was left locked or half-done.
    assert shop.order(client, (shop.cake, 2)).status_code == 201


def test_read_only_requests_run_outside_a_transaction_and_leave_the_pool_as_it_was(
    database_url: str, app: Flask
) -> None:
    """Every GET that does not write (Blueprint.in_transaction) skips BEGIN and COMMIT; the
    connection goes back to the pool in its usual mode, so the next write is a transaction."""
    from sqlalchemy import event

    running = create_app(
        {**TEST_SETTINGS, "database_url": database_url, "db_pool_size": 1, "db_max_overflow": 0}
    )
    engine = get_state(running).engine
    modes: list[str | None] = []

    def note(
        _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, *_a: Any
    ) -> None:
        modes.append(context.execution_options.get("isolation_level"))

    event.listen(engine, "before_cursor_execute", note)
    try:
        client = running.test_client()
        assert client.get("/v1/products?limit=1").status_code == 200
        assert client.get("/v1/products/prd_none").status_code == 404
        assert client.get("/v1/businesses/bus_none").status_code == 404
        assert client.get("/v1/categories").status_code == 200  # an ordinary read
        assert modes and set(modes) == {"AUTOCOMMIT"}
        modes.clear()
        signing_in = {"email": "nobody@example.id", "password": "not-the-password"}
        assert client.post("/v1/auth/login", json=signing_in).status_code == 401  # it writes
        assert modes and "AUTOCOMMIT" not in modes
        with engine.connect() as connection:
            assert connection.get_isolation_level() != "AUTOCOMMIT"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_connection_idle_for_a_while_is_pinged_and_replaced_if_dead(
    tiny_pool: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections in steady use skip the ping (a round trip saved per request); one that sat
    in the pool is pinged at checkout and, dead, replaced before anything runs on it."""
    from api import db as db_module

    engine = get_state(tiny_pool).engine

    def kill_the_pooled_connection() -> None:
        _kill_the_pooled_connection(engine)

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    kill_the_pooled_connection()
    with engine.connect() as connection:  # pinged, found dead, replaced
        assert connection.execute(text("SELECT 1")).scalar() == 1

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    kill_the_pooled_connection()
    with pytest.raises(OperationalError), engine.connect() as connection:  # not pinged
        connection.execute(text("SELECT 1"))
    # A GET on such a connection is run again on a fresh one: the user sees no error.
    kill_the_pooled_connection()
    assert tiny_pool.test_client().get("/v1/categories").status_code == 200
    # So is an anonymous read answered before dispatch (``serve_public_document``): its read
    # fails, and the view reads again on a fresh connection (a product of nobody: 404, not 500).
    kill_the_pooled_connection()
    assert_problem(tiny_pool.test_client().get("/v1/products/prd_nothing"), 404)


def test_a_get_that_writes_without_saying_so_is_refused_and_writes_nothing(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GET runs without a transaction unless it is marked ``Blueprint.in_transaction``; a write
    from one would land outside any transaction, its events and change log never written.
    It is refused instead: the request is a 500 and nothing is stored."""
    from api.models import Category
    from api.resources import categories as resource

    listed = resource.service.list_categories

    def writing(session: Session, **kwargs: Any) -> Any:
        session.add(Category(slug="tulis-saat-baca", name_id="Tulis", name_en="Write"))
        return listed(session, **kwargs)

    monkeypatch.setattr(resource.service, "list_categories", writing)
    assert_problem(client.get("/v1/categories"), 500)
    stored = db_session.scalar(select(func.count()).where(Category.slug == "tulis-saat-baca"))
    assert stored == 0


def test_a_read_only_session_refuses_flushes_and_bulk_writes(db_session: Session) -> None:
    from sqlalchemy import update

    from api.db import READ_ONLY, WriteInReadOnly
    from api.models import Category

    db_session.info[READ_ONLY] = True
    try:
        db_session.add(Category(slug="tulis", name_id="Tulis", name_en="Write"))
        with pytest.raises(WriteInReadOnly):
            db_session.flush()
        db_session.expunge_all()
        with pytest.raises(WriteInReadOnly):
            db_session.execute(update(Category).values(name_en="Changed"))
        assert db_session.scalar(select(func.count()).select_from(Category)) is not None  # reads
    finally:
        del db_session.info[READ_ONLY]


def test_the_statistics_keep_their_transaction_for_the_memory_they_ask(
    app: Flask, database_url: str
) -> None:
    """``stats.roomy`` sets ``work_mem`` and ``jit`` for its transaction: the statistics' GETs
    are marked ``Blueprint.in_transaction``, and roomy refuses a session without one (each
    statement its own transaction, the settings gone before the next)."""
    from api.services import stats

    rules = {r.rule: r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    group = "/v1/stats/<any(cohort, program, region, year):group>"
    for path in (group, f"{group}/monthly", f"{group}/survival"):
        assert app.view_functions[rules[path]].read_only is False, path  # type: ignore[attr-defined]
    assert app.view_functions[rules["/v1/categories"]].read_only is True  # type: ignore[attr-defined]
    if not database_url.startswith("postgresql"):
        return  # roomy sets nothing on SQLite
    running = create_app({**TEST_SETTINGS, "database_url": database_url})
    try:
        with Session(get_state(running).engine) as session:  # as a GET's without one
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            with pytest.raises(RuntimeError, match="in_transaction"):
                stats.roomy(session)
        with Session(get_state(running).engine) as session:  # in a transaction: set
            stats.roomy(session)
            assert session.scalar(text("SHOW work_mem")) == "64MB"
    finally:
        get_state(running).engine.dispose()
