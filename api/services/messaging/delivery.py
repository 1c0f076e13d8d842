"""Delivery of messages by WhatsApp or SMS through the job engine, as webhooks are delivered.

A message to deliver is a row (status ``queued``, ``next_attempt_at``); a worker takes it by a
conditional update that gives it a lease (a worker that dies lets it run out), makes one
request, and records ``sent`` with the provider's id, or a retry with exponential backoff
(MESSAGING_RETRY_BASE_SECONDS doubling, at most 6 hours) until MESSAGING_RETRY_HOURS have
passed, then ``failed``. Status callbacks move it on (delivered, read, failed); a WhatsApp
failure for a number that is not on WhatsApp marks the number and sends the message again by
SMS when SMS is configured.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db import utcnow
from api.models import Channel, InboundMessage, Message, MessagingPreference
from api.services.messaging import Outgoing, rules
from api.services.messaging.providers import Outbound, Sent, TwilioSender, WhatsAppSender
from api.services.messaging.templates import render_sms

log = logging.getLogger("berdaya.messaging")
MAX_BACKOFF = dt.timedelta(hours=6)
DELIVERED_BY_JOBS = ("whatsapp", "sms")
# The order statuses come in; a late "sent" never undoes "read".
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
SESSION_WINDOW = dt.timedelta(hours=24)

# Told the ids of new messages after their transaction commits (the app's job dispatcher).
_wake: list[Callable[[list[str]], None]] = []


def on_new_messages(listener: Callable[[list[str]], None]) -> None:
    _wake.clear()
    _wake.append(listener)


def wake(ids: list[str]) -> None:
    for listener in _wake:
        listener(ids)


def sms_configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from)


class JobProvider:
    """MESSAGING_PROVIDER=whatsapp or sms: messages on phones go to the workers; email stays in
    the outbox (there is no mail provider yet)."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.messaging_provider
        self.sms = sms_configured(settings)

    def name_for(self, channel: Channel) -> str:
        if channel == Channel.EMAIL:
            return "outbox"
        if self.name == "sms":
            return "sms"
        if channel == Channel.SMS and self.sms:
            return "sms"
        return "whatsapp"

    def dispatch(self, messages: list[Outgoing]) -> None:
        wake([m.id for m in messages])


def senders(settings: Settings) -> dict[str, Any]:
    made: dict[str, Any] = {}
    if settings.whatsapp_phone_number_id:
        made["whatsapp"] = WhatsAppSender(settings)
    if sms_configured(settings):
        made["sms"] = TwilioSender(settings)
    return made


def backoff(settings: Settings, attempt: int) -> dt.timedelta:
    seconds = settings.messaging_retry_base_seconds * 2 ** max(attempt - 1, 0)
    seconds = min(seconds, MAX_BACKOFF.total_seconds())
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311


def lease(settings: Settings) -> dt.timedelta:
    return dt.timedelta(seconds=settings.messaging_timeout_seconds + 10)


def due(sessions: sessionmaker[Session], *, limit: int = 200) -> list[str]:
    """Messages whose next attempt is due and that no live worker holds."""
    now = utcnow()
    with sessions() as session:
        return list(
            session.scalars(
                select(Message.id)
                .where(
                    Message.status == "queued",
                    Message.provider.in_(DELIVERED_BY_JOBS),
                    Message.next_attempt_at <= now,
                    or_(Message.lease_until.is_(None), Message.lease_until < now),
                )
                .order_by(Message.next_attempt_at)
                .limit(limit)
            )
        )


def _in_session(session: Session, message: Message, now: dt.datetime) -> bool:
    if message.user_id is None:
        return False
    return (
        session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.user_id == message.user_id,
                InboundMessage.kind == "reply",
                InboundMessage.channel == Channel.WHATSAPP,
                InboundMessage.received_at > now - SESSION_WINDOW,
            )
        )
        is not None
    )


def deliver(sessions: sessionmaker[Session], settings: Settings, message_id: str) -> str:
    """One attempt if the message is due and free: ``sent``, ``retry``, ``failed`` or
    ``skipped``."""
    now = utcnow()
    with sessions() as session:
        claimed = session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == "queued",
                Message.provider.in_(DELIVERED_BY_JOBS),
                Message.next_attempt_at <= now,
                or_(Message.lease_until.is_(None), Message.lease_until < now),
            )
            .values(lease_until=now + lease(settings), attempt_count=Message.attempt_count + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return "skipped"
        message = session.get(Message, message_id)
        assert message is not None
        sender = senders(settings).get(message.provider)
        if sender is None or message.sealed is None:
            return _settle(session, settings, message, Sent(failure="no sender for the provider"))
        content = rules.unseal(message.sealed)
        outbound = Outbound(
            recipient=message.recipient,
            locale=message.locale,
            template=message.template,
            text=content["text"],
            params=content["params"],
            in_session=message.provider == "whatsapp" and _in_session(session, message, now),
        )
        session.commit()  # no transaction stays open while the provider takes its time
        return _settle(session, settings, message, sender.send(outbound))


def _settle(session: Session, settings: Settings, message: Message, sent: Sent) -> str:
    now = utcnow()
    message.lease_until = None
    if sent.ok:
        message.status, message.status_at = "sent", now
        message.provider_message_id = sent.provider_message_id
        message.last_error = None
        # The content stays sealed until the provider says it arrived: a WhatsApp failure for
        # a number without WhatsApp sends it again by SMS.
        session.commit()
        return "sent"
    message.last_error = (sent.failure or "failed")[:300]
    retry_at = now + backoff(settings, message.attempt_count)
    window_ends = message.created_at + dt.timedelta(hours=settings.messaging_retry_hours)
    if sent.retry and retry_at <= window_ends:
        message.next_attempt_at = retry_at
        session.commit()
        return "retry"
    _fail(session, settings, message, unreachable=sent.unreachable)
    session.commit()
    return "failed"


def _fail(session: Session, settings: Settings, message: Message, *, unreachable: bool) -> None:
    now = utcnow()
    message.status, message.status_at = "failed", now
    if unreachable and message.provider == "whatsapp" and message.user_id:
        _mark_unreachable(session, message.user_id)
        if sms_configured(settings) and message.sealed:
            content = rules.unseal(message.sealed)
            if content["params"] and not message.secret:
                content["text"] = render_sms(message.template, message.locale, content["params"])
            fallback = Message(
                user_id=message.user_id,
                business_id=message.business_id,
                channel=Channel.SMS,
                recipient=message.recipient,
                locale=message.locale,
                template=message.template,
                body=message.body,
                secret=message.secret,
                provider="sms",
                status="queued",
                next_attempt_at=now,
                sealed=rules.seal(content),
            )
            session.add(fallback)
            session.flush()
            from api.db import on_commit

            on_commit(session, lambda: wake([fallback.id]))
    message.sealed = None


def _mark_unreachable(session: Session, user_id: str) -> None:
    chosen = rules.preference(session, user_id, Channel.WHATSAPP)
    if chosen is None:
        chosen = MessagingPreference(user_id=user_id, channel=Channel.WHATSAPP, events=[])
        session.add(chosen)
    chosen.unreachable_at = utcnow()
    session.flush()


def apply_status(
    session: Session, settings: Settings, message: Message, status: str, error_code: str | None
) -> str:
    """A status callback: move the message on, never back."""
    if status not in STATUS_RANK or STATUS_RANK[status] <= STATUS_RANK.get(message.status, 0):
        return "stale"
    if status == "failed":
        unreachable = error_code in {"131026"} or error_code in {"30003", "30005", "30006"}
        message.last_error = f"the provider reported failure {error_code or ''}".strip()
        _fail(
            session, settings, message, unreachable=unreachable and message.provider == "whatsapp"
        )
    else:
        message.status, message.status_at = status, utcnow()
        if status in ("delivered", "read"):
            message.sealed = None
    session.flush()
    return status
