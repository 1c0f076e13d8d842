"""Every SQLAlchemy session listener of the app, registered here, in this order, and nowhere
else (no module registers one as a side effect of being imported).

``create_app`` calls ``install`` (once per process is enough; again is harmless). Listeners on
an engine (SQLite's pragmas, the ping of an idle connection) belong to the engine that
``api.db.make_engine`` makes; a per-session one-shot hook (``event.listen(session, ...,
once=True)``) stays with the code that needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from api import db
from api.catalogue import cache as catalogue_cache
from api.catalogue import changes as catalogue_changes
from api.services import audit, changes, events, stats_facts

SESSION_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    # A GET not run in a transaction (Blueprint.in_transaction) runs without one: it
    # may not write.
    ("before_flush", db.refuse_writes),
    ("do_orm_execute", db.refuse_bulk_writes),
    # After the transaction: files written or deleted in storage follow its fate.
    ("after_commit", db.run_after_commit),
    ("after_soft_rollback", db.run_after_rollback),
    # Audit: one entry per record whose status a flush changes.
    ("before_flush", audit.record_status_changes),
    # Events: those recorded during the transaction are written at its commit, with their
    # notifications and audiences; so is the change log, under the same lock.
    ("before_commit", events.write_pending),
    # Changes since: the rows of the lists apps cache that a flush writes are noted, and
    # logged at commit under the events' lock (commit order, as the events feed's).
    ("before_flush", changes.note_writes),
    ("do_orm_execute", changes.note_bulk_writes),
    # The read model: this worker evicts the cached documents its own writes change (at
    # flush, for a bulk statement, at commit and rollback)...
    ("after_flush", catalogue_cache.evict_flushed),
    ("do_orm_execute", catalogue_cache.evict_bulk_statement),
    ("after_commit", catalogue_cache.evict_committed),
    ("after_soft_rollback", catalogue_cache.evict_rolled_back),
    # ...and ``products.listed`` follows "publicly listed" for what a flush changed.
    ("before_flush", catalogue_changes.note_listing_changes),
    ("after_flush_postexec", catalogue_changes.update_listing),
    # The statistics' per-business facts follow the check-ins, orders, businesses, claims and
    # graduation days a flush changes, in its transaction.
    ("before_flush", stats_facts.note_changes),
    ("after_flush_postexec", stats_facts.apply_changes),
    ("after_soft_rollback", stats_facts.forget_changes),
)


def install() -> None:
    """Register ``SESSION_LISTENERS`` on every session (those already registered are kept)."""
    for name, listener in SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
