"""Hostile input gets a clear 4xx, never a 500: NUL bytes, forged cursors, deep JSON."""

from __future__ import annotations

import base64
import json

import pytest
from flask.testing import FlaskClient

from api.models import Role
from tests.conftest import Auth
from tests.factories import UserFactory
from tests.helpers import assert_problem


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_nul_bytes_are_refused_everywhere(client: FlaskClient, auth: Auth) -> None:
    body = {"phone": "081299990001", "password": "rahasia-123", "name": "a\u0000b", "role": "buyer"}
    problem = assert_problem(client.post("/v1/auth/register", json=body), 422)
    assert "name" in problem["errors"]
    _, headers = auth.as_role(Role.PARTNER)
    nested = {"name": "PT Baik", "kind": "csr_company", "description": "x\u0000"}
    assert (
        "description"
        in assert_problem(client.post("/v1/organizations", json=nested, headers=headers), 422)[
            "errors"
        ]
    )
    assert_problem(client.get("/v1/organizations/org%00x"), 404)
    assert_problem(client.get("/v1/organizations/org%00x/members", headers=headers), 404)
    assert "q" in assert_problem(client.get("/v1/organizations?q=a%00b"), 422)["errors"]
    user = UserFactory(email="ua@example.id")
    login = client.post(
        "/v1/auth/login",
        json={"email": user.email, "password": "correct horse battery"},
        headers={"User-Agent": "Android\u0000Browser"},
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("created_at", ["x", "org_x"]),
        ("created_at", [17, "org_x"]),
        ("created_at", [None, "org_x"]),
        ("name", [123, "org_x"]),
        ("name", ["PT", {"dt": "2026-01-01T00:00:00+00:00"}]),
        ("name", ["PT", 10**30]),
        ("name", ["PT\u0000", "org_x"]),
        ("name", [True, "org_x"]),
    ],
)
def test_forged_cursors_are_422(client: FlaskClient, sort: str, values: list[object]) -> None:
    cursor = forged({"s": sort, "v": values})
    problem = assert_problem(client.get(f"/v1/organizations?sort={sort}&cursor={cursor}"), 422)
    assert "cursor" in problem["errors"]


def test_deeply_nested_json_is_malformed_not_a_crash(client: FlaskClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    for headers in ({}, {"Idempotency-Key": "deep"}):
        response = client.post(
            "/v1/auth/register", data=body, content_type="application/json", headers=headers
        )
        assert_problem(response, 400, "malformed_json")
