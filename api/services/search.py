"""Product search: one contract, PostgreSQL full-text search or SQLite FTS5 underneath.

Words of ``q`` match words of the name, tags and description, accents folded, each word as a
prefix ("kue lap" finds "Kue Lapis"); all words must match. Relevance weighs name above tags
above description (PostgreSQL ``ts_rank`` with weights A/B/C; SQLite ``bm25`` with 10/5/1).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Double, Float, and_, cast, exists, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from api.models import (
    Availability,
    Business,
    BusinessLicence,
    LicenceKind,
    Product,
)
from api.pagination import Page, SortOption, paginate
from api.services import categories, regions

T = TypeVar("T")

MAX_WORDS = 8
SORTS = {
    "relevance": SortOption((("rank", True), ("id", False))),
    "newest": SortOption((("created_at", True), ("id", True))),
    "price": SortOption((("price_idr", False), ("id", False))),
    "-price": SortOption((("price_idr", True), ("id", True))),
}


def search_products(
    session: Session,
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
) -> Page[T]:
    """Published products of active businesses matching the words and filters; ``load`` turns
    the page's ids into its items (the public documents, ``api.services.catalogue_reads``)."""
    # ``listed`` is "published, visible, of an active visible business" kept on the product, so
    # the business is joined only for filters on it.
    stmt = select(Product).where(Product.listed.is_(True))
    if region or licence is not None or verified_graduate is not None:
        stmt = stmt.join(Business, Business.id == Product.business_id)
    if category:
        stmt = stmt.where(Product.category_id.in_(categories.with_descendants(session, category)))
    if region:
        stmt = stmt.where(regions.within(Business.village_code, region))
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
    computed: dict[str, Any] = {}
    words = query_words(q or "")
    sort = sort or ("relevance" if words else "newest")
    id_column: Any = None
    if words:
        stmt, rank, id_column = _match(session, stmt, words, ranked=sort == "relevance")
        computed["rank"] = rank
        if id_column is not None:
            computed["id"] = id_column
    if sort == "relevance" and not words:
        sort = "newest"  # without words there is nothing to be relevant to
    return paginate(
        session,
        stmt,
        model=Product,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
        computed=computed,
        two_phase=True,
        id_column=id_column,
        load=load,
    )


def query_words(q: str) -> list[str]:
    """Lower-case, accent-free words of a query (at most MAX_WORDS)."""
    folded = unicodedata.normalize("NFKD", q.lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", plain)[:MAX_WORDS]


# Relevance ranks at most this many matches: the most recent ones (see _match).
RANK_CANDIDATES = 1000


def _match(session: Session, stmt: Any, words: list[str], *, ranked: bool) -> tuple[Any, Any, Any]:
    """Restrict to rows matching every word (as a prefix); return the statement, the rank to
    order by, and the column of product ids when it is not ``products.id``.

    On PostgreSQL, ranking by relevance looks at the RANK_CANDIDATES most recent matches only:
    ranking every match costs a few microseconds a row, and a common word ("kue") matches a
    sixth of a national catalogue. Relevance therefore means "the best matches among the most
    recent thousand"; a selective query has fewer matches than that and is ranked whole.
    """
    rank: Any
    vector: Any
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.to_tsquery(
            literal_column("'simple'"),
            func.berdaya_unaccent(" & ".join(f"{w}:*" for w in words)),
        )
        vector = literal_column("products.search_vector")
        # float8, so the value in a cursor round-trips exactly (a float4 would come back as its
        # shortest decimal, compare unequal, and make the next page repeat this one).
        matched = stmt.where(vector.op("@@")(tsquery))
        if not ranked:
            return matched, cast(func.ts_rank(vector, tsquery), Double), None
        candidates = (
            matched.with_only_columns(Product.id.label("cid"), vector.label("cvec"))
            .order_by(Product.created_at.desc(), Product.id.desc())
            .limit(RANK_CANDIDATES)
            .subquery("candidates")
        )
        rank = cast(func.ts_rank(candidates.c.cvec, tsquery), Double)
        return select(candidates.c.cid).select_from(candidates), rank, candidates.c.cid
    # bm25 is lower-is-better; negated so that both backends sort relevance descending.
    fts = table("fts_products", literal_column("rowid"))
    match = " ".join(f'"{w}"*' for w in words)
    rank = -func.bm25(literal_column("fts_products"), 10.0, 5.0, 1.0, type_=Float)
    stmt = stmt.join(fts, literal_column("fts_products.rowid") == literal_column("products.rowid"))
    matched = stmt.where(and_(text("fts_products MATCH :fts_match").bindparams(fts_match=match)))
    return matched, rank, None
