"""RFC 9457 problem+json for every error, the framework's own included."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from api.errors import DomainError
from api.http.context import language
from api.i18n import problem_text, translate_field_errors

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)

# Stable codes for the framework's own errors.
HTTP_CODES = {
    400: "bad_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    431: "header_fields_too_large",
    500: "internal_error",
    503: "service_unavailable",
}


def problem(
    status: int,
    code: str,
    *,
    params: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """Build a problem response in the caller's language."""
    lang = language(resolve=status < 500)
    body = problem_body(status, code, params=params, errors=errors, extra=extra)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    response.headers["Content-Language"] = lang
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_body(
    status: int,
    code: str,
    *,
    params: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A problem's body in the caller's language (also one item's problem inside a body)."""
    lang = language(resolve=status < 500)
    title, detail = problem_text(code, lang, params)
    body: dict[str, Any] = {
        "type": f"urn:berdaya:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = translate_field_errors(field_errors(errors), lang)
    if extra:
        body.update(extra)
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    return body


def error_body(error: DomainError) -> dict[str, Any]:
    """A domain error's problem body, without a response around it."""
    return problem_body(
        error.status, error.code, params=error.params, errors=error.errors, extra=error.extra
    )


def handle_domain_error(error: DomainError) -> Response:
    if error.status == 429:
        g.domain_limit_headers = dict(error.headers)  # kept over the limiter's (api.http.limits)
    return problem(
        error.status,
        error.code,
        params=error.params,
        errors=error.errors,
        headers=error.headers,
        extra=error.extra,
    )


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug, webargs and flask-smorest errors (404, 405, 413, 422, 428, ...)."""
    status = error.code or 500
    if status == 304:
        return not_modified()
    if status >= 500:
        return handle_unexpected(error)
    code = HTTP_CODES.get(status, "bad_request")
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    data = getattr(error, "data", None) or {}
    errors = None
    params: dict[str, Any] = {}
    messages = data.get("messages")
    if status == 400 and messages and "json" in messages:
        code = "malformed_json"
    elif messages:
        errors = flatten_locations(messages)
    if status == 413:
        params["limit"] = request.max_content_length
    headers.update(data.get("headers") or {})
    return problem(status, code, params=params, errors=errors, headers=headers)


def flatten_locations(messages: Mapping[str, Any]) -> dict[str, Any]:
    """webargs keys errors by location ({"json": {...}}); clients want them by field."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, Mapping):
            for field, errs in fields.items():
                flat[field if field not in flat else f"{location}.{field}"] = errs
        else:
            flat[location] = fields
    return flat


def field_errors(errors: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """One shape for field errors: a path (``licences.0.kind``, ``types.1``) to a list of
    messages, however deeply marshmallow nested them (objects, lists keyed by index). An
    object's own ``_schema`` errors belong to its path (``_schema`` at the top)."""
    flat: dict[str, list[str]] = {}

    def add(path: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                key = str(key)
                add(path if key == "_schema" and path else f"{path}.{key}" if path else key, inner)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(path, item)
        else:
            flat.setdefault(path or "_schema", []).append(str(value))

    add(prefix, errors)
    return flat


def not_modified(etag: str | None = None) -> Response:
    """A 304 with the ETag the client holds (``g.not_modified_etag`` when raised as
    flask-smorest's NotModified)."""
    response = Response(status=304)
    etag = etag or g.get("not_modified_etag")
    if etag:
        response.set_etag(etag)
    return response


def handle_integrity_error(error: IntegrityError) -> Response:
    """A constraint refused the write (usually a race two requests ran): 409."""
    log.info("integrity error turned into 409: %s", error.orig)
    return problem(409, "conflict")


def handle_stale_data(_error: StaleDataError) -> Response:
    """Another request updated the row first (optimistic locking): 412."""
    return problem(412, "precondition_failed")


def handle_database_unavailable(error: Exception) -> Response:
    """The database is down or the pool is exhausted: 503, quickly, with Retry-After."""
    log.warning("database unavailable: %s", error)
    return problem(503, "service_unavailable", headers={"Retry-After": "5"})


def handle_unexpected(error: BaseException) -> Response:
    """Anything else: log it with the request id; show no internals."""
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return problem(500, "internal_error")


def handle_dbapi_error(error: DBAPIError) -> Response:
    if error.connection_invalidated or _is_connection_error(error):
        return handle_database_unavailable(error)
    return handle_unexpected(error)


def _is_connection_error(error: DBAPIError) -> bool:
    """Down, unreachable, or (SQLite) the write lock not free within the busy timeout."""
    name = type(error.orig).__name__ if error.orig is not None else ""
    return name in {"OperationalError", "InterfaceError"}


def handle_data_error(error: DataError) -> Response:
    """A value the database cannot store (a backstop: schemas should refuse it first)."""
    log.warning("data error turned into 400: %s", error.orig)
    return problem(400, "bad_request")


def register(app: Flask) -> None:
    """Install the handlers; every error leaves as problem+json."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(DBAPIError, handle_dbapi_error)
    app.register_error_handler(Exception, handle_unexpected)
