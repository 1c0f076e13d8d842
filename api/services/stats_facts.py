"""The per-business facts the statistics sum (``stats_facts``) and the population they are
summed over (``stats_members``: each business in each cohort of its owner's verified claims),
kept in the transaction that changes what they derive from.

Survival at N months asks, of every business and graduation day, whether a check-in or an order
falls in a window around a date: at provincial scale that is hundreds of thousands of index
probes per request. Those answers depend only on the business's rows, not on today (a horizon
that has not passed yet is stored too and counted once it has), so they are computed once per
change: a flush that adds, changes or deletes a check-in, an order, a business, a graduate
claim or a cohort's graduation day recomputes the rows of the businesses it touches, in the same
transaction, with three statements whatever their number (so does a disbursement or an order's
new status: the rows carry completed orders and sponsorship received). A new order, the most
frequent write, is added to its seller's rows instead (``_add_orders``: it can only move the last
order later, count once more, and make alive a known horizon whose window it falls in); a
business the same flush changes otherwise is recomputed whole. Writes that bypass the
ORM (a bulk load with COPY, hand-written SQL) are caught by ``flask housekeeping``, which
rebuilds every row (``refresh`` without ids); until then the figures of the businesses so
written lag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    inspect,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from api.models import (
    NO_DAY,
    Business,
    CheckIn,
    ClaimStatus,
    Cohort,
    Disbursement,
    DisbursementStatus,
    GraduateClaim,
    Order,
    OrderStatus,
    Sponsorship,
    StatsFact,
    StatsGraduate,
    StatsMember,
    User,
)
from api.services.stats import SURVIVAL_MONTHS, band_rank, horizons, orders_window

_NOTED = "stats_facts_changes"
_MEMBERS = "stats_members_changes"  # a flush changed what ``stats_members`` derives from
_MEMBERS_FROM = (Business, GraduateClaim, Cohort)
# The fields whose change changes a business's facts, per model.
_FIELDS: dict[type, tuple[str, ...]] = {
    CheckIn: ("business_id", "month", "trading"),
    Order: ("business_id", "created_at", "status"),
    Disbursement: ("sponsorship_id", "status", "value_idr"),
    Business: ("owner_id", "created_at"),
    GraduateClaim: ("user_id", "cohort_id", "status"),
    Cohort: ("graduated_on", "program_id", "region_code", "year"),
}


def refresh(
    session: Session,
    *,
    business_ids: Collection[str] | None = None,
    members: bool = True,
    locked: bool = False,
) -> None:
    """Recompute the facts of these businesses (of every business without ids), and their
    ``stats_members`` rows unless ``members`` is False (what changed was their check-ins,
    orders or disbursements: the rows derive from the business, its owner's claims and the
    cohorts only)."""
    if business_ids is not None and not business_ids:
        return
    only = [] if business_ids is None else [Business.id.in_(sorted(business_ids))]
    if business_ids is not None and not locked:
        # Two writers of one business (two buyers of one seller at once) would each delete
        # its rows and insert their own: the second insert breaks the primary key. The
        # business rows, locked in one order, make the second wait for the first to commit
        # and then read what it wrote (READ COMMITTED: each statement sees the commits before
        # it). FOR NO KEY UPDATE, not FOR UPDATE: the writer's new order already holds a KEY
        # SHARE lock on its business (the foreign key), which FOR UPDATE would conflict with in
        # the other writer: a deadlock. SQLite serialises writers itself, ignoring the clause.
        lock_businesses(session, business_ids)
    for table in (StatsFact, StatsMember) if members else (StatsFact,):
        gone = delete(table).execution_options(synchronize_session=False)
        if business_ids is not None:
            gone = gone.where(table.business_id.in_(sorted(business_ids)))
        session.execute(gone)
    member = (
        select(
            Business.id.label("business_id"),
            Business.created_at.label("created_at"),
            *_cohort_columns(),
        )
        .select_from(GraduateClaim)
        .join(Cohort, Cohort.id == GraduateClaim.cohort_id)
        .join(Business, Business.owner_id == GraduateClaim.user_id)
        .where(GraduateClaim.status == ClaimStatus.VERIFIED, *only)
        .distinct()
        .subquery()
    )
    # Each business once per graduation day of its cohorts: what the facts are measured from.
    base = (
        select(
            member.c.business_id,
            func.coalesce(member.c.graduated_on, NO_DAY).label("since"),
            member.c.created_at,
        )
        .distinct()
        .cte("base")
    )
    if members:
        session.execute(
            insert(StatsMember).from_select(
                ["business_id", "cohort_id", "created_at", *FIRST_IN],
                select(
                    member.c.business_id,
                    member.c.cohort_id,
                    member.c.created_at,
                    *_firsts(member, member.c.business_id),
                ),
            ),
            execution_options={"synchronize_session": False},
        )
    days = set(session.scalars(select(base.c.since).distinct()))
    if not days:
        return
    table = horizons(days, None)
    columns: dict[str, Any] = {}
    stmt_from: Any = base
    for months in SURVIVAL_MONTHS:
        h = table.alias(f"h{months}")
        stmt_from = stmt_from.join(h, and_(h.c.since == base.c.since, h.c.months == months))
        reported_by_then = exists().where(
            CheckIn.business_id == base.c.business_id, CheckIn.month <= h.c.target
        )
        known = and_(
            base.c.since != NO_DAY,
            not_(and_(base.c.created_at >= h.c.next_day, not_(reported_by_then))),
        )
        traded = exists().where(
            CheckIn.business_id == base.c.business_id,
            CheckIn.trading.is_(True),
            or_(CheckIn.month == h.c.this_month, CheckIn.month == h.c.last_month),
        )
        ordered = exists().where(
            Order.business_id == base.c.business_id,
            Order.created_at >= h.c.orders_from,
            Order.created_at < h.c.next_day,
        )
        columns[f"target_{months}m"] = h.c.target
        columns[f"known_{months}m"] = _flag(known)
        columns[f"alive_{months}m"] = _flag(and_(known, or_(traded, ordered)))
    columns["last_trading_month"] = (
        select(func.max(CheckIn.month))
        .where(CheckIn.business_id == base.c.business_id, CheckIn.trading.is_(True))
        .scalar_subquery()
    )
    columns["last_order_at"] = (
        select(func.max(Order.created_at))
        .where(Order.business_id == base.c.business_id)
        .scalar_subquery()
    )
    columns["orders_completed"] = (
        select(func.count(Order.id))
        .where(Order.business_id == base.c.business_id, Order.status == OrderStatus.COMPLETED)
        .scalar_subquery()
    )
    columns["sponsorship_idr"] = (
        select(func.coalesce(func.sum(Disbursement.value_idr), 0))
        .join(Sponsorship, Sponsorship.id == Disbursement.sponsorship_id)
        .where(
            Sponsorship.business_id == base.c.business_id,
            Disbursement.status == DisbursementStatus.CONFIRMED,
        )
        .scalar_subquery()
    )
    rank = band_rank()
    for name, given, value in (
        ("revenue", CheckIn.revenue_idr.is_not(None), CheckIn.revenue_idr),
        ("band", rank.is_not(None), rank),
    ):
        latest = (
            select(CheckIn.month, value)
            .where(CheckIn.business_id == base.c.business_id, given)
            .order_by(CheckIn.month.desc())
            .limit(1)
        )
        columns[f"{name}_month"] = latest.with_only_columns(CheckIn.month).scalar_subquery()
        columns["revenue_idr" if name == "revenue" else "band_rank"] = latest.with_only_columns(
            value
        ).scalar_subquery()
    rows = select(base.c.business_id, base.c.since, *columns.values()).select_from(stmt_from)
    session.execute(
        insert(StatsFact).from_select(["business_id", "since", *columns], rows),
        execution_options={"synchronize_session": False},
    )


FIRST_IN = ("first_in_program", "first_in_region", "first_in_year")


def _cohort_columns() -> list[Any]:
    return [
        Cohort.id.label("cohort_id"),
        Cohort.program_id.label("program_id"),
        Cohort.region_code.label("region_code"),
        Cohort.year.label("year"),
        Cohort.graduated_on.label("graduated_on"),
    ]


def _firsts(rows: Any, who: Any) -> list[Any]:
    """For each row of ``rows`` (a cohort's columns and ``who``), whether its cohort is the
    earliest of ``who``'s cohorts (by graduation day, a cohort without one last, then id) of
    the same program, region, year: the flags ``FIRST_IN`` name."""
    earliest = (rows.c.graduated_on.is_(None), rows.c.graduated_on, rows.c.cohort_id)
    return [
        _flag(func.row_number().over(partition_by=(who, column), order_by=earliest) == 1)
        for column in (rows.c.program_id, rows.c.region_code, rows.c.year)
    ]


def refresh_graduates(session: Session, *, user_ids: Collection[str] | None = None) -> None:
    """Recompute the ``stats_graduates`` rows of these women (of everyone without ids): one
    per verified claim, flagged as her earliest cohort of its program, region and year."""
    if user_ids is not None and not user_ids:
        return
    only = [] if user_ids is None else [GraduateClaim.user_id.in_(sorted(user_ids))]
    if user_ids is not None:  # one writer of a woman's rows at a time, as ``refresh`` does
        session.execute(
            select(User.id)
            .where(User.id.in_(sorted(user_ids)))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )
    gone = delete(StatsGraduate).execution_options(synchronize_session=False)
    if user_ids is not None:
        gone = gone.where(StatsGraduate.user_id.in_(sorted(user_ids)))
    session.execute(gone)
    claims = (
        select(GraduateClaim.user_id.label("user_id"), *_cohort_columns())
        .join(Cohort, Cohort.id == GraduateClaim.cohort_id)
        .where(GraduateClaim.status == ClaimStatus.VERIFIED, *only)
        .distinct()
        .subquery()
    )
    session.execute(
        insert(StatsGraduate).from_select(
            ["user_id", "cohort_id", *FIRST_IN],
            select(claims.c.user_id, claims.c.cohort_id, *_firsts(claims, claims.c.user_id)),
        ),
        execution_options={"synchronize_session": False},
    )


def rebuild(
    new_session: Callable[[], Session],
    *,
    batch: int = 2000,
    echo: Callable[[str], None] | None = None,
) -> int:
    """Every business's rows, ``batch`` businesses per transaction (what ``flask housekeeping``
    runs, for rows written past the app): each batch locks only its businesses for the time of
    its own refresh, so writers wait at most one batch, never the whole rebuild. Rows of
    businesses deleted meanwhile go with them (``ON DELETE CASCADE``); businesses added after
    the list was read are written by their own transactions. Returns the businesses done."""
    with new_session() as session:
        ids = list(session.scalars(select(Business.id).order_by(Business.id)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with new_session() as session:
            refresh(session, business_ids=chunk)
            session.commit()
        if echo is not None:
            echo(f"  statistics' facts: {start + len(chunk):,}/{len(ids):,} businesses")
    with new_session() as session:
        women = list(
            session.scalars(
                select(GraduateClaim.user_id).distinct().order_by(GraduateClaim.user_id)
            )
        )
    for start in range(0, len(women), batch):
        with new_session() as session:
            refresh_graduates(session, user_ids=women[start : start + batch])
            session.commit()
    if echo is not None:
        echo(f"  statistics' graduates: {len(women):,} women")
    return len(ids)


def lock_businesses(session: Session, business_ids: Collection[str]) -> None:
    """The lock every writer of these businesses' rows takes first, in one order of ids."""
    session.execute(
        select(Business.id)
        .where(Business.id.in_(sorted(business_ids)))
        .order_by(Business.id)
        .with_for_update(key_share=True)
    )


def _add_orders(session: Session, placed: dict[str, list[Order]]) -> None:
    """Add new orders (flushed) to their sellers' facts, as ``refresh`` would count them: an
    order can only move the last order later, count once more if completed, and make a
    horizon whose window it falls in alive where it was known. The caller has locked the
    businesses (``lock_businesses``: a recompute of one in another transaction finishes first,
    and the rows read next are the ones it wrote). A statement and an update of the rows that
    change, where ``refresh`` rebuilds every row with its subqueries (the order path's most
    expensive part); ``tests/test_stats.py`` compares both."""
    if not placed:
        return
    ids = sorted(placed)
    fact = StatsFact.__table__
    alive = [f"alive_{m}m" for m in SURVIVAL_MONTHS]
    changes: list[dict[str, Any]] = []
    for row in session.execute(select(fact).where(fact.c.business_id.in_(ids))).mappings():
        orders = placed[row["business_id"]]
        newest = max(o.created_at for o in orders)
        last = row["last_order_at"]
        values: dict[str, Any] = {
            "last_order_at": newest if last is None else max(last, newest),
            "orders_completed": row["orders_completed"]
            + sum(o.status == OrderStatus.COMPLETED for o in orders),
        }
        for months, name in zip(SURVIVAL_MONTHS, alive, strict=True):
            target = row[f"target_{months}m"]
            values[name] = row[name] or (
                row[f"known_{months}m"] and any(_in_window(o.created_at, target) for o in orders)
            )
        if any(values[k] != row[k] for k in values):
            changes.append({"business_id": row["business_id"], "since": row["since"], **values})
    if changes:  # the ORM's bulk update by primary key: one executemany
        session.execute(update(StatsFact), changes)


def _in_window(at: dt.datetime, target: dt.date) -> bool:
    """Whether an order made ``at`` counts for the horizon ``target``."""
    opens, closes = orders_window(target)
    return opens <= at < closes


def _flag(condition: Any) -> Any:
    return case((condition, true()), else_=false())


# -- kept by the flush ---------------------------------------------------------------------------


def note_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Remember what this flush changes that the facts derive from (listener: before_flush)."""
    noted: list[tuple[str, Any]] = []
    touched: list[Any] = []  # the objects noted
    for obj in session.new:
        if type(obj) is Order:
            noted.append(("order", obj))  # added to its seller's facts, not recomputed
        elif type(obj) in _FIELDS:
            noted.append(("new", obj))
            touched.append(obj)
    for obj in session.deleted:
        if type(obj) in _FIELDS:
            noted.append(_values(obj, current=True))
            touched.append(obj)
    for obj in session.dirty:
        fields = _FIELDS.get(type(obj))
        if not fields:
            continue
        state = inspect(obj)
        changed = [state.attrs[name].history for name in fields]
        if any(h.has_changes() for h in changed):
            noted.append(_values(obj, current=False))
            noted.append(("new", obj))
            touched.append(obj)
    if noted:
        session.info.setdefault(_NOTED, []).extend(noted)
    if any(isinstance(obj, _MEMBERS_FROM) for obj in touched):
        session.info[_MEMBERS] = True


def forget_changes(session: Session, _previous_transaction: Any) -> None:
    """A flush that failed noted what it did not write (listener: after_soft_rollback, which
    follows it, for a savepoint too): nothing noted outlives it."""
    session.info.pop(_NOTED, None)
    session.info.pop(_MEMBERS, None)


def _values(obj: Any, *, current: bool) -> tuple[str, Any]:
    """What an object names before the flush (a deleted one: as it is; a changed one: as it was)."""
    state = inspect(obj)

    def before(name: str) -> Any:
        if current:
            return getattr(obj, name)
        history = state.attrs[name].history
        return (history.deleted or history.unchanged or [None])[0]

    if isinstance(obj, CheckIn | Order):
        return ("business", before("business_id"))
    if isinstance(obj, Business):
        return ("business", obj.id)
    if isinstance(obj, GraduateClaim):
        return ("owner", before("user_id"))
    if isinstance(obj, Disbursement):
        return ("sponsorship", before("sponsorship_id"))
    return ("cohort", obj.id)


def apply_changes(session: Session, _context: Any) -> None:
    """Recompute the facts of the businesses the flush touched (listener: after_flush_postexec)."""
    noted = session.info.pop(_NOTED, None)
    members = session.info.pop(_MEMBERS, False)
    if not noted:
        return
    businesses: set[str] = set()
    owners: set[str] = set()
    cohorts: set[str] = set()
    sponsorships: set[str] = set()
    placed: dict[str, dict[str, Order]] = {}
    for kind, value in noted:
        if kind == "order":
            if inspect(value).persistent:  # written by this flush, each once
                placed.setdefault(value.business_id, {})[value.id] = value
            continue
        if kind == "new":
            kind, value = _values(value, current=True)
        named = {"business": businesses, "owner": owners, "cohort": cohorts}
        named.get(kind, sponsorships).add(value)
    if sponsorships:
        businesses.update(
            session.scalars(
                select(Sponsorship.business_id).where(Sponsorship.id.in_(sorted(sponsorships)))
            )
        )
    if owners or cohorts:
        businesses.update(
            session.scalars(
                select(Business.id)
                .outerjoin(GraduateClaim, GraduateClaim.user_id == Business.owner_id)
                .where(
                    or_(
                        Business.owner_id.in_(sorted(owners)),
                        GraduateClaim.cohort_id.in_(sorted(cohorts)),
                    )
                )
            )
        )
    businesses.discard(None)
    # Both kinds locked at once, in one order (two locks, each sorted, could deadlock with
    # a flush touching the same businesses the other way round).
    if businesses or placed:
        lock_businesses(session, businesses | placed.keys())
    # A business the flush changed otherwise is recomputed whole, its new orders included.
    added = {b: list(o.values()) for b, o in placed.items() if b not in businesses}
    _add_orders(session, added)
    refresh(session, business_ids=businesses, members=members, locked=True)
    if owners or cohorts:
        women = set(owners)
        if cohorts:
            women.update(
                session.scalars(
                    select(GraduateClaim.user_id).where(
                        GraduateClaim.cohort_id.in_(sorted(cohorts))
                    )
                )
            )
        women.discard(None)
        refresh_graduates(session, user_ids=women)
