"""Messages to people (the outbox) and the one-time codes some of them carry."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, false
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
    __table_args__ = (Index("ix_messages_created_at", "created_at"),)
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
    status: Mapped[str] = mapped_column(String(20), default="queued")
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
