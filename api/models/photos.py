"""Photos of businesses and products (the files themselves are in the storage)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, utcnow


class Photo(IdMixin, Base):
    """One photo: of a product when product_id is set, else of the business itself."""

    __tablename__ = "photos"
    __table_args__ = (Index("ix_photos_business_id_product_id", "business_id", "product_id"),)
    id_prefix = "pho"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
