"""A seller's batch of price, stock and availability edits: ETags per item, both modes,
refusals, bounds, replays and the events a PATCH would record."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Event, Product, ProductChange, Role
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, error_fields


class Stall:
    """A seller with three published products, and their ETags as she read them."""

    def __init__(self, client: FlaskClient, auth: Auth) -> None:
        self.client = client
        self.owner, self.headers = auth.as_role(Role.ALUMNA)
        self.business = BusinessFactory(owner_id=self.owner.id)
        self.products = [ProductFactory(business=self.business, price_idr=10_000) for _ in range(3)]
        self.url = f"/v1/businesses/{self.business.id}/products/batch"

    def etag(self, product: Product) -> str:
        answer = self.client.get(f"/v1/products/{product.id}", headers=self.headers)
        return str(answer.headers["ETag"])

    def item(self, product: Product, **changes: Any) -> dict[str, Any]:
        return {"product_id": product.id, "if_match": self.etag(product), **changes}

    def send(self, items: list[dict[str, Any]], mode: str | None = None, **kw: Any) -> Any:
        body: dict[str, Any] = {"items": items}
        if mode:
            body["mode"] = mode
        return self.client.post(self.url, json=body, headers={**self.headers, **kw})


def prices(session: Session, products: list[Product]) -> list[int]:
    session.expire_all()
    return [session.get(Product, p.id).price_idr for p in products]  # type: ignore[union-attr]


def test_a_day_of_prices_in_one_request(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    stall = Stall(client, auth)
    a, b, c = stall.products
    answer = stall.send(
        [
            stall.item(a, price_idr=11_000),
            stall.item(b, stock=0, availability="out_of_stock"),
            stall.item(c, price_idr=9_500, stock=40),
        ]
    )
    assert answer.status_code == 200, answer.json
    results = answer.json["items"]
    assert [(r["index"], r["product_id"], r["status"]) for r in results] == [
        (0, a.id, 200),
        (1, b.id, 200),
        (2, c.id, 200),
    ]
    assert all(r["problem"] is None for r in results)
    assert prices(db_session, [a, b, c]) == [11_000, 10_000, 9_500]
    # The ETag each item answers is the product's new one: the next If-Match.
    assert [f'"{r["etag"]}"' for r in results] == [stall.etag(p) for p in (a, b, c)]
    again = stall.send([{"product_id": a.id, "if_match": results[0]["etag"], "price_idr": 12_000}])
    assert again.status_code == 200, again.json
    # As a PATCH would: the history, and public events an app's mirror reads.
    history = db_session.scalars(
        select(ProductChange.new_value).where(
            ProductChange.product_id == a.id, ProductChange.field == "price_idr"
        )
    ).all()
    assert set(history) >= {"11000", "12000"}
    updated = db_session.scalars(
        select(Event).where(Event.type == "product.updated", Event.subject_id.in_([a.id, b.id]))
    ).all()
    assert {e.subject_id for e in updated} == {a.id, b.id} and all(e.public for e in updated)
    sold_out = client.get(f"/v1/products/{b.id}").json
    assert sold_out["availability"] == "out_of_stock" and sold_out["stock"] == 0


def test_all_or_nothing_refuses_the_batch_and_changes_nothing(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    stall = Stall(client, auth)
    a, b, c = stall.products
    stranger = ProductFactory(price_idr=10_000)
    stale = stall.item(b, price_idr=1)
    client.patch(
        f"/v1/products/{b.id}",
        json={"price_idr": 10_500},
        headers={**stall.headers, "If-Match": stale["if_match"]},
    )
    answer = stall.send(
        [stall.item(a, price_idr=11_000), {**stale, "price_idr": 12_000}, stall.item(c, stock=1)]
    )
    problem = assert_problem(answer, 412, "batch_item_refused")
    statuses = [(r["index"], r["status"]) for r in problem["items"]]
    assert statuses == [(0, 424), (1, 412), (2, 424)]
    assert problem["items"][1]["problem"]["code"] == "precondition_failed"
    assert problem["items"][0]["problem"]["code"] == "not_applied"
    assert prices(db_session, [a, b, c]) == [10_000, 10_500, 10_000]
    # Another business's product is not hers to batch (404: not a hint that it exists).
    foreign = {"product_id": stranger.id, "if_match": '"x"', "price_idr": 1}
    answer = stall.send([stall.item(a, price_idr=11_000), foreign])
    problem = assert_problem(answer, 404, "batch_item_refused")
    assert [r["status"] for r in problem["items"]] == [424, 404]
    assert prices(db_session, [a, stranger]) == [10_000, 10_000]


def test_per_item_applies_what_it_can(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    stall = Stall(client, auth)
    a, b, c = stall.products
    stranger = ProductFactory(price_idr=10_000)
    answer = stall.send(
        [
            stall.item(a, price_idr=11_000),
            {"product_id": b.id, "if_match": '"stale"', "price_idr": 1},
            {"product_id": stranger.id, "if_match": '"x"', "price_idr": 1},
            {"product_id": "prd_missing", "if_match": '"x"', "price_idr": 1},
            # In stock needs a stock: refused by the PATCH's own rule.
            stall.item(c, availability="in_stock", stock=None),
        ],
        mode="per_item",
    )
    assert answer.status_code == 207, answer.json
    results = answer.json["items"]
    assert [r["status"] for r in results] == [200, 412, 404, 404, 422]
    assert results[0]["etag"] and results[1]["etag"] is None
    assert results[4]["problem"]["errors"] == {"stock": ["Required when availability is in_stock."]}
    assert prices(db_session, [a, b, stranger]) == [11_000, 10_000, 10_000]
    assert db_session.get(Product, c.id).stock == 10  # type: ignore[union-attr]


def test_refused_requests(client: FlaskClient, auth: Auth) -> None:
    stall = Stall(client, auth)
    a = stall.products[0]
    item = stall.item(a, price_idr=11_000)
    twice = stall.send([item, {**item, "price_idr": 12_000}])
    assert set(assert_problem(twice, 422)["errors"]) == {"items.1.product_id"}
    too_many = stall.send([{**item, "product_id": f"prd_{i}"} for i in range(101)])
    assert error_fields(assert_problem(too_many, 422)) == {"items"}
    hundred = stall.send([{**item, "product_id": f"prd_{i}"} for i in range(100)], mode="per_item")
    assert hundred.status_code == 207 and len(hundred.json["items"]) == 100
    for bad in (
        [{"product_id": a.id, "price_idr": 1}],  # no if_match
        [{"product_id": a.id, "if_match": item["if_match"]}],  # nothing to change
        [{**item, "name": "Kue baru"}],  # only price, stock and availability
        [{**item, "price_idr": -5}],
        [{**item, "price_idr": "11000"}],
    ):
        assert_problem(stall.send(bad), 422)
    assert_problem(stall.send([]), 422)
    assert_problem(stall.send([item], mode="some"), 422)
    # Someone else's business: refused whole, whatever the items.
    _, stranger = auth.as_role(Role.ALUMNA)
    assert_problem(client.post(stall.url, json={"items": [item]}, headers=stranger), 403)
    assert_problem(client.post(stall.url, json={"items": [item]}), 401)
    missing = "/v1/businesses/bsn_missing/products/batch"
    assert_problem(client.post(missing, json={"items": [item]}, headers=stall.headers), 404)


def test_a_replay_applies_nothing_twice(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    stall = Stall(client, auth)
    a = stall.products[0]
    body = {"items": [stall.item(a, stock=7)]}
    headers = {**stall.headers, "Idempotency-Key": "batch-2026-12-05"}
    first = client.post(stall.url, json=body, headers=headers)
    assert first.status_code == 200, first.json
    replay = client.post(stall.url, json=body, headers=headers)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json
    changes = db_session.scalars(
        select(ProductChange).where(
            ProductChange.product_id == a.id, ProductChange.field == "stock"
        )
    ).all()
    assert len(changes) == 1
    other = {"items": [{**body["items"][0], "stock": 8}]}
    assert_problem(client.post(stall.url, json=other, headers=headers), 422)
