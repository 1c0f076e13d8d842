"""Owner's statistics: views counted without a database write per public request."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.catalogue.counters import ViewCounter
from api.models import Product, ProductViews, Role
from api.state import get_state
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory


def stored_views(session: Session, product_id: str) -> int:
    session.expire_all()
    return (
        session.scalar(select(ProductViews.views).where(ProductViews.product_id == product_id)) or 0
    )


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


def test_a_flush_adds_to_the_counts_drops_deleted_products_and_changes_no_product(
    app: Flask, db_session: Session
) -> None:
    kept, gone = ProductFactory(), ProductFactory()
    updated_at, sessions = kept.updated_at, get_state(app).sessionmaker
    counter = ViewCounter()
    for product_id in (kept.id, kept.id, gone.id):
        counter.hit(product_id)
    assert counter.flush(sessions) == 2
    assert (stored_views(db_session, kept.id), stored_views(db_session, gone.id)) == (2, 1)

    db_session.delete(gone)  # its count goes with it
    db_session.flush()
    assert db_session.scalar(select(ProductViews).where(ProductViews.product_id == gone.id)) is None
    for product_id in (kept.id, gone.id, "prd_never_there"):
        counter.hit(product_id)
    assert counter.flush(sessions) == 3  # a deleted product's views do not fail the others'
    assert stored_views(db_session, kept.id) == 3  # added to, not replaced
    assert counter.pending(gone.id) == 0  # dropped, not kept to fail every flush after
    assert db_session.scalar(select(ProductViews).where(ProductViews.product_id == gone.id)) is None
    # A view is not a change to the product: its row (and so its ETag) is as it was.
    assert db_session.get(Product, kept.id).updated_at == updated_at  # type: ignore[union-attr]
