"""Disbursements of a sponsorship: recorded by the partner with their evidence, confirmed or
disputed by the alumna."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api import documents, images
from api.db import on_commit, utcnow
from api.errors import Conflict, Forbidden, NotFound, UnsupportedMediaType, ValidationFailed
from api.models import (
    Disbursement,
    DisbursementStatus,
    NeedStatus,
    Sponsorship,
    SupportNeed,
)
from api.pagination import Page, paginate
from api.services import events
from api.services import photos as photo_service
from api.services.authz import Actor
from api.services.sponsorship.common import (
    DISBURSEMENT_SORTS,
    EVIDENCE_PDF_MAX,
    OPEN_NEEDS,
    RUNNING,
    SPONSOR,
    S,
    _event,
)
from api.services.sponsorship.sponsorships import (
    both_sides,
    get_sponsorship,
    is_recipient,
    is_sponsor,
    refuse_closed_need,
)
from api.storage import Storage


def record_disbursement(
    session: Session, *, actor: Actor, sponsorship_id: str, data: Mapping[str, Any]
) -> Disbursement:
    """The sponsor records a transfer or delivery; the first one starts an accepted sponsorship."""
    sponsorship = get_sponsorship(session, actor=actor, sponsorship_id=sponsorship_id)
    if not is_sponsor(session, actor, sponsorship):
        raise Forbidden("not_your_action", params={"action": "disburse"})
    if sponsorship.status not in RUNNING:
        raise Conflict("sponsorship_not_running", params={"status": sponsorship.status.value})
    if data["disbursed_on"] > utcnow().date() + dt.timedelta(days=1):
        raise ValidationFailed(errors={"disbursed_on": ["Must not be in the future."]})
    session.execute(
        select(Sponsorship.id).where(Sponsorship.id == sponsorship.id).with_for_update()
    )  # one disbursement at a time per sponsorship, so the remaining value holds
    counted = session.scalar(
        select(func.coalesce(func.sum(Disbursement.value_idr), 0)).where(
            Disbursement.sponsorship_id == sponsorship.id,
            Disbursement.status != DisbursementStatus.DISPUTED,
        )
    )
    remaining = sponsorship.value_idr - int(counted or 0)
    if data["value_idr"] > remaining:
        raise ValidationFailed(
            errors={"value_idr": [f"More than the {remaining} rupiah left of this sponsorship."]}
        )
    if sponsorship.status == S.ACCEPTED:
        refuse_closed_need(session, sponsorship)
        SPONSOR.apply(sponsorship, "start")
        sponsorship.activated_at = utcnow()
    disbursement = Disbursement(**data, sponsorship_id=sponsorship.id, recorded_by_id=actor.user_id)
    session.add(disbursement)
    session.flush()
    _event(
        session,
        sponsorship,
        "disbursement_recorded",
        actor,
        disbursement_id=disbursement.id,
        value_idr=disbursement.value_idr,
    )
    return disbursement


def get_disbursement(
    session: Session, actor: Actor, sponsorship_id: str, disbursement_id: str
) -> tuple[Sponsorship, Disbursement]:
    sponsorship = get_sponsorship(session, actor=actor, sponsorship_id=sponsorship_id)
    disbursement = session.get(Disbursement, disbursement_id)
    if disbursement is None or disbursement.sponsorship_id != sponsorship.id:
        raise NotFound()
    return sponsorship, disbursement


def list_disbursements(
    session: Session, *, actor: Actor, sponsorship_id: str, limit: int, cursor: str | None = None
) -> Page[Disbursement]:
    sponsorship = get_sponsorship(session, actor=actor, sponsorship_id=sponsorship_id)
    stmt = select(Disbursement).where(Disbursement.sponsorship_id == sponsorship.id)
    return paginate(
        session,
        stmt,
        model=Disbursement,
        sort="disbursed_on",
        options=DISBURSEMENT_SORTS,
        limit=limit,
        cursor=cursor,
    )


def confirm_disbursement(
    session: Session, *, actor: Actor, sponsorship_id: str, disbursement_id: str
) -> Disbursement:
    """The alumna confirms receipt: now it counts towards the sponsorship and the need."""
    sponsorship, disbursement = get_disbursement(session, actor, sponsorship_id, disbursement_id)
    if not is_recipient(actor, sponsorship):
        # Whoever got this far sees the disbursement (the sponsor, an admin): 403, not 404.
        raise Forbidden("not_your_action", params={"action": "confirm"})
    if both_sides(session, actor, sponsorship):
        raise Conflict("self_sponsorship")  # nobody confirms her own organisation's payment
    changed = session.execute(
        update(Disbursement)
        .where(
            Disbursement.id == disbursement.id, Disbursement.status == DisbursementStatus.RECORDED
        )
        .values(
            status=DisbursementStatus.CONFIRMED,
            confirmed_at=utcnow(),
            version=Disbursement.version + 1,
        )
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("disbursement_not_pending", params={"status": disbursement.status.value})
    value = disbursement.value_idr
    session.execute(
        update(Sponsorship)
        .where(Sponsorship.id == sponsorship.id)
        .values(confirmed_value_idr=Sponsorship.confirmed_value_idr + value)
    )
    if sponsorship.need_id:
        session.execute(
            update(SupportNeed)
            .where(SupportNeed.id == sponsorship.need_id)
            .values(confirmed_value_idr=SupportNeed.confirmed_value_idr + value)
        )
        need = session.get(SupportNeed, sponsorship.need_id)
        if need is not None and need.status in OPEN_NEEDS:
            session.refresh(need)
            before = need.status
            need.status = (
                NeedStatus.MET
                if need.confirmed_value_idr >= need.target_value_idr
                else NeedStatus.PARTLY_MET
            )
            if need.status != before:
                session.flush()
                events.record(
                    session,
                    type=f"need.{need.status.value}",
                    subject=need,
                    actor=actor,
                    data={"business_id": need.business_id, "progress": need.progress},
                    public=True,
                )
    session.flush()
    session.refresh(disbursement)
    _event(
        session,
        sponsorship,
        "disbursement_confirmed",
        actor,
        disbursement_id=disbursement.id,
        value_idr=value,
    )
    return disbursement


def dispute_disbursement(
    session: Session, *, actor: Actor, sponsorship_id: str, disbursement_id: str, reason: str
) -> Disbursement:
    """The alumna says she did not receive it (as recorded); it does not count."""
    sponsorship, disbursement = get_disbursement(session, actor, sponsorship_id, disbursement_id)
    if not is_recipient(actor, sponsorship):
        raise Forbidden("not_your_action", params={"action": "dispute"})
    if disbursement.status != DisbursementStatus.RECORDED:
        raise Conflict("disbursement_not_pending", params={"status": disbursement.status.value})
    disbursement.status, disbursement.dispute_reason = DisbursementStatus.DISPUTED, reason
    session.flush()
    _event(
        session,
        sponsorship,
        "disbursement_disputed",
        actor,
        disbursement_id=disbursement.id,
        reason=reason,
    )
    return disbursement


def attach_evidence(
    session: Session,
    *,
    actor: Actor,
    storage: Storage,
    sponsorship_id: str,
    disbursement_id: str,
    data: bytes,
) -> Disbursement:
    """A photo of the receipt (re-encoded, metadata dropped) or a PDF, kept in the storage's
    private side (no public URL: ``GET .../evidence`` serves it to the parties). The files it
    replaces are deleted once the change commits."""
    sponsorship, disbursement = get_disbursement(session, actor, sponsorship_id, disbursement_id)
    if not is_sponsor(session, actor, sponsorship):
        raise Forbidden("not_your_action", params={"action": "evidence"})
    storage = storage.private
    if disbursement.evidence_token is not None:
        replaced = evidence_keys(disbursement.id, disbursement.evidence_token)
        on_commit(session, lambda: photo_service.delete_files(storage, replaced))
    token = secrets.token_hex(8)
    prefix = evidence_prefix(disbursement.id, token)
    if documents.is_pdf(data):
        if len(data) > EVIDENCE_PDF_MAX:
            raise ValidationFailed(errors={"file": ["At most 5 MB."]})
        key = f"{prefix}/evidence.pdf"
        photo_service.put_file(session, storage, key, data, "application/pdf")
        disbursement.evidence_type = "application/pdf"
    else:
        try:
            photo_service.store_image(session, storage, prefix, data)
        except UnsupportedMediaType:
            raise UnsupportedMediaType("unsupported_evidence") from None
        disbursement.evidence_type = "image/webp"
    disbursement.evidence_token = token
    session.flush()
    return disbursement


def evidence_prefix(disbursement_id: str, token: str) -> str:
    return f"evidence/{disbursement_id}/{token}"


def evidence_keys(disbursement_id: str, token: str) -> list[str]:
    """Every file an evidence upload may have written (a PDF, or an image's sizes)."""
    prefix = evidence_prefix(disbursement_id, token)
    return [f"{prefix}/evidence.pdf"] + [images.image_key(prefix, size) for size in images.SIZES]


def evidence_key(disbursement: Disbursement) -> str:
    if disbursement.evidence_token is None:
        raise NotFound()
    prefix = evidence_prefix(disbursement.id, disbursement.evidence_token)
    if disbursement.evidence_type == "application/pdf":
        return f"{prefix}/evidence.pdf"
    return images.image_key(prefix, 1080)
