"""Graduates' businesses and their licences and certificates."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.categories import Category
from api.models.photos import Photo
from api.models.regions import Region, RegionCode
from api.models.types import RatedMixin, str_enum


class BusinessStatus(StrEnum):
    """Where a business is in its life; only active ones are public."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class LicenceKind(StrEnum):
    """Licences and certificates a food or craft micro-business may hold."""

    NIB = "nib"  # Nomor Induk Berusaha (business registration)
    PIRT = "pirt"  # Pangan Industri Rumah Tangga (home food production)
    HALAL = "halal"
    BPOM = "bpom"  # food and drug authority registration


ACTIVE_DAYS, DORMANT_DAYS = 60, 120


def contact_missing(whatsapp: str | None, consented: bool) -> list[str]:
    """What stops buyers contacting a business: ``whatsapp`` (no number), ``contact_consent``."""
    needs = (("whatsapp", bool(whatsapp)), ("contact_consent", consented))
    return [need for need, met in needs if not met]


class Business(IdMixin, TimestampMixin, VersionedMixin, RatedMixin, Base):
    """A micro-business owned by an alumna."""

    __tablename__ = "businesses"
    __table_args__ = (
        Index("ix_businesses_status_village_code", "status", "village_code"),
        # A city's or district's businesses by name, as the public list pages them.
        Index("ix_businesses_status_regency_code_name", "status", "regency_code", "name", "id"),
        # The whole province (or any large region) in name order: walked, not sorted.
        Index("ix_businesses_status_name", "status", "name", "id"),
        Index("ix_businesses_status_district_code_name", "status", "district_code", "name", "id"),
    )
    id_prefix = "bus"

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # Owned by a business group: its officers edit it as the owner does (api.services.groups).
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("business_groups.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    village_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT")
    )
    # Derived from the village (regions never move): the public sees these, not the village.
    district_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT")
    )
    regency_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT")
    )
    address: Mapped[str | None] = mapped_column(String(300))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    # A copy of the owner's contact_reveal consent (api.services.privacy keeps it): with a
    # WhatsApp number, buyers can contact the business.
    contact_consented: Mapped[bool] = mapped_column(default=False, server_default=false())
    channels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opening_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[BusinessStatus] = mapped_column(
        str_enum(BusinessStatus, "business_status"), default=BusinessStatus.DRAFT
    )
    verified_graduate: Mapped[bool] = mapped_column(default=False)
    # Hidden by a moderator (with the reason); hidden things are not public.
    hidden_at: Mapped[dt.datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    # The last check-in, order or listing change (api.services.businesses.touch).
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow, index=True)

    @property
    def contactable(self) -> bool:
        return bool(self.whatsapp) and self.contact_consented

    @property
    def contact_missing(self) -> list[str]:
        """What stops buyers contacting her: ``whatsapp`` (no number), ``contact_consent``."""
        return contact_missing(self.whatsapp, self.contact_consented)

    @property
    def activity_status(self) -> str:
        return activity_status(self.status, self.last_activity_at)

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    village: Mapped[Region] = relationship(
        lazy="joined", innerjoin=True, foreign_keys=[village_code]
    )
    district: Mapped[Region] = relationship(
        lazy="joined", innerjoin=True, foreign_keys=[district_code]
    )
    regency: Mapped[Region] = relationship(
        lazy="joined", innerjoin=True, foreign_keys=[regency_code]
    )
    # Loaded when touched: a business is mostly loaded as a product's or an order's seller, or
    # to check who owns it, which read neither (a page of documents asks for them:
    # ``api.services.businesses.DOCUMENT``).
    photos: Mapped[list[Photo]] = relationship(
        lazy="select",
        order_by="Photo.position",
        primaryjoin="and_(Photo.business_id == Business.id, Photo.product_id.is_(None))",
        viewonly=True,
    )
    licences: Mapped[list[BusinessLicence]] = relationship(
        lazy="select", cascade="all, delete-orphan", order_by="BusinessLicence.kind"
    )


class BusinessLicence(IdMixin, Base):
    """A licence or certificate: its number and validity."""

    __tablename__ = "business_licences"
    id_prefix = "lic"

    business_id: Mapped[str] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LicenceKind] = mapped_column(str_enum(LicenceKind, "licence_kind"))
    number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)


def activity_status(status: BusinessStatus, last_activity_at: dt.datetime | None) -> str:
    """closed (declared), active (activity within 60 days), at_risk (60-120), dormant."""
    if status == BusinessStatus.CLOSED:
        return "closed"
    days = (utcnow() - last_activity_at).days if last_activity_at else 0
    return "active" if days < ACTIVE_DAYS else "at_risk" if days < DORMANT_DAYS else "dormant"
