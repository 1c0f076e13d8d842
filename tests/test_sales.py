"""Off-platform sales and the monthly summary of on- and off-platform sales (months in WIB)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.dates import today
from api.models import OffPlatformSale, Order, Role
from tests.conftest import Auth
from tests.factories import ProductFactory
from tests.helpers import Shop, assert_problem, completed_order


@pytest.fixture
def shop(auth: Auth) -> Shop:
    return Shop(auth)


def test_a_sale_is_recorded_listed_and_deleted(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    url = f"/v1/businesses/{shop.business.id}/sales"
    body = {
        "sold_on": "2026-10-05",
        "amount_idr": 150_000,
        "channel": "market_stall",
        "product_id": shop.cake.id,
        "quantity": 6,
        "note": "Bazar RW 05",
    }
    made = client.post(url, json=body, headers=shop.seller_headers)
    assert made.status_code == 201, made.json
    assert made.json["amount_idr"] == 150_000 and made.json["channel"] == "market_stall"
    listed = client.get(url, headers=shop.seller_headers).json["items"]
    assert [s["id"] for s in listed] == [made.json["id"]]
    deleted = client.delete(f"{url}/{made.json['id']}", headers=shop.seller_headers)
    assert deleted.status_code == 204
    assert db_session.scalar(select(func.count()).select_from(OffPlatformSale)) == 0
    assert_problem(client.delete(f"{url}/{made.json['id']}", headers=shop.seller_headers), 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_idr": 0}, "amount_idr"),
        ({"amount_idr": -5}, "amount_idr"),
        ({"amount_idr": 12.5}, "amount_idr"),
        ({"amount_idr": 10**15}, "amount_idr"),
        ({"channel": "telepati"}, "channel"),
        ({"sold_on": "2026-13-01"}, "sold_on"),
        ({"sold_on": "future"}, "sold_on"),
        ({"quantity": 0}, "quantity"),
        ({"product_id": "other"}, "product_id"),
        ({"business_id": "bus_x"}, "business_id"),
    ],
)
def test_bad_sales_are_refused(
    client: FlaskClient, shop: Shop, db_session: Session, change: dict, field: str
) -> None:
    body = {"sold_on": "2026-10-05", "amount_idr": 10_000, "channel": "whatsapp", **change}
    if body["sold_on"] == "future":
        body["sold_on"] = (today() + dt.timedelta(days=2)).isoformat()
    if body.get("product_id") == "other":
        body["product_id"] = ProductFactory().id
    url = f"/v1/businesses/{shop.business.id}/sales"
    problem = assert_problem(client.post(url, json=body, headers=shop.seller_headers), 422)
    assert field in problem["errors"]
    assert db_session.scalar(select(func.count()).select_from(OffPlatformSale)) == 0


def test_only_the_owner_records_and_reads_figures(
    client: FlaskClient, shop: Shop, auth: Auth
) -> None:
    body = {"sold_on": "2026-10-05", "amount_idr": 10_000, "channel": "whatsapp"}
    base = f"/v1/businesses/{shop.business.id}"
    _, other = auth.as_role(Role.ALUMNA)
    assert_problem(client.post(f"{base}/sales", json=body, headers=other), 403)
    assert_problem(client.get(f"{base}/sales", headers=other), 403)
    assert_problem(client.get(f"{base}/sales-summary", headers=other), 403)
    assert_problem(client.get(f"{base}/sales-summary"), 401)
    _, admin = auth.as_role(Role.ADMIN)
    assert client.get(f"{base}/sales-summary", headers=admin).status_code == 200


def test_the_summary_adds_orders_and_off_platform_sales_by_month_in_wib(
    client: FlaskClient, shop: Shop, db_session: Session
) -> None:
    # An order completed at 00:30 WIB on 1 February (17:30 UTC on 31 January) is February's.
    feb = db_session.get(Order, completed_order(client, shop, (shop.cake, 2)))
    jan = db_session.get(Order, completed_order(client, shop, (shop.snack, 1)))
    assert feb is not None and jan is not None
    feb.completed_at = dt.datetime(2026, 1, 31, 17, 30, tzinfo=dt.UTC)
    jan.completed_at = dt.datetime(2026, 1, 31, 16, 59, tzinfo=dt.UTC)  # 23:59 WIB
    open_order = shop.order(client, (shop.cake, 1)).json["id"]  # not completed: not counted
    db_session.flush()
    url = f"/v1/businesses/{shop.business.id}"
    for day, amount in (("2026-02-10", 40_000), ("2026-02-28", 60_000), ("2026-04-01", 5_000)):
        client.post(
            f"{url}/sales",
            json={"sold_on": day, "amount_idr": amount, "channel": "whatsapp"},
            headers=shop.seller_headers,
        )
    summary = client.get(
        f"{url}/sales-summary?from=2026-01&to=2026-04", headers=shop.seller_headers
    )
    assert summary.status_code == 200, summary.json
    months = {m["month"]: m for m in summary.json["months"]}
    assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert (months["2026-01"]["on_platform_orders"], months["2026-01"]["on_platform_idr"]) == (
        1,
        12_500,
    )
    assert months["2026-02"] == {
        "month": "2026-02",
        "on_platform_orders": 1,
        "on_platform_idr": 50_000,
        "off_platform_sales": 2,
        "off_platform_idr": 100_000,
        "total_idr": 150_000,
    }
    assert months["2026-03"]["total_idr"] == 0
    assert summary.json["totals"]["total_idr"] == 12_500 + 50_000 + 100_000 + 5_000
    assert (summary.json["from"], summary.json["to"]) == ("2026-01", "2026-04")
    assert open_order

    default = client.get(f"{url}/sales-summary", headers=shop.seller_headers).json
    assert len(default["months"]) == 12 and default["to"] == today().strftime("%Y-%m")
    for query in (
        "from=2026-05&to=2026-01",
        "from=2020-01&to=2026-01",
        "from=2026-1x",
        "to=9999-12",
        "from=0001-01&to=0001-03",
        "from=2026-01-15",
    ):
        assert_problem(client.get(f"{url}/sales-summary?{query}", headers=shop.seller_headers), 422)
