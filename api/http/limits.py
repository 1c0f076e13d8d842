"""Rate limits (Flask-Limiter) and CORS (flask-cors), configured from the settings.

Limits are counted per API key (one that exists and is active), per signed-in user (an access
token whose signature and expiry check out) and per network address for everyone else (IPv6
by its /64); a forged credential only counts against its sender's address. Sign-in,
registration and refresh are counted per address and per account, whatever the headers say;
contact has a stricter limit of its own. Counters live in Redis in production
(``RATE_LIMIT_STORAGE_URL``), so every worker and every server shares them; the embedded
default counts in memory. Responses carry
``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``; a refusal is a 429
problem with ``Retry-After``. CORS preflights and health probes are never counted.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, has_request_context, request
from flask_cors import CORS
from flask_limiter import Limiter
from limits import RateLimitItem, WindowStats
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import NoScriptError, RedisError

from api.config import Settings

if TYPE_CHECKING:
    from api.state import AppState

EXPOSED = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "Link",
    "ETag",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Location",
]
ALLOWED = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "Accept-Language",
    "X-On-Behalf-Of",
    "X-Request-ID",
    "X-API-Key",
]
UNLIMITED_PATHS = ("/health", "/ready")
# Allowed in development (BERDAYA_ENV=development) besides CORS_ORIGINS: any local port.
DEVELOPMENT_ORIGINS = [
    re.compile(r"^http://localhost(:\d{1,5})?\Z"),
    re.compile(r"^http://127\.0\.0\.1(:\d{1,5})?\Z"),
]


def address_key() -> str:
    """``ip:<address>``: an IPv4 address whole, an IPv6 one by its /64 (what one subscriber
    gets); an IPv4 address written as IPv6 is that IPv4 address."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return f"ip:{raw or 'unknown'}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        network = ipaddress.IPv6Network((int(address) >> 64 << 64, 64))
        return f"ip:{network}"
    return f"ip:{address}"


def caller_key() -> str:
    """``key:<hash>`` for a known active API key, ``user:<id>`` for a bearer token whose
    signature and expiry check out, else the network address (``address_key``): a forged or
    unknown credential buys nothing but its sender's address bucket."""
    if "rate_key" not in g:
        key = ""
        header = request.headers.get("Authorization", "")
        api_key = request.headers.get("X-API-Key")
        if api_key:
            key = _verified_api_key(api_key.strip())
        elif header[:7].lower() == "bearer ":
            from api.errors import Unauthorized

            try:
                claims = _state().security.decode_access_token(header[7:].strip())
                key = f"user:{claims.user_id}"
            except Unauthorized:
                pass
        g.rate_key = key or address_key()
    value: str = g.rate_key
    return value


# API keys known to exist and be active, by hash -> when the check runs again (a per-process
# cache: one query a minute per key, not one a request; a revoked key keeps its bucket at most
# that long, and the view refuses it at once).
_KNOWN_KEYS: dict[str, float] = {}
KNOWN_KEY_SECONDS = 60.0


def _verified_api_key(secret: str) -> str:
    from sqlalchemy import select

    from api.db import utcnow
    from api.models import ApiKey
    from api.security import hash_token

    digest = hash_token(secret)
    now = time.monotonic()
    if _KNOWN_KEYS.get(digest, 0.0) > now:
        return "key:" + digest[:24]
    if len(secret) > 100:
        return ""
    with _state().new_session() as session:
        row = session.execute(
            select(ApiKey.revoked_at, ApiKey.expires_at).where(ApiKey.secret_hash == digest)
        ).first()
    if row is None or row.revoked_at is not None:
        return ""
    if row.expires_at is not None and row.expires_at <= utcnow():
        return ""
    if len(_KNOWN_KEYS) >= 4096:
        _KNOWN_KEYS.clear()
    _KNOWN_KEYS[digest] = now + KNOWN_KEY_SECONDS
    return "key:" + digest[:24]


ACCOUNT_FIELDS = ("email", "phone", "refresh_token")


def account_key() -> str:
    """The account a sign-in, registration or refresh is about (its email, phone number or
    refresh token, hashed), whoever sends it; requests naming none share their address's."""
    body = request.get_json(silent=True)
    named = []
    if isinstance(body, dict):
        for name in ACCOUNT_FIELDS:
            value = body.get(name)
            if isinstance(value, str) and value.strip():
                named.append(f"{name}={_canonical(name, value)}")
    if not named:
        return "account-of-" + address_key()
    return "account:" + hashlib.sha256("&".join(named).encode()).hexdigest()[:32]


def _canonical(name: str, value: str) -> str:
    value = value.strip()
    if name == "email":
        return value.lower()
    if name == "phone":
        from api import phones

        number = phones.parse(value)
        return phones.e164(number) if number is not None else value
    return value


def _state() -> AppState:
    from flask import current_app

    from api.state import get_state

    return get_state(current_app)


def _settings() -> Settings:
    return _state().settings


def _exempt() -> bool:
    if request.method == "OPTIONS" or request.path in UNLIMITED_PATHS:
        return True
    return not _settings().rate_limit_default  # limits off


def _default_limit() -> str:
    """Read per request from the app's settings, so each app (and test) has its own; apps
    with a key have a budget of their own."""
    settings = _settings()
    if caller_key().startswith("key:"):
        return settings.rate_limit_api_key
    return settings.rate_limit_default


# One limiter, so that views can carry their own limits at import; each app gives it its
# storage and defaults in ``init``.
limiter = Limiter(
    key_func=caller_key,
    default_limits=[_default_limit],
    headers_enabled=True,
    strategy="moving-window",
    key_prefix="berdaya",
    # A limiter that cannot reach Redis counts in this process's memory meanwhile (one log
    # line when that starts, one when Redis answers again; api.dependencies) and lets requests
    # through rather than failing them if even that fails.
    in_memory_fallback_enabled=True,
    swallow_errors=True,
)
limiter.request_filter(lambda: _exempt())


def _note_retry_after(response: Response) -> Response:
    """Before the limiter writes its headers: remember the response's own Retry-After."""
    g.own_retry_after = _retry_after(response)
    return response


def _retry_after(response: Response) -> str | None:
    """Its Retry-After, found without werkzeug's get (which raises and catches when absent)."""
    for name, value in response.headers.items():
        if name.lower() == "retry-after":
            return value
    return None


def _keep_own_headers(response: Response) -> Response:
    """After the limiter: a refusal by one of our own limits (sign-in lockout, daily contacts)
    reports that limit, not the general budget; Retry-After stays only where it means something
    (the response's own, or the limiter's 429)."""
    headers = g.get("domain_limit_headers")
    if headers and response.status_code == 429:
        response.headers.update(headers)
        return response
    own = g.get("own_retry_after")
    if own is not None:
        response.headers["Retry-After"] = own
    elif response.status_code != 429 and _retry_after(response) is not None:
        response.headers.remove("Retry-After")
    return response


# ``acquire_moving_window.lua`` and ``moving_window.lua`` of the limits library in one script:
# take an entry if the window has room, then say what the window holds (its oldest entry and
# its count), as the rate-limit headers need. One round trip to Redis a request, not two.
_ACQUIRE_AND_WINDOW = """
local timestamp = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
local acquired = 0
if amount <= limit then
    local entry = redis.call('lindex', KEYS[1], limit - amount)
    if not (entry and tonumber(entry) >= timestamp - expiry) then
        local entries = {}
        for i = 1, amount do
            entries[i] = timestamp
        end
        for i = 1, #entries, 5000 do
            redis.call('lpush', KEYS[1], unpack(entries, i, math.min(i + 4999, #entries)))
        end
        redis.call('ltrim', KEYS[1], 0, limit - 1)
        redis.call('expire', KEYS[1], expiry)
        acquired = 1
    end
end
local target = timestamp - expiry
local low, high, index = 0, limit - 1, nil
while low <= high do
    local mid = math.floor((low + high) / 2)
    local value = tonumber(redis.call('lindex', KEYS[1], mid))
    if value and value >= target then
        index = mid
        low = mid + 1
    else
        high = mid - 1
    end
end
if index then
    return {acquired, tostring(redis.call('lindex', KEYS[1], index)), index + 1}
end
return {acquired, false, 0}
"""


def _note_window(key: str, reset: float, remaining: int) -> None:
    """What the headers of this request say of this key's window (``get_window_stats``)."""
    if has_request_context():
        g.setdefault("rate_windows", {})[key] = WindowStats(reset, max(remaining, 0))


class OneTripMovingWindow(MovingWindowRateLimiter):
    """The moving window on Redis, one round trip a request: ``hit`` also reads the window,
    which ``get_window_stats`` then answers for the same key in the same request (the limiter
    asks for it to write the headers). The stats are those of the moment of the hit; requests
    of other callers cannot change a caller's own window in between."""

    def __init__(self, storage: RedisStorage) -> None:
        super().__init__(storage)
        self._script = storage.get_connection().register_script(_ACQUIRE_AND_WINDOW.encode())

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key = item.key_for(*identifiers)
        storage: RedisStorage = self.storage  # type: ignore[assignment]
        acquired, oldest, count = self._acquire(
            storage.prefixed_key(key), item.amount, item.get_expiry(), cost
        )
        _note_window(key, oldest + item.get_expiry(), item.amount - count)
        return acquired

    def _acquire(self, key: str, limit: int, expiry: int, cost: int) -> tuple[bool, float, int]:
        """One round trip: take ``cost`` entries if the window has room; then the window's
        oldest entry's time (now when empty) and its count."""
        timestamp = time.time()
        acquired, oldest, count = self._script([key], [timestamp, limit, expiry, cost])
        return bool(acquired), float(oldest) if oldest else timestamp, int(count)

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        if has_request_context():
            kept = g.get("rate_windows", {}).pop(item.key_for(*identifiers), None)
            if kept is not None:
                kept_stats: WindowStats = kept
                return kept_stats
        return super().get_window_stats(item, *identifiers)


# A batch of callers (KEYS; ARGV: the time, then each key's limit, window and entries served):
# the entries a process served and has not yet sent are added to each window at once, as many
# as it has room for; then what each window holds (its count and oldest entry), flattened.
_RECORD_AND_WINDOW = """
local timestamp = tonumber(ARGV[1])
local answers = {}
for k = 1, #KEYS do
    local key = KEYS[k]
    local limit = tonumber(ARGV[3 * k - 1])
    local expiry = tonumber(ARGV[3 * k])
    local amount = tonumber(ARGV[3 * k + 1])
    local target = timestamp - expiry
    local low, high, count = 0, math.min(limit, redis.call('llen', key)) - 1, 0
    while low <= high do
        local mid = math.floor((low + high) / 2)
        local value = tonumber(redis.call('lindex', key, mid))
        if value and value >= target then
            count = mid + 1
            low = mid + 1
        else
            high = mid - 1
        end
    end
    local room = math.min(amount, limit - count)
    if room > 0 then
        local entries = {}
        for i = 1, room do
            entries[i] = timestamp
        end
        for i = 1, #entries, 5000 do
            redis.call('lpush', key, unpack(entries, i, math.min(i + 4999, #entries)))
        end
        redis.call('ltrim', key, 0, limit - 1)
        redis.call('expire', key, expiry)
        count = count + room
    end
    answers[2 * k - 1] = count
    answers[2 * k] = count > 0 and tostring(redis.call('lindex', key, count - 1)) or false
end
return answers
"""

EXACT = "exact:"  # a key counted one round trip a request (``_exact``)
log = logging.getLogger(__name__)


class LaggingMovingWindow(OneTripMovingWindow):
    """The general budget without a round trip a request: the same moving window in Redis,
    shared by every process, but each process decides from what it last heard of a caller's
    window plus what it has served since, and sends what it served in one pipeline every
    ``sync_seconds`` (a background thread). Views' own limits (``EXACT`` keys: sign-in,
    registration, contact, statistics) take the exact path, one round trip each.

    What it costs: a caller's requests are seen by the other processes up to ``sync_seconds``
    (plus a round trip) late, so a flood is refused after at most what each process serves in
    that time beyond the budget (a test floods two gunicorn workers and counts). A caller a
    process has not heard of is let through and counted in the next batch; one it knows is
    at its budget is refused without asking Redis until the oldest entry it knows of leaves
    the window, and then each of its requests asks Redis (one round trip: only Redis knows how
    many entries have left), so spacing requests out buys nothing. What a process heard of a
    window is forgotten once the whole window has passed. The headers say what the process
    knows. While Redis does not take batches, requests fail over to the limiter's in-memory
    window (as the exact path does), what was served is kept to be sent (at most a budget per
    caller, ``MAX_CALLERS`` callers, dropped once its window has passed), and batches go in
    scripts of ``CHUNK`` callers, so a long outage's backlog never holds Redis up."""

    # Callers whose windows a process remembers, and whose entries it keeps to send while Redis
    # is away (oldest forgotten first in each).
    MAX_CALLERS = 50_000
    CHUNK = 500  # callers per script: ~10 ms of Redis's time, far below REDIS_TIMEOUT_MS
    _forked = threading.Lock()  # one thread of a new process starts its state

    def __init__(self, storage: RedisStorage, sync_seconds: float) -> None:
        super().__init__(storage)
        self._redis: Any = storage.get_connection()
        self._record = self._redis.register_script(_RECORD_AND_WINDOW.encode())
        self._sync = sync_seconds
        self._pid = -1
        self._started()

    def _started(self) -> None:
        """This process's own state and thread (a fork's copy starts empty)."""
        from api.dependencies import Outage

        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one batch on its way at a time
        self._wake = threading.Event()
        # key -> [served and not yet sent, the limit, its window in seconds, first served at]
        self._pending: dict[str, list[Any]] = {}
        # key -> (entries in the window when last heard, its oldest entry's time, heard at)
        self._known: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._sending: dict[str, list[Any]] = {}  # the batch on its way (still counted here)
        self._thread: threading.Thread | None = None
        self._outage = Outage("rate limits Redis")
        self._pid = os.getpid()

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        if len(identifiers) < 2 or identifiers[1].startswith(EXACT) or cost != 1:
            return super().hit(item, *identifiers, cost=cost)
        if self._pid != os.getpid():
            with self._forked:
                if self._pid != os.getpid():
                    self._started()
        if self._outage.since is not None:
            # Redis did not take the last batch: the limiter counts in memory meanwhile (its
            # fallback, as for the exact path); once the outage's pause is over a request
            # asks Redis itself, and its answer ends the outage (the backlog follows).
            if not self._outage.available():
                raise RedisError("rate limits: Redis did not take the last batch")
            try:
                allowed = super().hit(item, *identifiers, cost=cost)
            except RedisError as error:
                self._outage.failed(error)
                raise
            self._outage.succeeded()
            self._wake.set()
            return allowed
        storage: RedisStorage = self.storage  # type: ignore[assignment]
        key = storage.prefixed_key(item.key_for(*identifiers))
        limit, expiry, now = item.amount, item.get_expiry(), time.time()
        with self._lock:
            count, oldest, heard = self._known.get(key, (0, now, now))
            if heard + expiry <= now:  # the whole window has passed since: nothing known
                count, oldest = 0, now
            waiting = self._pending.get(key)
            sending = self._sending.get(key)
            served = (waiting[0] if waiting else 0) + (sending[0] if sending else 0)
            allowed = count + served < limit
            # Full when last heard, and its oldest entry has left the window since: how many
            # have left only Redis knows, so this one request asks (one round trip, only for
            # callers at their budget), rather than take the whole window as free.
            ask = not allowed and served < limit and oldest + expiry <= now
            if allowed:
                if waiting:
                    waiting[0] += 1
                else:
                    if len(self._pending) >= self.MAX_CALLERS:  # a long outage: oldest out
                        del self._pending[next(iter(self._pending))]
                    self._pending[key] = [1, limit, expiry, now]
                served += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="berdaya-rate-limits", daemon=True
                )
                self._thread.start()
        if ask:
            allowed, oldest, count = self._acquire(key, limit, expiry, 1)
            with self._lock:
                self._remember(key, count, oldest, time.time())
        else:
            self._wake.set()
        reset = max(oldest + expiry, now)
        _note_window(item.key_for(*identifiers), reset, limit - count - served)
        return allowed

    def _remember(self, key: str, count: int, oldest: float, heard: float) -> None:
        self._known[key] = (count, oldest, heard)
        self._known.move_to_end(key)
        while len(self._known) > self.MAX_CALLERS:
            self._known.popitem(last=False)

    def _run(self) -> None:
        """Send what was served, a batch every ``sync_seconds`` (after a failure, again once
        the outage's pause is over); end after a minute idle, or on a fault of its own (the
        next hit starts another)."""
        try:
            while True:
                if not self._wake.wait(60):
                    with self._lock:
                        if not self._pending:
                            return
                time.sleep(self._sync)
                self._wake.clear()
                if not self.flush():
                    time.sleep(self._outage.pause)
                    self._wake.set()
        except Exception as error:  # logged; the next hit starts another
            log.error("rate limits: the batch sender stopped (%s)", type(error).__name__)
        finally:
            with self._lock:
                self._thread = None

    def flush(self) -> bool:
        """Send every caller's entries served since the last batch, in one pipeline of
        scripts of ``CHUNK`` callers each (Redis runs other clients' commands between them),
        and keep what Redis answers of each window. False when Redis did not take all of
        them (what it did not take is kept for the next batch)."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._sending = batch
            if not batch:
                return True
            now = time.time()
            answers: dict[str, tuple[int, float]] = {}
            error: RedisError | None = None
            try:
                if not self._outage.available():
                    raise RedisError("paused after a failure")
                answers, error = self._send(batch, now)
            except Exception as failed:  # not taken, whatever went wrong: kept to send again
                error = (
                    failed if isinstance(failed, RedisError) else RedisError(type(failed).__name__)
                )
            with self._lock:
                self._sending = {}
                for key, (count, oldest) in answers.items():
                    self._remember(key, count, oldest, now)
                for key, (served, limit, expiry, first) in batch.items():
                    if key in answers or first + expiry <= now:
                        continue  # taken, or its window has passed: nothing left to count
                    waiting = self._pending.setdefault(key, [0, limit, expiry, first])
                    waiting[0] = min(waiting[0] + served, limit)
                    waiting[3] = min(waiting[3], first)
        if error is None:
            self._outage.succeeded()
            return True
        if self._outage.available():
            self._outage.failed(error)
        return False

    def _send(
        self, batch: dict[str, list[Any]], now: float
    ) -> tuple[dict[str, tuple[int, float]], RedisError | None]:
        """Each chunk's answers by key, and the first error of the chunks Redis did not take
        (only those are sent again: a chunk that ran is never counted twice)."""
        keys = list(batch)
        chunks = [keys[i : i + self.CHUNK] for i in range(0, len(keys), self.CHUNK)]
        answers: dict[str, tuple[int, float]] = {}
        for attempt in (1, 2):
            pipe = self._redis.pipeline(transaction=False)
            for chunk in chunks:
                arguments: list[Any] = [now]
                for key in chunk:
                    arguments += batch[key][1:3] + batch[key][:1]  # limit, window, served
                pipe.evalsha(self._record.sha, len(chunk), *chunk, *arguments)
            results = pipe.execute(raise_on_error=False)
            failed: list[list[str]] = []
            error: RedisError | None = None
            for chunk, result in zip(chunks, results, strict=True):
                if isinstance(result, Exception):
                    failed.append(chunk)
                    error = error or (
                        result if isinstance(result, RedisError) else RedisError(str(result))
                    )
                    continue
                for i, key in enumerate(chunk):
                    count, oldest = result[2 * i], result[2 * i + 1]
                    answers[key] = (int(count), float(oldest) if oldest else now)
            if not failed:
                return answers, None
            if attempt == 1 and isinstance(error, NoScriptError):  # Redis restarted: load it
                self._record.sha = self._redis.script_load(self._record.script)
                chunks = failed
                continue
            return answers, error
        raise AssertionError("unreachable")


def init(app: Flask, settings: Settings) -> None:
    from api.dependencies import add_check, redis_options

    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage_url
    redis = settings.rate_limit_storage_url.startswith(("redis://", "rediss://"))
    if redis:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = redis_options(settings)
    hooks: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    had = [list(funcs.get(None, [])) for funcs in hooks]
    # after_request hooks run in reverse order: this one after the limiter's, the next before.
    app.after_request(_keep_own_headers)
    limiter.init_app(app)
    limiter._storage_dead = False  # this app's storage is new: not known to be away
    if isinstance(limiter._storage, RedisStorage):
        limiter._limiter = (
            LaggingMovingWindow(limiter._storage, settings.rate_limit_sync_ms / 1000)
            if settings.rate_limit_sync_ms
            else OneTripMovingWindow(limiter._storage)
        )
    if redis and settings.rate_limit_default:
        add_check(app, "rate_limits", limiter.storage.check)
    app.after_request(_note_retry_after)
    if not settings.rate_limit_default:
        # Limits off (a proxy in front may limit): every request is exempt (``_exempt``), to
        # views with limits of their own too. The limiter's hooks, and ours around them, would
        # only find that out on each request, at a fifth of a cached read's cost: they go.
        for funcs, old in zip(hooks, had, strict=True):
            funcs[None] = old
    origins: list[str | re.Pattern[str]] = [
        o.strip() for o in settings.cors_origins.split(",") if o.strip()
    ]
    if settings.env == "development":
        # `make run`: a frontend's dev server on any local port works out of the box.
        origins += DEVELOPMENT_ORIGINS
    if origins:
        CORS(
            app,
            resources={r"/v1/*": {"origins": origins}},
            expose_headers=EXPOSED,
            allow_headers=ALLOWED,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            max_age=600,
        )


def _exact(key_func: Any) -> Any:
    """A view's own limit is counted exactly: one round trip to Redis a request, never from
    what a process knows (``LaggingMovingWindow``); its keys say so."""

    def key() -> str:
        return EXACT + key_func()

    return key


def limit(setting: str) -> Any:
    """A stricter limit for one view, read from the settings when the request comes."""

    def current() -> str:
        value: str = getattr(_settings(), setting)
        return value

    return limiter.limit(current, key_func=_exact(caller_key))


def auth_limit(setting: str = "rate_limit_login") -> Any:
    """The limit of the authentication endpoints (sign-in, registration, refresh), counted
    twice: per network address and per account named in the body, whatever credentials or
    other headers come with the request."""

    def current() -> str:
        value: str = getattr(_settings(), setting)
        return value

    by_address = limiter.limit(current, key_func=_exact(address_key))
    by_account = limiter.limit(current, key_func=_exact(account_key))

    def decorate(view: Any) -> Any:
        return by_address(by_account(view))

    return decorate
