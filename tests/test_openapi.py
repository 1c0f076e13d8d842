"""The OpenAPI document: committed, complete, and served with local doc assets."""

from __future__ import annotations

import re
from pathlib import Path

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
