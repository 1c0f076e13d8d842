"""Reviews of products by buyers of completed orders, replies, reports and moderation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, utcnow
from api.models.accounts import User


class Review(IdMixin, TimestampMixin, Base):
    """One buyer's stars and words on one product of one completed order."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_reviews_product_id_created_at", "product_id", "created_at"),
        Index("ix_reviews_business_id_created_at", "business_id", "created_at"),
    )
    id_prefix = "rev"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(String(2000), default="")
    # The photo's files are in the storage under reviews/<id>/<photo_token>/<size>.webp.
    photo_token: Mapped[str | None] = mapped_column(String(32))
    reply: Mapped[str | None] = mapped_column(String(2000))
    replied_at: Mapped[dt.datetime | None]
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    report_count: Mapped[int] = mapped_column(default=0)

    author: Mapped[User | None] = relationship(lazy="joined")

    @property
    def author_name(self) -> str | None:
        return self.author.name if self.author else None


class ReviewReport(IdMixin, Base):
    """Somebody thinks a review breaks the rules; one report per user per review."""

    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("review_id", "reporter_id"),)
    id_prefix = "rrp"

    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    reporter_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
