"""Alembic environment: the models' metadata, the URL from the caller or DATABASE_URL."""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from alembic import context

import api.models  # noqa: F401  (registers every model)
from api.config import Settings, normalize_database_url
from api.db import Base, UTCDateTime, make_engine

config = context.config
if config.config_file_name and not config.attributes.get("database_url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    return normalize_database_url(url or Settings().database_url)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Migrations stay free of app imports: UTCDateTime is rendered as its plain impl."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Columns the models no longer have and the database keeps for one release, so that the previous
# release's workers, still running between ``db-upgrade`` and their restart, find what they read
# and write (docs/operations.md, "Upgrading"). The next release's migration drops each.
# (``products.view_count``, retired by 0042, was dropped by 0044.)
RETIRED: set[tuple[str, str]] = set()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Search structures differ per backend and live in migration 0006, not in the models;
    retired columns are dropped a release after the models let them go."""
    if type_ == "column" and reflected and compare_to is None and (obj.table.name, name) in RETIRED:
        return False
    return not (name and (name.startswith("fts_") or name == "search_vector"))


COMMON = {
    "render_as_batch": True,
    "compare_type": True,
    "render_item": render_item,
    "include_object": include_object,
}


def run_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        **COMMON,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if not sqlite:
                # The app's 30-second limit protects requests; a migration that backfills a
                # national table takes longer, and is run by an operator who waits for it.
                connection.exec_driver_sql("SET statement_timeout = 0")
                connection.commit()
            if sqlite:
                # A batch migration rebuilds a table (copy, drop, rename); with foreign keys on,
                # dropping a referenced table would cascade into its children. Off for the run
                # (only possible outside a transaction), checked before commit.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                **COMMON,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
