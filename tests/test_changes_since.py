"""Changes since (``updated_since``): what changed, oldest first, tombstones for what left, and
a reader paging while writers commit in parallel misses nothing."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from api.dates import rfc3339
from api.db import utcnow
from api.models import (
    Availability,
    Business,
    BusinessStatus,
    Category,
    Event,
    Product,
    ProductChange,
    ProductStatus,
    Role,
    RowChange,
    User,
)
from api.services.regions import load_regions
from api.state import get_state
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import Shop, assert_problem, category_id
from tests.worlds import School


def changes(client: FlaskClient, url: str, since: str, **query: Any) -> dict[str, Any]:
    """Every page of ``url``'s changes since ``since``: items and tombstones by id, in the
    order met, and the last page's ``updated_until``."""
    items: dict[str, Any] = {}
    deleted: list[str] = []
    cursor = None
    headers = query.pop("headers", {})
    while True:
        args = {**query, "updated_since": since, **({"cursor": cursor} if cursor else {})}
        page = client.get(url, query_string=args, headers=headers)
        assert page.status_code == 200, page.json
        body = page.json
        for item in body["items"]:
            items[item.get("id", item.get("code"))] = item
        deleted += [t["id"] for t in body["deleted"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return {"items": items, "deleted": deleted, "until": body["updated_until"]}


def stamp() -> str:
    """Now, as an app would send it: what a test's fixtures wrote before is not a change since
    (a second earlier, as before, let the shop's own making show up in a fast run). The wire
    has millisecond precision: a write in the same millisecond, before or after, would be on
    either side of it, so the stamp is taken with a clear millisecond on each side."""
    time.sleep(0.002)
    now = str(rfc3339(utcnow()))
    time.sleep(0.002)
    return now


def test_products_that_change_leave_and_come_back(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    shop = Shop(auth)
    since = stamp()
    query = {"business": shop.business.id}
    nothing = changes(client, "/v1/products", since, **query)
    assert nothing == {"items": {}, "deleted": [], "until": since}
    etag = client.get(f"/v1/products/{shop.cake.id}", headers=shop.seller_headers).headers["ETag"]
    patched = client.patch(
        f"/v1/products/{shop.cake.id}",
        json={"price_idr": 26_000},
        headers={**shop.seller_headers, "If-Match": etag},
    )
    assert patched.status_code == 200
    first = changes(client, "/v1/products", since, **query)
    assert list(first["items"]) == [shop.cake.id] and first["deleted"] == []
    assert first["items"][shop.cake.id]["price_idr"] == 26_000
    # Unpublished: a tombstone for whoever mirrors the catalogue; another shop's changes are
    # not in this business's sync, while the whole catalogue's has them.
    client.post(f"/v1/products/{shop.snack.id}/unpublish", headers=shop.seller_headers)
    neighbour, neighbour_headers = auth.as_role(Role.ALUMNA)
    other = ProductFactory(business=BusinessFactory(owner_id=neighbour.id))
    client.post(f"/v1/products/{other.id}/unpublish", headers=neighbour_headers)
    second = changes(client, "/v1/products", first["until"], **query)
    assert second["deleted"] == [shop.snack.id] and shop.snack.id not in second["items"]
    everything = changes(client, "/v1/products", first["until"])
    assert {shop.snack.id, other.id} <= set(everything["deleted"])
    # A new draft is its owner's: not even a tombstone for the public.
    draft = client.post(
        f"/v1/businesses/{shop.business.id}/products",
        json={
            "name": "Kue rahasia",
            "category_id": shop.cake.category_id,
            "price_idr": 5_000,
            "unit": "buah",
            "availability": "in_stock",
            "stock": 2,
        },
        headers=shop.seller_headers,
    ).json["id"]
    public = changes(client, "/v1/products", second["until"], **query)
    assert draft not in public["items"] and draft not in public["deleted"]
    own = f"/v1/businesses/{shop.business.id}/products"
    mine = changes(client, own, second["until"], headers=shop.seller_headers)
    assert draft in mine["items"]
    theirs = changes(client, own, second["until"])
    assert draft not in theirs["items"] and draft not in theirs["deleted"]
    # A business that pauses takes its products out of the catalogue.
    client.post(f"/v1/businesses/{shop.business.id}/pause", headers=shop.seller_headers)
    gone = changes(client, "/v1/products", public["until"], **query)
    assert shop.cake.id in gone["deleted"] and not gone["items"]
    left = changes(client, "/v1/businesses", public["until"])
    assert shop.business.id in left["deleted"]
    # Back: published again, it is an item again.
    client.post(f"/v1/businesses/{shop.business.id}/activate", headers=shop.seller_headers)
    back = changes(client, "/v1/products", gone["until"], **query)
    assert shop.cake.id in back["items"]
    # A write in bulk (a verified graduate; a rating counter) is a change too.
    db_session.execute(
        update(Business).where(Business.id == shop.business.id).values(verified_graduate=True)
    )
    db_session.commit()
    verified = changes(client, "/v1/businesses", back["until"], headers=shop.seller_headers)
    assert shop.business.id in verified["items"]
    again = changes(client, "/v1/products", back["until"], view="full", **query)
    assert again["items"][shop.cake.id]["business"]["verified_graduate"] is True


def test_a_changes_page_is_compact_by_default(client: FlaskClient, auth: Auth) -> None:
    """Changes of a list with compact items: compact items, whole ones with ``view=full``,
    the sync point and tombstones in every view, and ``fields`` picking from each item."""
    shop = Shop(auth)
    since = stamp()
    client.post(f"/v1/products/{shop.snack.id}/unpublish", headers=shop.seller_headers)
    client.post(f"/v1/products/{shop.cake.id}/unpublish", headers=shop.seller_headers)
    client.post(f"/v1/products/{shop.cake.id}/publish", headers=shop.seller_headers)
    query = {"business": shop.business.id, "updated_since": since}
    sent = client.get("/v1/products", query_string=query)
    compact = sent.json
    # Sent as compact JSON throughout, its tombstones too (joined from encoded items).
    assert sent.get_data(as_text=True) == json.dumps(compact, separators=(",", ":"))
    assert [i["id"] for i in compact["items"]] == [shop.cake.id]
    assert compact["items"][0]["href"] == f"/v1/products/{shop.cake.id}"
    assert "description" not in compact["items"][0]
    assert [t["id"] for t in compact["deleted"]] == [shop.snack.id]
    assert compact["updated_until"] and compact["next_cursor"] is None
    full = client.get("/v1/products", query_string={**query, "view": "full"}).json
    assert "description" in full["items"][0] and "href" not in full["items"][0]
    assert full["deleted"] == compact["deleted"]
    assert full["updated_until"] == compact["updated_until"]
    picked = client.get("/v1/products", query_string={**query, "fields": "id,price_idr"}).json
    assert picked["items"] == [{"id": shop.cake.id, "price_idr": shop.cake.price_idr}]
    assert picked["deleted"] == compact["deleted"]
    # The same on a list read from the database (a business's products, for its owner).
    own = f"/v1/businesses/{shop.business.id}/products"
    mine = client.get(
        own, query_string=query | {"fields": "id,status"}, headers=shop.seller_headers
    )
    assert mine.status_code == 200, mine.json
    statuses = {i["id"]: i["status"] for i in mine.json["items"]}
    assert statuses[shop.cake.id] == "published" and statuses[shop.snack.id] != "published"
    assert mine.json["deleted"] == [] and mine.json["updated_until"]


def test_pages_in_change_order_and_refusals(client: FlaskClient, auth: Auth) -> None:
    shop = Shop(auth)
    since = stamp()
    for product in (shop.snack, shop.cake, shop.snack):
        client.post(f"/v1/products/{product.id}/unpublish", headers=shop.seller_headers)
        client.post(f"/v1/products/{product.id}/publish", headers=shop.seller_headers)
    query = {"business": shop.business.id, "updated_since": since}
    whole = client.get("/v1/products", query_string=query).json
    # Each product once, at its latest change: the snack changed last.
    assert [i["id"] for i in whole["items"]] == [shop.cake.id, shop.snack.id]
    pages, cursor = [], None
    while True:
        args = {**query, "limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/v1/products", query_string=args)
        pages.append([i["id"] for i in answer.json["items"]])
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break
        assert 'rel="next"' in answer.headers["Link"]
    assert pages == [[shop.snack.id], [shop.cake.id], [shop.snack.id]]
    for bad in ("yesterday", "2026-12-01T08:00:00", "2026-13-01T08:00:00Z"):
        assert_problem(client.get("/v1/products", query_string={"updated_since": bad}), 422)
    both = {"updated_since": since, "q": "kue"}
    assert_problem(client.get("/v1/products", query_string=both), 422)
    forged = {"updated_since": since, "cursor": "eyJzIjoiY2hhbmdlcyIsInYiOlsieCJdfQ"}
    assert_problem(client.get("/v1/products", query_string=forged), 422)


def test_other_lists_apps_cache(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    shop = Shop(auth)
    since = stamp()
    _, admin = auth.as_role(Role.ADMIN)
    made = client.post(
        "/v1/categories",
        json={"slug": f"sync-{uuid.uuid4().hex[:6]}", "name_en": "Sync", "name_id": "Sinkron"},
        headers=admin,
    )
    assert made.status_code == 201, made.json
    assert made.json["id"] in changes(client, "/v1/categories", since)["items"]
    order = shop.order(client, (shop.cake, 1))
    assert order.status_code == 201, order.json
    seller = changes(client, "/v1/orders", since, side="seller", headers=shop.seller_headers)
    assert order.json["id"] in seller["items"]
    buyer = changes(client, "/v1/orders", since, headers=shop.buyer_headers)
    assert order.json["id"] in buyer["items"]
    _, stranger = auth.as_role(Role.ALUMNA)
    other = changes(client, "/v1/orders", since, side="seller", headers=stranger)
    assert other == {"items": {}, "deleted": [], "until": since}
    assert category_id(db_session, "traditional-cakes")


def test_an_update_of_the_official_regions(
    client: FlaskClient, connection: Connection, tmp_path: Path
) -> None:
    since = stamp()
    update = tmp_path / "regions.csv"
    update.write_text("code,name\n32.75.11,Mustika Jaya\n32.75.10,Jatisampurna\n", encoding="utf-8")
    load_regions(connection, path=update, echo=lambda _: None)
    found = changes(client, "/v1/regions", since, parent="32.75")
    assert list(found["items"]) == ["32.75.11"]  # the one whose name changed
    assert found["items"]["32.75.11"]["name"] == "Mustika Jaya" and not found["deleted"]
    assert changes(client, "/v1/regions", since, parent="32.71")["items"] == {}
    listed = client.get("/v1/regions", query_string={"updated_since": since})
    assert (
        "Cache-Control" not in listed.headers
        or "max-age=86400" not in listed.headers["Cache-Control"]
    )


# -- writers in parallel ------------------------------------------------------------------------


@pytest.fixture
def stall(live_app: Flask) -> Iterator[tuple[str, list[str]]]:
    """A committed business with eight published products (this test commits for real)."""
    state = get_state(live_app)
    with state.new_session() as session:
        owner = User(
            name="Penjual Sinkron",
            email=f"sync-{uuid.uuid4().hex[:8]}@example.id",
            role=Role.ALUMNA,
            password_hash="x",
        )
        session.add(owner)
        session.flush()
        business = Business(
            owner_id=owner.id,
            name="Usaha Sinkron",
            slug=f"usaha-sinkron-{uuid.uuid4().hex[:6]}",
            category_id=session.scalar(select(Category.id).where(Category.slug == "snacks-cakes")),
            village_code="32.75.11.1004",
            district_code="32.75.11",
            regency_code="32.75",
            status=BusinessStatus.ACTIVE,
        )
        session.add(business)
        session.flush()
        products = [
            Product(
                business_id=business.id,
                name=f"Kue sinkron {i}",
                slug=f"kue-sinkron-{i}-{uuid.uuid4().hex[:4]}",
                category_id=business.category_id,
                price_idr=10_000,
                unit="loyang",
                availability=Availability.IN_STOCK,
                stock=5,
                status=ProductStatus.PUBLISHED,
            )
            for i in range(8)
        ]
        session.add_all(products)
        session.commit()
        ids = [p.id for p in products]
        business_id, owner_id = business.id, owner.id
    yield business_id, ids
    with state.new_session() as session:
        subjects = [*ids, business_id]
        session.execute(delete(RowChange).where(RowChange.subject_id.in_(subjects)))
        session.execute(delete(Event).where(Event.subject_id.in_(subjects)))
        session.execute(delete(ProductChange).where(ProductChange.product_id.in_(ids)))
        session.execute(delete(Product).where(Product.id.in_(ids)))
        session.execute(delete(Business).where(Business.id == business_id))
        session.execute(delete(User).where(User.id == owner_id))
        session.commit()


def test_a_reader_paging_while_writers_commit_misses_nothing(
    live_app: Flask, stall: tuple[str, list[str]]
) -> None:
    business_id, ids = stall
    state = get_state(live_app)
    mirror: dict[str, int] = {}
    since = str(rfc3339(utcnow() - dt.timedelta(seconds=1)))
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        rng = random.Random(worker)
        try:
            for step in range(15):
                with state.new_session() as session:
                    # Each writer her own two products: the commits race, not the rows.
                    product = session.get(Product, rng.choice(ids[worker * 2 : worker * 2 + 2]))
                    assert product is not None
                    product.price_idr = 10_000 + worker * 1_000 + step
                    if step % 5 == 4:  # now and then one leaves the catalogue, or comes back
                        published = product.status == ProductStatus.PUBLISHED
                        product.status = (
                            ProductStatus.DRAFT if published else ProductStatus.PUBLISHED
                        )
                    session.flush()
                    # Hold the transaction open: a commit that lands after later ones.
                    threading.Event().wait(rng.random() * 0.03)
                    session.commit()
        except BaseException as error:
            errors.append(error)

    def sync(client: FlaskClient, since: str) -> str:
        cursor = None
        while True:
            args = {"business": business_id, "updated_since": since, "limit": 3}
            if cursor:
                args["cursor"] = cursor
            body = client.get("/v1/products", query_string=args).json
            for item in body["items"]:
                mirror[item["id"]] = item["price_idr"]
            for tombstone in body["deleted"]:
                mirror.pop(tombstone["id"], None)
            cursor = body["next_cursor"]
            if cursor is None:
                return str(body["updated_until"])

    client = live_app.test_client()
    since = sync(client, since)  # nothing yet: the mirror starts from the full list
    with state.new_session() as session:
        for product in session.scalars(select(Product).where(Product.id.in_(ids))):
            mirror[product.id] = product.price_idr
    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        since = sync(client, since)
    for thread in writers:
        thread.join(timeout=60)
    since = sync(client, since)
    assert not errors, errors
    with state.new_session() as session:
        truth = {
            p.id: p.price_idr
            for p in session.scalars(select(Product).where(Product.id.in_(ids)))
            if p.status == ProductStatus.PUBLISHED
        }
    assert mirror == truth


def test_courses_sync_like_the_other_catalogues(client: FlaskClient, auth: Auth) -> None:
    """``GET /v1/courses?updated_since=``: courses published, changed or given a module since,
    archived ones as tombstones; a draft's changes reach its publisher's members only, on the
    list of drafts; ``publisher`` keeps other publishers' courses out."""
    school = School(auth)
    kept = school.published(client)
    archived = school.published(client)
    untouched = school.published(client)
    since = stamp()
    fresh = school.published(client)
    extra_module = school.module(client, kept["id"], "Modul tambahan")
    assert extra_module
    gone = client.post(f"/v1/courses/{archived['id']}/archive", headers=school.mentor_h)
    assert gone.status_code == 200, gone.json
    draft = school.course(client, title="Masih draf").json
    public = changes(client, "/v1/courses", since)
    assert set(public["items"]) == {fresh["id"], kept["id"]}
    assert public["items"][kept["id"]]["module_count"] == 3
    assert public["deleted"] == [archived["id"]] and public["until"]
    assert untouched["id"] not in public["items"] and draft["id"] not in public["deleted"]
    # The publisher's members sync their drafts; nobody else learns of them.
    drafts = changes(client, "/v1/courses", since, status="draft", headers=school.mentor_h)
    assert set(drafts["items"]) == {draft["id"]}
    assert archived["id"] not in drafts["items"]
    stranger = changes(client, "/v1/courses", since, status="draft", headers=school.partner_h)
    assert stranger["items"] == {} and draft["id"] not in stranger["deleted"]
    shelved = changes(client, "/v1/courses", since, status="archived", headers=school.mentor_h)
    assert set(shelved["items"]) == {archived["id"]}
    # Another publisher's course stays out of a sync by publisher.
    theirs = school.course(client, school.partner_h, organization_id=school.company.id).json
    module = {"title": "Modul 1", "body": "Buku kas harian."}
    url = f"/v1/courses/{theirs['id']}"
    client.post(f"{url}/modules", json=module, headers=school.partner_h)
    assert client.post(f"{url}/publish", headers=school.partner_h).status_code == 200
    mine = changes(client, "/v1/courses", since, publisher=school.university.id)
    assert set(mine["items"]) == {fresh["id"], kept["id"]}
    assert mine["deleted"] == [archived["id"]]
    everyone = changes(client, "/v1/courses", since)
    assert len(everyone["items"]) == 3
    assert_problem(client.get("/v1/courses", query_string={"updated_since": "yesterday"}), 422)
