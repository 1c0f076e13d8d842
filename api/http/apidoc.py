"""Documentation enrichment: what the Blueprint records about each operation (in its
``_apidoc["berdaya"]``) and how it completes the operation's OpenAPI entry from it: the
``operationId`` from the view function's name, its security and API key scope, the
``Idempotency-Key`` parameter, the rate-limit headers and the error responses it may give."""

from __future__ import annotations

import http
from copy import deepcopy
from typing import Any

from api.http.representation import FIELDS, VIEW

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


def operation_id(name: str) -> str:
    """The operationId of a view function: its name in camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def berdaya_doc(func: Any) -> dict[str, Any]:
    """What the Blueprint records about the operation ``func`` serves (its own copy)."""
    func._apidoc = deepcopy(getattr(func, "_apidoc", {}))
    doc: dict[str, Any] = func._apidoc.setdefault("berdaya", {})
    return doc


def prepare_contract_doc(
    doc: dict[str, Any], doc_info: dict[str, Any], *, method: str, **_kwargs: Any
) -> dict[str, Any]:
    """flask-smorest's hook: complete an operation's entry from what was recorded."""
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
    if info.get("sparse") and method == "get":
        # One definition each (api.http.representation), shared by every read and list.
        doc.setdefault("parameters", []).append(FIELDS)
        if info.get("views"):
            doc["parameters"].append(VIEW)
        add(422)
    if info.get("idempotent"):
        doc.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        add(409)
        add(422)
    return doc
