"""Proving who she is by one-time codes: registration, phone verification, password reset,
sign-in by code and the recovery a facilitator starts.

Nothing here tells a caller whether a phone or email has an account: requests for codes answer
the same either way (the owner of an existing account is told by message instead), limits count
the destination whether or not it has an account, and a wrong code, an expired one and one that
was never sent are the same refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import AuthSession, Channel, CodePurpose, OneTimeCode, Role, User
from api.security import Security
from api.services import audit, auth, codes, program
from api.services.authz import Actor, authorize
from api.services.codes import CodePolicy
from api.services.messaging import IDENTIFIERS, Messenger, OutboxProvider, Provider, delivery, rules

STAFF = (Role.FACILITATOR, Role.ADMIN)


@dataclass(frozen=True)
class Tools:
    """What the code flows need from the app: hashing, the messenger, the code policy."""

    security: Security
    messenger: Messenger
    policy: CodePolicy


@dataclass(frozen=True)
class CodeSent:
    """The answer to a request for a code: the same whether or not anything was sent."""

    channel: str
    expires_in: int


@dataclass(frozen=True)
class Recovery:
    """A recovery a facilitator started: by a code to her new number, or a code handed over."""

    id: str
    user_id: str
    delivery: str
    expires_at: Any
    code: str | None = None


def make_tools(settings: Settings, security: Security) -> Tools:
    """The messenger with the configured provider, and the code policy."""
    rules.configure(secret_key=settings.secret_key, daily_cap=settings.messaging_daily_cap)
    provider: Provider = (
        OutboxProvider(development=settings.is_development)
        if settings.messaging_provider == "outbox"
        else delivery.JobProvider(settings)
    )
    return Tools(
        security=security,
        messenger=Messenger(provider, development=settings.is_development),
        policy=CodePolicy(secret_key=settings.secret_key),
    )


def _channel(phone: str | None) -> Channel:
    return Channel.SMS if phone else Channel.EMAIL


def _answer(tools: Tools, phone: str | None) -> CodeSent:
    return CodeSent(_channel(phone).value, int(tools.policy.ttl.total_seconds()))


def _send_code(
    session: Session,
    tools: Tools,
    *,
    purpose: CodePurpose,
    destination: str,
    channel: Channel,
    locale: str,
    user_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    code = codes.issue(
        session,
        policy=tools.policy,
        purpose=purpose,
        destination=destination,
        user_id=user_id,
        payload=payload,
    )
    tools.messenger.send(
        session,
        template=f"code.{purpose.value}",
        channel=channel,
        recipient=destination,
        locale=locale,
        params={"code": code, "minutes": tools.policy.minutes},
        user_id=user_id,
        secret=True,
    )


def tell(session: Session, tools: Tools, user: User, template: str, **params: Any) -> None:
    """Send a notice to every verified channel of the user."""
    if user.phone and user.phone_verified_at:
        tools.messenger.send(
            session,
            template=template,
            channel=Channel.SMS,
            recipient=user.phone,
            locale=user.locale,
            params=params,
            user_id=user.id,
        )
    if user.email and user.email_verified_at:
        tools.messenger.send(
            session,
            template=template,
            channel=Channel.EMAIL,
            recipient=user.email,
            locale=user.locale,
            params=params,
            user_id=user.id,
        )


def _by_verified(session: Session, *, email: str | None, phone: str | None) -> User | None:
    """The live account whose verified phone (or verified email) this is."""
    stmt = select(User).where(User.erased_at.is_(None))
    if phone:
        stmt = stmt.where(User.phone == phone, User.phone_verified_at.is_not(None))
    elif email:
        stmt = stmt.where(User.email == email, User.email_verified_at.is_not(None))
    else:
        return None
    return session.scalar(stmt)


# -- registration -------------------------------------------------------------------------------


def start_registration(
    session: Session,
    tools: Tools,
    *,
    address: str | None,
    name: str,
    role: Role,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    locale: str = "id",
) -> CodeSent:
    """Send a code that makes the account when entered; the owner of an email or verified phone
    already in use is told instead, and the answer is the same."""
    if role == Role.ADMIN:
        raise ValidationFailed(errors={"role": ["Admins are created by an operator."]})
    destination = phone or email
    if not destination:
        raise ValidationFailed(errors={"email": ["Give an email or a phone number."]})
    codes.note_send(session, policy=tools.policy, destination=destination, address=address)
    password_hash = tools.security.hash_password(password)  # both paths take the same time
    owners: list[tuple[User, str, str]] = []
    if phone and (held := _by_verified(session, email=None, phone=phone)):
        owners.append((held, "phone", phone))
    if email and (taken := session.scalar(select(User).where(User.email == email))):
        owners.append((taken, "email", email))
    for owner, kind, recipient in owners:
        tools.messenger.send(
            session,
            template="account.exists",
            channel=Channel.SMS if kind == "phone" else Channel.EMAIL,
            recipient=recipient,
            locale=owner.locale,
            params={"identifier": IDENTIFIERS[kind].get(owner.locale, IDENTIFIERS[kind]["id"])},
            user_id=owner.id,
        )
    if not owners:
        payload = {
            "name": name,
            "role": role.value,
            "email": email,
            "phone": phone,
            "locale": locale,
            "password_hash": password_hash,
        }
        _send_code(
            session,
            tools,
            purpose=CodePurpose.REGISTER,
            destination=destination,
            channel=_channel(phone),
            locale=locale,
            payload=payload,
        )
    return _answer(tools, phone)


def _free_phone(session: Session, phone: str, own_id: str | None = None) -> None:
    """Take a number she proved she holds from any account that never proved it (409 when an
    account verified it: only the holder of the number can get this far)."""
    holder = session.scalar(select(User).where(User.phone == phone))
    if holder is None or holder.id == own_id:
        return
    if holder.phone_verified_at is not None:
        raise Conflict("phone_unavailable")
    holder.phone = None
    holder.code_sign_in = False
    session.flush()


def confirm_registration(
    session: Session,
    tools: Tools,
    *,
    address: str | None,
    code: str,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Enter the registration code: the account is made, its phone (or email) verified."""
    destination = phone or email or ""
    row = codes.redeem(
        session,
        policy=tools.policy,
        purpose=CodePurpose.REGISTER,
        destination=destination,
        code=code,
        address=address,
    )
    data = row.payload or {}
    session.delete(row)
    if data.get("email") and session.scalar(select(User.id).where(User.email == data["email"])):
        raise Conflict("already_exists", params={"field": "email"})
    if data.get("phone"):
        _free_phone(session, data["phone"])
    now = utcnow()
    user = User(
        name=data["name"],
        role=Role(data["role"]),
        email=data.get("email"),
        phone=data.get("phone"),
        locale=data.get("locale", "id"),
        password_hash=data["password_hash"],
        phone_verified_at=now if data.get("phone") else None,
        email_verified_at=now if not data.get("phone") else None,
    )
    session.add(user)
    session.flush()
    return user


# -- her phone -----------------------------------------------------------------------------------


def start_phone_verification(
    session: Session, tools: Tools, *, actor: Actor, address: str | None, phone: str | None
) -> CodeSent:
    """Send a code to a new number (stored once confirmed) or to her unverified one."""
    user = authorize(actor, "edit", actor.require_user())
    phone = phone or user.phone
    if not phone:
        raise ValidationFailed(errors={"phone": ["Give the phone number to verify."]})
    codes.note_send(session, policy=tools.policy, destination=phone, address=address)
    held = _by_verified(session, email=None, phone=phone)
    if held is not None and held.id != user.id:
        return _answer(tools, phone)  # another account proved it; nothing is sent
    _send_code(
        session,
        tools,
        purpose=CodePurpose.VERIFY_PHONE,
        destination=phone,
        channel=Channel.SMS,
        locale=user.locale,
        user_id=user.id,
    )
    return _answer(tools, phone)


def confirm_phone_verification(
    session: Session, tools: Tools, *, actor: Actor, address: str | None, code: str
) -> User:
    """Enter the code sent to a number: it becomes her phone, verified."""
    user = authorize(actor, "edit", actor.require_user())
    pending = session.scalar(
        select(OneTimeCode.destination)
        .where(OneTimeCode.purpose == CodePurpose.VERIFY_PHONE, OneTimeCode.user_id == user.id)
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )
    row = codes.redeem(
        session,
        policy=tools.policy,
        purpose=CodePurpose.VERIFY_PHONE,
        destination=pending or f"user:{user.id}",
        code=code,
        address=address,
    )
    if row.user_id != user.id:  # the number's latest code was asked for by another account
        raise ValidationFailed("invalid_code", errors={"code": ["Wrong or expired code."]})
    session.delete(row)
    _free_phone(session, row.destination, user.id)
    user.phone = row.destination
    user.phone_verified_at = utcnow()
    session.flush()
    return user


def start_email_verification(
    session: Session,
    tools: Tools,
    *,
    actor: Actor,
    address: str | None,
    email: str | None = None,
) -> CodeSent:
    """Send a code to a new email address (stored once confirmed) or to her unverified one;
    an address another account has gets nothing, and the answer is the same."""
    user = authorize(actor, "edit", actor.require_user())
    email = email or user.email
    if not email:
        raise ValidationFailed(errors={"email": ["Add an email address first."]})
    codes.note_send(session, policy=tools.policy, destination=email, address=address)
    held = session.scalar(select(User.id).where(User.email == email))
    if held is None or held == user.id:
        _send_code(
            session,
            tools,
            purpose=CodePurpose.VERIFY_EMAIL,
            destination=email,
            channel=Channel.EMAIL,
            locale=user.locale,
            user_id=user.id,
        )
    return CodeSent(Channel.EMAIL.value, int(tools.policy.ttl.total_seconds()))


def confirm_email_verification(
    session: Session, tools: Tools, *, actor: Actor, address: str | None, code: str
) -> User:
    """Enter the code sent to an email address: it becomes her email, verified."""
    user = authorize(actor, "edit", actor.require_user())
    pending = session.scalar(
        select(OneTimeCode.destination)
        .where(OneTimeCode.purpose == CodePurpose.VERIFY_EMAIL, OneTimeCode.user_id == user.id)
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )
    row = codes.redeem(
        session,
        policy=tools.policy,
        purpose=CodePurpose.VERIFY_EMAIL,
        destination=pending or f"user:{user.id}",
        code=code,
        address=address,
    )
    if row.user_id != user.id:
        raise ValidationFailed("invalid_code", errors={"code": ["Wrong or expired code."]})
    session.delete(row)
    taken = session.scalar(select(User.id).where(User.email == row.destination, User.id != user.id))
    if taken is not None:  # only the holder of the mailbox gets this far
        raise Conflict("already_exists", params={"field": "email"})
    user.email = row.destination
    user.email_verified_at = utcnow()
    session.flush()
    return user


# -- password reset and sign-in by code -----------------------------------------------------------


def start_password_reset(
    session: Session,
    tools: Tools,
    *,
    address: str | None,
    email: str | None = None,
    phone: str | None = None,
) -> CodeSent:
    """Send a reset code to a verified phone or email; the same answer when there is none."""
    destination = phone or email or ""
    codes.note_send(session, policy=tools.policy, destination=destination, address=address)
    user = _by_verified(session, email=email, phone=phone)
    if user is not None and user.suspended_at is None:
        _send_code(
            session,
            tools,
            purpose=CodePurpose.PASSWORD_RESET,
            destination=destination,
            channel=_channel(phone),
            locale=user.locale,
            user_id=user.id,
        )
    return _answer(tools, phone)


def confirm_password_reset(
    session: Session,
    tools: Tools,
    *,
    address: str | None,
    code: str,
    new_password: str,
    email: str | None = None,
    phone: str | None = None,
) -> None:
    """Enter a reset code and a new password: every session of the account is revoked."""
    row = codes.redeem(
        session,
        policy=tools.policy,
        purpose=CodePurpose.PASSWORD_RESET,
        destination=phone or email or "",
        code=code,
        address=address,
    )
    user = session.get(User, row.user_id) if row.user_id else None
    # A code sent before her account was suspended (or erased) no longer works.
    if user is None or user.erased_at is not None or user.suspended_at is not None:
        raise ValidationFailed("invalid_code", errors={"code": ["Wrong or expired code."]})
    session.delete(row)
    new_phone = (row.payload or {}).get("new_phone")
    if new_phone:  # an assisted recovery to her new number: the number is now hers, verified
        _free_phone(session, new_phone, user.id)
        user.phone = new_phone
        user.phone_verified_at = utcnow()
    user.password_hash = tools.security.hash_password(new_password)
    user.password_changed_at = utcnow()
    auth.revoke_sessions(session, AuthSession.user_id == user.id, reason="password_reset")
    if row.issued_by_id:
        audit.write(
            session,
            actor=Actor(user=user),
            action="account.recovered",
            subject_type="User",
            subject_id=user.id,
            data={"facilitator_id": row.issued_by_id},
        )
    tell(session, tools, user, "password.changed")
    session.flush()


def start_code_sign_in(
    session: Session, tools: Tools, *, address: str | None, phone: str
) -> CodeSent:
    """Send a sign-in code to a verified phone whose owner chose to sign in by code."""
    codes.note_send(session, policy=tools.policy, destination=phone, address=address)
    user = _by_verified(session, email=None, phone=phone)
    if user is not None and user.code_sign_in and user.suspended_at is None:
        _send_code(
            session,
            tools,
            purpose=CodePurpose.SIGN_IN,
            destination=phone,
            channel=Channel.SMS,
            locale=user.locale,
            user_id=user.id,
        )
    return _answer(tools, phone)


def sign_in_with_code(
    session: Session,
    tools: Tools,
    *,
    address: str | None,
    phone: str,
    code: str,
    user_agent: str | None,
) -> auth.TokenPair:
    """Enter a sign-in code: a new session, as a password sign-in opens."""
    row = codes.redeem(
        session,
        policy=tools.policy,
        purpose=CodePurpose.SIGN_IN,
        destination=phone,
        code=code,
        address=address,
    )
    user = session.get(User, row.user_id) if row.user_id else None
    session.delete(row)
    if user is None or not user.code_sign_in or user.phone != phone:
        raise ValidationFailed("invalid_code", errors={"code": ["Wrong or expired code."]})
    auth.refuse_suspended(user)
    return auth.open_session(session, security=tools.security, user=user, user_agent=user_agent)


def set_code_sign_in(user: User, enabled: bool) -> None:
    """Turn sign-in by code on (a verified phone is needed) or off."""
    if enabled and not (user.phone and user.phone_verified_at):
        raise ValidationFailed(
            "phone_not_verified",
            errors={"code_sign_in": ["Verify your phone number first."]},
        )
    user.code_sign_in = enabled


# -- recovery with a facilitator ------------------------------------------------------------------


def start_recovery(
    session: Session,
    tools: Tools,
    *,
    actor: Actor,
    address: str | None,
    user_id: str,
    phone: str | None,
) -> Recovery:
    """A facilitator with the woman starts her recovery: a reset code to her new number, or,
    without one, a code handed to the facilitator. Audited; she is told on every channel."""
    if not program.facilitates(session, actor, user_id):
        raise NotFound()
    user = session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise NotFound()
    if user.role in STAFF:
        raise Forbidden("recovery_not_for_staff")
    auth.refuse_suspended(user, "her_account_suspended")  # as her own reset: no code for her
    facilitator = actor.require_user()
    destination = phone or user.phone or user.email or ""
    codes.note_send(session, policy=tools.policy, destination=destination, address=address)
    if phone:
        held = _by_verified(session, email=None, phone=phone)
        if held is not None and held.id != user.id:
            raise Conflict("phone_unavailable")
    ttl = tools.policy.ttl if phone else tools.policy.handed_ttl
    code = codes.issue(
        session,
        policy=tools.policy,
        purpose=CodePurpose.PASSWORD_RESET,
        destination=destination,
        user_id=user.id,
        payload={"new_phone": phone} if phone else None,
        issued_by_id=facilitator.id,
        ttl=ttl,
    )
    row = session.scalar(
        select(OneTimeCode).where(
            OneTimeCode.purpose == CodePurpose.PASSWORD_RESET,
            OneTimeCode.destination == destination,
        )
    )
    assert row is not None
    delivery = "sms" if phone else "facilitator"
    if phone:
        tools.messenger.send(
            session,
            template="code.password_reset",
            channel=Channel.SMS,
            recipient=phone,
            locale=user.locale,
            params={"code": code, "minutes": tools.policy.minutes},
            user_id=user.id,
            secret=True,
        )
    tell(session, tools, user, "recovery.started", facilitator=facilitator.name)
    audit.write(
        session,
        actor=actor,
        action="account.recovery_started",
        subject_type="User",
        subject_id=user.id,
        data={"user_id": user.id, "facilitator_id": facilitator.id, "delivery": delivery},
    )
    return Recovery(
        id=row.id,
        user_id=user.id,
        delivery=delivery,
        expires_at=row.expires_at,
        code=None if phone else code,
    )
