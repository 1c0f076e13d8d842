"""No N+1: the number of SQL statements of a list request does not grow with the page size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

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
    one, ten = statements_for(app, get(1)), statements_for(app, get(10))
    assert ten == one, (url, one, ten)
