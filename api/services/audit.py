"""The append-only audit log: staff actions and changes made for someone (events.record and
the unit of work write entries here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import AuditEntry
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor

SORTS = sort_options(AuditEntry, tiebreak="seq", at=["at"])


def write(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    at: dt.datetime | None = None,
) -> None:
    """Append an entry: who (and who assisted her), what, to what."""
    session.info["audited"] = True
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor_id=actor.user_id,
            actor_role=actor.role.value if actor.role else None,
            assisted_by_id=actor.assisted_by.id if actor.assisted_by else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            data=data,
        )
    )


def list_entries(
    session: Session,
    *,
    actor: Actor,
    actor_filter: str | None = None,
    action: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """Newest first. Admins only (the resource checks the role)."""
    stmt = select(AuditEntry)
    if actor_filter:
        stmt = stmt.where(AuditEntry.actor_id == actor_filter)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return paginate(
        session, stmt, model=AuditEntry, sort="-at", options=SORTS, limit=limit, cursor=cursor
    )
