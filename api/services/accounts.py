"""Registration and the signed-in user's own account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, ValidationFailed
from api.models import AuthSession, Role, User
from api.security import Security
from api.services import auth, identity
from api.services.authz import Actor, authorize

UNIQUE_FIELDS = ("email", "phone")


def register(
    session: Session,
    *,
    security: Security,
    name: str,
    role: Role,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    locale: str = "id",
) -> User:
    """Create an account directly (operators, demo data): the operator vouches for its email
    and phone, which count as verified. Self-registration is ``identity.start_registration``."""
    if role == Role.ADMIN:
        raise ValidationFailed(errors={"role": ["Admins are created by an operator."]})
    if not email and not phone:
        raise ValidationFailed(errors={"email": ["Give an email or a phone number."]})
    _ensure_unique(session, {"email": email, "phone": phone})
    user = User(
        name=name,
        role=role,
        email=email,
        phone=phone,
        locale=locale,
        password_hash=security.hash_password(password),
        phone_verified_at=utcnow() if phone else None,
        email_verified_at=utcnow() if email else None,
    )
    session.add(user)
    session.flush()
    return user


def create_admin(
    session: Session, *, security: Security, name: str, email: str, password: str, phone: str | None
) -> User:
    """Create a platform admin (operators only, from the CLI)."""
    _ensure_unique(session, {"email": email, "phone": phone})
    user = User(
        name=name,
        role=Role.ADMIN,
        email=email,
        phone=phone,
        password_hash=security.hash_password(password),
        phone_verified_at=utcnow() if phone else None,
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def update_me(
    session: Session,
    *,
    tools: identity.Tools,
    actor: Actor,
    address: str | None,
    changes: Mapping[str, Any],
) -> User:
    """Change the caller's own profile fields. A new phone or email is not stored yet: a code
    goes to it, and entering it (``identity.confirm_*_verification``) stores it, verified; one
    that another account has gets no code, and the answer is the same (nothing is revealed)."""
    user = authorize(actor, "edit", actor.require_user())
    changes = dict(changes)
    new_phone = changes.pop("phone", user.phone)
    new_email = changes.pop("email", user.email)
    if not new_email and not new_phone:
        raise ValidationFailed(errors={"email": ["Give an email or a phone number."]})
    code_sign_in = changes.pop("code_sign_in", None)
    for field, value in changes.items():
        setattr(user, field, value)
    if new_phone is None and user.phone is not None:
        user.phone = None
        user.phone_verified_at = None
        user.code_sign_in = False
    elif new_phone != user.phone:
        identity.start_phone_verification(
            session, tools, actor=actor, address=address, phone=new_phone
        )
    if new_email is None and user.email is not None:
        user.email = None
        user.email_verified_at = None
    elif new_email != user.email:
        identity.start_email_verification(
            session, tools, actor=actor, address=address, email=new_email
        )
    if code_sign_in is not None:
        identity.set_code_sign_in(user, code_sign_in)
    session.flush()
    return user


def change_password(
    session: Session,
    *,
    security: Security,
    lockout: auth.LockoutPolicy,
    actor: Actor,
    current_password: str,
    new_password: str,
    keep_session_id: str | None,
) -> None:
    """Change the password and sign out every other session."""
    user = authorize(actor, "edit", actor.require_user())
    if not auth.check_password(
        session,
        security=security,
        lockout=lockout,
        user=user,
        subject=f"user:{user.id}",
        password=current_password,
    ):
        raise ValidationFailed(errors={"current_password": ["Wrong password."]}, persist=True)
    user.password_hash = security.hash_password(new_password)
    user.password_changed_at = utcnow()
    auth.revoke_sessions(
        session,
        AuthSession.user_id == user.id,
        AuthSession.id != (keep_session_id or ""),
        reason="password_changed",
    )
    session.flush()


def _ensure_unique(
    session: Session, values: Mapping[str, str | None], own_id: str | None = None
) -> None:
    """Refuse an email or phone that another account already uses (409)."""
    for field, value in values.items():
        if not value:
            continue
        column = getattr(User, field)
        stmt = select(User.id).where(column == value)
        if own_id:
            stmt = stmt.where(User.id != own_id)
        if session.scalar(stmt) is not None:
            raise Conflict(
                "already_exists",
                params={"field": field},
                errors={field: ["Already used by another account."]},
            )
