"""What the parts of mentoring share: limits, sort options, status names, topics, and how
its events are recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from api.models import (
    MentoringOffer,
    MentoringRequest,
    MentoringSession,
    RequestStatus,
    Topic,
)
from api.pagination import sort_options
from api.services import events
from api.services.authz import Actor
from api.services.lifecycle import Lifecycle

TOPICS: dict[Topic, tuple[str, str]] = {
    Topic.ENTREPRENEURSHIP: ("Kewirausahaan", "Entrepreneurship"),
    Topic.BOOKKEEPING: (
        "Pembukuan dan pengelolaan keuangan",
        "Bookkeeping and financial management",
    ),
    Topic.DIGITAL_MARKETING: ("Pemasaran digital", "Digital marketing"),
    Topic.PRODUCT_PHOTOGRAPHY: ("Foto produk", "Product photography"),
    Topic.PACKAGING_BRANDING: ("Kemasan dan merek", "Packaging and branding"),
    Topic.PRICING_COSTING: ("Penetapan harga dan biaya", "Pricing and costing"),
    Topic.LICENSING: ("Perizinan (NIB, P-IRT, halal)", "Licensing (NIB, P-IRT, halal)"),
    Topic.ONLINE_MARKETPLACES: ("Marketplace daring", "Online marketplaces"),
    Topic.PRODUCTION_QUALITY: ("Produksi dan mutu", "Production and quality"),
    Topic.LEGAL_BASICS: ("Dasar hukum usaha", "Legal basics"),
}
MAX_OPEN_REQUESTS = 3
EXPIRE_AFTER = dt.timedelta(days=30)
CONFIRM_GRACE = dt.timedelta(days=14)
OFFER_SORTS = sort_options(MentoringOffer, created_at=["created_at"])
REQUEST_SORTS = sort_options(MentoringRequest, created_at=["created_at"])
SESSION_SORTS = sort_options(MentoringSession, starts_at=["starts_at"])

OPEN, ACCEPTED, IN_PROGRESS, COMPLETED, CANCELLED, EXPIRED = (
    RequestStatus.OPEN,
    RequestStatus.ACCEPTED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.COMPLETED,
    RequestStatus.CANCELLED,
    RequestStatus.EXPIRED,
)
MENTOR: Lifecycle[RequestStatus] = Lifecycle(
    {
        "accept": (frozenset({OPEN}), ACCEPTED),
        "decline": (frozenset({OPEN, ACCEPTED}), OPEN),
        "confirm": (frozenset({IN_PROGRESS}), IN_PROGRESS),
    }
)
ALUMNA: Lifecycle[RequestStatus] = Lifecycle(
    {
        "cancel": (frozenset({OPEN, ACCEPTED, IN_PROGRESS}), CANCELLED),
        "confirm": (frozenset({IN_PROGRESS}), IN_PROGRESS),
    }
)
ACTIVE = frozenset({ACCEPTED, IN_PROGRESS})


def topic_list() -> list[dict[str, str]]:
    return [{"code": t, "name_id": n[0], "name_en": n[1]} for t, n in TOPICS.items()]


def _event(
    session: Session,
    type: str,
    subject: Any,
    actor: Actor | None,
    notify: Sequence[str | None] | None = None,
    **data: Any,
) -> None:
    if notify is None and isinstance(subject, MentoringRequest):
        notify = (subject.alumna_id, subject.mentor_id)
    status = getattr(subject, "status", None)
    events.record(
        session,
        type=type,
        subject=subject,
        actor=actor,
        data={"status": status.value if status is not None else None, **data},
        notify=notify or (),
        audience=(getattr(subject, "organization_id", None),),
        public=isinstance(subject, MentoringOffer),  # offers are listed for everyone
    )


def _session_event(
    session: Session,
    what: str,
    request: MentoringRequest,
    meeting: MentoringSession,
    actor: Actor,
    **data: Any,
) -> None:
    events.record(
        session,
        type=f"mentoring_session.{what}",
        subject=meeting,
        actor=actor,
        data={"request_id": request.id, "starts_at": meeting.starts_at.isoformat(), **data},
        notify=(request.alumna_id, request.mentor_id),
        audience=(request.organization_id,),
    )
