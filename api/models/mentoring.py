"""Mentoring by university mentors: offers, graduates' requests, sessions, feedback."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from api.models.accounts import User
from api.models.regions import RegionCode
from api.models.types import RatedMixin, str_enum


class Topic(StrEnum):
    """The fixed list of mentoring topics (names in api.services.mentoring.TOPICS)."""

    ENTREPRENEURSHIP = "entrepreneurship"
    BOOKKEEPING = "bookkeeping"
    DIGITAL_MARKETING = "digital_marketing"
    PRODUCT_PHOTOGRAPHY = "product_photography"
    PACKAGING_BRANDING = "packaging_branding"
    PRICING_COSTING = "pricing_costing"
    LICENSING = "licensing"
    ONLINE_MARKETPLACES = "online_marketplaces"
    PRODUCTION_QUALITY = "production_quality"
    LEGAL_BASICS = "legal_basics"


class MentoringFormat(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    BOTH = "both"


class OfferKind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"


class OfferStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class RequestStatus(StrEnum):
    """open -> accepted -> in_progress -> completed; cancelled by her; expired if nobody accepts."""

    OPEN = "open"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Attendance(StrEnum):
    ATTENDED = "attended"
    ALUMNA_ABSENT = "alumna_absent"
    MENTOR_ABSENT = "mentor_absent"


class MentoringOffer(IdMixin, TimestampMixin, VersionedMixin, RatedMixin, Base):
    """What a mentor of a verified university offers to graduates."""

    __tablename__ = "mentoring_offers"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_mentoring_offers_status_created_at", "status", "created_at"),
    )
    id_prefix = "mof"

    mentor_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000), default="")
    format: Mapped[MentoringFormat] = mapped_column(str_enum(MentoringFormat, "mentoring_format"))
    kind: Mapped[OfferKind] = mapped_column(str_enum(OfferKind, "offer_kind"))
    group_size: Mapped[int | None]
    capacity: Mapped[int]
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(5), default="id")
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus, "offer_status"), default=OfferStatus.ACTIVE
    )

    mentor: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    topic_rows: Mapped[list[OfferTopic]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    region_rows: Mapped[list[OfferRegion]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def topics(self) -> list[str]:
        return sorted(row.topic.value for row in self.topic_rows)

    @property
    def region_codes(self) -> list[str]:
        return sorted(row.region_code for row in self.region_rows)


class OfferTopic(Base):
    __tablename__ = "mentoring_offer_topics"

    offer_id: Mapped[str] = mapped_column(
        ForeignKey("mentoring_offers.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[Topic] = mapped_column(str_enum(Topic, "mentoring_topic"), primary_key=True)


class OfferRegion(Base):
    """A region the offer serves, with everything below it; an offer with none serves all."""

    __tablename__ = "mentoring_offer_regions"

    offer_id: Mapped[str] = mapped_column(
        ForeignKey("mentoring_offers.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT"), primary_key=True, index=True
    )


class MentoringRequest(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An alumna asks for help on one topic; one mentor takes it on."""

    __tablename__ = "mentoring_requests"
    __table_args__ = (
        Index("ix_mentoring_requests_alumna_id_status", "alumna_id", "status"),
        Index("ix_mentoring_requests_status_created_at", "status", "created_at"),
        Index("ix_mentoring_requests_mentor_id_status", "mentor_id", "status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )
    id_prefix = "mrq"

    alumna_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    business_id: Mapped[str | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    # Her village, or her business's: what mentors' regions are matched against.
    region_code: Mapped[str | None] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT")
    )
    topic: Mapped[Topic] = mapped_column(str_enum(Topic, "mentoring_topic"))
    need: Mapped[str] = mapped_column(String(2000))
    preferred_format: Mapped[MentoringFormat] = mapped_column(
        str_enum(MentoringFormat, "mentoring_format")
    )
    preferred_times: Mapped[str] = mapped_column(String(300), default="")
    offer_id: Mapped[str | None] = mapped_column(
        ForeignKey("mentoring_offers.id", ondelete="SET NULL"), index=True
    )
    mentor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "mentoring_request_status"), default=RequestStatus.OPEN
    )
    opened_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    alumna_confirmed_at: Mapped[dt.datetime | None]
    mentor_confirmed_at: Mapped[dt.datetime | None]
    completes_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    rating: Mapped[int | None]
    feedback: Mapped[str | None] = mapped_column(String(2000))
    rated_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(2000))

    alumna: Mapped[User] = relationship(foreign_keys=[alumna_id], lazy="joined", innerjoin=True)
    mentor: Mapped[User | None] = relationship(foreign_keys=[mentor_id], lazy="joined")
    offer: Mapped[MentoringOffer | None] = relationship(lazy="joined")


class MentoringSession(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One meeting of a mentoring: planned, then held (with notes) or cancelled."""

    __tablename__ = "mentoring_sessions"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index("ix_mentoring_sessions_request_id_starts_at", "request_id", "starts_at"),
        Index("ix_mentoring_sessions_reminder_at", "reminder_at"),
    )
    id_prefix = "mss"

    request_id: Mapped[str] = mapped_column(ForeignKey("mentoring_requests.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime]
    duration_minutes: Mapped[int]
    mode: Mapped[MentoringFormat] = mapped_column(str_enum(MentoringFormat, "mentoring_format"))
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "mentoring_session_status"), default=SessionStatus.SCHEDULED
    )
    notes: Mapped[str | None] = mapped_column(String(4000))
    outcome: Mapped[str | None] = mapped_column(String(2000))
    attendance: Mapped[Attendance | None] = mapped_column(str_enum(Attendance, "attendance"))
    reason: Mapped[str | None] = mapped_column(String(500))
    reschedule_count: Mapped[int] = mapped_column(default=0)
    # When the day-before reminder is due; null once sent, or when there is none to send.
    reminder_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InviteStatus(StrEnum):
    """An attendee of a group session: invited by the mentor, registered (herself, or by
    accepting), declined (an invitation), cancelled (her registration)."""

    INVITED = "invited"
    REGISTERED = "registered"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class GroupSession(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A workshop under a group offer: one meeting, many attendees, counted once for the
    mentor and once per attendee for the women."""

    __tablename__ = "mentoring_group_sessions"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index(
            "ix_mentoring_group_sessions_organization_id_starts_at", "organization_id", "starts_at"
        ),
        Index("ix_mentoring_group_sessions_status_starts_at", "status", "starts_at"),
    )
    id_prefix = "mgs"

    offer_id: Mapped[str] = mapped_column(
        ForeignKey("mentoring_offers.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    topic: Mapped[Topic] = mapped_column(str_enum(Topic, "mentoring_topic"))
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[dt.datetime]
    duration_minutes: Mapped[int]
    capacity: Mapped[int]
    mode: Mapped[MentoringFormat] = mapped_column(str_enum(MentoringFormat, "mentoring_format"))
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str] = mapped_column(String(2000), default="")
    # Anyone signed in may find it and register while scheduled, or only those invited.
    open_registration: Mapped[bool] = mapped_column(default=True)
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "mentoring_session_status"), default=SessionStatus.SCHEDULED
    )
    notes: Mapped[str | None] = mapped_column(String(4000))
    reason: Mapped[str | None] = mapped_column(String(500))
    held_at: Mapped[dt.datetime | None]

    mentor: Mapped[User | None] = relationship(lazy="joined")
    attendees: Mapped[list[GroupAttendee]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="GroupAttendee.created_at"
    )


class GroupAttendee(IdMixin, TimestampMixin, Base):
    """One woman at a group session: her invitation or registration, and whether she came."""

    __tablename__ = "mentoring_group_attendees"
    __table_args__ = (
        UniqueConstraint("session_id", "alumna_id"),
        Index("ix_mentoring_group_attendees_alumna_id_status", "alumna_id", "status"),
    )
    id_prefix = "mga"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("mentoring_group_sessions.id", ondelete="CASCADE")
    )
    alumna_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[InviteStatus] = mapped_column(str_enum(InviteStatus, "group_invite_status"))
    invited_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Recorded afterwards: True (she came, also without registering), False (absent).
    attended: Mapped[bool | None]

    alumna: Mapped[User] = relationship(foreign_keys=[alumna_id], lazy="joined", innerjoin=True)
