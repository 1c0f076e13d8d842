"""What more than one test file uses: assertions, a shop with orders, images and uploads, the
browser. Test files import from here, never from each other (a test module imported by
another has its fixtures and names pulled into the importer's namespace)."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import flask_compress.flask_compress
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from api.models import Availability, Business, Category, Product, Role
from api.state import get_state
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory

# The Redis the suite may use (a database of its own: the tests that empty it take turns).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def migration(revision: str) -> ModuleType:
    """A migration's module (``migrations/versions/*_<revision>_*.py``), loaded as Alembic does."""
    [file] = (Path(__file__).parent.parent / "migrations/versions").glob(f"*_{revision}_*.py")
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def pages_of(
    client: FlaskClient, url: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every page of a list, following its ``Link: rel="next"`` headers: the bodies, in order."""
    bodies: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url, headers=headers or {})
        assert page.status_code == 200, page.json
        bodies.append(page.json)
        link = page.headers.get("Link")
        next_url = link[1 : link.index(">")].replace("http://localhost", "") if link else None
    return bodies


def items_of(
    client: FlaskClient, url: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The items of every page of a list (``pages_of``)."""
    return [item for body in pages_of(client, url, headers) for item in body["items"]]


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


# -- a shop and its orders ----------------------------------------------------------------------


class Shop:
    """A seller with an active business and two published products, and a buyer."""

    def __init__(self, auth: Auth) -> None:
        self.seller, self.seller_headers = auth.as_role(Role.ALUMNA)
        self.business: Business = BusinessFactory(owner_id=self.seller.id)
        self.cake: Product = ProductFactory(business=self.business, price_idr=25_000, stock=5)
        self.snack: Product = ProductFactory(
            business=self.business,
            price_idr=12_500,
            availability=Availability.PRE_ORDER,
            stock=None,
            lead_days=2,
        )
        self.buyer, self.buyer_headers = auth.as_role(Role.BUYER, phone="+6281311112222")

    def order(self, client: FlaskClient, *lines: tuple[Product, int], **extra: Any) -> Any:
        headers = extra.pop("headers", self.buyer_headers)
        body = {
            "business_id": self.business.id,
            "items": [{"product_id": p.id, "quantity": q} for p, q in lines],
            "delivery_method": "local_delivery",
            "delivery_address": "Jl. Melati No. 4, Mustikajaya",
            **extra,
        }
        return client.post("/v1/orders", json=body, headers=headers)

    def act(self, client: FlaskClient, order_id: str, action: str, who: str, **body: Any) -> Any:
        headers = self.seller_headers if who == "seller" else self.buyer_headers
        return client.post(f"/v1/orders/{order_id}/{action}", json=body, headers=headers)


def completed_order(client: FlaskClient, shop: Shop, *lines: tuple[Product, int]) -> str:
    """An order of the shop taken through accept, ready and complete (one cake by default)."""
    order_id: str = shop.order(client, *(lines or ((shop.cake, 1),))).json["id"]
    for action, who in (("accept", "seller"), ("ready", "seller"), ("complete", "buyer")):
        assert shop.act(client, order_id, action, who).status_code == 200
    return order_id


# -- images and uploads -------------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (1600, 1200), **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def count_compressions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the bodies flask-compress compresses from now on (one entry each)."""
    compressed: list[int] = []
    original = flask_compress.flask_compress._compress_data

    def counting(app: Flask, data: bytes, algorithm: str) -> bytes:
        compressed.append(len(data))
        return original(app, data, algorithm)

    monkeypatch.setattr(flask_compress.flask_compress, "_compress_data", counting)
    return compressed


def upload(
    client: FlaskClient, url: str, data: bytes, headers: dict[str, str], name: str = "x.jpg"
) -> Any:
    # Encoded in memory: the test client would spool a large body to a temporary file and
    # leave it open when the server refuses the upload before reading it.
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(data), filename=name)})
    )
    return client.post(
        url,
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def media_file(client: FlaskClient, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    data = response.get_data()
    response.close()
    return data


# -- the browser --------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def browser_available() -> bool:
    """True with Chromium installed; otherwise skip (or fail under BERDAYA_REQUIRE_BROWSER)."""
    if os.path.exists(CHROMIUM):
        return True
    if os.environ.get("BERDAYA_REQUIRE_BROWSER"):
        pytest.fail(f"Chromium is required (BERDAYA_REQUIRE_BROWSER) but {CHROMIUM} is missing")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def black_image(mode: str, size: tuple[int, int], fmt: str, **save: Any) -> bytes:
    """An all-black image: tiny as a file, large once decoded (the memory tests' worst case)."""
    buffer = io.BytesIO()
    with Image.new(mode, size) as image:
        image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = get_state(app).engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


# -- races -------------------------------------------------------------------------------------


def in_parallel(count: int, call: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
