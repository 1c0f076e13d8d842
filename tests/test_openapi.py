"""The OpenAPI document: committed, complete, and served with local doc assets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from api.openapi import spec_document, spec_json

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}


def operations(app: Flask) -> list[tuple[str, str, dict]]:
    paths = spec_document(app)["paths"]
    return [(p, m, op) for p, item in paths.items() for m, op in item.items() if m in METHODS]


def test_committed_spec_matches_the_code(app: Flask) -> None:
    assert COMMITTED.exists(), "run `make openapi` and commit openapi/openapi.json"
    assert COMMITTED.read_text(encoding="utf-8") == spec_json(app), (
        "openapi/openapi.json is out of date: run `make openapi` and commit the result"
    )


def test_every_operation_is_documented_for_client_generators(app: Flask) -> None:
    seen: set[str] = set()
    for path, method, op in operations(app):
        where = f"{method.upper()} {path}"
        assert re.fullmatch(r"[a-z][A-Za-z]+", op["operationId"]), where
        assert op["operationId"] not in seen, where
        seen.add(op["operationId"])
        assert op.get("summary"), where
        assert op.get("tags"), where
        assert "security" in op, where
        responses = {str(code) for code in op["responses"]}
        assert "default" in responses, where
        if op["security"] and {} not in op["security"]:
            assert {"401", "403"} <= responses, where
        if "{" in path:
            assert "404" in responses, where
        if "requestBody" in op:
            assert {"400", "413", "415", "422"} <= responses, where
        if method == "post":
            names = {p.get("name") for p in op.get("parameters", [])}
            expected = op["operationId"] not in {
                "login",
                "refreshTokens",
                "logout",
                "changePassword",
                # codes asked for and entered: they create nothing a retry could duplicate
                "requestSignInCode",
                "signInWithCode",
                "requestPasswordReset",
                "resetPassword",
                "requestPhoneVerification",
                "confirmPhoneVerification",
                "requestEmailVerification",
                "confirmEmailVerification",
                "createApiKey",  # answers a secret, which is never stored
                "createWebhook",
            }
            assert ("Idempotency-Key" in names) is expected, where
        if method == "patch":
            assert "412" in responses and "428" in responses, where


def test_errors_are_documented_as_problem_json(app: Flask) -> None:
    document = spec_document(app)
    assert document["openapi"] == "3.1.0"
    for name, response in document["components"]["responses"].items():
        if name in ("NOT_MODIFIED",):
            continue
        assert list(response["content"]) == ["application/problem+json"], name
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_spec_and_docs_are_served_with_local_assets(client: FlaskClient) -> None:
    spec = client.get("/v1/openapi.json")
    assert spec.status_code == 200 and spec.json["info"]["title"] == "Berdaya API"
    for page in ("/docs", "/redoc"):
        html = client.get(page).get_data(as_text=True)
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, page
        for source in sources:
            assert source.startswith("/static/vendor/"), (page, source)
            asset = client.get(source)
            assert asset.status_code == 200 and len(asset.get_data()) > 1000, source
            asset.close()
        assert "/v1/openapi.json" in html


def _bounded_pattern(pattern: str | None) -> bool:
    """A whole-string pattern with no open-ended repetition bounds the length by itself."""
    if not pattern or not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    return not re.search(r"(?<!\\)[*+]|\{\d+,\}", pattern)


def _unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Input fields a client could make as large as it likes."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _unbounded(spec, spec["components"]["schemas"][name], where)
    if schema.get("readOnly"):
        return []
    found: list[str] = []
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found += _unbounded(spec, part, where)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    bounded = "enum" in schema or "const" in schema or _bounded_pattern(schema.get("pattern"))
    free_format = schema.get("format") not in ("date", "date-time", "email", "binary")
    if "string" in types and not bounded and "maxLength" not in schema and free_format:
        found.append(f"{where}: string without maxLength")
    if "integer" in types and not bounded and "maximum" not in schema:
        found.append(f"{where}: integer without maximum")
    if "array" in types:
        if "maxItems" not in schema:
            found.append(f"{where}: array without maxItems")
        found += _unbounded(spec, schema.get("items", {}), f"{where}[]")
    if "object" in types or "properties" in schema:
        for name, prop in schema.get("properties", {}).items():
            found += _unbounded(spec, prop, f"{where}.{name}")
    return found


def test_every_input_is_bounded() -> None:
    """What a client sends is limited in size: every string, integer and array of request bodies
    and query parameters (the OWASP resource-consumption rules, applied where they matter)."""
    spec = json.loads(COMMITTED.read_text())
    found: list[str] = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            for parameter in op.get("parameters", []):
                if "$ref" in parameter:
                    parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/")[-1]]
                if parameter["in"] == "query":
                    found += _unbounded(spec, parameter["schema"], f"{where} ?{parameter['name']}")
            for content in op.get("requestBody", {}).get("content", {}).values():
                found += _unbounded(spec, content["schema"], f"{where} body")
    assert found == []


# Reads whose answer depends on who asks (drafts, `private`, `stats` for the owner).
CALLER_DEPENDENT_READS = {
    "getProduct",
    "getBusiness",
    "listBusinessProducts",
    "getReview",
    "getMentoringOffer",
}


def test_reads_that_depend_on_the_caller_declare_optional_bearer_auth(
    app: Flask, client: FlaskClient
) -> None:
    """Swagger UI and generated clients send the token only where the spec declares it: a
    read that shows the owner more declares bearer auth as optional (anonymous stays one of
    the alternatives), and so does every GET whose view asks who the caller is."""
    import inspect

    by_id = {op["operationId"]: op for _, _, op in operations(app)}
    for operation_id in CALLER_DEPENDENT_READS:
        security = by_id[operation_id]["security"]
        assert {} in security and {"bearerAuth": []} in security, (operation_id, security)
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or not rule.rule.startswith("/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        declared = "auth" in getattr(view, "_apidoc", {}).get("berdaya", {})
        inner = inspect.unwrap(view)
        assert declared or "current_actor" not in inspect.getsource(inner), (
            f"GET {rule.rule} asks who the caller is: declare @blp.auth(optional=True)"
        )
    # Still callable anonymously.
    assert client.get("/v1/products/prd_nothing").status_code == 404
