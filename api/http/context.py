"""Per-request accessors: the database session, the caller, the language."""

from __future__ import annotations

import time

from flask import current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.db import READ_ONLY
from api.errors import Unauthorized
from api.i18n import DEFAULT_LANGUAGE, LANGUAGES
from api.services import api_keys, assist, audit, auth
from api.services.authz import ANONYMOUS, Actor
from api.state import AppState, get_state


def state() -> AppState:
    return get_state(current_app)


def db() -> Session:
    """The request's session; the unit of work commits it once when the view succeeds."""
    session: Session | None = g.get("db_session")
    if session is None:
        session = _replica_session() or state().new_session()
        g.db_session = session
        if "actor" in g:
            audit.act_as(session, g.actor)
        if g.get("read_only"):
            session.info[READ_ONLY] = True  # a write is refused (api.db.refuse_writes)
        if g.get("read_only") and isinstance(session.bind, Engine):
            # A GET that does not write (Blueprint.in_transaction): no transaction, so no BEGIN nor
            # COMMIT round trips (a session joined to an outer connection, as in the tests,
            # keeps the outer transaction).
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            g.db_autocommit = True
    return session


def _replica_session() -> Session | None:
    """A session on the replica for an anonymous ``Blueprint.from_replica`` GET while the
    replica is current enough (``api.replica``); None for everything else (the primary)."""
    router = state().replica
    if (
        router is None
        or not g.get("replica")
        or g.get("replica_refused")
        or request.method != "GET"
        or "Authorization" in request.headers
        or API_KEY_HEADER in request.headers
    ):
        return None
    fresh_as_of = router.usable()
    if fresh_as_of is None:
        return None
    g.replica_fresh_as_of = fresh_as_of
    return router.sessions()


def replica_fresh_as_of() -> float | None:
    """When the replica this request reads was known current (monotonic); None on the primary
    (``CatalogueCache.token`` stores a replica's read only if it is newer than its evictions)."""
    if not has_request_context():
        return None
    db()  # where this request reads is decided with its session (reads may open it later)
    fresh: float | None = g.get("replica_fresh_as_of")
    return fresh


def close_session(_exc: BaseException | None = None) -> None:
    """Teardown: roll back whatever was not committed and return the connection."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def current_actor() -> Actor:
    """Who is calling: from ``Authorization: Bearer``; an invalid token is a 401 everywhere."""
    if "actor" not in g:
        g.actor_tried = True
        g.actor, g.auth_session_id = _resolve_actor()
        if "db_session" in g:  # the changes it makes are hers in the audit log
            audit.act_as(g.db_session, g.actor)
    actor: Actor = g.actor
    return actor


def current_session_id() -> str | None:
    """The sign-in session of the access token, if any."""
    current_actor()
    session_id: str | None = g.auth_session_id
    return session_id


API_KEY_HEADER = "X-API-Key"


def _resolve_actor() -> tuple[Actor, str | None]:
    header = request.headers.get("Authorization")
    key = request.headers.get(API_KEY_HEADER)
    if key is not None:
        if header or request.headers.get("X-On-Behalf-Of"):
            raise Unauthorized("ambiguous_credentials")
        return api_keys.authenticate(db(), key.strip()), None
    if not header:
        return ANONYMOUS, None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("invalid_token")
    actor, session_id = auth.authenticate(db(), security=state().security, token=token.strip())
    on_behalf_of = request.headers.get("X-On-Behalf-Of")
    if on_behalf_of:
        actor = assist.acting_for(db(), facilitator=actor, alumna_id=on_behalf_of.strip())
    return actor, session_id


def language(default: str = DEFAULT_LANGUAGE, *, resolve: bool = True) -> str:
    """``id`` or ``en``: what Accept-Language asks for; without it (or naming neither), the
    stored ``locale`` of the signed-in person who reads the answer (a facilitator's own when
    she acts for someone); else ``default``: English for API consumers (anonymous callers and
    apps with a key). ``resolve=False`` (answering a server error): only a caller already
    identified, without asking the database again."""
    if "language" not in g:
        asked = request.accept_languages.best_match(LANGUAGES)
        g.language = asked or _stored_locale(resolve) or default
    lang: str = g.language
    return lang


def _stored_locale(resolve: bool) -> str | None:
    if "Authorization" not in request.headers or API_KEY_HEADER in request.headers:
        return None
    if "actor" in g:
        actor: Actor = g.actor
    elif not resolve or g.get("actor_tried"):  # it failed once (an invalid token): no again
        return None
    else:
        try:
            actor = current_actor()
        except Exception:  # an invalid token, the database away: the default language
            return None
    reader = actor.assisted_by or actor.user
    locale = reader.locale if reader is not None else None
    return locale if locale in LANGUAGES else None


def answer_no_sooner_than(seconds: float) -> None:
    """Hold this request's answer until ``seconds`` after now (``api._after_request`` waits,
    after the transaction has committed): an answer that must not tell whether an account
    exists takes as long either way, whatever the work behind it."""
    g.answer_not_before = time.monotonic() + seconds
