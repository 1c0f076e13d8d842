"""Consents a user gives to a purpose (UU PDP 27/2022; e.g. her business's contact shown),
with the version of the notice she was shown. Her export and erasure are
``api.services.privacy``'s; a business owner's consents to sponsors seeing her figures are
``api.services.sponsorship.consents``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, NotFound
from api.models import Business, Consent, ConsentPurpose
from api.services import events
from api.services.authz import Actor

# The notice a user is shown for each purpose; its version is recorded with her consent.
NOTICES: dict[ConsentPurpose, tuple[str, str]] = {
    ConsentPurpose.CONTACT_REVEAL: (
        "2026-12",
        "Your business's WhatsApp number is shown to signed-in users who tap Contact; "
        "each time is recorded and you can see who asked. Withdraw it any time.",
    ),
}


# -- consent ---------------------------------------------------------------------------------


def active_consent(session: Session, user_id: str, purpose: ConsentPurpose) -> Consent | None:
    return session.scalar(
        select(Consent).where(
            Consent.user_id == user_id, Consent.purpose == purpose, Consent.revoked_at.is_(None)
        )
    )


def give_consent(session: Session, *, actor: Actor, purpose: ConsentPurpose) -> Consent:
    """Record her consent to one purpose, with the version of the notice she was shown."""
    user = actor.require_user()
    if active_consent(session, user.id, purpose):
        raise Conflict("consent_already_given")
    consent = Consent(user_id=user.id, purpose=purpose, notice_version=NOTICES[purpose][0])
    session.add(consent)
    session.flush()
    _copy_to_businesses(session, user.id, purpose, True)
    events.record(
        session, type="consent.given", subject=consent, actor=actor, data={"purpose": purpose}
    )
    return consent


def withdraw_consent(session: Session, *, actor: Actor, consent_id: str) -> Consent:
    """Withdraw a consent; the record stays, stamped with when."""
    user = actor.require_user()
    consent = session.get(Consent, consent_id)
    if consent is None or consent.user_id != user.id:
        raise NotFound()
    if consent.revoked_at is None:
        consent.revoked_at = utcnow()
        session.flush()
        _copy_to_businesses(session, user.id, consent.purpose, False)
        events.record(
            session,
            type="consent.withdrawn",
            subject=consent,
            actor=actor,
            data={"purpose": consent.purpose},
        )
    return consent


def _copy_to_businesses(
    session: Session, user_id: str, purpose: ConsentPurpose, given: bool
) -> None:
    """Her businesses carry her contact consent (what their public documents show)."""
    if purpose != ConsentPurpose.CONTACT_REVEAL:
        return
    for business in session.scalars(select(Business).where(Business.owner_id == user_id)):
        business.contact_consented = given
    session.flush()


def list_consents(session: Session, *, actor: Actor) -> list[Consent]:
    user = actor.require_user()
    return list(
        session.scalars(
            select(Consent).where(Consent.user_id == user.id).order_by(Consent.granted_at.desc())
        )
    )
