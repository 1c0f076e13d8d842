"""Contact leads: a signed-in user revealed a seller's WhatsApp number."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, utcnow
from api.models.accounts import User
from api.models.products import Product


class Lead(IdMixin, Base):
    """One reveal of a business's WhatsApp number, optionally about one product."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_business_id_created_at", "business_id", "created_at"),
        Index("ix_leads_user_id_created_at", "user_id", "created_at"),
        Index("ix_leads_visitor_created_at", "visitor", "created_at"),
    )
    id_prefix = "led"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    # A signed-in user, or an anonymous visitor of a share page (a keyed hash of her address).
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    visitor: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20), default="whatsapp")
    message: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")
    product: Mapped[Product | None] = relationship(lazy="joined")

    @property
    def user_name(self) -> str | None:
        return self.user.name if self.user else None
