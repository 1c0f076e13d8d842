"""A flask-smorest Blueprint that gives every route the shared contract, composed of one
module per concern:

- ``api.http.parser``: how a request's arguments are parsed (``JSONParser``);
- ``api.http.unit_of_work``: one commit when the view succeeds, rollback otherwise, and every
  POST honouring ``Idempotency-Key``;
- ``api.http.access``: auth (a signed-in user, roles) and API key scopes;
- ``api.http.apidoc``: the operation's documentation (``operationId`` from the function name,
  its security, and its error responses);
- ``api.http.bodies``: bodies sent as they are (``Prepared``, ``Encoded``);
- ``api.catalogue.early_answer``: anonymous reads of public documents, answered before
  dispatch (``Blueprint.public_document``).

One function per operation keeps the operationIds unique and readable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import flask_smorest
from flask import Response, g, jsonify, request
from flask_smorest.utils import get_appcontext

from api.catalogue.cache import Entry
from api.catalogue.early_answer import PublicDocument
from api.http import access, compression, jsonbodies, problems, representation
from api.http.apidoc import berdaya_doc, operation_id, prepare_contract_doc
from api.http.bodies import Encoded, Prepared, encode_document
from api.http.parser import JSONParser
from api.http.representation import Shape
from api.http.unit_of_work import unit_of_work
from api.models import Role

_UNSET = object()


def _sparse(body: Encoded, shape: Shape | None, asked: representation.Asked | None) -> Encoded:
    """An encoded answer with only the fields asked for, and the ETag of that if it has one
    (a page's items are in the view asked for already: only their fields are picked)."""
    if shape is None or asked is None or asked.fields is None:
        return body
    sent, etag = encode_document(shape.pick(json.loads(body.body), asked.fields))
    return Encoded(sent, etag if body.etag is not None else None, public=body.public)


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
        self._prepare_doc_cbks.append(prepare_contract_doc)

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
        doc = berdaya_doc(view_func)
        doc["operation_id"] = operation_id(view_func.__name__)
        doc["idempotent"] = method == "POST" and not doc.get("no_idempotency", False)
        scope = doc.get("scope", _UNSET)
        if scope is _UNSET:
            verb = "read" if method in ("GET", "HEAD") else "write"
            scope = f"{self.scope_prefix}:{verb}" if self.scope_prefix else None
        doc["scope"] = scope
        if (doc.get("in_transaction") or doc.get("replica")) and method != "GET":
            raise TypeError(f"{view_func.__name__}: only a GET is marked so (others write)")
        # Every GET reads without a transaction unless it asks for one (in_transaction).
        read_only = method == "GET" and not doc.get("in_transaction", False)
        wrapped = access.require_scope(
            unit_of_work(
                view_func,
                idempotent=doc["idempotent"],
                read_only=read_only,
                replica=bool(doc.get("replica")),
                auth=doc.get("auth"),
            ),
            scope,
        )
        wrapped.has_views = bool(doc.get("views"))  # type: ignore[attr-defined]
        wrapped.read_only = read_only  # type: ignore[attr-defined]
        wrapped.replica = bool(doc.get("replica"))  # type: ignore[attr-defined]
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
        guard = access.require_user(*roles, optional=optional, assisted=assisted)

        def decorator(func: Any) -> Any:
            wrapper = guard(func)
            berdaya_doc(wrapper)["auth"] = {
                "optional": optional,
                "roles": [r.value for r in roles],
            }
            return wrapper

        return decorator

    def action(
        self,
        rule: str,
        *,
        response: Any,
        body: Any = None,
        body_required: bool = True,
        roles: tuple[Role, ...] = (),
    ) -> Callable[[Any], Any]:
        """Declare ``POST rule``: one step of a lifecycle, taking a small body (``body``, e.g. a
        reason) if any and answering the changed resource (``response``), 409 when the step is
        not possible now; signed-in callers only (with one of ``roles`` when given). The view's
        name is the operationId and its docstring the summary, as for every operation."""

        def decorator(func: Any) -> Any:
            decorated = self.alt_response(409, response="CONFLICT")(
                self.response(200, response)(func)
            )
            if body is not None:
                decorated = self.arguments(body, required=body_required)(decorated)
            return self.route(rule, methods=["POST"])(self.auth(*roles)(decorated))

        return decorator

    @staticmethod
    def scope(scope: str | None) -> Callable[[Any], Any]:
        """The scope an API key needs for this operation (None: no key may call it)."""

        def decorator(func: Any) -> Any:
            berdaya_doc(func)["scope"] = scope
            return func

        return decorator

    @staticmethod
    def public_document(
        read: Callable[[Mapping[str, Any]], Entry | None],
        served: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> Callable[[Any], Any]:
        """Anonymous callers of this GET are answered before dispatch
        (``serve_public_document``) with the public document ``read`` gives for the path's
        arguments; the view answers them with the same ``read``, and ``served`` is called for
        each one answered (a product counts a view)."""

        def decorator(func: Any) -> Any:
            func.public_document = PublicDocument(read, served)
            return func

        return decorator

    @staticmethod
    def max_body(limit: int) -> Callable[[Any], Any]:
        """Allow a larger body than MAX_BODY_BYTES on this route (uploads: their image work
        may answer 503 ``image_work_busy`` while a worker is busy with others)."""

        def decorator(func: Any) -> Any:
            func.max_body_bytes = limit
            berdaya_doc(func)["upload"] = True
            return func

        return decorator

    @staticmethod
    def from_replica(func: Any) -> Any:
        """This GET's anonymous callers may be answered from the replica (``api.replica``),
        when one is configured and current enough."""
        berdaya_doc(func)["replica"] = True
        return func

    @staticmethod
    def in_transaction(func: Any) -> Any:
        """This GET runs in a transaction committed at its end: it writes as it reads, or its
        statements share settings that last a transaction (``stats.roomy``). Every other GET
        only reads: its statements run without a transaction (no BEGIN and COMMIT round trips
        to the database), each seeing the latest committed data, and a write from one is
        refused (``api.db.refuse_writes``) rather than left outside a transaction (the events
        and the change log are written at commit)."""
        berdaya_doc(func)["in_transaction"] = True
        return func

    @staticmethod
    def no_idempotency(func: Any) -> Any:
        """This POST does not store its response (it returns secrets such as tokens)."""
        berdaya_doc(func)["no_idempotency"] = True
        return func

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's, with a schema class instantiated once: given a class, webargs
        makes an instance for every request (a deep copy of every field)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    def response(self, status_code: Any, schema: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's, and a view may return ``Prepared`` (with headers, or with another
        documented status) to skip the dump. A GET's 200 sends the view and fields the caller
        asked for (``api.http.representation``)."""
        if isinstance(schema, type):
            schema = schema()
        documented = super().response(status_code, schema, **kwargs)
        shape = Shape.of(schema) if int(status_code) == 200 else None

        def decorator(func: Any) -> Any:
            @wraps(func)
            def wrapper(*args: Any, **view_kwargs: Any) -> Any:
                asked = None
                if shape is not None and request.method in ("GET", "HEAD"):
                    asked = g.asked = shape.asked()
                result = func(*args, **view_kwargs)
                body, headers = result if isinstance(result, tuple) else (result, None)
                status = headers if isinstance(headers, int) else int(status_code)
                headers = None if isinstance(headers, int) else headers
                if isinstance(body, Encoded):
                    body = _sparse(body, shape, asked)
                    return self._encoded_response(body, status, headers)
                if shape is not None and asked is not None and shape.reshapes(body, asked):
                    data = body.data if isinstance(body, Prepared) else shape.schema.dump(body)
                    body = Prepared(shape.send(data, asked))
                    if asked.fields is not None:
                        # The ETag is that of what is sent, not one set from the whole.
                        get_appcontext().get("etag", {}).pop("etag", None)
                if not isinstance(body, Prepared):
                    return result
                get_appcontext()["result_dump"] = body.data  # what the ETag is computed from
                response = jsonify(body.data)
                response.status_code = status
                response.headers.update(headers or {})
                return response

            decorated = documented(wrapper)
            if shape is not None:
                doc = berdaya_doc(decorated)
                doc["sparse"] = True
                doc["views"] = shape.compact is not None
            return decorated

        return decorator

    def _encoded_response(
        self, body: Encoded, status_code: int, headers: dict[str, str] | None
    ) -> Response:
        if body.etag is not None and self._is_etag_enabled():
            # What set_etag records for @etag to send, without hashing the document again.
            get_appcontext().setdefault("etag", {})["etag"] = body.etag
            if request.method in ("GET", "HEAD") and body.etag in request.if_none_match:
                return problems.not_modified(body.etag)
        if body.public:
            compression.kept_compressed()
        response = Response(body.body, status=status_code, mimetype="application/json")
        response.headers.update(headers or {})
        return response

    # -- flask-smorest hook ----------------------------------------------------------------------

    def _check_not_modified(self, etag: str) -> None:
        g.not_modified_etag = etag  # so the 304 carries the ETag too
        super()._check_not_modified(etag)

    @staticmethod
    def _generate_etag(etag_data: Any, extra_data: Any = None) -> str:
        """As flask-smorest's, through orjson: the same hash for a body sent from the cache
        (``bodies.encode_document``) and for the data it checks ``If-Match`` against."""
        return jsonbodies.etag((etag_data, extra_data) if extra_data else etag_data)

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any) -> Any:
        def decorator(func: Any) -> Any:
            berdaya_doc(func)["path_has_id"] = "<" in rule or "<" in (self.url_prefix or "")
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, func, parameters=parameters, tags=tags, **options)
            return func

        return decorator
