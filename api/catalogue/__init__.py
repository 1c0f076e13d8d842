"""The catalogue's read model: how the public catalogue is read fast and kept exact.

- ``listing``: "publicly listed", defined once (Python predicates and SQL from one rule).
- ``changes``: the catalogue's changes as events (``product.published``...) and the
  ``products.listed`` column kept from the rule at every flush.
- ``reads``: public documents read without the ORM (the ORM path stays the reference).
- ``cache``: each worker's encoded public documents and search pages, evicted by PostgreSQL's
  notifications (LISTEN/NOTIFY) and by this process's own writes.
- ``search``: the public product search.
- ``counters``: product views, tallied in memory and flushed in batches.
- ``early_answer``: an anonymous GET of a public document answered before dispatch.

``install`` puts the per-app parts on an app; the session listeners that keep the cache and
``products.listed`` exact are registered with every other one in ``api.listeners``.
"""

from __future__ import annotations

from flask import Flask

from api.catalogue.cache import make_cache
from api.catalogue.counters import ViewCounter
from api.catalogue.early_answer import serve_public_document
from api.http import context
from api.state import AppState


def install(app: Flask, state: AppState) -> None:
    """Install the read model on ``app``, whose other ``before_request`` hooks are registered:

    - ``state.views``: the view counter (flushed by a thread of its own, except in the suite,
      whose sessions join each test's transaction: there tests flush it themselves);
    - ``state.catalogue``: the worker's cache of public documents (None on SQLite, or when
      ``CATALOGUE_CACHE_SIZE`` is 0), fenced by the replica's freshness when there is one;
    - the early answer, as the app's last ``before_request`` hook (after the request id, the
      body checks and the rate limit).
    """
    settings = state.settings
    state.views = ViewCounter(
        settings.view_flush_seconds,
        sessions=None if settings.env == "testing" else state.sessionmaker,
    )
    state.catalogue = make_cache(state.engine, settings.catalogue_cache_size)
    if state.catalogue is not None and state.replica is not None:
        # What a replica read may store: only what it read after the last eviction.
        state.catalogue.fence = context.replica_fresh_as_of
    app.before_request(serve_public_document)
