"""API keys: an organisation's credentials for its apps, limited by scopes.

A key is made by an admin of the organisation and acts as that member, but only for the
operations its scopes name; anything else is a 403 ``insufficient_scope``. The secret is shown
once; only its SHA-256 is stored (a 256-bit random secret needs no slow hash). A key stops
working when it is revoked, when it expires, or when its maker leaves the organisation or is
suspended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.db import utcnow
from api.errors import NotFound, Unauthorized
from api.models import ApiKey, Membership
from api.pagination import Page, paginate, sort_options
from api.security import hash_token
from api.services import auth, events, organizations
from api.services.authz import Actor

KEY_PREFIX = "bdk_"
# "Last used" is written at most this often per key, so reads do not all become writes.
LAST_USED_PRECISION = dt.timedelta(seconds=60)

SCOPES: dict[str, str] = {
    "catalogue:read": "Read businesses, products, photos, reviews, categories and regions.",
    "catalogue:write": "Create and change the businesses and products of the key's maker.",
    "orders:read": "Read the orders the key's maker takes part in.",
    "orders:write": "Place orders and move them along, as the key's maker.",
    "sales:read": "Read off-platform sales and sales summaries the maker may see.",
    "sales:write": "Record and delete off-platform sales.",
    "mentoring:read": "Read mentoring offers, requests and sessions.",
    "mentoring:write": "Publish offers, make and answer requests, plan and record sessions.",
    "sponsorship:read": "Read support needs, sponsorships and the organisation's impact report.",
    "sponsorship:write": "Propose sponsorships, record disbursements and milestones.",
    "training:read": "Read courses, training events, registrations and certificates.",
    "training:write": "Publish courses and training events, enrol and register, record "
    "attendance, issue certificates.",
    "program:read": "Read programs, cohorts, rosters and follow-up (staff keys).",
    "program:write": "Change cohorts and rosters, record check-ins (staff keys).",
    "events:read": "Follow the events feed.",
    "webhooks:read": "List the organisation's webhooks and their deliveries.",
    "webhooks:write": "Create, change, delete webhooks and redeliver events.",
}

SORTS = sort_options(ApiKey, created_at=["created_at"])


def create_key(
    session: Session, *, actor: Actor, organization_id: str, data: Mapping[str, Any]
) -> tuple[ApiKey, str]:
    """A new key for the organisation, made by one of its admins; the secret is returned once."""
    organization = organizations.get_organization(
        session, actor=actor, organization_id=organization_id, action="manage_keys"
    )
    user = actor.require_user()
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        organization_id=organization.id,
        organization=organization,
        created_by_id=user.id,
        created_by=user,
        name=data["name"],
        prefix=secret[:12],
        secret_hash=hash_token(secret),
        scopes=sorted(set(data["scopes"])),
        expires_at=data.get("expires_at"),
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    events.record(
        session,
        type="api_key.created",
        subject=key,
        actor=actor,
        data={"organization_id": organization.id, "name": key.name, "scopes": key.scopes},
        audience=(organization.id,),
    )
    return key, secret


def list_keys(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    limit: int,
    cursor: str | None = None,
) -> Page[ApiKey]:
    """The organisation's keys, revoked ones included (its admins and platform admins)."""
    organizations.get_organization(
        session, actor=actor, organization_id=organization_id, action="edit"
    )
    return paginate(
        session,
        select(ApiKey).where(ApiKey.organization_id == organization_id),
        model=ApiKey,
        sort="-created_at",
        options=SORTS,
        limit=limit,
        cursor=cursor,
    )


def revoke_key(session: Session, *, actor: Actor, organization_id: str, key_id: str) -> None:
    """Revoke a key at once (again: nothing changes)."""
    organizations.get_organization(
        session, actor=actor, organization_id=organization_id, action="edit"
    )
    key = session.get(ApiKey, key_id)
    if key is None or key.organization_id != organization_id:
        raise NotFound()
    now = utcnow()
    revoked = session.execute(
        update(ApiKey)
        .where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    if revoked.rowcount:  # type: ignore[attr-defined]
        events.record(
            session,
            type="api_key.revoked",
            subject=key,
            actor=actor,
            data={"organization_id": organization_id, "name": key.name},
            audience=(organization_id,),
        )


def authenticate(session: Session, secret: str) -> Actor:
    """The actor of a key: its maker, limited to the key's scopes (401 if it cannot be used)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        raise Unauthorized("invalid_api_key")
    key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == hash_token(secret)))
    now = utcnow()
    if key is None or key.status != "active" or key.created_by.suspended_at is not None:
        raise Unauthorized("invalid_api_key")
    if session.get(Membership, (key.organization_id, key.created_by_id)) is None:
        raise Unauthorized("invalid_api_key")  # its maker left the organisation
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_PRECISION:
        session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key.id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_PRECISION),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(key, "last_used_at", now)  # as written: nothing left to flush
    return dataclasses.replace(auth.actor_for(session, key.created_by), api_key=key)
