""" "Publicly listed", defined once: what the public catalogue shows.

A business is public while it is active and no moderator hid it; a product while it is
published, not hidden, and its business is public. ``PUBLIC_STATUS`` is the rule; the Python
predicates (for loaded objects and rows) and the SQL expressions (for queries and the
``products.listed`` column) are both made from it, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from api.models import Business, BusinessStatus, Product, ProductStatus

# The one status in which each kind of catalogue item is shown (and only while not hidden).
PUBLIC_STATUS: dict[type[Business] | type[Product], Enum] = {
    Business: BusinessStatus.ACTIVE,
    Product: ProductStatus.PUBLISHED,
}


def shown(kind: type[Business] | type[Product], status: Any, hidden_at: dt.datetime | None) -> bool:
    """The rule for one item on its own (a product's business aside), from its values."""
    return status == PUBLIC_STATUS[kind] and hidden_at is None


def business_is_public(business: Business) -> bool:
    return shown(Business, business.status, business.hidden_at)


def product_is_shown(product: Product) -> bool:
    """The product's own part of the rule (published, not hidden), whatever its business."""
    return shown(Product, product.status, product.hidden_at)


def product_is_public(product: Product) -> bool:
    return product_is_shown(product) and business_is_public(product.business)


def is_public(item: Product | Business) -> bool:
    if isinstance(item, Product):
        return product_is_public(item)
    return business_is_public(item)


def shown_sql(kind: type[Business] | type[Product], entity: Any = None) -> ColumnElement[bool]:
    """The rule for one item on its own, as SQL over ``entity`` (``kind`` or an alias of it)."""
    entity = kind if entity is None else entity
    return and_(entity.status == PUBLIC_STATUS[kind], entity.hidden_at.is_(None))


def product_is_public_sql() -> ColumnElement[bool]:
    """A product is public, as SQL (its business is looked up by a correlated EXISTS)."""
    public_business = (
        select(Business.id).where(Business.id == Product.business_id, shown_sql(Business)).exists()
    )
    return and_(shown_sql(Product), public_business)
