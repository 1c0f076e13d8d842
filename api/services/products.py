"""Products: the owner's catalogue, price and stock history, public listings."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from api.catalogue import changes as catalogue_changes
from api.catalogue.listing import product_is_public, shown_sql
from api.db import utcnow
from api.errors import NotFound, ValidationFailed
from api.models import (
    Availability,
    Lead,
    Product,
    ProductChange,
    ProductStatus,
    ProductViews,
)
from api.pagination import Page, paginate, sort_options
from api.services import businesses, categories, changes
from api.services.authz import Actor, authorize, can
from api.services.lifecycle import Lifecycle
from api.services.shown import Shown

if TYPE_CHECKING:
    from api.catalogue.counters import ViewCounter

DRAFT, PUBLISHED, ARCHIVED = ProductStatus.DRAFT, ProductStatus.PUBLISHED, ProductStatus.ARCHIVED
LIFECYCLE: Lifecycle[ProductStatus] = Lifecycle(
    {
        "publish": (frozenset({DRAFT, ARCHIVED}), PUBLISHED),
        "unpublish": (frozenset({PUBLISHED}), DRAFT),
        "archive": (frozenset({DRAFT, PUBLISHED}), ARCHIVED),
    }
)
TRACKED = ("price_idr", "stock", "availability")
SORTS = sort_options(
    Product, name=["name"], created_at=["created_at"], price=["price_idr"], newest=["-created_at"]
)
HISTORY_SORTS = sort_options(ProductChange, changed_at=["changed_at"])


def create_product(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> Product:
    """Add a draft product to a business the caller owns."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    values = dict(data)
    categories.require_category(session, values["category_id"])
    product = Product(
        **values,
        business_id=business.id,
        slug=f"{businesses.slugify(values['name'])}-{secrets.token_hex(2)}",
        business=business,
    )
    _check_availability(product)
    session.add(product)
    session.flush()
    _record(session, product, {f: None for f in TRACKED}, actor)
    businesses.touch(session, product.business_id)
    catalogue_changes.announce(session, product, None, actor=actor)
    return product


def get_product(
    session: Session, *, actor: Actor, product_id: str, action: str = "view"
) -> Product:
    """The product, if the actor may do the action (unpublished ones are 404 to others)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound()
    return authorize(actor, action, product)


def update_product(
    session: Session, *, actor: Actor, product: Product, changes: Mapping[str, Any]
) -> Product:
    """Apply changes; price, stock and availability changes go to the history."""
    if "category_id" in changes:
        categories.require_category(session, changes["category_id"])
    before = {f: getattr(product, f) for f in TRACKED}
    seen = catalogue_changes.snapshot(product)
    for field, value in changes.items():
        setattr(product, field, value)
    _check_availability(product)
    session.flush()
    _record(session, product, before, actor)
    businesses.touch(session, product.business_id)
    catalogue_changes.announce(session, product, seen, actor=actor)
    if "category_id" in changes:
        session.expire(product, ["category"])
    return product


def change_status(session: Session, *, actor: Actor, product_id: str, action: str) -> Product:
    """Publish, unpublish or archive a product (its business's owner or an admin)."""
    product = get_product(session, actor=actor, product_id=product_id, action="edit")
    seen = catalogue_changes.snapshot(product)
    LIFECYCLE.apply(product, action)
    if product.status == PUBLISHED and product.published_at is None:
        product.published_at = utcnow()
    session.flush()
    businesses.touch(session, product.business_id)
    catalogue_changes.announce(session, product, seen, actor=actor)
    return product


def list_for_business(
    session: Session,
    *,
    actor: Actor,
    business_id: str,
    status: ProductStatus | None = None,
    sort: str = "name",
    limit: int,
    cursor: str | None = None,
    updated_since: dt.datetime | None = None,
    load: Callable[[list[str], bool], list[Any]] | None = None,
) -> Page[Any]:
    """A business's products: all of them for its owner, the published ones for others.

    ``load`` reads the page's items without the ORM: it is given the page's ids (found
    first) and whether the caller sees every state (her drafts and hidden ones), and returns
    the items in that order. Without it the page holds ``Product`` objects (the reference)."""
    business = businesses.get_business(session, actor=actor, business_id=business_id)
    stmt = select(Product).where(Product.business_id == business.id)
    mine = can(actor, "edit", business)
    if not mine:
        stmt = stmt.where(shown_sql(Product))
    if status is not None:
        stmt = stmt.where(Product.status == status)
    reader: dict[str, Any] = {}
    if load is not None:
        reader = {"two_phase": True, "load": lambda ids: load(ids, mine)}
    return changes.paginate_changes(
        session,
        stmt,
        model=Product,
        since=updated_since,
        user_id=actor.user_id,
        scope=Product.business_id == business.id,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
        **reader,
    )


def history(
    session: Session, *, actor: Actor, product_id: str, limit: int, cursor: str | None = None
) -> Page[ProductChange]:
    """The price, stock and availability changes of a product, oldest first (owner only)."""
    product = get_product(session, actor=actor, product_id=product_id, action="edit")
    stmt = select(ProductChange).where(ProductChange.product_id == product.id)
    return paginate(
        session,
        stmt,
        model=ProductChange,
        sort="changed_at",
        options=HISTORY_SORTS,
        limit=limit,
        cursor=cursor,
    )


def can_edit(actor: Actor, product: Product) -> bool:
    return can(actor, "edit", product)


def shown(session: Session, actor: Actor, product: Product, views: ViewCounter) -> Shown[Product]:
    """The product as ``actor`` sees it: its owner (and staff who may edit it) also get its
    ``stats``; for everyone else they are null."""
    figures = stats(session, product, views) if can_edit(actor, product) else None
    return Shown(product, allowed_actions=[], stats=figures)


def stats(session: Session, product: Product, views: ViewCounter) -> dict[str, int]:
    """Views (stored plus not yet flushed) and leads of a product, for its owner."""
    leads, stored = session.execute(  # one round trip for both
        select(
            select(func.count()).where(Lead.product_id == product.id).scalar_subquery(),
            select(ProductViews.views)
            .where(ProductViews.product_id == product.id)
            .scalar_subquery(),
        )
    ).one()
    return {"views": (stored or 0) + views.pending(product.id), "leads": leads or 0}


def is_public(product: Product) -> bool:
    return product_is_public(product)


def _check_availability(product: Product) -> None:
    """Stock goes with in_stock, lead days with pre_order (422 naming the missing field)."""
    if product.availability == Availability.IN_STOCK and product.stock is None:
        raise ValidationFailed(errors={"stock": ["Required when availability is in_stock."]})
    if product.availability == Availability.PRE_ORDER and product.lead_days is None:
        raise ValidationFailed(errors={"lead_days": ["Required when availability is pre_order."]})


def _record(session: Session, product: Product, before: Mapping[str, Any], actor: Actor) -> None:
    now = utcnow()
    for field in TRACKED:
        old, new = before[field], getattr(product, field)
        if old != new:
            session.add(
                ProductChange(
                    product_id=product.id,
                    field=field,
                    old_value=_text(old),
                    new_value=_text(new),
                    changed_by_id=actor.user_id,
                    changed_at=now,
                )
            )
    session.flush()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)


def adjust_stock(session: Session, *, product: Product, delta: int, actor: Actor) -> None:
    """Take stock for an order (negative) or give it back; the history records it."""
    if product.stock is None:
        return
    before = {f: getattr(product, f) for f in TRACKED}
    seen = catalogue_changes.snapshot(product)
    product.stock += delta
    session.flush()
    _record(session, product, before, actor)
    catalogue_changes.announce(session, product, seen, actor=actor)


def lock(session: Session, product_ids: Sequence[str]) -> dict[str, Product]:
    """Load products for a stock change, locked until the transaction ends (PostgreSQL).

    Rows are locked in id order so that two orders sharing products cannot deadlock; SQLite
    transactions are serialised at BEGIN already. The lock is ``FOR NO KEY UPDATE`` (the id
    stays): it serialises stock changes and deletions, and lets the key checks of rows that
    refer to the product (an order's items, its view count's first row) through.
    """
    rows = session.scalars(
        select(Product)
        .where(Product.id.in_(sorted(set(product_ids))))
        .order_by(Product.id)
        .with_for_update(of=Product, key_share=True)
        .options(lazyload("*"))  # its photos and business's are not needed to sell it
        .execution_options(populate_existing=True)
    )
    return {p.id: p for p in rows}
