"""Owner's statistics: views counted without a database write per public request."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.catalogue.counters import ViewCounter
from api.models import Product, Role
from api.state import get_state
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory


def stored_views(session: Session, product_id: str) -> int:
    session.expire_all()
    return session.scalar(select(Product.view_count).where(Product.id == product_id)) or 0


def test_views_are_buffered_then_flushed_and_leads_counted(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, owner_headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    views = get_state(app).views
    views.flush(get_state(app).sessionmaker)  # start from nothing pending
    for _ in range(3):
        assert client.get(f"/v1/products/{product.id}").status_code == 200
    assert stored_views(db_session, product.id) == 0  # no write on the public path
    assert client.get(f"/v1/products/{product.id}").json["stats"] is None
    _, buyer = auth.as_role(Role.BUYER)
    client.post(
        f"/v1/businesses/{product.business_id}/contact",
        json={"product_id": product.id},
        headers=buyer,
    )
    mine = client.get(f"/v1/products/{product.id}", headers=owner_headers).json
    assert mine["stats"] == {"views": 4, "leads": 1}  # the owner's own look is not a view
    assert views.flush(get_state(app).sessionmaker) >= 1
    assert stored_views(db_session, product.id) == 4
    again = client.get(f"/v1/products/{product.id}", headers=owner_headers).json
    assert again["stats"] == {"views": 4, "leads": 1}


def test_a_counter_flushes_only_when_due() -> None:
    counter = ViewCounter(interval_seconds=3600)
    assert not counter.due()
    counter.hit("prd_x")
    assert counter.pending("prd_x") == 1 and not counter.due()
    counter.interval = 0
    assert counter.due()
