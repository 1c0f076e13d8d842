"""Reaching her where she is: the monthly check-in by reply, and the facilitator's caseload.

Each month ``housekeeping`` asks every active graduate's business by message ("Masih jualan
bulan ini?" Ya / Tidak / Butuh bantuan): by WhatsApp, or by SMS with numbered answers for a
number WhatsApp cannot reach or when SMS is the provider. "Ya" asks for a revenue band; the
answers become the month's check-in through the same rules as ``POST .../check-ins`` (one per
business per month, a second updates). No answer REMIND_DAYS after the question brings a
reminder; none UNANSWERED_DAYS after the reminder puts the business on her facilitator's
caseload, as "Butuh bantuan" does at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.dates import add_months, this_month
from api.db import utcnow
from api.models import (
    Business,
    BusinessStatus,
    Channel,
    CheckIn,
    CheckInPrompt,
    ClaimStatus,
    GraduateClaim,
    InboundMessage,
    RevenueBand,
    User,
)
from api.services import program
from api.services.authz import Actor
from api.services.messaging import preferences, rules

log = logging.getLogger("berdaya.reach")
REMIND_DAYS = 3
UNANSWERED_DAYS = 3
OPEN_STAGES = ("asked", "reminded", "band_asked")
# Stages that put a business on the caseload.
CASELOAD_STAGES = ("unanswered", "help")


def channel_for(session: Session, user: User) -> Channel:
    """WhatsApp, unless WhatsApp cannot reach her number or she opted out of it."""
    chosen = rules.preference(session, user.id, Channel.WHATSAPP)
    if chosen is not None and (chosen.unreachable_at or chosen.opted_out_at):
        return Channel.SMS
    return Channel.WHATSAPP


def _ask(session: Session, messenger: Any, user: User, business: Business, template: str) -> None:
    messenger.send(
        session,
        template=template,
        channel=channel_for(session, user),
        recipient=user.phone or "",
        locale=user.locale,
        params={"name": user.name.split(" ")[0], "business": business.name},
        user_id=user.id,
        business_id=business.id,
    )


def send_check_ins(
    session: Session, messenger: Any, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Ask this month's question, remind, and mark the unanswered; safe to run any time."""
    now = now or utcnow()
    month = this_month()
    counts = {"asked": 0, "reminded": 0, "unanswered": 0}
    graduates = (
        select(GraduateClaim.user_id)
        .where(GraduateClaim.status == ClaimStatus.VERIFIED)
        .scalar_subquery()
    )
    asked = select(CheckInPrompt.business_id).where(CheckInPrompt.month == month)
    checked_in = select(CheckIn.business_id).where(CheckIn.month == month)
    rows = session.execute(
        select(Business, User)
        .join(User, User.id == Business.owner_id)
        .where(
            Business.owner_id.in_(graduates),
            Business.status != BusinessStatus.CLOSED,
            User.phone.is_not(None),
            User.erased_at.is_(None),
            User.suspended_at.is_(None),
            Business.id.not_in(asked),
            Business.id.not_in(checked_in),
        )
        .order_by(Business.id)
    ).all()
    for business, user in rows:
        if preferences.has_chosen(session, user.id) and not preferences.wants(
            session, user.id, "check_in.monthly"
        ):
            continue  # she chose her messages, and not this one
        session.add(CheckInPrompt(business_id=business.id, user_id=user.id, month=month))
        _ask(session, messenger, user, business, "checkin.ask")
        counts["asked"] += 1
    for prompt in session.scalars(
        select(CheckInPrompt).where(
            CheckInPrompt.stage == "asked",
            CheckInPrompt.asked_at < now - dt.timedelta(days=REMIND_DAYS),
        )
    ):
        owned = session.get(Business, prompt.business_id)
        owner = session.get(User, prompt.user_id)
        if owned is None or owner is None or not owner.phone or owner.suspended_at is not None:
            continue  # (suspended since she was asked: not reminded, as she is not asked)
        prompt.stage, prompt.reminded_at = "reminded", now
        _ask(session, messenger, owner, owned, "checkin.remind")
        counts["reminded"] += 1
    for prompt in session.scalars(
        select(CheckInPrompt).where(
            CheckInPrompt.stage.in_(("reminded", "band_asked")),
            CheckInPrompt.reminded_at < now - dt.timedelta(days=UNANSWERED_DAYS),
        )
    ):
        prompt.stage = "unanswered"
        counts["unanswered"] += 1
    session.flush()
    return counts


def prune_inbound(session: Session, *, older_than: dt.datetime) -> int:
    """Delete replies and status callbacks older than the retention (worked on or not)."""
    result = session.execute(delete(InboundMessage).where(InboundMessage.received_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def _open_prompt(session: Session, user_id: str) -> CheckInPrompt | None:
    """Her latest question, of this month or the last (a late tap still counts; an answer to a
    question of long ago does not rewrite that month)."""
    return session.scalar(
        select(CheckInPrompt)
        .where(
            CheckInPrompt.user_id == user_id,
            CheckInPrompt.month >= add_months(this_month(), -1),
        )
        .order_by(CheckInPrompt.asked_at.desc())
        .limit(1)
    )


def answer(
    session: Session, messenger: Any, user_id: str, payload: str, *, channel: Channel
) -> str:
    """Her answer (a button's payload) to the latest question; what became of it. A suspended
    account's answer changes nothing (a question sent before the suspension), as she could
    not sign in to answer it either."""
    prompt = _open_prompt(session, user_id)
    user = session.get(User, user_id)
    if prompt is None or user is None:
        return "no_question"
    if user.suspended_at is not None:
        return "suspended"
    business = session.get(Business, prompt.business_id)
    if business is None:
        return "no_question"
    kind, _, value = payload.partition(":")
    now = utcnow()
    prompt.answered_at = now
    data: dict[str, Any] | None = None
    if payload == "checkin:yes":
        prompt.stage, prompt.answer = "band_asked", "yes"
        _ask(session, messenger, user, business, "checkin.band")
    elif payload == "checkin:no":
        prompt.stage, prompt.answer = "answered", "no"
        data = {"month": prompt.month, "trading": False}
    elif payload == "checkin:help":
        prompt.stage, prompt.answer = "help", "help"
        _ask(session, messenger, user, business, "checkin.help")
    elif kind == "band" and value in {b.value for b in RevenueBand}:
        prompt.stage, prompt.answer = "answered", "yes"
        data = {"month": prompt.month, "trading": True, "revenue_band": RevenueBand(value)}
    else:
        return "not_understood"
    if data is not None:
        check_in, _ = program.record_check_in(
            session, actor=Actor(user=user), business_id=business.id, data=data
        )
        prompt.check_in_id = check_in.id
        _ask(session, messenger, user, business, "checkin.thanks")
    session.flush()
    return f"{kind}_{value}"
