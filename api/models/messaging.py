"""Messages to people (the outbox) and the one-time codes some of them carry."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, utcnow
from api.models.types import str_enum


class Channel(StrEnum):
    """How a message reaches a person."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class Message(IdMixin, Base):
    """One message to one person, written in the transaction of what caused it.

    With the embedded provider this row is the delivery (the outbox); other providers send it
    and record its status. A message carrying a code keeps its text only in development.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_created_at", "created_at"),
        Index("ix_messages_due", "status", "next_attempt_at"),
        Index("ix_messages_provider_message_id", "provider_message_id"),
        # The daily cap counts a recipient's messages of the day.
        Index("ix_messages_recipient_created_at", "recipient", "created_at"),
    )
    id_prefix = "msg"

    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "message_channel"))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(2))
    template: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    provider: Mapped[str] = mapped_column(String(20))
    # queued -> sent -> delivered -> read, or failed; suppressed: never sent (she opted out of
    # the channel, or her daily cap was reached).
    status: Mapped[str] = mapped_column(String(20), default="queued")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Delivery by the job engine (providers other than the outbox), as webhook deliveries are.
    business_id: Mapped[str | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    attempt_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    # The provider's id for it (WhatsApp's wamid, Twilio's SM... sid): status callbacks name it.
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    status_at: Mapped[dt.datetime | None]
    # A code's full text, encrypted, for the worker only; cleared once delivery is over.
    sealed: Mapped[str | None] = mapped_column(Text)


class MessagingPreference(IdMixin, Base):
    """Her choice for one channel: opted in (with the notice version she was shown), which
    events reach her, or opted out (replying BERHENTI/STOP, or her own setting). A number
    WhatsApp cannot reach is marked so its messages go by SMS."""

    __tablename__ = "messaging_preferences"
    __table_args__ = (UniqueConstraint("user_id", "channel"),)
    id_prefix = "mpr"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "preference_channel"))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    notice_version: Mapped[str | None] = mapped_column(String(20))
    opted_in_at: Mapped[dt.datetime | None]
    opted_out_at: Mapped[dt.datetime | None]
    unreachable_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InboundMessage(IdMixin, Base):
    """One message or status callback from a provider, once (unique by the provider's id),
    recorded by the webhook and worked on by a job. Only known numbers and known messages are
    recorded; the rest is refused or ignored with a log line."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_id"),
        Index("ix_inbound_messages_pending", "processed_at"),
    )
    id_prefix = "inb"

    provider: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))  # reply | status
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "inbound_channel"))
    # A reply: what she typed or the payload of the button she tapped; a status: its name.
    text: Mapped[str] = mapped_column(String(1000), default="")
    error_code: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))


class CheckInPrompt(IdMixin, Base):
    """The monthly check-in asked by message: asked -> (reminded) -> answered, or unanswered
    (no reply after the reminder: her facilitator's caseload), or help (she asked for it)."""

    __tablename__ = "check_in_prompts"
    __table_args__ = (UniqueConstraint("business_id", "month"),)
    id_prefix = "cip"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20), default="asked")
    answer: Mapped[str | None] = mapped_column(String(20))
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    check_in_id: Mapped[str | None] = mapped_column(ForeignKey("check_ins.id", ondelete="SET NULL"))


class OutreachOutcome(StrEnum):
    CALLED = "called"
    VISITED = "visited"
    NO_ANSWER = "no_answer"
    MOVED = "moved"
    CLOSED = "closed"
    REFERRED = "referred"


class Outreach(IdMixin, Base):
    """What a facilitator did about a business on her caseload."""

    __tablename__ = "outreach"
    __table_args__ = (Index("ix_outreach_business_id_created_at", "business_id", "created_at"),)
    id_prefix = "out"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    facilitator_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[OutreachOutcome] = mapped_column(str_enum(OutreachOutcome, "outreach_outcome"))
    note: Mapped[str] = mapped_column(String(2000), default="")
    next_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CodePurpose(StrEnum):
    """What a one-time code proves when it is entered."""

    REGISTER = "register"
    VERIFY_PHONE = "verify_phone"
    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"
    SIGN_IN = "sign_in"


class OneTimeCode(IdMixin, Base):
    """A six-digit code sent to a phone or mailbox, kept only as a keyed hash.

    ``destination`` is where it went (and what entering it proves); ``payload`` holds a pending
    registration (the account is made when the code is entered). Used or expired rows are
    deleted by the next code to the same destination, by the scheduled sweep and by erasure.
    """

    __tablename__ = "one_time_codes"
    __table_args__ = (
        Index("ix_one_time_codes_purpose_destination", "purpose", "destination"),
        Index("ix_one_time_codes_expires_at", "expires_at"),
    )
    id_prefix = "otc"

    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose, "code_purpose"))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    destination: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The facilitator who started an assisted recovery.
    issued_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
