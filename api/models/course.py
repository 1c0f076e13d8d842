"""Courses published by verified organisations: modules in order, their attachments, and the
alumnae's enrolments and progress."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.mentoring import Topic
from api.models.organizations import Organization
from api.models.types import str_enum


class CourseLevel(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class CourseStatus(StrEnum):
    """draft -> published -> archived; only published courses are public."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class AttachmentKind(StrEnum):
    PDF = "pdf"
    IMAGE = "image"
    AUDIO = "audio"


class Course(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A course of a verified university, CSR company or government office."""

    __tablename__ = "courses"
    __table_args__ = (Index("ix_courses_status_published_at", "status", "published_at"),)
    id_prefix = "crs"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # The member who made it: an id only (the course is the organisation's record).
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(2000), default="")
    topic: Mapped[Topic] = mapped_column(str_enum(Topic, "mentoring_topic"), index=True)
    level: Mapped[CourseLevel] = mapped_column(str_enum(CourseLevel, "course_level"))
    language: Mapped[str] = mapped_column(String(5), default="id")
    status: Mapped[CourseStatus] = mapped_column(
        str_enum(CourseStatus, "course_status"), default=CourseStatus.DRAFT
    )
    published_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    modules: Mapped[list[CourseModule]] = relationship(
        lazy="selectin",
        order_by="CourseModule.position",
        cascade="all, delete-orphan",
        back_populates="course",
    )

    @property
    def module_count(self) -> int:
        return len(self.modules)


class CourseModule(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One module of a course: its text, then its attachments."""

    __tablename__ = "course_modules"
    __table_args__ = (Index("ix_course_modules_course_id_position", "course_id", "position"),)
    id_prefix = "cmd"

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(20000), default="")

    course: Mapped[Course] = relationship(back_populates="modules")
    attachments: Mapped[list[CourseAttachment]] = relationship(
        lazy="selectin", order_by="CourseAttachment.position", cascade="all, delete-orphan"
    )


class CourseAttachment(IdMixin, Base):
    """A file of a module (PDF, image, short audio); the files are in the storage under
    ``courses/<course_id>/<id>/<token>/`` and never change."""

    __tablename__ = "course_attachments"
    id_prefix = "cat"

    module_id: Mapped[str] = mapped_column(
        ForeignKey("course_modules.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, "attachment_kind"))
    title: Mapped[str] = mapped_column(String(120), default="")
    content_type: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(32))
    # Bytes of the file; for an image, of its largest rendition (``sizes`` has each one's).
    size_bytes: Mapped[int]
    sizes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_seconds: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CourseEnrolment(IdMixin, Base):
    """An alumna follows a course (her personal data: exported, kept pseudonymous)."""

    __tablename__ = "course_enrolments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)
    id_prefix = "cen"

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]

    done: Mapped[list[ModuleProgress]] = relationship(lazy="selectin", cascade="all, delete-orphan")


class ModuleProgress(Base):
    """A module she marked done (once: marking it again changes nothing)."""

    __tablename__ = "course_module_progress"

    enrolment_id: Mapped[str] = mapped_column(
        ForeignKey("course_enrolments.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[str] = mapped_column(
        ForeignKey("course_modules.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    done_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
