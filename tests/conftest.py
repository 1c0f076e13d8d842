"""Fixtures: one migrated database per run; every test inside a transaction rolled back.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set (``.ci/run`` does both). The app's
sessions join the test's connection with savepoints (SQLAlchemy's "joining a session into an
external transaction" recipe), so commits inside requests never leave the test.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api import create_app
from api.catalogue import cache as catalogue_cache
from api.config import normalize_database_url
from api.migrate import upgrade
from api.models import Role, User
from api.services import auth as auth_service
from api.services.regions import load_regions
from api.state import get_state
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# Rate limits high enough that the suite, all from one address, never meets them; the limit
# tests make apps of their own with low ones.
TEST_SETTINGS = {
    "env": "testing",
    "password_hash_profile": "cheapest",
    "rate_limit_default": "100000 per minute",
    "rate_limit_login": "100000 per minute",
    "rate_limit_contact": "100000 per minute",
    "rate_limit_api_key": "100000 per minute",
    "rate_limit_stats": "100000 per minute",
    # Tests write figures and read them back at once; tests/test_stats_sql.py caches apart.
    "stats_cache_seconds": 0,
    # Tests deliver webhooks themselves (or start workers); receivers listen on loopback.
    "jobs_backend": "none",
    "webhook_allow_networks": "127.0.0.1/32",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith(("postgres", "postgresql")):
        return
    skip = pytest.mark.skip(reason="needs TEST_DATABASE_URL (PostgreSQL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The run's database. Under pytest-xdist each worker has its own: on SQLite a file in the
    worker's temporary directory; on PostgreSQL a database made for the worker next to
    TEST_DATABASE_URL's (its name suffixed with the worker id, dropped at the end), so that
    tests that commit, LISTEN/NOTIFY or count rows never see another worker's."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'berdaya-test.sqlite3'}"
        return
    url = normalize_database_url(TEST_DATABASE_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        yield url
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def exclusive_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The Redis database of TEST_REDIS_URL to this test alone: the tests that use it empty it,
    and two pytest-xdist workers would empty it under each other. A file lock in the run's
    temporary directory (the same for every worker) takes turns."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's basetemp is a directory of the run's
    with (root / "redis.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    upgrade(database_url)
    media = tmp_path_factory.mktemp("media")
    app = create_app({**TEST_SETTINGS, "database_url": database_url, "media_root": str(media)})
    with get_state(app).engine.begin() as connection:
        load_regions(connection, echo=lambda _: None)
    yield app
    get_state(app).engine.dispose()


@pytest.fixture
def connection(app: Flask) -> Iterator[Connection]:
    state = get_state(app)
    with state.engine.connect() as conn:
        transaction = conn.begin()
        state.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield conn
        finally:
            state.sessionmaker.configure(
                bind=state.engine, join_transaction_mode="conservative_savepoint"
            )
            if transaction.is_active:
                transaction.rollback()
            # What the test wrote is gone without a commit to say so: forget its documents.
            catalogue_cache.evict_everywhere([catalogue_cache.EVERYTHING])


@pytest.fixture
def db_session(connection: Connection) -> Iterator[Session]:
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    factories.bind(session)
    try:
        yield session
    finally:
        factories.bind(None)
        session.close()


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


class Auth:
    """Authorization headers for a user, with a real session and real tokens."""

    def __init__(self, app: Flask, session: Session) -> None:
        self.app = app
        self.session = session

    def headers(self, user: User, **extra: str) -> dict[str, str]:
        pair = auth_service.open_session(
            self.session, security=get_state(self.app).security, user=user
        )
        self.session.flush()
        return {"Authorization": f"Bearer {pair.access_token}", **extra}

    def as_role(self, role: Role, **fields: Any) -> tuple[User, dict[str, str]]:
        user = factories.UserFactory(role=role, **fields)
        return user, self.headers(user)

    def as_role_in(self, other: Flask, role: Role = Role.BUYER) -> tuple[User, dict[str, str]]:
        """A user with a token signed by another app of the suite (same database)."""
        user = factories.UserFactory(role=role)
        pair = auth_service.open_session(
            self.session, security=get_state(other).security, user=user
        )
        self.session.flush()
        return user, {"Authorization": f"Bearer {pair.access_token}"}


@pytest.fixture
def auth(app: Flask, db_session: Session) -> Auth:
    return Auth(app, db_session)


@pytest.fixture
def live_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """An app of its own on the test database, for tests whose writes must be committed on
    separate connections (races, LISTEN/NOTIFY, sync pages); they remove what they made."""
    live = create_app({**TEST_SETTINGS, "database_url": database_url, "db_pool_size": 10})
    yield live
    get_state(live).engine.dispose()


@pytest.fixture
def app_media(app: Flask) -> Path:
    return Path(app.extensions["berdaya"].settings.media_root)


@pytest.fixture
def live_server(app: Flask, db_session: Session) -> Iterator[str]:
    """The app on a real socket, sharing the test's transaction (one request at a time)."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def app_with(database_url: str, connection: Connection, **settings: Any) -> Iterator[Flask]:
    """Another app of the suite with its own settings, inside the test's transaction."""
    other = create_app({**TEST_SETTINGS, "database_url": database_url, **settings})
    get_state(other).sessionmaker.configure(
        bind=connection, join_transaction_mode="create_savepoint"
    )
    try:
        yield other
    finally:
        get_state(other).engine.dispose()


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A real socket that accepts connections and never answers (a Redis that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()
