"""Program statistics per cohort, program, region or year, computed by the database, with small
groups suppressed.

A group's population is the businesses of its verified graduates. Survival at N months: of the
businesses known to exist N months after graduation (listed by then, or with a check-in for a
month up to then), the share with a trading check-in in that
month or the month before, or an order in the 60 days before it; reported once that date has
passed (a check-in counts however it came: the API, a facilitator, or a reply to the monthly
WhatsApp/SMS question). Median monthly revenue: over check-ins of the last 12 months that give
``revenue_idr``. Median revenue band: over check-ins of the last 12 months that give a
``revenue_band`` or an amount (an amount without a band counts as the band it falls in,
``BAND_FLOORS``), so the women who answer by a button, with a band and no amount, are counted
too; the lower median, as a band is a rank, not a number.
Groups of fewer than ``MIN_GROUP`` businesses show only their key and ``suppressed`` to anyone
but admins whose regions hold every cohort of the group.

Every figure is one aggregate statement grouped by the group's key (``GROUP BY``, ``EXISTS``,
and ``row_number()``/``count()`` windows for the median), written once with SQLAlchemy so that
PostgreSQL and SQLite run the same SQL: a request costs the same few statements whatever the
number of businesses. Only the calendar arithmetic (N months after a graduation day) is done in
Python, once per distinct graduation day, and handed to the database as a small table.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
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
    NO_DAY,
    Business,
    BusinessStatus,
    CheckIn,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    MentoringRequest,
    Product,
    ProductStatus,
    Program,
    RequestStatus,
    RevenueBand,
    RosterEntry,
    StatsFact,
    StatsGraduate,
    StatsMember,
)
from api.services import regions
from api.services.authz import Actor

MIN_GROUP = 5
BANDS = tuple(RevenueBand)
# The smallest monthly amount (rupiah) of each band: "under 1 million" is 1 to 999,999.
BAND_FLOORS = {
    RevenueBand.NONE: 0,
    RevenueBand.UNDER_1M: 1,
    RevenueBand.FROM_1M_TO_5M: 1_000_000,
    RevenueBand.FROM_5M_TO_15M: 5_000_000,
    RevenueBand.OVER_15M: 15_000_000,
}
SURVIVAL_MONTHS = (3, 6, 12, 24)
GROUPS = ("cohort", "program", "region", "year")
FIGURES = (
    "graduates",
    "verified_graduates",
    "businesses_started",
    "share_active",
    *(f"survival_{m}m" for m in SURVIVAL_MONTHS),
    "median_monthly_revenue_idr",
    "median_revenue_band",
    "products_listed",
    "orders",
    "mentoring_completed",
    "sponsorship_value_idr",
)


@dataclass(frozen=True)
class _CohortRow:
    """What a group keeps of each of its cohorts."""

    id: str
    name: str
    program_id: str
    region_code: str
    year: int


@dataclass
class Group:
    key: str
    label: str
    cohorts: list[Any] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    suppressed: bool = False


def group_key(group: str) -> Any:
    """The SQL expression of a cohort's group key."""
    if group == "cohort":
        return Cohort.id
    if group == "program":
        return Cohort.program_id
    if group == "region":
        return Cohort.region_code
    return cast(Cohort.year, String)


def _label(group: str, cohort: Any, program_name: str) -> tuple[str, str]:
    if group == "cohort":
        return cohort.id, cohort.name
    if group == "program":
        return cohort.program_id, program_name
    if group == "region":
        return cohort.region_code, cohort.region_code  # named below, all at once
    return str(cohort.year), str(cohort.year)


def cohort_filter(
    program: str | None, year: int | None, region: str | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if program:
        where.append(Cohort.program_id == program)
    if year:
        where.append(Cohort.year == year)
    if region:
        where.append(regions.within(Cohort.region_code, region))
    return where


def compute(
    session: Session,
    *,
    actor: Actor,
    group: str,
    program: str | None = None,
    year: int | None = None,
    region: str | None = None,
    today: dt.date | None = None,
) -> list[Group]:
    today = today or utcnow().date()
    where = cohort_filter(program, year, region)
    # The cohorts' few columns the labels and the scope check read, not whole entities: a
    # province has hundreds of cohorts.
    rows = session.execute(
        select(
            Cohort.id, Cohort.name, Cohort.program_id, Cohort.region_code, Cohort.year, Program.name
        )
        .join(Program, Program.id == Cohort.program_id)
        .where(*where)
        .order_by(Cohort.year, Cohort.name, Cohort.id)
    ).all()
    groups: dict[str, Group] = {}
    for cohort_id, name, program_id, region_code, cohort_year, program_name in rows:
        row = _CohortRow(cohort_id, name, program_id, region_code, cohort_year)
        key, label = _label(group, row, program_name)
        groups.setdefault(key, Group(key, label)).cohorts.append(row)
    if not groups:
        return []
    if group == "region":
        named = regions.names(session, groups)
        for item in groups.values():
            item.label = named.get(item.key, item.key)
    figures = _figures(session, group, where, today)
    for item in groups.values():
        item.figures = {name: figures[name].get(item.key) for name in FIGURES}
        for name in ("graduates", "verified_graduates", "businesses_started", "products_listed"):
            item.figures[name] = item.figures[name] or 0
        for name in ("orders", "mentoring_completed", "sponsorship_value_idr"):
            item.figures[name] = item.figures[name] or 0
        small = item.figures["businesses_started"] < MIN_GROUP
        in_scope = actor.is_admin and all(actor.covers(c.region_code) for c in item.cohorts)
        if small and not in_scope:
            item.suppressed = True
            item.figures = dict.fromkeys(FIGURES)
    return list(groups.values())


def roomy(session: Session) -> None:
    """On PostgreSQL, let this transaction's sorts and hashes over the province's businesses
    and check-ins stay in memory (the default 4 MB spills them to disk) and skip JIT
    compilation (it costs more than it saves here). One statement; nothing on SQLite. A
    GET that calls it is marked ``Blueprint.in_transaction``: without a transaction each
    statement is its own, and the settings would be gone before the next."""
    if session.get_bind().dialect.name == "postgresql":
        connection = session.connection()
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            raise RuntimeError("stats.roomy needs a transaction: mark the GET in_transaction")
        session.execute(
            select(func.set_config("work_mem", "64MB", True), func.set_config("jit", "off", True))
        )


def population(group: str, where: list[ColumnElement[bool]], *, activity: bool = True) -> Any:
    """(key, business, created_at, since[, status, last_activity_at]): each business of a
    verified graduate of the group's cohorts once per group, measured from her earliest
    graduation among them. Read from ``stats_members`` (kept with the facts) joined to the
    cohorts: by cohort, its rows are already one per business; for a whole program, region or
    year (no filter), the rows flagged as each business's earliest cohort there; only a
    filtered group is grouped here. ``activity`` adds the business's status and last activity
    (a join with the businesses, which only the figures of activity need)."""
    key = group_key(group)
    if group == "cohort" or not where:
        flagged = [] if group == "cohort" else [getattr(StatsMember, f"first_in_{group}")]
        members: Any = (
            select(
                key.label("key"),
                StatsMember.business_id.label("business_id"),
                StatsMember.created_at.label("created_at"),
                Cohort.graduated_on.label("since"),
            )
            .join(Cohort, Cohort.id == StatsMember.cohort_id)
            .where(*where, *[flag.is_(True) for flag in flagged])
        )
    else:
        members = (
            select(
                key.label("key"),
                StatsMember.business_id.label("business_id"),
                StatsMember.created_at.label("created_at"),
                func.min(Cohort.graduated_on).label("since"),
            )
            .join(Cohort, Cohort.id == StatsMember.cohort_id)
            .where(*where)
            .group_by(key, StatsMember.business_id, StatsMember.created_at)
        )
    if not activity:
        return members.cte("pop")
    inner = members.subquery("members")
    return (
        select(
            *inner.c,
            Business.status.label("status"),
            Business.last_activity_at.label("last_activity_at"),
        )
        .join(Business, Business.id == inner.c.business_id)
        .cte("pop")
    )


def midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in UTC, as the windows of orders and activity are counted."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def orders_window(target: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """When an order counts for a survival horizon's day ``target``: from the 60 days before
    it to the end of that day (the second bound excluded)."""
    return midnight(target - dt.timedelta(days=60)), midnight(target + dt.timedelta(days=1))


def horizons(days: Iterable[dt.date], today: dt.date | None, name: str = "horizons") -> Any:
    """For each graduation day and survival horizon that has passed by ``today`` (all of them
    without one): the target day, the two months whose trading check-ins count, and the window
    of orders that count."""
    parts = []
    for since in sorted(days):
        for months in SURVIVAL_MONTHS:
            target = add_months(since, months)
            if today is not None and target > today:
                continue
            first = target.replace(day=1)
            orders_from, next_day = orders_window(target)
            parts.append(
                select(
                    literal(since, Date).label("since"),
                    literal(months, Integer).label("months"),
                    literal(target, Date).label("target"),
                    literal(first, Date).label("this_month"),
                    literal(add_months(first, -1), Date).label("last_month"),
                    literal(orders_from, UTCDateTime).label("orders_from"),
                    literal(next_day, UTCDateTime).label("next_day"),
                )
            )
    if not parts:
        return None
    return (union_all(*parts) if len(parts) > 1 else parts[0]).cte(name)


def band_of(amount: int) -> RevenueBand:
    """The band a monthly amount falls in."""
    return [band for band in BANDS if amount >= BAND_FLOORS[band]][-1]


def band_rank() -> Any:
    """A check-in's band as its rank in ``BANDS`` (0 = none): its ``revenue_band``, else the
    band its ``revenue_idr`` falls in, else null."""
    given = [(CheckIn.revenue_band == band, i) for i, band in enumerate(BANDS)]
    floors = [
        (CheckIn.revenue_idr >= BAND_FLOORS[band], i)
        for i, band in reversed(list(enumerate(BANDS)))
    ]
    return case(*given, *floors, else_=None)


def _by_key(session: Session, stmt: Any) -> dict[str, Any]:
    return {key: value for key, value in session.execute(stmt)}


def _figures(
    session: Session,
    group: str,
    where: list[ColumnElement[bool]],
    today: dt.date,
) -> dict[str, dict[str, Any]]:
    key = group_key(group)
    roomy(session)
    figures: dict[str, dict[str, Any]] = {}
    figures["graduates"] = _by_key(
        session,
        select(key, func.count(RosterEntry.id))
        .join(Cohort, Cohort.id == RosterEntry.cohort_id)
        .where(*where)
        .group_by(key),
    )
    figures["verified_graduates"] = _by_key(session, _verified_graduates(group, where))
    pop = population(group, where)
    started: dict[str, int] = {}
    share: dict[str, float | None] = {}
    for months in SURVIVAL_MONTHS:
        figures[f"survival_{months}m"] = {}
    orders: dict[str, int] = {}
    sponsored: dict[str, int] = {}
    medians: dict[str, int] = {}
    bands: dict[str, RevenueBand] = {}
    year_ago = add_months(today.replace(day=1), -12)
    revenue = and_(StatsFact.revenue_idr.is_not(None), StatsFact.revenue_month >= year_ago)
    band = and_(StatsFact.band_rank.is_not(None), StatsFact.band_month >= year_ago)
    postgresql = session.get_bind().dialect.name == "postgresql"
    # The medians by PostgreSQL's ordered-set aggregates in the same pass: ``percentile_cont``
    # averages the two middle amounts (truncated below as ``int(statistics.median(...))`` is,
    # exact for whole rupiah below 2^52), ``percentile_disc`` gives the lower median band.
    middles = (
        [
            func.percentile_cont(0.5).within_group(StatsFact.revenue_idr).filter(revenue),
            func.percentile_disc(0.5).within_group(StatsFact.band_rank).filter(band),
        ]
        if postgresql
        else [literal(None), literal(None)]
    )
    for item, n_orders, value, amount, rank, *counts in session.execute(
        with_facts(
            select(
                pop.c.key,
                func.sum(StatsFact.orders_completed),
                func.sum(StatsFact.sponsorship_idr),
                *middles,
                *activity_sums(pop, today, SURVIVAL_MONTHS),
            ),
            pop,
        ).group_by(pop.c.key)
    ):
        orders[item] = int(n_orders or 0)
        sponsored[item] = int(value or 0)
        if amount is not None:
            medians[item] = int(amount)
        if rank is not None:
            bands[item] = BANDS[int(rank)]
        shown = activity_shares(counts, SURVIVAL_MONTHS)
        started[item] = shown["businesses"]
        share[item] = shown["share_active"]
        for months in SURVIVAL_MONTHS:
            figures[f"survival_{months}m"][item] = shown[f"survival_{months}m"]
    figures["businesses_started"] = started
    figures["share_active"] = share
    lean = population(group, where, activity=False)
    if not postgresql:
        medians = _median(session, lean, StatsFact.revenue_idr, revenue, low=False)
        ranks = _median(session, lean, StatsFact.band_rank, band, low=True)
        bands = {item: BANDS[rank] for item, rank in ranks.items()}
    figures["median_monthly_revenue_idr"] = medians
    figures["median_revenue_band"] = bands
    figures["products_listed"] = _by_key(
        session,
        select(lean.c.key, func.count(Product.id))
        .join(Product, Product.business_id == lean.c.business_id)
        .where(Product.status == ProductStatus.PUBLISHED)
        .group_by(lean.c.key),
    )
    figures["orders"] = orders
    # From the completed mentorings (thousands) to their mentees' claims, not from every
    # claim of the province to the mentorings; each mentoring once per group.
    figures["mentoring_completed"] = _by_key(
        session,
        select(key, func.count(func.distinct(MentoringRequest.id)))
        .select_from(MentoringRequest)
        .join(GraduateClaim, GraduateClaim.user_id == MentoringRequest.alumna_id)
        .join(Cohort, Cohort.id == GraduateClaim.cohort_id)
        .where(
            MentoringRequest.status == RequestStatus.COMPLETED,
            GraduateClaim.status == ClaimStatus.VERIFIED,
            *where,
        )
        .group_by(key),
    )
    figures["sponsorship_value_idr"] = sponsored
    return figures


def _verified_graduates(group: str, where: list[ColumnElement[bool]]) -> Any:
    """Each group's women with a verified claim to one of its cohorts, each once: by cohort or
    for a whole program, region or year, a count of the rows ``stats_graduates`` flags (her
    earliest cohort there); filtered, a ``count(DISTINCT)`` over the claims."""
    key = group_key(group)
    if group == "cohort" or not where:
        flagged = [] if group == "cohort" else [getattr(StatsGraduate, f"first_in_{group}")]
        return (
            select(key, func.count())
            .select_from(StatsGraduate)
            .join(Cohort, Cohort.id == StatsGraduate.cohort_id)
            .where(*where, *[flag.is_(True) for flag in flagged])
            .group_by(key)
        )
    return (
        select(key, func.count(func.distinct(GraduateClaim.user_id)))
        .join(Cohort, Cohort.id == GraduateClaim.cohort_id)
        .where(GraduateClaim.status == ClaimStatus.VERIFIED, *where)
        .group_by(key)
    )


def _fact(name: str) -> Any:
    return getattr(StatsFact, name).is_(True)


# -- activity and survival of a population: the one definition --------------------------------
# ``_figures`` and ``stats_helped`` count both on a population (``population``'s columns: key,
# business_id, created_at, status, last_activity_at, since) joined to ``stats_facts``.


def is_active(pop: Any) -> ColumnElement[bool]:
    """Not closed, and active in the last ``ACTIVE_DAYS`` (or never reported)."""
    active_since = utcnow() - dt.timedelta(days=ACTIVE_DAYS)
    return and_(
        pop.c.status != BusinessStatus.CLOSED,
        or_(pop.c.last_activity_at.is_(None), pop.c.last_activity_at > active_since),
    )


def with_facts(stmt: Any, pop: Any) -> Any:
    """``stmt`` over ``pop`` joined to each business's facts for its graduation day."""
    return stmt.select_from(pop).outerjoin(StatsFact, facts_of(pop))


def activity_sums(pop: Any, today: dt.date, horizons: Iterable[int]) -> list[Any]:
    """Aggregates (for ``with_facts``) read back by ``activity_shares``: the businesses, those
    active, and at each horizon that has passed by ``today`` those known to exist and those
    trading then, from the flags ``stats_facts`` keeps (one pass, no probe per business)."""
    sums: list[Any] = [func.count(), func.sum(case((is_active(pop), 1), else_=0))]
    for months in horizons:
        passed = getattr(StatsFact, f"target_{months}m") <= today
        known = and_(passed, _fact(f"known_{months}m"))
        sums.append(func.sum(case((known, 1), else_=0)))
        sums.append(func.sum(case((and_(known, _fact(f"alive_{months}m")), 1), else_=0)))
    return sums


def activity_shares(values: Sequence[Any], horizons: Iterable[int]) -> dict[str, Any]:
    """``businesses``, ``share_active`` and ``survival_{N}m`` from the sums of one group."""
    count, active, *survival = (int(v or 0) for v in values)
    shares: dict[str, Any] = {
        "businesses": count,
        "share_active": round(active / count, 4) if count else None,
    }
    for i, months in enumerate(horizons):
        existing, alive = survival[2 * i], survival[2 * i + 1]
        shares[f"survival_{months}m"] = round(alive / existing, 4) if existing else None
    return shares


def facts_of(pop: Any) -> Any:
    """The join of a population to its businesses' facts (measured from her earliest
    graduation in the group)."""
    return and_(
        StatsFact.business_id == pop.c.business_id,
        StatsFact.since == func.coalesce(pop.c.since, NO_DAY),
    )


def _median(session: Session, pop: Any, value: Any, condition: Any, *, low: bool) -> dict[str, int]:
    """Each group's median of a fact ``value`` over the businesses of ``pop`` that meet
    ``condition``, by window functions: the middle row, or the average of the two middle rows
    truncated as ``int(statistics.median(...))`` is (``low``: the lower middle row, as
    ``statistics.median_low``). Where PostgreSQL's ordered-set aggregates are missing."""
    ranked = (
        select(
            pop.c.key.label("key"),
            value.label("value"),
            func.row_number().over(partition_by=pop.c.key, order_by=value).label("rank"),
            func.count().over(partition_by=pop.c.key).label("n"),
        )
        .join(StatsFact, facts_of(pop))
        .where(condition)
        .subquery()
    )
    middle: Any = ranked.c.rank == (ranked.c.n + 1) // 2
    if not low:
        middle = or_(middle, ranked.c.rank == (ranked.c.n + 2) // 2)
    return {
        group: int((int(smallest) + int(largest)) / 2)
        for group, smallest, largest in session.execute(
            select(ranked.c.key, func.min(ranked.c.value), func.max(ranked.c.value))
            .where(middle)
            .group_by(ranked.c.key)
        )
    }


def csv_rows(group: str, rows: Iterable[Group]) -> list[list[Any]]:
    out: list[list[Any]] = [[group, "label", "suppressed", *FIGURES]]
    for item in rows:
        out.append(
            [item.key, item.label, "yes" if item.suppressed else "no"]
            + ["" if item.figures[f] is None else item.figures[f] for f in FIGURES]
        )
    return out


class AnswerCache:
    """Anonymous statistics answers of this process, kept ``seconds`` each: the public sees the
    same figures for the same question, so a burst of anonymous requests (a dashboard, a scraper
    under the rate limit) costs one computation per question per worker per interval. Bounded:
    the oldest answers go first past ``size``."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._items[key]
                return None
            return found[1]

    def put(self, key: Hashable, value: Any, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


answers = AnswerCache()
