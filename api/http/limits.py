"""Rate limits (Flask-Limiter) and CORS (flask-cors), configured from the settings.

Limits are counted per API key, per signed-in user (the access token's subject, read without a
database query) and per network address for everyone else; login and contact have stricter
limits of their own. Counters live in Redis in production (``RATE_LIMIT_STORAGE_URL``), so every
worker and every server shares them; the embedded default counts in memory. Responses carry
``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``; a refusal is a 429
problem with ``Retry-After``. CORS preflights and health probes are never counted.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import jwt
from flask import Flask, Response, g, request
from flask_cors import CORS
from flask_limiter import Limiter

from api.config import Settings

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


def caller_key() -> str:
    """``key:<hash>`` for an API key, ``user:<id>`` for a bearer token that decodes (neither
    is checked here: a forged one only buys its forger a bucket, and is refused by the view),
    else ``ip:<address>``."""
    if "rate_key" not in g:
        key = f"ip:{request.remote_addr or 'unknown'}"
        header = request.headers.get("Authorization", "")
        api_key = request.headers.get("X-API-Key")
        if api_key:
            key = "key:" + hashlib.sha256(api_key.strip().encode()).hexdigest()[:24]
        elif header[:7].lower() == "bearer ":
            try:
                claims = jwt.decode(header[7:].strip(), options={"verify_signature": False})
                if isinstance(claims.get("sub"), str):
                    key = f"user:{claims['sub']}"
            except jwt.PyJWTError:
                pass
        g.rate_key = key
    value: str = g.rate_key
    return value


def _settings() -> Settings:
    from flask import current_app

    from api.state import get_state

    return get_state(current_app).settings


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
    # A limiter that cannot reach Redis lets requests through rather than failing them.
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


def init(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage_url
    hooks: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    had = [list(funcs.get(None, [])) for funcs in hooks]
    # after_request hooks run in reverse order: this one after the limiter's, the next before.
    app.after_request(_keep_own_headers)
    limiter.init_app(app)
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


def limit(setting: str) -> Any:
    """A stricter limit for one view, read from the settings when the request comes."""

    def current() -> str:
        value: str = getattr(_settings(), setting)
        return value

    return limiter.limit(current)
