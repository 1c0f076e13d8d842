"""Domain events: written in the transaction of the change they describe; notifications.

Every state change a user or an app may want to hear of is recorded here once. The events table
is an outbox: apps read it through the events feed and webhooks; users are told through their
notifications, which point at the event.

Events are inserted when their transaction commits, after a lock that makes transactions that
write events commit one at a time (PostgreSQL; SQLite has one writer anyway). So ``seq``
follows commit order: a reader that has seen ``seq`` N will never later find a committed event
below N, and ``after=N`` loses nothing. The change log behind ``updated_since``
(``api.services.changes``) follows commit order the same way, under the same lock.

The lock is the last one a transaction takes and is held only for the inserts that need a
``seq`` and the commit, so it cannot deadlock with row locks and orders of different sellers
wait on each other as little as possible: the transaction's own writes are flushed, and what
the listeners read and decide (the messages people chose) and the change log's rows are worked
out, before it is taken. The webhooks subscribed are read under it, so that one created or
deleted by a commit just before is seen as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from api.db import advisory_lock, on_rollback, utcnow
from api.errors import NotFound
from api.ids import new_id
from api.models import Event, EventAudience, Membership, Notification
from api.pagination import Page, paginate, sort_options
from api.services import audit, changes
from api.services.authz import Actor

NOTIFICATION_SORTS = sort_options(Notification, created_at=["created_at"])
TYPE_PATTERN = re.compile(r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")
_PENDING = "berdaya_pending_events"


@dataclass(frozen=True)
class _Pending:
    event: Event
    notify: list[str]
    audience: frozenset[str]


# The events a transaction writes, with their audiences.
Written = list[tuple[Event, frozenset[str]]]
# What a listener writes once the events have their ``seq``, under the events' lock.
Then = Callable[[], None]
_WRITTEN: list[Callable[[Session, Written], Then | None]] = []


def on_written(listener: Callable[[Session, Written], Then | None]) -> None:
    """Call ``listener`` at each commit that writes events, before the events' lock (their
    ``seq`` is not known yet): it reads and adds what it may then, and returns what is left to
    do once they have it (rows that refer to an event), or None. The webhooks' fan-out and the
    messages people chose register here: what they write commits with the events."""
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
    """``before_commit``: the transaction's events, and its change log, in commit order.

    What needs no ``seq`` is flushed and worked out first. The lock is then taken for the rows
    that do, written with one statement a table (not through the unit of work, whose every
    flush runs the session's listeners), and held until the commit ends."""
    if session.in_nested_transaction():
        return
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    session.flush()  # the transaction's own writes, out of the lock
    values = _values(pending)
    written = [(p.event, p.audience) for p in pending]
    then = [
        step for listener in (_WRITTEN if pending else ()) if (step := listener(session, written))
    ]
    log = changes.pending_log(session)  # flushes what the listeners added first
    if not pending and not log:
        return
    advisory_lock(session, "events")
    if pending:
        _insert(session, pending, values)
        for step in then:
            step()
        if session.new or session.dirty or session.deleted:  # a step wrote through the ORM
            log += changes.pending_log(session)
    changes.insert_log(session, log)


# Core statements on the session's connection: the ORM's bulk insert spent 0.3-0.6 ms of
# Python on each, under the lock (bench/orders.py).
_EVENTS = insert(Event).returning(Event.seq, sort_by_parameter_order=True)
_NOTIFICATIONS = insert(Notification)
_AUDIENCE = insert(EventAudience)


def _values(pending: Sequence[_Pending]) -> list[dict[str, Any]]:
    """The events' rows (their objects given their ``id``, as a flush would)."""
    for p in pending:
        p.event.id = p.event.id or new_id("evt")
    return [
        {
            "id": e.id,
            "type": e.type,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "actor_id": e.actor_id,
            "data": e.data,
            "occurred_at": e.occurred_at,
            "public": e.public,
            "tombstone": e.tombstone,
        }
        for e in (p.event for p in pending)
    ]


def _insert(session: Session, pending: Sequence[_Pending], values: list[dict[str, Any]]) -> None:
    """The events (their objects given their ``seq``), their notifications and audiences."""
    connection = session.connection()
    for p, seq in zip(pending, connection.execute(_EVENTS, values).scalars(), strict=True):
        p.event.seq = seq
    told = [
        {
            "id": new_id(Notification.id_prefix),
            "user_id": u,
            "event_seq": p.event.seq,
            "created_at": p.event.occurred_at,
        }
        for p in pending
        for u in p.notify
    ]
    if told:
        connection.execute(_NOTIFICATIONS, told)
    audience = [
        {"event_seq": p.event.seq, "principal_id": a}
        for p in pending
        if not p.event.public
        for a in p.audience
    ]
    if audience:
        connection.execute(_AUDIENCE, audience)


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
