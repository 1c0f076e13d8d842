"""Berdaya: the open API for the micro-businesses of Sekoper Cinta graduates."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, current_app, g, request, send_from_directory
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import Settings, load_settings

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Assemble the app from settings (environment, then ``config`` overrides)."""
    from api import cli, jobs, openapi
    from api.counters import ViewCounter
    from api.db import make_engine, make_sessionmaker
    from api.http import context, limits, problems
    from api.resources import register_blueprints, share
    from api.security import Security
    from api.services import policies  # noqa: F401  (registers the ownership rules)
    from api.services.auth import LockoutPolicy
    from api.services.catalogue_cache import make_cache
    from api.state import EXTENSION_KEY, AppState
    from api.storage import make_storage

    settings = load_settings(overrides=config)
    app = Flask(__name__)
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
    app.extensions[EXTENSION_KEY] = AppState(
        settings=settings,
        engine=engine,
        sessionmaker=make_sessionmaker(engine),
        security=Security(settings),
        lockout=LockoutPolicy(
            max_failures=settings.login_max_failures,
            window=dt.timedelta(minutes=settings.login_failure_window_minutes),
        ),
        storage=make_storage(settings),
        views=ViewCounter(),
        catalogue=make_cache(engine, settings.catalogue_cache_size),
    )
    app.session_interface = _NoCookieSessions()
    api = openapi.Api(app)
    problems.register(app)
    register_blueprints(api)
    app.register_blueprint(share.bp)  # HTML pages, outside the JSON API and its spec
    app.teardown_appcontext(context.close_session)
    app.teardown_request(_flush_views)
    _serve_media(app, settings)
    app.before_request(_before_request)
    app.after_request(_after_request)
    limits.init(app, settings)  # after the request id is set up: a 429 carries one too
    jobs.init(app)
    cli.register(app)
    return app


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
        response = send_from_directory(root, key, max_age=31_536_000)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    app.add_url_rule(f"{prefix}/<path:key>", endpoint="media", view_func=media)


def _flush_views(_error: BaseException | None = None) -> None:
    """After a response, add the buffered view counts to the database when they are due."""
    from api.state import get_state

    state = get_state(current_app)
    if state.views.due():
        try:
            state.views.flush(state.sessionmaker)
        except Exception:  # a statistic must never break a request
            logging.getLogger(__name__).warning("could not flush view counts", exc_info=True)


def _before_request() -> None:
    """Tag the request with an id, and refuse bodies that are neither JSON nor multipart."""
    from api.errors import NotFound, UnsupportedMediaType

    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = (
        incoming
        if 0 < len(incoming) <= 64 and incoming.isascii() and incoming.isprintable()
        else secrets.token_hex(8)
    )
    if "\x00" in request.path:
        raise NotFound()
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_body_bytes", None)
    if limit:
        request.max_content_length = limit
    if request.method in ("POST", "PUT", "PATCH") and (request.content_length or 0) > 0:
        mimetype = request.mimetype or ""
        form = mimetype == "application/x-www-form-urlencoded" and getattr(view, "form", False)
        if not (request.is_json or mimetype == "multipart/form-data" or form):
            raise UnsupportedMediaType()


def _after_request(response: Response) -> Response:
    headers = response.headers
    headers["X-Request-ID"] = g.get("request_id", "")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    path = request.path
    if path.startswith("/v1/") or path in ("/health", "/ready"):
        vary = headers.get("Vary")
        if vary is None:  # the usual case, without parsing a header set
            headers["Vary"] = "Authorization, Accept-Language"
        else:
            response.vary.update(("Authorization", "Accept-Language"))
        headers.setdefault(
            "Cache-Control",
            "private, no-cache" if request.headers.get("Authorization") else "no-cache",
        )
    return response
