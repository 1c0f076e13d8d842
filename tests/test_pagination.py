"""Cursor pagination: complete walks, Link headers, sort keys, refused cursors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.pagination import encode_cursor
from tests.factories import OrganizationFactory, ProductFactory
from tests.helpers import assert_problem

ORGS = "/v1/organizations"


def walk(client: FlaskClient, url: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    pages = 0
    while url:
        assert pages < 1000, "paging does not advance"
        response = client.get(url)
        assert response.status_code == 200, response.json
        body = response.json
        assert set(body) == {"items", "next_cursor"}
        items.extend(body["items"])
        pages += 1
        if body["next_cursor"]:
            link = response.headers["Link"]
            assert link.endswith('>; rel="next"')
            target = urlparse(link[1 : link.index(">")])
            assert parse_qs(target.query)["cursor"] == [body["next_cursor"]]
            url = f"{target.path}?{target.query}"
        else:
            assert "Link" not in response.headers
            url = ""
    return items


def test_walking_pages_sees_every_row_once_in_order(client: FlaskClient) -> None:
    # Equal names force the id tiebreak to keep the order total.
    for name in ["Beta", "Alfa", "Beta", "Delta", "Charlie", "Beta", "Alfa"]:
        OrganizationFactory(name=name)
    everything = client.get(f"{ORGS}?limit=100").json["items"]
    paged = walk(client, f"{ORGS}?limit=2")
    assert [o["id"] for o in paged] == [o["id"] for o in everything]
    assert len({o["id"] for o in paged}) == len(paged) == 7
    names = [o["name"] for o in paged]
    assert names == sorted(names)
    descending = walk(client, f"{ORGS}?limit=3&sort=-name")
    assert [o["name"] for o in descending] == sorted(names, reverse=True)
    newest = walk(client, f"{ORGS}?limit=3&sort=-created_at")
    assert [o["id"] for o in newest] == sorted((o["id"] for o in paged), reverse=True)


def test_filters_stay_with_the_cursor(client: FlaskClient) -> None:
    for i in range(5):
        OrganizationFactory(name=f"Cari {i}")
        OrganizationFactory(name=f"Lain {i}")
    found = walk(client, f"{ORGS}?limit=2&q=cari")
    assert [o["name"] for o in found] == [f"Cari {i}" for i in range(5)]


def test_bad_page_arguments_are_422(client: FlaskClient) -> None:
    OrganizationFactory()
    for query, field in (
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("sort=password", "sort"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + encode_cursor("-name", ["x", "org_x"]), "cursor"),
        ("cursor=" + encode_cursor("name", ["only-one-value"]), "cursor"),
        ("cursor=" + encode_cursor("name", [{"evil": 1}, "org_x"]), "cursor"),
    ):
        problem = assert_problem(client.get(f"{ORGS}?{query}"), 422, "validation_failed")
        assert field in problem["errors"], (query, problem)


def test_rows_read_past_the_orm_see_what_the_session_has_not_written_yet(
    db_session: Session,
) -> None:
    """``read_rows`` skips the ORM's layer of execution but not its autoflush: a page read
    after a change in the same session (a write that answers with a list) includes it."""
    from sqlalchemy import select

    from api.db import read_rows
    from api.models import Product

    product = ProductFactory()
    db_session.flush()
    product.name = "Kue lapis, baru"  # changed, not flushed
    added = ProductFactory.build(business=product.business)
    db_session.add(added)  # added, not flushed
    rows = read_rows(
        db_session,
        select(Product.id, Product.name).where(Product.business_id == product.business_id),
    ).all()
    assert {(r.id, r.name) for r in rows} == {
        (product.id, "Kue lapis, baru"),
        (added.id, added.name),
    }
