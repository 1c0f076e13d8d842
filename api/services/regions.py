"""Regions: loading the official list, browsing it, and checking codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, false, func, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.db import read_rows
from api.errors import NotFound, ValidationFailed
from api.models.regions import (
    Region,
    RegionLevel,
    ancestors_of,
    kind_of,
    level_of,
    parent_of,
)
from api.pagination import Page, SortOption, sort_options
from api.services import changes

REGIONS_CSV = Path(__file__).resolve().parent.parent.parent / "data" / "regions.csv"
CODE_PATTERN = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# The code is unique, so it needs no tiebreak of its own.
SORTS = {
    "code": SortOption((("code", False),)),
    "-code": SortOption((("code", True),)),
    **sort_options(Region, tiebreak="code", name=["name"]),
}
COLUMNS = ("code", "name", "level", "kind", "parent_code")
_HELD = "SELECT code, name, level, kind, parent_code FROM regions"  # COLUMNS, as stored


def read_regions(path: Path = REGIONS_CSV) -> Iterator[tuple[str, str, str, str, str | None]]:
    """Rows of the CSV as table rows, parents before children; bad rows stop the load."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header != ["code", "name"]:
            raise ValueError(f"{path}: expected the header code,name, got {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) != 2 or not CODE_PATTERN.match(row[0]) or not row[1].strip():
                raise ValueError(f"{path}:{line}: not a region row: {row}")
            code, name = row[0], row[1].strip()
            yield code, name, level_of(code).value, kind_of(code), parent_of(code)


def load_regions(
    connection: Connection, *, path: Path = REGIONS_CSV, echo: Callable[[str], Any] = print
) -> int:
    """Insert or update every region from the CSV (COPY on PostgreSQL); returns the row count."""
    started = time.monotonic()
    rows = sorted(read_regions(path), key=lambda r: (r[0].count("."), r[0]))
    echo(f"regions: read {len(rows):,} rows from {path.name}")
    first = connection.scalar(select(Region.code).limit(1)) is None
    if connection.dialect.name == "postgresql":
        changed = _load_postgres(connection, rows, echo)
    else:
        held = set() if first else {tuple(row) for row in connection.exec_driver_sql(_HELD)}
        _load_generic(connection, rows, echo)
        changed = [r[0] for r in rows if tuple(r) not in held]
    if not first:  # an update of the list: apps' copies hear of it
        changes.log_loaded(connection, Region, changed)
    total = connection.scalar(select(func.count()).select_from(Region)) or 0
    echo(f"regions: {total:,} in the database ({time.monotonic() - started:.1f} s)")
    return int(total)


def _load_postgres(
    connection: Connection, rows: list[Any], echo: Callable[[str], Any]
) -> list[str]:
    """Merge the rows; the codes it inserted or changed."""
    connection.exec_driver_sql(
        "CREATE TEMP TABLE regions_incoming (LIKE regions INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    with raw.cursor().copy(
        "COPY regions_incoming (code, name, level, kind, parent_code) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        copy.write(buffer.getvalue())
    echo(f"regions: copied {len(rows):,} rows; merging")
    changed = list(
        connection.exec_driver_sql(
            "INSERT INTO regions (code, name, level, kind, parent_code) "
            "SELECT code, name, level, kind, parent_code FROM regions_incoming "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, "
            "kind = EXCLUDED.kind, parent_code = EXCLUDED.parent_code "
            "WHERE (regions.name, regions.level, regions.kind, regions.parent_code) IS DISTINCT "
            "FROM (EXCLUDED.name, EXCLUDED.level, EXCLUDED.kind, EXCLUDED.parent_code) "
            "RETURNING code"
        ).scalars()
    )
    connection.exec_driver_sql("DROP TABLE regions_incoming")
    echo(f"regions: {len(changed):,} inserted or changed")
    return changed


def _load_generic(connection: Connection, rows: list[Any], echo: Callable[[str], Any]) -> None:
    stmt = sqlite_insert(Region)
    stmt = stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={c: stmt.excluded[c] for c in COLUMNS if c != "code"},
    )
    chunk = 20_000
    for start in range(0, len(rows), chunk):
        part = [dict(zip(COLUMNS, row, strict=True)) for row in rows[start : start + chunk]]
        connection.execute(stmt, part)
        echo(f"regions: {min(start + chunk, len(rows)):,}/{len(rows):,}")


def list_regions(
    session: Session,
    *,
    parent: str | None = None,
    level: RegionLevel | None = None,
    q: str | None = None,
    sort: str = "code",
    limit: int,
    cursor: str | None = None,
    updated_since: dt.datetime | None = None,
) -> Page[Region]:
    """Regions under a parent (any depth), of a level, whose name contains ``q``."""
    stmt = select(Region)
    below = None  # a filter no update changes: other regions' changes stay out of a sync
    if parent:
        if level is None or level_of(parent) == _level_above(level):
            below = Region.parent_code == parent
        else:
            below = Region.code.startswith(parent + ".", autoescape=True)
        stmt = stmt.where(below)
    if level is not None:
        stmt = stmt.where(Region.level == level)
    if q:
        stmt = stmt.where(func.lower(Region.name).contains(q.lower(), autoescape=True))
    return changes.paginate_changes(
        session,
        stmt,
        model=Region,
        since=updated_since,
        scope=below,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
    )


def _level_above(level: RegionLevel) -> RegionLevel | None:
    order = list(RegionLevel)
    index = order.index(level)
    return order[index - 1] if index else None


def get_region(session: Session, code: str) -> tuple[Region, list[Region]]:
    """A region and its ancestors, province first."""
    if not CODE_PATTERN.match(code):
        raise NotFound()
    region = session.get(Region, code)
    if region is None:
        raise NotFound()
    wanted = ancestors_of(code)
    found = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(wanted)))}
    return region, [found[c] for c in wanted if c in found]


def within(column: Any, code: str) -> Any:
    """A condition: the region code in ``column`` is ``code`` or lies below it (any level)."""
    return (column == code) | column.startswith(code + ".", autoescape=True)


def within_any(column: Any, codes: Sequence[str]) -> Any:
    """A condition: the code in ``column`` lies in one of the regions (none: nothing does)."""
    if not codes:
        return false()
    return or_(*(within(column, code) for code in codes))


# Region names by code: official codes and names change only with a new Kepmendagri, loaded by
# ``load-regions`` (a restart picks the change up). Bounded by the 91,599 regions.
_NAMES: dict[str, str] = {}


def names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The names of these regions (one query for those not already known)."""
    wanted = set(codes)
    missing = [code for code in wanted if code not in _NAMES]
    if missing:
        rows = read_rows(session, select(Region.code, Region.name).where(Region.code.in_(missing)))
        _NAMES.update((code, name) for code, name in rows)
    return {code: _NAMES[code] for code in wanted if code in _NAMES}


def place(session: Session, code: str) -> dict[str, str]:
    """A place as every response gives it: ``{"code", "name"}``."""
    return {"code": code, "name": names(session, [code]).get(code, "")}


_NAME_OF = select(Region.name).where(Region.code == bindparam("code"))


def exists(session: Session, code: str) -> bool:
    """Whether a region has this code (its name is then known to ``names``): a code already
    known is not asked for again (a region filter is checked on every browse of a region)."""
    if code in _NAMES:
        return True
    if not CODE_PATTERN.match(code):
        return False
    name = read_rows(session, _NAME_OF, {"code": code}).scalar()
    if name is not None:
        _NAMES[code] = name
    return name is not None


def require_region(
    session: Session, code: str, *, field: str, level: RegionLevel | None = None
) -> Region:
    """The region with this code (of this level), or a 422 naming the field."""
    region = session.get(Region, code) if CODE_PATTERN.match(code) else None
    if region is None:
        raise ValidationFailed(errors={field: ["Unknown region code."]})
    if level is not None and region.level != level:
        raise ValidationFailed(errors={field: [f"Must be a {level.value} code."]})
    return region
