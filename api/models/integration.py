"""What third-party apps hold: API keys, webhook subscriptions and their delivery log."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.accounts import User
from api.models.events import Event
from api.models.organizations import Organization
from api.models.types import str_enum


class ApiKey(IdMixin, Base):
    """An organisation's key for an app; only the SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"
    id_prefix = "key"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # The member who made it: the key acts as that member, limited to its scopes.
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User] = relationship(
        foreign_keys=[created_by_id], lazy="joined", innerjoin=True
    )

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


class Webhook(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An organisation's subscription: events of the given types are POSTed to ``url``."""

    __tablename__ = "webhooks"
    id_prefix = "whk"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(300), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing secret, encrypted with a key derived from SECRET_KEY (it must be usable).
    secret_encrypted: Mapped[str] = mapped_column(String(300))
    disabled_at: Mapped[dt.datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    # Since when every attempt has failed (None: the last attempt succeeded).
    failing_since: Mapped[dt.datetime | None]

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class DeliveryStatus(StrEnum):
    """Where a delivery stands: tried until it succeeds or its retry window ends."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(IdMixin, Base):
    """One event for one subscription, with its attempts; a row is never lost with a worker."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id_created_at", "webhook_id", "created_at"),
    )
    id_prefix = "whd"

    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A worker that took the delivery holds it until then; a worker that died lets it go.
    lease_until: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    redelivery_of_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)
    attempts: Mapped[list[WebhookAttempt]] = relationship(
        order_by="WebhookAttempt.attempted_at",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    @property
    def event_id(self) -> str:
        return self.event.id

    @property
    def event_type(self) -> str:
        return self.event.type


class WebhookAttempt(IdMixin, Base):
    """One HTTP attempt of a delivery: its response code or the error, and how long it took."""

    __tablename__ = "webhook_attempts"
    id_prefix = "wha"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    def as_dict(self) -> dict[str, Any]:
        return {"status_code": self.status_code, "error": self.error}
