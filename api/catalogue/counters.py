"""View counts without a database write per request: counted in memory, written in batches.

Each process keeps its own tallies and adds them to the products' counts (``product_views``)
every ``interval`` seconds (or when asked), in one executemany of one statement (sorted by
product, so two processes never wait on each other's rows in opposite orders). A crash loses
at most one interval of views, which is fine for a statistic; nothing on the public hot path
waits for the database.

The flush runs on a thread of its own (``start``), never inside a request: a request that still
holds its transaction (on SQLite, the database's one write lock) would otherwise wait on itself
for the whole busy timeout. The thread is started by the first view a process counts (after a
fork, so each gunicorn worker has its own) and flushes what is left when the process exits.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy import BigInteger, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

from api.models import Product, ProductViews

log = logging.getLogger(__name__)

_products: Table = Product.__table__  # type: ignore[assignment]
_views: Table = ProductViews.__table__  # type: ignore[assignment]


def _add_views(insert: Callable[[Table], Insert]) -> Insert:
    """Add ``views`` to the product's count (its first views make its row). A product deleted
    since it was viewed is skipped: its id is read from ``products``, never taken on trust (one
    deleted while the flush runs fails the batch once; it is kept, and the next skips it).
    A view is not a change to the product: its row, its ``updated_at`` (and so its ETag) and
    every document that shows it stay as they are."""
    statement = insert(_views).from_select(
        ["product_id", "views"],
        select(_products.c.id, bindparam("views", type_=BigInteger)).where(
            _products.c.id == bindparam("product_id")
        ),
    )
    return statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=[_views.c.product_id],
        set_={"views": _views.c.views + statement.excluded.views},  # type: ignore[attr-defined]
    )


# Both databases write the same upsert (INSERT ... ON CONFLICT DO UPDATE), in their dialect.
_ADD_VIEWS = {"postgresql": _add_views(postgresql.insert), "sqlite": _add_views(sqlite.insert)}


class ViewCounter:
    """Tallies product views and flushes them to ``product_views``."""

    def __init__(
        self, interval_seconds: float = 10.0, sessions: sessionmaker[Session] | None = None
    ) -> None:
        self.interval = interval_seconds
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._last_flush = time.monotonic()
        # With a session factory, a thread of this process flushes every interval; without one
        # (the test suite, whose sessions join the test's transaction) only ``flush`` does.
        self._sessions = sessions
        self._flusher_pid = 0
        self._wakeup = threading.Event()

    def hit(self, product_id: str) -> None:
        with self._lock:
            self._pending[product_id] += 1
            started = self._flusher_pid == os.getpid()
        if not started and self._sessions is not None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._flusher_pid == os.getpid():
                return
            self._flusher_pid = os.getpid()  # a forked child starts its own
        threading.Thread(target=self._run, name="berdaya-view-counts", daemon=True).start()
        atexit.register(self._flush_quietly)

    def _run(self) -> None:
        while True:
            self._wakeup.wait(self.interval)
            self._wakeup.clear()
            if self.due():
                self._flush_quietly()

    def _flush_quietly(self) -> None:
        if self._sessions is None:
            return
        try:
            self.flush(self._sessions)
        except Exception:  # a statistic must never take the process down; kept for next time
            log.warning("could not flush view counts; trying again shortly", exc_info=True)

    def pending(self, product_id: str) -> int:
        with self._lock:
            return self._pending[product_id]

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._last_flush >= self.interval

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Add the tallies to the counts; returns how many products had views (a product
        deleted since is skipped)."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last_flush = time.monotonic()
        if not batch:
            return 0
        try:
            with sessions() as session:
                session.execute(
                    _ADD_VIEWS[session.get_bind().dialect.name],
                    [{"product_id": p, "views": v} for p, v in sorted(batch.items())],
                )
                session.commit()
        except Exception:
            with self._lock:
                self._pending.update(batch)  # try again next time
            raise
        return len(batch)
