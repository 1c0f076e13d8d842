"""A flask-smorest Blueprint that gives every route the shared contract.

Registering a view function here wraps it in the unit of work (one commit when the view
succeeds, rollback otherwise), makes every POST honour ``Idempotency-Key``, and documents the
operation: ``operationId`` from the function name, its security, and its error responses.
One function per operation keeps the operationIds unique and readable.
"""

from __future__ import annotations

import http
import json
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from functools import wraps
from typing import Any

import flask_smorest
from flask import Response, current_app, g, jsonify, make_response, request
from flask_smorest.utils import get_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError
from webargs.flaskparser import FlaskParser

from api.catalogue.early_answer import PublicDocument
from api.errors import DomainError, Forbidden, Unauthorized
from api.http import idempotency, problems
from api.http.context import API_KEY_HEADER, current_actor, db
from api.models import Role
from api.services import audit
from api.services.authz import Actor

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same request replays the first response "
        "(with `Idempotent-Replayed: true`) and creates nothing new; with a different request "
        "it is a 422; while the first is still running it is a 409. Keys are scoped to the "
        "caller and kept 7 days. 1-255 visible ASCII characters; a UUID is a good choice."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
}


# Health probes are not counted (api.http.limits.UNLIMITED_PATHS).
UNLIMITED_OPERATIONS = ("getHealth", "getReadiness")
RATE_LIMIT_HEADERS = {
    name: {"$ref": f"#/components/headers/{name}"}
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _berdaya_doc(func: Any) -> dict[str, Any]:
    func._apidoc = deepcopy(getattr(func, "_apidoc", {}))
    doc: dict[str, Any] = func._apidoc.setdefault("berdaya", {})
    return doc


class JSONParser(FlaskParser):
    """webargs' parser, with too-deeply nested JSON treated as malformed (400), not a crash,
    and multipart bodies held to their schema like JSON ones: a part the schema does not
    name is an unknown field (422), and so is text where a file belongs."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "files": None}

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "<request body>", 0) from None

    def load_files(self, req: Any, schema: Any) -> Any:
        if req.form:
            raise ValidationError(
                {
                    name: [NOT_A_FILE if name in schema.fields else UNKNOWN_FIELD]
                    for name in req.form
                }
            )
        return super().load_files(req, schema)


NOT_A_FILE = "Not a file."
UNKNOWN_FIELD = "Unknown field."


_UNSET = object()


@dataclass(frozen=True)
class Prepared:
    """A body already in the shape the response schema gives (read without the ORM, see
    ``api.catalogue.reads``): it is sent as it is, not dumped again."""

    data: Any


@dataclass(frozen=True)
class Encoded:
    """A body already encoded (a cached public document, ``api.catalogue.cache``), with its ETag
    when the operation has one: sent as it is, and a 304 when ``If-None-Match`` names it."""

    body: bytes
    etag: str | None = None


def encode_document(document: Any) -> tuple[bytes, str]:
    """A document as a response carries it (compact JSON) and the ETag ``@etag`` gives it."""
    body = current_app.json.dumps(document, separators=(",", ":")).encode()
    return body, Blueprint._generate_etag(document)


def encoded_page(items: list[bytes], next_cursor: str | None) -> Encoded:
    """A page of encoded items, as ``{"items", "next_cursor"}``, without decoding them."""
    cursor = current_app.json.dumps(next_cursor).encode()
    return Encoded(b'{"items":[' + b",".join(items) + b'],"next_cursor":' + cursor + b"}")


class Blueprint(flask_smorest.Blueprint):
    """Blueprint with the unit of work, idempotency, auth, API key scopes and complete
    operation docs.

    ``scope="catalogue"`` lets API keys call the blueprint's reads with ``catalogue:read`` and
    its writes with ``catalogue:write``; without it, keys are refused (403). ``Blueprint.scope``
    sets another scope, or none, on one operation.
    """

    ARGUMENTS_PARSER = JSONParser()

    def __init__(self, *args: Any, scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope_prefix = scope
        self._prepare_doc_cbks.append(self._prepare_contract_doc)

    # -- registration -------------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        *,
        parameters: list[Any] | None = None,
        tags: list[str] | None = None,
        **options: Any,
    ) -> None:
        if view_func is None or isinstance(view_func, type):
            raise TypeError("register one view function per operation")
        methods = options.setdefault("methods", ["GET"])
        if len(methods) != 1:
            raise TypeError(f"{view_func.__name__}: one HTTP method per view function")
        method = methods[0].upper()
        doc = _berdaya_doc(view_func)
        doc["operation_id"] = _camel(view_func.__name__)
        doc["idempotent"] = method == "POST" and not doc.get("no_idempotency", False)
        scope = doc.get("scope", _UNSET)
        if scope is _UNSET:
            verb = "read" if method in ("GET", "HEAD") else "write"
            scope = f"{self.scope_prefix}:{verb}" if self.scope_prefix else None
        doc["scope"] = scope
        if doc.get("read_only") and method != "GET":
            raise TypeError(f"{view_func.__name__}: only a GET can be read_only")
        wrapped = _require_scope(
            _unit_of_work(
                view_func,
                idempotent=doc["idempotent"],
                read_only=doc.get("read_only", False),
                auth=doc.get("auth"),
            ),
            scope,
        )
        super().add_url_rule(
            rule,
            endpoint,
            wrapped,
            provide_automatic_options,
            parameters=parameters,
            tags=tags,
            **options,
        )

    # -- decorators ---------------------------------------------------------------------------

    def auth(
        self, *roles: Role, optional: bool = False, assisted: bool = True
    ) -> Callable[[Any], Any]:
        """Require a signed-in user, with one of ``roles`` when given (401, then 403).
        ``assisted=False``: not for a facilitator acting for someone (X-On-Behalf-Of)."""

        def decorator(func: Any) -> Any:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                actor = _authorized(optional, [r.value for r in roles])
                if not assisted and actor.assisted_by is not None:
                    raise Forbidden("not_while_assisting")
                return func(*args, **kwargs)

            _berdaya_doc(wrapper)["auth"] = {
                "optional": optional,
                "roles": [r.value for r in roles],
            }
            return wrapper

        return decorator

    def action(
        self,
        rule: str,
        *,
        name: str,
        summary: str,
        handler: Callable[..., Any],
        body: Any,
        response: Any,
        roles: tuple[Role, ...] = (),
        body_required: bool = True,
    ) -> None:
        """Register ``POST rule``: one step of a lifecycle, taking a small body (a reason) and
        answering the changed resource, 409 when the step is not possible now."""

        def view(data: dict[str, Any], **path: Any) -> Any:
            return handler(data, **path)

        view.__name__, view.__doc__ = name, summary
        decorated = self.alt_response(409, response="CONFLICT")(self.response(200, response)(view))
        decorated = self.arguments(body, required=body_required)(decorated)
        self.route(rule, methods=["POST"])(self.auth(*roles)(decorated))

    @staticmethod
    def scope(scope: str | None) -> Callable[[Any], Any]:
        """The scope an API key needs for this operation (None: no key may call it)."""

        def decorator(func: Any) -> Any:
            _berdaya_doc(func)["scope"] = scope
            return func

        return decorator

    @staticmethod
    def public_document(
        key: Callable[[Mapping[str, Any]], str],
        served: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> Callable[[Any], Any]:
        """Anonymous callers of this GET may be answered from the catalogue cache before
        dispatch (``serve_public_document``); the view must answer them the same."""

        def decorator(func: Any) -> Any:
            func.public_document = PublicDocument(key, served)
            return func

        return decorator

    @staticmethod
    def max_body(limit: int) -> Callable[[Any], Any]:
        """Allow a larger body than MAX_BODY_BYTES on this route (uploads: their image work
        may answer 503 ``image_work_busy`` while a worker is busy with others)."""

        def decorator(func: Any) -> Any:
            func.max_body_bytes = limit
            _berdaya_doc(func)["upload"] = True
            return func

        return decorator

    @staticmethod
    def read_only(func: Any) -> Any:
        """This GET only reads: its statements run without a transaction (no BEGIN and COMMIT
        round trips to the database), each seeing the latest committed data."""
        _berdaya_doc(func)["read_only"] = True
        return func

    @staticmethod
    def no_idempotency(func: Any) -> Any:
        """This POST does not store its response (it returns secrets such as tokens)."""
        _berdaya_doc(func)["no_idempotency"] = True
        return func

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's, with a schema class instantiated once: given a class, webargs
        makes an instance for every request (a deep copy of every field)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    def response(self, status_code: Any, schema: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's, and a view may return ``Prepared`` (with headers) to skip the dump."""
        documented = super().response(status_code, schema, **kwargs)

        def decorator(func: Any) -> Any:
            @wraps(func)
            def wrapper(*args: Any, **view_kwargs: Any) -> Any:
                result = func(*args, **view_kwargs)
                body, headers = result if isinstance(result, tuple) else (result, None)
                if isinstance(body, Encoded):
                    return self._encoded_response(body, int(status_code), headers)
                if not isinstance(body, Prepared):
                    return result
                get_appcontext()["result_dump"] = body.data  # what the ETag is computed from
                response = jsonify(body.data)
                response.status_code = int(status_code)
                response.headers.update(headers or {})
                return response

            return documented(wrapper)

        return decorator

    def _encoded_response(
        self, body: Encoded, status_code: int, headers: dict[str, str] | None
    ) -> Response:
        if body.etag is not None and self._is_etag_enabled():
            # What set_etag records for @etag to send, without hashing the document again.
            get_appcontext().setdefault("etag", {})["etag"] = body.etag
            if request.method in ("GET", "HEAD") and body.etag in request.if_none_match:
                return problems.not_modified(body.etag)
        response = Response(body.body, status=status_code, mimetype="application/json")
        response.headers.update(headers or {})
        return response

    # -- flask-smorest hooks --------------------------------------------------------------------

    def _check_not_modified(self, etag: str) -> None:
        g.not_modified_etag = etag  # so the 304 carries the ETag too
        super()._check_not_modified(etag)

    @staticmethod
    def _prepare_contract_doc(
        doc: dict[str, Any], doc_info: dict[str, Any], *, method: str, **_kwargs: Any
    ) -> dict[str, Any]:
        info = doc_info.get("berdaya", {})
        doc["operationId"] = info["operation_id"]
        responses = doc.setdefault("responses", {})

        def add(status: int) -> None:
            if status not in responses and str(status) not in responses:
                responses[status] = http.HTTPStatus(status).name

        auth = info.get("auth")
        scope = info.get("scope")
        # The scope is in the description and in x-api-key-scope (scopes in a security
        # requirement are for OAuth flows only, as most tools read the specification).
        key: list[dict[str, list[str]]] = [{"apiKeyAuth": []}] if scope else []
        if auth is None:
            doc["security"] = [{}, *key] if key else []
        elif auth["optional"]:
            # Anonymous is one alternative; a token (sent by Swagger UI and generated clients
            # only where it is declared) may show the caller more.
            doc["security"] = [{}, {"bearerAuth": []}, *key]
            doc["description"] = (
                doc.get("description", "")
                + "\n\nSign-in optional: with a token the answer may show you more (your own "
                "drafts, `private` parts, figures)."
            ).strip()
            add(401)
        else:
            doc["security"] = [{"bearerAuth": []}, *key]
            add(401)
            add(403)
            if auth["roles"]:
                roles = ", ".join(auth["roles"])
                doc["description"] = (doc.get("description", "") + f"\n\nRoles: {roles}.").strip()
        if key:
            add(401)
            add(403)
            doc["description"] = (
                doc.get("description", "") + f"\n\nAPI keys: scope `{scope}`."
            ).strip()
        doc["x-api-key-scope"] = scope
        add(500)
        if info["operation_id"] not in UNLIMITED_OPERATIONS:
            add(429)
            for code, response in responses.items():
                if isinstance(response, dict) and str(code)[0] in "24":
                    response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
        if info.get("path_has_id"):
            add(404)
        if "requestBody" in doc:
            add(400)
            add(413)
            add(415)
        if info.get("upload"):
            add(503)
        if info.get("idempotent"):
            doc.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            add(409)
            add(422)
        return doc

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any) -> Any:
        def decorator(func: Any) -> Any:
            _berdaya_doc(func)["path_has_id"] = "<" in rule or "<" in (self.url_prefix or "")
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, func, parameters=parameters, tags=tags, **options)
            return func

        return decorator


def _require_scope(view: Callable[..., Any], scope: str | None) -> Callable[..., Any]:
    """An API key may call the operation only if it holds its scope."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if API_KEY_HEADER in request.headers:
            actor = current_actor()
            if scope is None or not actor.has_scope(scope):
                raise Forbidden(
                    "insufficient_scope", params={"scope": scope or "not open to API keys"}
                )
        return view(*args, **kwargs)

    return wrapper


def _authorized(optional: bool, roles: list[str]) -> Actor:
    """The caller, if she may call an operation for ``roles`` (any when empty): 401, then 403."""
    actor = current_actor()
    if not optional and not actor.is_authenticated:
        raise Unauthorized()
    if roles and actor.role not in roles:
        raise Forbidden("role_not_allowed", params={"roles": ", ".join(roles)})
    return actor


def _unit_of_work(
    view: Callable[..., Any],
    *,
    idempotent: bool,
    read_only: bool = False,
    auth: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """Run the view; commit once if it succeeded, roll back if not. A GET whose connection
    turns out dead (the database restarted since it was last used) is run again once, on a
    fresh connection: reading twice is harmless, and the user sees no error. An
    Idempotency-Key is looked at only once the caller may call the operation (401 and 403
    come first, as for every other check)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if read_only:
            g.read_only = True
        if request.method != "GET":
            return run(*args, **kwargs)
        try:
            return run(*args, **kwargs)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            session = g.pop("db_session", None)
            if session is not None:
                session.close()
            return run(*args, **kwargs)

    def run(*args: Any, **kwargs: Any) -> Any:
        claim = None
        if idempotent:
            if auth is not None and request.headers.get(idempotency.HEADER) is not None:
                _authorized(auth["optional"], auth["roles"])
            begun = idempotency.begin()
            if isinstance(begun, Response):
                return begun
            claim = begun
        try:
            response = make_response(current_app.ensure_sync(view)(*args, **kwargs))
            if response.status_code < 400:
                _audit_assisted(view.__name__, kwargs)
                if claim is not None:
                    idempotency.complete(claim, response)
                if "db_session" in g and not _autocommitted():
                    db().commit()
            elif claim is not None:
                if "db_session" in g:
                    db().rollback()
                idempotency.release(claim)
            return response
        except BaseException as error:
            if "db_session" in g:
                if isinstance(error, DomainError) and error.persist:
                    db().commit()
                else:
                    db().rollback()
            if claim is not None:
                idempotency.release(claim)
            raise

    return wrapper


def _autocommitted() -> bool:
    """Each statement of the request's session committed itself (a read_only view's, see
    ``context.db``): nothing is left to commit, and committing would cost a round of
    SQLAlchemy. A session opened earlier (an API key's, by the scope check) is not."""
    return bool(g.get("db_autocommit"))


def _audit_assisted(operation: str, view_args: dict[str, Any]) -> None:
    """A change made by a facilitator for an alumna is audited with both identities, whatever
    the operation (reads are not); once, if its events did not audit it already."""
    if request.method in ("GET", "HEAD", "OPTIONS") or "actor" not in g:
        return
    if "db_session" in g and db().info.get("audited"):
        return
    actor = g.actor
    if actor.assisted_by is None:
        return
    ids = [str(v) for v in view_args.values() if isinstance(v, str)]
    audit.write(
        db(),
        actor=actor,
        action=_camel(operation),
        subject_type="request",
        subject_id=(ids[-1] if ids else "")[:40],
        data={"method": request.method, "path": request.path[:300]},
    )
