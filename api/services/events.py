"""Domain events: written in the transaction of the change they describe; notifications.

Every state change a user or an app may want to hear of is recorded here once. The events table
is an outbox: the integration part feeds it to apps and webhooks; users are told through their
notifications, which point at the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import NotFound
from api.models import Event, Notification
from api.pagination import Page, paginate, sort_options
from api.services import audit
from api.services.authz import Actor

NOTIFICATION_SORTS = sort_options(Notification, created_at=["created_at"])


def record(
    session: Session,
    *,
    type: str,
    subject: Any,
    actor: Actor | None,
    data: Mapping[str, Any] | None = None,
    notify: Iterable[str | None] = (),
) -> Event:
    """Record that ``type`` happened to ``subject``; notify the users named (never the actor)."""
    actor_id = actor.user_id if actor else None
    payload = dict(data or {})
    assisted_by = actor.assisted_by.id if actor and actor.assisted_by else None
    if assisted_by:
        payload["assisted_by"] = assisted_by
    event = Event(
        type=type,
        subject_type=type.split(".", 1)[0],
        subject_id=subject.id,
        actor_id=actor_id,
        data=payload,
        occurred_at=utcnow(),
    )
    session.add(event)
    if actor is not None and (actor.is_staff or assisted_by):
        # Staff actions and actions done for someone go to the append-only audit log too.
        audit.write(
            session,
            actor=actor,
            action=type,
            subject_type=event.subject_type,
            subject_id=subject.id,
            data=payload,
            at=event.occurred_at,
        )
    session.flush()
    for user_id in dict.fromkeys(u for u in notify if u and u != actor_id):
        session.add(
            Notification(user_id=user_id, event_seq=event.seq, created_at=event.occurred_at)
        )
    session.flush()
    return event


def list_notifications(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    unread: bool | None = None,
    cursor: str | None = None,
) -> Page[Notification]:
    """The caller's notifications, newest first."""
    user = actor.require_user()
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return paginate(
        session,
        stmt,
        model=Notification,
        sort="-created_at",
        options=NOTIFICATION_SORTS,
        limit=limit,
        cursor=cursor,
    )


def mark_read(session: Session, *, actor: Actor, notification_id: str) -> Notification:
    """Mark one of the caller's notifications read (again: no change)."""
    user = actor.require_user()
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, *, actor: Actor) -> int:
    """Mark all of the caller's unread notifications read; how many there were."""
    user = actor.require_user()
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
