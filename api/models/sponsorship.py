"""CSR sponsorship: graduates' support needs, sponsorships, milestones, disbursements, consent."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.businesses import Business
from api.models.types import str_enum


class NeedKind(StrEnum):
    CAPITAL = "capital"
    EQUIPMENT = "equipment"
    TRAINING = "training"
    MARKETING = "marketing"
    CERTIFICATION = "certification"


class NeedStatus(StrEnum):
    """open -> partly_met -> met by confirmed disbursements; closed by the owner."""

    OPEN = "open"
    PARTLY_MET = "partly_met"
    MET = "met"
    CLOSED = "closed"


class TargetType(StrEnum):
    """What a need or a sponsorship is for: a small closed set. A new kind of target (a training
    event) is one more value, one more nullable foreign key and one more arm of the check
    (``one_target``), in a migration."""

    BUSINESS = "business"
    GROUP = "group"
    COHORT = "cohort"
    TRAINING_EVENT = "training_event"


TARGET_COLUMNS = {
    TargetType.BUSINESS: "business_id",
    TargetType.GROUP: "group_id",
    TargetType.COHORT: "cohort_id",
    TargetType.TRAINING_EVENT: "event_id",
}


def one_target() -> CheckConstraint:
    """Exactly the foreign key of ``target_type`` is set."""
    arms = [
        f"(target_type = '{kind.value}' AND "
        + " AND ".join(
            f"{column} IS {'NOT ' if k is kind else ''}NULL" for k, column in TARGET_COLUMNS.items()
        )
        + ")"
        for kind in TargetType
    ]
    return CheckConstraint(" OR ".join(arms), name="one_target")


class TargetMixin:
    """The target of a need or a sponsorship: ``target_type`` and its one foreign key."""

    target_type: Mapped[TargetType] = mapped_column(
        str_enum(TargetType, "sponsor_target_type"),
        default=TargetType.BUSINESS,
        server_default=TargetType.BUSINESS.value,
    )

    @property
    def target_id(self) -> str:
        return str(getattr(self, TARGET_COLUMNS[self.target_type]))

    @property
    def target(self) -> dict[str, Any]:
        return {"type": self.target_type, "id": self.target_id}


class SupportKind(StrEnum):
    CASH = "cash"
    IN_KIND = "in_kind"


class SponsorshipStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DisbursementStatus(StrEnum):
    RECORDED = "recorded"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class SupportNeed(TargetMixin, IdMixin, TimestampMixin, VersionedMixin, Base):
    """What would help a business, a group, a cohort or a training event: a target value, or
    items that add up to it (for an event, its ``seats``)."""

    __tablename__ = "support_needs"
    __table_args__ = (
        one_target(),
        Index("ix_support_needs_group_id", "group_id"),
        Index("ix_support_needs_cohort_id", "cohort_id"),
        Index("ix_support_needs_event_id", "event_id"),
        CheckConstraint("target_value_idr > 0", name="target_positive"),
        CheckConstraint("seats IS NULL OR seats > 0", name="seats_positive"),
        CheckConstraint("confirmed_value_idr >= 0", name="confirmed_not_negative"),
        Index("ix_support_needs_status_deadline", "status", "deadline"),
        Index("ix_support_needs_business_id", "business_id"),
    )
    id_prefix = "ned"

    business_id: Mapped[str | None] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("business_groups.id", ondelete="CASCADE")
    )
    cohort_id: Mapped[str | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    event_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_events.id", ondelete="CASCADE")
    )
    # Seats of a training event sponsored (for an event's need only).
    seats: Mapped[int | None]
    kind: Mapped[NeedKind] = mapped_column(str_enum(NeedKind, "need_kind"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000), default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    target_value_idr: Mapped[int] = mapped_column(BigInteger)
    confirmed_value_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[NeedStatus] = mapped_column(
        str_enum(NeedStatus, "need_status"), default=NeedStatus.OPEN
    )
    closed_at: Mapped[dt.datetime | None]

    business: Mapped[Business | None] = relationship(lazy="joined")

    @property
    def progress(self) -> float:
        return round(min(self.confirmed_value_idr / self.target_value_idr, 1.0), 4)


class Sponsorship(TargetMixin, IdMixin, TimestampMixin, VersionedMixin, Base):
    """Support a verified CSR organisation proposes to a business, a group or a cohort (for
    one of its needs)."""

    __tablename__ = "sponsorships"
    __table_args__ = (
        one_target(),
        Index("ix_sponsorships_group_id_status", "group_id", "status"),
        Index("ix_sponsorships_cohort_id_status", "cohort_id", "status"),
        Index("ix_sponsorships_event_id_status", "event_id", "status"),
        CheckConstraint("value_idr > 0", name="value_positive"),
        Index("ix_sponsorships_organization_id_status", "organization_id", "status"),
        Index("ix_sponsorships_business_id_status", "business_id", "status"),
    )
    id_prefix = "spn"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    proposed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    business_id: Mapped[str | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="RESTRICT")
    )
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("business_groups.id", ondelete="RESTRICT")
    )
    cohort_id: Mapped[str | None] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"))
    event_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_events.id", ondelete="RESTRICT")
    )
    need_id: Mapped[str | None] = mapped_column(
        ForeignKey("support_needs.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[SupportKind] = mapped_column(str_enum(SupportKind, "support_kind"))
    value_idr: Mapped[int] = mapped_column(BigInteger)
    confirmed_value_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    terms: Mapped[str] = mapped_column(String(4000), default="")
    status: Mapped[SponsorshipStatus] = mapped_column(
        str_enum(SponsorshipStatus, "sponsorship_status"), default=SponsorshipStatus.PROPOSED
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    accepted_at: Mapped[dt.datetime | None]
    activated_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    business: Mapped[Business | None] = relationship(lazy="joined")
    milestones: Mapped[list[Milestone]] = relationship(
        lazy="selectin", order_by="Milestone.position", cascade="all, delete-orphan"
    )


class Milestone(IdMixin, Base):
    """A step of a sponsorship ("sewing machine delivered"), marked met by either party."""

    __tablename__ = "sponsorship_milestones"
    id_prefix = "mls"

    sponsorship_id: Mapped[str] = mapped_column(
        ForeignKey("sponsorships.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    met_at: Mapped[dt.datetime | None]
    met_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Disbursement(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One transfer or delivery; it counts once the alumna confirms receipt."""

    __tablename__ = "disbursements"
    __table_args__ = (
        CheckConstraint("value_idr > 0", name="value_positive"),
        Index("ix_disbursements_sponsorship_id_disbursed_on", "sponsorship_id", "disbursed_on"),
    )
    id_prefix = "dsb"

    sponsorship_id: Mapped[str] = mapped_column(ForeignKey("sponsorships.id", ondelete="CASCADE"))
    disbursed_on: Mapped[dt.date] = mapped_column(Date)
    value_idr: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(500))
    status: Mapped[DisbursementStatus] = mapped_column(
        str_enum(DisbursementStatus, "disbursement_status"), default=DisbursementStatus.RECORDED
    )
    # Evidence (a photo of the receipt or a PDF) in the storage under evidence/<id>/<token>.
    evidence_token: Mapped[str | None] = mapped_column(String(32))
    evidence_type: Mapped[str | None] = mapped_column(String(40))
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime | None]
    dispute_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def has_evidence(self) -> bool:
        return self.evidence_token is not None


class SponsorConsent(IdMixin, Base):
    """An alumna lets an organisation see her business's figures, until she revokes it."""

    __tablename__ = "sponsor_consents"
    __table_args__ = (
        Index("ix_sponsor_consents_business_id_organization_id", "business_id", "organization_id"),
    )
    id_prefix = "cns"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    granted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
