"""Sponsorships: proposals and their lifecycle, milestones, and what each caller may see of
one and do with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import api.services.sponsorship.targets as targets
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    OFFICERS,
    Business,
    Cohort,
    GroupMember,
    GroupMemberStatus,
    MemberRole,
    Membership,
    Milestone,
    NeedStatus,
    Organization,
    OrganizationKind,
    Sponsorship,
    SponsorshipStatus,
    SupportNeed,
    TargetType,
    TrainingEvent,
    TrainingEventStatus,
)
from api.pagination import Page, paginate
from api.services import organizations
from api.services.authz import Actor, authorize
from api.services.shown import Shown
from api.services.sponsorship.common import (
    OPEN_NEEDS,
    RECIPIENT,
    RUNNING,
    SPONSOR,
    SPONSORSHIP_SORTS,
    S,
    _event,
)


def verified_csr(session: Session, user_id: str) -> Organization | None:
    return organizations.verified_membership(session, user_id, OrganizationKind.CSR_COMPANY)


def is_sponsor(session: Session, actor: Actor, sponsorship: Sponsorship) -> bool:
    return actor.user_id is not None and (
        session.get(Membership, (sponsorship.organization_id, actor.user_id)) is not None
    )


def is_recipient(actor: Actor, sponsorship: Sponsorship) -> bool:
    return targets.is_recipient(actor, sponsorship)


def both_sides(session: Session, actor: Actor, sponsorship: Sponsorship) -> bool:
    """She would decide for the recipient while belonging to the sponsoring organisation."""
    return is_recipient(actor, sponsorship) and is_sponsor(session, actor, sponsorship)


def _refuse_self_sponsorship(
    session: Session, actor: Actor, organization: Organization, sponsorship: Sponsorship
) -> None:
    """A sponsorship's sponsor may not be its recipient side: the organisation running the
    event, or an organisation one of whose members decides for the target (owns the business,
    leads the group, facilitates the cohort, organises the event), or the proposer herself."""
    event = session.get(TrainingEvent, sponsorship.event_id) if sponsorship.event_id else None
    deciders = set(targets.recipients(session, sponsorship))
    members = set(
        session.scalars(
            select(Membership.user_id).where(Membership.organization_id == organization.id)
        )
    )
    if (
        (event is not None and event.organization_id == organization.id)
        or deciders & members
        or is_recipient(actor, sponsorship)
    ):
        raise Conflict("self_sponsorship")


def propose(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Sponsorship:
    """A partner of a verified CSR company proposes support to a business, a group, a cohort or
    a training event (``business_id``, or ``target_type`` and ``target_id``), or to one of its
    needs (``need_id`` alone names its target)."""
    partner = actor.require_user()
    organization = verified_csr(session, partner.id)
    if organization is None:
        raise Forbidden("not_in_verified_csr")
    values = dict(data)
    milestones = values.pop("milestones", [])
    need_only = values.get("need_id") and not (values.get("business_id") or values.get("target_id"))
    if need_only:  # a need names its target: sponsoring it needs nothing more
        named = session.get(SupportNeed, values["need_id"])
        if named is None:
            raise ValidationFailed(errors={"need_id": ["Not an open need of this target."]})
        values["target_type"], values["target_id"] = named.target_type, named.target_id
    kind, target_id, field = _target_of(values)
    target = targets.resolve(session, kind, target_id, field)
    need_id = values.get("need_id")
    if need_id:
        need = session.get(SupportNeed, need_id)
        if need is None or need.target_id != target.id or need.status not in OPEN_NEEDS:
            raise ValidationFailed(errors={"need_id": ["Not an open need of this target."]})
    sponsorship = Sponsorship(
        **values,
        **targets.columns(kind, target.id),
        organization_id=organization.id,
        proposed_by_id=partner.id,
        milestones=[
            Milestone(position=i, title=m["title"], due_on=m.get("due_on"))
            for i, m in enumerate(milestones)
        ],
    )
    session.add(sponsorship)
    session.flush()
    _refuse_self_sponsorship(session, actor, organization, sponsorship)  # the request rolls back
    _event(session, sponsorship, "proposed", actor)
    return sponsorship


def _target_of(values: dict[str, Any]) -> tuple[TargetType, str, str]:
    """``business_id`` (as before), or ``target_type`` with ``target_id``; popped from values."""
    business_id = values.pop("business_id", None)
    kind, target_id = values.pop("target_type", None), values.pop("target_id", None)
    if business_id and (target_id or kind not in (None, TargetType.BUSINESS)):
        raise ValidationFailed(errors={"business_id": ["Give business_id or a target, not both."]})
    if business_id:
        return TargetType.BUSINESS, business_id, "business_id"
    if kind is None or not target_id:
        raise ValidationFailed(
            errors={"target_id": ["Give business_id, or target_type and target_id."]}
        )
    return kind, target_id, "target_id"


def refuse_closed_need(session: Session, sponsorship: Sponsorship) -> None:
    """A sponsorship of a closed need, or of a cancelled training event, is not accepted or
    started (declining, withdrawing and cancelling stay open)."""
    need = session.get(SupportNeed, sponsorship.need_id) if sponsorship.need_id else None
    event = session.get(TrainingEvent, sponsorship.event_id) if sponsorship.event_id else None
    if (need is not None and need.status == NeedStatus.CLOSED) or (
        event is not None and event.status == TrainingEventStatus.CANCELLED
    ):
        raise Conflict("need_closed")


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
        actions += [
            a
            for a in RECIPIENT.allowed(sponsorship.status)
            if not (a == "accept" and both_sides(session, actor, sponsorship))
        ]
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
    if lifecycle is RECIPIENT and action == "accept" and both_sides(session, actor, sponsorship):
        raise Conflict("self_sponsorship")  # nobody accepts her own organisation's offer
    if action in ("accept", "start"):
        refuse_closed_need(session, sponsorship)
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
        led = select(GroupMember.group_id).where(
            GroupMember.user_id == user.id,
            GroupMember.status == GroupMemberStatus.ACTIVE,
            GroupMember.role.in_(OFFICERS),
        )
        group_business = select(Business.id).where(Business.group_id.in_(led))
        stmt = stmt.where(
            or_(
                Sponsorship.business_id.in_(owned),
                Sponsorship.business_id.in_(group_business),
                Sponsorship.group_id.in_(led),
                Sponsorship.cohort_id.in_(_cohorts_facilitated(session, user.id)),
                Sponsorship.event_id.in_(_events_organized(user.id)),
            )
        )
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


def _events_organized(user_id: str) -> Any:
    """Training events she organises, or whose organisation she administers."""
    administered = select(Membership.organization_id).where(
        Membership.user_id == user_id, Membership.role == MemberRole.ADMIN
    )
    return select(TrainingEvent.id).where(
        or_(
            TrainingEvent.organizer_id == user_id,
            TrainingEvent.organization_id.in_(administered),
        )
    )


def _cohorts_facilitated(session: Session, user_id: str) -> list[str]:
    return [
        c.id
        for c in session.scalars(select(Cohort).where(Cohort.facilitator_ids.is_not(None)))
        if user_id in (c.facilitator_ids or [])
    ]


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
