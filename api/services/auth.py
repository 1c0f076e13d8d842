"""Sign-in, rotating refresh tokens, sign-out, and turning an access token into an Actor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from api.db import advisory_lock, utcnow
from api.errors import Forbidden, TooManyRequests, Unauthorized
from api.models import AuthSession, LoginFailure, RefreshToken, Role, StaffRegion, User
from api.security import Security, hash_token, new_refresh_token
from api.services.authz import Actor


@dataclass(frozen=True)
class TokenPair:
    """What a successful sign-in or refresh answers."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failed sign-ins one account may have within the window."""

    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)


def find_user(session: Session, *, email: str | None, phone: str | None) -> User | None:
    """The user with this (normalised) email or phone."""
    if email:
        return session.scalar(select(User).where(User.email == email))
    if phone:
        return session.scalar(select(User).where(User.phone == phone))
    return None


def login(
    session: Session,
    *,
    security: Security,
    lockout: LockoutPolicy,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    user_agent: str | None = None,
) -> TokenPair:
    """Check the password and open a session; wrong account and wrong password look the same."""
    user = find_user(session, email=email, phone=phone)
    subject = f"user:{user.id}" if user else f"unknown:{email or phone}"
    if not check_password(
        session, security=security, lockout=lockout, user=user, subject=subject, password=password
    ):
        raise Unauthorized("invalid_credentials", persist=True)
    assert user is not None
    refuse_suspended(user)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    auth_session = AuthSession(user_id=user.id, user_agent=(user_agent or "")[:200] or None)
    session.add(auth_session)
    session.flush()
    return _issue(session, security, user, auth_session)


def check_password(
    session: Session,
    *,
    security: Security,
    lockout: LockoutPolicy,
    user: User | None,
    subject: str,
    password: str,
) -> bool:
    """Verify a password under the failure limit of its subject (an account, or an unknown name).

    Attempts on one subject are serialised, so parallel guesses cannot outrun the count; a
    failure is recorded (the caller's refusal must persist it) and a success clears them.
    """
    advisory_lock(session, "login:" + subject)
    now = utcnow()
    recent = session.scalars(
        select(LoginFailure.created_at)
        .where(LoginFailure.subject == subject, LoginFailure.created_at > now - lockout.window)
        .order_by(LoginFailure.created_at)
    ).all()
    if len(recent) >= lockout.max_failures:
        unlock_at = recent[-lockout.max_failures] + lockout.window
        wait = int((unlock_at - now).total_seconds()) + 1
        raise TooManyRequests(
            "login_locked",
            retry_after=wait,
            headers={
                "X-RateLimit-Limit": str(lockout.max_failures),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(wait),
            },
        )
    # An unknown account is checked against a dummy hash: both answers take the same time.
    if not security.verify_password(user.password_hash if user else None, password) or not user:
        session.add(LoginFailure(subject=subject, created_at=now))
        session.flush()
        return False
    session.execute(delete(LoginFailure).where(LoginFailure.subject == subject))
    return True


def refresh(session: Session, *, security: Security, refresh_token: str) -> TokenPair:
    """Rotate a refresh token; reusing a rotated one revokes its whole session."""
    now = utcnow()
    token = session.get(RefreshToken, hash_token(refresh_token), with_for_update=True)
    if token is None:
        raise Unauthorized("invalid_refresh_token")
    auth_session = session.get(AuthSession, token.session_id, with_for_update=True)
    if auth_session is None or auth_session.revoked_at is not None:
        raise Unauthorized("invalid_refresh_token")
    if token.used_at is not None:
        auth_session.revoked_at = now
        auth_session.revoke_reason = "refresh_token_reused"
        session.flush()
        raise Unauthorized("refresh_token_reused", persist=True)
    if token.expires_at <= now:
        raise Unauthorized("invalid_refresh_token")
    user = session.get(User, auth_session.user_id)
    if user is None:
        raise Unauthorized("invalid_refresh_token")
    refuse_suspended(user)
    token.used_at = now
    auth_session.last_refreshed_at = now
    return _issue(session, security, user, auth_session)


def _issue(
    session: Session, security: Security, user: User, auth_session: AuthSession
) -> TokenPair:
    secret = new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=hash_token(secret),
            session_id=auth_session.id,
            expires_at=utcnow() + security.refresh_ttl,
        )
    )
    session.flush()
    access = security.issue_access_token(
        user_id=user.id, session_id=auth_session.id, role=user.role.value
    )
    return TokenPair(
        access_token=access,
        refresh_token=secret,
        expires_in=int(security.access_ttl.total_seconds()),
    )


def open_session(
    session: Session, *, security: Security, user: User, user_agent: str | None = None
) -> TokenPair:
    """Open a session without a password check (CLI, tests, sign-in by code)."""
    auth_session = AuthSession(user_id=user.id, user_agent=(user_agent or "")[:200] or None)
    session.add(auth_session)
    session.flush()
    return _issue(session, security, user, auth_session)


def logout(session: Session, *, session_id: str) -> None:
    """End one session: its refresh tokens stop working and its access tokens are refused."""
    revoke_sessions(session, AuthSession.id == session_id, reason="logout")


def revoke_sessions(session: Session, *where: object, reason: str) -> None:
    """Revoke every open session matching the conditions."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.revoked_at.is_(None), *where)  # type: ignore[arg-type]
        .values(revoked_at=utcnow(), revoke_reason=reason)
        .execution_options(synchronize_session=False)
    )


# Every signed-in request asks it: built once, not per request (building a statement and its
# cache key cost ~0.3 ms of Python each time, as much as the round trip).
_SIGNED_IN = (
    select(User, AuthSession.revoked_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id"))
)


def authenticate(session: Session, *, security: Security, token: str) -> tuple[Actor, str]:
    """The actor and session id behind an access token; revoked sessions are refused."""
    claims = security.decode_access_token(token)
    row = session.execute(
        _SIGNED_IN, {"session_id": claims.session_id, "user_id": claims.user_id}
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid_token")
    refuse_suspended(row.User)
    return actor_for(session, row.User), claims.session_id


def refuse_suspended(user: User, code: str = "account_suspended") -> None:
    """A suspended account signs in nowhere (said only once the password was right); staff
    acting for her or recovering her account are refused with ``her_account_suspended``."""
    if user.suspended_at is not None:
        raise Forbidden(code)


def actor_for(session: Session, user: User) -> Actor:
    """The actor of a user, with the regions of an admin or facilitator."""
    if user.role not in (Role.ADMIN, Role.FACILITATOR):
        return Actor(user=user)
    codes = tuple(
        session.scalars(
            select(StaffRegion.region_code)
            .where(StaffRegion.user_id == user.id)
            .order_by(StaffRegion.region_code)
        )
    )
    if not codes and user.role == Role.ADMIN:
        return Actor(user=user, regions=None)  # a national admin
    return Actor(user=user, regions=codes)
