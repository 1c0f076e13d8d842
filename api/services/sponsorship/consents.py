"""Sponsors' consents: a business owner lets an organisation see her figures, and withdraws
it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    Business,
    Membership,
    Organization,
    SponsorConsent,
)
from api.services import businesses, events
from api.services.authz import Actor


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


def consenting_businesses(organization_id: str) -> Any:
    """The businesses whose owners let the organisation see their figures now (a SELECT)."""
    return select(SponsorConsent.business_id).where(
        SponsorConsent.organization_id == organization_id, SponsorConsent.revoked_at.is_(None)
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


def consented_for(session: Session, business_id: str, user_id: str | None) -> bool:
    """Whether the user belongs to an organisation the business's owner lets see her figures."""
    if user_id is None:
        return False
    return bool(
        session.scalar(
            select(SponsorConsent.id)
            .join(
                Membership,
                (Membership.organization_id == SponsorConsent.organization_id)
                & (Membership.user_id == user_id),
            )
            .where(SponsorConsent.business_id == business_id, SponsorConsent.revoked_at.is_(None))
            .limit(1)
        )
    )
