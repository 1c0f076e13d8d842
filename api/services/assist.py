"""Assisted editing: a facilitator acts for an alumna who granted it, for a limited time.

The facilitator sends ``X-On-Behalf-Of: <her user id>``; the request then runs as her, with
``Actor.assisted_by`` set, so every rule applies as for her and every event and audit entry
records both identities. Her password, contact details and grants stay hers alone. A
suspended account is acted for by no one, as it signs in nowhere (403
``her_account_suspended``: the facilitator's own account is fine).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Forbidden, NotFound, ValidationFailed
from api.models import AssistGrant, Role, User
from api.services import auth, events
from api.services.authz import Actor

MAX_DAYS = 90


def acting_for(session: Session, *, facilitator: Actor, alumna_id: str) -> Actor:
    """The alumna as actor, if the facilitator holds her active grant (403 otherwise)."""
    if facilitator.role != Role.FACILITATOR or facilitator.user is None:
        raise Forbidden("no_assist_grant")
    grant = session.scalar(
        select(AssistGrant).where(
            AssistGrant.alumna_id == alumna_id,
            AssistGrant.facilitator_id == facilitator.user.id,
            AssistGrant.revoked_at.is_(None),
            AssistGrant.expires_at > utcnow(),
        )
    )
    alumna = session.get(User, alumna_id) if grant else None
    if alumna is None:
        raise Forbidden("no_assist_grant")
    return as_her(alumna, facilitator=facilitator.user)


def as_her(alumna: User, *, facilitator: User) -> Actor:
    """The alumna as actor, assisted by the facilitator (whoever checked that she may be):
    refused when her account is suspended, which her grant or her ask does not lift."""
    auth.refuse_suspended(alumna, "her_account_suspended")
    return Actor(user=alumna, assisted_by=facilitator)


def grant(session: Session, *, actor: Actor, facilitator_id: str, days: int) -> AssistGrant:
    alumna = actor.require_user()
    facilitator = session.get(User, facilitator_id)
    if facilitator is None or facilitator.role != Role.FACILITATOR:
        raise ValidationFailed(errors={"facilitator_id": ["Not a facilitator."]})
    now = utcnow()
    made = AssistGrant(
        alumna_id=alumna.id,
        facilitator_id=facilitator.id,
        granted_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(made)
    session.flush()
    events.record(
        session,
        type="assist_grant.granted",
        subject=made,
        actor=actor,
        data={"facilitator_id": facilitator.id, "expires_at": made.expires_at.isoformat()},
        notify=(facilitator.id,),
    )
    return made


def list_grants(session: Session, *, actor: Actor) -> list[AssistGrant]:
    user = actor.require_user()
    column = AssistGrant.facilitator_id if user.role == Role.FACILITATOR else AssistGrant.alumna_id
    return list(
        session.scalars(
            select(AssistGrant).where(column == user.id).order_by(AssistGrant.granted_at.desc())
        )
    )


def revoke(session: Session, *, actor: Actor, grant_id: str) -> None:
    user = actor.require_user()
    found = session.get(AssistGrant, grant_id)
    if found is None or found.alumna_id != user.id:
        raise NotFound()
    if found.revoked_at is None:
        found.revoked_at = utcnow()
        session.flush()
        events.record(
            session,
            type="assist_grant.revoked",
            subject=found,
            actor=actor,
            notify=(found.facilitator_id,),
        )
