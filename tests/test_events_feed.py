"""The events feed: written with the change, in commit order, what each caller may see,
tombstones when things leave the catalogue, filters and paging, kept 90 days."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.ids import new_id
from api.models import Category, Event, MemberRole, Product, Role, RowChange, User
from api.services import events as events_service
from api.state import get_state
from tests.conftest import Auth
from tests.factories import OrganizationFactory, ProductFactory, member_of
from tests.helpers import assert_problem, category_id, place_order


def feed(client: FlaskClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    answer = client.get("/v1/events", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json  # type: ignore[no-any-return]


def now(client: FlaskClient, headers: dict[str, str]) -> int:
    """The feed's end for this caller (other tests may have committed events)."""
    page = {"next_after": 0, "has_more": True}
    while page["has_more"]:
        page = feed(client, headers, after=page["next_after"], limit=1000)
    return int(page["next_after"])


def types_of(page: dict[str, Any]) -> list[str]:
    return [e["type"] for e in page["items"]]


@pytest.fixture
def app_key(client: FlaskClient, auth: Auth) -> dict[str, str]:
    """An unrelated company's app with events:read."""
    org = OrganizationFactory()
    admin, admin_h = auth.as_role(Role.PARTNER)
    member_of(org, admin, MemberRole.ADMIN)
    made = client.post(
        f"/v1/organizations/{org.id}/api-keys",
        json={"name": "Agregator", "scopes": ["events:read", "catalogue:read"]},
        headers=admin_h,
    )
    return {"X-API-Key": made.json["secret"]}


def start_selling(client: FlaskClient, headers: dict[str, str], db_session: Session) -> tuple:
    business = client.post(
        "/v1/businesses",
        json={
            "name": "Dapur Bu Rina",
            "category_id": category_id(db_session, "snacks-cakes"),
            "village_code": "32.75.11.1004",
        },
        headers=headers,
    ).json
    product = client.post(
        f"/v1/businesses/{business['id']}/products",
        json={
            "name": "Kue nastar",
            "category_id": category_id(db_session, "snacks-cakes"),
            "price_idr": 85000,
            "unit": "toples",
            "availability": "in_stock",
            "stock": 5,
        },
        headers=headers,
    ).json
    assert (
        client.post(f"/v1/businesses/{business['id']}/activate", headers=headers).status_code == 200
    )
    assert client.post(f"/v1/products/{product['id']}/publish", headers=headers).status_code == 200
    return business, product


def test_the_catalogue_appears_in_everyones_feed_drafts_only_in_the_owners(
    client: FlaskClient, auth: Auth, db_session: Session, app_key: dict[str, str]
) -> None:
    start = now(client, app_key)
    _, alumna_h = auth.as_role(Role.ALUMNA)
    business, product = start_selling(client, alumna_h, db_session)

    public = feed(client, app_key, after=start)
    assert types_of(public) == ["business.published", "product.published"]
    published = public["items"][1]
    assert published["subject"] == {"type": "product", "id": product["id"]}
    assert published["data"]["price_idr"] == 85000 and published["tombstone"] is False
    assert published["seq"] > public["items"][0]["seq"] and published["id"].startswith("evt_")

    own = feed(client, alumna_h, after=start)
    assert types_of(own) == [
        "business.created",
        "product.created",
        "business.published",
        "product.published",
    ]

    # A price change is public; archiving leaves a tombstone; the draft edit after it is private.
    etag = client.get(f"/v1/products/{product['id']}", headers=alumna_h).headers["ETag"]
    changed = client.patch(
        f"/v1/products/{product['id']}",
        json={"price_idr": 90000},
        headers={**alumna_h, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.json
    assert client.post(f"/v1/products/{product['id']}/archive", headers=alumna_h).status_code == 200
    after_publish = feed(client, app_key, after=published["seq"])
    assert types_of(after_publish) == ["product.updated", "product.deleted"]
    updated, deleted = after_publish["items"]
    assert updated["data"]["changed"] == ["price_idr"] and updated["data"]["price_idr"] == 90000
    assert deleted["tombstone"] is True and deleted["data"] == {
        "reason": "archived",
        "business_id": business["id"],
    }


def test_private_events_reach_their_parties_only(
    client: FlaskClient, auth: Auth, db_session: Session, app_key: dict[str, str]
) -> None:
    product = ProductFactory()
    start = now(client, app_key)
    _, buyer_h = auth.as_role(Role.BUYER)
    placed = place_order(client, product.business_id, product.id, buyer_h)
    assert placed.status_code == 201
    assert "order.requested" in types_of(feed(client, buyer_h, after=start))
    seller_h = auth.headers(db_session.get(User, product.business.owner_id))
    assert "order.requested" in types_of(feed(client, seller_h, after=start))
    # Stock went down: the public sees the product change, not the order.
    assert types_of(feed(client, app_key, after=start)) == ["product.updated"]
    _, stranger_h = auth.as_role(Role.BUYER)
    assert types_of(feed(client, stranger_h, after=start)) == ["product.updated"]


def test_a_change_that_fails_writes_no_event(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    product = ProductFactory(availability="pre_order", lead_days=2, stock=None)
    owner_h = auth.headers(db_session.get(User, product.business.owner_id))
    start = now(client, owner_h)
    etag = client.get(f"/v1/products/{product.id}", headers=owner_h).headers["ETag"]
    refused = client.patch(
        f"/v1/products/{product.id}",
        json={"availability": "in_stock"},  # no stock: refused after the change was applied
        headers={**owner_h, "If-Match": etag},
    )
    assert_problem(refused, 422)
    assert feed(client, owner_h, after=start)["items"] == []
    about = select(func.count()).select_from(Event).where(Event.subject_id == product.id)
    assert db_session.scalar(about) == 0


def test_filters_and_pages(
    client: FlaskClient, auth: Auth, db_session: Session, app_key: dict[str, str]
) -> None:
    start = now(client, app_key)
    _, alumna_h = auth.as_role(Role.ALUMNA)
    start_selling(client, alumna_h, db_session)
    start_selling(client, alumna_h, db_session)
    products = feed(client, app_key, after=start, types="product.*")
    assert types_of(products) == ["product.published", "product.published"]
    exact = feed(client, app_key, after=start, types="business.published,need.posted")
    assert types_of(exact) == ["business.published", "business.published"]

    first = client.get("/v1/events", query_string={"after": start, "limit": 3}, headers=app_key)
    assert first.json["has_more"] is True and len(first.json["items"]) == 3
    assert f"after={first.json['next_after']}" in first.headers["Link"]
    rest = feed(client, app_key, after=first.json["next_after"], limit=3)
    assert rest["has_more"] is False and len(rest["items"]) == 1
    quiet = feed(client, app_key, after=rest["next_after"])
    assert quiet == {"items": [], "next_after": rest["next_after"], "has_more": False}

    for bad in (
        {"types": "product"},
        {"types": "Product.*"},
        {"after": -1},
        {"limit": 0},
        {"after": "abc"},
        {"types": ",".join(["a.b"] * 31)},
    ):
        assert_problem(client.get("/v1/events", query_string=bad, headers=app_key), 422)
    assert_problem(client.get("/v1/events"), 401)


def test_housekeeping_keeps_events_90_days(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    product = ProductFactory()
    owner_h = auth.headers(db_session.get(User, product.business.owner_id))
    start = now(client, owner_h)
    for days in (89, 91):
        db_session.add(
            Event(
                type="product.updated",
                subject_type="product",
                subject_id=product.id,
                data={"days": days},
                public=True,
                occurred_at=utcnow() - dt.timedelta(days=days),
            )
        )
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["housekeeping"], catch_exceptions=False)
    assert "1 event(s) older than 90 days deleted" in result.output
    kept = feed(client, owner_h, after=start)["items"]
    assert [e["data"]["days"] for e in kept] == [89]


# -- commit order on PostgreSQL ----------------------------------------------------------------


@dataclass
class _Race:
    seen: list[int]  # the events a reader saw while the first writer was held
    seqs: dict[str, int]
    waited: bool  # the second writer was still committing then
    read_at: dt.datetime  # when the reader looked
    logged_at: dt.datetime  # the change log's time for the second writer's category


def _two_writers(live_app: Flask, *, slow_under_lock: bool) -> _Race:
    """Two transactions write an event each (the second a category too, which the change log
    follows); the first is held at its commit, under the events' lock or before it, while the
    second commits."""
    state = get_state(live_app)
    product_id = "prd_commit_order_test"
    category = Category(slug=f"commit-order-{new_id('')}".lower(), name_id="U", name_en="U")
    inside, release = threading.Event(), threading.Event()

    def slow(session: Session, written: Any) -> Callable[[], None] | None:
        if not session.info.get("slow"):
            return None

        def held() -> None:  # under the events' lock, its seq taken
            inside.set()
            release.wait(10)

        if slow_under_lock:
            return held
        held()  # before the lock: what a listener reads and decides (webhooks, messages)
        return None

    events_service.on_written(slow)
    seqs: dict[str, int] = {}

    def write(name: str, slow_commit: bool) -> None:
        with state.new_session() as session:
            session.info["slow"] = slow_commit
            if name == "second":
                session.add(category)
            made = events_service.record(
                session,
                type="product.updated",
                subject=Product(id=product_id),
                actor=None,
                public=True,
            )
            session.commit()
            seqs[name] = made.seq

    try:
        with state.new_session() as session:
            before = session.scalar(select(func.max(Event.seq))) or 0
        first = threading.Thread(target=write, args=("first", True))
        first.start()
        assert inside.wait(10)
        second = threading.Thread(target=write, args=("second", False))
        second.start()
        second.join(0.5)  # the second transaction commits by then unless the lock holds it
        with state.new_session() as session:
            seen = list(session.scalars(select(Event.seq).where(Event.seq > before)))
        waited, read_at = second.is_alive(), utcnow()
        release.set()
        first.join(10)
        second.join(10)
        with state.new_session() as session:
            logged_at = session.scalar(
                select(RowChange.changed_at).where(RowChange.subject_id == category.id)
            )
        assert logged_at is not None
        return _Race(seen, seqs, waited, read_at, logged_at)
    finally:
        release.set()
        events_service._WRITTEN.remove(slow)
        with state.new_session() as session:
            session.execute(delete(Event).where(Event.subject_id == product_id))
            session.execute(delete(RowChange).where(RowChange.subject_id == category.id))
            session.execute(delete(Category).where(Category.id == category.id))
            session.commit()


@pytest.mark.postgres
def test_seq_follows_commit_order_so_after_never_skips_an_event(live_app: Flask) -> None:
    """A transaction that wrote an event but has not committed holds back later ones: a reader
    never sees seq N+1 while N may still appear."""
    race = _two_writers(live_app, slow_under_lock=True)
    assert race.waited
    assert race.seen == []
    assert race.seqs["first"] < race.seqs["second"]
    # The change log's time is taken under the lock too: a reader who looked while the
    # second writer waited for it and asks ``updated_since`` that moment finds its write.
    assert race.logged_at >= race.read_at


@pytest.mark.postgres
def test_a_commit_holds_back_others_only_once_its_events_take_their_seq(live_app: Flask) -> None:
    """What a commit's listeners read and decide happens before the events' lock: a slow one
    does not hold back another seller's order, and the events still take their seq in commit
    order (the late one the later seq)."""
    race = _two_writers(live_app, slow_under_lock=False)
    assert not race.waited
    assert race.seen == [race.seqs["second"]]
    assert race.seqs["first"] > race.seqs["second"]
