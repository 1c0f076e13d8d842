"""The OpenAPI 3.1 document: flask-smorest's Api with problem+json errors and bearer auth."""

from __future__ import annotations

import http
import json
import re
from pathlib import Path
from typing import Any

import flask_smorest
from flask import Flask, current_app
from flask_smorest.utils import prepare_response

from api.http.representation import FIELDS, FIELDS_PARAMETER, VIEW, VIEW_PARAMETER
from api.schemas.common import Either, ProblemSchema

DESCRIPTION = """\
Berdaya is the open API behind a marketplace for the micro-businesses of the graduates of
Sekoper Cinta, West Java's women's school: a catalogue of their businesses and products,
mentoring by universities, CSR sponsorship with impact reports, and follow-up of whether the
businesses live on after the program.

**Conventions** (every endpoint keeps them):

- JSON in snake_case; timestamps RFC 3339 in UTC with `Z`; money as whole rupiah in `*_idr`.
- Ids are opaque prefixed strings (`usr_...`, `org_...`).
- Errors are RFC 9457 `application/problem+json` with a stable `code`, and `errors` by field
  for validation problems. `Accept-Language: id` or `en` picks the language of their texts.
- Lists: `limit` (1-100, default 20) and an opaque `cursor`; the body is
  `{"items": [...], "next_cursor": ...}` and a `Link: <...>; rel="next"` header is sent.
- Single resources carry an `ETag`; `If-None-Match` gives 304. Updates need `If-Match`
  (428 without it, 412 when stale).
- Every POST accepts `Idempotency-Key` for safe retries (see the parameter's description).
- `Authorization: Bearer <access token>` from `POST /v1/auth/login`. 401 means "who are
  you?", 403 "you may not"; what you may not see is a 404.
- Apps use `X-API-Key: bdk_...` instead: an organisation's key, limited to its scopes (each
  operation names the scope it needs; `insufficient_scope` 403 otherwise).
- Rate limits: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` on every
  response; a 429 carries `Retry-After`.
- Changes are events: follow `GET /v1/events?after=` or subscribe a webhook (`/v1/webhooks`).
- Request bodies are limited to 1 MiB by default (413 beyond).
"""

PROBLEM_CONTENT_TYPE = "application/problem+json"
# One entity tag (RFC 9110 8.8.3), strong or weak, or "*".
ETAG_PATTERN = r'^(\*|(W/)?"[!#-~]{0,190}")$'


def flask_config() -> dict[str, Any]:
    """flask-smorest settings: spec at /v1/openapi.json, Swagger UI at /docs, ReDoc at /redoc."""
    from api import __version__

    return {
        "API_TITLE": "Berdaya API",
        "API_VERSION": __version__,
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": True, "tryItOutEnabled": True},
        "OPENAPI_REDOC_PATH": "redoc",
        "OPENAPI_REDOC_URL": "/static/vendor/redoc/redoc.standalone.js",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": DESCRIPTION,
                "license": {"name": "MIT", "identifier": "MIT"},
                "contact": {
                    "name": "Berdaya maintainers",
                    "url": "https://github.com/berdaya-id/berdaya/issues",
                },
            },
            "servers": [
                {
                    "url": "/",
                    "description": "Production, local or staging: whichever serves this file.",
                    "x-internal": False,
                }
            ],
            "components": {
                "headers": {
                    "X-RateLimit-Limit": {
                        "description": "Requests allowed in the current window.",
                        "schema": {"type": "integer", "format": "int32", "minimum": 0},
                    },
                    "X-RateLimit-Remaining": {
                        "description": "Requests left in the current window.",
                        "schema": {"type": "integer", "format": "int32", "minimum": 0},
                    },
                    "X-RateLimit-Reset": {
                        "description": "When the window resets (Unix seconds).",
                        "schema": {"type": "integer", "format": "int64", "minimum": 0},
                    },
                    "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {"type": "integer", "format": "int32", "minimum": 0},
                    },
                },
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": (
                            "An access token from `POST /v1/auth/login`, valid 15 minutes. "
                            "Issued and checked as RFC8725 (JWT Best Current Practices) "
                            "advises: one algorithm (HS256) fixed on both sides, `exp`, `iat`, "
                            "`iss` and `aud` required and verified, revocable by session."
                        ),
                    },
                    "apiKeyAuth": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "X-API-Key",
                        "description": (
                            "An organisation's key for an app (`bdk_...`), made at "
                            "`POST /v1/organizations/{organization_id}/api-keys`. It acts as "
                            "the member who made it, for the operations its scopes allow; each "
                            "operation names the scope it needs."
                        ),
                    },
                },
            },
        },
    }


class Api(flask_smorest.Api):
    """flask-smorest's Api whose documented errors are problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Our handlers (api.http.problems) are installed by the app factory instead."""

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        from api.http.converters import IdConverter, id_schema

        app.url_map.converters["id"] = IdConverter
        super().init_app(app, *args, **kwargs)
        self.register_converter(IdConverter, id_schema)

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_integer_format)
        self.ma_plugin.converter.add_attribute_function(_one_of)
        self.spec.components.parameter(FIELDS, "query", FIELDS_PARAMETER)
        self.spec.components.parameter(VIEW, "query", VIEW_PARAMETER)

    def document(self) -> dict[str, Any]:
        """The document as served and committed: flask-smorest's, without its unused
        pagination component, with links from creations to their resources."""
        document: dict[str, Any] = self.spec.to_dict()
        schemas = document.get("components", {}).get("schemas", {})
        if "PaginationMetadata" in schemas and "PaginationMetadata" not in json.dumps(
            document["paths"]
        ):
            del schemas["PaginationMetadata"]
        share_parameters(document)
        add_links(document)
        return document

    def _openapi_json(self) -> Any:
        """Serve the same document as the committed one."""
        return current_app.response_class(
            json.dumps(self.document(), indent=2, ensure_ascii=False),
            mimetype="application/json",
        )

    def _register_etag_headers(self) -> None:
        """flask-smorest's ETag parameters, saying what an entity tag looks like (an empty
        If-Match is a missing one: 428). If-None-Match stays free: one that is not ours only
        means the full answer."""
        tag = {"type": "string", "pattern": ETAG_PATTERN, "maxLength": 200}
        self.spec.components.parameter(
            "IF_NONE_MATCH",
            "header",
            {
                "name": "If-None-Match",
                "in": "header",
                "description": "The ETag you hold: a 304 without a body if it is current.",
                "schema": {"type": "string"},
            },
            lazy=True,
        )
        self.spec.components.parameter(
            "IF_MATCH",
            "header",
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "description": "The ETag you last read: a 412 if it is stale, a 428 without it.",
                "schema": tag,
            },
            lazy=True,
        )
        self.spec.components.header(
            "ETAG", {"description": "Tag for the returned entry", "schema": tag}, lazy=True
        )

    def _register_responses(self) -> None:
        """Named responses for every status; the error ones are problem+json, and those the
        rate limiter sees carry its headers (a 429 also Retry-After)."""
        from api.http.apidoc import RATE_LIMIT_HEADERS

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            if 400 <= status < 500:
                response["headers"] = dict(RATE_LIMIT_HEADERS)
            if status == 429:
                response["headers"]["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Any other error.", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def _integer_format(_converter: Any, field: Any, ret: dict[str, Any], **_kwargs: Any) -> Any:
    """Integers are 64-bit (rupiah amounts, sequence numbers): say so, for client generators."""
    from marshmallow import fields

    if isinstance(field, fields.Integer) and "format" not in ret:
        return {"format": "int64"}
    return {}


def _one_of(converter: Any, field: Any, ret: dict[str, Any], **_kwargs: Any) -> Any:
    """``Either``: one of its schemas, each by reference (registered as a nested one is)."""
    if isinstance(field, Either):
        return {"oneOf": [converter.resolve_nested_schema(s) for s in field.schemas]}
    return {}


def spec_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of an app, as a plain dict, without flask-smorest's unused
    pagination component, with links from each creation to what can be done with the new
    resource."""
    api: Api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return api.document()


METHODS = ("get", "put", "post", "delete", "patch")
# Query parameters defined once in code (a shared schema) are defined once in the document too.
SHARED_QUERY_PARAMETERS = {"updated_since": "UPDATED_SINCE"}


def share_parameters(document: dict[str, Any]) -> None:
    """Replace the operations' own copies of a shared query parameter by a reference to it."""
    shared = document.setdefault("components", {}).setdefault("parameters", {})
    for item in document["paths"].values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for i, parameter in enumerate(operation.get("parameters", [])):
                name = SHARED_QUERY_PARAMETERS.get(parameter.get("name", ""))
                if name and parameter.get("in") == "query":
                    shared.setdefault(name, parameter)
                    operation["parameters"][i] = {"$ref": f"#/components/parameters/{name}"}


_PARAMETER = re.compile(r"\{([^}]+)\}")
Operation = tuple[str, str, dict[str, Any]]


def add_links(document: dict[str, Any]) -> None:
    """Links for clients and stateful testing: from every creation (a 201 with a body) to the
    operations on the resource it made, and from every read with an ETag to the changes that
    need it as If-Match."""
    paths: dict[str, dict[str, Any]] = document["paths"]
    operations = [
        (path, method, operation)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in METHODS
    ]
    read_at: dict[str, str] = {}
    for path, method, operation in operations:
        schema = _json_schema_ref(operation["responses"].get("200"))
        if method == "get" and path.endswith("}") and schema:
            read_at.setdefault(schema, path)
    for path, method, operation in operations:
        created = operation["responses"].get("201")
        if method == "post" and _json_schema_ref(created):
            _link_creation(document, operations, read_at, path, created)
        read = operation["responses"].get("200")
        if method == "get" and _has_etag(read):
            _link_changes(document, path, read)


def _link_creation(
    document: dict[str, Any],
    operations: list[Operation],
    read_at: dict[str, str],
    path: str,
    response: dict[str, Any],
) -> None:
    """The made resource is at the item path under the creation's (``POST /v1/businesses``:
    ``/v1/businesses/{business_id}``) or where a GET answers the same schema (``POST
    .../products``: ``/v1/products/{product_id}``); every operation there or below is linked,
    its parameter filled from the answer's ``id`` (or the field named like the parameter),
    the parameters it shares with the creation from its path, and an update's If-Match from
    the answer's ETag."""
    schema = _json_schema_ref(response) or ""
    properties = document["components"]["schemas"].get(schema, {}).get("properties", {})
    items = {
        path + "/{" + other[len(path) + 2 :].split("}", 1)[0] + "}"
        for other in document["paths"]
        if other.startswith(path + "/{")
    }
    if schema in read_at:
        items.add(read_at[schema])
    links = {}
    for item in sorted(items):
        parameter = _PARAMETER.findall(item)[-1]
        field = parameter if parameter in properties else "id"
        if field not in properties:
            continue
        for target_path, _method, target in operations:
            if target_path != item and not target_path.startswith(item + "/"):
                continue
            values = {parameter: f"$response.body#/{field}"}
            values |= {
                name: f"$request.path.{name}"
                for name in _PARAMETER.findall(target_path)
                if name != parameter and name in _PARAMETER.findall(path)
            }
            if target_path == item and _has_etag(response) and _takes_if_match(document, target):
                values["If-Match"] = "$response.header.ETag"
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": values,
                "description": f"`{parameter}` is the `{field}` of the {schema} just made.",
            }
    if links:
        response["links"] = links


def _link_changes(document: dict[str, Any], path: str, response: dict[str, Any]) -> None:
    """A read with an ETag links to the changes of the same resource that need If-Match."""
    links = {
        change["operationId"]: {
            "operationId": change["operationId"],
            "parameters": {
                **{name: f"$request.path.{name}" for name in _PARAMETER.findall(path)},
                "If-Match": "$response.header.ETag",
            },
            "description": "The same resource, with the ETag just read.",
        }
        for method, change in document["paths"][path].items()
        if method in ("patch", "put", "delete") and _takes_if_match(document, change)
    }
    if links:
        response["links"] = links


def _has_etag(response: Any) -> bool:
    return isinstance(response, dict) and "ETag" in response.get("headers", {})


def _takes_if_match(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            name = parameter["$ref"].rsplit("/", 1)[1]
            parameter = document["components"]["parameters"][name]
        if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
            return True
    return False


def _json_schema_ref(response: Any) -> str | None:
    """The name of the component schema a response's JSON body refers to, if any."""
    if not isinstance(response, dict):
        return None
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def spec_json(app: Flask) -> str:
    """The document as committed in openapi/openapi.json: stable key order, final newline."""
    return json.dumps(spec_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_spec(app: Flask, path: Path) -> bool:
    """Write the document; True when the file changed."""
    text = spec_json(app)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
