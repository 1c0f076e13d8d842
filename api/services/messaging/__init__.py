"""Messages to people: one service, pluggable providers.

``Messenger.send`` writes a ``Message`` row in the transaction of what caused it (no message
without its cause, none lost with it), in the recipient's language. After that transaction
commits, the provider gets the messages to deliver. The embedded default, ``OutboxProvider``,
delivers nowhere: its rows are the outbox, which ``GET /v1/dev/outbox`` lists and which it writes
to the log in development (``make run`` shows them). A provider for WhatsApp or SMS implements
``Provider`` (its ``dispatch`` hands the messages to the job engine) and is chosen by
``MESSAGING_PROVIDER``.

A message carrying a one-time code keeps its text only in development; elsewhere the stored and
logged text has the code masked, and only the provider sees it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db import on_commit, on_rollback
from api.models import Channel, Message
from api.pagination import Page, paginate, sort_options
from api.services.messaging import rules
from api.services.messaging.templates import IDENTIFIERS, TEMPLATES, render, render_sms

__all__ = [
    "IDENTIFIERS",
    "TEMPLATES",
    "Messenger",
    "OutboxProvider",
    "Outgoing",
    "Provider",
    "list_outbox",
]

log = logging.getLogger("berdaya.messaging")
PENDING_KEY = "berdaya_messages"
MASK = "******"
SORTS = sort_options(Message, created_at=["created_at"])


@dataclass(frozen=True)
class Outgoing:
    """A committed message as a provider receives it: the full text, code included."""

    id: str
    channel: Channel
    recipient: str
    locale: str
    template: str
    text: str
    secret: bool


class Provider(Protocol):
    """Delivers committed messages on their channel."""

    name: str

    def name_for(self, channel: Channel) -> str:
        """Who delivers a message on this channel (``outbox``, ``whatsapp`` or ``sms``)."""

    def dispatch(self, messages: list[Outgoing]) -> None:
        """Hand over messages whose transaction has committed (must not block on a network)."""


class OutboxProvider:
    """The embedded default: the stored rows are the delivery; development logs them."""

    name = "outbox"

    def __init__(self, *, development: bool) -> None:
        self.development = development

    def name_for(self, channel: Channel) -> str:
        return "outbox"

    def dispatch(self, messages: list[Outgoing]) -> None:
        for m in messages:
            if self.development:  # make run shows the whole message, code included
                log.info("outbox %s %s to %s: %s", m.id, m.channel.value, m.recipient, m.text)
            else:  # a number and a text are personal data: never in a production log
                log.info("outbox %s %s %s stored", m.id, m.channel.value, m.template)


class Messenger:
    """Writes messages and, once they are committed, passes them to the provider."""

    def __init__(self, provider: Provider, *, development: bool) -> None:
        self.provider = provider
        self.development = development

    def send(
        self,
        session: Session,
        *,
        template: str,
        channel: Channel,
        recipient: str,
        locale: str,
        params: dict[str, Any] | None = None,
        user_id: str | None = None,
        secret: bool = False,
        business_id: str | None = None,
    ) -> Message:
        """Queue one message in the caller's transaction.

        A message that is not a code waits for the end of quiet hours (21:00-07:00 WIB), and is
        suppressed (stored, never sent) when she opted out of the channel or her daily cap is
        reached.
        """
        params = params or {}
        route = getattr(self.provider, "name_for", None)  # a provider for one channel: its name
        provider: str = route(channel) if route else self.provider.name
        sms = provider == "sms"
        text = (render_sms if sms else render)(template, locale, params)
        stored = text
        if secret and not self.development:
            stored = (render_sms if sms else render)(template, locale, {**params, "code": MASK})
        suppressed = None if secret else rules.suppression(session, user_id, channel, recipient)
        message = Message(
            user_id=user_id,
            channel=channel,
            recipient=recipient,
            locale=locale if locale in ("id", "en") else "id",
            template=template,
            body=stored,
            secret=secret,
            provider=provider,
            status="suppressed" if suppressed else "queued",
            last_error=suppressed,
            business_id=business_id,
        )
        if provider in ("whatsapp", "sms") and not suppressed:
            message.next_attempt_at = rules.send_at(rules.now(), secret=secret)
            message.sealed = rules.seal({"text": text, "params": params})
        session.add(message)
        session.flush()
        if suppressed:
            log.info("message %s suppressed: %s", message.id, suppressed)
            return message
        outgoing = Outgoing(message.id, channel, recipient, message.locale, template, text, secret)
        self._after_commit(session).append(outgoing)
        return message

    def _after_commit(self, session: Session) -> list[Outgoing]:
        """The transaction's messages, handed to the provider once it commits (api.db's
        after-transaction hooks: never for a rollback, never for a savepoint)."""
        pending: list[Outgoing] | None = session.info.get(PENDING_KEY)
        if pending is None:
            pending = session.info[PENDING_KEY] = []

            def committed() -> None:
                batch = session.info.pop(PENDING_KEY, [])
                if batch:
                    self.provider.dispatch(batch)

            on_commit(session, committed)
            on_rollback(session, lambda: session.info.pop(PENDING_KEY, None))
        return pending


def list_outbox(
    session: Session, *, recipient: str | None = None, limit: int, cursor: str | None = None
) -> Page[Message]:
    """The outbox, newest first (development only: the resource refuses elsewhere)."""
    stmt = select(Message)
    if recipient:
        stmt = stmt.where(Message.recipient == recipient)
    return paginate(
        session, stmt, model=Message, sort="-created_at", options=SORTS, limit=limit, cursor=cursor
    )


def prune(session: Session, *, older_than: dt.datetime) -> int:
    """Delete messages older than the retention (the scheduled sweep)."""
    result = session.execute(delete(Message).where(Message.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
