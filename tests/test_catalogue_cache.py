"""The workers' cache of encoded public documents never serves a change stale for longer than
PostgreSQL takes to say so, and never serves this process's own change stale at all."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from api.catalogue import cache as catalogue_cache
from api.catalogue import reads as catalogue_reads
from api.catalogue import search
from api.catalogue.cache import CatalogueCache, Entry, SearchPage
from api.catalogue.counters import ViewCounter
from api.db import utcnow
from api.http.bodies import encode_document
from api.models import Business, Category, Product, ProductStatus, ProductViews, Role, User
from api.services import businesses as business_service
from api.state import get_state
from tests import factories
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import image_bytes, migration, upload


def entry(business_id: str = "bsn_1") -> Entry:
    return Entry(b"{}", "etag", "usr_1", "32.75.11.1004", business_id)


# -- the cache itself ----------------------------------------------------------------------------


def test_the_cache_keeps_the_newest_and_evicts_what_it_is_told() -> None:
    cache = CatalogueCache(size=2)
    assert cache.token() is None and cache.get("p:1") is None  # not listening: not used
    cache.put("p:1", entry(), cache.token())
    assert len(cache) == 0
    cache.set_live(True)
    for key, business in (("p:1", "bsn_1"), ("p:2", "bsn_2"), ("p:3", "bsn_1")):
        cache.put(key, entry(business), cache.token())
    assert cache.get("p:1") is None  # the oldest went out: at most `size` entries
    assert cache.get("p:2") is not None and cache.get("p:3") is not None
    cache.evict(["b:bsn_1"])  # a business: its own document and its products'
    assert cache.get("p:3") is None and cache.get("p:2") is not None
    cache.put("b:bsn_2", entry("bsn_2"), cache.token())
    cache.evict([catalogue_cache.EVERYTHING])
    assert len(cache) == 0
    cache.put("p:4", entry("bsn_1"), cache.token())
    cache.put("b:bsn_1", entry("bsn_1"), cache.token())
    cache.evict(["bd:bsn_1"])  # what only the business's own document shows
    assert cache.get("b:bsn_1") is None and cache.get("p:4") is not None


def test_a_read_that_overlaps_an_eviction_is_not_kept() -> None:
    cache = CatalogueCache(size=10)
    cache.set_live(True)
    token = cache.token()  # a request starts reading the database...
    cache.evict(["p:other"])  # ...a change commits meanwhile (any change)...
    cache.put("p:1", entry(), token)  # ...so what it read may be older than that change
    assert cache.get("p:1") is None
    cache.put("p:1", entry(), cache.token())
    assert cache.get("p:1") is not None


def test_losing_the_listener_empties_the_cache_and_stops_using_it() -> None:
    cache = CatalogueCache(size=10)
    cache.set_live(True)
    cache.put("p:1", entry(), cache.token())
    cache.set_live(False)
    assert cache.get("p:1") is None and cache.token() is None
    cache.set_live(True)  # reconnected: whatever was missed meanwhile is not there either
    assert cache.get("p:1") is None


def test_a_document_that_changes_with_time_alone_expires_then() -> None:
    cache = CatalogueCache(size=10)
    cache.set_live(True)
    cache.put("b:1", Entry(b"{}", "e", "usr_1", "32.75", "1", expires_at=time.time() + 60), 0)
    cache.put("b:1", Entry(b"{}", "e", "usr_1", "32.75", "1", expires_at=time.time() + 60), 1)
    assert cache.get("b:1") is not None
    cache.put("b:1", Entry(b"{}", "e", "usr_1", "32.75", "1", expires_at=time.time() - 1), 1)
    assert cache.get("b:1") is None  # a business that turned "at risk" at that moment


def test_a_business_document_says_when_its_activity_status_turns(
    db_session: Session, app: Flask
) -> None:
    quiet: Business = BusinessFactory(last_activity_at=utcnow() - dt.timedelta(days=59))
    asleep: Business = BusinessFactory(last_activity_at=utcnow() - dt.timedelta(days=200))
    db_session.flush()
    url = get_state(app).storage.url
    with app.test_request_context():
        listing = catalogue_reads.public_business(db_session, quiet.id, url=url)
        assert listing is not None and listing.document["activity_status"] == "active"
        assert listing.changes_at is not None
        assert listing.changes_at - utcnow() < dt.timedelta(days=1, minutes=1)
        dormant = catalogue_reads.public_business(db_session, asleep.id, url=url)
        assert dormant is not None and dormant.changes_at is None  # dormant stays dormant


def test_a_product_no_longer_public_is_neither_served_nor_kept(
    app: Flask, db_session: Session, local_cache: CatalogueCache
) -> None:
    """A search's ids may be a moment older than the read of its items."""
    product: Product = ProductFactory()
    db_session.flush()
    product.hidden_at = utcnow()
    db_session.flush()
    local_cache.evict([catalogue_cache.EVERYTHING])
    with app.test_request_context():
        items = catalogue_reads.product_entries(
            local_cache,
            lambda: db_session,
            [product.id],
            url=get_state(app).storage.url,
            encode=encode_document,
        )
    assert items == [] and local_cache.get(f"p:{product.id}") is None


def test_sqlite_has_no_cache(app: Flask, is_postgres: bool) -> None:
    assert (get_state(app).catalogue is None) is not is_postgres


# -- this process's own changes -----------------------------------------------------------------


@pytest.fixture
def local_cache() -> Iterator[CatalogueCache]:
    """A cache with no listener at all: only this process's own evictions reach it."""
    cache = CatalogueCache(size=100)
    cache.set_live(True)
    catalogue_cache._caches.add(cache)
    yield cache
    catalogue_cache._caches.discard(cache)


def _filled(cache: CatalogueCache, *products: Product) -> None:
    cache.evict([catalogue_cache.EVERYTHING])
    for product in products:
        cache.put(f"p:{product.id}", entry(product.business_id), cache.token())
        cache.put(f"b:{product.business_id}", entry(product.business_id), cache.token())


def test_own_changes_are_evicted_without_waiting_for_the_database(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session, local_cache: CatalogueCache
) -> None:
    owner, owner_h = auth.as_role(Role.ALUMNA)
    business: Business = BusinessFactory(owner_id=owner.id)
    product: Product = ProductFactory(business=business)
    other: Product = ProductFactory(business=BusinessFactory())
    db_session.flush()
    key, business_key, other_key = f"p:{product.id}", f"b:{business.id}", f"p:{other.id}"

    # The product, through the API.
    _filled(local_cache, product, other)
    etag = client.get(f"/v1/products/{product.id}", headers=owner_h).headers["ETag"]
    changed = client.patch(
        f"/v1/products/{product.id}",
        json={"price_idr": 30_000},
        headers={**owner_h, "If-Match": etag},
    )
    assert changed.status_code == 200
    assert local_cache.get(key) is None
    assert local_cache.get(other_key) is not None  # only what changed

    # Unpublished: the listing's bulk update names what it changes, so the rest stays.
    _filled(local_cache, product, other)
    response = client.post(f"/v1/products/{product.id}/unpublish", headers=owner_h)
    assert response.status_code == 200
    assert local_cache.get(key) is None and local_cache.get(other_key) is not None
    response = client.post(f"/v1/products/{product.id}/publish", headers=owner_h)
    assert response.status_code == 200

    # Views counted are not shown: written in a batch, they evict nothing.
    _filled(local_cache, product, other)
    counter = ViewCounter()
    for _ in range(3):
        counter.hit(product.id)
    assert counter.flush(get_state(app).sessionmaker) == 1
    assert local_cache.get(key) is not None and local_cache.get(business_key) is not None
    assert (
        db_session.scalar(select(ProductViews.views).where(ProductViews.product_id == product.id))
        == 3
    )

    # A photo of it.
    _filled(local_cache, product)
    url = f"/v1/products/{product.id}/photos"
    assert upload(client, url, image_bytes("JPEG", (300, 200)), owner_h).status_code == 201
    assert local_cache.get(key) is None

    # The business's activity (an order, a check-in), by a bulk UPDATE: its document alone.
    _filled(local_cache, product, other)
    business_service.touch(db_session, business.id)
    assert local_cache.get(business_key) is None
    assert local_cache.get(key) is not None and local_cache.get(other_key) is not None

    # Its hours and description are not in its products' documents; its name is.
    _filled(local_cache, product, other)
    business.opening_hours = [{"day": 1, "opens": "08:00", "closes": "16:00"}]
    business.description = "Kue basah setiap pagi."
    db_session.flush()
    assert local_cache.get(business_key) is None and local_cache.get(key) is not None
    _filled(local_cache, product, other)
    business.name = "Dapur Bu Siti"
    db_session.flush()
    assert local_cache.get(business_key) is None and local_cache.get(key) is None
    assert local_cache.get(other_key) is not None

    # A bulk update the listener cannot narrow down: everything.
    _filled(local_cache, product)
    db_session.execute(update(Business).where(Business.owner_id == owner.id).values(name="Baru"))
    assert len(local_cache) == 0

    # A category's name is in every document.
    _filled(local_cache, product)
    category = db_session.get(Category, product.category_id)
    assert category is not None
    category.name_en = "Cakes, renamed"
    db_session.flush()
    assert len(local_cache) == 0


def test_own_changes_to_what_search_finds_drop_the_kept_search_pages(
    db_session: Session, local_cache: CatalogueCache
) -> None:
    """A search page is made of products' words and listings: a worker that changes one drops
    every page it keeps; a change to anything else (stock, price) keeps them."""
    product: Product = ProductFactory(business=BusinessFactory(), stock=5)
    db_session.flush()

    def kept_after(change: Callable[[], Any]) -> bool:
        local_cache.put_search("s:1", SearchPage((product.id,), None), local_cache.token())
        assert local_cache.get_search("s:1") is not None
        change()
        db_session.flush()
        return local_cache.get_search("s:1") is not None

    assert kept_after(lambda: setattr(product, "stock", 4))
    assert kept_after(lambda: setattr(product, "price_idr", 99_000))
    assert not kept_after(lambda: setattr(product, "name", "Bolu Pandan"))
    assert not kept_after(lambda: setattr(product, "tags", ["bolu"]))
    assert not kept_after(lambda: setattr(product, "description", "Lembut sekali."))
    # An order or a check-in notes the business's activity: its document, not search.
    assert kept_after(lambda: business_service.touch(db_session, product.business_id))
    assert not kept_after(lambda: setattr(product, "status", ProductStatus.DRAFT))
    assert not kept_after(lambda: ProductFactory(business=product.business))
    assert not kept_after(lambda: db_session.delete(product))


# -- changes by anyone, heard from PostgreSQL ----------------------------------------------------

pg = pytest.mark.postgres


def wait_for(condition: Callable[[], Any], seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("not within the time allowed")


@pytest.fixture
def committed(live_app: Flask) -> Iterator[Product]:
    """A public product really committed (another connection must see it)."""
    state = get_state(live_app)
    with state.new_session() as session:
        factories.bind(session)
        try:
            product: Product = ProductFactory(business=BusinessFactory())
            session.commit()
            owner_id, business_id = product.business.owner_id, product.business_id
        finally:
            factories.bind(None)
    yield product
    with state.new_session() as session:
        session.execute(delete(Product).where(Product.business_id == business_id))
        session.execute(delete(Business).where(Business.id == business_id))
        session.execute(delete(User).where(User.id == owner_id))
        session.commit()


def sql(live_app: Flask, statement: str, *params: Any) -> None:
    """Run a statement from outside the app, as psql or another server would, and commit."""
    url = get_state(live_app).engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        connection.execute(statement, params)


def statements(live_app: Flask) -> list[str]:
    seen: list[str] = []
    event.listen(
        get_state(live_app).engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: seen.append(statement),
    )
    return seen


def heard_everything_before(live_app: Flask, cache: CatalogueCache) -> None:
    """Wait until the listener has handled every notification sent so far (they arrive in
    commit order, so a marker sent now comes after them)."""
    before = cache.generation
    sql(live_app, f"NOTIFY {catalogue_cache.CHANNEL}, 'p:marker'")
    wait_for(lambda: cache.generation > before)


@pg
def test_a_change_committed_anywhere_reaches_every_worker(
    live_app: Flask, committed: Product
) -> None:
    cache = get_state(live_app).catalogue
    assert cache is not None
    client = live_app.test_client()
    path, key = f"/v1/products/{committed.id}", f"p:{committed.id}"
    client.get(path)
    wait_for(lambda: cache.live)
    first = client.get(path)
    assert first.status_code == 200 and cache.get(key) is not None
    seen = statements(live_app)
    again = client.get(path)
    assert again.json == first.json and again.headers["ETag"] == first.headers["ETag"]
    assert seen == []  # served without a query
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert seen == []

    # psql (or another worker) renames the product.
    sql(live_app, "UPDATE products SET name = %s WHERE id = %s", "Kue lumpur", committed.id)
    renamed = wait_for(lambda: (r := client.get(path)).json["name"] == "Kue lumpur" and r)
    assert renamed.headers["ETag"] != first.headers["ETag"]
    stale = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert stale.status_code == 200

    # Its business is renamed: the product shows the business's name.
    client.get(path)
    sql(
        live_app,
        "UPDATE businesses SET name = %s WHERE id = %s",
        "Dapur Ibu",
        committed.business_id,
    )
    wait_for(lambda: client.get(path).json["business"]["name"] == "Dapur Ibu")

    # A view counted is not a change; a rolled back change is not one either.
    client.get(path)
    assert cache.get(key) is not None
    counter = ViewCounter()
    for _ in range(5):
        counter.hit(committed.id)
    assert counter.flush(get_state(live_app).sessionmaker) == 1  # committed, as a worker does
    url = get_state(live_app).engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        connection.execute("UPDATE products SET name = 'x' WHERE id = %s", (committed.id,))
        connection.rollback()
    heard_everything_before(live_app, cache)
    assert cache.get(key) is not None

    # Unpublished elsewhere: gone from the public at once.
    sql(live_app, "UPDATE products SET status = 'draft' WHERE id = %s", committed.id)
    wait_for(lambda: client.get(path).status_code == 404)


@pg
def test_while_the_listener_is_away_the_cache_is_not_used(
    live_app: Flask, committed: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = get_state(live_app).catalogue
    assert cache is not None
    client = live_app.test_client()
    path = f"/v1/products/{committed.id}"
    client.get(path)
    wait_for(lambda: cache.live)
    client.get(path)
    assert len(cache) == 1
    # It checks that it still hears by notifying itself: every 0.2 s here, and it stays live.
    monkeypatch.setattr(catalogue_cache._Listener, "CHECK_SECONDS", 0.2)
    time.sleep(1.0)
    assert cache.live and len(cache) == 1
    sql(
        live_app,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = %s AND datname = current_database()",
        catalogue_cache.LISTENER_NAME,
    )
    wait_for(lambda: not cache.live)
    assert len(cache) == 0
    # Meanwhile a change is made: reads go to the database, so they see it.
    sql(live_app, "UPDATE products SET name = %s WHERE id = %s", "Kue talam", committed.id)
    assert client.get(path).json["name"] == "Kue talam"
    wait_for(lambda: cache.live)  # reconnected by itself
    client.get(path)
    assert cache.get(f"p:{committed.id}") is not None


@pg
def test_a_search_page_is_kept_until_what_it_is_made_of_changes(
    live_app: Flask, committed: Product
) -> None:
    """Words, no filter, by relevance: the page's ids come from the cache (no query at all,
    with its items kept too) until a statement anywhere writes fts_product_terms."""
    cache = get_state(live_app).catalogue
    assert cache is not None
    client = live_app.test_client()
    word = f"zq{committed.id[-8:].lower()}"
    sql(live_app, "UPDATE products SET name = %s WHERE id = %s", f"Kue {word}", committed.id)
    path = f"/v1/products?q={word}"

    def found() -> list[str]:
        return [p["id"] for p in client.get(path).json["items"]]

    wait_for(lambda: found() == [committed.id] and cache.live)
    found()  # kept now, items too
    seen = statements(live_app)
    assert found() == [committed.id]
    assert seen == []

    # Its price changes elsewhere: its document goes, the page stays (no word changed).
    sql(live_app, "UPDATE products SET price_idr = price_idr + 1 WHERE id = %s", committed.id)
    heard_everything_before(live_app, cache)
    seen.clear()
    assert found() == [committed.id]
    assert seen and not any("fts_product_terms" in s for s in seen)

    # Renamed elsewhere, then back; then unlisted: each is seen.
    sql(live_app, "UPDATE products SET name = 'Roti' WHERE id = %s", committed.id)
    wait_for(lambda: found() == [])
    sql(live_app, "UPDATE products SET name = %s WHERE id = %s", f"Kue {word}", committed.id)
    wait_for(lambda: found() == [committed.id])
    sql(live_app, "UPDATE products SET status = 'draft' WHERE id = %s", committed.id)
    wait_for(lambda: found() == [])


@pg
def test_a_page_of_businesses_reads_only_its_ids_once_their_documents_are_kept(
    live_app: Flask, committed: Product
) -> None:
    """A region's (or a category's) page of businesses: its ids are always asked for, its
    documents and compact items come from the cache, and a change anywhere is seen."""
    cache = get_state(live_app).catalogue
    assert cache is not None
    client = live_app.test_client()
    business_id = committed.business_id
    region = committed.business.district_code
    full, compact = f"/v1/businesses?region={region}&view=full", f"/v1/businesses?region={region}"

    def row(path: str) -> dict[str, Any]:
        return next(b for b in client.get(path).json["items"] if b["id"] == business_id)

    client.get(full)
    wait_for(lambda: cache.live)
    first, first_compact = row(full), row(compact)
    assert first == client.get(f"/v1/businesses/{business_id}").json  # the same document
    assert set(first_compact) < set(first) | {"thumbnail_url", "href"}
    seen = statements(live_app)
    assert row(full) == first and row(compact) == first_compact
    assert seen and not any("business_licences" in s or "FROM photos" in s for s in seen)
    assert all("FROM businesses" in s for s in seen), seen  # the region is known already

    # Renamed elsewhere (psql, another worker): both views show it.
    sql(live_app, "UPDATE businesses SET name = %s WHERE id = %s", "Dapur Bu Ani", business_id)
    wait_for(lambda: row(full)["name"] == "Dapur Bu Ani" and row(compact)["name"] == "Dapur Bu Ani")
    # Hidden by a moderator elsewhere: off the page.
    sql(live_app, "UPDATE businesses SET hidden_at = now() WHERE id = %s", business_id)
    wait_for(lambda: business_id not in [b["id"] for b in client.get(compact).json["items"]])


def test_what_only_a_business_shows_is_in_none_of_its_products_documents() -> None:
    """A change to a business's ``BUSINESS_ONLY_COLUMNS`` keeps its products' documents
    (``bd:``): so a product's document reads none of them, and the trigger of migration 0043
    names the same columns."""
    from sqlalchemy.sql import visitors

    businesses = Business.__table__
    read = {
        column.name
        for column in visitors.iterate(catalogue_reads._PRODUCTS)
        if getattr(column, "table", None) is businesses
    }
    assert {"name", "slug", "status", "whatsapp"} <= read  # the walk sees what it shows
    assert not read & catalogue_cache.BUSINESS_ONLY_COLUMNS
    assert set(migration("0043").BUSINESS_ONLY) == catalogue_cache.BUSINESS_ONLY_COLUMNS
    assert set(businesses.columns.keys()) >= catalogue_cache.BUSINESS_ONLY_COLUMNS


@pg
def test_a_business_activity_elsewhere_keeps_its_products_documents(
    live_app: Flask, committed: Product
) -> None:
    """An order or check-in in another worker (or psql) notes the seller's activity: its own
    document is read again, its products' stay kept; its licence too. A change its products
    show (its name) evicts them, as before."""
    cache = get_state(live_app).catalogue
    assert cache is not None
    client = live_app.test_client()
    product_path, business_path = (
        f"/v1/products/{committed.id}",
        f"/v1/businesses/{committed.business_id}",
    )
    product_key, business_key = f"p:{committed.id}", f"b:{committed.business_id}"
    client.get(product_path)
    wait_for(lambda: cache.live)

    def both_kept() -> bool:
        client.get(product_path)
        client.get(business_path)
        return cache.get(product_key) is not None and cache.get(business_key) is not None

    assert both_kept()
    before = client.get(business_path).json["updated_at"]
    sql(
        live_app,
        "UPDATE businesses SET last_activity_at = now(), updated_at = now() WHERE id = %s",
        committed.business_id,
    )
    wait_for(lambda: client.get(business_path).json["updated_at"] != before)
    assert cache.get(product_key) is not None  # heard, and the product kept

    assert both_kept()
    sql(
        live_app,
        "INSERT INTO business_licences (id, business_id, kind, number)"
        " VALUES ('lic_' || left(md5(random()::text), 20), %s, 'nib', '1234567890123')",
        committed.business_id,
    )
    wait_for(lambda: client.get(business_path).json["licences"])
    assert cache.get(product_key) is not None

    # Its description, as the API's PATCH writes it (the ORM adds one to its version).
    assert both_kept()
    sql(
        live_app,
        "UPDATE businesses SET description = %s, version = version + 1, updated_at = now()"
        " WHERE id = %s",
        "Kue basah setiap pagi.",
        committed.business_id,
    )
    wait_for(lambda: client.get(business_path).json["description"] == "Kue basah setiap pagi.")
    assert cache.get(product_key) is not None

    assert both_kept()
    sql(live_app, "UPDATE businesses SET name = 'Bu Ani' WHERE id = %s", committed.business_id)
    heard_everything_before(live_app, cache)
    assert cache.get(product_key) is None and cache.get(business_key) is None
    assert client.get(product_path).json["business"]["name"] == "Bu Ani"


@pg
def test_a_common_words_page_is_kept_until_the_words_change(
    live_app: Flask, committed: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query with a common word is counted once (the one statement that says so), goes the
    general way, and its page is kept like a rare word's (the head of real searches is the
    common words): read again, it costs no statement, until a statement anywhere writes
    fts_product_terms."""
    monkeypatch.setattr(search, "RANK_CANDIDATES", 1)  # here two matches make a word common
    monkeypatch.setattr(search, "RANK_ALONE", 1)
    monkeypatch.setattr(search, "BROAD_CANDIDATES", 1)  # and the newest is ranked alone
    state = get_state(live_app)
    cache = state.catalogue
    assert cache is not None
    client = live_app.test_client()
    word = f"zc{committed.id[-8:].lower()}"
    with state.new_session() as session:
        factories.bind(session)
        try:
            business = session.get(Business, committed.business_id)
            other = ProductFactory(business=business, name=f"Keripik {word}").id
            session.commit()
        finally:
            factories.bind(None)
    sql(live_app, "UPDATE products SET name = %s WHERE id = %s", f"Kue {word}", committed.id)
    path = f"/v1/products?q={word}"

    def found() -> list[str]:
        return [p["id"] for p in client.get(path).json["items"]]

    wait_for(lambda: len(found()) == 1 and cache.live)  # the newest of the two candidates
    first = found()  # counted, read the general way, and the page kept
    seen = statements(live_app)
    assert found() == first
    assert seen == []  # the kept page, its items from the kept documents

    # Its price changes elsewhere: the document goes, the page stays (no word changed).
    sql(live_app, "UPDATE products SET price_idr = price_idr + 1 WHERE id = %s", first[0])
    heard_everything_before(live_app, cache)
    assert found() == first
    assert seen and not any("fts_product_terms" in s or "@@" in s for s in seen)

    # Renamed elsewhere: its words in fts_product_terms change, so the word is counted again,
    # and it is rare now (one match): ranked by the one statement.
    sql(live_app, "UPDATE products SET name = 'Roti' WHERE id = %s", committed.id)
    heard_everything_before(live_app, cache)
    seen.clear()
    assert found() == [other]
    assert any("fts_product_terms" in s for s in seen)


@pg
def test_a_words_counts_are_kept_for_its_filtered_searches_until_the_words_change(
    live_app: Flask, committed: Product
) -> None:
    """A search with filters counts its words' matches (they choose its way) once: the same
    words with other filters or in another order are not counted again, until a statement
    anywhere writes fts_product_terms."""
    cache = get_state(live_app).catalogue
    assert cache is not None
    client = live_app.test_client()
    word = f"zf{committed.id[-8:].lower()}"
    sql(live_app, "UPDATE products SET name = %s WHERE id = %s", f"Kue {word}", committed.id)

    def found(filters: str) -> list[str]:
        return [p["id"] for p in client.get(f"/v1/products?q={word}&{filters}").json["items"]]

    def counted(seen: list[str]) -> bool:
        return any("fts_product_terms" in s and "count(*)" in s for s in seen)

    wait_for(lambda: found("price_min=1") == [committed.id] and cache.live)
    seen = statements(live_app)
    assert found("price_max=900000000&sort=price") == [committed.id]
    assert found("availability=in_stock&sort=newest") == [committed.id]
    assert seen and not counted(seen)  # the pages read, the words not counted again

    # Renamed elsewhere: its words change, so the next search counts them again (none now).
    sql(live_app, "UPDATE products SET name = 'Roti' WHERE id = %s", committed.id)
    heard_everything_before(live_app, cache)
    seen.clear()
    assert found("price_min=1") == []
    assert counted(seen)


def _without_request_id(response: Any) -> list[tuple[str, str]]:
    """Its headers but the ones that change with every request."""
    changing = ("X-Request-ID", "X-RateLimit-Remaining", "X-RateLimit-Reset")
    return sorted((k, v) for k, v in response.headers.items() if k not in changing)


class Dispatched:
    """The product and business views, wrapped to note each dispatch; ``early`` says whether
    anonymous callers may be answered before dispatch (``public_document`` kept) or not (the
    view answers every caller, as it does when the early answer declines)."""

    ENDPOINTS = ("products.get_product", "businesses.get_business")

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app, self.monkeypatch = app, monkeypatch
        self.views = {name: app.view_functions[name] for name in self.ENDPOINTS}
        self.names: list[str] = []

    def early(self, allowed: bool) -> None:
        for name, view in self.views.items():

            @functools.wraps(view)
            def counted(*args: Any, _view: Any = view, _name: str = name, **kwargs: Any) -> Any:
                self.names.append(_name)
                return _view(*args, **kwargs)

            if not allowed:
                del counted.public_document  # type: ignore[attr-defined]
            self.monkeypatch.setitem(self.app.view_functions, name, counted)


def test_the_early_answer_leaves_the_view_who_may_see_more_and_what_is_not_public(
    client: FlaskClient, auth: Auth, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On either database (SQLite keeps no documents): an anonymous read of a public product or
    business is answered before dispatch with the view's answer; a draft, a hidden product, an
    unknown id, the owner, and a caller asking for some ``fields`` are the view's to answer."""
    owner, headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    public: Product = ProductFactory(business=business)
    draft: Product = ProductFactory(business=business, status=ProductStatus.DRAFT)
    hidden: Product = ProductFactory(business=business, hidden_at=utcnow())
    db_session.flush()
    dispatched = Dispatched(client.application, monkeypatch)
    paths = [f"/v1/products/{public.id}", f"/v1/businesses/{business.id}"]

    dispatched.early(False)
    by_view = [client.get(path) for path in paths]
    assert len(dispatched.names) == 2
    dispatched.early(True)
    for path, answer in zip(paths, by_view, strict=True):
        early = client.get(path)
        assert early.status_code == 200 and early.data == answer.data
        assert _without_request_id(early) == _without_request_id(answer)
    assert len(dispatched.names) == 2  # neither dispatched

    head = client.head(paths[0])
    assert head.status_code == 200 and head.data == b"" and len(dispatched.names) == 2
    assert head.headers["ETag"] == by_view[0].headers["ETag"]

    # Refused by the view, which does not read the public document the early answer found
    # missing a second time.
    reads = {"count": 0}
    public_product = catalogue_reads.public_product

    def counted_read(*args: Any, **kwargs: Any) -> Any:
        reads["count"] += 1
        return public_product(*args, **kwargs)

    monkeypatch.setattr(catalogue_reads, "public_product", counted_read)
    for path in (f"/v1/products/{draft.id}", f"/v1/products/{hidden.id}", "/v1/products/prd_x"):
        assert client.get(path).status_code == 404
    assert reads["count"] == 3
    assert dispatched.names[2:] == ["products.get_product"] * 3
    mine = client.get(paths[0], headers=headers)
    assert mine.status_code == 200 and mine.json["stats"] is not None
    picked = client.get(paths[0] + "?fields=name")
    assert picked.status_code == 200 and picked.json == {"name": public.name}
    # Someone saying they act for another goes to the view too, which decides what they see.
    assert client.get(paths[0], headers={"X-On-Behalf-Of": owner.id}).status_code == 200
    assert dispatched.names[5:] == ["products.get_product"] * 3


@pg
def test_anonymous_reads_are_answered_before_the_view_kept_or_not_and_the_same(
    live_app: Flask, committed: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anonymous reads of a public document, and their 304s, are answered by
    ``serve_public_document`` without dispatch, whether the worker held the document or read
    it now (and keeps it): the same status, headers and body as the view's, a view counted,
    the rate limit counted; never for a caller who shows credentials."""
    state = get_state(live_app)
    cache = state.catalogue
    assert cache is not None
    state.views.interval = 3600.0  # no flush during the test: the tallies stay readable
    client = live_app.test_client()
    path, key = f"/v1/products/{committed.id}", catalogue_reads.product_key(committed.id)
    client.get(path)
    wait_for(lambda: cache.live)
    dispatched = Dispatched(live_app, monkeypatch)

    dispatched.early(False)
    cache.evict([key])
    by_view = client.get(path)
    assert by_view.status_code == 200 and dispatched.names == ["products.get_product"]
    dispatched.early(True)
    cache.evict([key])
    viewed = state.views.pending(committed.id)
    read_now = client.get(path)  # not kept: read before dispatch, and kept
    assert cache.get(key) is not None
    kept_ = client.get(path)  # kept: no statement
    assert dispatched.names == ["products.get_product"]  # neither was dispatched
    for early in (read_now, kept_):
        assert early.status_code == 200 and early.data == by_view.data
        assert _without_request_id(early) == _without_request_id(by_view)
    assert state.views.pending(committed.id) == viewed + 2
    remaining = int(kept_.headers["X-RateLimit-Remaining"])
    assert int(client.get(path).headers["X-RateLimit-Remaining"]) == remaining - 1

    etag = {"If-None-Match": by_view.headers["ETag"]}
    dispatched.early(False)
    not_modified_by_view = client.get(path, headers=etag)
    assert not_modified_by_view.status_code == 304 and len(dispatched.names) == 2
    dispatched.early(True)
    cache.evict([key])
    for _ in range(2):  # read now, then kept
        not_modified_early = client.get(path, headers=etag)
        assert not_modified_early.status_code == 304 and len(dispatched.names) == 2
        assert not_modified_early.data == b"" == not_modified_by_view.data
        assert _without_request_id(not_modified_early) == _without_request_id(not_modified_by_view)
        assert not_modified_early.headers["ETag"] == by_view.headers["ETag"]
    assert state.views.pending(committed.id) == viewed + 6
    assert client.get(path, headers={"If-None-Match": '"other"'}).data == by_view.data

    # Credentials go to the view: a bad token or key is refused there, not served.
    assert client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get(path, headers={"X-API-Key": "brd_nonsense"}).status_code == 401
    assert len(dispatched.names) == 4

    # A business document, the same way (no view is counted for it).
    business = f"/v1/businesses/{committed.business_id}"
    dispatched.early(False)
    business_by_view = client.get(business)
    assert business_by_view.status_code == 200
    assert dispatched.names[-1] == "businesses.get_business"
    dispatched.early(True)
    cache.evict([catalogue_reads.business_key(committed.business_id)])
    for _ in range(2):  # read now, then kept
        business_early = client.get(business)
        assert len(dispatched.names) == 5 and business_early.data == business_by_view.data
        assert _without_request_id(business_early) == _without_request_id(business_by_view)
