"""Redis, which the API can live without for a while: clients that never wait long, and an
outage noted once (one log line when it starts, one when it ends), not once per request.

Every Redis client of the app (rate-limit counters, webhook jobs) is made with
``redis_options``: connecting and each answer wait at most ``REDIS_TIMEOUT_MS``, with no
retries (redis-py would otherwise retry three times with backoff). What happens meanwhile:
rate limits are counted in each process's memory (Flask-Limiter's in-memory fallback, which
goes back to Redis when a ping answers again); webhook deliveries stay in the database and
the sweep queues them when Redis is back. ``/ready`` names a dependency that does not answer.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from api.config import Settings

log = logging.getLogger(__name__)


def redis_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``redis.Redis`` (and ``from_url``): bounded waits, no retries."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    seconds = settings.redis_timeout_ms / 1000
    return {
        "socket_timeout": seconds,
        "socket_connect_timeout": seconds,
        "retry": Retry(NoBackoff(), 0),
    }


class Outage:
    """Whether a dependency is usable: after a failure it is not tried again for
    ``pause`` seconds (callers take their fallback at once); logged once per outage."""

    def __init__(self, name: str, pause: float = 5.0) -> None:
        self.name = name
        self.pause = pause
        self.since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def available(self) -> bool:
        return time.monotonic() >= self._retry_at

    def failed(self, error: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            self._retry_at = now + self.pause
            if self.since is None:
                self.since = now
                log.warning("%s unreachable (%s: %s)", self.name, type(error).__name__, error)

    def succeeded(self) -> None:
        with self._lock:
            self._retry_at = 0.0
            if self.since is not None:
                away = time.monotonic() - self.since
                log.warning("%s reachable again after %.0f s", self.name, away)
                self.since = None


CHECKS_KEY = "berdaya_checks"


def add_check(app: Any, name: str, check: Any) -> None:
    """A dependency ``/ready`` asks about: ``check()`` is True when it answers (in bounded
    time), False or an exception when not."""
    app.extensions.setdefault(CHECKS_KEY, {})[name] = check


def check_all(app: Any) -> dict[str, str]:
    """``ok`` or ``unreachable`` for each dependency checked besides the database."""
    answers = {}
    for name, check in app.extensions.get(CHECKS_KEY, {}).items():
        try:
            answers[name] = "ok" if check() else "unreachable"
        except Exception:
            answers[name] = "unreachable"
    return answers
