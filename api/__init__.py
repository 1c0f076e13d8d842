"""Berdaya: the open API for the micro-businesses of Sekoper Cinta graduates."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, current_app, g, request, send_from_directory
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import Settings, load_settings
from api.errors import NotFound
from api.http.jsonbodies import OrjsonProvider
from api.storage import PRIVATE_PREFIXES

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Assemble the app from settings (environment, then ``config`` overrides)."""
    from api import catalogue, cli, jobs, listeners, openapi
    from api.db import make_engine, make_sessionmaker
    from api.http import compression, context, limits, problems
    from api.replica import make_router
    from api.resources import register_blueprints, share
    from api.security import Security
    from api.services import policies  # noqa: F401  (registers the ownership rules)
    from api.services.auth import LockoutPolicy
    from api.services.identity import make_tools as identity_tools
    from api.state import EXTENSION_KEY, AppState
    from api.storage import make_storage

    settings = load_settings(overrides=config)
    app = _App(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=settings.env == "testing",
        SEND_FILE_MAX_AGE_DEFAULT=86400,
        **openapi.flask_config(),
        **settings.extra,
    )
    _configure_logging(settings)
    if settings.trusted_proxy_hops:
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    sessionmaker = make_sessionmaker(engine)
    security = Security(settings)
    listeners.install()  # every SQLAlchemy session listener, once per process
    state = app.extensions[EXTENSION_KEY] = AppState(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        security=security,
        lockout=LockoutPolicy(
            max_failures=settings.login_max_failures,
            window=dt.timedelta(minutes=settings.login_failure_window_minutes),
        ),
        storage=make_storage(settings),
        tools=identity_tools(settings, security),
        replica=make_router(
            settings.database_replica_url,
            engine,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            max_lag_seconds=settings.replica_max_lag_seconds,
        ),
    )
    app.session_interface = _NoCookieSessions()
    api = openapi.Api(app)
    problems.register(app)
    compression.install(app)  # before the other after_request hooks: it runs after them
    register_blueprints(api)
    app.register_blueprint(share.bp)  # HTML pages, outside the JSON API and its spec
    app.teardown_appcontext(context.close_session)
    _serve_media(app, settings)
    app.before_request(_before_request)
    app.after_request(_after_request)
    limits.init(app, settings)  # after the request id is set up: a 429 carries one too
    jobs.init(app)
    # Last, after every other before_request hook (its early answer ends the preprocessing).
    catalogue.install(app, state)
    cli.register(app)
    return app


class _App(Flask):
    """Flask writing JSON with orjson, and remembering which functions are synchronous: Flask
    asks ``ensure_sync`` of every hook and view on every request, and
    ``inspect.iscoroutinefunction`` unwraps each one to answer (what it costs:
    bench/README.md, "Figures behind constants in the code")."""

    json_provider_class = OrjsonProvider  # responses encoded by orjson (api.http.jsonbodies)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._synchronous[func]
        except KeyError:
            pass
        except TypeError:  # not hashable: ask Flask each time
            return super().ensure_sync(func)
        sync = super().ensure_sync(func)
        if len(self._synchronous) < 4096:  # hooks and views are few; never grow without end
            self._synchronous[func] = sync
        return sync


class _NoCookieSessions(SessionInterface):
    """The API is stateless (bearer tokens, API keys): no request opens or signs a cookie
    session (Flask's default would, on every request)."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None  # Flask then uses a NullSession, which refuses to be written

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _serve_media(app: Flask, settings: Settings) -> None:
    """Serve locally stored photos; their keys never change, so they are cached for a year."""
    root = Path(settings.media_root).resolve()
    prefix = settings.media_url.rstrip("/")
    if settings.storage_backend != "local" or not prefix.startswith("/"):
        return  # an absolute URL: another server (object storage, a CDN) serves the files

    def media(key: str) -> Response:
        if key.startswith(PRIVATE_PREFIXES):
            raise NotFound()
        response = send_from_directory(root, key, max_age=31_536_000)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    app.add_url_rule(f"{prefix}/<path:key>", endpoint="media", view_func=media)


def _before_request() -> None:
    """Tag the request with an id, and refuse bodies that are neither JSON nor multipart."""
    from api.errors import NotFound, UnsupportedMediaType

    req = request._get_current_object()  # type: ignore[attr-defined]
    incoming = req.environ.get("HTTP_X_REQUEST_ID", "")
    g.request_id = (
        incoming
        if 0 < len(incoming) <= 64 and incoming.isascii() and incoming.isprintable()
        else secrets.token_hex(8)
    )
    if "\x00" in req.path:
        raise NotFound()
    view = current_app.view_functions.get(req.endpoint or "")
    limit = getattr(view, "max_body_bytes", None)
    if limit:
        req.max_content_length = limit
    # A request no route takes (an unknown path, a method the path does not have) gets its 404
    # or 405 from the routing, whatever its body: a form posted with PUT to a path that takes
    # forms by POST is a wrong method, not a wrong media type.
    routed = req.routing_exception is None
    if routed and req.method in ("POST", "PUT", "PATCH") and (req.content_length or 0) > 0:
        mimetype = req.mimetype or ""
        form = mimetype == "application/x-www-form-urlencoded" and getattr(view, "form", False)
        if not (req.is_json or mimetype == "multipart/form-data" or form):
            raise UnsupportedMediaType()


def _after_request(response: Response) -> Response:
    req = request._get_current_object()  # type: ignore[attr-defined]
    not_before = g.get("answer_not_before")
    if not_before is not None:  # see api.http.context.answer_no_sooner_than
        time.sleep(max(0.0, not_before - time.monotonic()))
    headers = response.headers
    # One pass over what the response has (werkzeug's get and setdefault raise and catch an
    # exception for each header that is absent, the usual case here).
    present = {name.lower() for name, _ in headers.items()}
    request_id = g.get("request_id", "")
    if "x-request-id" in present:
        headers["X-Request-ID"] = request_id
    else:
        headers.add("X-Request-ID", request_id)
    if "x-content-type-options" not in present:
        headers.add("X-Content-Type-Options", "nosniff")
    path = req.path
    if path.startswith("/v1/") or path in ("/health", "/ready"):
        # Answers differ by credential (a bearer token or an API key) and language; what a
        # credential fetched is for its holder only, never a shared cache.
        if "vary" in present:
            response.vary.update(("Authorization", "X-API-Key", "Accept-Language"))
        else:
            headers.add("Vary", "Authorization, X-API-Key, Accept-Language")
        if "cache-control" not in present:
            environ = req.environ
            signed_in = "HTTP_AUTHORIZATION" in environ or "HTTP_X_API_KEY" in environ
            headers.add("Cache-Control", "private, no-cache" if signed_in else "no-cache")
    return response
