"""The suite's own shape: shared helpers live in helper modules, not in other test files (a
test file imported by another runs its fixtures twice and ties the two together)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_file_imports_another() -> None:
    importing = re.compile(r"^\s*(from\s+tests\.test_\w+\s+import|import\s+tests\.test_)", re.M)
    offenders = sorted(
        path.name for path in TESTS.glob("*.py") if importing.search(path.read_text())
    )
    assert offenders == [], "move what they share to tests/helpers.py or tests/worlds.py"
