"""Database plumbing: declarative base, column types, engine and session factory."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVarTuple, overload

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    String,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows
from sqlalchemy.types import TypeDecorator

from api.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always returned timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[dt.datetime]:
        return dt.datetime

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zone type: store naive UTC text, restored as UTC on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base of every model; the naming convention keeps migrations stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), int: BigInteger()}


ID_LENGTH = 32


class IdMixin:
    """An opaque, prefixed, time-ordered string id (for example ``usr_01J...``)."""

    id_prefix: str = ""

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", new_id(self.id_prefix))
        super().__init__(**kwargs)


class TimestampMixin:
    """Creation and last-change times."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic locking: an UPDATE that lost a race raises StaleDataError (HTTP 412)."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# How long an SQLite transaction waits for the write lock before the request gets a 503.
SQLITE_BUSY_SECONDS = 10


_Ts = TypeVarTuple("_Ts")


@overload
def read_rows(
    session: Session,
    statement: TypedReturnsRows[*_Ts],
    params: Mapping[str, Any] | None = None,
) -> CursorResult[*_Ts]: ...


@overload
def read_rows(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]: ...


def read_rows(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]:
    """The rows of a statement of columns (never entities) through the session's connection:
    the ORM's layer of execution is skipped, a third of such a statement's cost in Python
    (bench/README.md, seventh session). Pending changes are flushed first, as the session's
    own ``execute`` would (a no-op when there are none)."""
    session.flush()
    return session.connection().execute(statement, params)


# ``Session.info``'s key for a session that only reads (a GET's, ``Blueprint.in_transaction``).
READ_ONLY = "read_only"


class WriteInReadOnly(RuntimeError):
    """A GET not marked as writing (``Blueprint.in_transaction``) tried to write."""


def refuse_writes(session: Session, *_args: Any) -> None:
    """``before_flush``: a read-only session has nothing to flush. Without a transaction its
    writes would land one by one, and its events and change log (written at commit) never."""
    if session.info.get(READ_ONLY):
        raise WriteInReadOnly("this GET writes: mark it with Blueprint.in_transaction")


def refuse_bulk_writes(state: Any) -> None:
    """``do_orm_execute``: the same for an UPDATE, DELETE or INSERT statement."""
    if state.session.info.get(READ_ONLY) and (
        state.is_update or state.is_delete or state.is_insert
    ):
        raise WriteInReadOnly("this GET writes: mark it with Blueprint.in_transaction")


def advisory_lock(session: Session | Connection, key: str) -> None:
    """Serialise transactions that share a key until they end (PostgreSQL).

    A session's transaction asks the database once per key (the events and the change log,
    written at one commit, share one): the keys it holds are remembered with it. One taken in
    a savepoint is not remembered (rolling the savepoint back releases it).
    SQLite needs nothing: its transactions take the write lock at BEGIN (see below).
    """
    bind = session if isinstance(session, Connection) else session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if key in _held_locks(session):
        return
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})
    if isinstance(session, Session) and not session.in_nested_transaction():
        _held_locks(session).add(key)


_HELD_LOCKS = "berdaya_advisory_locks"


def _held_locks(session: Session | Connection) -> set[str]:
    """The advisory locks the session's current transaction holds (none known for a bare
    connection): kept with a reference to that transaction, so a new one starts with none."""
    root = session.get_transaction() if isinstance(session, Session) else None
    if root is None:
        return set()
    known: tuple[weakref.ref[Any], set[str]] | None = session.info.get(_HELD_LOCKS)
    if known is None or known[0]() is not root:
        known = session.info[_HELD_LOCKS] = (weakref.ref(root), set())
    return known[1]


# Every engine the app makes, so that a forked process (a gunicorn worker forked from the
# master that built the app, ``preload_app``) starts with empty pools: a connection opened
# before the fork would be one socket shared by two processes. ``dispose(close=False)`` drops
# the child's references without closing what the parent still uses (SQLAlchemy's advice for
# multiprocessing). ``release_connections`` is the master's side: it closes its own.
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def keep_fork_safe(engine: Engine) -> Engine:
    _engines.add(engine)
    return engine


def release_connections() -> None:
    """Close every pooled connection of this process (the master, before it forks)."""
    for engine in list(_engines):
        engine.dispose()


def _fresh_pools_in_child() -> None:
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_fresh_pools_in_child)


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: int = 5
) -> Engine:
    """Create the engine; SQLite gets the pragmas and transaction handling it needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        _configure_sqlite(engine)
        return keep_fork_safe(engine)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        # No statement outlives a request by much, and none outlives an Idempotency-Key lock.
        connect_args={"connect_timeout": 5, "options": "-c statement_timeout=30000"},
    )
    _ping_when_idle(engine)
    return keep_fork_safe(engine)


# A connection back from the pool after this long is pinged before use (a server restart or a
# firewall may have closed it); one in steady use is not, which saves a round trip on every
# request. A connection that died in between fails its first statement: the pool is then
# invalidated, and a GET is run again once on a fresh connection (api.http.blueprint).
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool replaces it (up to three tries)
            raise DisconnectionError() from error


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and real transactions (pysqlite's own handling breaks savepoints)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: two transactions that read then write
        # cannot deadlock, they queue (busy_timeout) instead of failing with SQLITE_BUSY.
        # A read-only request's connection is in autocommit (api.http.context.db): it takes no
        # lock at all, so reads never queue behind writes nor hold the lock a write waits for.
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Any]:
    """Sessions keep loaded objects usable after commit, so responses can be built from them."""
    return sessionmaker(bind=engine, expire_on_commit=False)


# Side effects outside the database (files in storage) that must follow the transaction's fate.
_ON_COMMIT = "berdaya_on_commit"
_ON_ROLLBACK = "berdaya_on_rollback"


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction has committed (never if it rolls back)."""
    session.info.setdefault(_ON_COMMIT, []).append(action)


def on_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` if the session's transaction rolls back (to undo an outside effect)."""
    session.info.setdefault(_ON_ROLLBACK, []).append(action)


def _run(session: Session, key: str) -> None:
    actions = session.info.pop(key, [])
    session.info.pop(_ON_COMMIT, None)
    session.info.pop(_ON_ROLLBACK, None)
    for action in actions:
        try:
            action()
        except Exception:  # the transaction's outcome stands; a leftover file is only logged
            logging.getLogger(__name__).exception("after-transaction action failed")


def run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the outer transaction may still roll back
    _run(session, _ON_COMMIT)


def run_after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit
    _run(session, _ON_ROLLBACK)
