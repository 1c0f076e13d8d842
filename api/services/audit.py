"""Reading the audit log (entries are written by api.services.events.record)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import AuditEntry
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor

SORTS = sort_options(AuditEntry, tiebreak="seq", at=["at"])


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
