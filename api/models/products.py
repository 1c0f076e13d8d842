"""Products of a business, and the history of their prices and stock."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.businesses import Business
from api.models.categories import Category
from api.models.photos import Photo
from api.models.types import RatedMixin, str_enum


class ProductStatus(StrEnum):
    """Only published products (of active businesses) are public."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Availability(StrEnum):
    """Whether it can be bought now, ordered ahead, or not at all."""

    IN_STOCK = "in_stock"
    PRE_ORDER = "pre_order"
    OUT_OF_STOCK = "out_of_stock"


class Product(IdMixin, TimestampMixin, VersionedMixin, RatedMixin, Base):
    """Something a business sells, priced in whole rupiah."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("business_id", "slug"),
        CheckConstraint("price_idr > 0", name="price_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        Index("ix_products_status_created_at", "status", "created_at"),
        Index("ix_products_status_price_idr", "status", "price_idr"),
        Index("ix_products_listed_created_at", "listed", "created_at", "id"),
        # Listed products in price order: a filtered or searched list sorted by price walks it
        # and stops at a page instead of sorting every match (a category: 527 ms -> 0.5 ms at
        # a million products).
        Index("ix_products_listed_price_idr", "listed", "price_idr", "id"),
    )
    id_prefix = "prd"

    business_id: Mapped[str] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(String(4000), default="")
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    price_idr: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(30))
    min_order: Mapped[int] = mapped_column(default=1)
    availability: Mapped[Availability] = mapped_column(str_enum(Availability, "availability"))
    stock: Mapped[int | None]
    lead_days: Mapped[int | None]
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus, "product_status"), default=ProductStatus.DRAFT
    )
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[dt.datetime | None]
    # Hidden by a moderator (with the reason); hidden things are not public.
    hidden_at: Mapped[dt.datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    # Public: published, not hidden, of an active business that is not hidden. Kept by
    # api.catalogue.changes on every flush that could change it, so that search filters
    # one column of products instead of joining every candidate to its business.
    listed: Mapped[bool] = mapped_column(default=False, server_default=false())

    business: Mapped[Business] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    photos: Mapped[list[Photo]] = relationship(
        lazy="selectin", order_by="Photo.position", viewonly=True
    )


class ProductChange(IdMixin, Base):
    """One change of price, stock or availability, for the owner's history."""

    __tablename__ = "product_changes"
    __table_args__ = (
        Index("ix_product_changes_product_id_changed_at", "product_id", "changed_at"),
    )
    id_prefix = "pch"

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(String(40))
    new_value: Mapped[str | None] = mapped_column(String(40))
    changed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProductViews(Base):
    """How many times a product's page was read (for its owner's figures), added to in batches
    by ``api.catalogue.counters``.

    Kept out of the product's row: that row is wide and eight indexes (one of them GIN) point
    at it, so adding to a counter there rewrote the row and an entry in every index, about
    0.17 ms of PostgreSQL's CPU a product, for thousands of products at each flush under a
    national catalogue's traffic; here it is a narrow row with room on its page for an update
    in place (``fillfactor``), about 0.02 ms (bench/README.md). Migration 0042 moved the
    counts here from ``products.view_count``, which 0044 dropped a release later."""

    __tablename__ = "product_views"
    __table_args__ = ({"postgresql_with": {"fillfactor": 50}},)

    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    views: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
