"""The unit of work around every view: one commit when the view succeeds, a rollback
otherwise; a POST's ``Idempotency-Key`` claimed and completed (or released) with it; a change
made by a facilitator for an alumna audited with both identities."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from api.db import READ_ONLY
from api.errors import DomainError
from api.http import idempotency
from api.http.access import authorized
from api.http.apidoc import operation_id
from api.http.context import db
from api.services import audit
from api.state import get_state


def unit_of_work(
    view: Callable[..., Any],
    *,
    idempotent: bool,
    read_only: bool = False,
    replica: bool = False,
    auth: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """Run the view; commit once if it succeeded, roll back if not. A GET whose connection
    turns out dead (the database restarted since it was last used) is run again once, on a
    fresh connection: reading twice is harmless, and the user sees no error. An
    Idempotency-Key is looked at only once the caller may call the operation (401 and 403
    come first, as for every other check)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        read_as(read_only=read_only, replica=replica)
        if request.method != "GET":
            return run(*args, **kwargs)
        try:
            return run(*args, **kwargs)
        except READ_FAILURES as error:
            after_failed_read(error)
            return run(*args, **kwargs)

    def run(*args: Any, **kwargs: Any) -> Any:
        claim = None
        if idempotent:
            if auth is not None and request.headers.get(idempotency.HEADER) is not None:
                authorized(auth["optional"], auth["roles"])
            begun = idempotency.begin()
            if isinstance(begun, Response):
                return begun
            claim = begun
        try:
            response = make_response(current_app.ensure_sync(view)(*args, **kwargs))
            if response.status_code < 400:
                _audit_assisted(view.__name__, kwargs)
                if claim is not None:
                    idempotency.complete(claim, response)
                if "db_session" in g and not _autocommitted():
                    db().commit()
            elif claim is not None:
                if "db_session" in g:
                    db().rollback()
                idempotency.release(claim)
            return response
        except BaseException as error:
            if "db_session" in g:
                if isinstance(error, DomainError) and error.persist:
                    db().commit()
                else:
                    db().rollback()
            if claim is not None:
                idempotency.release(claim)
            raise

    return wrapper


def read_as(*, read_only: bool, replica: bool) -> None:
    """How the request's session is opened (``context.db``) for a view that only reads
    (``read_only``: no transaction, a write refused) and may read the replica (``replica``);
    by the unit of work, and by the early answer before dispatch."""
    if read_only:
        g.read_only = True
        if "db_session" in g:  # opened by the API key's check, which notes the key's use:
            g.db_session.info[READ_ONLY] = True  # kept (committed), the view's refused
    if replica:
        g.replica = True


READ_FAILURES = (DBAPIError, SQLAlchemyTimeoutError)


def after_failed_read(error: DBAPIError | SQLAlchemyTimeoutError) -> None:
    """A GET's read failed: when the replica failed it (down, restarting, a recovery
    conflict), the replica is left out until its next check; when the connection turned out
    dead (the database restarted since it was last used), it is dropped. Either way the
    request's session is closed, so that reading again uses the primary, or a fresh
    connection. Any other failure is raised again."""
    if g.pop("replica_fresh_as_of", None) is not None:
        router = get_state(current_app).replica
        if router is not None:
            router.mark_down(type(error).__name__)
        g.replica_refused = True
    elif not isinstance(error, DBAPIError) or not error.connection_invalidated:
        raise error
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def _autocommitted() -> bool:
    """Each statement of the request's session committed itself (a GET's that does not write, see
    ``context.db``): nothing is left to commit, and committing would cost a round of
    SQLAlchemy. A session opened earlier (an API key's, by the scope check) is not."""
    return bool(g.get("db_autocommit"))


def _audit_assisted(operation: str, view_args: dict[str, Any]) -> None:
    """A change made by a facilitator for an alumna is audited with both identities, whatever
    the operation (reads are not); once, if its events did not audit it already."""
    if request.method in ("GET", "HEAD", "OPTIONS") or "actor" not in g:
        return
    if "db_session" in g and db().info.get("audited"):
        return
    actor = g.actor
    if actor.assisted_by is None:
        return
    ids = [str(v) for v in view_args.values() if isinstance(v, str)]
    audit.write(
        db(),
        actor=actor,
        action=operation_id(operation),
        subject_type="request",
        subject_id=(ids[-1] if ids else "")[:40],
        data={"method": request.method, "path": request.path[:300]},
    )
