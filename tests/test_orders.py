"""Orders: placing, totals, stock held and given back, the lifecycle, payment, lists, events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Availability,
    BusinessStatus,
    Order,
    OrderStatus,
    Product,
    ProductChange,
    ProductStatus,
    Role,
    User,
)
from api.services import orders as order_service
from tests.conftest import Auth
from tests.factories import ProductFactory, UserFactory
from tests.helpers import (
    Shop,
    assert_problem,
    count_compressions,
    error_fields,
    image_bytes,
    items_of,
    upload,
)


@pytest.fixture
def shop(auth: Auth) -> Shop:
    return Shop(auth)


def test_an_order_copies_prices_computes_the_total_and_holds_stock(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    response = shop.order(client, (shop.cake, 2), (shop.snack, 3), note="Tanpa kacang")
    assert response.status_code == 201, response.json
    order = response.json
    assert order["status"] == "requested"
    assert order["subtotal_idr"] == order["total_idr"] == 2 * 25_000 + 3 * 12_500
    assert [
        (i["product_name"], i["unit_price_idr"], i["line_total_idr"]) for i in order["items"]
    ] == [
        (shop.cake.name, 25_000, 50_000),
        (shop.snack.name, 12_500, 37_500),
    ]
    assert order["contact"] == {
        "name": shop.buyer.name,
        "phone": "+6281311112222",
        "delivery_address": "Jl. Melati No. 4, Mustikajaya",
    }
    assert order["allowed_actions"] == ["cancel"]
    db_session.expire_all()
    assert db_session.get(Product, shop.cake.id).stock == 3  # held
    change = db_session.scalars(
        select(ProductChange).where(
            ProductChange.product_id == shop.cake.id, ProductChange.field == "stock"
        )
    ).one()
    assert (change.old_value, change.new_value, change.changed_by_id) == ("5", "3", shop.buyer.id)

    # A later price change does not touch the order.
    shop.cake.price_idr = 30_000
    db_session.flush()
    again = client.get(f"/v1/orders/{order['id']}", headers=shop.seller_headers).json
    assert again["items"][0]["unit_price_idr"] == 25_000
    assert again["allowed_actions"] == ["accept", "decline"]


def test_the_whole_lifecycle_with_payment_and_notifications(
    client: FlaskClient, shop: Shop
) -> None:
    from api.dates import today

    order_id = shop.order(client, (shop.cake, 1)).json["id"]
    # A day from now in Jakarta: a fixed date turns into the past (and a 422) one day.
    delivery = (today() + dt.timedelta(days=1)).isoformat()
    accepted = shop.act(
        client, order_id, "accept", "seller", delivery_fee_idr=8_000, delivery_date=delivery
    )
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["total_idr"] == 33_000 and accepted.json["delivery_date"] == delivery
    paid = client.post(
        f"/v1/orders/{order_id}/payment", json={"method": "qris"}, headers=shop.seller_headers
    )
    assert paid.json["payment"]["method"] == "qris" and paid.json["payment"]["paid_at"]
    assert_problem(
        client.post(
            f"/v1/orders/{order_id}/payment", json={"method": "qris"}, headers=shop.seller_headers
        ),
        409,
        "already_paid",
    )
    shipped = shop.act(client, order_id, "ship", "seller", tracking="JNE 1234")
    assert shipped.json["status"] == "shipped" and shipped.json["completes_at"]
    assert shipped.json["tracking"] == "JNE 1234"
    assert client.get(f"/v1/orders/{order_id}", headers=shop.buyer_headers).json[
        "allowed_actions"
    ] == ["complete"]
    done = shop.act(client, order_id, "complete", "buyer")
    assert done.json["status"] == "completed" and done.json["completed_at"]

    mine = client.get("/v1/me/notifications", headers=shop.buyer_headers).json["items"]
    assert [n["type"] for n in mine] == ["order.shipped", "order.paid", "order.accepted"]
    # Each says what happened in words, in the reader's language.
    assert [(n["title"], n["text"]) for n in mine] == [
        ("Order shipped", "The order is on its way."),
        ("Order paid", "The seller recorded the payment (qris)."),
        ("Order accepted", "The seller accepted your order."),
    ]
    in_indonesian = client.get(
        "/v1/me/notifications", headers={**shop.buyer_headers, "Accept-Language": "id"}
    ).json["items"]
    assert [(n["title"], n["text"]) for n in in_indonesian][2] == (
        "Pesanan diterima",
        "Penjual menerima pesanan Anda.",
    )
    assert all(n["subject"] == {"type": "order", "id": order_id} and not n["read"] for n in mine)
    theirs = client.get("/v1/me/notifications", headers=shop.seller_headers).json["items"]
    assert [n["type"] for n in theirs] == ["order.completed", "order.requested"]
    assert theirs[1]["title"] == "Order requested" and "Accept or decline" in theirs[1]["text"]


def test_an_invalid_transition_is_409_naming_the_allowed_ones(
    client: FlaskClient, shop: Shop
) -> None:
    order_id = shop.order(client, (shop.cake, 1)).json["id"]
    body = assert_problem(
        shop.act(client, order_id, "complete", "buyer"), 409, "invalid_transition"
    )
    assert body["allowed_actions"] == ["cancel"] and body["status_now"] == "requested"
    assert_problem(shop.act(client, order_id, "ship", "seller"), 409, "invalid_transition")
    # Each party has its own steps.
    assert_problem(shop.act(client, order_id, "accept", "buyer"), 403, "not_your_action")
    assert_problem(shop.act(client, order_id, "complete", "seller"), 403, "not_your_action")
    shop.act(client, order_id, "accept", "seller")
    body = assert_problem(shop.act(client, order_id, "cancel", "buyer"), 409, "invalid_transition")
    assert body["allowed_actions"] == []


def test_declining_and_cancelling_give_the_stock_back(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    first = shop.order(client, (shop.cake, 2)).json["id"]
    second = shop.order(client, (shop.cake, 3)).json["id"]
    db_session.expire_all()
    assert db_session.get(Product, shop.cake.id).stock == 0
    assert_problem(shop.order(client, (shop.cake, 1)), 409, "insufficient_stock")

    assert_problem(shop.act(client, first, "decline", "seller"), 422)  # a reason is required
    declined = shop.act(client, first, "decline", "seller", reason="Bahan habis minggu ini")
    assert declined.json["status"] == "declined" and declined.json["reason"]
    shop.act(client, second, "accept", "seller")
    assert "reason" in assert_problem(shop.act(client, second, "cancel", "seller"), 422)["errors"]
    cancelled = shop.act(client, second, "cancel", "seller", reason="Oven rusak")
    assert cancelled.json["status"] == "cancelled"
    db_session.expire_all()
    assert db_session.get(Product, shop.cake.id).stock == 5
    # Ending twice gives nothing back twice.
    assert_problem(shop.act(client, second, "cancel", "seller", reason="lagi"), 409)
    db_session.expire_all()
    assert db_session.get(Product, shop.cake.id).stock == 5


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("zero", 422, "items"),
        ("negative", 422, "items"),
        ("fraction", 422, "items"),
        ("huge", 422, "items"),
        ("above_stock", 409, None),
        ("other_business", 422, "items"),
        ("unpublished", 422, "items"),
        ("duplicate", 422, "items"),
        ("below_minimum", 422, "items"),
        ("no_address", 422, "delivery_address"),
        ("own_business", 422, "business_id"),
        ("closed_business", 422, "business_id"),
        ("client_total", 422, "total_idr"),
        ("no_items", 422, "items"),
        ("bad_phone", 422, "contact_phone"),
    ],
)
def test_bad_orders_are_refused_and_write_nothing(
    client: FlaskClient,
    shop: Shop,
    auth: Auth,
    db_session: Session,
    case: str,
    status: int,
    field: str | None,
) -> None:
    line: dict[str, Any] = {"product_id": shop.cake.id, "quantity": 1}
    body: dict[str, Any] = {
        "business_id": shop.business.id,
        "items": [line],
        "delivery_method": "pickup",
    }
    headers = shop.buyer_headers
    if case == "zero":
        line["quantity"] = 0
    elif case == "negative":
        line["quantity"] = -2
    elif case == "fraction":
        line["quantity"] = 1.5
    elif case == "huge":
        line["quantity"] = 10**12
    elif case == "above_stock":
        line["quantity"] = 6
    elif case == "other_business":
        line["product_id"] = ProductFactory().id
    elif case == "unpublished":
        line["product_id"] = ProductFactory(business=shop.business, status=ProductStatus.DRAFT).id
    elif case == "duplicate":
        body["items"] = [line, dict(line)]
    elif case == "below_minimum":
        line["product_id"] = ProductFactory(business=shop.business, min_order=3).id
    elif case == "no_address":
        body["delivery_method"] = "shipping"
    elif case == "own_business":
        headers = shop.seller_headers
    elif case == "closed_business":
        shop.business.status = BusinessStatus.CLOSED
        db_session.flush()
    elif case == "client_total":
        body["total_idr"] = 1
    elif case == "no_items":
        body["items"] = []
    elif case == "bad_phone":
        body["contact_phone"] = "+1 202 555 0100"
    problem = assert_problem(client.post("/v1/orders", json=body, headers=headers), status)
    if field:
        assert field in error_fields(problem), problem
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    db_session.expire_all()
    assert db_session.get(Product, shop.cake.id).stock == 5


def test_out_of_stock_products_cannot_be_ordered(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    shop.cake.availability = Availability.OUT_OF_STOCK
    db_session.flush()
    assert_problem(shop.order(client, (shop.cake, 1)), 409, "out_of_stock")


def test_who_may_order_and_who_sees_an_order(client: FlaskClient, shop: Shop, auth: Auth) -> None:
    _, admin = auth.as_role(Role.ADMIN)
    assert_problem(shop.order(client, (shop.cake, 1), headers=admin), 403)
    assert_problem(client.post("/v1/orders", json={}), 401)
    _, alumna = auth.as_role(Role.ALUMNA)  # graduates buy from each other too
    made = shop.order(client, (shop.cake, 1), headers=alumna)
    assert made.status_code == 201, made.json
    order_id = shop.order(client, (shop.cake, 1)).json["id"]
    _, stranger = auth.as_role(Role.BUYER)
    assert_problem(client.get(f"/v1/orders/{order_id}", headers=stranger), 404)
    assert_problem(client.post(f"/v1/orders/{order_id}/accept", json={}, headers=stranger), 404)
    assert client.get(f"/v1/orders/{order_id}", headers=admin).status_code == 200
    assert_problem(client.post(f"/v1/orders/{order_id}/accept", json={}, headers=admin), 403)


def test_pickup_has_no_delivery_fee(client: FlaskClient, shop: Shop) -> None:
    order_id = shop.order(client, (shop.cake, 1), delivery_method="pickup").json["id"]
    problem = assert_problem(
        shop.act(client, order_id, "accept", "seller", delivery_fee_idr=5000), 422
    )
    assert "delivery_fee_idr" in problem["errors"]
    assert shop.act(client, order_id, "accept", "seller").json["total_idr"] == 25_000


def test_orders_complete_by_themselves_seven_days_after_shipping(
    app: Flask, client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    order_id = shop.order(client, (shop.cake, 1)).json["id"]
    shop.act(client, order_id, "accept", "seller")
    shop.act(client, order_id, "ready", "seller")
    order = db_session.get(Order, order_id)
    assert order is not None and order.completes_at is not None
    assert (
        order_service.complete_due(db_session, now=order.completes_at - dt.timedelta(minutes=1))
        == 0
    )
    assert order_service.complete_due(db_session, now=order.completes_at) == 1
    db_session.commit()  # events are written when the transaction commits
    completed = client.get(f"/v1/orders/{order_id}", headers=shop.buyer_headers).json
    assert completed["status"] == "completed"
    kinds = client.get("/v1/me/notifications", headers=shop.buyer_headers).json["items"]
    assert kinds[0]["type"] == "order.completed" and kinds[0]["data"]["automatic"] is True


def test_housekeeping_completes_due_orders(
    app: Flask, client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    order_id = shop.order(client, (shop.cake, 1)).json["id"]
    shop.act(client, order_id, "accept", "seller")
    shop.act(client, order_id, "ship", "seller")
    order = db_session.get(Order, order_id)
    assert order is not None
    order.completes_at = utcnow() - dt.timedelta(seconds=1)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "1 order(s) completed" in result.output
    db_session.expire_all()
    assert db_session.get(Order, order_id).status == OrderStatus.COMPLETED  # type: ignore[union-attr]


def test_lists_for_buyers_and_sellers_with_filters(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    first = shop.order(client, (shop.cake, 1)).json["id"]
    second = shop.order(client, (shop.snack, 1)).json["id"]
    shop.act(client, second, "accept", "seller")
    bought = client.get("/v1/orders", headers=shop.buyer_headers).json["items"]
    assert [o["id"] for o in bought] == [second, first]
    assert client.get("/v1/orders?side=seller", headers=shop.buyer_headers).json["items"] == []
    sold = client.get("/v1/orders?side=seller&status=accepted", headers=shop.seller_headers)
    assert [o["id"] for o in sold.json["items"]] == [second]
    both = client.get(
        "/v1/orders?side=seller&status=accepted&status=requested", headers=shop.seller_headers
    )
    assert len(both.json["items"]) == 2
    order = db_session.get(Order, first)
    assert order is not None
    order.created_at = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    db_session.flush()
    ranged = client.get(
        "/v1/orders?created_from=2026-01-01T00:00:00Z&created_to=2026-02-01T00:00:00Z",
        headers=shop.buyer_headers,
    )
    assert [o["id"] for o in ranged.json["items"]] == [first]
    assert_problem(client.get("/v1/orders?status=lost", headers=shop.buyer_headers), 422)
    assert_problem(client.get("/v1/orders?created_from=yesterday", headers=shop.buyer_headers), 422)


def test_notifications_are_read_one_by_one_or_all(
    client: FlaskClient, shop: Shop, auth: Auth
) -> None:
    order_id = shop.order(client, (shop.cake, 1)).json["id"]
    shop.act(client, order_id, "accept", "seller")
    shop.act(client, order_id, "ready", "seller")
    items = client.get("/v1/me/notifications", headers=shop.buyer_headers).json["items"]
    assert len(items) == 2
    read = client.post(f"/v1/me/notifications/{items[0]['id']}/read", headers=shop.buyer_headers)
    assert read.status_code == 200 and read.json["read"] is True
    unread = client.get("/v1/me/notifications?unread=true", headers=shop.buyer_headers).json
    assert [n["id"] for n in unread["items"]] == [items[1]["id"]]
    _, stranger = auth.as_role(Role.BUYER)
    assert_problem(
        client.post(f"/v1/me/notifications/{items[1]['id']}/read", headers=stranger), 404
    )
    marked = client.post("/v1/me/notifications/read-all", headers=shop.buyer_headers)
    assert marked.json == {"marked": 1}
    assert (
        client.get("/v1/me/notifications?unread=true", headers=shop.buyer_headers).json["items"]
        == []
    )


def test_the_buyer_contact_defaults_to_the_account_and_needs_a_phone(
    client: FlaskClient, shop: Shop, auth: Auth, db_session: Session
) -> None:
    user: User = UserFactory(role=Role.BUYER, phone=None)
    headers = auth.headers(user)
    problem = assert_problem(shop.order(client, (shop.cake, 1), headers=headers), 422)
    assert "contact_phone" in problem["errors"]
    made = shop.order(client, (shop.cake, 1), headers=headers, contact_phone="0813 2222 3333")
    assert made.status_code == 201 and made.json["contact"]["phone"] == "+6281322223333"


def test_fulfilment_follows_the_delivery_method_and_dates_are_sane(
    client: FlaskClient, shop: Shop
) -> None:
    pickup = shop.order(client, (shop.cake, 1), delivery_method="pickup").json["id"]
    shop.act(client, pickup, "accept", "seller")
    problem = assert_problem(shop.act(client, pickup, "ship", "seller"), 422)
    assert "delivery_method" in problem["errors"]
    shipping = shop.order(client, (shop.cake, 1), delivery_method="shipping").json["id"]
    past = assert_problem(
        shop.act(client, shipping, "accept", "seller", delivery_date="2020-01-01"), 422
    )
    assert "delivery_date" in past["errors"]
    shop.act(client, shipping, "accept", "seller")
    assert (
        "delivery_method"
        in assert_problem(shop.act(client, shipping, "ready", "seller"), 422)["errors"]
    )
    for paid_at in ("2001-01-01T00:00:00+07:00", "0001-01-01T00:00:00+05:00"):
        early = client.post(
            f"/v1/orders/{shipping}/payment",
            json={"method": "qris", "paid_at": paid_at},
            headers=shop.seller_headers,
        )
        assert "paid_at" in assert_problem(early, 422)["errors"]
    for query in ("created_from=0001-01-01T00:00:00%2B05:00", "created_to=9999-12-31T23:59:59Z"):
        assert_problem(client.get(f"/v1/orders?{query}", headers=shop.buyer_headers), 422)


def _photo_of(client: FlaskClient, shop: Shop) -> Any:
    """A photo added to the shop's cake, as its seller adds one."""
    url = f"/v1/products/{shop.cake.id}/photos"
    return upload(client, url, image_bytes("JPEG", (640, 480)), shop.seller_headers, "kue.jpg")


def test_order_lines_carry_a_thumbnail_of_their_product(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    added = _photo_of(client, shop)
    assert added.status_code == 201, added.json
    order = shop.order(client, (shop.cake, 1), (shop.snack, 1)).json
    with_photo, without = order["items"]
    assert with_photo["thumbnail"] == added.json  # the product's first photo, every width
    assert without["thumbnail"] is None
    listed = client.get("/v1/orders?side=seller", headers=shop.seller_headers).json["items"]
    assert listed[0]["items"][0]["thumbnail"]["urls"]["160"] == added.json["urls"]["160"]


def test_a_listed_order_is_what_reading_it_alone_gives(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    """Lists read orders without the ORM (``orders.documents``); each item must be exactly
    the order as ``GET /v1/orders/{id}`` gives it to the same caller, whatever its state."""
    for _ in range(2):  # two photos: the first by position is the thumbnail
        added = _photo_of(client, shop)
        assert added.status_code == 201, added.json
    gone = ProductFactory(business=shop.business, price_idr=9_000, stock=3)
    placed = [
        shop.order(client, (shop.cake, 1), (shop.snack, 2), (gone, 1), note="Tanpa kacang"),
        shop.order(client, (shop.snack, 1), delivery_method="pickup"),
        shop.order(client, (shop.cake, 1)),
        shop.order(client, (gone, 1)),
    ]
    assert [response.status_code for response in placed] == [201] * 4, [r.json for r in placed]
    ids = [response.json["id"] for response in placed]
    tomorrow = (utcnow() + dt.timedelta(days=1)).date().isoformat()
    for step in (
        shop.act(
            client, ids[0], "accept", "seller", delivery_fee_idr=5_000, delivery_date=tomorrow
        ),
        shop.act(client, ids[0], "payment", "seller", method="qris"),
        shop.act(client, ids[0], "ship", "seller", tracking="JNE 123"),
        shop.act(client, ids[1], "decline", "seller", reason="Stok habis hari ini"),
        shop.act(client, ids[2], "accept", "seller"),
    ):
        assert step.status_code == 200, step.json
    since = utcnow() - dt.timedelta(minutes=5)
    db_session.execute(delete(Product).where(Product.id == gone.id))  # lines keep their copy

    for side, headers in (("buyer", shop.buyer_headers), ("seller", shop.seller_headers)):
        for query in (
            f"side={side}",
            f"side={side}&limit=2",
            f"side={side}&updated_since={since.isoformat().replace('+00:00', 'Z')}",
        ):
            listed = items_of(client, f"/v1/orders?{query}", headers)
            assert sorted(o["id"] for o in listed) == sorted(ids), query
            for item in listed:
                alone = client.get(f"/v1/orders/{item['id']}", headers=headers)
                assert item == alone.json, (side, item["status"])
    shipped = client.get(f"/v1/orders/{ids[0]}", headers=shop.buyer_headers).json
    assert shipped["payment"]["method"] == "qris" and shipped["tracking"] == "JNE 123"
    assert [line["thumbnail"] is not None for line in shipped["items"]] == [True, False, False]
    assert shipped["items"][2]["product_id"] is None and shipped["allowed_actions"] == ["complete"]


def test_a_page_of_orders_is_never_kept_compressed(
    client: FlaskClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Her orders carry her name, phone and address: their page is compressed for each
    answer, never kept in the process's store of public documents' compressed bodies."""
    import gzip
    import json

    for _ in range(3):
        shop.order(client, (shop.snack, 1))
    compressed = count_compressions(monkeypatch)
    packed = {**shop.buyer_headers, "Accept-Encoding": "gzip"}
    answers = [client.get("/v1/orders", headers=packed) for _ in range(2)]
    assert all(a.headers["Content-Encoding"] == "gzip" for a in answers)
    assert len(compressed) == 2  # compressed each time: nothing was kept to send again
    page = json.loads(gzip.decompress(answers[1].data))
    assert len(page["items"]) == 3 and page["items"][0]["contact"]["phone"] == "+6281311112222"


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_cursor_at_the_calendars_edge_is_a_422(
    client: FlaskClient, shop: Shop, edge: str
) -> None:
    import base64
    import json

    payload = {"s": "-created_at", "v": [{"dt": edge}, "ord_x"]}
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    answer = client.get(f"/v1/orders?cursor={cursor}", headers=shop.buyer_headers)
    assert "cursor" in assert_problem(answer, 422, "validation_failed")["errors"]
