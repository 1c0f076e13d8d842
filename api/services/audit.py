"""The append-only audit log: staff actions and changes made for someone (events.record and
the unit of work write entries here), and every change of any record's status, whoever made it
(a listener on the unit of work, so no lifecycle can forget it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import AuditEntry
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor

SORTS = sort_options(AuditEntry, tiebreak="seq", at=["at"])
# Who the session works for (set when a request's caller is known); absent for the system's own
# jobs (orders completing by themselves, expiries), which are logged with no actor.
ACTOR_KEY = "audit_actor"
# Statuses that are machinery, not decisions: a webhook delivery's retries.
NOT_AUDITED = frozenset({"WebhookDelivery"})


def act_as(session: Session, actor: Actor) -> None:
    """Changes this session makes are attributed to ``actor`` in the log."""
    session.info[ACTOR_KEY] = actor


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


@sa_event.listens_for(Session, "before_flush")
def _status_changes(session: Session, _context: Any, _instances: Any) -> None:
    """One entry per record whose ``status`` this flush changes: from, to, by whom."""
    actor: Actor | None = session.info.get(ACTOR_KEY)
    for obj in list(session.dirty):
        kind = type(obj).__name__
        state = inspect(obj)
        if kind in NOT_AUDITED or "status" not in state.attrs:
            continue
        history = state.attrs["status"].history
        if not history.added or not history.deleted or history.added[0] == history.deleted[0]:
            continue
        subject_type = _snake(kind)
        session.add(
            AuditEntry(
                at=utcnow(),
                actor_id=actor.user_id if actor else None,
                actor_role=actor.role.value if actor and actor.role else None,
                assisted_by_id=actor.assisted_by.id if actor and actor.assisted_by else None,
                action=f"{subject_type}.status_changed",
                subject_type=subject_type,
                subject_id=obj.id,
                data={"from": _plain(history.deleted[0]), "to": _plain(history.added[0])},
            )
        )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
