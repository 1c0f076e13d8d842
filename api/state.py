"""What the app factory assembles and the HTTP layer and CLI share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.security import Security
from api.services.auth import LockoutPolicy
from api.storage import Storage

if TYPE_CHECKING:
    from api.catalogue.cache import CatalogueCache
    from api.catalogue.counters import ViewCounter
    from api.replica import ReplicaRouter
    from api.services.identity import Tools


@dataclass
class AppState:
    """Settings, the database engine and session factory, and the security helpers."""

    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    security: Security
    lockout: LockoutPolicy
    storage: Storage
    # Messages to people and the one-time codes they carry (identity.Tools bundles them).
    tools: Tools
    # The catalogue's read model sets these (``api.catalogue.install``): product views, and
    # encoded public documents kept exact by PostgreSQL's notifications (None on SQLite).
    views: ViewCounter = field(init=False)
    catalogue: CatalogueCache | None = None
    # Anonymous public reads on a streaming replica (None: every read on the primary).
    replica: ReplicaRouter | None = None

    def new_session(self) -> Session:
        return self.sessionmaker()


EXTENSION_KEY = "berdaya"


def get_state(app: Any) -> AppState:
    """The state stored on a Flask app by create_app."""
    state: AppState = app.extensions[EXTENSION_KEY]
    return state
