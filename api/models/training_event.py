"""Training events: a course or a standalone topic delivered at a time and place, its
registrations (with a waitlist), attendance, and the certificates of those who completed it.

Personal data (classified in ``api.services.privacy``): a registration and its attendance are
hers (exported; kept pseudonymous on erasure, they are the organiser's record of who came); a
certificate's ``holder_name`` is erased and its PDF deleted, and it is then ``withdrawn``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from api.models.accounts import User
from api.models.mentoring import MentoringFormat, Topic
from api.models.regions import RegionCode
from api.models.types import str_enum


class TrainingEventStatus(StrEnum):
    """scheduled -> completed (certificates issued) or cancelled."""

    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    """confirmed (a seat) or waitlisted (promoted in order when a seat frees); cancelled."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"  # by the organiser (issued in error)
    WITHDRAWN = "withdrawn"  # the holder erased her data


class TrainingEvent(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One delivery of a course or of a standalone topic."""

    __tablename__ = "training_events"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_training_events_status_starts_at", "status", "starts_at"),
    )
    id_prefix = "tev"

    # The course delivered, if any (a published one when set; an archived course keeps its
    # past events); null for a standalone topic.
    course_id: Mapped[str | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    organizer_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000), default="")
    topic: Mapped[Topic] = mapped_column(str_enum(Topic, "mentoring_topic"))
    format: Mapped[MentoringFormat] = mapped_column(str_enum(MentoringFormat, "mentoring_format"))
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    hours: Mapped[int]
    capacity: Mapped[int]
    registration_opens_at: Mapped[dt.datetime]
    registration_closes_at: Mapped[dt.datetime]
    status: Mapped[TrainingEventStatus] = mapped_column(
        str_enum(TrainingEventStatus, "training_event_status"),
        default=TrainingEventStatus.SCHEDULED,
    )
    completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))

    region_rows: Mapped[list[TrainingEventRegion]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    trainer_rows: Mapped[list[TrainingEventTrainer]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def region_codes(self) -> list[str]:
        return sorted(row.region_code for row in self.region_rows)

    @property
    def trainer_ids(self) -> list[str]:
        return sorted(row.user_id for row in self.trainer_rows)


class TrainingEventRegion(Base):
    """A region the event serves, with everything below it; an event with none serves all."""

    __tablename__ = "training_event_regions"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("training_events.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT"), primary_key=True, index=True
    )


class TrainingEventTrainer(Base):
    """A facilitator or mentor who delivers the event (and records its attendance)."""

    __tablename__ = "training_event_trainers"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("training_events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TrainingRegistration(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An alumna's place (or place in the queue) at an event, and whether she came."""

    __tablename__ = "training_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index(
            "ix_training_registrations_event_id_status_queued_at", "event_id", "status", "queued_at"
        ),
        Index("ix_training_registrations_user_id_created_at", "user_id", "created_at"),
    )
    id_prefix = "trg"

    event_id: Mapped[str] = mapped_column(ForeignKey("training_events.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "training_registration_status")
    )
    # The waitlist's order: when she (re)joined it.
    queued_at: Mapped[dt.datetime]
    promoted_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    walk_in: Mapped[bool] = mapped_column(default=False)
    attended: Mapped[bool | None]
    attendance_recorded_at: Mapped[dt.datetime | None]
    attendance_recorded_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    event: Mapped[TrainingEvent] = relationship(lazy="joined", innerjoin=True)


class TrainingCertificate(IdMixin, TimestampMixin, VersionedMixin, Base):
    """What a completed event states about her: checked by anyone at its verification code."""

    __tablename__ = "training_certificates"
    __table_args__ = (
        CheckConstraint("hours > 0", name="hours_positive"),
        Index("ix_training_certificates_user_id_created_at", "user_id", "created_at"),
    )
    id_prefix = "tce"

    registration_id: Mapped[str] = mapped_column(
        ForeignKey("training_registrations.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[str] = mapped_column(
        ForeignKey("training_events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # As printed on the certificate, at issue.
    holder_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120))
    issuer_name: Mapped[str] = mapped_column(String(200))
    hours: Mapped[int]
    held_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, "training_certificate_status"),
        default=CertificateStatus.VALID,
    )
    # The PDF's key in private storage is certificates/<id>/<file_token>.pdf.
    file_token: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(500))

    event: Mapped[TrainingEvent] = relationship(lazy="joined", innerjoin=True)
