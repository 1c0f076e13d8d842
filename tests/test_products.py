"""Products: the owner's catalogue, history, visibility and refused input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import Availability, BusinessStatus, Product, ProductStatus, Role, User
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import (
    assert_problem,
    category_id,
    error_fields,
    image_bytes,
    pages_of,
    upload,
)


def new_product(session: Session, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Kue Lapis Legit",
        "description": "Satu loyang 20x20 cm, dipanggang dengan mentega.",
        "category_id": category_id(session, "traditional-cakes"),
        "price_idr": 185_000,
        "unit": "loyang",
        "min_order": 1,
        "availability": "pre_order",
        "lead_days": 2,
        "tags": ["lebaran", "kue basah"],
    }
    body.update(overrides)
    return body


def test_owner_adds_edits_publishes_and_reads_history(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    created = client.post(
        f"/v1/businesses/{business.id}/products", json=new_product(db_session), headers=headers
    )
    assert created.status_code == 201, created.json
    product = created.json
    assert product["status"] == "draft" and product["price_idr"] == 185_000
    assert product["business"]["id"] == business.id
    assert product["business"]["district"]["name"] == "Mustikajaya"
    url = f"/v1/products/{product['id']}"
    assert_problem(client.get(url), 404)  # a draft is the owner's only
    changed = client.patch(
        url,
        json={"price_idr": 175_000, "availability": "in_stock", "stock": 4},
        headers={**headers, "If-Match": created.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.json
    assert client.post(f"{url}/publish", headers=headers).json["status"] == "published"
    public = client.get(url)
    assert public.status_code == 200 and public.json["published_at"]
    history = client.get(f"{url}/history", headers=headers).json["items"]
    pairs = [(h["field"], h["old_value"], h["new_value"]) for h in history]
    assert ("price_idr", None, "185000") in pairs
    assert ("price_idr", "185000", "175000") in pairs
    assert ("stock", None, "4") in pairs
    assert ("availability", "pre_order", "in_stock") in pairs
    _, stranger = auth.as_role(Role.ALUMNA)
    assert_problem(client.get(f"{url}/history", headers=stranger), 403)


def test_products_of_inactive_businesses_are_hidden(client: FlaskClient, auth: Auth) -> None:
    product = ProductFactory(business=BusinessFactory(status=BusinessStatus.PAUSED))
    assert_problem(client.get(f"/v1/products/{product.id}"), 404)
    assert_problem(client.get(f"/v1/businesses/{product.business_id}/products"), 404)
    active = ProductFactory()
    archived = ProductFactory(business=active.business, status=ProductStatus.ARCHIVED)
    listed = client.get(f"/v1/businesses/{active.business_id}/products").json["items"]
    assert [p["id"] for p in listed] == [active.id]
    owner_headers = auth.headers(db_user(active))
    mine = client.get(f"/v1/businesses/{active.business_id}/products", headers=owner_headers)
    assert {p["id"] for p in mine.json["items"]} == {active.id, archived.id}


def db_user(product: Product) -> User:
    session = Session.object_session(product)
    assert session is not None
    owner = session.get(User, product.business.owner_id)
    assert owner is not None
    return owner


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price_idr": -5000}, "price_idr"),
        ({"price_idr": 0}, "price_idr"),
        ({"price_idr": 25000.5}, "price_idr"),
        ({"price_idr": "25000"}, "price_idr"),
        ({"price_idr": 10**13}, "price_idr"),
        ({"category_id": "cat_nope"}, "category_id"),
        ({"availability": "in_stock", "lead_days": None}, "stock"),
        ({"availability": "pre_order", "lead_days": None}, "lead_days"),
        ({"availability": "sometimes"}, "availability"),
        ({"min_order": 0}, "min_order"),
        ({"tags": ["Bad Tag!"]}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"name": "n" * 121}, "name"),
        ({"status": "published"}, "status"),
        ({"business_id": "bus_x"}, "business_id"),
        ({"id": "prd_x"}, "id"),
    ],
)
def test_bad_product_input_is_422(
    client: FlaskClient, auth: Auth, db_session: Session, overrides: dict[str, Any], field: str
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    count = db_session.scalar(select(func.count()).select_from(Product))
    response = client.post(
        f"/v1/businesses/{business.id}/products",
        json=new_product(db_session, **overrides),
        headers=headers,
    )
    assert field in error_fields(assert_problem(response, 422))
    assert db_session.scalar(select(func.count()).select_from(Product)) == count


def test_only_the_owner_adds_and_edits(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business = BusinessFactory()
    body = new_product(db_session)
    url = f"/v1/businesses/{business.id}/products"
    _, other_alumna = auth.as_role(Role.ALUMNA)
    assert_problem(client.post(url, json=body, headers=other_alumna), 403)
    _, buyer = auth.as_role(Role.BUYER)
    assert_problem(client.post(url, json=body, headers=buyer), 403)
    draft_business = BusinessFactory(status=BusinessStatus.DRAFT)
    assert_problem(
        client.post(
            f"/v1/businesses/{draft_business.id}/products", json=body, headers=other_alumna
        ),
        404,
    )
    product = ProductFactory(business=business)
    etag = client.get(f"/v1/products/{product.id}").headers["ETag"]
    refused = client.patch(
        f"/v1/products/{product.id}",
        json={"price_idr": 1},
        headers={**other_alumna, "If-Match": etag},
    )
    assert_problem(refused, 403)
    assert_problem(client.post(f"/v1/products/{product.id}/archive", headers=other_alumna), 403)


def test_product_lifecycle(client: FlaskClient, auth: Auth) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(
        business=BusinessFactory(owner_id=owner.id), status=ProductStatus.DRAFT
    )
    url = f"/v1/products/{product.id}"
    refused = assert_problem(
        client.post(f"{url}/unpublish", headers=headers), 409, "invalid_transition"
    )
    assert refused["allowed_actions"] == ["publish", "archive"]
    assert client.post(f"{url}/archive", headers=headers).json["status"] == "archived"
    assert client.post(f"{url}/publish", headers=headers).json["status"] == "published"
    assert client.post(f"{url}/unpublish", headers=headers).json["status"] == "draft"


def test_the_owners_etag_survives_her_figures_and_buyers_views(
    app: Any, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    from api.state import get_state

    product = ProductFactory()
    owner = db_session.get(User, product.business.owner_id)
    assert owner is not None
    owner_h = auth.headers(owner)
    read = client.get(f"/v1/products/{product.id}", headers=owner_h)
    assert read.json["stats"] is not None
    before = read.json["updated_at"]
    # Buyers look at it and the buffered views are written before she saves.
    for _ in range(3):
        client.get(f"/v1/products/{product.id}")
    get_state(app).views.flush(get_state(app).sessionmaker)
    db_session.expire_all()
    again = client.get(f"/v1/products/{product.id}", headers=owner_h)
    assert again.json["stats"]["views"] == 3 and again.json["updated_at"] == before
    assert again.headers["ETag"] == read.headers["ETag"]
    saved = client.patch(
        f"/v1/products/{product.id}",
        json={"price_idr": 26000},
        headers={**owner_h, "If-Match": read.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.json


def _all_pages(client: FlaskClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Every page of a list: the items and tombstones of all, the last page's other members."""
    bodies = pages_of(client, url, headers)
    items = [item for body in bodies for item in body["items"]]
    deleted = [gone for body in bodies for gone in body.get("deleted", [])]
    return {**bodies[-1], "items": items, "deleted": deleted}


def test_a_business_s_listed_products_are_what_the_orm_gives(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """A business's products are listed without the ORM (``catalogue.reads``: the owner's
    documents read, others' from the cache of public ones); every page, for the owner and a
    stranger, in every view, order and filter, must be what the ORM path dumps."""
    from api.schemas.products import ProductSchema, ProductSummarySchema
    from api.services import products as service
    from api.services.authz import Actor

    since = utcnow() - dt.timedelta(minutes=5)
    shown = ProductFactory(
        price_idr=30_000, tags=["kue", "lapis legit"], rating_count=2, rating_sum=9
    )
    business = shown.business
    owner = db_user(shown)
    owner_h = auth.headers(owner)
    for _ in range(2):  # two photos, in order
        sent = upload(
            client, f"/v1/products/{shown.id}/photos", image_bytes("JPEG", (300, 200)), owner_h
        )
        assert sent.status_code == 201, sent.json
    ProductFactory(
        business=business,
        price_idr=12_000,
        availability=Availability.PRE_ORDER,
        stock=None,
        lead_days=3,
    )
    ProductFactory(
        business=business, price_idr=8_000, status=ProductStatus.DRAFT, published_at=None
    )
    ProductFactory(business=business, price_idr=50_000, status=ProductStatus.ARCHIVED)
    ProductFactory(business=business, price_idr=20_000, hidden_at=utcnow())
    ProductFactory(business=business, price_idr=20_000)  # a tie on price: the id decides
    ProductFactory()  # another business's
    db_session.flush()
    stranger, stranger_h = auth.as_role(Role.ALUMNA)
    stamp = since.isoformat().replace("+00:00", "Z")
    callers = ((owner, owner_h, 6), (stranger, stranger_h, 3), (None, {}, 3))
    for user, headers, count in callers:
        actor = Actor(user)
        for query, args in (
            ("", {}),
            ("view=full", {}),
            ("limit=2", {}),
            ("sort=price&view=full&limit=2", {"sort": "price"}),
            ("sort=newest&limit=4", {"sort": "newest"}),
            ("status=published&view=full", {"status": ProductStatus.PUBLISHED}),
            (f"updated_since={stamp}&view=full&limit=2", {"updated_since": since}),
        ):
            got = _all_pages(client, f"/v1/businesses/{business.id}/products?{query}", headers)
            db_session.expire_all()
            reference = service.list_for_business(
                db_session, actor=actor, business_id=business.id, limit=100, **args
            )
            with app.test_request_context():
                expected = [ProductSchema().dump(p) for p in reference.items]
            if "view=full" not in query:  # a list's compact item is made from the document
                expected = [ProductSummarySchema().dump(d) for d in expected]
            assert got["items"] == expected, (user and user.id, query)
            if "status" not in query and "updated_since" not in query:
                assert len(expected) == count, query
            if "updated_since" in query:  # tombstones: what she may no longer see
                assert got["updated_until"]
                gone = sorted(t.id for t in reference.deleted)  # type: ignore[attr-defined]
                assert sorted(t["id"] for t in got["deleted"]) == gone
    mine = _all_pages(client, f"/v1/businesses/{business.id}/products?view=full", owner_h)
    first = next(p for p in mine["items"] if p["id"] == shown.id)
    assert [p["position"] for p in first["photos"]] == [0, 1] and first["stats"] is None
