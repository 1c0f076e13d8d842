"""The public catalogue, read without the ORM: the hot public representations (a product, a
business, a page of search results or of a region's businesses) come from one joined SQL
statement plus one each for photos (and licences), built straight into the shape the schemas
(``ProductSchema``, ``BusinessSchema``) give them.

The ORM path stays the reference: ``tests/test_catalogue_reads.py`` checks that both give the
same document for every kind of listing, and anything that is not plainly public (a draft, a
hidden listing, the owner's own view with her figures or address) goes through the ORM as
before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Row, and_, bindparam, select
from sqlalchemy.orm import Session

from api.catalogue.cache import CatalogueCache, Entry
from api.catalogue.listing import shown
from api.dates import rfc3339
from api.db import read_rows, utcnow
from api.images import SIZES, photo_key
from api.models import (
    Business,
    BusinessLicence,
    BusinessStatus,
    Category,
    Photo,
    Product,
    Region,
)
from api.models.businesses import ACTIVE_DAYS, DORMANT_DAYS, activity_status, contact_missing
from api.services.authz import Actor

# A public document as sent: its encoded body and its ETag (the HTTP layer's business).
Encode = Callable[[dict[str, Any]], tuple[bytes, str]]
# A public document's compact list item, encoded (the HTTP layer's business too).
Summarise = Callable[[dict[str, Any]], bytes]

District = Region.__table__.alias("district")
Village = Region.__table__.alias("village")
Regency = Region.__table__.alias("regency")

# The category, the district and city, and one photo: in both the product and business rows.
_PLACE_AND_PHOTO_COLUMNS: tuple[Any, ...] = (
    Category.id.label("category_id"),
    Category.slug.label("category_slug"),
    Category.name_id.label("category_name_id"),
    Category.name_en.label("category_name_en"),
    District.c.code.label("district_code"),
    District.c.name.label("district_name"),
    Regency.c.code.label("regency_code"),
    Regency.c.name.label("regency_name"),
    Photo.id.label("photo_id"),
    Photo.position.label("photo_position"),
    Photo.width.label("photo_width"),
    Photo.height.label("photo_height"),
)

_PRODUCT_COLUMNS: tuple[Any, ...] = (
    Product.id,
    Product.slug,
    Product.name,
    Product.description,
    Product.price_idr,
    Product.unit,
    Product.min_order,
    Product.availability,
    Product.stock,
    Product.lead_days,
    Product.status,
    Product.tags,
    Product.rating_count,
    Product.rating_sum,
    Product.published_at,
    Product.created_at,
    Product.updated_at,
    Product.hidden_at,
    Business.id.label("business_id"),
    Business.slug.label("business_slug"),
    Business.name.label("business_name"),
    Business.verified_graduate,
    Business.status.label("business_status"),
    Business.hidden_at.label("business_hidden_at"),
    Business.owner_id,
    Business.group_id,
    Business.village_code,
    and_(Business.whatsapp.is_not(None), Business.contact_consented).label("contactable"),
)

# One row per photo (or one with no photo): a product and its photos in one round trip.
_PRODUCTS = (
    select(
        *_PRODUCT_COLUMNS,
        *_PLACE_AND_PHOTO_COLUMNS,
    )
    .join(Business, Business.id == Product.business_id)
    .join(Category, Category.id == Product.category_id)
    .join(District, District.c.code == Business.district_code)
    .join(Regency, Regency.c.code == Business.regency_code)
    .outerjoin(Photo, Photo.product_id == Product.id)
    .order_by(Product.id, Photo.position)
)


_BUSINESS_COLUMNS: tuple[Any, ...] = (
    Business.id,
    Business.slug,
    Business.name,
    Business.description,
    Business.channels,
    Business.opening_hours,
    Business.founded_on,
    Business.status,
    Business.verified_graduate,
    Business.last_activity_at,
    Business.rating_count,
    Business.rating_sum,
    Business.created_at,
    Business.updated_at,
    Business.hidden_at,
    Business.owner_id,
    Business.group_id,
    Business.village_code,
    and_(Business.whatsapp.is_not(None), Business.contact_consented).label("contactable"),
)

# One row per photo of the business itself (or one with no photo), as for products.
_BUSINESSES = (
    select(
        *_BUSINESS_COLUMNS,
        *_PLACE_AND_PHOTO_COLUMNS,
    )
    .join(Category, Category.id == Business.category_id)
    .join(District, District.c.code == Business.district_code)
    .join(Regency, Regency.c.code == Business.regency_code)
    .outerjoin(Photo, and_(Photo.business_id == Business.id, Photo.product_id.is_(None)))
    .order_by(Business.id, Photo.position)
)


# The statements of the reads, built once with their parameters: a statement built per request
# has its SQL cache key computed per request (bench/README.md, "the miss path"); one built
# once keeps it.
_PRODUCT_BY_ID = _PRODUCTS.where(Product.id == bindparam("id"))
_PRODUCTS_BY_IDS = _PRODUCTS.where(Product.id.in_(bindparam("ids", expanding=True)))
_BUSINESS_BY_ID = _BUSINESSES.where(Business.id == bindparam("id"))
_BUSINESSES_BY_IDS = _BUSINESSES.where(Business.id.in_(bindparam("ids", expanding=True)))
# A business with what only its owner (and staff in scope) see: ``BusinessPrivateSchema``.
_OWN_BUSINESSES_BY_IDS = (
    _BUSINESSES.add_columns(
        Village.c.name.label("village_name"),
        Business.address,
        Business.whatsapp,
        Business.contact_consented,
    )
    .join(Village, Village.c.code == Business.village_code)
    .where(Business.id.in_(bindparam("ids", expanding=True)))
)
_LICENCES_OF = (
    select(
        BusinessLicence.business_id,
        BusinessLicence.kind,
        BusinessLicence.number,
        BusinessLicence.issued_on,
        BusinessLicence.expires_on,
    )
    .where(BusinessLicence.business_id.in_(bindparam("ids", expanding=True)))
    .order_by(BusinessLicence.business_id, BusinessLicence.kind)
)


@dataclass(frozen=True)
class PublicListing:
    """A listing as everyone sees it, and what decides whether someone sees more."""

    document: dict[str, Any]
    owner_id: str
    village_code: str
    # When the document changes by itself, with no write (a business's activity status).
    changes_at: dt.datetime | None = None
    group_id: str | None = None  # a group's business: its officers see more


def public_product(
    session: Session, product_id: str, *, url: Callable[[str], str]
) -> PublicListing | None:
    """The public document of a product, or None when it is not public (or not there)."""
    rows = read_rows(session, _PRODUCT_BY_ID, {"id": product_id}).all()
    if not rows or not _is_public(rows[0]):
        return None
    row = rows[0]
    return PublicListing(
        _product(row, _photos(rows, url)), row.owner_id, row.village_code, group_id=row.group_id
    )


def public_products(
    session: Session, product_ids: Sequence[str], *, url: Callable[[str], str]
) -> list[PublicListing]:
    """The public documents of the products, in the order of the ids; any that is not public
    (any more: a search's ids may be a moment older than this read) is left out."""
    rows = {
        i: group for i, group in _product_rows(session, product_ids).items() if _is_public(group[0])
    }
    return [
        PublicListing(
            _product(rows[i][0], _photos(rows[i], url)),
            rows[i][0].owner_id,
            rows[i][0].village_code,
            group_id=rows[i][0].group_id,
        )
        for i in product_ids
        if i in rows
    ]


def products(
    session: Session, product_ids: Sequence[str], *, url: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The documents of the products whatever their state (drafts, hidden ones: an owner's
    own list), in the order of the ids; who may see them is the caller's business. Never
    kept: the cache holds public documents only."""
    rows = _product_rows(session, product_ids)
    return [_product(rows[i][0], _photos(rows[i], url)) for i in product_ids if i in rows]


def _product_rows(session: Session, product_ids: Sequence[str]) -> dict[str, list[Row[Any]]]:
    """The rows of each product (one per photo, in order), by id."""
    return _rows_by_id(session, _PRODUCTS_BY_IDS, product_ids)


def _rows_by_id(session: Session, statement: Any, ids: Sequence[str]) -> dict[str, list[Row[Any]]]:
    """The rows of a statement of ``ids`` (one per photo, in order), grouped by id."""
    rows: dict[str, list[Row[Any]]] = {}
    if ids:
        for row in read_rows(session, statement, {"ids": list(ids)}):
            rows.setdefault(row.id, []).append(row)
    return rows


def public_business(
    session: Session, business_id: str, *, url: Callable[[str], str]
) -> PublicListing | None:
    """The public document of a business, or None when it is not public (or not there)."""
    rows = read_rows(session, _BUSINESS_BY_ID, {"id": business_id}).all()
    if not rows or not shown(Business, rows[0].status, rows[0].hidden_at):
        return None
    [document] = _businesses(session, [rows], url)
    return PublicListing(
        document,
        rows[0].owner_id,
        rows[0].village_code,
        _activity_changes_at(rows[0]),
        group_id=rows[0].group_id,
    )


def public_businesses(
    session: Session, ids: Sequence[str], *, url: Callable[[str], str]
) -> list[PublicListing]:
    """The public documents of businesses known to be public, in the order of the ids."""
    rows = _rows_by_id(session, _BUSINESSES_BY_IDS, ids)
    # Found public by the page's query, but hidden, paused or closed since (a document read
    # now may be kept and served by itself): left out, as a product would be.
    ordered = [
        rows[i]
        for i in ids
        if i in rows and shown(Business, rows[i][0].status, rows[i][0].hidden_at)
    ]
    documents = _businesses(session, ordered, url)
    return [
        PublicListing(
            document,
            group[0].owner_id,
            group[0].village_code,
            _activity_changes_at(group[0]),
            group_id=group[0].group_id,
        )
        for document, group in zip(documents, ordered, strict=True)
    ]


def businesses_with_private(
    session: Session, ids: Sequence[str], *, url: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The documents of businesses with their ``private`` part, whatever their status (an
    owner's own list), in the order of the ids; who may see them is the caller's business.
    Never kept: the cache holds public documents only."""
    rows = _rows_by_id(session, _OWN_BUSINESSES_BY_IDS, ids)
    ordered = [rows[i] for i in ids if i in rows]
    documents = _businesses(session, ordered, url)
    for document, group in zip(documents, ordered, strict=True):
        row = group[0]
        document["private"] = {
            "village": {"code": row.village_code, "name": row.village_name},
            "address": row.address,
            "whatsapp": row.whatsapp,
            "contact_missing": contact_missing(row.whatsapp, row.contact_consented),
        }
    return documents


def _activity_changes_at(row: Row[Any]) -> dt.datetime | None:
    """When ``activity_status`` next changes with time alone (active -> at risk -> dormant)."""
    if row.last_activity_at is None or row.status == BusinessStatus.CLOSED:
        return None
    now = utcnow()
    for days in (ACTIVE_DAYS, DORMANT_DAYS):
        moment: dt.datetime = row.last_activity_at + dt.timedelta(days=days)
        if moment > now:
            return moment
    return None


class Owned(Protocol):
    @property
    def owner_id(self) -> str: ...

    @property
    def village_code(self) -> str: ...

    @property
    def group_id(self) -> str | None: ...


def sees_more(actor: Actor, listing: Owned) -> bool:
    """The owner (or an admin over her village) gets her figures, address and editable view;
    so may the officers of the group that owns it, which the services decide (a signed-in
    caller of a group's listing is not answered from the public copy)."""
    return (
        actor.user_id == listing.owner_id
        or actor.admin_over(listing.village_code)
        or (listing.group_id is not None and actor.user_id is not None)
    )


def _businesses(
    session: Session, groups: Sequence[Sequence[Row[Any]]], url: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Each business's rows (one per photo) as documents, with their licences."""
    ids = [group[0].id for group in groups]
    licences: dict[str, list[dict[str, Any]]] = {}
    if ids:
        for licence in read_rows(session, _LICENCES_OF, {"ids": ids}):
            licences.setdefault(licence.business_id, []).append(
                {
                    "kind": licence.kind.value,
                    "number": licence.number,
                    "issued_on": _date(licence.issued_on),
                    "expires_on": _date(licence.expires_on),
                }
            )
    return [
        _business(group[0], licences.get(group[0].id, []), _photos(group, url)) for group in groups
    ]


def _business(
    row: Row[Any], licences: list[dict[str, Any]], photos: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "description": row.description,
        "category": _category(row),
        "district": {"code": row.district_code, "name": row.district_name},
        "regency": {"code": row.regency_code, "name": row.regency_name},
        "channels": row.channels,
        "opening_hours": row.opening_hours,
        "founded_on": _date(row.founded_on),
        "licences": licences,
        "photos": photos,
        "status": row.status.value,
        "verified_graduate": row.verified_graduate,
        "contactable": bool(row.contactable),
        "activity_status": activity_status(row.status, row.last_activity_at),
        "rating": _rating(row),
        "private": None,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def _is_public(row: Row[Any]) -> bool:
    return shown(Product, row.status, row.hidden_at) and shown(
        Business, row.business_status, row.business_hidden_at
    )


def _photos(rows: Sequence[Row[Any]], url: Callable[[str], str]) -> list[dict[str, Any]]:
    """The photos of one product's rows (one per photo, in order)."""
    return [
        _photo(row.photo_id, row.photo_position, row.photo_width, row.photo_height, url)
        for row in rows
        if row.photo_id is not None
    ]


def _photo(
    photo_id: str, position: int, width: int, height: int, url: Callable[[str], str]
) -> dict[str, Any]:
    return {
        "id": photo_id,
        "position": position,
        "width": width,
        "height": height,
        "urls": {str(size): url(photo_key(photo_id, size)) for size in SIZES},
    }


def _product(row: Row[Any], photos: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "description": row.description,
        "category": _category(row),
        "price_idr": row.price_idr,
        "unit": row.unit,
        "min_order": row.min_order,
        "availability": row.availability.value,
        "stock": row.stock,
        "lead_days": row.lead_days,
        "status": row.status.value,
        "tags": row.tags,
        "photos": photos,
        "business": {
            "id": row.business_id,
            "slug": row.business_slug,
            "name": row.business_name,
            "district": {"code": row.district_code, "name": row.district_name},
            "regency": {"code": row.regency_code, "name": row.regency_name},
            "verified_graduate": row.verified_graduate,
            "contactable": bool(row.contactable),
        },
        "rating": _rating(row),
        "stats": None,
        "published_at": rfc3339(row.published_at),
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def _category(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.category_id,
        "slug": row.category_slug,
        "name_id": row.category_name_id,
        "name_en": row.category_name_en,
    }


def _rating(row: Row[Any]) -> dict[str, Any]:
    """As ``RatedMixin.rating``: the average of visible reviews to two decimals, and how many."""
    count = row.rating_count or 0
    return {"average": round(row.rating_sum / count, 2) if count else None, "count": count}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# -- through the worker's cache of encoded documents (``api.catalogue.cache``) ---------------------


def product_key(product_id: str) -> str:
    return f"p:{product_id}"


def business_key(business_id: str) -> str:
    return f"b:{business_id}"


def product_entry(
    cache: CatalogueCache | None,
    get_session: Callable[[], Session],
    product_id: str,
    *,
    url: Callable[[str], str],
    encode: Encode,
    summarise: Summarise | None = None,
) -> Entry | None:
    """A public product, encoded (with its compact item when ``summarise`` is given): from
    the cache, else read (and kept). None if not public. ``get_session`` is called only when
    the database is read."""

    def read() -> Entry | None:
        listing = public_product(get_session(), product_id, url=url)
        return None if listing is None else _entry(listing, encode, summarise)

    return _cached(cache, product_key(product_id), read)


def business_entry(
    cache: CatalogueCache | None,
    get_session: Callable[[], Session],
    business_id: str,
    *,
    url: Callable[[str], str],
    encode: Encode,
    summarise: Summarise | None = None,
) -> Entry | None:
    """A public business, encoded, as ``product_entry``."""

    def read() -> Entry | None:
        listing = public_business(get_session(), business_id, url=url)
        return None if listing is None else _entry(listing, encode, summarise)

    return _cached(cache, business_key(business_id), read)


def product_entries(
    cache: CatalogueCache | None,
    get_session: Callable[[], Session],
    product_ids: Sequence[str],
    *,
    url: Callable[[str], str],
    encode: Encode,
    summarise: Summarise | None = None,
) -> list[Entry]:
    """Products known to be public (a search page), encoded, in the order of the ids: the
    cached ones as they are, the others read in one statement (and kept); ``get_session`` is
    called only then."""
    return _entries(
        cache,
        product_key,
        lambda ids: public_products(get_session(), ids, url=url),
        product_ids,
        encode,
        summarise,
    )


def business_entries(
    cache: CatalogueCache | None,
    get_session: Callable[[], Session],
    business_ids: Sequence[str],
    *,
    url: Callable[[str], str],
    encode: Encode,
    summarise: Summarise | None = None,
) -> list[Entry]:
    """Businesses known to be public (a page of a region's or a category's), as
    ``product_entries``."""
    return _entries(
        cache,
        business_key,
        lambda ids: public_businesses(get_session(), ids, url=url),
        business_ids,
        encode,
        summarise,
    )


def _entries(
    cache: CatalogueCache | None,
    key: Callable[[str], str],
    read: Callable[[list[str]], list[PublicListing]],
    ids: Sequence[str],
    encode: Encode,
    summarise: Summarise | None,
) -> list[Entry]:
    """The documents of ``ids`` in their order: the cached ones as they are, the others read
    at once (one statement) and kept."""
    found: dict[str, Entry] = {}
    if cache is not None:
        cache.ensure_listening()
        for i in ids:
            entry = cache.get(key(i))
            if entry is not None:
                found[i] = entry
    missing = [i for i in ids if i not in found]
    if missing:
        token = cache.token() if cache is not None else None
        for listing in read(missing):
            entry = _entry(listing, encode, summarise)
            found[listing.document["id"]] = entry
            if cache is not None:
                cache.put(key(listing.document["id"]), entry, token)
    return [found[i] for i in ids if i in found]


def _cached(
    cache: CatalogueCache | None, key: str, read: Callable[[], Entry | None]
) -> Entry | None:
    if cache is None:
        return read()
    cache.ensure_listening()
    entry = cache.get(key)
    if entry is not None:
        return entry
    token = cache.token()  # before reading: an eviction during the read keeps it out
    entry = read()
    if entry is not None:
        cache.put(key, entry, token)
    return entry


def _entry(listing: PublicListing, encode: Encode, summarise: Summarise | None = None) -> Entry:
    body, etag = encode(listing.document)
    business = listing.document.get("business")
    return Entry(
        body=body,
        etag=etag,
        owner_id=listing.owner_id,
        village_code=listing.village_code,
        group_id=listing.group_id,
        business_id=business["id"] if business else listing.document["id"],
        expires_at=listing.changes_at.timestamp() if listing.changes_at else None,
        summary=summarise(listing.document) if summarise is not None else None,
    )
