"""Assertions shared by the tests."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.models import Category


def category_id(session: Session, slug: str) -> str:
    """The id of a seeded category."""
    found = session.scalar(select(Category.id).where(Category.slug == slug))
    assert found is not None, slug
    return found


def assert_problem(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith("urn:berdaya:problem:")
    if code is not None:
        assert body["code"] == code, body
    return body


def place_order(
    client: Any, business_id: str, product_id: str, headers: dict[str, str], quantity: int = 1
) -> TestResponse:
    """One item delivered locally: the simplest order a buyer (or a key) places."""
    response: TestResponse = client.post(
        "/v1/orders",
        json={
            "business_id": business_id,
            "items": [{"product_id": product_id, "quantity": quantity}],
            "delivery_method": "local_delivery",
            "delivery_address": "Jl. Melati No. 4, Mustikajaya",
        },
        headers=headers,
    )
    return response


def error_fields(problem: dict[str, Any]) -> set[str]:
    """The paths a problem's errors name, and their top-level fields (``licences.0.kind``
    names ``licences`` too)."""
    paths = set(problem.get("errors", {}))
    return paths | {path.split(".")[0] for path in paths}


def outbox(client: Any, recipient: str) -> list[dict[str, Any]]:
    """The messages to ``recipient`` in the development outbox, newest first."""
    response = client.get("/v1/dev/outbox", query_string={"recipient": recipient, "limit": 100})
    assert response.status_code == 200, response.get_data(as_text=True)
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def outbox_code(client: Any, recipient: str) -> str:
    """The code in the newest message carrying one to ``recipient``, read as she would."""
    for message in outbox(client, recipient):
        if message["template"].startswith("code."):
            found = re.search(r"\b(\d{6})\b", message["body"])
            assert found, message
            return found.group(1)
    raise AssertionError(f"no code was sent to {recipient}")


def register(client: Any, body: dict[str, Any], **kw: Any) -> Any:
    """Register as a person would: the form, then the code from her messages; the confirmation's
    response (201 and her account)."""
    started = client.post("/v1/auth/register", json=body, **kw)
    assert started.status_code == 202, started.get_data(as_text=True)
    from api.phones import e164, parse

    key = "phone" if body.get("phone") else "email"
    number = parse(str(body["phone"])) if key == "phone" else None
    recipient = e164(number) if number else str(body["email"]).lower()
    code = outbox_code(client, str(recipient))
    return client.post("/v1/auth/register/confirm", json={key: body[key], "code": code}, **kw)
