"""Her messaging preferences: per channel, an opt-in with the notice version she was shown
(UU PDP 27/2022), the events that reach her there, or an opt-out; and the messages the events
she chose send.

Without a choice recorded, she gets no event messages, and the monthly check-in question
(the programme's own follow-up, which she can stop by replying BERHENTI/STOP or here).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import ValidationFailed
from api.i18n import notification_text
from api.models import Channel, MessagingPreference, User
from api.services import events
from api.services.authz import Actor

log = logging.getLogger("berdaya.messaging")

NOTICE = (
    "2026-12",
    "Berdaya sends you the messages you choose here by WhatsApp or SMS, to your verified "
    "phone number: the events you tick, and once a month a check-in question you can answer "
    "by tapping a button. Your replies are recorded as your monthly check-in and your "
    "facilitator sees whether messages reached you. Reply BERHENTI or STOP to stop at once.",
)
# The events a woman may choose, and the event types each stands for.
EVENTS: dict[str, tuple[str, ...]] = {
    "order.new": ("order.requested",),
    "lead.new": ("lead.created",),
    "mentoring.accepted": ("mentoring_request.accepted",),
    "mentoring.session_reminder": (
        "mentoring_session.scheduled",
        "mentoring_session.rescheduled",
        "group_session.invited",
        "group_session.cancelled",
        "mentoring_session.reminder",
    ),
    "group.invitation": ("business_group_member.invited",),
    "sponsorship.proposed": ("sponsorship.proposed",),
    "sponsorship.disbursed": ("sponsorship.disbursement_recorded",),
    "training.registration_confirmed": ("training_registration.confirmed",),
    "training.promoted": ("training_registration.promoted",),
    "training.certificate_issued": ("training_certificate.issued",),
    "check_in.monthly": (),
}
BY_TYPE = {t: name for name, types in EVENTS.items() for t in types}
# Events that also message the person who caused them: the confirmation of a seat she took is
# her ticket (what, when), kept in WhatsApp where she finds it on the day.
TO_ACTOR = frozenset({"training_registration.confirmed"})
PHONE_CHANNELS = (Channel.WHATSAPP, Channel.SMS)


def list_preferences(session: Session, *, actor: Actor) -> list[MessagingPreference]:
    """Her choice for each phone channel (a channel without one: not chosen yet)."""
    user = actor.require_user()
    found = {
        p.channel: p
        for p in session.scalars(
            select(MessagingPreference).where(MessagingPreference.user_id == user.id)
        )
    }
    return [
        found.get(c) or MessagingPreference(user_id=user.id, channel=c, events=[])
        for c in PHONE_CHANNELS
    ]


def set_preference(
    session: Session, *, actor: Actor, channel: Channel, data: Mapping[str, Any]
) -> MessagingPreference:
    """Opt in (recording the notice version) with the events chosen, or opt out."""
    user = actor.require_user()
    if channel not in PHONE_CHANNELS:
        raise ValidationFailed(errors={"channel": ["Only whatsapp and sms."]})
    chosen = session.scalar(
        select(MessagingPreference).where(
            MessagingPreference.user_id == user.id, MessagingPreference.channel == channel
        )
    )
    if chosen is None:
        chosen = MessagingPreference(user_id=user.id, channel=channel, events=[])
        session.add(chosen)
    now = utcnow()
    if data["opted_in"]:
        if not user.phone:
            raise ValidationFailed(errors={"opted_in": ["Add and verify a phone number first."]})
        chosen.opted_in_at, chosen.opted_out_at, chosen.notice_version = now, None, NOTICE[0]
        chosen.events = sorted(set(data.get("events", list(EVENTS))))
    else:
        chosen.opted_out_at = now
    session.flush()
    events.record(
        session,
        type=f"messaging_preference.{'opted_in' if data['opted_in'] else 'opted_out'}",
        subject=chosen,
        actor=actor,
        data={"channel": channel.value, "events": list(chosen.events)},
    )
    return chosen


def wants(session: Session, user_id: str, name: str) -> Channel | None:
    """The channel on which she chose to get ``name`` (WhatsApp first), if any."""
    usable = {
        p.channel
        for p in session.scalars(
            select(MessagingPreference).where(
                MessagingPreference.user_id == user_id,
                MessagingPreference.opted_in_at.is_not(None),
                MessagingPreference.opted_out_at.is_(None),
            )
        )
        if name in p.events and not (p.channel == Channel.WHATSAPP and p.unreachable_at)
    }
    return next((c for c in PHONE_CHANNELS if c in usable), None)


def has_chosen(session: Session, user_id: str) -> bool:
    """Whether she opted in on any channel (then only what she ticked reaches her)."""
    return (
        session.scalar(
            select(MessagingPreference.id).where(
                MessagingPreference.user_id == user_id,
                MessagingPreference.opted_in_at.is_not(None),
            )
        )
        is not None
    )


def _send_event_messages(session: Session, written: events.Written) -> None:
    """At the commit of a transaction's events (before their lock: nothing here needs their
    ``seq``): a message to each person notified who chose that event, in her language, saying
    what her notification says."""
    from flask import current_app, has_app_context

    from api.state import get_state

    if not has_app_context():
        return
    chosen = [(e, a) for e, a in written if e.type in BY_TYPE]
    if not chosen:
        return
    messenger = get_state(current_app).tools.messenger
    for event, audience in chosen:
        for user_id in sorted(p for p in audience if p.startswith("usr_")):
            if user_id == event.actor_id and event.type not in TO_ACTOR:
                continue
            channel = wants(session, user_id, BY_TYPE[event.type])
            user = session.get(User, user_id) if channel else None
            if channel is None or user is None or not user.phone:
                continue
            _, text = notification_text(event.type, event.data, user.locale)
            messenger.send(
                session,
                template="event.notice",
                channel=channel,
                recipient=user.phone,
                locale=user.locale,
                params={"text": text},
                user_id=user.id,
            )


events.on_written(_send_event_messages)
