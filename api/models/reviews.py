"""Reviews of products by buyers of completed orders, replies, reports and moderation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, utcnow
from api.models.accounts import User
from api.models.types import str_enum


@dataclass(frozen=True)
class ReviewPhoto:
    """A review's photo; its files are under ``prefix`` in the storage."""

    id: str
    position: int
    width: int | None
    height: int | None
    prefix: str


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
    photo_width: Mapped[int | None]  # null for photos added before sizes were recorded
    photo_height: Mapped[int | None]
    reply: Mapped[str | None] = mapped_column(String(2000))
    replied_at: Mapped[dt.datetime | None]
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    report_count: Mapped[int] = mapped_column(default=0)

    author: Mapped[User | None] = relationship(lazy="joined")

    @property
    def photos(self) -> list[ReviewPhoto]:
        """Her photo (none or one), shaped as a product's photos."""
        if not self.photo_token:
            return []
        return [
            ReviewPhoto(
                id=self.photo_token,
                position=0,
                width=self.photo_width,
                height=self.photo_height,
                prefix=f"reviews/{self.id}/{self.photo_token}",
            )
        ]

    @property
    def author_name(self) -> str | None:
        """Her first name and the initial of her last ("Siti K."): enough to tell reviews apart,
        not enough to find her (a buyer's full name is hers, not the public's)."""
        if self.author is None:
            return None
        *first, last = self.author.name.split() or [""]
        return f"{first[0]} {last[:1]}." if first else last


class ReportTarget(StrEnum):
    BUSINESS = "business"
    PRODUCT = "product"
    REVIEW = "review"
    USER = "user"


class ReportStatus(StrEnum):
    OPEN = "open"
    HIDDEN = "hidden"
    RESTORED = "restored"
    DISMISSED = "dismissed"


class Report(IdMixin, Base):
    """Somebody thinks a listing, review or user breaks the rules; one report per user per
    target. Admins work the open ones: hide the target, restore it, or dismiss the report."""

    __tablename__ = "moderation_reports"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "reporter_id"),
        Index("ix_moderation_reports_status_created_at", "status", "created_at"),
        Index("ix_moderation_reports_target", "target_type", "target_id"),
    )
    id_prefix = "rpt"

    target_type: Mapped[ReportTarget] = mapped_column(str_enum(ReportTarget, "report_target"))
    target_id: Mapped[str] = mapped_column(String(40))
    # The region of the target's business, so regional admins see their part of the queue.
    region_code: Mapped[str | None] = mapped_column(String(13))
    reporter_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "report_status"), default=ReportStatus.OPEN
    )
    resolved_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
