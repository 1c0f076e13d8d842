"""Changes since: every list apps cache answers ``updated_since`` from one change log.

A flush that writes a row of a tracked kind (products, businesses, categories, mentoring
offers, needs, orders, courses) notes it; at commit the notes become ``row_changes`` rows, inserted
under the events' lock (``api.services.events``), so ``seq`` follows commit order as the
events feed's does and a reader never skips a row committed late. Regions are written in bulk
by their loader, which logs what it changed (``log_loaded``). A business's write is
also a write of its products (their documents carry its name and place, and its status decides
whether they are listed).

``paginate_changes`` answers a list in change order instead of its sort: the rows of the list that
changed after ``updated_since``, oldest change first, and tombstones for the ids that changed
but are no longer in the list (deleted, unpublished, hidden, or out of its filters). A
tombstone is only given to whom the row's change may be told: anyone when the row was
publicly listed before or after the write, otherwise its owners (``scope_id``).

``updated_until`` is the ``changed_at`` of the last change a page covers; sent back as
``updated_since`` it starts at or before that change, whatever clocks the servers kept
(changes of the same instant or a late commit are read again, never lost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, inspect, or_, select
from sqlalchemy.orm import Session, lazyload, object_session

from api.catalogue.listing import business_is_public, product_is_public, shown
from api.db import advisory_lock, on_rollback, utcnow
from api.models import (
    Business,
    Category,
    Course,
    CourseStatus,
    Membership,
    MentoringOffer,
    OfferStatus,
    Order,
    Product,
    Region,
    RowChange,
    SupportNeed,
)
from api.pagination import ChangesPage, Page, Tombstone, cursor_values, encode_cursor, paginate

CURSOR = "changes"  # the "sort" a changes cursor is made for
_NOTED = "berdaya_row_changes"


Getter = Callable[[str], Any]


@dataclass(frozen=True)
class Tracked:
    """How a kind of row is logged: who may learn of its changes (``scopes``: user ids), and
    whether it was public before the transaction's writes (``was``, from the committed values
    ``get`` reads) and is after them (``now``)."""

    kind: str
    scopes: Callable[[Any], tuple[str | None, ...]]
    was: Callable[[Any, Getter], bool]
    now: Callable[[Any], bool]


def _always(*_args: Any) -> bool:
    return True


def _never(*_args: Any) -> bool:
    return False


def _need_is_public(need: SupportNeed) -> bool:
    return need.business is None or business_is_public(need.business)


def _publishers(course: Course) -> tuple[str | None, ...]:
    """The members of the course's organisation (they list its drafts and archived ones)."""
    session = object_session(course)
    if session is None:
        return ()
    return tuple(
        session.scalars(
            select(Membership.user_id)
            .where(Membership.organization_id == course.organization_id)
            .order_by(Membership.user_id)
        )
    )


TRACKED: dict[type, Tracked] = {
    Product: Tracked(
        "product",
        lambda p: (p.business.owner_id,),
        # ``listed`` says whether it was public (a business's write updates it in SQL).
        lambda _p, get: bool(get("listed")),
        product_is_public,
    ),
    Business: Tracked(
        "business",
        lambda b: (b.owner_id,),
        lambda _b, get: shown(Business, get("status"), get("hidden_at")),
        business_is_public,
    ),
    Category: Tracked("category", lambda _c: (), _always, _always),
    MentoringOffer: Tracked(
        "mentoring_offer",
        lambda o: (o.mentor_id,),
        lambda _o, get: get("status") == OfferStatus.ACTIVE,
        lambda o: o.status == OfferStatus.ACTIVE,
    ),
    # A business's need follows its catalogue rule; a group's or a cohort's is listed.
    SupportNeed: Tracked(
        "need",
        lambda n: (n.business.owner_id,) if n.business is not None else (),
        lambda n, _get: _need_is_public(n),
        lambda n: _need_is_public(n),
    ),
    Order: Tracked("order", lambda o: (o.business.owner_id, o.buyer_id), _never, _never),
    # Published courses are listed for everyone; drafts and archived ones for the publisher's
    # members. Adding or deleting a module is a write of its course (its ``module_count``).
    Course: Tracked(
        "course",
        _publishers,
        lambda _c, get: get("status") == CourseStatus.PUBLISHED,
        lambda c: c.status == CourseStatus.PUBLISHED,
    ),
}
# Regions are written by the loader of the official list (``regions.load_regions``), which
# logs what it changed with ``log_loaded``.
KINDS = {Region: "region", **{model: tracked.kind for model, tracked in TRACKED.items()}}


# -- writing the log -----------------------------------------------------------------------------


@dataclass
class _Note:
    obj: Any
    was_public: bool
    deleted: bool = False
    cascade: bool = True  # a business's write is its products' too


# A bulk UPDATE of businesses with this execution option does not change what their products'
# documents show (``businesses.touch``: the last activity).
NOT_FOR_PRODUCTS = "berdaya_not_for_products"
# A bulk UPDATE whose caller has every row it matches in the session already (loaded, by
# primary key) names them with this option: they are noted without reading them again.
ROWS = "berdaya_rows"


def _noted(session: Session) -> dict[tuple[str, str], _Note]:
    if _NOTED not in session.info:
        session.info[_NOTED] = {}
        on_rollback(session, lambda: session.info.pop(_NOTED, None))
    noted: dict[tuple[str, str], _Note] = session.info[_NOTED]
    return noted


def _committed(obj: Any) -> Getter:
    """The values the row had before the flush about to run."""
    state = inspect(obj)

    def get(name: str) -> Any:
        history = state.attrs[name].history
        return history.deleted[0] if history.deleted else getattr(obj, name)

    return get


def note_writes(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: note the tracked rows it writes, and whether each was public before."""
    noted = _noted(session)
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            tracked = TRACKED.get(type(obj))
            if tracked is None:
                continue
            new = obj in session.new
            if not new and obj not in session.deleted and not session.is_modified(obj):
                continue
            key = (tracked.kind, obj.id)
            if key not in noted:
                noted[key] = _Note(obj, not new and tracked.was(obj, _committed(obj)))
            noted[key].deleted = obj in session.deleted
            noted[key].cascade = True


def note_bulk_writes(state: Any) -> None:
    """A bulk UPDATE of a tracked kind (a counter, a verified flag, ``products.listed``) is
    a write of the rows it matches: they are noted before it runs."""
    model: Any = state.bind_mapper.class_ if state.is_update and state.bind_mapper else None
    tracked = TRACKED.get(model) if model is not None else None
    if tracked is None:
        return
    session = state.session
    objects: list[Any] | None = state.execution_options.get(ROWS)
    if objects is None:
        where = state.statement.whereclause
        # The rows alone: what is noted reads their columns (and a product its business,
        # loaded if it is not in the session yet), never the photos and licences a document
        # shows. A row the session holds is the session's object, as ``ROWS`` gives it.
        query = select(model).options(lazyload("*"))
        with session.no_autoflush:
            found = session.scalars(query if where is None else query.where(where))
            objects = list(found.unique())
    noted = _noted(session)
    quiet = bool(state.execution_options.get(NOT_FOR_PRODUCTS))
    for obj in objects:
        key = (tracked.kind, obj.id)
        if key not in noted:
            current = _committed(obj)  # nothing is pending on it: its values now are "before"
            noted[key] = _Note(obj, tracked.was(obj, current), cascade=not quiet)
        elif not quiet:
            noted[key].cascade = True


def pending_log(session: Session) -> list[dict[str, Any]]:
    """At commit, before the events' lock (``events.write_pending`` has ``insert_log`` write
    them under it): one ``row_changes`` row per noted write and scope, as the values to
    insert, without their time."""
    session.flush()  # what is still pending is noted too
    noted: dict[tuple[str, str], _Note] = session.info.pop(_NOTED, {})
    if not noted:
        return []
    rows: list[dict[str, Any]] = []
    with session.no_autoflush:
        for (kind, subject_id), note in noted.items():
            tracked = TRACKED[type(note.obj)]
            public = note.was_public or (not note.deleted and tracked.now(note.obj))
            rows += _rows(kind, subject_id, tracked.scopes(note.obj), public)
            if kind == "business" and note.cascade:
                rows += _products_of(session, note, public)
    return rows


def insert_log(bind: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Write change-log rows (``pending_log``'s, a bulk load's) under the events' lock, so
    ``seq`` follows commit order, with the time the lock was had: as near their commit as may
    be, so that an ``updated_since`` a client chose skips none of them."""
    if not rows:
        return
    advisory_lock(bind, "events")
    now = utcnow()
    for row in rows:
        row["changed_at"] = now
    connection = bind.connection() if isinstance(bind, Session) else bind
    connection.execute(insert(RowChange), rows)


def _rows(
    kind: str, subject_id: str, scopes: Iterable[str | None], public: bool
) -> list[dict[str, Any]]:
    owners: list[str | None] = [s for s in dict.fromkeys(scopes) if s]
    return [
        {"kind": kind, "subject_id": subject_id, "scope_id": s, "public": public}
        for s in owners or [None]
    ]


def _products_of(session: Session, note: _Note, public: bool) -> list[dict[str, Any]]:
    """A business's write is its products' too; listed ones are told to everyone."""
    business = note.obj
    found = session.execute(
        select(Product.id, Product.status, Product.hidden_at).where(
            Product.business_id == business.id
        )
    )
    return [
        row
        for product_id, status, hidden_at in found
        for row in _rows(
            "product",
            product_id,
            (business.owner_id,),
            public and shown(Product, status, hidden_at),
        )
    ]


def log_loaded(connection: Connection, model: type, ids: Iterable[str]) -> None:
    """Log rows a bulk load wrote (public reference data), under the events' lock."""
    insert_log(
        connection,
        [{"kind": KINDS[model], "subject_id": i, "scope_id": None, "public": True} for i in ids],
    )


def prune(session: Session, *, older_than: dt.datetime) -> int:
    """Forget changes older than the events' retention (apps away longer read again)."""
    result = session.execute(
        delete(RowChange)
        .where(RowChange.changed_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- reading it ----------------------------------------------------------------------------------


def paginate_changes(
    session: Session,
    stmt: Any,
    *,
    model: type,
    since: dt.datetime | None,
    user_id: str | None = None,
    scope: Any = None,
    limit: int,
    cursor: str | None,
    load: Callable[[list[Any]], list[Any]] | None = None,
    id_column: Any = None,
    **sorted_by: Any,
) -> Page[Any]:
    """``api.pagination.paginate`` (the list's own order) without ``since``; with it, the
    rows of ``stmt`` that changed after it, in change order, and tombstones for the others
    that anyone, or the user ``user_id``, may know of. ``scope``, a condition on the model
    that no write changes (the list's business, its buyer), keeps other rows' changes out
    (rows deleted for good still get their tombstone)."""
    if since is None:
        return paginate(
            session,
            stmt,
            model=model,
            limit=limit,
            cursor=cursor,
            load=load,
            id_column=id_column,
            **sorted_by,
        )
    kind = KINDS[model]
    key: Any = inspect(model).primary_key[0]  # products' id, regions' code
    after = (
        cursor_values(cursor, CURSOR, [RowChange.seq])[0]
        if cursor
        else _start(session, kind, since)
    )
    visible: Any = RowChange.public.is_(True)
    if user_id:
        visible = or_(visible, RowChange.scope_id == user_id)
    if scope is not None:
        gone = ~select(key).where(key == RowChange.subject_id).exists()
        visible = and_(visible, or_(RowChange.subject_id.in_(select(key).where(scope)), gone))
    rows = session.execute(
        select(RowChange.seq, RowChange.subject_id, RowChange.changed_at)
        .where(RowChange.kind == kind, RowChange.seq > after, visible)
        .order_by(RowChange.seq)
        .limit(limit * 4 + 1)
    ).all()
    last: dict[str, tuple[int, dt.datetime]] = {}
    taken = 0
    for seq, subject_id, changed_at in rows:
        if subject_id not in last and len(last) == limit:
            break
        last.pop(subject_id, None)  # keep its latest change, in that change's place
        last[subject_id] = (seq, changed_at)
        taken += 1
    if not last:
        return ChangesPage([], None, updated_until=since)
    ids = list(last)
    present = set(session.scalars(stmt.with_only_columns(id_column or key).where(key.in_(ids))))
    kept = [i for i in ids if i in present]
    items = load(kept) if load is not None else _load(session, stmt, key, kept)
    end_seq, end_at = max(last.values())
    return ChangesPage(
        items,
        encode_cursor(CURSOR, [end_seq]) if taken < len(rows) else None,
        deleted=[Tombstone(i, last[i][1]) for i in ids if i not in present],
        updated_until=end_at,
    )


def _start(session: Session, kind: str, at: dt.datetime) -> int:
    """The seq just before the first change of ``kind`` logged at or after ``at``."""
    first = session.scalar(
        select(func.min(RowChange.seq)).where(RowChange.kind == kind, RowChange.changed_at >= at)
    )
    if first is not None:
        return int(first) - 1
    return int(session.scalar(select(func.max(RowChange.seq))) or 0)


def _load(session: Session, stmt: Any, key: Any, ids: list[str]) -> list[Any]:
    found = session.scalars(stmt.where(key.in_(ids))).unique()
    loaded = {getattr(item, key.key): item for item in found}
    return [loaded[i] for i in ids]


def with_items(page: Page[Any], items: list[Any]) -> Page[Any]:
    """The same page (its tombstones and sync point kept) with its items shown otherwise."""
    if isinstance(page, ChangesPage):
        return replace(page, items=items)
    return Page(items, page.next_cursor)
