"""Business groups (kelompok usaha, KUB, koperasi): members with roles, invitations, the
businesses the group owns, and the equipment it received."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from api.models.accounts import User
from api.models.regions import RegionCode
from api.models.types import str_enum


class GroupKind(StrEnum):
    KELOMPOK_USAHA = "kelompok_usaha"  # an informal business group
    KUB = "kub"  # Kelompok Usaha Bersama
    KOPERASI = "koperasi"  # a registered cooperative


class GroupRole(StrEnum):
    """ketua (chair), sekretaris (secretary), bendahara (treasurer), anggota (member)."""

    KETUA = "ketua"
    SEKRETARIS = "sekretaris"
    BENDAHARA = "bendahara"
    ANGGOTA = "anggota"


class GroupMemberStatus(StrEnum):
    """invited -> active (she accepts) or declined; active -> left (herself) or removed."""

    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    LEFT = "left"
    REMOVED = "removed"


# Who may edit the group's businesses, products, needs and records: its officers.
OFFICERS = frozenset({GroupRole.KETUA, GroupRole.SEKRETARIS, GroupRole.BENDAHARA})


class BusinessGroup(IdMixin, TimestampMixin, VersionedMixin, Base):
    """Women who work together; the group may own businesses and receive equipment."""

    __tablename__ = "business_groups"
    id_prefix = "grp"

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[GroupKind] = mapped_column(str_enum(GroupKind, "group_kind"))
    description: Mapped[str] = mapped_column(String(2000), default="")
    village_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    members: Mapped[list[GroupMember]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="GroupMember.created_at"
    )


class GroupMember(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One woman in one group (a single row: re-inviting her reuses it)."""

    __tablename__ = "business_group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        Index("ix_business_group_members_user_id_status", "user_id", "status"),
    )
    id_prefix = "gmb"

    group_id: Mapped[str] = mapped_column(ForeignKey("business_groups.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[GroupRole] = mapped_column(str_enum(GroupRole, "group_role"))
    status: Mapped[GroupMemberStatus] = mapped_column(
        str_enum(GroupMemberStatus, "group_member_status")
    )
    invited_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[dt.datetime | None]
    joined_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)

    @property
    def shown_user(self) -> User | None:
        """Who she is, once she accepted: until then the group sees no name or account id."""
        return self.user if self.joined_at is not None else None

    @property
    def shown_phone(self) -> str | None:
        """Her phone number, masked, while she has not accepted (the group knows whom it
        asked, nothing more)."""
        from api.phones import masked

        return masked(self.user.phone) if self.joined_at is None else None


class GroupEquipment(IdMixin, TimestampMixin, Base):
    """Equipment the group received or bought (a sewing machine, an oven)."""

    __tablename__ = "business_group_equipment"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("value_idr IS NULL OR value_idr >= 0", name="value_not_negative"),
        Index("ix_business_group_equipment_group_id_received_on", "group_id", "received_on"),
    )
    id_prefix = "geq"

    group_id: Mapped[str] = mapped_column(ForeignKey("business_groups.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int]
    value_idr: Mapped[int | None] = mapped_column(BigInteger)
    received_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")
    sponsorship_id: Mapped[str | None] = mapped_column(
        ForeignKey("sponsorships.id", ondelete="SET NULL")
    )
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
