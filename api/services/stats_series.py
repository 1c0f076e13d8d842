"""Monthly time series and Kaplan-Meier survival curves of the program's groups (cohort,
program, region, year), computed by the database, with the small-group rule of ``stats``.

Time series, per group and calendar month (every figure one grouped statement over a small
table of months built here):

- ``businesses``: listed by the end of the month; of them ``active`` (seen within 60 days of
  the month's end: listed, a check-in for a month, or an order), ``at_risk`` (60-120 days) and
  ``dormant`` (longer) — the thresholds of a business's ``activity_status``;
- ``check_ins`` for the month, and the ``median_revenue_band`` they give (the lower median of
  their bands, an amount without a band counting as the band it falls in: ``stats.band_rank``);
- ``orders`` completed and their ``orders_idr``, created in the month; ``off_platform_sales``
  and ``off_platform_idr`` sold in the month; ``new_businesses`` listed in it.

A month is suppressed (every figure null) when fewer than 5 businesses are listed by its end,
except for admins whose regions hold every cohort of the group.

Survival ("still trading"), per group, by whole months since graduation: a business's last sign
of trading is its latest trading check-in, order, or its listing. It has stopped (the event) at
the month after that sign when that sign is more than 120 days old or the business is closed;
otherwise it is still trading and censored at the months observed so far. The Kaplan-Meier
estimate with Greenwood's variance and the log(-log) 95% interval (as lifelines and R's
``survfit`` give by default) is computed here (``kaplan_meier``) from the per-business times.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Date,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import UTCDateTime, utcnow
from api.models import (
    ACTIVE_DAYS,
    DORMANT_DAYS,
    BusinessStatus,
    CheckIn,
    Cohort,
    OffPlatformSale,
    Order,
    OrderStatus,
    Program,
    StatsFact,
)
from api.services import regions
from api.services.authz import Actor
from api.services.stats import (
    BANDS,
    MIN_GROUP,
    band_rank,
    cohort_filter,
    midnight,
    population,
    roomy,
)

SERIES_FIGURES = (
    "businesses",
    "active",
    "at_risk",
    "dormant",
    "check_ins",
    "median_revenue_band",
    "orders",
    "orders_idr",
    "off_platform_sales",
    "off_platform_idr",
    "new_businesses",
)
MAX_MONTHS = 120


@dataclass
class Series:
    key: str
    label: str
    region: str | None  # the smallest region holding every cohort of the group
    in_scope: bool
    months: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Curve:
    key: str
    label: str
    region: str | None
    suppressed: bool
    businesses: int
    events: int
    points: list[dict[str, Any]] = field(default_factory=list)


def common_region(codes: Iterable[str]) -> str | None:
    """The smallest region holding all of these (``32.75`` and ``32.71``: ``32``)."""
    parts = [code.split(".") for code in codes]
    if not parts:
        return None
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return ".".join(common) or None


def _groups(
    session: Session, actor: Actor, group: str, where: list[Any]
) -> dict[str, tuple[str, str | None, bool]]:
    """key -> (label, region, in_scope) of the groups the filter selects."""
    rows = session.execute(
        select(Cohort, Program.name)
        .join(Program, Program.id == Cohort.program_id)
        .where(*where)
        .order_by(Cohort.year, Cohort.name, Cohort.id)
    ).all()
    cohorts: dict[str, list[Cohort]] = {}
    labels: dict[str, str] = {}
    for cohort, program_name in rows:
        key = {
            "cohort": cohort.id,
            "program": cohort.program_id,
            "region": cohort.region_code,
            "year": str(cohort.year),
        }[group]
        labels.setdefault(
            key,
            {"cohort": cohort.name, "program": program_name}.get(group, key),
        )
        cohorts.setdefault(key, []).append(cohort)
    places = {key: common_region(c.region_code for c in items) for key, items in cohorts.items()}
    named = regions.names(session, {p for p in places.values() if p})
    if group == "region":
        labels = {key: named.get(key, key) for key in labels}
    return {
        key: (
            labels[key],
            places[key],
            actor.is_admin and all(actor.covers(c.region_code) for c in items),
        )
        for key, items in cohorts.items()
    }


def _months_table(first: dt.date, last: dt.date) -> Any:
    parts = []
    month = first
    while month <= last:
        end = add_months(month, 1)
        parts.append(
            select(
                literal(month, Date).label("month"),
                literal(midnight(month), UTCDateTime).label("starts"),
                literal(midnight(end), UTCDateTime).label("ends"),
                literal(end, Date).label("next"),
                literal(end - dt.timedelta(days=ACTIVE_DAYS), Date).label("active_day"),
                literal(midnight(end - dt.timedelta(days=ACTIVE_DAYS)), UTCDateTime).label(
                    "active_from"
                ),
                literal(end - dt.timedelta(days=DORMANT_DAYS), Date).label("risk_day"),
                literal(midnight(end - dt.timedelta(days=DORMANT_DAYS)), UTCDateTime).label(
                    "risk_from"
                ),
            )
        )
        month = end
    return (union_all(*parts) if len(parts) > 1 else parts[0]).cte("months")


def series(
    session: Session,
    *,
    actor: Actor,
    group: str,
    program: str | None = None,
    year: int | None = None,
    region: str | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> list[Series]:
    this_month = utcnow().date().replace(day=1)
    last = min(last or this_month, this_month)
    first = first or add_months(last, -23)
    first = max(first, add_months(last, -(MAX_MONTHS - 1)))
    where = cohort_filter(program, year, region)
    groups = _groups(session, actor, group, where)
    if not groups or first > last:
        return [Series(key, label, place, scope) for key, (label, place, scope) in groups.items()]
    roomy(session)
    pop = population(group, where, activity=False)
    m = _months_table(first, last)
    cells: dict[tuple[str, dt.date], dict[str, Any]] = {}

    def cell(group_value: str, month: dt.date) -> dict[str, Any]:
        return cells.setdefault((group_value, month), _empty())

    def seen_since(day_col: Any, moment_col: Any) -> Any:
        return or_(
            pop.c.created_at >= moment_col,
            exists().where(
                CheckIn.business_id == pop.c.business_id,
                CheckIn.month >= day_col,
                CheckIn.month <= m.c.month,
            ),
            exists().where(
                Order.business_id == pop.c.business_id,
                Order.created_at >= moment_col,
                Order.created_at < m.c.ends,
            ),
        )

    active = seen_since(m.c.active_day, m.c.active_from)
    at_risk = and_(~active, seen_since(m.c.risk_day, m.c.risk_from))
    one = {"else_": 0}
    for g, month, listed, n_active, n_risk, new in session.execute(
        select(
            pop.c.key,
            m.c.month,
            func.count(),
            func.sum(case((active, 1), **one)),
            func.sum(case((at_risk, 1), **one)),
            func.sum(case((pop.c.created_at >= m.c.starts, 1), **one)),
        )
        .join(m, pop.c.created_at < m.c.ends)
        .group_by(pop.c.key, m.c.month)
    ):
        row = cell(g, month)
        row.update(
            businesses=int(listed),
            active=int(n_active or 0),
            at_risk=int(n_risk or 0),
            dormant=int(listed) - int(n_active or 0) - int(n_risk or 0),
            new_businesses=int(new or 0),
        )
    rank = band_rank()
    ranked = (
        select(
            pop.c.key.label("key"),
            CheckIn.month.label("month"),
            rank.label("band"),
            func.row_number()
            .over(partition_by=(pop.c.key, CheckIn.month), order_by=func.coalesce(rank, 99))
            .label("position"),
            func.count(rank).over(partition_by=(pop.c.key, CheckIn.month)).label("n"),
            func.count().over(partition_by=(pop.c.key, CheckIn.month)).label("received"),
        )
        .join(CheckIn, CheckIn.business_id == pop.c.business_id)
        .where(CheckIn.month >= first, CheckIn.month <= last)
        .subquery()
    )
    for g, month, received, band in session.execute(
        select(ranked.c.key, ranked.c.month, func.max(ranked.c.received), func.max(ranked.c.band))
        .where(
            or_(
                ranked.c.position == (ranked.c.n + 1) // 2,
                and_(ranked.c.n == 0, ranked.c.position == 1),
            )
        )
        .group_by(ranked.c.key, ranked.c.month)
    ):
        row = cell(g, month)
        row["check_ins"] = int(received)
        row["median_revenue_band"] = None if band is None else BANDS[int(band)].value
    for g, month, count, total in session.execute(
        select(pop.c.key, m.c.month, func.count(Order.id), func.sum(Order.total_idr))
        .join(Order, Order.business_id == pop.c.business_id)
        .join(m, and_(Order.created_at >= m.c.starts, Order.created_at < m.c.ends))
        .where(Order.status == OrderStatus.COMPLETED)
        .group_by(pop.c.key, m.c.month)
    ):
        cell(g, month).update(orders=int(count), orders_idr=int(total or 0))
    for g, month, count, total in session.execute(
        select(
            pop.c.key,
            m.c.month,
            func.count(OffPlatformSale.id),
            func.sum(OffPlatformSale.amount_idr),
        )
        .join(OffPlatformSale, OffPlatformSale.business_id == pop.c.business_id)
        .join(m, and_(OffPlatformSale.sold_on >= m.c.month, OffPlatformSale.sold_on < m.c.next))
        .group_by(pop.c.key, m.c.month)
    ):
        cell(g, month).update(off_platform_sales=int(count), off_platform_idr=int(total or 0))
    out = []
    for g, (label, place, scope) in groups.items():
        item = Series(g, label, place, scope)
        month = first
        while month <= last:
            row = {"month": month, **cells.get((g, month), _empty())}
            if row["businesses"] < MIN_GROUP and not scope:
                row = {"month": month, "suppressed": True, **dict.fromkeys(SERIES_FIGURES)}
            else:
                row["suppressed"] = False
            item.months.append(row)
            month = add_months(month, 1)
        out.append(item)
    return out


Z95 = 1.959963984540054


def kaplan_meier(durations: Sequence[int], events: Sequence[bool]) -> list[dict[str, Any]]:
    """The Kaplan-Meier estimate at time 0 and at every time something happened: how many were
    at risk just before, the events and censorings then, the survival, and the 95% interval
    of Greenwood's variance on the log(-log) scale (S^exp(±z·se), se² = Σ d/(n(n-d)) / ln²S)."""
    deaths = Counter(t for t, e in zip(durations, events, strict=True) if e)
    censored = Counter(t for t, e in zip(durations, events, strict=True) if not e)
    at_risk = len(durations)
    survival, greenwood = 1.0, 0.0
    points = [
        {
            "months": 0,
            "at_risk": at_risk,
            "events": 0,
            "censored": 0,
            "survival": 1.0,
            "ci_low": 1.0,
            "ci_high": 1.0,
        }
    ]
    for t in sorted(set(deaths) | set(censored)):
        d, c = deaths[t], censored[t]
        if d:
            survival *= 1 - d / at_risk
            greenwood = greenwood + d / (at_risk * (at_risk - d)) if at_risk > d else math.inf
        low, high = _interval(survival, greenwood)
        point = {
            "months": t,
            "at_risk": at_risk,
            "events": d,
            "censored": c,
            "survival": round(survival, 6),
            "ci_low": round(low, 6),
            "ci_high": round(high, 6),
        }
        if t == 0:
            points[0] = point
        else:
            points.append(point)
        at_risk -= d + c
    return points


def _interval(survival: float, greenwood: float) -> tuple[float, float]:
    if survival >= 1.0:
        return 1.0, 1.0
    if survival <= 0.0 or math.isinf(greenwood):
        return 0.0, survival if survival > 0 else 0.0
    se = math.sqrt(greenwood) / abs(math.log(survival))
    return survival ** math.exp(Z95 * se), survival ** math.exp(-Z95 * se)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (15 January to 14 April: 2; to 15 April: 3)."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def survival(
    session: Session,
    *,
    actor: Actor,
    group: str,
    program: str | None = None,
    year: int | None = None,
    region: str | None = None,
    today: dt.date | None = None,
) -> list[Curve]:
    today = today or utcnow().date()
    where = cohort_filter(program, year, region)
    groups = _groups(session, actor, group, where)
    roomy(session)
    pop = population(group, where)
    times: dict[str, tuple[list[int], list[bool]]] = {key: ([], []) for key in groups}
    for g, since, created, status, traded, ordered in session.execute(
        select(
            pop.c.key,
            pop.c.since,
            pop.c.created_at,
            pop.c.status,
            StatsFact.last_trading_month,
            StatsFact.last_order_at,
        ).join(
            StatsFact,
            and_(StatsFact.business_id == pop.c.business_id, StatsFact.since == pop.c.since),
        )
    ):
        if since > today or g not in times:
            continue
        signs = [created.date(), traded, ordered.date() if ordered else None]
        last_sign = max(s for s in signs if s is not None)
        stopped = status == BusinessStatus.CLOSED or (today - last_sign).days > DORMANT_DAYS
        durations, events = times[g]
        if stopped:
            durations.append(max(months_between(since, last_sign) + 1, 0))
        else:
            durations.append(months_between(since, today))
        events.append(stopped)
    curves = []
    for g, (label, place, scope) in groups.items():
        durations, events = times[g]
        small = len(durations) < MIN_GROUP and not scope
        points = [] if small or not durations else kaplan_meier(durations, events)
        if not scope:  # the public sees the curve while at least 5 are still followed
            points = [p for p in points if p["at_risk"] >= MIN_GROUP]
        curves.append(
            Curve(
                g,
                label,
                place,
                small,
                None if small else len(durations),  # type: ignore[arg-type]
                None if small else sum(events),  # type: ignore[arg-type]
                points,
            )
        )
    return curves


def _empty() -> dict[str, Any]:
    """A month with nothing counted yet: zeros, and no median band (a band, not a number)."""
    return {**dict.fromkeys(SERIES_FIGURES, 0), "median_revenue_band": None}
