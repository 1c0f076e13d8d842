"""Users, their sign-in sessions, refresh tokens and failed sign-ins."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.types import str_enum


class Role(StrEnum):
    """What a user is on the platform."""

    ALUMNA = "alumna"
    BUYER = "buyer"
    MENTOR = "mentor"
    PARTNER = "partner"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


# Roles anyone may register with; admins are made by the CLI only.
SELF_SERVICE_ROLES = (Role.ALUMNA, Role.BUYER, Role.MENTOR, Role.PARTNER)


class User(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A person with an account."""

    __tablename__ = "users"
    id_prefix = "usr"

    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(2), default="id")
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Suspended by a moderator: cannot sign in, and her sessions stop working.
    suspended_at: Mapped[dt.datetime | None]
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    # Erased at her request (DELETE /v1/me): her personal data is gone, the row stays so that
    # orders, ratings and check-ins keep counting, pseudonymously.
    erased_at: Mapped[dt.datetime | None]
    # Set when she proved she holds the number (or mailbox) by a one-time code; roster matches
    # and code sign-in need a verified phone. A new number is verified before it is stored.
    phone_verified_at: Mapped[dt.datetime | None]
    email_verified_at: Mapped[dt.datetime | None]
    # She signs in by a code to her verified phone instead of a password (her choice).
    code_sign_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ConsentPurpose(StrEnum):
    """What a user may consent to, one purpose at a time (UU PDP 27/2022, art. 20-22)."""

    # Her WhatsApp number is shown to signed-in users who ask, each time recorded as a lead.
    CONTACT_REVEAL = "contact_reveal"


class Consent(IdMixin, Base):
    """A consent given for one purpose, with the version of the notice she was shown; withdrawing
    it stamps ``revoked_at`` and keeps the row as the record."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_user_id_purpose", "user_id", "purpose"),)
    id_prefix = "cst"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(str_enum(ConsentPurpose, "consent_purpose"))
    notice_version: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class AuthSession(IdMixin, Base):
    """One sign-in: the family of rotating refresh tokens that descends from it.

    Sign-ins are recorded here rather than on the user, so that signing in never changes the
    user's row (its version, and so the ETag a client may be about to send with If-Match).
    """

    __tablename__ = "auth_sessions"
    id_prefix = "ses"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_refreshed_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256; it may be used once."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class LoginFailure(IdMixin, Base):
    """A failed sign-in, counted per account (or per unknown identifier) for lockout."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_subject_created_at", "subject", "created_at"),)
    id_prefix = "lgf"

    subject: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
