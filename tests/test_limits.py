"""Rate limits and CORS: headers, 429 problems, preflights and probes not counted, per-user
buckets, stricter sign-in limits; and the limit held across two gunicorn workers on Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection

from api.config import Settings
from api.migrate import upgrade
from tests.conftest import Auth, app_with
from tests.helpers import assert_problem, register

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tight(app: Flask, database_url: str, connection: Connection) -> Iterator[Flask]:
    """An app with low limits (the limiter reads them from each app's settings per request)."""
    with app_with(
        database_url,
        connection,
        rate_limit_default="5 per minute",
        rate_limit_login="2 per minute",
        cors_origins="https://mitra.example.id",
    ) as strict:
        yield strict


def test_the_budget_is_counted_with_headers_and_refused_with_a_problem(
    tight: Flask, auth: Auth
) -> None:
    client = tight.test_client()
    seen = []
    for _ in range(5):
        response = client.get("/v1/categories")
        assert response.status_code == 200
        seen.append(int(response.headers["X-RateLimit-Remaining"]))
        assert (
            response.headers["X-RateLimit-Limit"] == "5" and "Retry-After" not in response.headers
        )
    assert seen == [4, 3, 2, 1, 0]
    refused = client.get("/v1/categories")
    body = assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0 and body["request_id"]
    # Probes and CORS preflights are never counted.
    assert client.get("/health").status_code == 200
    preflight = client.options(
        "/v1/categories",
        headers={"Origin": "https://mitra.example.id", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://mitra.example.id"
    # A signed-in user has her own budget.
    _, headers = auth.as_role_in(tight)
    assert client.get("/v1/categories", headers=headers).status_code == 200


def test_sign_in_has_a_stricter_limit(tight: Flask) -> None:
    client = tight.test_client()
    body = {"email": "nobody@example.id", "password": "salah-salah"}
    assert [client.post("/v1/auth/login", json=body).status_code for _ in range(2)] == [401, 401]
    assert_problem(client.post("/v1/auth/login", json=body), 429, "rate_limited")


def test_cors_answers_configured_origins_only_and_exposes_the_useful_headers(
    tight: Flask,
) -> None:
    client = tight.test_client()
    ok = client.get("/v1/regions?level=province", headers={"Origin": "https://mitra.example.id"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://mitra.example.id"
    exposed = {h.strip() for h in ok.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-RateLimit-Remaining", "Retry-After", "Link", "ETag"} <= exposed
    other = client.get("/v1/regions?level=province", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# -- two gunicorn workers sharing Redis ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(
    tmp_path: Path, storage: str, limit: str, sync_ms: int = 20
) -> tuple[subprocess.Popen[bytes], str]:
    database = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    upgrade(database)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "BERDAYA_ENV": "production",
        "SECRET_KEY": "limits-test-" + "x" * 40,
        "RATE_LIMIT_STORAGE_URL": storage,
        "RATE_LIMIT_DEFAULT": limit,
        "RATE_LIMIT_SYNC_MS": str(sync_ms),
        "PUBLIC_BASE_URL": "https://berdaya.example.id",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        "BERDAYA_PROBE_LOG": str(tmp_path / "pids.log"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "-k",
            "sync",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "-c",
            str(ROOT / "tests" / "gunicorn_probe.py"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(base + "/health", timeout=2):  # noqa: S310
                break
        except OSError:
            time.sleep(0.1)
    return process, base


def _statuses(base: str, count: int) -> list[int]:
    """``count`` requests, eight at a time on new connections, so both workers answer."""

    def one(_: int) -> int:
        try:
            with urllib.request.urlopen(base + "/v1/categories", timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.slow  # gunicorn with two workers, and Redis
@pytest.mark.redis
@pytest.mark.parametrize("sync_ms", [0, 20])
def test_the_limit_holds_across_two_workers_on_redis(
    tmp_path: Path, exclusive_redis: None, sync_ms: int
) -> None:
    """Exact (``RATE_LIMIT_SYNC_MS=0``): 20 of 40 pass. Batched (the default): a flood from
    one address gets the budget and at most what each worker serves in one interval beyond
    it; once the batches are in, every worker refuses, and Redis holds the budget exactly."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    client = redis.Redis.from_url(redis_url)
    client.ping()
    prefix_marker = uuid.uuid4().hex  # a fresh database number's content is ours to clear
    client.flushdb()
    process, base = _serve(tmp_path, redis_url, "20 per minute", sync_ms)
    try:
        statuses = _statuses(base, 40)
        time.sleep(0.2)  # every batch sent and answered
        after = _statuses(base, 16)
        entries = [client.llen(key) for key in client.keys("*categories*")]
    finally:
        process.terminate()
        process.wait(timeout=10)
        client.flushdb()
    served_by = set((tmp_path / "pids.log").read_text().split())
    assert len(served_by) == 2, served_by  # both workers answered
    if sync_ms == 0:
        assert statuses.count(200) == 20 and statuses.count(429) == 20, (statuses, prefix_marker)
    else:
        # eight at a time on two workers: each serves a few requests in 20 ms, not dozens
        assert 20 <= statuses.count(200) <= 30, statuses
    assert after == [429] * 16, after
    assert entries == [20], entries  # the window holds the budget, never more


@pytest.mark.redis
def test_on_redis_a_request_costs_one_round_trip_and_the_headers_count_down(
    database_url: str, connection: Connection, exclusive_redis: None
) -> None:
    """Production counts in Redis: taking an entry and reading the window for the headers is
    one script, one round trip a request (not two), with the same headers and refusal."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with app_with(
        database_url,
        connection,
        rate_limit_default="5 per minute",
        rate_limit_storage_url=redis_url,
        rate_limit_sync_ms=0,
    ) as served:
        from api.http.limits import limiter

        connection_ = limiter._storage.get_connection()
        sent: list[str] = []
        original = connection_.execute_command

        def counted(*args: object, **kwargs: object) -> object:
            sent.append(str(args[0]))
            return original(*args, **kwargs)

        connection_.execute_command = counted  # type: ignore[method-assign]
        client = served.test_client()
        started = time.time()
        seen, trips = [], []
        for _ in range(5):
            sent.clear()
            response = client.get("/v1/categories")
            assert response.status_code == 200
            seen.append(int(response.headers["X-RateLimit-Remaining"]))
            reset = int(response.headers["X-RateLimit-Reset"])
            assert started + 59 <= reset <= time.time() + 61
            assert "Retry-After" not in response.headers
            trips.append([c for c in sent if c.upper() != "SCRIPT LOAD"])
        assert seen == [4, 3, 2, 1, 0]
        # (the first request also loads the script into Redis: a refused EVALSHA, then again)
        assert all(len(t) == 1 for t in trips[1:]) and len(trips[0]) <= 2, trips
        refused = client.get("/v1/categories")
        assert_problem(refused, 429, "rate_limited")
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"
    redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.redis
def test_on_redis_the_general_budget_is_sent_in_batches_and_refused_from_what_is_known(
    database_url: str, connection: Connection, exclusive_redis: None
) -> None:
    """The default: a request of the general budget sends nothing to Redis itself; a thread
    sends what was served every RATE_LIMIT_SYNC_MS in one script. The headers count down, the
    budget is refused with the same problem, and Redis holds the window's entries."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    with app_with(
        database_url,
        connection,
        rate_limit_default="5 per minute",
        rate_limit_storage_url=redis_url,
        rate_limit_sync_ms=20,
    ) as served:
        from api.http.limits import LaggingMovingWindow, limiter

        strategy = limiter._limiter
        assert isinstance(strategy, LaggingMovingWindow)
        connection_ = limiter._storage.get_connection()
        sent: list[str] = []
        original = connection_.execute_command

        def counted(*args: object, **kwargs: object) -> object:
            if threading.current_thread() is threading.main_thread():
                sent.append(str(args[0]))
            return original(*args, **kwargs)

        connection_.execute_command = counted  # type: ignore[method-assign]
        hits: list[tuple[Any, ...]] = []
        hit = strategy.hit

        def noted(item: Any, *ids: str, cost: int = 1) -> bool:
            hits.append((item, *ids))
            return hit(item, *ids, cost=cost)

        strategy.hit = noted  # type: ignore[method-assign]
        client = served.test_client()
        started = time.time()
        seen = []
        for _ in range(5):
            response = client.get("/v1/categories")
            assert response.status_code == 200
            seen.append(int(response.headers["X-RateLimit-Remaining"]))
            reset = int(response.headers["X-RateLimit-Reset"])
            assert started + 59 <= reset <= time.time() + 61
            time.sleep(0.08)  # the batch is sent and answered meanwhile
        assert seen == [4, 3, 2, 1, 0] and sent == [], sent
        keys = [k for k in store.keys("*") if b"categories" in k]
        assert [store.llen(k) for k in keys] == [5]
        refused = client.get("/v1/categories")
        assert_problem(refused, 429, "rate_limited")
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0" and sent == []
        # Another process (another worker, another server) sharing Redis refuses too, once its
        # first batch tells it the window is full: the overshoot is what it served meanwhile.
        other = LaggingMovingWindow(limiter._storage, 0.02)
        item, *ids = hits[0]
        assert other.hit(item, *ids)  # not heard of yet: let through, and counted
        other.flush()
        assert not other.hit(item, *ids)
    store.flushdb()


@pytest.mark.redis
def test_a_caller_who_spaces_requests_out_gets_no_more_than_the_window_frees(
    exclusive_redis: None,
) -> None:
    """An outside probe's attack: fill the window slowly, then flood as its oldest entry
    leaves. Only that entry's slot is free; a process that took the whole window as free let
    a batch interval's worth through at every expiry. And a backlog of many callers is sent
    in chunks, all of it landing."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis
    from limits import parse
    from limits.storage import RedisStorage

    from api.http.limits import LaggingMovingWindow

    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    strategy = LaggingMovingWindow(RedisStorage(redis_url), 0.02)
    # A window twice as long as filling it takes, so a loaded machine's slower round trips
    # cannot let its first entry leave before the window is checked full.
    item = parse("5 per 4 seconds")
    ids = ("berdaya", "ip:10.0.0.50", "categories.list_categories")
    first = 0.0
    for n in range(5):  # the window filled, 0.3 s apart, each entry sent
        assert strategy.hit(item, *ids)
        strategy.flush()
        if n == 0:  # after the first entry's time (taken as the flush starts), never before
            first = time.monotonic()
        time.sleep(0.3)
    assert not strategy.hit(item, *ids)
    # The first entry has left; the next leaves 0.25 s later (0.3 s apart: room for a busy
    # machine's 40 hits, which take milliseconds, before a second slot frees).
    time.sleep(max(0.0, first + 4.05 - time.monotonic()))
    allowed = [strategy.hit(item, *ids) for _ in range(40)]
    assert 1 <= allowed.count(True) <= 2, allowed
    strategy.flush()
    keys = [k for k in store.keys("*") if b"10.0.0.50" in k]
    assert [store.llen(k) for k in keys] == [5]

    # A backlog of 1,200 callers goes as scripts of CHUNK callers, every entry landing once.
    strategy.CHUNK = 100
    scripts: list[int] = []
    pipeline = strategy._redis.pipeline

    def counted_pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = pipeline(*args, **kwargs)
        evalsha = pipe.evalsha

        def noted(sha: str, keys: int, *rest: Any) -> Any:
            scripts.append(keys)
            return evalsha(sha, keys, *rest)

        pipe.evalsha = noted
        return pipe

    strategy._redis.pipeline = counted_pipeline
    with strategy._flushing:  # the thread's batch and this one are one
        callers = [("berdaya", f"ip:10.1.{n // 256}.{n % 256}", "x") for n in range(1200)]
        assert all(strategy.hit(item, *caller) for caller in callers)
    assert strategy.flush()
    wanted = [k for k in store.keys("*") if b"10.1." in k]
    assert len(wanted) == 1200 and {store.llen(k) for k in wanted} == {1}
    assert sum(scripts) == 1200 and max(scripts) == 100, scripts
    store.flushdb()


@pytest.mark.redis
def test_what_a_process_heard_of_a_window_is_forgotten_once_the_window_has_passed(
    app: Flask, exclusive_redis: None
) -> None:
    """A caller back after a quiet window is a caller the process knows nothing of: the
    headers count from a fresh window, never a reset in the past."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    from flask import g
    from limits import parse
    from limits.storage import RedisStorage

    from api.http.limits import LaggingMovingWindow

    strategy = LaggingMovingWindow(RedisStorage(redis_url), 0.02)
    item = parse("2 per 1 second")
    ids = ("berdaya", "ip:10.0.0.60", "x")
    assert strategy.hit(item, *ids) and strategy.hit(item, *ids)
    assert strategy.flush() and not strategy.hit(item, *ids)
    time.sleep(1.1)
    with app.test_request_context():
        assert strategy.hit(item, *ids)
        reset, remaining = g.rate_windows[item.key_for(*ids)]
    assert reset >= time.time() and remaining == 1


def test_a_batch_redis_does_not_take_sends_requests_to_the_limiters_fallback() -> None:
    """Redis refuses the batch: the next request of the general budget raises (Flask-Limiter
    then counts in memory, as for the exact path) instead of deciding from a backlog that
    never ages; what was served stays to be sent."""
    from limits import parse
    from limits.storage import RedisStorage
    from redis.exceptions import RedisError

    from api.http.limits import LaggingMovingWindow

    strategy = LaggingMovingWindow(RedisStorage("redis://127.0.0.1:1/0"), 0.02)
    item, ids = parse("5 per minute"), ("berdaya", "ip:10.0.0.61", "x")
    assert strategy.hit(item, *ids)  # not heard of: let through, to be sent
    assert not strategy.flush()
    with pytest.raises(RedisError):
        strategy.hit(item, *ids)
    with strategy._flushing, strategy._lock:  # no batch on its way: all of it is pending
        assert [v[0] for v in strategy._pending.values()] == [1] and not strategy._sending


@pytest.fixture
def limits_off(app: Flask, database_url: str, connection: Connection) -> Iterator[Flask]:
    """Rate limits off (``RATE_LIMIT_DEFAULT`` empty: a proxy in front may limit)."""
    with app_with(
        database_url, connection, rate_limit_default="", rate_limit_login="2 per minute"
    ) as off:
        yield off


def test_with_limits_off_nothing_is_counted_and_a_lockout_still_says_when(
    limits_off: Flask, auth: Auth
) -> None:
    # The limiter's hooks are not installed (they would only find every request exempt);
    # the app's own are all there.
    hooks = [
        *limits_off.before_request_funcs[None],
        *limits_off.after_request_funcs[None],
        *limits_off.teardown_request_funcs[None],
    ]
    modules = {getattr(getattr(hook, "func", hook), "__module__", "") for hook in hooks}
    assert not [m for m in modules if m.startswith("flask_limiter") or m == "api.http.limits"]
    names = {getattr(hook, "__name__", "") for hook in hooks}
    assert {"_before_request", "serve_public_document", "_after_request"} <= names
    client = limits_off.test_client()
    body = {"email": "nobody@example.id", "password": "salah-salah"}
    for response in [client.get("/v1/categories") for _ in range(3)] + [
        client.post("/v1/auth/login", json=body) for _ in range(3)
    ]:
        assert response.status_code in (200, 401) and response.headers["X-Request-ID"]
        assert not [k for k, _ in response.headers.items() if k.startswith("X-RateLimit")]
        assert "Retry-After" not in response.headers
    # The lockout is the account's, not a rate limit: it still says when to come back.
    _, headers = auth.as_role_in(limits_off)
    wrong = {"current_password": "guess", "new_password": "a-new-password"}
    for _ in range(5):
        assert_problem(client.post("/v1/me/password", json=wrong, headers=headers), 422)
    locked = client.post("/v1/me/password", json=wrong, headers=headers)
    assert_problem(locked, 429, "login_locked")
    assert locked.headers["X-RateLimit-Limit"] == "5"
    assert int(locked.headers["X-RateLimit-Reset"]) == int(locked.headers["Retry-After"]) > 0


# -- shared networks: a class on one school Wi-Fi -------------------------------------------


def test_a_class_of_forty_registers_and_signs_in_from_one_address_with_the_default_limits(
    database_url: str, connection: Connection
) -> None:
    """The default per-address budget (one school Wi-Fi, one carrier CGNAT address) lets 40 women
    register and sign in together; the per-account lockout stays strict meanwhile."""
    defaults = Settings()
    with app_with(
        database_url,
        connection,
        rate_limit_default=defaults.rate_limit_default,
        rate_limit_login=defaults.rate_limit_login,
    ) as served:
        client = served.test_client()
        tag = uuid.uuid4().hex[:8]
        people = [
            {"email": f"peserta{i}-{tag}@example.id", "password": "rahasia-sekali"}
            for i in range(40)
        ]
        registered = [
            register(client, {**p, "name": f"Peserta {i}", "role": "alumna"}).status_code
            for i, p in enumerate(people)
        ]
        assert registered == [201] * 40
        # A few typos on the way: a wrong password once each for ten of them.
        for p in people[:10]:
            wrong = client.post("/v1/auth/login", json={**p, "password": "salah-ketik"})
            assert wrong.status_code == 401
        signed_in = [client.post("/v1/auth/login", json=p).status_code for p in people]
        assert signed_in == [200] * 40
        # One account guessed at is still locked after five failures, from the same address.
        target = {**people[-1], "password": "tebak-tebak"}
        statuses = [client.post("/v1/auth/login", json=target).status_code for _ in range(5)]
        assert statuses == [401] * 5
        assert_problem(client.post("/v1/auth/login", json=target), 429, "login_locked")
        assert client.post("/v1/auth/login", json=people[0]).status_code == 200


def test_development_allows_any_local_port_and_production_only_the_list(
    database_url: str, connection: Connection
) -> None:
    """`make run` (BERDAYA_ENV=development) lets a frontend on another local port call the API;
    production answers the configured origins only."""

    def allowed(app: Flask, origin: str) -> str | None:
        client = app.test_client()
        read = client.get("/v1/categories", headers={"Origin": origin})
        preflight = client.options(
            "/v1/categories",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert read.headers.get("Access-Control-Allow-Origin") == preflight.headers.get(
            "Access-Control-Allow-Origin"
        )
        return read.headers.get("Access-Control-Allow-Origin")

    local = ("http://localhost:5173", "http://127.0.0.1:3000", "http://localhost")
    # Requests here hash no password: the full-cost profile those environments demand is free.
    with app_with(
        database_url, connection, env="development", password_hash_profile="owasp"
    ) as development:
        for origin in local:
            assert allowed(development, origin) == origin
        for origin in ("http://localhost.evil.example", "https://evil.example"):
            assert allowed(development, origin) is None
    with app_with(
        database_url,
        connection,
        env="production",
        password_hash_profile="owasp",
        secret_key="cors-test-" + "x" * 40,
        public_base_url="https://berdaya.example.id",
        cors_origins="https://mitra.example.id",
    ) as production:
        assert allowed(production, "https://mitra.example.id") == "https://mitra.example.id"
        for origin in local:
            assert allowed(production, origin) is None


# -- forged credentials buy no fresh bucket (issue 20, finding 1) ----------------------------


def _forged_token() -> str:
    """An unsigned token (``alg: none``) with a random subject, as an attacker would send."""
    import jwt

    claims = {"sub": uuid.uuid4().hex, "sid": uuid.uuid4().hex, "role": "admin"}
    return jwt.encode(claims, key=None, algorithm="none")


def test_a_forged_token_per_request_does_not_get_a_fresh_bucket(tight: Flask) -> None:
    client = tight.test_client()
    statuses = [
        client.get(
            "/v1/categories", headers={"Authorization": f"Bearer {_forged_token()}"}
        ).status_code
        for _ in range(7)
    ]
    # The address's budget of 5 counts them all (the public read needs no token).
    assert statuses == [200] * 5 + [429, 429]
    # Nor does a random API key per request.
    other = tight.test_client()
    statuses = [
        other.get(
            "/v1/categories",
            headers={"X-API-Key": f"bk_{uuid.uuid4().hex}"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        ).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429 and statuses.count(429) == 1


def test_sign_in_is_limited_per_address_whatever_the_headers_say(tight: Flask) -> None:
    client = tight.test_client()
    statuses = []
    for n in range(4):
        headers = {
            "Authorization": f"Bearer {_forged_token()}",
            "X-Forwarded-For": f"198.51.100.{n}",
            "X-Real-IP": f"198.51.100.{n}",
        }
        body = {"email": f"nobody{n}@example.id", "password": "salah-salah"}
        statuses.append(client.post("/v1/auth/login", json=body, headers=headers).status_code)
    assert statuses == [401, 401, 429, 429]
    # Registration and refresh too, each counted per address.
    refreshed = [
        client.post(
            "/v1/auth/refresh",
            json={"refresh_token": f"rt_{uuid.uuid4().hex}"},
            headers={"Authorization": f"Bearer {_forged_token()}"},
        ).status_code
        for _ in range(3)
    ]
    assert refreshed == [401, 401, 429]


def test_ipv6_callers_are_counted_by_their_64_and_accounts_across_addresses(
    tight: Flask,
) -> None:
    client = tight.test_client()
    body = {"email": "nobody@example.id", "password": "salah-salah"}
    statuses = [
        client.post(
            "/v1/auth/login",
            json={**body, "email": f"n{n}@example.id"},
            environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n + 1:x}"},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]  # three addresses of one /64: one bucket
    # One account from many addresses: its own limit holds.
    statuses = [
        client.post(
            "/v1/auth/login",
            json={**body, "email": "Target@Example.id"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]
