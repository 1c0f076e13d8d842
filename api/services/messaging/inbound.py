"""What providers send back: replies and status callbacks, verified, recorded once, worked on
by a job.

WhatsApp signs each POST with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
keyed by the app secret>``; Twilio with ``X-Twilio-Signature`` (base64 HMAC-SHA1 of the URL
followed by each form field's name and value, sorted by name, keyed by the auth token). A
request whose signature fails is refused (401). Inside a signed request, a reply from a number
no user has, a status for a message we did not send, or a replayed provider id is ignored with
a log line (the phone number and the text never reach the log), and nothing is created.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db import utcnow
from api.models import Channel, InboundMessage, Message, MessagingPreference, User
from api.services import reach
from api.services.messaging import delivery, rules, templates

log = logging.getLogger("berdaya.messaging")
STOP_WORDS = {"BERHENTI", "STOP", "UNSUBSCRIBE", "STOPALL", "CANCEL"}
TWILIO_STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}
WHATSAPP_STATUSES = {"sent", "delivered", "read", "failed"}

# Told the ids of new inbound rows after their transaction commits (the job dispatcher).
_wake: list[Any] = []


def on_new_inbound(listener: Any) -> None:
    _wake.clear()
    _wake.append(listener)


# -- signatures ------------------------------------------------------------------------------


def whatsapp_signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def twilio_signature(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_ok(
    auth_token: str, url: str, form: Mapping[str, str], header: str | None
) -> bool:
    if not auth_token or not header:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, form), header)


# -- recording ---------------------------------------------------------------------------------


def _user_by_phone(session: Session, raw: str) -> User | None:
    digits = "".join(c for c in raw if c.isdigit())
    if not digits:
        return None
    return session.scalar(select(User).where(User.phone == f"+{digits}"))


def _record(session: Session, row: InboundMessage) -> bool:
    """Add the row unless its provider id was seen (a replay): whether it was added."""
    seen = session.scalar(
        select(InboundMessage.id).where(
            InboundMessage.provider == row.provider, InboundMessage.provider_id == row.provider_id
        )
    )
    if seen is not None:
        log.info("inbound %s %s ignored: seen before", row.provider, row.kind)
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        log.info("inbound %s %s ignored: seen before", row.provider, row.kind)
        return False
    return True


def _reply(
    session: Session, provider: str, channel: Channel, pid: str, sender: str, text: str
) -> InboundMessage | None:
    user = _user_by_phone(session, sender)
    if user is None:
        log.info("inbound %s reply ignored: the number is nobody's", provider)
        return None
    row = InboundMessage(
        provider=provider,
        provider_id=pid[:160],
        kind="reply",
        user_id=user.id,
        channel=channel,
        text=text[:1000],
    )
    return row if _record(session, row) else None


def _status(
    session: Session, provider: str, pid: str, status: str, error: str | None
) -> InboundMessage | None:
    message = session.scalar(select(Message).where(Message.provider_message_id == pid))
    if message is None:
        log.info("inbound %s status ignored: not a message of ours", provider)
        return None
    row = InboundMessage(
        provider=provider,
        provider_id=f"{pid}:{status}"[:160],
        kind="status",
        user_id=message.user_id,
        message_id=message.id,
        channel=message.channel,
        text=status,
        error_code=(error or None) and str(error)[:20],
    )
    return row if _record(session, row) else None


def _refuse_nul(value: Any) -> None:
    """No provider sends NUL characters, and PostgreSQL cannot store or compare them: a body
    that has one is malformed (on SQLite too, so both refuse it alike)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


def record_whatsapp(session: Session, payload: Any) -> list[str]:
    """The rows a WhatsApp webhook payload makes (its shape checked field by field)."""
    made: list[InboundMessage | None] = []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ValueError("not a WhatsApp Business Account notification")
    _refuse_nul(payload)
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            value = _dict(_dict(change).get("value"))
            for m in _list(value.get("messages")):
                m = _dict(m)
                pid, sender = m.get("id"), m.get("from")
                if not isinstance(pid, str) or not isinstance(sender, str):
                    log.info("inbound whatsapp message without id or sender ignored")
                    continue
                made.append(_reply(session, "whatsapp", Channel.WHATSAPP, pid, sender, _text(m)))
            for s in _list(value.get("statuses")):
                s = _dict(s)
                pid, status = s.get("id"), s.get("status")
                if not isinstance(pid, str) or status not in WHATSAPP_STATUSES:
                    log.info("inbound whatsapp status without id or known status ignored")
                    continue
                errors = _list(s.get("errors"))
                code = _dict(errors[0]).get("code") if errors else None
                made.append(_status(session, "whatsapp", pid, status, code and str(code)))
    return _announce(session, made)


def record_twilio(session: Session, form: Mapping[str, str]) -> list[str]:
    _refuse_nul(dict(form))
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        raise ValueError("no MessageSid")
    made: list[InboundMessage | None] = []
    if "MessageStatus" in form and "Body" not in form:
        status = TWILIO_STATUSES.get(form["MessageStatus"])
        if status is None:
            return []  # queued, sending, accepted: nothing to record
        made.append(_status(session, "sms", sid, status, form.get("ErrorCode")))
    else:
        made.append(
            _reply(session, "sms", Channel.SMS, sid, form.get("From", ""), form.get("Body", ""))
        )
    return _announce(session, made)


def _announce(session: Session, made: list[InboundMessage | None]) -> list[str]:
    ids = [row.id for row in made if row is not None]
    if ids:
        from api.db import on_commit

        def wake() -> None:
            for listener in _wake:
                listener(ids)

        on_commit(session, wake)
    return ids


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(message: dict[str, Any]) -> str:
    """What she answered: a button's payload, an interactive reply's id, or her text."""
    kind = message.get("type")
    if kind == "button":
        button = _dict(message.get("button"))
        return str(button.get("payload") or button.get("text") or "")
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        reply = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        return str(reply.get("id") or reply.get("title") or "")
    return str(_dict(message.get("text")).get("body") or "")


# -- the job -----------------------------------------------------------------------------------


def pending(sessions: sessionmaker[Session], *, limit: int = 200) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(InboundMessage.id)
                .where(InboundMessage.processed_at.is_(None))
                .order_by(InboundMessage.received_at)
                .limit(limit)
            )
        )


def process(
    sessions: sessionmaker[Session], settings: Settings, messenger: Any, row_id: str
) -> str:
    """Work on one inbound row, once: its effects and its mark commit together."""
    with sessions() as session:
        claimed = session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == row_id, InboundMessage.processed_at.is_(None))
            .values(processed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            return "skipped"
        row = session.get(InboundMessage, row_id)
        assert row is not None
        if row.kind == "status":
            message = session.get(Message, row.message_id) if row.message_id else None
            outcome = (
                delivery.apply_status(session, settings, message, row.text, row.error_code)
                if message
                else "gone"
            )
        else:
            outcome = _answer(session, messenger, row)
        row.outcome = outcome[:40]
        session.commit()
        return outcome


def _answer(session: Session, messenger: Any, row: InboundMessage) -> str:
    if row.user_id is None:
        return "nobody"
    text = row.text.strip()
    if text.upper() in STOP_WORDS:
        chosen = rules.preference(session, row.user_id, row.channel)
        if chosen is None:
            chosen = MessagingPreference(user_id=row.user_id, channel=row.channel, events=[])
            session.add(chosen)
        chosen.opted_out_at = utcnow()
        session.flush()
        log.info("inbound %s: opted out of %s", row.id, row.channel.value)
        return "opted_out"
    payload = _payload(session, row.user_id, text)
    if payload is None:
        return "not_understood"
    return reach.answer(session, messenger, row.user_id, payload, channel=row.channel)


def _payload(session: Session, user_id: str, text: str) -> str | None:
    """A button's payload, or the button her text or number names in our last question."""
    if text.split(":")[0] in ("checkin", "band") and any(
        text == p for choices in templates.BUTTONS.values() for p, _ in choices
    ):
        return text
    last = session.scalar(
        select(Message)
        .where(
            Message.user_id == user_id,
            Message.template.in_(list(templates.BUTTONS)),
            Message.status != "suppressed",
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    if last is None:
        return None
    choices = templates.buttons(last.template, last.locale)
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1][0]
    for payload, label in choices:
        if text.casefold() == label.casefold():
            return payload
    return None
