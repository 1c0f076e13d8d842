"""Product search: one contract, PostgreSQL full-text search or SQLite FTS5 underneath.

Words of ``q`` match words of the name, tags and description, accents folded, each word as a
prefix ("kue lap" finds "Kue Lapis"); all words must match. Relevance weighs name above tags
above description (PostgreSQL: each word's best field, 4/2/1, summed, see ``_match``; SQLite:
``bm25`` with 10/5/1).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    Double,
    Float,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from api.catalogue.cache import CatalogueCache, SearchPage
from api.catalogue.listing import shown_sql
from api.db import read_rows
from api.models import (
    Availability,
    Business,
    BusinessLicence,
    LicenceKind,
    Product,
)
from api.pagination import Page, SortOption, cursor_values, encode_cursor, paginate
from api.services import categories, changes
from api.services.businesses import in_region

T = TypeVar("T")

MAX_WORDS = 8
SORTS = {
    "relevance": SortOption((("rank", True), ("id", False))),
    "newest": SortOption((("created_at", True), ("id", True))),
    "price": SortOption((("price_idr", False), ("id", False))),
    "-price": SortOption((("price_idr", True), ("id", True))),
}


def search_products(
    get_session: Callable[[], Session],
    *,
    q: str | None = None,
    category: str | None = None,
    region: str | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    availability: Availability | None = None,
    licence: LicenceKind | None = None,
    verified_graduate: bool | None = None,
    business: str | None = None,
    sort: str | None = None,
    limit: int,
    cursor: str | None = None,
    load: Callable[[list[str]], list[T]],
    cache: CatalogueCache | None = None,
    updated_since: dt.datetime | None = None,
) -> Page[T]:
    """Published products of active businesses matching the words and filters; ``load`` turns
    the page's ids into its items (the public documents, ``api.catalogue.reads``).
    ``cache`` keeps the pages of the one-statement way (see ``_ranked_by_terms_alone``);
    ``get_session`` is called when the database is needed (a page served from the cache is not)."""
    # ``listed`` is "published, visible, of an active visible business" kept on the product, so
    # the business is joined only for filters on it.
    stmt = listed = select(Product).where(Product.listed.is_(True))
    if region or licence is not None or verified_graduate is not None:
        # A listed product's business is public; saying so again lets the planner use the
        # businesses' (status, region code) indexes for a region.
        stmt = stmt.join(Business, Business.id == Product.business_id).where(shown_sql(Business))
    if category:
        stmt = stmt.where(
            Product.category_id.in_(categories.with_descendants(get_session(), category))
        )
    if region:
        stmt = stmt.where(in_region(region))
    if price_min is not None:
        stmt = stmt.where(Product.price_idr >= price_min)
    if price_max is not None:
        stmt = stmt.where(Product.price_idr <= price_max)
    if availability is not None:
        stmt = stmt.where(Product.availability == availability)
        if availability == Availability.IN_STOCK:
            stmt = stmt.where(Product.stock > 0)  # sold out by orders: nothing to buy now
    if licence is not None:
        stmt = stmt.where(
            exists().where(
                BusinessLicence.business_id == Business.id, BusinessLicence.kind == licence
            )
        )
    if verified_graduate is not None:
        stmt = stmt.where(Business.verified_graduate.is_(verified_graduate))
    if business:
        stmt = stmt.where(Product.business_id == business)
    if updated_since is not None:  # an app's mirror, by filters (the schema refuses ``q``)
        return changes.paginate_changes(
            get_session(),
            stmt,
            model=Product,
            since=updated_since,
            scope=Product.business_id == business if business else None,
            limit=limit,
            cursor=cursor,
            load=load,
        )
    computed: dict[str, Any] = {}
    words = query_words(q or "")
    sort = sort or ("relevance" if words else "newest")
    id_column: Any = None
    filtered = stmt is not listed
    counts: list[int] | None = None  # each word's matches, when already counted
    # The cache is kept on PostgreSQL only: with it, no session is opened to find that out.
    postgres = cache is not None or _is_postgres(get_session())
    kept: Callable[[list[str], str | None], None] | None = None
    if words and sort == "relevance" and not filtered and postgres:
        # Taken before the counts are read: a page read the general way on counts an eviction
        # made stale (a word that turned rare) is not kept.
        token = cache.token() if cache is not None else None
        answer = _ranked_by_terms_alone(
            get_session, words, limit=limit, cursor=cursor, load=load, cache=cache
        )
        if isinstance(answer, Page):
            return answer
        counts = answer
        if cache is not None:
            # A common word's page (the most recent matches, ranked) is kept like a rare
            # word's: it too changes only with ``fts_product_terms`` (``s:*``), and the head
            # of the searches people make is the common words.
            kept = _keeper(cache, _page_key(limit, cursor, words), token)
    if words:
        stmt, rank, id_column = _match(
            get_session(),
            stmt,
            words,
            ranked=sort == "relevance",
            filtered=filtered,
            counts=counts,
            cache=cache,
        )
        computed["rank"] = rank
        if id_column is not None:
            computed["id"] = id_column
    if sort == "relevance" and not words:
        sort = "newest"  # without words there is nothing to be relevant to
    ids: list[str] = []

    def loaded(page_ids: list[str]) -> list[T]:
        ids[:] = page_ids
        return load(page_ids)

    page = paginate(
        get_session(),
        stmt,
        model=Product,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
        computed=computed,
        two_phase=True,
        id_column=id_column,
        load=loaded,
    )
    if kept is not None:
        kept(ids, page.next_cursor)
    return page


def _page_key(limit: int, cursor: str | None, words: list[str]) -> str:
    """Where the cache keeps a page of an unfiltered relevance search."""
    return f"s:{limit}:{cursor or ''}:{' '.join(words)}"


def _keeper(
    cache: CatalogueCache, key: str, token: int | None
) -> Callable[[list[str], str | None], None]:
    """Keeps the page read under ``key``, unless an eviction came since ``token``."""

    def keep(ids: list[str], next_cursor: str | None) -> None:
        cache.put_search(key, SearchPage(tuple(ids), next_cursor), token)

    return keep


def query_words(q: str) -> list[str]:
    """Lower-case, accent-free words of a query (at most MAX_WORDS)."""
    # Lower-cased after the decomposition, which can make capitals ("℃" is "C").
    folded = unicodedata.normalize("NFKD", q)
    plain = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.findall(r"[^\W_]+", plain)[:MAX_WORDS]


# Relevance ranks every match when the query's rarest word has at most this many (see _match).
RANK_CANDIDATES = 1000
# The search box's request for one word (no filter, by relevance) ranks every match from
# ``fts_product_terms`` alone, reading no product, up to this many matches: up to there that
# costs less than the broad way's reads of every match's row (bench/README.md, "Figures behind
# constants in the code"). A filter needs the products read, in rank order, until the page is
# full, and a query of more words is driven by its rarest word, whose count one statement
# must read up to the cap for every word: those keep RANK_CANDIDATES.
RANK_ALONE = 20_000


def _cap(words: int, *, ranked: bool = True, filtered: bool = False) -> int:
    """Up to how many matches of its rarest word a query's every match is ranked."""
    return RANK_ALONE if words == 1 and ranked and not filtered else RANK_CANDIDATES


# Otherwise it ranks this many of the most recent matches: the cost knob of broad queries (its
# measured cost: bench/README.md, "Figures behind constants in the code").
BROAD_CANDIDATES = 500

# PostgreSQL: the words of listed products and their best field (migration 0022).
TERMS = table("fts_product_terms", column("term"), column("product_id"), column("weight"))
# The weight of a word's best field, as ``fts_product_terms`` keeps it: name, tags, description.
WEIGHTS = (("A", 4), ("B", 2))
DESCRIPTION_WEIGHT = 1
# Above every code point: a word's prefix range is [word, word + TOP).
TOP = "\U0010ffff"


def _match(
    session: Session,
    stmt: Any,
    words: list[str],
    *,
    ranked: bool,
    filtered: bool,
    counts: list[int] | None = None,
    cache: CatalogueCache | None = None,
) -> tuple[Any, Any, Any]:
    """Restrict to rows matching every word (as a prefix); return the statement, the rank to
    order by, and the column of product ids when it is not ``products.id``.

    On PostgreSQL the rank of a product is, summed over the query's words, the weight of the
    best field the word is in (name 4, tags 2, description 1); ties go by id. When the rarest
    word of the query matches at most RANK_CANDIDATES words of products (RANK_ALONE for a
    relevance search of one word with no filter, which reads no product), every match is ranked,
    from ``fts_product_terms`` alone (an index range per word, no table read). A query whose
    every word is common ("kue" matches a sixth of a national catalogue) ranks the
    BROAD_CANDIDATES most recent matches only, found by the GIN index: ranking every match would
    cost a few microseconds a row. Its relevance list ends there. The words' counts that
    choose between them are kept by ``cache`` (``_kept_counts``) unless given.
    """
    if _is_postgres(session):
        return _match_postgres(
            session, stmt, words, ranked=ranked, filtered=filtered, counts=counts, cache=cache
        )
    # bm25 is lower-is-better; negated so that both backends sort relevance descending.
    fts = table("fts_products", literal_column("rowid"))
    match = " ".join(f'"{w}"*' for w in words)
    rank = -func.bm25(literal_column("fts_products"), 10.0, 5.0, 1.0, type_=Float)
    stmt = stmt.join(fts, literal_column("fts_products.rowid") == literal_column("products.rowid"))
    matched = stmt.where(and_(text("fts_products MATCH :fts_match").bindparams(fts_match=match)))
    return matched, rank, None


def _match_postgres(
    session: Session,
    stmt: Any,
    words: list[str],
    *,
    ranked: bool,
    filtered: bool,
    counts: list[int] | None,
    cache: CatalogueCache | None,
) -> tuple[Any, Any, Any]:
    folded = _folded(words)
    cap = _cap(len(words), ranked=ranked, filtered=filtered)
    if counts is None:
        counts = _kept_counts(session, words, cap, cache)
    rarest = min(range(len(words)), key=counts.__getitem__)
    if counts[rarest] <= cap:
        return _ranked_by_terms(stmt, folded, rarest, read_products=filtered or not ranked)
    tsquery = func.to_tsquery(
        literal_column("'simple'"),
        func.berdaya_unaccent(" & ".join(f"{w}:*" for w in words)),
    )
    vector: Any = literal_column("products.search_vector")
    matched = stmt.where(vector.op("@@")(tsquery))
    if not ranked:
        return matched, literal(0.0, Double), None
    candidates = (
        matched.with_only_columns(Product.id.label("cid"), vector.label("cvec"))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(BROAD_CANDIDATES)
        .subquery("candidates")
    )
    # The same rank as _ranked_by_terms, from each candidate's vector (its best field per word).
    score: Any = None
    for word in words:
        weight = case(
            *(
                (
                    candidates.c.cvec.op("@@")(
                        func.to_tsquery(
                            literal_column("'simple'"), func.berdaya_unaccent(f"{word}:*{letter}")
                        )
                    ),
                    value,
                )
                for letter, value in WEIGHTS
            ),
            else_=DESCRIPTION_WEIGHT,
        )
        score = weight if score is None else score + weight
    rank = cast(score, Double)
    return select(candidates.c.cid).select_from(candidates), rank, candidates.c.cid


def _folded(words: list[str]) -> list[Any]:
    """The words as ``fts_product_terms`` keeps them (accents folded by the database)."""
    return [func.berdaya_unaccent(literal(w, String)) for w in words]


def _counts_key(words: list[str], cap: int) -> str:
    """Where the workers' cache keeps the words' counts of matches, counted up to ``cap`` + 1."""
    return f"s:n:{cap}:{' '.join(words)}"


def _kept_counts(
    session: Session, words: list[str], cap: int, cache: CatalogueCache | None
) -> list[int]:
    """Each word's count of matches up to ``cap`` + 1, as ``_term_counts`` reads them, kept by
    the workers' cache (when there is one) like the pages: they change only with
    ``fts_product_terms``, whose every write evicts ``s:*``. A word searched again with other
    filters or in another order is not counted again (a statement a filtered search, about a
    sixth of its time)."""
    if cache is None:
        return _term_counts(session, _folded(words), cap)
    cache.ensure_listening()
    key = _counts_key(words, cap)
    kept = cache.get_search(key)
    if kept is not None and kept.counts is not None:
        return list(kept.counts)
    token = cache.token()  # before reading: an eviction during the read keeps it out
    counts = _term_counts(session, _folded(words), cap)
    cache.put_search(key, SearchPage((), None, tuple(counts)), token)
    return counts


def _in_range(terms: Any, folded: Any) -> Any:
    return and_(terms.c.term >= folded, terms.c.term < folded.concat(TOP))


def _term_counts(session: Session, folded: list[Any], cap: int) -> list[int]:
    """How many words of products each query word is a prefix of, counted up to one more
    than ``cap`` (an index-only range each, in one statement)."""
    probes = [
        select(func.count())
        .select_from(
            select(literal_column("1"))
            .select_from(TERMS)
            .where(_in_range(TERMS, word))
            .limit(cap + 1)
            .subquery()
        )
        .scalar_subquery()
        for word in folded
    ]
    return list(read_rows(session, select(*probes)).one())


def _ranked_by_terms(
    stmt: Any, folded: list[Any], rarest: int, *, read_products: bool
) -> tuple[Any, Any, Any]:
    """Every match, ranked: the rarest word's products with their weight (one index range),
    each other word's weight looked up per product (the primary key), NULL when it is not
    there. ``fts_product_terms`` holds listed products only, in step with ``products`` (a
    trigger): without filters or another order the products are not read at all; with them,
    the matches come in rank order, so the products are read until the page is full."""
    driver = TERMS.alias("driver")
    weights = (
        select(driver.c.product_id.label("pid"), func.max(driver.c.weight).label("weight"))
        .where(_in_range(driver, folded[rarest]))
        .group_by(driver.c.product_id)
        .subquery("rarest")
    )
    score: Any = weights.c.weight
    for i, word in enumerate(folded):
        if i == rarest:
            continue
        other = TERMS.alias(f"word_{i}")
        score = score + (
            select(func.max(other.c.weight))
            .where(other.c.product_id == weights.c.pid, _in_range(other, word))
            .scalar_subquery()
        )
    found = select(weights.c.pid, cast(score, Double).label("score"))
    if not read_products:
        matches = found.subquery("matches")
        stmt = select(matches.c.pid).select_from(matches).where(matches.c.score.is_not(None))
        return stmt, matches.c.score, matches.c.pid
    matches = found.order_by(literal_column("score").desc(), weights.c.pid).subquery("matches")
    matched = stmt.join(matches, matches.c.pid == Product.id).where(matches.c.score.is_not(None))
    return matched, matches.c.score, matches.c.pid


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# The search box's request (words, no filter, by relevance) in one statement, when every word
# is rare: each word's matches (at most _cap + 1 words of products, one index range
# each), their products in common with each word's best weight summed (the rank of
# _ranked_by_terms), and one page in rank order. The first column is each word's count of
# matches: above _cap a list is not whole, the page is not read (a one-time
# filter), and the query goes the general way with those counts. The counts are read from
# the index alone (once: ``counted``), before any match is kept: a common word's first search
# kept its RANK_ALONE + 1 matches to count them, 12 ms, where counting them takes 3.
@lru_cache(maxsize=2 * MAX_WORDS)
def _ranked_page_sql(words: int, after: bool) -> Any:
    ranges = [
        # Only positions are formatted in (here and below): the words are bound parameters.
        f"FROM fts_product_terms WHERE term >= berdaya_unaccent(:w{i})"
        f" AND term < berdaya_unaccent(:w{i}) || :top LIMIT :cap + 1"
        for i in range(words)
    ]
    hits = ",\n".join(
        f"h{i} AS MATERIALIZED (SELECT product_id, weight {where})"
        for i, where in enumerate(ranges)
    )
    counts = ", ".join(
        f"(SELECT count(*) FROM (SELECT 1 {where}) AS n{i})"  # noqa: S608
        for i, where in enumerate(ranges)
    )
    weights = [
        f"(SELECT product_id AS pid, max(weight) AS w FROM h{i} GROUP BY product_id) AS a{i}"  # noqa: S608
        for i in range(words)
    ]
    joined = weights[0] + "".join(
        f" JOIN {w} ON a{i}.pid = a0.pid" for i, w in enumerate(weights[1:], 1)
    )
    score = " + ".join(f"a{i}.w" for i in range(words))
    after_clause = (
        "AND (m.score < :after_score OR (m.score = :after_score AND m.pid > :after_id))"
        if after
        else ""
    )
    return text(
        f"""
        WITH counted AS MATERIALIZED (SELECT ARRAY[{counts}] AS counts),
        {hits}
        SELECT c.counts, page.pid, page.score
        FROM (
          SELECT a.counts, (SELECT max(n) FROM unnest(a.counts) AS n) AS most
          FROM counted AS a
        ) AS c LEFT JOIN LATERAL (
          SELECT m.pid, m.score FROM (
            SELECT a0.pid, ({score})::float8 AS score FROM {joined}
          ) AS m
          WHERE c.most <= :cap {after_clause}
          ORDER BY m.score DESC, m.pid
          LIMIT :limit
        ) AS page ON true
        """  # noqa: S608
    )


CURSOR_KEYS = (column("score", Double), column("pid", String))


def _ranked_by_terms_alone(
    get_session: Callable[[], Session],
    words: list[str],
    *,
    limit: int,
    cursor: str | None,
    load: Callable[[list[str]], list[T]],
    cache: CatalogueCache | None,
) -> Page[T] | list[int]:
    """One page of an unfiltered relevance search, ranked from ``fts_product_terms`` alone in
    one round trip; when a word is common, each word's count of matches (up to
    ``_cap`` + 1) for the general way instead.

    Such a page is made of ``fts_product_terms`` rows and nothing else, so the workers' cache
    keeps its ids and cursor (the items come from the documents it keeps, evicted one by one):
    any write to that table announces ``s:*``, which drops every page kept, and a worker drops
    them itself when it changes what a product's words or listing depend on."""
    key = _page_key(limit, cursor, words)
    cap = _cap(len(words))
    counted = _counts_key(words, cap)  # a common word's counts, the same for every page
    token = None
    if cache is not None:
        cache.ensure_listening()
        kept = cache.get_search(key) or cache.get_search(counted)
        if kept is not None and kept.counts is not None:
            return list(kept.counts)
        if kept is not None:
            return Page(items=load(list(kept.ids)), next_cursor=kept.next_cursor)
        token = cache.token()  # before reading: an eviction during the read keeps it out
    params: dict[str, Any] = {f"w{i}": word for i, word in enumerate(words)}
    params.update(top=TOP, cap=cap, limit=limit + 1)
    if cursor:
        params["after_score"], params["after_id"] = cursor_values(cursor, "relevance", CURSOR_KEYS)
    rows = read_rows(get_session(), _ranked_page_sql(len(words), bool(cursor)), params).all()
    counts: list[int] = list(rows[0].counts)
    if max(counts) > cap:
        if cache is not None:
            cache.put_search(counted, SearchPage((), None, tuple(counts)), token)
        return counts
    found = [row for row in rows if row.pid is not None]
    page, more = found[:limit], len(found) > limit
    last = page[-1] if more and page else None
    ids = [row.pid for row in page]
    next_cursor = encode_cursor("relevance", [last.score, last.pid]) if last else None
    if cache is not None:
        cache.put_search(key, SearchPage(tuple(ids), next_cursor), token)
    return Page(items=load(ids), next_cursor=next_cursor)
