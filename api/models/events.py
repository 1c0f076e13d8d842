"""Domain events (the outbox the integration part delivers) and users' notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, utcnow
from api.ids import new_id


class Event(Base):
    """A state change, written in the same transaction as the change; ``seq`` only grows."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_subject", "subject_type", "subject_id"),
        Index("ix_events_occurred_at", "occurred_at"),
        {"sqlite_autoincrement": True},
    )

    # BIGINT on PostgreSQL; SQLite needs INTEGER for its rowid alias (never reused there).
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: new_id("evt"))
    type: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Everyone may see it (the public catalogue); otherwise only its audience.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The subject is gone for this event's audience: a mirror should delete it.
    tombstone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def subject(self) -> dict[str, str]:
        return {"type": self.subject_type, "id": self.subject_id}


class EventAudience(Base):
    """Who may see a private event: users and organisations, by id."""

    __tablename__ = "event_audience"

    event_seq: Mapped[int] = mapped_column(
        ForeignKey("events.seq", ondelete="CASCADE"), primary_key=True
    )
    principal_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Notification(IdMixin, Base):
    """An event as one user is told of it, with her read mark."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_created_at", "user_id", "created_at"),)
    id_prefix = "ntf"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq", ondelete="CASCADE"))
    read_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)

    @property
    def subject(self) -> dict[str, str]:
        return {"type": self.event.subject_type, "id": self.event.subject_id}

    @property
    def read(self) -> bool:
        return self.read_at is not None


class RowChange(Base):
    """A row of a list apps cache was written (``updated_since``); ``seq`` follows commit order.

    ``public``: the row was publicly listed before or after the write, so anyone may learn
    that it changed (or left); ``scope_id``: the owner side (a business, a user) that may learn
    it otherwise. No personal data: kinds and ids only.
    """

    __tablename__ = "row_changes"
    __table_args__ = (
        Index("ix_row_changes_kind_seq", "kind", "seq"),
        Index("ix_row_changes_changed_at", "changed_at"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    scope_id: Mapped[str | None] = mapped_column(String(40))
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
