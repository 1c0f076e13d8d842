"""What may be sent, and when: opt-outs, the daily cap, quiet hours; sealed message content.

Quiet hours are 21:00-07:00 WIB (UTC+7): a message that is not a code waits for 07:00. A
recipient gets at most MESSAGING_DAILY_CAP messages a day (WIB), codes apart; the rest are
stored as ``suppressed``. A channel she opted out of (replying BERHENTI/STOP, or her own
setting) gets nothing but codes she asks for.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Channel, Message, MessagingPreference

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
QUIET_FROM, QUIET_UNTIL = 21, 7
_state: dict[str, Any] = {"cap": 5, "key": None}


def now() -> dt.datetime:
    """The clock the rules read (one place, so a test can name the hour)."""
    return dt.datetime.now(dt.UTC)


def configure(*, secret_key: str, daily_cap: int) -> None:
    key = hashlib.sha256(b"berdaya message content\0" + secret_key.encode()).digest()
    _state["key"] = Fernet(base64.urlsafe_b64encode(key))
    _state["cap"] = daily_cap


def _cipher() -> Fernet:
    if _state["key"] is None:
        configure(secret_key="unconfigured", daily_cap=_state["cap"])  # noqa: S106
    cipher: Fernet = _state["key"]
    return cipher


def seal(content: dict[str, Any]) -> str:
    return _cipher().encrypt(json.dumps(content).encode()).decode()


def unseal(sealed: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(_cipher().decrypt(sealed.encode()))
    return content


def in_quiet_hours(now: dt.datetime) -> bool:
    hour = now.astimezone(WIB).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


def send_at(now: dt.datetime, *, secret: bool) -> dt.datetime:
    """Now, or 07:00 WIB when now is in quiet hours (codes are never held)."""
    if secret or not in_quiet_hours(now):
        return now
    local = now.astimezone(WIB)
    morning = local.replace(hour=QUIET_UNTIL, minute=0, second=0, microsecond=0)
    if local.hour >= QUIET_FROM:
        morning += dt.timedelta(days=1)
    return morning.astimezone(dt.UTC)


def preference(session: Session, user_id: str, channel: Channel) -> MessagingPreference | None:
    return session.scalar(
        select(MessagingPreference).where(
            MessagingPreference.user_id == user_id, MessagingPreference.channel == channel
        )
    )


def suppression(
    session: Session, user_id: str | None, channel: Channel, recipient: str
) -> str | None:
    """Why a message that is not a code must not go out, or None."""
    if user_id is not None:
        chosen = preference(session, user_id, channel)
        if chosen is not None and chosen.opted_out_at is not None:
            return "opted out of the channel"
    today = now().astimezone(WIB).replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.recipient == recipient,
            Message.secret.is_(False),
            Message.status != "suppressed",
            Message.created_at >= today.astimezone(dt.UTC),
        )
    )
    if (sent_today or 0) >= _state["cap"]:
        return "daily cap reached"
    return None
