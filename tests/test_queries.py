"""No N+1: the number of SQL statements of a list request does not grow with the page size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import advisory_lock
from api.models import BusinessLicence, LicenceKind, Photo, Role
from api.state import get_state
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import Shop, counted


def statements_for(app: Flask, call: Callable[[], Any]) -> int:
    with counted(app) as statements:
        response = call()
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(statements)


@pytest.fixture
def many(auth: Auth, client: FlaskClient, db_session: Session) -> Shop:
    shop = Shop(auth)
    for _ in range(12):
        BusinessFactory()
        ProductFactory(business=shop.business, stock=50)
    for _ in range(12):
        assert shop.order(client, (shop.snack, 1)).status_code == 201
    return shop


LISTS = [
    ("/v1/products?limit={n}", None),
    ("/v1/businesses?limit={n}", None),
    ("/v1/businesses/{business}/products?limit={n}", None),
    ("/v1/orders?limit={n}", "buyer"),
    ("/v1/orders?side=seller&limit={n}", "seller"),
    ("/v1/me/notifications?limit={n}", "seller"),
    ("/v1/needs?sort=created_at&limit={n}", None),
    ("/v1/regions?parent=32.75&limit={n}", None),
    ("/v1/categories?limit={n}", None),
]


@pytest.mark.parametrize(("url", "who"), LISTS)
def test_a_page_of_ten_costs_the_statements_of_a_page_of_one(
    app: Flask, client: FlaskClient, many: Shop, url: str, who: str | None
) -> None:
    headers = {"buyer": many.buyer_headers, "seller": many.seller_headers}.get(who or "", {})

    def get(n: int) -> Callable[[], Any]:
        return lambda: client.get(url.format(n=n, business=many.business.id), headers=headers)

    # Product views are buffered and written by whichever request finds them due: write them
    # now, so that they are not counted against the list.
    get_state(app).views.flush(get_state(app).sessionmaker)
    get(10)()  # what a worker keeps once read (documents, region names) is not counted
    one, ten = statements_for(app, get(1)), statements_for(app, get(10))
    assert ten == one, (url, one, ten)


@pytest.fixture
def owner_of_many(auth: Auth, db_session: Session) -> dict[str, str]:
    """A woman with twelve businesses, each with a photo and a licence."""
    owner, headers = auth.as_role(Role.ALUMNA)
    for n in range(12):
        business = BusinessFactory(owner_id=owner.id)
        db_session.add_all(
            [
                Photo(business_id=business.id, position=0, width=300, height=200),
                BusinessLicence(business_id=business.id, kind=LicenceKind.PIRT, number=f"P-{n}"),
            ]
        )
    db_session.flush()
    db_session.expire_all()
    return headers


@pytest.mark.parametrize(
    "url", ["/v1/me/businesses?limit={n}", "/v1/businesses?view=full&limit={n}"]
)
def test_a_page_of_her_businesses_loads_their_photos_and_licences_at_once(
    app: Flask, client: FlaskClient, owner_of_many: dict[str, str], url: str
) -> None:
    """Her own businesses come through the ORM (she sees their private part): their photos and
    licences are asked for with the page, not one business at a time."""

    def get(n: int) -> Callable[[], Any]:
        return lambda: client.get(url.format(n=n), headers=owner_of_many)

    get(10)()  # the public documents read first are kept (PostgreSQL): compare warm with warm
    one, ten = statements_for(app, get(1)), statements_for(app, get(10))
    assert ten == one, (url, one, ten)
    items = get(10)().get_json()["items"]
    assert len(items) == 10
    assert all(item["private"] is not None for item in items)  # the ORM path, hers
    assert all(len(item["photos"]) == 1 and len(item["licences"]) == 1 for item in items)


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/v1/businesses/{business}/products?limit=10", "seller"),
        ("/v1/orders?side=seller&limit=10", "seller"),
        ("/v1/orders?limit=10", "buyer"),
        ("/v1/businesses/{business}/sales-summary", "seller"),
        ("/v1/businesses/{business}/leads?limit=10", "seller"),
    ],
)
def test_a_page_that_shows_no_business_document_reads_no_photo_or_licence_of_one(
    app: Flask, client: FlaskClient, many: Shop, url: str, who: str
) -> None:
    """A business loaded as a seller or for a check of who owns it does not drag its own
    photos and licences along (two statements a request that nothing shows)."""
    headers = many.seller_headers if who == "seller" else many.buyer_headers
    with counted(app) as statements:
        response = client.get(url.format(business=many.business.id), headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert not [s for s in statements if "business_licences" in s]
    assert not [s for s in statements if "FROM photos" in s and "photos.product_id IS NULL" in s]


def test_a_compact_page_of_her_businesses_shows_each_thumbnail_at_once(
    app: Flask, client: FlaskClient, owner_of_many: dict[str, str]
) -> None:
    def get(n: int) -> Callable[[], Any]:
        return lambda: client.get(f"/v1/businesses?limit={n}", headers=owner_of_many)

    get(10)()  # the public documents read first are kept (PostgreSQL): compare warm with warm
    assert statements_for(app, get(10)) == statements_for(app, get(1))
    assert all(item["thumbnail_url"] for item in get(10)().get_json()["items"])


@pytest.mark.parametrize(
    ("url", "who"),
    [("/v1/orders?limit=10", "buyer"), ("/v1/orders?side=seller&limit=10", "seller")],
)
def test_a_page_of_orders_reads_its_sellers_row_not_her_category_and_places(
    app: Flask, client: FlaskClient, many: Shop, url: str, who: str
) -> None:
    """An order shows its seller's id and name: joining her category and three regions to
    every order (152 columns a page) cost a third of a buyer's page."""
    headers = many.seller_headers if who == "seller" else many.buyer_headers
    with counted(app) as statements:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert {o["business"]["name"] for o in response.json["items"]} == {many.business.name}
    orders = [s for s in statements if "FROM orders" in s]
    assert orders and not [s for s in orders if "regions" in s or "categories" in s]


def test_an_order_reads_its_seller_once_and_takes_the_events_lock_once(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Placing an order loads the seller's business once: the activity it notes (``touch``)
    and the change log reuse that row. Its events and its change log are written under one
    lock (PostgreSQL; SQLite takes its write lock at BEGIN), not asked for twice."""
    shop = Shop(auth)
    with counted(app) as statements:
        response = shop.order(client, (shop.snack, 1))
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert len([s for s in statements if s.startswith("SELECT businesses.owner_id")]) == 1
    assert [s for s in statements if s.startswith("INSERT INTO row_changes")]
    locks = [s for s in statements if "pg_advisory_xact_lock" in s]
    postgres = get_state(app).engine.dialect.name == "postgresql"
    assert len(locks) == (1 if postgres else 0), locks


def test_a_transaction_asks_for_an_advisory_lock_once(app: Flask) -> None:
    """Asked again in the same transaction, a lock is not asked of the database; one taken in
    a savepoint that rolls back is asked again; a new transaction asks again."""
    state = get_state(app)
    if state.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's (SQLite locks the database at BEGIN)")
    with counted(app) as statements, Session(state.engine) as session:

        def asked() -> int:
            return len([s for s in statements if "pg_advisory_xact_lock" in s])

        advisory_lock(session, "events")
        advisory_lock(session, "events")
        assert asked() == 1
        savepoint = session.begin_nested()
        advisory_lock(session, "other")
        savepoint.rollback()
        advisory_lock(session, "other")
        assert asked() == 3
        session.commit()
        advisory_lock(session, "events")
        assert asked() == 4
        session.rollback()
