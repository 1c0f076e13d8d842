"""What the parts of sponsorship share: limits, sort options, status names, and how its
events are recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, func, literal, select
from sqlalchemy.orm import Session

import api.services.sponsorship.targets as targets
from api.images import MAX_BYTES
from api.models import (
    Disbursement,
    Membership,
    NeedStatus,
    Sponsorship,
    SponsorshipStatus,
    SupportNeed,
)
from api.pagination import sort_options
from api.services import events
from api.services.authz import Actor
from api.services.lifecycle import Lifecycle

NEED_SORTS = {
    **sort_options(SupportNeed, deadline=["deadline"], created_at=["created_at"]),
    **sort_options(SupportNeed, progress=["progress"]),
}
SPONSORSHIP_SORTS = sort_options(Sponsorship, created_at=["created_at"])
DISBURSEMENT_SORTS = sort_options(Disbursement, disbursed_on=["disbursed_on", "created_at"])
PROGRESS = SupportNeed.confirmed_value_idr * 1.0 / SupportNeed.target_value_idr
# The deadline order: a need without a deadline (every training event's seats, many a business's
# need) comes after every dated one, and first in ``-deadline``. Pages compare a value, never
# NULL, so the order reads a far date in its place; leaving such needs out of the order, as it
# once did, hid them from the default list.
NO_DEADLINE = dt.date(9999, 12, 31)
DEADLINE = func.coalesce(SupportNeed.deadline, literal(NO_DEADLINE, Date))
OPEN_NEEDS = (NeedStatus.OPEN, NeedStatus.PARTLY_MET)

S = SponsorshipStatus
RECIPIENT: Lifecycle[SponsorshipStatus] = Lifecycle(
    {
        "accept": (frozenset({S.PROPOSED}), S.ACCEPTED),
        "decline": (frozenset({S.PROPOSED}), S.DECLINED),
        "cancel": (frozenset({S.ACCEPTED, S.ACTIVE}), S.CANCELLED),
    }
)
SPONSOR: Lifecycle[SponsorshipStatus] = Lifecycle(
    {
        "withdraw": (frozenset({S.PROPOSED}), S.WITHDRAWN),
        "start": (frozenset({S.ACCEPTED}), S.ACTIVE),
        "complete": (frozenset({S.ACTIVE}), S.COMPLETED),
        "cancel": (frozenset({S.ACCEPTED, S.ACTIVE}), S.CANCELLED),
    }
)
RUNNING = frozenset({S.ACCEPTED, S.ACTIVE})
EVIDENCE_PDF_MAX = MAX_BYTES


def _event(
    session: Session, sponsorship: Sponsorship, what: str, actor: Actor, **data: Any
) -> None:
    members = session.scalars(
        select(Membership.user_id).where(Membership.organization_id == sponsorship.organization_id)
    ).all()
    events.record(
        session,
        type=f"sponsorship.{what}",
        subject=sponsorship,
        actor=actor,
        data={
            "status": sponsorship.status.value,
            "business_id": sponsorship.business_id,
            "target_type": sponsorship.target_type.value,
            "target_id": sponsorship.target_id,
            **data,
        },
        notify=(*targets.recipients(session, sponsorship), *members),
        audience=(sponsorship.organization_id,),
    )
