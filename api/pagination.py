"""Keyset (cursor) pagination: every page costs the same as the first.

A list declares its sort options as model attribute names; the id is always the last key, so
the order is total. The cursor is opaque to clients: base64url JSON of the sort name and the
last row's key values.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from api.db import read_rows
from api.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Tombstone:
    """An id that changed and is not in the list (any more) for its caller."""

    id: str
    changed_at: dt.datetime


@dataclass(frozen=True)
class ChangesPage(Page[T]):
    """A page of a list's changes (``updated_since``, ``api.services.changes``): its items in
    change order, its tombstones, and the ``updated_since`` of the next sync."""

    deleted: list[Tombstone] = field(default_factory=list)
    updated_until: dt.datetime | None = None


@dataclass(frozen=True)
class SortOption:
    """A documented ``sort`` value: the attributes it orders by, each ascending or not."""

    keys: tuple[tuple[str, bool], ...]  # (attribute, descending)


def sort_options(
    model: type, *, tiebreak: str = "id", **options: Sequence[str]
) -> dict[str, SortOption]:
    """Build sort options; each lists attributes, ``-`` for descending; the tiebreak is appended.

    ``sort_options(Organization, name=["name"])`` gives ``name`` and ``-name``. The tiebreak
    must be unique within the listed rows so that the order is total.
    """
    result: dict[str, SortOption] = {}
    for public, attrs in options.items():
        keys = tuple((a.lstrip("-"), a.startswith("-")) for a in attrs)
        for attr, _ in (*keys, (tiebreak, False)):
            getattr(model, attr)  # fail at start-up, not at request time, on a typo
        result[public] = SortOption((*keys, (tiebreak, False)))
        result["-" + public] = SortOption((*((a, not d) for a, d in keys), (tiebreak, True)))
    return result


def paginate(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    *,
    model: type,
    sort: str,
    options: Mapping[str, SortOption],
    limit: int,
    cursor: str | None,
    computed: Mapping[str, Any] | None = None,
    two_phase: bool = False,
    load: Callable[[list[Any]], list[Any]] | None = None,
    id_column: Any = None,
    from_rows: Callable[[list[Any]], list[Any]] | None = None,
) -> Page[Any]:
    """Run the statement for one page in the chosen order, after the cursor's position.

    ``computed`` names sort keys that are expressions rather than model attributes (a search
    rank); they are selected alongside the entity so the cursor can carry their values.

    ``two_phase`` first finds the page's ids (and sort keys) without loading anything, then
    loads just those rows with their eager relationships: filtering and ordering a large match
    set then never drags the joined columns of every candidate along. ``load`` replaces the
    second phase (ids in, items in that order out), for a reader without the ORM;
    ``id_column`` is where the first phase finds the ids when the statement does not select
    from the model's table (a subquery of candidates).

    ``from_rows``: the statement selects columns, not the model (a reader without the ORM, in
    one statement); the page's rows are given to ``from_rows``, which returns the items.
    """
    option = options[sort]
    computed = computed or {}
    columns = [
        (computed[attr] if attr in computed else getattr(model, attr), desc)
        for attr, desc in option.keys
    ]
    if cursor:
        values = decode_cursor(cursor, sort, len(columns))
        for (column, _), value in zip(columns, values, strict=True):
            _check_type(column, value)
        stmt = stmt.where(_after(columns, values))
    stmt = stmt.order_by(*(c.desc() if desc else c.asc() for c, desc in columns)).limit(limit + 1)
    if two_phase:
        return _two_phase(session, stmt, id_column, model, sort, columns, limit, load)
    used = [name for name, _ in option.keys if name in computed]
    if from_rows is not None:
        if computed or two_phase:
            raise TypeError("from_rows reads the sort keys from the statement's own columns")
        found = list(read_rows(session, stmt).all())
        page_rows, more = found[:limit], len(found) > limit
        next_cursor = None
        if more and page_rows:
            keys = page_rows[-1]._mapping  # by name: a key called "count" is not Row.count
            next_cursor = encode_cursor(sort, [keys[attr] for attr, _ in option.keys])
        return Page(items=from_rows(page_rows), next_cursor=next_cursor)
    if used:
        stmt = stmt.add_columns(*(computed[name].label(name) for name in used))
        rows = list(session.execute(stmt).unique())
    else:
        rows = list(session.scalars(stmt).unique())
    page_rows, more = rows[:limit], len(rows) > limit
    items = [row[0] for row in page_rows] if used else page_rows
    next_cursor = None
    if more and page_rows:
        last = page_rows[-1]
        values = [
            getattr(last, attr) if attr in computed else getattr(last[0] if used else last, attr)
            for attr, _ in option.keys
        ]
        next_cursor = encode_cursor(sort, values)
    return Page(items=items, next_cursor=next_cursor)


def _two_phase(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    id_column: Any,
    model: Any,
    sort: str,
    columns: Sequence[tuple[Any, bool]],
    limit: int,
    load: Callable[[list[Any]], list[Any]] | None,
) -> Page[Any]:
    keys = [column.label(f"sort_key_{i}") for i, (column, _) in enumerate(columns)]
    ids_from = model.id if id_column is None else id_column
    rows = read_rows(session, stmt.with_only_columns(ids_from, *keys)).all()
    page_rows, more = rows[:limit], len(rows) > limit
    ids = [row[0] for row in page_rows]
    next_cursor = encode_cursor(sort, list(page_rows[-1][1:])) if more and page_rows else None
    if load is not None:
        return Page(items=load(ids), next_cursor=next_cursor)
    loaded = {item.id: item for item in session.scalars(select(model).where(model.id.in_(ids)))}
    return Page(items=[loaded[i] for i in ids], next_cursor=next_cursor)


def _after(columns: Sequence[tuple[Any, bool]], values: Sequence[Any]) -> Any:
    """Rows strictly after ``values`` in the lexicographic order of ``columns``.

    When every column runs the same way this is one row comparison, ``(a, b) < (:a, :b)``,
    which an index on ``(a, b)`` answers as a range (a deep page costs what the first does);
    mixed directions need the expanded form."""
    directions = {desc for _, desc in columns}
    if len(directions) == 1:
        row = tuple_(*(column for column, _ in columns))
        bound = tuple_(
            *(literal(v, type_=c.type) for (c, _), v in zip(columns, values, strict=True))
        )
        return row < bound if directions == {True} else row > bound
    clauses = []
    for i, (column, desc) in enumerate(columns):
        equal = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        step = column < values[i] if desc else column > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def cursor_values(cursor: str, sort: str, columns: Sequence[Any]) -> list[Any]:
    """The key values a cursor carries, checked against the columns they compare with (for a
    list that writes its own SQL)."""
    values = decode_cursor(cursor, sort, len(columns))
    for column, value in zip(columns, values, strict=True):
        _check_type(column, value)
    return values


def _check_type(column: Any, value: Any) -> None:
    """A cursor value must be what its column holds (a forged cursor is a 422, not a 500)."""
    expected = column.type.python_type
    if isinstance(value, bool) or value is None:
        ok = False
    elif issubclass(expected, enum.Enum):
        ok = isinstance(value, str) and value in {m.value for m in expected}
    elif expected is int:
        ok = isinstance(value, int) and -(2**63) <= value < 2**63
    elif expected is float:
        ok = isinstance(value, int | float) and math.isfinite(value)
    elif expected is str:
        ok = isinstance(value, str) and "\x00" not in value
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ValidationFailed(errors={"cursor": ["Invalid cursor."]})


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    payload = {"s": sort, "v": [_encode_value(v) for v in values]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, size: int) -> list[Any]:
    """The key values in a cursor; a cursor made for another sort or tampered with is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values = payload["v"]
        if payload["s"] != sort or not isinstance(values, list) or len(values) != size:
            raise ValueError
        return [_decode_value(v) for v in values]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(errors={"cursor": ["Invalid cursor."]}) from None


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            parsed = dt.datetime.fromisoformat(value["dt"])
            if parsed.tzinfo is None:
                raise ValueError("naive datetime in cursor")
            try:  # a forged one at the calendar's edge cannot be stored as UTC
                parsed.astimezone(dt.UTC)
            except OverflowError:
                raise ValueError("datetime out of range in cursor") from None
            return parsed
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        raise ValueError("unknown cursor value")
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError("unsupported cursor value")
    return value
