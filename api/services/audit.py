"""The append-only audit log: staff actions and changes made for someone (events.record and
the unit of work write entries here), and every change of any record's status, whoever made it
(a listener on the unit of work, so no lifecycle can forget it)."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from api.db import Base, utcnow
from api.models import AuditEntry
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor

SORTS = sort_options(AuditEntry, tiebreak="seq", at=["at"])
# Who the session works for (set when a request's caller is known); absent for the system's own
# jobs (orders completing by themselves, expiries), which are logged with no actor.
ACTOR_KEY = "audit_actor"
# Statuses that are machinery, not decisions: a webhook delivery's retries.
NOT_AUDITED = frozenset({"WebhookDelivery"})


# Strings the log may hold besides the vocabulary below: ids (``usr_01J...``), times and dates,
# region codes. Anything else is someone's words, which an append-only store must never hold.
_SAFE_STRING = re.compile(
    r"^([a-z]{2,5}_)?[0-9A-HJKMNP-TV-Z]{26}$"  # an id
    r"|^\d{4}-\d{2}-\d{2}([T ][0-9:.]+([+-]\d{2}:\d{2}|Z)?)?$"  # a date or a time
    r"|^\d{2}(\.\d{2}){0,2}(\.\d{4})?$"  # a region code
)
# Codes a payload uses that are not an enum's value or a column's name.
_EXTRA_CODES = frozenset({"business_unavailable", "hidden"})
REDACTED_KEY = "redacted"


@functools.cache
def _vocabulary() -> frozenset[str]:
    """Every enum value and every column name of the schema: codes, not anyone's words."""
    words = set(_EXTRA_CODES)
    for table in Base.metadata.tables.values():
        for column in table.columns:
            words.add(column.name)
            if isinstance(column.type, SAEnum):
                words.update(str(v) for v in column.type.enums)
    pending: list[type[enum.Enum]] = [enum.StrEnum]
    while pending:  # the application's own enums, stored as columns or not
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("api."):
            words.update(str(m.value) for m in cls)
    return frozenset(words)


def safe_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with every free-text value taken out (ids, codes, figures and times stay).

    The keys whose values were taken out are listed under ``redacted``: the log says *that* a
    name or a reason was given, never what it was. This is what makes erasure complete for an
    append-only store: nothing personal is ever written to it.
    """
    redacted: list[str] = []
    clean = {k: _safe(v, k, redacted) for k, v in data.items() if k != REDACTED_KEY}
    if redacted:
        clean[REDACTED_KEY] = sorted(set(redacted) | set(data.get(REDACTED_KEY) or ()))
    return clean


def _safe(value: Any, path: str, redacted: list[str]) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, str):
        value = value.value  # an enum member
    if isinstance(value, str):
        if value in _vocabulary() or _SAFE_STRING.match(value):
            return value
        redacted.append(path)
        return None
    if isinstance(value, Mapping):
        return {k: _safe(v, f"{path}.{k}", redacted) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_safe(v, path, redacted) for v in value]
    redacted.append(path)
    return None


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
    """Append an entry: who (and who assisted her), what, to what; free text is taken out of
    ``data`` (``safe_data``), so the log never holds anyone's words."""
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
            data=safe_data(data),
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


def record_status_changes(session: Session, _context: Any, _instances: Any) -> None:
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
                data=safe_data({"from": history.deleted[0], "to": history.added[0]}),
            )
        )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
