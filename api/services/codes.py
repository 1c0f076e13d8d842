"""One-time codes: six digits, short-lived, single use, kept only as a keyed hash.

Codes come from ``secrets`` and are stored as HMAC-SHA256 under the app's secret key, bound to
their purpose and destination: a copy of the database alone cannot test the million possible
codes (a salted slow hash of six digits could be; the key is not in the database). Sending is
limited per destination and per network address; wrong codes are limited per code (then it is
dead), per destination and per network address, all in the database (``login_failures`` rows
with their own subjects), so every worker counts together. Every refusal is the same for a
destination with or without an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.db import advisory_lock, utcnow
from api.errors import TooManyRequests, ValidationFailed
from api.models import CodePurpose, LoginFailure, OneTimeCode


@dataclass(frozen=True)
class CodePolicy:
    """Lifetimes and limits of one-time codes."""

    secret_key: str
    ttl: dt.timedelta = dt.timedelta(minutes=10)
    handed_ttl: dt.timedelta = dt.timedelta(minutes=30)  # given by a facilitator in person
    max_attempts: int = 5  # per code
    window: dt.timedelta = dt.timedelta(minutes=15)
    sends_per_destination: int = 3
    # Per network address: a class of 40 signing up together on one school Wi-Fi or carrier
    # CGNAT address, with resends and typos, fits; a script spraying numbers does not.
    sends_per_address: int = 120
    failures_per_destination: int = 10
    failures_per_address: int = 120

    @property
    def minutes(self) -> int:
        return int(self.ttl.total_seconds() // 60)


def network(address: str | None) -> str:
    """The unit of a per-address limit: the IPv4 address, or the IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _tag(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _count(session: Session, subject: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    row = session.execute(
        select(func.count(), func.min(LoginFailure.created_at)).where(
            LoginFailure.subject == subject, LoginFailure.created_at > since
        )
    ).one()
    return int(row[0]), row[1]


def _limit(session: Session, policy: CodePolicy, subjects: Mapping[str, int], code: str) -> None:
    """Refuse (429) when any subject has reached its maximum within the window."""
    now = utcnow()
    for subject, maximum in subjects.items():
        count, oldest = _count(session, subject, now - policy.window)
        if count >= maximum and oldest is not None:
            wait = int((oldest + policy.window - now).total_seconds()) + 1
            raise TooManyRequests(
                code,
                retry_after=wait,
                headers={
                    "X-RateLimit-Limit": str(maximum),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(max(1, wait)),
                },
            )


def _record(session: Session, *subjects: str) -> None:
    now = utcnow()
    session.add_all(LoginFailure(subject=s, created_at=now) for s in subjects)
    session.flush()


def note_send(
    session: Session, *, policy: CodePolicy, destination: str, address: str | None
) -> None:
    """Count a request for a code to ``destination`` (whether or not one is sent): 429 past
    the limits. Call it on every path, so that the limits say nothing about accounts."""
    subjects = {
        "code-send:to:" + _tag(destination): policy.sends_per_destination,
        "code-send:ip:" + network(address): policy.sends_per_address,
    }
    advisory_lock(session, "code-send:" + _tag(destination))
    _limit(session, policy, subjects, "code_send_limited")
    _record(session, *subjects)


def subjects(destination: str) -> list[str]:
    """The limit counters kept under a destination (erased with her)."""
    tag = _tag(destination)
    return [f"code-send:to:{tag}", f"code-fail:to:{tag}"]


def _hash(policy: CodePolicy, purpose: CodePurpose, destination: str, code: str) -> str:
    message = f"{purpose.value}\x00{destination}\x00{code}".encode()
    return hmac.new(policy.secret_key.encode(), message, hashlib.sha256).hexdigest()


def issue(
    session: Session,
    *,
    policy: CodePolicy,
    purpose: CodePurpose,
    destination: str,
    user_id: str | None = None,
    payload: dict[str, Any] | None = None,
    issued_by_id: str | None = None,
    ttl: dt.timedelta | None = None,
) -> str:
    """Make a code for ``destination`` (earlier ones of this purpose stop working); the code
    itself is returned once, to be sent, and never stored."""
    session.execute(
        delete(OneTimeCode).where(
            OneTimeCode.purpose == purpose, OneTimeCode.destination == destination
        )
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = utcnow()
    session.add(
        OneTimeCode(
            purpose=purpose,
            destination=destination,
            user_id=user_id,
            payload=payload,
            issued_by_id=issued_by_id,
            code_hash=_hash(policy, purpose, destination, code),
            created_at=now,
            expires_at=now + (ttl or policy.ttl),
        )
    )
    session.flush()
    return code


def redeem(
    session: Session,
    *,
    policy: CodePolicy,
    purpose: CodePurpose,
    destination: str,
    code: str,
    address: str | None,
) -> OneTimeCode:
    """The live code of ``destination`` for ``purpose`` if ``code`` is it, now used up.

    A wrong, expired, used or never-sent code is one refusal (422 ``invalid_code``); the fifth
    wrong try kills the code; wrong tries past the limits per destination or network address
    are a 429 ``code_attempts_limited``.
    """
    to_subject = "code-fail:to:" + _tag(destination)
    ip_subject = "code-fail:ip:" + network(address)
    advisory_lock(session, "code:" + _tag(destination))
    _limit(
        session,
        policy,
        {to_subject: policy.failures_per_destination, ip_subject: policy.failures_per_address},
        "code_attempts_limited",
    )
    now = utcnow()
    row = session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.purpose == purpose,
            OneTimeCode.destination == destination,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > now,
        )
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    given = _hash(policy, purpose, destination, code)
    if row is None or not hmac.compare_digest(given, row.code_hash):
        if row is not None:
            row.attempts += 1
            if row.attempts >= policy.max_attempts:
                row.expires_at = now  # dead: ask for a new code
        _record(session, to_subject, ip_subject)
        raise ValidationFailed(
            "invalid_code",
            errors={"code": ["Wrong or expired code; ask for a new one."]},
            persist=True,
        )
    row.used_at = now
    session.flush()
    return row


def prune(session: Session) -> int:
    """Delete expired and used codes (and the pending registrations they hold)."""
    result = session.execute(
        delete(OneTimeCode).where(
            (OneTimeCode.expires_at < utcnow()) | OneTimeCode.used_at.is_not(None)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
