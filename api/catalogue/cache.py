"""Public catalogue documents, encoded once per worker and kept exact by PostgreSQL.

A public product or business document (``api.catalogue.reads``) is the same for everyone who does
not see more than the public (the owner and in-scope admins do). Each worker keeps the encoded
JSON and the ETag of the ones it read last (``CATALOGUE_CACHE_SIZE`` of them, oldest out first),
so a product read, a 304 and the items of a search page cost no query and no encoding.

How it stays exact:

- Triggers on every table a document shows (migration 0021) send ``NOTIFY berdaya_catalogue``
  inside the writing transaction, so PostgreSQL delivers it at commit, and never for a rollback,
  whoever wrote (the app, the CLI, a migration, psql). One listener thread per worker process
  evicts what each notification names (``p:<product>``, ``b:<business>`` with its products,
  ``bd:<business>`` for the business's own document alone, ``*`` for everything).
- The worker that makes a change evicts it itself, at flush and at commit, without waiting for
  the notification: it never serves its own change stale. Another worker may serve the old
  document for the moment the notification takes to arrive (milliseconds).
- A read that overlapped any eviction does not store what it read (a generation count), so a
  document read just before a commit is never kept after it.
- While the listener is not connected (at start, while the database restarts) the cache is
  neither read nor filled; it starts empty each time the listener (re)connects.

SQLite (the embedded default) has no notifications, and another process (the CLI) may write,
so the cache is off there.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from api.models import Business, BusinessLicence, Category, Photo, Product, Region

CHANNEL = "berdaya_catalogue"
LISTENER_NAME = "berdaya-catalogue-listener"  # its connection's application_name
EVERYTHING = "*"
SEARCHES = "s:*"  # every search page kept (fts_product_terms changed)
# ``bd:<id>``: the business's own document and not its products' (``b:<id>`` evicts both).
BUSINESS_ONLY = "bd:"
# What a business's document shows and its products' do not (``api.catalogue.reads``): a change
# to these alone, as an order's note of the seller's activity, keeps its products' documents.
# Migration 0043's trigger names the same columns for writes PostgreSQL announces.
BUSINESS_ONLY_COLUMNS = frozenset(
    (
        "last_activity_at",
        "updated_at",
        "version",  # each ORM update adds one (optimistic locking); no document shows it
        "description",
        "channels",
        "opening_hours",
        "founded_on",
        "rating_count",
        "rating_sum",
    )
)
PING = "ping:"  # a listener's notification to itself, to know it still hears


def business_only_key(business_id: str) -> str:
    """The key that evicts a business's own document and not its products'."""
    return f"{BUSINESS_ONLY}{business_id}"


log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Entry:
    """A public document as sent, with what decides who may be sent it."""

    body: bytes
    etag: str
    owner_id: str
    village_code: str
    business_id: str  # a product's business (evicted with it); a business's own id
    expires_at: float | None = None  # (epoch seconds) when it changes by itself, with no write
    # The compact item of a list (``view=compact``), encoded from the same document: kept and
    # evicted with it, so both views of a list are as current as the document.
    summary: bytes | None = None
    group_id: str | None = None  # a group's listing (its officers see more)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """The ids of a page of search results in order, and the next page's cursor; or only a
    query's words' counts of matches (``counts``), which choose its way
    (``api.catalogue.search``) without counting again."""

    ids: tuple[str, ...]
    next_cursor: str | None
    counts: tuple[int, ...] | None = None


class CatalogueCache:
    """Encoded public documents of one app, keyed ``p:<id>`` / ``b:<id>``; and pages of search
    results, keyed ``s:<query>``, all evicted by ``s:*``."""

    def __init__(self, size: int, listener: _Listener | None = None) -> None:
        self.size = size
        self._listener = listener
        self._entries: dict[str, Entry] = {}
        self._products_of: dict[str, set[str]] = {}
        self._searches: dict[str, SearchPage] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._evicted_at = time.monotonic()  # the last eviction (or start over)
        # When the current request's database was known current (a replica's; api.replica),
        # None for the primary, which is always current.
        self.fence: Callable[[], float | None] = _on_primary
        self.live = False  # the listener is connected: entries may be served and stored

    # -- reads -----------------------------------------------------------------------------

    def ensure_listening(self) -> None:
        """Start this process's listener if it has none yet (the first request of a worker)."""
        if self._listener is not None:
            self._listener.ensure_started()

    def get(self, key: str) -> Entry | None:
        if not self.live:
            return None
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at is not None and time.time() >= entry.expires_at:
            return None  # replaced by the next read's put
        return entry

    def token(self) -> int | None:
        """Taken before reading the database; ``put`` stores only if nothing was evicted since.
        None (store nothing) on a replica not known to have replayed past the last eviction:
        it could still show what was evicted."""
        if not self.live:
            return None
        fresh_as_of = self.fence()
        if fresh_as_of is not None and fresh_as_of <= self._evicted_at:
            return None
        return self._generation

    def put(self, key: str, entry: Entry, token: int | None) -> None:
        with self._lock:
            if token is None or token != self._generation or not self.live:
                return
            if key not in self._entries and len(self._entries) >= self.size:
                self._drop(next(iter(self._entries)))  # the oldest stored
            self._entries[key] = entry
            if key.startswith("p:"):
                self._products_of.setdefault(entry.business_id, set()).add(key)

    def get_search(self, key: str) -> SearchPage | None:
        return self._searches.get(key) if self.live else None

    def put_search(self, key: str, page: SearchPage, token: int | None) -> None:
        with self._lock:
            if token is None or token != self._generation or not self.live:
                return
            if key not in self._searches and len(self._searches) >= self.size:
                del self._searches[next(iter(self._searches))]  # the oldest stored
            self._searches[key] = page

    # -- evictions -------------------------------------------------------------------------

    def evict(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._generation += 1
            self._evicted_at = time.monotonic()
            for key in keys:
                if key == EVERYTHING:
                    self._entries.clear()
                    self._products_of.clear()
                    self._searches.clear()
                    return
                if key == SEARCHES:
                    self._searches.clear()
                    continue
                if key.startswith(BUSINESS_ONLY):
                    self._drop("b:" + key[len(BUSINESS_ONLY) :])
                    continue
                self._drop(key)
                if key.startswith("b:"):
                    for product in self._products_of.pop(key[2:], ()):
                        self._drop(product)

    def set_live(self, live: bool) -> None:
        """Connected or not, the cache starts over: notifications may have been missed."""
        with self._lock:
            self._generation += 1
            self._evicted_at = time.monotonic()
            self._entries.clear()
            self._products_of.clear()
            self._searches.clear()
            self.live = live

    @property
    def generation(self) -> int:
        """How many evictions so far (a read that overlaps one is not kept)."""
        return self._generation

    def __len__(self) -> int:
        return len(self._entries) + len(self._searches)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and key.startswith("p:"):
            products = self._products_of.get(entry.business_id)
            if products is not None:
                products.discard(key)
                if not products:
                    del self._products_of[entry.business_id]


def _on_primary() -> float | None:
    return None


# -- one listener per process and database -----------------------------------------------------

_caches: weakref.WeakSet[CatalogueCache] = weakref.WeakSet()
_listeners: dict[str, _Listener] = {}
_listeners_lock = threading.Lock()


def make_cache(engine: Engine, size: int) -> CatalogueCache | None:
    """The app's cache, or None where it cannot be kept exact (SQLite) or is turned off."""
    if size <= 0 or engine.dialect.name != "postgresql":
        return None
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with _listeners_lock:
        listener = _listeners.get(url)
        if listener is None:
            listener = _listeners[url] = _Listener(url)
    cache = CatalogueCache(size, listener)
    _caches.add(cache)
    listener.add(cache)
    return cache


def evict_everywhere(keys: Iterable[str]) -> None:
    """Evict from every cache of this process (a change this process made)."""
    keys = list(keys)
    if keys:
        for cache in list(_caches):
            cache.evict(keys)


class _Listener:
    """A thread with its own connection, LISTENing; started in the process that serves (after
    gunicorn forks), and again after a fork."""

    RETRY_SECONDS = 1.0
    CHECK_SECONDS = 10.0

    def __init__(self, url: str) -> None:
        self.url = url
        self.caches: weakref.WeakSet[CatalogueCache] = weakref.WeakSet()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._connected = False

    def add(self, cache: CatalogueCache) -> None:
        """A new (empty) cache has missed nothing: live at once if the listener is connected."""
        with self._lock:
            self.caches.add(cache)
            if self._connected and self._pid == os.getpid():
                cache.set_live(True)

    def ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._connected = False
            for cache in list(self.caches):
                cache.set_live(False)  # a forked copy knows nothing of what it missed
            threading.Thread(target=self._run, name="catalogue-listener", daemon=True).start()

    def _set_live(self, live: bool) -> None:
        with self._lock:
            self._connected = live
            for cache in list(self.caches):
                cache.set_live(live)

    def _run(self) -> None:
        import psycopg

        pid = os.getpid()
        failing = False
        while self._pid == pid:
            try:
                with psycopg.connect(
                    self.url,
                    autocommit=True,
                    application_name=LISTENER_NAME,
                    connect_timeout=5,
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=5,
                    keepalives_count=3,
                    tcp_user_timeout=15_000,
                    options="-c statement_timeout=5000",
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._set_live(True)
                    if failing:
                        log.warning("catalogue cache listener connected again")
                    failing = False
                    for round_ in itertools.count():
                        if self._pid != pid:
                            break
                        self._listen_and_check(connection, f"{PING}{pid}:{round_}")
            except Exception as error:  # the database went away: read it directly, retry
                if not failing:
                    log.warning("catalogue cache off until its listener reconnects: %s", error)
                failing = True
            finally:
                self._set_live(False)
            time.sleep(self.RETRY_SECONDS)

    def _listen_and_check(self, connection: Any, ping: str) -> None:
        """Deliver notifications for CHECK_SECONDS, having sent one to itself first: if that one
        does not come back, notifications do not arrive (a dead connection, a pooler that
        does not keep LISTEN), and the cache must not be used."""
        connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, ping))
        heard = False
        for note in connection.notifies(timeout=self.CHECK_SECONDS):
            if note.payload == ping:
                heard = True
            elif not note.payload.startswith(PING):
                self._deliver(note.payload)
        if not heard:
            raise ConnectionError("the listener did not hear its own notification")

    def _deliver(self, payload: str) -> None:
        for cache in list(self.caches):
            cache.evict((payload,))


def _after_fork_in_child() -> None:
    """Locks held by another thread at the fork stay held in the child: make new ones."""
    global _listeners_lock
    _listeners_lock = threading.Lock()
    for listener in list(_listeners.values()):
        listener._lock = threading.Lock()
    for cache in list(_caches):
        cache._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


# -- this process's own changes, evicted at flush and at commit --------------------------------

_PENDING = "berdaya_catalogue_changes"


# What a product's words and listing (fts_product_terms, so search pages) depend on.
_SEARCHED = ("name", "tags", "description", "status", "hidden_at", "listed", "business_id")


def _keys_of(item: Any, *, whole: bool = False) -> Iterable[str]:
    """The keys a flushed object's change evicts; ``whole``: it was added or deleted."""
    if isinstance(item, Product):
        yield f"p:{item.id}"
        if whole or any(inspect(item).attrs[a].history.has_changes() for a in _SEARCHED):
            yield SEARCHES
    elif isinstance(item, Business):
        # Its columns only: a change to a relationship (a licence added) is a change to the
        # related row, which names its own key, or to a foreign key column.
        state = inspect(item)
        if not whole and all(
            column.key in BUSINESS_ONLY_COLUMNS
            for column in state.mapper.column_attrs
            if state.attrs[column.key].history.has_changes()
        ):
            yield business_only_key(item.id)
        else:
            yield f"b:{item.id}"
            yield SEARCHES  # its status lists or unlists its products
    elif isinstance(item, BusinessLicence):
        yield business_only_key(item.business_id)  # its products do not show its licences
    elif isinstance(item, Photo):
        yield f"p:{item.product_id}" if item.product_id else business_only_key(item.business_id)
    elif isinstance(item, (Category, Region)):
        yield EVERYTHING


def _note(session: Session, keys: Iterable[str]) -> None:
    keys = set(keys)
    if keys and _caches:
        session.info.setdefault(_PENDING, set()).update(keys)
        evict_everywhere(keys)


def evict_flushed(session: Session, _context: Any) -> None:
    if _caches:
        _note(
            session,
            (
                key
                for items, whole in (
                    (session.new, True),
                    (session.dirty, False),
                    (session.deleted, True),
                )
                for item in items
                for key in _keys_of(item, whole=whole)
            ),
        )


_TABLE_KEYS: dict[str, str] = {
    "products": "p",
    "businesses": "b",
}
_EVERYTHING_TABLES = frozenset(("photos", "business_licences", "categories", "regions"))


# A bulk statement may say which documents it changes: ``execution_options(catalogue_keys=...)``.
KEYS_OPTION = "catalogue_keys"


def evict_bulk_statement(state: ORMExecuteState) -> None:
    """A bulk update or delete of a table a document shows evicts what it names
    (``KEYS_OPTION``), else what its ``WHERE <table>.id = <value>`` selects, else everything."""
    if not _caches or not (state.is_update or state.is_delete or state.is_insert):
        return
    named = state.execution_options.get(KEYS_OPTION)
    if named is not None:
        _note(state.session, named)
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if state.is_insert:  # a new product or business was not cached; a photo or licence shows
        if name in _EVERYTHING_TABLES:
            _note(state.session, [EVERYTHING])
        return
    if name in _TABLE_KEYS:
        found = _id_of(state.statement.whereclause, name)  # type: ignore[attr-defined]
        _note(state.session, [f"{_TABLE_KEYS[name]}:{found}", SEARCHES] if found else [EVERYTHING])
    elif name in _EVERYTHING_TABLES:
        _note(state.session, [EVERYTHING])


def _id_of(where: Any, table_name: str) -> str | None:
    """The id of ``WHERE <table>.id = <value>``, else None."""
    if (
        isinstance(where, BinaryExpression)
        and where.operator is operators.eq
        and getattr(getattr(where.left, "table", None), "name", None) == table_name
        and getattr(where.left, "name", None) == "id"
        and isinstance(where.right, BindParameter)
        and isinstance(where.right.value, str)
    ):
        return where.right.value
    return None


def evict_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: evicted again when the transaction commits
    keys = session.info.pop(_PENDING, None)
    if keys:
        evict_everywhere(keys)


def evict_rolled_back(session: Session, previous: Any) -> None:
    outermost = not previous.nested and previous.parent is None
    keys = session.info.pop(_PENDING, None) if outermost else session.info.get(_PENDING)
    if keys:
        # A savepoint's keys stay noted for the commit; what was read meanwhile is not kept.
        evict_everywhere(keys)
