"""Orders from a buyer to one business, with names and prices copied at the time of ordering."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from api.models.businesses import Business
from api.models.photos import Photo
from api.models.types import str_enum


class OrderStatus(StrEnum):
    """requested -> accepted | declined -> ready | shipped -> completed; or cancelled."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    READY = "ready"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DeliveryMethod(StrEnum):
    PICKUP = "pickup"
    LOCAL_DELIVERY = "local_delivery"
    SHIPPING = "shipping"


class PaymentMethod(StrEnum):
    """Payment happens outside Berdaya; the seller records how."""

    BANK_TRANSFER = "bank_transfer"
    QRIS = "qris"
    CASH_ON_DELIVERY = "cash_on_delivery"
    E_WALLET = "e_wallet"
    OTHER = "other"


class Order(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One order; totals are computed by the server in whole rupiah."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_buyer_id_created_at", "buyer_id", "created_at"),
        Index("ix_orders_business_id_created_at", "business_id", "created_at"),
        Index("ix_orders_status_due_at", "status", "completes_at"),
        CheckConstraint("subtotal_idr >= 0 AND delivery_fee_idr >= 0", name="amounts_not_negative"),
    )
    id_prefix = "ord"

    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="RESTRICT"))
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "order_status"), default=OrderStatus.REQUESTED
    )
    delivery_method: Mapped[DeliveryMethod] = mapped_column(
        str_enum(DeliveryMethod, "delivery_method")
    )
    note: Mapped[str] = mapped_column(String(1000), default="")
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(20))
    delivery_address: Mapped[str | None] = mapped_column(String(300))
    subtotal_idr: Mapped[int] = mapped_column(BigInteger)
    delivery_fee_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    delivery_date: Mapped[dt.date | None] = mapped_column(Date)
    tracking: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    payment_method: Mapped[PaymentMethod | None] = mapped_column(
        str_enum(PaymentMethod, "payment_method")
    )
    paid_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    fulfilled_at: Mapped[dt.datetime | None]
    # When a ready or shipped order completes by itself unless the buyer confirms earlier.
    completes_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    business: Mapped[Business] = relationship(lazy="joined", innerjoin=True)
    items: Mapped[list[OrderItem]] = relationship(
        lazy="selectin", order_by="OrderItem.position", cascade="all, delete-orphan"
    )

    @property
    def contact(self) -> dict[str, Any]:
        return {
            "name": self.contact_name,
            "phone": self.contact_phone,
            "delivery_address": self.delivery_address,
        }

    @property
    def payment(self) -> dict[str, Any]:
        return {"method": self.payment_method, "paid_at": self.paid_at}


class OrderItem(IdMixin, Base):
    """A line of an order: the product's name, unit and price as they were when ordered."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_order_items_product_id", "product_id"),
    )
    id_prefix = "oit"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(30))
    unit_price_idr: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    line_total_idr: Mapped[int] = mapped_column(BigInteger)
    # Stock taken from the product when ordered, given back if the order ends unfulfilled.
    held: Mapped[int] = mapped_column(default=0)

    # The product's photos as they are now (a page of orders loads them in one query).
    product_photos: Mapped[list[Photo]] = relationship(
        primaryjoin="foreign(Photo.product_id) == OrderItem.product_id",
        order_by="Photo.position",
        lazy="selectin",
        viewonly=True,
    )

    @property
    def thumbnail(self) -> Photo | None:
        """The product's first photo, or None (no photo, or the product is gone)."""
        return self.product_photos[0] if self.product_id and self.product_photos else None
