"""The OpenAPI 3.1 document: flask-smorest's Api with problem+json errors and bearer auth."""

from __future__ import annotations

import http
import json
from pathlib import Path
from typing import Any

import flask_smorest
from flask import Flask
from flask_smorest.utils import prepare_response

from api.schemas.common import ProblemSchema

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

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_integer_format)

    def _register_responses(self) -> None:
        """Named responses for every status; the error ones are problem+json, and those the
        rate limiter sees carry its headers (a 429 also Retry-After)."""
        from api.http.blueprint import RATE_LIMIT_HEADERS

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


def spec_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of an app, as a plain dict, without flask-smorest's unused
    pagination component."""
    api: Api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    document: dict[str, Any] = api.spec.to_dict()
    schemas = document.get("components", {}).get("schemas", {})
    if "PaginationMetadata" in schemas and "PaginationMetadata" not in json.dumps(
        document["paths"]
    ):
        del schemas["PaginationMetadata"]
    return document


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
