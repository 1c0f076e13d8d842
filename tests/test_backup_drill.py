"""The backup drill dumps the real PostgreSQL database, restores it into a fresh one, checks
migrations and row counts, and smoke-tests the copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.slow  # dumps, restores and checks a whole copy

ROOT = Path(__file__).resolve().parent.parent
DRILL = ROOT / "scripts" / "backup_drill.py"


def run(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DRILL), "--database-url", url, *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
        check=False,
    )


@pytest.mark.postgres
def test_the_drill_restores_a_whole_working_copy(database_url: str) -> None:
    done = run(database_url, "--keep")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "backup drill passed" in done.stdout
    assert "all match" in done.stdout and "GET /v1/products?limit=5: 200" in done.stdout
    kept = next(
        line.split()[-1] for line in done.stdout.splitlines() if line.startswith("5/5 keeping")
    )
    admin = create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            assert connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": kept}
            ).scalar()
            connection.execute(text(f'DROP DATABASE "{kept}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_the_drill_refuses_a_database_it_cannot_dump(tmp_path: Path) -> None:
    done = run(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert done.returncode == 2 and "needs a PostgreSQL" in done.stdout


def test_the_drill_is_documented() -> None:
    assert TEST_DATABASE_URL is None or TEST_DATABASE_URL  # the suite's database setting
    assert "scripts/backup_drill.py" in (ROOT / "docs" / "operations.md").read_text()
