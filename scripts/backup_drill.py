"""Backup drill: dump the PostgreSQL database, restore it into a fresh database, and prove the
copy is whole and works.

    .venv/bin/python scripts/backup_drill.py [--database-url URL] [--keep] [--dump-file PATH]

1. counts the rows of every table, then dumps with ``pg_dump --format=custom`` (a consistent
   snapshot), and counts again (a difference means the database was written meanwhile);
2. creates ``<name>_restore_<time>`` and restores into it with ``pg_restore``;
3. checks the copy's migrations are at the code's head and its row counts match;
4. starts the app on the copy and runs a smoke test (readiness, the catalogue, regions,
   categories, the spec);
5. drops the copy (``--keep`` leaves it) and exits non-zero if anything did not match.

DATABASE_URL (or --database-url) must be a PostgreSQL URL; pg_dump and pg_restore of the
server's major version must be on PATH.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import URL, make_url  # noqa: E402

from api.config import normalize_database_url  # noqa: E402


def say(message: str) -> None:
    print(message, flush=True)


def libpq(url: URL) -> str:
    """The URL for pg_dump and pg_restore (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def counts(url: URL) -> dict[str, int]:
    import api.models  # noqa: F401  (the complete metadata)
    from api.db import Base as DeclarativeBase

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = [t.name for t in DeclarativeBase.metadata.sorted_tables]
            tables.append("alembic_version")
            return {
                name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
                for name in tables
            }
    finally:
        engine.dispose()


def current_revision(url: URL) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from api.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def smoke(url: URL) -> list[str]:
    """Requests a user would make first; the failures, if any."""
    from api import create_app
    from api.state import get_state

    app = create_app(
        {
            "env": "production",
            "secret_key": "backup-drill-" + "x" * 40,
            "public_base_url": "https://berdaya.example.id",
            "database_url": url.render_as_string(hide_password=False),
            "jobs_backend": "none",
            "rate_limit_default": "",
        }
    )
    client = app.test_client()
    failures = []
    try:
        for path in (
            "/ready",
            "/v1/products?limit=5",
            "/v1/regions?limit=5",
            "/v1/categories",
            "/v1/businesses?limit=5",
            "/v1/openapi.json",
        ):
            answer = client.get(path)
            ok = answer.status_code == 200
            say(f"  GET {path}: {answer.status_code}{'' if ok else ' FAILED'}")
            if not ok:
                failures.append(f"GET {path} answered {answer.status_code}")
    finally:
        get_state(app).engine.dispose()
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="leave the restored copy")
    parser.add_argument("--dump-file", help="where to write the dump (default: a temporary file)")
    args = parser.parse_args()
    source = make_url(normalize_database_url(args.database_url))
    if source.get_backend_name() != "postgresql":
        say("the backup drill needs a PostgreSQL DATABASE_URL")
        return 2
    started = time.monotonic()
    problems: list[str] = []
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    copy = source.set(database=f"{source.database}_restore_{stamp}"[:63])
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(args.dump_file or Path(scratch) / "berdaya.dump")
        say(f"1/5 counting rows of {source.database}")
        before = counts(source)
        say(f"    {sum(before.values()):,} rows in {len(before)} tables")
        say(f"    pg_dump --format=custom -> {dump}")
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), libpq(source)],
            check=True,
        )
        after = counts(source)
        written = {t for t in before if before[t] != after[t]}
        say(
            f"    {dump.stat().st_size / 2**20:.1f} MiB"
            + (f"; written during the dump: {', '.join(sorted(written))}" if written else "")
        )
        say(f"2/5 restoring into {copy.database}")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{copy.database}"'))
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", libpq(copy), str(dump)],
                check=True,
            )
            say("3/5 checking migrations and row counts")
            revision, head = current_revision(copy), head_revision()
            say(f"    migrations at {revision} (code's head: {head})")
            if revision != head:
                problems.append(f"the copy is at revision {revision}, not {head}")
            restored = counts(copy)
            for table, expected in before.items():
                got = restored.get(table)
                low, high = sorted((expected, after[table]))
                if got is None or not low <= got <= high:
                    problems.append(f"{table}: {got} rows restored, {expected} in the source")
            say(
                f"    {len(restored)} tables, {sum(restored.values()):,} rows"
                f" ({'all match' if not problems else f'{len(problems)} problem(s)'})"
            )
            say("4/5 smoke test on the copy")
            problems += smoke(copy)
        finally:
            if args.keep:
                say(f"5/5 keeping {copy.database}")
            else:
                say(f"5/5 dropping {copy.database}")
                with admin.connect() as connection:
                    connection.execute(
                        text(f'DROP DATABASE IF EXISTS "{copy.database}" WITH (FORCE)')
                    )
            admin.dispose()
    elapsed = time.monotonic() - started
    if problems:
        say(f"backup drill FAILED in {elapsed:.0f} s:")
        for problem in problems:
            say(f"  - {problem}")
        return 1
    say(f"backup drill passed in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
