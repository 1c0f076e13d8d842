"""Anonymous public reads on a PostgreSQL streaming replica, when one is configured.

Which requests: a ``Blueprint.from_replica`` GET (product search and reads, business reads,
statistics) with no ``Authorization`` nor ``X-API-Key`` header. Everything else (every write,
every read of a request that writes, every signed-in or partner read) uses the primary.

Read-your-writes: only a signed-in user (or an API key) can change what the catalogue shows,
and her requests never go to the replica, so she always reads her own writes, on every app
server, without a cookie, a header or a Redis key to track. An anonymous reader may see the
public catalogue up to ``REPLICA_MAX_LAG_SECONDS`` old (plus the one-second check interval).

Lag, measured, not guessed: once a second per process the router notes the primary's WAL
position (``pg_current_wal_lsn``) with the time, then asks the replica how far it has replayed
(``pg_last_wal_replay_lsn``). The replica holds every commit made before the latest noted time
whose position it has passed (``fresh_as_of``). ``pg_last_xact_replay_timestamp`` is not used:
on an idle primary it grows old although the replica is current.

Skipped, not waited for: a replica further behind than the bound, not answering within the
short connect and statement timeouts, or failing a request's query is left out until the next
check (a second later, then up to ``MAX_BACKOFF_SECONDS`` while it stays down); the read runs
on the primary at once (``api.http.blueprint`` runs a GET again on the primary when its replica
query fails). The catalogue cache stays exact: its listener is on the primary, and a document
read on the replica is stored only if the replica was known current after the cache's last
eviction (``CatalogueCache.token``).
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 1  # libpq's smallest useful value
CHECK_STATEMENT_TIMEOUT_MS = 500


class ReplicaRouter:
    """Whether this process may read from the replica now, and how fresh it is."""

    def __init__(
        self,
        primary: Engine,
        replica: Engine,
        replica_sessions: sessionmaker[Session],
        *,
        max_lag_seconds: float,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.sessions = replica_sessions
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=64)
        self._next_check = 0.0
        self._checker_pid: int | None = None
        self._failures = 0
        self.fresh_as_of: float | None = None  # monotonic; None: not usable
        self.reason = "not checked yet"

    def usable(self) -> float | None:
        """The time (monotonic) the replica is known current as of, or None to use the primary.
        A thread of each process checks once per interval: a request never waits for it."""
        self._ensure_checking()
        fresh = self.fresh_as_of
        if fresh is None or time.monotonic() - fresh > self.max_lag_seconds + self.check_seconds:
            return None
        return fresh

    def _ensure_checking(self) -> None:
        pid = os.getpid()
        if self._checker_pid == pid:
            return
        with self._lock:
            if self._checker_pid == pid:
                return
            self._checker_pid = pid  # a forked worker starts its own (threads do not fork)
            self.fresh_as_of = None
            self._samples.clear()
            threading.Thread(target=self._run, name="berdaya-replica-check", daemon=True).start()

    def _run(self) -> None:
        while True:
            now = time.monotonic()
            if now >= self._next_check:
                self._check(now)
            time.sleep(max(0.05, min(self.check_seconds, self._next_check - time.monotonic())))

    def mark_down(self, reason: str) -> None:
        """A request's query on the replica failed: use the primary until the next check."""
        self._fail(time.monotonic(), reason)

    def status(self) -> dict[str, Any]:
        fresh = self.fresh_as_of
        lag = None if fresh is None else round(max(0.0, time.monotonic() - fresh), 3)
        return {"usable": fresh is not None, "lag_seconds": lag, "reason": self.reason}

    def _check(self, now: float) -> None:
        try:
            with self.primary.connect() as conn:
                position = conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'")).scalar_one()
            self._samples.append((now, int(position)))
            with self.replica.connect() as conn:
                # LOCAL: this transaction only, never the pooled connection requests reuse.
                conn.execute(text(f"SET LOCAL statement_timeout = {CHECK_STATEMENT_TIMEOUT_MS}"))
                # pg_is_in_recovery, not a NULL replay position: a server that went through
                # crash recovery, or a promoted standby, keeps its last replayed position.
                in_recovery, replayed = conn.execute(
                    text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'")
                ).one()
        except Exception as error:  # down, refusing, timing out: skip it for a while
            self._fail(now, f"unreachable: {type(error).__name__}")
            return
        if not in_recovery or replayed is None:  # promoted, or not a standby: not a replica
            self._fail(now, "not in recovery")
            return
        fresh = [at for at, lsn in self._samples if lsn <= int(replayed)]
        if not fresh:
            self.fresh_as_of = None
            self.reason = "lagging beyond the samples kept"
        else:
            self.fresh_as_of = max(fresh)
            lag = now - self.fresh_as_of
            self.reason = "ok" if lag <= self.max_lag_seconds else f"lagging {lag:.1f} s"
            while len(self._samples) > 1 and self._samples[0][0] < self.fresh_as_of:
                self._samples.popleft()
        self._failures = 0
        self._next_check = now + self.check_seconds

    def _fail(self, now: float, reason: str) -> None:
        if self.fresh_as_of is not None or self.reason != reason:
            log.warning("replica skipped: %s", reason)
        self.fresh_as_of = None
        self.reason = reason
        self._failures += 1
        backoff = min(MAX_BACKOFF_SECONDS, self.check_seconds * 2 ** (self._failures - 1))
        self._next_check = now + backoff


def make_router(
    url: str, primary: Engine, *, pool_size: int, max_overflow: int, max_lag_seconds: float
) -> ReplicaRouter | None:
    """The router for ``DATABASE_REPLICA_URL`` (None without one, or on SQLite)."""
    from api.db import _ping_when_idle, keep_fork_safe, make_sessionmaker

    if not url or primary.dialect.name != "postgresql":
        return None
    replica = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=1,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": "-c statement_timeout=30000",
        },
    )
    _ping_when_idle(replica)
    keep_fork_safe(replica)
    return ReplicaRouter(
        primary, replica, make_sessionmaker(replica), max_lag_seconds=max_lag_seconds
    )
