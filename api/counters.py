"""View counts without a database write per request: counted in memory, written in batches.

Each process keeps its own tallies and adds them to the rows every ``interval`` seconds (or
when asked), in one executemany of one statement (sorted by product, so two processes never
wait on each other's rows in opposite orders). A crash loses at most one interval of views, which
is fine for a statistic; nothing on the public hot path waits for the database.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from api.models import Product
from api.services.catalogue_cache import KEYS_OPTION

_products: Table = Product.__table__  # type: ignore[assignment]
# A view is not a change: updated_at (and so the ETag) stays, and no public document changes
# (so no cached one is evicted, and the database's trigger stays quiet).
_ADD_VIEWS = (
    update(_products)
    .where(_products.c.id == bindparam("product_id"))
    .values(
        view_count=_products.c.view_count + bindparam("views"), updated_at=_products.c.updated_at
    )
    .execution_options(**{KEYS_OPTION: []})
)


class ViewCounter:
    """Tallies product views and flushes them to ``products.view_count``."""

    def __init__(self, interval_seconds: float = 10.0) -> None:
        self.interval = interval_seconds
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._last_flush = time.monotonic()

    def hit(self, product_id: str) -> None:
        with self._lock:
            self._pending[product_id] += 1

    def pending(self, product_id: str) -> int:
        with self._lock:
            return self._pending[product_id]

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._last_flush >= self.interval

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Add the tallies to the rows; returns how many products were updated."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last_flush = time.monotonic()
        if not batch:
            return 0
        try:
            with sessions() as session:
                session.execute(
                    _ADD_VIEWS,
                    [{"product_id": p, "views": v} for p, v in sorted(batch.items())],
                )
                session.commit()
        except Exception:
            with self._lock:
                self._pending.update(batch)  # try again next time
            raise
        return len(batch)
