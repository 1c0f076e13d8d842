"""Domain events: written in the transaction of the change they describe; notifications.

Every state change a user or an app may want to hear of is recorded here once. The events table
is an outbox: apps read it through the events feed and webhooks; users are told through their
notifications, which point at the event.

Events are inserted when their transaction commits, after a lock that makes transactions that
write events commit one at a time (PostgreSQL; SQLite has one writer anyway). So ``seq``
follows commit order: a reader that has seen ``seq`` N will never later find a committed event
below N, and ``after=N`` loses nothing. The lock is the last one a transaction takes and is
held only for the inserts and the commit, so it cannot deadlock with row locks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from api.db import advisory_lock, on_rollback, utcnow
from api.errors import NotFound
from api.models import Event, EventAudience, Membership, Notification
from api.pagination import Page, paginate, sort_options
from api.services import audit
from api.services.authz import Actor

NOTIFICATION_SORTS = sort_options(Notification, created_at=["created_at"])
TYPE_PATTERN = re.compile(r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")
_PENDING = "berdaya_pending_events"


@dataclass(frozen=True)
class _Pending:
    event: Event
    notify: list[str]
    audience: frozenset[str]


# Called with the session and the events just inserted with their audiences, before the
# commit (the webhooks' fan-out registers here: deliveries are written with their events).
Written = list[tuple[Event, frozenset[str]]]
_WRITTEN: list[Callable[[Session, Written], None]] = []


def on_written(listener: Callable[[Session, Written], None]) -> None:
    if listener not in _WRITTEN:
        _WRITTEN.append(listener)


def record(
    session: Session,
    *,
    type: str,
    subject: Any,
    actor: Actor | None,
    data: Mapping[str, Any] | None = None,
    notify: Iterable[str | None] = (),
    audience: Iterable[str | None] = (),
    public: bool = False,
    tombstone: bool = False,
) -> Event:
    """Record that ``type`` happened to ``subject``; notify the users named (never the actor).

    A public event is in everyone's feed; a private one only in the feeds of the users notified,
    the actor and the ``audience`` (organisation ids). A tombstone says the subject is gone
    for that audience.
    """
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
        public=public,
        tombstone=tombstone,
    )
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
    notify = list(notify)
    pending = _Pending(
        event=event,
        notify=[u for u in dict.fromkeys(notify) if u and u != actor_id],
        audience=frozenset(p for p in (*notify, *audience, actor_id) if p),
    )
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        on_rollback(session, lambda: session.info.pop(_PENDING, None))
    session.info[_PENDING].append(pending)
    return event


def write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    advisory_lock(session, "events")
    session.add_all(p.event for p in pending)
    session.flush()
    for p in pending:
        seq, at = p.event.seq, p.event.occurred_at
        session.add_all(Notification(user_id=u, event_seq=seq, created_at=at) for u in p.notify)
        if not p.event.public:
            session.add_all(EventAudience(event_seq=seq, principal_id=a) for a in p.audience)
    written = [(p.event, p.audience) for p in pending]
    for listener in _WRITTEN:
        listener(session, written)
    session.flush()


def app_principals(organization_id: str, maker_id: str) -> frozenset[str]:
    """Whose private events an app (a key or a webhook) sees: its organisation's and those of
    the member who made it."""
    return frozenset((organization_id, maker_id))


def sees(event: Event, audience: frozenset[str], principals: frozenset[str]) -> bool:
    """In memory, what ``visible_to`` says in SQL."""
    return event.public or bool(audience & principals)


def principals(session: Session, actor: Actor) -> frozenset[str]:
    """The ids whose private events the caller may read: a key, those of its app; a user, her
    own and her organisations'."""
    if actor.api_key is not None:
        return app_principals(actor.api_key.organization_id, actor.api_key.created_by_id)
    user = actor.require_user()
    orgs = session.scalars(select(Membership.organization_id).where(Membership.user_id == user.id))
    return frozenset((user.id, *orgs))


def visible_to(ids: Iterable[str]) -> Any:
    """SQL condition: the event is public or one of ``ids`` is in its audience."""
    return or_(
        Event.public.is_(True),
        exists().where(
            EventAudience.event_seq == Event.seq, EventAudience.principal_id.in_(list(ids))
        ),
    )


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """Whether a type such as ``order.accepted`` matches ``order.*``, ``*`` or itself."""
    return any(
        p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
        for p in patterns
    )


def _type_condition(patterns: Sequence[str]) -> Any:
    if not patterns or "*" in patterns:
        return None
    exact = [p for p in patterns if not p.endswith(".*")]
    prefixes = [p[:-1] for p in patterns if p.endswith(".*")]
    conditions: list[Any] = [Event.type.in_(exact)] if exact else []
    conditions += [Event.type.startswith(prefix, autoescape=True) for prefix in prefixes]
    return or_(*conditions)


@dataclass(frozen=True)
class FeedPage:
    items: list[Event]
    next_after: int
    has_more: bool


def feed(
    session: Session,
    *,
    actor: Actor,
    after: int,
    types: Sequence[str],
    limit: int,
) -> FeedPage:
    """Events after ``after`` the caller may see, oldest first."""
    stmt = select(Event).where(Event.seq > after, visible_to(principals(session, actor)))
    condition = _type_condition(types)
    if condition is not None:
        stmt = stmt.where(condition)
    rows = list(session.scalars(stmt.order_by(Event.seq).limit(limit + 1)))
    items = rows[:limit]
    return FeedPage(
        items=items,
        next_after=items[-1].seq if items else after,
        has_more=len(rows) > limit,
    )


def prune(session: Session, *, older_than: dt.datetime) -> int:
    """Delete events (with their notifications and deliveries) older than the retention."""
    result = session.execute(
        delete(Event)
        .where(Event.occurred_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
