"""The catalogue's changes as events, as a mirror of the public catalogue needs them.

``product.published`` / ``business.published``: it became publicly visible (published and
active, not hidden). ``*.updated``: a public field changed; public while it is visible, private
to its owner otherwise. ``*.deleted``: it left the public catalogue (unpublished, archived,
paused, closed, hidden by a moderator), a tombstone: delete your copy; it may come back with
``*.published``. A business leaving the catalogue takes its products with it; its products'
own events are not repeated. ``*.created`` (a draft) is its owner's only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, or_, update
from sqlalchemy.orm import Session

from api.catalogue import cache as catalogue_cache
from api.catalogue.listing import PUBLIC_STATUS, is_public, product_is_public_sql
from api.models import Business, Product
from api.services import events
from api.services.authz import Actor

PRODUCT_FIELDS = (
    "name",
    "description",
    "category_id",
    "price_idr",
    "unit",
    "min_order",
    "availability",
    "stock",
    "lead_days",
    "tags",
    "status",
)
BUSINESS_FIELDS = (
    "name",
    "description",
    "category_id",
    "village_code",
    "address",
    "channels",
    "opening_hours",
    "status",
)


@dataclass(frozen=True)
class Snapshot:
    public: bool
    values: dict[str, Any]


def snapshot(item: Product | Business) -> Snapshot:
    names = PRODUCT_FIELDS if isinstance(item, Product) else BUSINESS_FIELDS
    return Snapshot(is_public(item), {name: getattr(item, name) for name in names})


def announce(
    session: Session, item: Product | Business, before: Snapshot | None, *, actor: Actor
) -> None:
    """Record what changed for the catalogue since ``before`` (None: it was just created)."""
    kind = "product" if isinstance(item, Product) else "business"
    owner = item.business.owner_id if isinstance(item, Product) else item.owner_id
    after = snapshot(item)
    changed = sorted(
        name for name in after.values if before is None or before.values[name] != after.values[name]
    )
    data: dict[str, Any] = {"status": _value(item.status)}
    if isinstance(item, Product):
        data.update(
            business_id=item.business_id,
            name=item.name,
            price_idr=item.price_idr,
            availability=_value(item.availability),
            stock=item.stock,
        )
    else:
        # The district and city, as the public sees them: the village is the owner's private.
        data.update(
            name=item.name,
            slug=item.slug,
            district_code=item.district_code,
            regency_code=item.regency_code,
        )
    public, tombstone = False, False
    if before is None:
        what = "created"
    elif after.public and not before.public:
        what, public = "published", True
    elif before.public and not after.public:
        what, public, tombstone = "deleted", True, True
        data = {"reason": _reason(item)}
        if isinstance(item, Product):
            data["business_id"] = item.business_id
    elif changed:
        what, public = "updated", after.public
    else:
        return
    if what in ("updated", "published"):
        data["changed"] = changed
    events.record(
        session,
        type=f"{kind}.{what}",
        subject=item,
        actor=actor,
        data=data,
        audience=(owner,),
        public=public,
        tombstone=tombstone,
    )


def _reason(item: Product | Business) -> str:
    if item.hidden_at is not None:
        return "hidden"
    if isinstance(item, Product) and item.status == PUBLIC_STATUS[Product]:
        return "business_unavailable"
    return _value(item.status)


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# -- products.listed -----------------------------------------------------------------------------

_LISTING = "catalogue_listing_changes"
_PRODUCT_FIELDS_OF_LISTING = ("status", "hidden_at", "business_id")
_BUSINESS_FIELDS_OF_LISTING = ("status", "hidden_at")


def note_listing_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Remember the products (and businesses) whose publicness this flush may change."""
    products: list[Product] = [o for o in session.new if isinstance(o, Product)]
    businesses: list[Business] = []
    for obj in session.dirty:
        fields = (
            _PRODUCT_FIELDS_OF_LISTING
            if isinstance(obj, Product)
            else _BUSINESS_FIELDS_OF_LISTING
            if isinstance(obj, Business)
            else ()
        )
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in fields):
            (products if isinstance(obj, Product) else businesses).append(obj)
    if products or businesses:
        noted = session.info.setdefault(_LISTING, ([], []))
        noted[0].extend(products)
        noted[1].extend(businesses)


def update_listing(session: Session, _context: Any) -> None:
    """Set ``products.listed`` from the product and its business, in SQL, for what changed."""
    noted = session.info.pop(_LISTING, None)
    if noted is None:
        return
    product_ids = [p.id for p in noted[0]]
    business_ids = [b.id for b in noted[1]]
    stmt = relist(or_(Product.id.in_(product_ids), Product.business_id.in_(business_ids)))
    keys = [f"p:{i}" for i in product_ids] + [f"b:{i}" for i in business_ids]
    keys.append(catalogue_cache.SEARCHES)  # a listing changes which products are found
    session.execute(stmt.execution_options(**{catalogue_cache.KEYS_OPTION: keys}))
    for product in noted[0]:
        session.expire(product, ["listed"])


def relist(where: Any = None) -> Any:
    """The UPDATE that sets ``products.listed`` (of the products ``where`` selects, or all)."""
    listed = product_is_public_sql()
    stmt = (
        update(Product)
        .where(Product.listed.is_distinct_from(listed))
        # Not a change of the product: updated_at (and so its ETag) stays.
        .values(listed=listed, updated_at=Product.updated_at)
        .execution_options(synchronize_session=False)
    )
    return stmt if where is None else stmt.where(where)
