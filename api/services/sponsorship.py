"""CSR sponsorship: needs, proposals and their lifecycle, milestones, disbursements, consent,
and the sponsor's impact report.

Sponsorship lifecycle: proposed -> accepted or declined (the alumna) or withdrawn (the partner)
-> active (the partner starts it, or records the first disbursement) -> completed (the partner);
accepted or active ones are cancelled by either side with a reason. Progress of needs and
sponsorships counts confirmed disbursements only.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api import images
from api.db import on_commit, utcnow
from api.errors import Conflict, Forbidden, NotFound, UnsupportedMediaType, ValidationFailed
from api.images import MAX_BYTES
from api.models import (
    Business,
    BusinessStatus,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    GraduateClaim,
    Membership,
    Milestone,
    NeedStatus,
    OffPlatformSale,
    Order,
    OrderStatus,
    Organization,
    OrganizationKind,
    Product,
    Region,
    SponsorConsent,
    Sponsorship,
    SponsorshipStatus,
    SupportNeed,
)
from api.pagination import Page, paginate, sort_options
from api.services import businesses, categories, events, organizations, regions
from api.services import photos as photo_service
from api.services.authz import Actor, authorize
from api.services.lifecycle import Lifecycle, refuse
from api.services.shown import Shown
from api.storage import Storage

NEED_SORTS = {
    **sort_options(SupportNeed, deadline=["deadline"], created_at=["created_at"]),
    **sort_options(SupportNeed, progress=["progress"]),
}
SPONSORSHIP_SORTS = sort_options(Sponsorship, created_at=["created_at"])
DISBURSEMENT_SORTS = sort_options(Disbursement, disbursed_on=["disbursed_on", "created_at"])
PROGRESS = SupportNeed.confirmed_value_idr * 1.0 / SupportNeed.target_value_idr
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


# -- needs ----------------------------------------------------------------------------------


def create_need(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> SupportNeed:
    """The owner states what would help: a target value, or items that add up to it."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    values = dict(data)
    items = values.get("items") or []
    if values.get("target_value_idr") is None:
        if not items:
            raise ValidationFailed(
                errors={"target_value_idr": ["Give a target or a list of items."]}
            )
        values["target_value_idr"] = sum(i["value_idr"] * i.get("quantity", 1) for i in items)
    if values.get("deadline") and values["deadline"] < utcnow().date():
        raise ValidationFailed(errors={"deadline": ["Must not be in the past."]})
    need = SupportNeed(**values, business_id=business.id)
    session.add(need)
    session.flush()
    events.record(
        session,
        type="need.posted",
        subject=need,
        actor=actor,
        data={"business_id": business.id, "kind": need.kind.value},
        public=True,  # needs are listed for everyone
    )
    return need


def get_need(session: Session, *, actor: Actor, need_id: str, action: str = "view") -> SupportNeed:
    need = session.get(SupportNeed, need_id)
    if need is None:
        raise NotFound()
    return authorize(actor, action, need)


def close_need(session: Session, *, actor: Actor, need_id: str) -> SupportNeed:
    need = get_need(session, actor=actor, need_id=need_id, action="edit")
    if need.status == NeedStatus.CLOSED:
        refuse("close", need.status)
    need.status, need.closed_at = NeedStatus.CLOSED, utcnow()
    session.flush()
    events.record(session, type="need.closed", subject=need, actor=actor, public=True)
    return need


def browse_needs(
    session: Session,
    *,
    actor: Actor,
    business: str | None = None,
    kind: Any = None,
    region: str | None = None,
    category: str | None = None,
    verified_graduate: bool | None = None,
    amount_min: int | None = None,
    amount_max: int | None = None,
    deadline_before: dt.date | None = None,
    cohort: str | None = None,
    status: Sequence[NeedStatus] | None = None,
    sort: str = "deadline",
    limit: int,
    cursor: str | None = None,
) -> Page[SupportNeed]:
    """Needs of active businesses, open or partly met unless the owner asks for more."""
    stmt = select(SupportNeed).join(Business, Business.id == SupportNeed.business_id)
    owner_view = False
    if business:
        owned = businesses.get_business(session, actor=actor, business_id=business)
        stmt = stmt.where(SupportNeed.business_id == owned.id)
        owner_view = businesses.shows_private(actor, owned)
    if not owner_view:
        stmt = stmt.where(Business.status == BusinessStatus.ACTIVE, Business.hidden_at.is_(None))
    stmt = stmt.where(
        SupportNeed.status.in_(status or (OPEN_NEEDS if not owner_view else list(NeedStatus)))
    )
    if kind:
        stmt = stmt.where(SupportNeed.kind == kind)
    if region:
        stmt = stmt.where(regions.within(Business.village_code, region))
    if category:
        stmt = stmt.where(Business.category_id.in_(categories.with_descendants(session, category)))
    if verified_graduate is not None:
        stmt = stmt.where(Business.verified_graduate.is_(verified_graduate))
    if amount_min is not None:
        stmt = stmt.where(SupportNeed.target_value_idr >= amount_min)
    if amount_max is not None:
        stmt = stmt.where(SupportNeed.target_value_idr <= amount_max)
    if deadline_before:
        stmt = stmt.where(SupportNeed.deadline < deadline_before)
    if cohort:
        graduates = select(GraduateClaim.user_id).where(
            GraduateClaim.cohort_id == cohort, GraduateClaim.status == ClaimStatus.VERIFIED
        )
        stmt = stmt.where(Business.owner_id.in_(graduates))
    if sort.lstrip("-") == "deadline":
        stmt = stmt.where(SupportNeed.deadline.is_not(None))
    return paginate(
        session,
        stmt,
        model=SupportNeed,
        sort=sort,
        options=NEED_SORTS,
        limit=limit,
        cursor=cursor,
        computed={"progress": PROGRESS},
    )


# -- sponsorships ----------------------------------------------------------------------------


def verified_csr(session: Session, user_id: str) -> Organization | None:
    return organizations.verified_membership(session, user_id, OrganizationKind.CSR_COMPANY)


def is_sponsor(session: Session, actor: Actor, sponsorship: Sponsorship) -> bool:
    return actor.user_id is not None and (
        session.get(Membership, (sponsorship.organization_id, actor.user_id)) is not None
    )


def is_recipient(actor: Actor, sponsorship: Sponsorship) -> bool:
    return actor.user_id is not None and actor.user_id == sponsorship.business.owner_id


def propose(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Sponsorship:
    """A partner of a verified CSR company proposes support to a business or one of its needs."""
    partner = actor.require_user()
    organization = verified_csr(session, partner.id)
    if organization is None:
        raise Forbidden("not_in_verified_csr")
    values = dict(data)
    milestones = values.pop("milestones", [])
    business = session.get(Business, values["business_id"])
    if business is None or business.status != BusinessStatus.ACTIVE:
        raise ValidationFailed(errors={"business_id": ["Not an active business."]})
    need_id = values.get("need_id")
    if need_id:
        need = session.get(SupportNeed, need_id)
        if need is None or need.business_id != business.id or need.status not in OPEN_NEEDS:
            raise ValidationFailed(errors={"need_id": ["Not an open need of this business."]})
    sponsorship = Sponsorship(
        **values,
        organization_id=organization.id,
        proposed_by_id=partner.id,
        milestones=[
            Milestone(position=i, title=m["title"], due_on=m.get("due_on"))
            for i, m in enumerate(milestones)
        ],
    )
    session.add(sponsorship)
    session.flush()
    _event(session, sponsorship, "proposed", actor)
    return sponsorship


def get_sponsorship(session: Session, *, actor: Actor, sponsorship_id: str) -> Sponsorship:
    """For the sponsoring organisation's members, the business owner and admins."""
    sponsorship = session.get(Sponsorship, sponsorship_id)
    if sponsorship is None:
        raise NotFound()
    return authorize(actor, "view", sponsorship)


def shown(session: Session, actor: Actor, sponsorship: Sponsorship) -> Shown[Sponsorship]:
    """The sponsorship as the caller sees it, with what she may do with it now."""
    return Shown(sponsorship, allowed_actions=allowed_actions(session, actor, sponsorship))


def allowed_actions(session: Session, actor: Actor, sponsorship: Sponsorship) -> list[str]:
    actions: list[str] = []
    if is_recipient(actor, sponsorship):
        actions += RECIPIENT.allowed(sponsorship.status)
    if is_sponsor(session, actor, sponsorship):
        actions += [a for a in SPONSOR.allowed(sponsorship.status) if a not in actions]
    return actions


def act(
    session: Session, *, actor: Actor, sponsorship_id: str, action: str, reason: str | None = None
) -> Sponsorship:
    sponsorship = get_sponsorship(session, actor=actor, sponsorship_id=sponsorship_id)
    if is_recipient(actor, sponsorship) and action in RECIPIENT.actions:
        lifecycle = RECIPIENT
    elif is_sponsor(session, actor, sponsorship) and action in SPONSOR.actions:
        lifecycle = SPONSOR
    else:
        raise Forbidden("not_your_action", params={"action": action})
    if action == "cancel" and not reason:
        raise ValidationFailed(errors={"reason": ["Say why you cancel."]})
    lifecycle.apply(sponsorship, action)
    now = utcnow()
    if action == "accept":
        sponsorship.accepted_at = now
    elif action == "start":
        sponsorship.activated_at = now
    elif action in ("decline", "withdraw", "cancel", "complete"):
        sponsorship.closed_at, sponsorship.reason = now, reason
    session.flush()
    _event(session, sponsorship, sponsorship.status.value, actor, reason=reason)
    return sponsorship


def list_sponsorships(
    session: Session,
    *,
    actor: Actor,
    side: str = "recipient",
    status: Sequence[SponsorshipStatus] | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "-created_at",
) -> Page[Sponsorship]:
    """As a sponsor (your organisations'), or as a recipient (to your businesses)."""
    user = actor.require_user()
    stmt = select(Sponsorship)
    if side == "sponsor":
        mine = select(Membership.organization_id).where(Membership.user_id == user.id)
        stmt = stmt.where(Sponsorship.organization_id.in_(mine))
    else:
        owned = select(Business.id).where(Business.owner_id == user.id)
        stmt = stmt.where(Sponsorship.business_id.in_(owned))
    if status:
        stmt = stmt.where(Sponsorship.status.in_(status))
    return paginate(
        session,
        stmt,
        model=Sponsorship,
        sort=sort,
        options=SPONSORSHIP_SORTS,
        limit=limit,
        cursor=cursor,
    )


def mark_milestone(
    session: Session, *, actor: Actor, sponsorship_id: str, milestone_id: str
) -> Sponsorship:
    """Either party marks a milestone met (once)."""
    sponsorship = get_sponsorship(session, actor=actor, sponsorship_id=sponsorship_id)
    if not (is_recipient(actor, sponsorship) or is_sponsor(session, actor, sponsorship)):
        raise Forbidden()
    milestone = next((m for m in sponsorship.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound()
    if sponsorship.status not in (*RUNNING, S.COMPLETED):
        raise Conflict("sponsorship_not_running", params={"status": sponsorship.status.value})
    if milestone.met_at is not None:
        raise Conflict("milestone_already_met")
    milestone.met_at, milestone.met_by_id = utcnow(), actor.user_id
    session.flush()
    _event(session, sponsorship, "milestone_met", actor, milestone=milestone.title)
    return sponsorship


# -- disbursements ---------------------------------------------------------------------------


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
    if data.startswith(b"%PDF-"):
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


# -- consent ---------------------------------------------------------------------------------


def active_consent(
    session: Session, business_id: str, organization_id: str
) -> SponsorConsent | None:
    return session.scalar(
        select(SponsorConsent).where(
            SponsorConsent.business_id == business_id,
            SponsorConsent.organization_id == organization_id,
            SponsorConsent.revoked_at.is_(None),
        )
    )


def _consenting_owner(session: Session, actor: Actor, business_id: str) -> Business:
    """Her business, for a consent only she gives or revokes: admins in scope, who may edit
    her business, may not decide who sees her figures for her."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    if business.owner_id != actor.user_id:
        raise Forbidden("not_your_business")
    return business


def grant_consent(
    session: Session, *, actor: Actor, business_id: str, organization_id: str
) -> SponsorConsent:
    business = _consenting_owner(session, actor, business_id)
    if session.get(Organization, organization_id) is None:
        raise ValidationFailed(errors={"organization_id": ["Unknown organisation."]})
    if active_consent(session, business.id, organization_id):
        raise Conflict("consent_already_granted")
    consent = SponsorConsent(
        business_id=business.id, organization_id=organization_id, granted_by_id=actor.user_id
    )
    session.add(consent)
    session.flush()
    events.record(
        session,
        type="consent.granted",
        subject=consent,
        actor=actor,
        data={"business_id": business.id, "organization_id": organization_id},
        audience=(organization_id,),
    )
    return consent


def revoke_consent(
    session: Session, *, actor: Actor, business_id: str, organization_id: str
) -> None:
    business = _consenting_owner(session, actor, business_id)
    consent = active_consent(session, business.id, organization_id)
    if consent is None:
        raise NotFound()
    consent.revoked_at = utcnow()
    session.flush()
    events.record(
        session,
        type="consent.revoked",
        subject=consent,
        actor=actor,
        data={"business_id": business.id, "organization_id": organization_id},
        audience=(organization_id,),
    )


def list_consents(session: Session, *, actor: Actor, business_id: str) -> list[SponsorConsent]:
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    return list(
        session.scalars(
            select(SponsorConsent)
            .where(SponsorConsent.business_id == business.id)
            .order_by(SponsorConsent.granted_at.desc())
        )
    )


# -- impact report ---------------------------------------------------------------------------

WINDOW = dt.timedelta(days=180)


@dataclass
class BusinessImpact:
    business_id: str
    business_name: str
    regency: dict[str, str]  # a place: {code, name}
    value_received_idr: int
    consented: bool
    first_disbursement_on: dt.date | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    activity_status: str | None = None


@dataclass
class ImpactReport:
    organization_id: str
    organization_name: str
    year: int
    sponsorships: dict[str, int]
    businesses_reached: int
    women_reached: int
    value_disbursed_idr: int
    by_kind: dict[str, int]
    by_region: list[dict[str, Any]]  # [{region: {code, name}, value_idr}], largest first
    milestones_met: int
    businesses: list[BusinessImpact] = field(default_factory=list)


def impact_report(
    session: Session, *, actor: Actor, organization_id: str, year: int
) -> ImpactReport:
    """What the organisation's sponsorships did in a year; figures of a business only with its
    owner's consent (checked now: a revoked consent hides them at once)."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    authorize(actor, "view_members", organization)
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    sponsorships = session.scalars(
        select(Sponsorship).where(Sponsorship.organization_id == organization.id)
    ).all()
    by_status: dict[str, int] = defaultdict(int)
    for s in sponsorships:
        by_status[s.status.value] += 1
    rows = session.execute(
        select(Disbursement, Sponsorship)
        .join(Sponsorship, Sponsorship.id == Disbursement.sponsorship_id)
        .where(
            Sponsorship.organization_id == organization.id,
            Disbursement.status == DisbursementStatus.CONFIRMED,
            Disbursement.disbursed_on >= start,
            Disbursement.disbursed_on < end,
        )
        .order_by(Disbursement.disbursed_on)
    ).all()
    by_kind: dict[str, int] = defaultdict(int)
    by_region: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    first: dict[str, dt.date] = {}
    for disbursement, sponsorship in rows:
        by_kind[sponsorship.kind.value] += disbursement.value_idr
        regency = sponsorship.business.regency_code
        by_region[regency] += disbursement.value_idr
        received[sponsorship.business_id] += disbursement.value_idr
        first.setdefault(sponsorship.business_id, disbursement.disbursed_on)
    region_names: dict[str, str] = {
        code: name
        for code, name in session.execute(
            select(Region.code, Region.name).where(Region.code.in_(list(by_region)))
        )
    }
    milestones = session.scalar(
        select(func.count())
        .select_from(Milestone)
        .join(Sponsorship, Sponsorship.id == Milestone.sponsorship_id)
        .where(
            Sponsorship.organization_id == organization.id,
            Milestone.met_at >= dt.datetime.combine(start, dt.time(), dt.UTC),
            Milestone.met_at < dt.datetime.combine(end, dt.time(), dt.UTC),
        )
    )
    reached = [session.get(Business, b) for b in received]
    report = ImpactReport(
        organization.id,
        organization.name,
        year,
        dict(by_status),
        len(reached),
        len({b.owner_id for b in reached if b is not None}),
        sum(received.values()),
        dict(by_kind),
        [
            {"region": {"code": code, "name": region_names.get(code, "")}, "value_idr": value}
            for code, value in sorted(by_region.items(), key=lambda item: (-item[1], item[0]))
        ],
        int(milestones or 0),
    )
    consenting = set(
        session.scalars(
            select(SponsorConsent.business_id).where(
                SponsorConsent.organization_id == organization.id,
                SponsorConsent.business_id.in_(list(received)),
                SponsorConsent.revoked_at.is_(None),
            )
        )
    )
    for business in reached:
        if business is None:
            continue
        consented = business.id in consenting
        item = BusinessImpact(
            business.id,
            business.name,
            {
                "code": business.regency_code,
                "name": region_names.get(business.regency_code, business.regency_code),
            },
            received[business.id],
            consented,
            first[business.id] if consented else None,
        )
        if consented:
            pivot = dt.datetime.combine(first[business.id], dt.time(), dt.UTC)
            item.before = _figures(session, business, pivot - WINDOW, pivot)
            item.after = _figures(session, business, pivot, min(pivot + WINDOW, utcnow()))
            item.activity_status = business.activity_status
        report.businesses.append(item)
    return report


def _figures(
    session: Session, business: Business, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Products listed at the end, completed orders and all sales within [start, end)."""
    listed = session.scalar(
        select(func.count()).where(
            Product.business_id == business.id,
            Product.published_at.is_not(None),
            Product.published_at < end,
        )
    )
    orders, on_platform = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.total_idr), 0)).where(
            Order.business_id == business.id,
            Order.status == OrderStatus.COMPLETED,
            Order.completed_at >= start,
            Order.completed_at < end,
        )
    ).one()
    off_platform = session.scalar(
        select(func.coalesce(func.sum(OffPlatformSale.amount_idr), 0)).where(
            OffPlatformSale.business_id == business.id,
            OffPlatformSale.sold_on >= start.date(),
            OffPlatformSale.sold_on < end.date(),
        )
    )
    return {
        "from_": start.date().isoformat(),
        "to": end.date().isoformat(),
        "products_listed": int(listed or 0),
        "orders": int(orders or 0),
        "sales_idr": int(on_platform or 0) + int(off_platform or 0),
    }


def report_csv_rows(report: ImpactReport) -> list[list[Any]]:
    header = [
        "business_id",
        "business",
        "regency",
        "value_received_idr",
        "consented",
        "first_disbursement_on",
        "products_before",
        "products_after",
        "orders_before",
        "orders_after",
        "sales_before_idr",
        "sales_after_idr",
        "activity_status",
    ]
    rows: list[list[Any]] = [header]
    for b in report.businesses:
        before, after = b.before or {}, b.after or {}
        rows.append(
            [
                b.business_id,
                b.business_name,
                b.regency["name"],
                b.value_received_idr,
                "yes" if b.consented else "no",
                b.first_disbursement_on or "",
                before.get("products_listed", ""),
                after.get("products_listed", ""),
                before.get("orders", ""),
                after.get("orders", ""),
                before.get("sales_idr", ""),
                after.get("sales_idr", ""),
                b.activity_status or "",
            ]
        )
    return rows


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
        data={"status": sponsorship.status.value, "business_id": sponsorship.business_id, **data},
        notify=(sponsorship.business.owner_id, *members),
        audience=(sponsorship.organization_id,),
    )
