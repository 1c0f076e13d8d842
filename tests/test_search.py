"""Product search: words (prefix, accents, all must match), ranking, filters, sorts, paging."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.models import (
    Availability,
    BusinessLicence,
    BusinessStatus,
    LicenceKind,
    ProductStatus,
)
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, category_id


def ids(client: FlaskClient, query: str) -> list[str]:
    response = client.get(f"/v1/products?limit=100&{query}")
    assert response.status_code == 200, response.json
    return [p["id"] for p in response.json["items"]]


@pytest.fixture
def catalogue(db_session: Session) -> dict[str, Any]:
    bekasi = BusinessFactory(village_code="32.75.11.1004", verified_graduate=True)
    bogor = BusinessFactory(
        village_code="32.71.01.1001", district_code="32.71.01", regency_code="32.71"
    )
    db_session.add(
        BusinessLicence(business_id=bekasi.id, kind=LicenceKind.HALAL, number="ID321100")
    )
    snacks = category_id(db_session, "chips-crackers")
    sewing = category_id(db_session, "sewing-tailoring")
    made = {
        "lapis": ProductFactory(
            business=bekasi,
            name="Kue Lapis Legit",
            description="Manis dan lembut.",
            price_idr=185_000,
            tags=["kue basah"],
        ),
        "keripik": ProductFactory(
            business=bekasi,
            name="Keripik Singkong Balado",
            description="Pedas, cocok untuk oleh-oleh lapis kedua.",
            price_idr=15_000,
            category_id=snacks,
            availability=Availability.PRE_ORDER,
            stock=None,
            lead_days=2,
        ),
        "gamis": ProductFactory(
            business=bogor,
            name="Jahit Gamis Café",
            description="Kain katun, ukuran bebas.",
            price_idr=250_000,
            category_id=sewing,
            tags=["busana muslim"],
        ),
        "draft": ProductFactory(
            business=bekasi, name="Kue Lapis Draft", status=ProductStatus.DRAFT
        ),
        "paused": ProductFactory(
            business=BusinessFactory(status=BusinessStatus.PAUSED), name="Kue Lapis Libur"
        ),
    }
    db_session.flush()
    return made


def test_words_match_name_tags_and_description_as_prefixes(
    client: FlaskClient, catalogue: dict[str, Any]
) -> None:
    lapis, keripik, gamis = catalogue["lapis"], catalogue["keripik"], catalogue["gamis"]
    assert set(ids(client, "q=lapis")) == {lapis.id, keripik.id}  # name and description
    assert ids(client, "q=lapi")[0] == lapis.id  # prefix
    assert ids(client, "q=oleh") == [keripik.id]  # in the description only
    assert ids(client, "q=busana") == [gamis.id]  # a tag
    assert ids(client, "q=cafe") == [gamis.id] and ids(client, "q=CAFÉ") == [gamis.id]  # accents
    assert ids(client, "q=kue%20legit") == [lapis.id]  # every word must match
    assert ids(client, "q=kue%20rendang") == []
    assert catalogue["draft"].id not in ids(client, "q=lapis")
    assert catalogue["paused"].id not in ids(client, "q=lapis")


def test_name_matches_rank_above_description_matches(
    client: FlaskClient, catalogue: dict[str, Any]
) -> None:
    assert ids(client, "q=lapis") == [catalogue["lapis"].id, catalogue["keripik"].id]
    assert ids(client, "q=lapis&sort=price") == [catalogue["keripik"].id, catalogue["lapis"].id]


def test_filters(client: FlaskClient, db_session: Session, catalogue: dict[str, Any]) -> None:
    lapis, keripik, gamis = catalogue["lapis"], catalogue["keripik"], catalogue["gamis"]
    snacks = category_id(db_session, "snacks-cakes")
    assert set(ids(client, f"category={snacks}")) >= {lapis.id, keripik.id}
    assert gamis.id not in ids(client, f"category={snacks}")
    in_bekasi = set(ids(client, "region=32.75"))
    assert {lapis.id, keripik.id} <= in_bekasi and gamis.id not in in_bekasi
    assert gamis.id in ids(client, "region=32.71.01.1001")
    assert set(ids(client, "q=lapis&region=32.75.11")) == {lapis.id, keripik.id}
    priced = set(ids(client, "price_min=100000&price_max=200000"))
    assert lapis.id in priced and keripik.id not in priced and gamis.id not in priced
    assert keripik.id in ids(client, "availability=pre_order")
    assert lapis.id not in ids(client, "availability=pre_order")
    assert lapis.id in ids(client, "availability=in_stock")
    lapis.stock = 0  # sold out by orders: not "in stock" any more
    db_session.flush()
    assert lapis.id not in ids(client, "availability=in_stock")
    halal = set(ids(client, "licence=halal"))
    assert {lapis.id, keripik.id} <= halal and gamis.id not in halal
    verified = set(ids(client, "verified_graduate=true"))
    assert lapis.id in verified and gamis.id not in verified
    assert set(ids(client, f"business={gamis.business_id}")) == {gamis.id}


def test_sorts_and_paging(client: FlaskClient, catalogue: dict[str, Any]) -> None:
    cheap_first = ids(client, "region=32&sort=price")
    prices = {p.id: p.price_idr for p in catalogue.values()}
    ordered = [i for i in cheap_first if i in prices]
    assert ordered == sorted(ordered, key=lambda i: prices[i])
    assert ids(client, "region=32&sort=-price")[0] == catalogue["gamis"].id
    for query in ("q=kue%20lapis%20keripik%20jahit", "q=lapis", "sort=newest", "sort=-price"):
        everything = ids(client, query)
        walked: list[str] = []
        url = f"/v1/products?limit=1&{query}"
        while url:
            assert len(walked) <= len(everything), f"paging does not advance: {query}"
            body = client.get(url).json
            walked += [p["id"] for p in body["items"]]
            cursor = body["next_cursor"]
            url = f"/v1/products?limit=1&{query}&cursor={cursor}" if cursor else ""
        assert walked == everything, query


@pytest.mark.parametrize(
    "q", ['"', "lapis*", "NEAR(a b)", "a OR b", "kue:* & !x", "'; DROP TABLE products; --", "%_"]
)
def test_query_syntax_is_never_an_error(
    client: FlaskClient, catalogue: dict[str, Any], q: str
) -> None:
    assert client.get("/v1/products", query_string={"q": q}).status_code == 200


def test_bad_search_arguments(client: FlaskClient) -> None:
    assert (
        "price_max"
        in assert_problem(client.get("/v1/products?price_min=10&price_max=5"), 422)["errors"]
    )
    assert "sort" in assert_problem(client.get("/v1/products?sort=popular"), 422)["errors"]
    assert "licence" in assert_problem(client.get("/v1/products?licence=iso9001"), 422)["errors"]
    assert "q" in assert_problem(client.get("/v1/products?q=" + "x" * 201), 422)["errors"]


@pytest.mark.postgres
def test_relevance_ranks_the_most_recent_matches_only(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A common word matches a sixth of the catalogue: relevance looks at the newest
    BROAD_CANDIDATES matches (3 here), every other order at all of them."""
    import datetime as dt

    from api.catalogue import search
    from api.db import utcnow

    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(search, "RANK_ALONE", 3)
    monkeypatch.setattr(search, "BROAD_CANDIDATES", 3)
    business = BusinessFactory()
    made = [
        ProductFactory(
            business=business,
            name=f"Sagu keju {i}" if i % 2 else f"Keju {i}",
            created_at=utcnow() - dt.timedelta(days=10 - i),
        )
        for i in range(5)
    ]
    newest_three = {p.id for p in made[2:]}
    ranked = ids(client, "q=keju")
    assert set(ranked) == newest_three and len(ranked) == 3
    assert set(ids(client, "q=keju&sort=newest")) == {p.id for p in made}


@pytest.mark.postgres
def test_the_search_box_ranks_every_match_of_a_word_up_to_rank_alone(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word with more matches than RANK_CANDIDATES but at most RANK_ALONE: the search box
    (no filter, by relevance) ranks every match from the words alone, so the oldest best match
    comes first; the same words with a filter rank the newest BROAD_CANDIDATES only."""
    import datetime as dt

    from api.catalogue import search
    from api.db import utcnow

    monkeypatch.setattr(search, "RANK_CANDIDATES", 2)
    monkeypatch.setattr(search, "RANK_ALONE", 10)
    monkeypatch.setattr(search, "BROAD_CANDIDATES", 3)
    business = BusinessFactory()
    best = ProductFactory(
        business=business, name="Keju Edam", created_at=utcnow() - dt.timedelta(days=30)
    )
    newer = [
        ProductFactory(
            business=business,
            name=f"Roti {i}",
            description="dengan keju",
            created_at=utcnow() - dt.timedelta(days=10 - i),
        )
        for i in range(5)
    ]
    db_session.flush()
    whole = ids(client, "q=keju")
    assert whole[0] == best.id and set(whole) == {best.id, *(p.id for p in newer)}
    assert walk(client, "q=keju") == whole
    filtered = ids(client, "q=keju&price_max=100000000")
    assert set(filtered) == {p.id for p in newer[2:]}  # the newest three, ranked


def terms_of(db_session: Session, product_id: str) -> dict[str, int]:
    from sqlalchemy import text

    rows = db_session.execute(
        text("SELECT term, weight FROM fts_product_terms WHERE product_id = :id"),
        {"id": product_id},
    )
    return {term: weight for term, weight in rows}


@pytest.mark.postgres
def test_the_words_of_listed_products_are_kept_with_their_best_field(
    client: FlaskClient, db_session: Session
) -> None:
    """fts_product_terms follows every write, from whoever writes, in its transaction."""
    from sqlalchemy import text

    business = BusinessFactory()
    product = ProductFactory(
        business=business, name="Kue Keju", tags=["kue basah"], description="Keju dan kéju asli."
    )
    db_session.flush()
    assert terms_of(db_session, product.id) == {
        "kue": 4,
        "keju": 4,
        "basah": 2,
        "dan": 1,
        "asli": 1,
    }
    product.name = "Bolu Pandan"
    db_session.flush()
    assert terms_of(db_session, product.id) == {
        "bolu": 4,
        "pandan": 4,
        "kue": 2,
        "basah": 2,
        "keju": 1,
        "dan": 1,
        "asli": 1,
    }
    product.status = ProductStatus.DRAFT  # unlisted: its words go
    db_session.flush()
    assert terms_of(db_session, product.id) == {}
    product.status = ProductStatus.PUBLISHED
    db_session.flush()
    assert terms_of(db_session, product.id)["pandan"] == 4
    business.status = BusinessStatus.PAUSED  # the business's status unlists its products too
    db_session.flush()
    assert terms_of(db_session, product.id) == {}
    business.status = BusinessStatus.ACTIVE
    db_session.flush()
    assert terms_of(db_session, product.id)["bolu"] == 4
    product.stock = 3  # neither words nor listing: the trigger's WHEN skips it
    db_session.flush()
    db_session.execute(text("DELETE FROM products WHERE id = :id"), {"id": product.id})
    assert terms_of(db_session, product.id) == {}
    ProductFactory(business=business, name="Kue Sisa")
    db_session.flush()
    rebuilt = db_session.scalar(text("SELECT berdaya_product_terms_rebuild()"))
    assert rebuilt
    listed = db_session.scalar(
        text("SELECT count(*) FROM products p, unnest(p.search_vector) WHERE p.listed")
    )
    assert rebuilt == listed
    db_session.execute(text("TRUNCATE products CASCADE"))  # row triggers do not fire
    assert db_session.scalar(text("SELECT count(*) FROM fts_product_terms")) == 0


def walk(client: FlaskClient, query: str) -> list[str]:
    """Every id of a list, a page of one at a time through the cursors."""
    walked: list[str] = []
    url = f"/v1/products?limit=1&{query}"
    while url:
        body = client.get(url).json
        walked += [p["id"] for p in body["items"]]
        assert len(walked) <= 100, f"paging does not advance: {query}"
        cursor = body["next_cursor"]
        url = f"/v1/products?limit=1&{query}&cursor={cursor}" if cursor else ""
    return walked


@pytest.mark.postgres
def test_the_three_ways_of_ranking_agree(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rare words, no filter: one statement over fts_product_terms. With a filter, or a common
    word beside a rare one: the rarest word's matches, the others looked up. Common words only:
    the newest candidates' vectors. Over the same matches the three give the same order, and
    the same pages: each word's best field (name 4, tags 2, description 1), summed, ties by
    id."""
    from api.catalogue import search
    from api.pagination import Page

    business = BusinessFactory()
    made = {
        "name": ProductFactory(business=business, name="Keju Susu", description="Enak."),
        "tag": ProductFactory(business=business, name="Roti", tags=["keju"], description="Susu."),
        "text": ProductFactory(business=business, name="Bolu", description="Keju dan susu."),
        "both": ProductFactory(business=business, name="Keju", tags=["susu"]),
        "keju only": ProductFactory(business=business, name="Kejunya banyak", description="x"),
    }
    db_session.flush()
    name = {v.id: k for k, v in made.items()}
    queries = ("q=keju", "q=keju%20susu", "q=susu%20kej", "q=kej", "q=keju%20zzz")
    # The same with a filter every product passes: never the one-statement way.
    filtered = {f"{q}&price_max=100000000": q for q in queries}

    def ranked() -> dict[str, list[str]]:
        return {q: [name[i] for i in ids(client, q) if i in name] for q in queries}

    def walked() -> dict[str, list[str]]:
        return {q: [name[i] for i in walk(client, q) if i in name] for q in queries}

    def ranked_filtered() -> dict[str, list[str]]:
        return {
            plain: [name[i] for i in ids(client, q) if i in name] for q, plain in filtered.items()
        }

    one_statement = ranked()
    assert one_statement["q=keju%20susu"] == ["name", "both", "tag", "text"]  # 8, 6, 3, 2
    assert set(one_statement["q=keju"][:3]) == {"name", "both", "keju only"}
    assert one_statement["q=keju"][3:] == ["tag", "text"]
    assert one_statement["q=kej"] == one_statement["q=keju"]  # "kejunya": a prefix too
    assert one_statement["q=keju%20zzz"] == []
    assert walked() == one_statement

    answers: list[Any] = []
    original = search._ranked_by_terms_alone

    def spy(*args: Any, **kwargs: Any) -> Any:
        answers.append(original(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(search, "_ranked_by_terms_alone", spy)
    ranked()
    assert len(answers) == len(queries)
    assert all(isinstance(a, Page) for a in answers)  # it answered them all
    answers.clear()
    assert ranked_filtered() == one_statement
    assert answers == []  # with a filter: the rarest word's way, joined to the products
    monkeypatch.setattr(search, "_ranked_by_terms_alone", lambda *a, **k: None)
    assert ranked() == one_statement
    assert walked() == one_statement
    monkeypatch.setattr(search, "_term_counts", lambda session, words, cap: [cap + 1] * len(words))
    assert ranked() == one_statement
    assert walked() == one_statement
    assert ranked_filtered() == one_statement


@pytest.mark.postgres
def test_a_common_word_beside_a_rare_one_is_ranked_whole(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement gives way when a word has more matches than RANK_ALONE; the rare
    word's matches then drive (the common word's weight is looked up for each), all ranked."""
    import datetime as dt

    from api.catalogue import search
    from api.db import utcnow

    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(search, "RANK_ALONE", 3)
    business = BusinessFactory()
    old_best = ProductFactory(
        business=business, name="Keju Gouda", created_at=utcnow() - dt.timedelta(days=30)
    )
    rest = [
        ProductFactory(business=business, name=f"Roti {i}", description="keju gouda")
        for i in range(2)
    ]  # "gouda": 3 matches, RANK_ALONE; "keju": 7
    for i in range(4):
        ProductFactory(business=business, name=f"Keju {i}")
    db_session.flush()
    ranked = ids(client, "q=keju%20gouda")
    assert ranked[0] == old_best.id  # the oldest, but the best: ranked although not recent
    assert set(ranked) == {old_best.id, *(p.id for p in rest)}
    assert walk(client, "q=keju%20gouda") == ranked


@pytest.mark.postgres
@pytest.mark.parametrize(
    "query", ["q=keju&region=32", "q=keju&price_max=200000", "q=keju&sort=newest"]
)
def test_a_search_reads_products_by_their_key_only(
    client: FlaskClient, db_session: Session, connection: Any, query: str
) -> None:
    """The matches join products on the primary key, never by reading the whole table: a
    column of another collation than ``products.id`` would compare unindexed, and at a million
    products a filtered search took half a second. The other ways of reading and joining are
    priced out here (this catalogue is small), so a plan that reads products otherwise could
    not do without it."""
    from sqlalchemy import event, text

    ProductFactory(business=BusinessFactory(), name="Keju Gouda", price_idr=50_000)
    db_session.flush()
    for scan in ("seqscan", "bitmapscan", "hashjoin", "mergejoin", "material"):
        db_session.execute(text(f"SET LOCAL enable_{scan} = off"))
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "fts_product_terms" in statement or "search_vector" in statement:
            statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        assert len(ids(client, query)) == 1
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    assert statements
    for statement, parameters in statements:
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        )
        lines = plan.splitlines()
        scans = [i for i, line in enumerate(lines) if " on products " in f"{line} "]
        # An index scan keyed by the product's id: the primary key, or another index of
        # products whose condition holds the id, read with the table or from the index alone
        # (the planner picks any of these as statistics move); or, with a filter on the
        # business, keyed by the business the filter found first.
        for i in scans:
            assert re.search(r"Index (Only )?Scan using ", lines[i]), plan
            assert "Index Cond" in lines[i + 1], plan
            keyed = r"\(id\)::text = |[( ]id = |\(business_id\)::text = \(?businesses\.id"
            assert re.search(keyed, lines[i + 1]), plan


def test_query_words_are_lower_case_after_folding() -> None:
    """Decomposition can make capitals ("℃" is "°C"): the words are lower-cased after it, as
    the index's words are."""
    from api.catalogue.search import query_words

    assert query_words("Kéju ℃ Brand™ \N{DOUBLE-STRUCK CAPITAL C}afé") == [
        "keju",
        "c",
        "brandtm",
        "cafe",
    ]
