"""Sales a seller made outside Berdaya, recorded so that all her sales can be counted."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, utcnow
from api.models.types import str_enum


class SaleChannel(StrEnum):
    WHATSAPP = "whatsapp"
    MARKET_STALL = "market_stall"
    RESELLER = "reseller"
    SOCIAL_MEDIA = "social_media"
    MARKETPLACE = "marketplace"
    EVENT = "event"
    OTHER = "other"


class OffPlatformSale(IdMixin, Base):
    """One sale (or a day's sales) made elsewhere: WhatsApp, a market stall, a reseller."""

    __tablename__ = "off_platform_sales"
    __table_args__ = (
        CheckConstraint("amount_idr > 0", name="amount_positive"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        Index("ix_off_platform_sales_business_id_sold_on", "business_id", "sold_on"),
    )
    id_prefix = "sal"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    sold_on: Mapped[dt.date] = mapped_column(Date)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[SaleChannel] = mapped_column(str_enum(SaleChannel, "sale_channel"))
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    quantity: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
