"""gunicorn forks its workers from a master that built the app (``preload_app``): a database
connection opened in the master must never be used by a worker, or two processes would talk
over one socket. Every engine the app makes is emptied in a forked child (``api.db``)."""

from __future__ import annotations

import os

from sqlalchemy import text

from api.db import make_engine


def test_a_forked_process_opens_its_own_connections(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:  # the parent's connection, back in its pool
        parent_backend = connection.execute(text("SELECT 1")).scalar()
        raw = connection.connection.dbapi_connection
    assert engine.pool.checkedin() == 1
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if it starts empty and works on its own
        status = 1
        try:
            if engine.pool.checkedin() == 0:
                with engine.connect() as connection:
                    fresh = connection.connection.dbapi_connection is not raw
                    works = connection.execute(text("SELECT 1")).scalar() == 1
                status = 0 if fresh and works else 2
        finally:
            os._exit(status)
    _, waited = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(waited) == 0
    # The parent's connection was neither closed nor disturbed by the child.
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is raw
        assert connection.execute(text("SELECT 1")).scalar() == parent_backend
    engine.dispose()
