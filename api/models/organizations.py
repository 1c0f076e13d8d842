"""Organisations (CSR companies, universities, government offices) and their members."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.accounts import User
from api.models.types import str_enum


class OrganizationKind(StrEnum):
    """What kind of organisation this is."""

    CSR_COMPANY = "csr_company"
    UNIVERSITY = "university"
    GOVERNMENT_OFFICE = "government_office"


class MemberRole(StrEnum):
    """A member's role inside the organisation."""

    ADMIN = "admin"
    MEMBER = "member"


class Organization(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An organisation; unverified until a platform admin verifies it."""

    __tablename__ = "organizations"
    id_prefix = "org"

    name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[OrganizationKind] = mapped_column(
        str_enum(OrganizationKind, "organization_kind"), index=True
    )
    description: Mapped[str] = mapped_column(String(2000), default="")
    website: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[dt.datetime | None]
    # A university an admin marked as bound by a data-use agreement may read research exports.
    data_use_agreement_at: Mapped[dt.datetime | None]
    verified_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class Membership(Base):
    """A user's membership of an organisation."""

    __tablename__ = "memberships"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, "member_role"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
