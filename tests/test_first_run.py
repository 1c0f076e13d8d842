"""The first run: `make run` installs what running needs, and only that; the test and
development tools come with `make test`, `make lint` and `make typecheck`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dry_run(target: str, venv: Path) -> str:
    """The commands `make <target>` would run for a clone without a virtual environment."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    done = subprocess.run(
        [make, "-n", "-C", str(ROOT), target, f"VENV={venv}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def installs(commands: str) -> list[str]:
    return [line for line in commands.splitlines() if " pip " in line and " install " in line]


DEV_TOOLS = (
    "pytest",
    "schemathesis",
    "playwright",
    "moto",
    "mypy",
    "ruff",
    "openapi-python-client",
)


def pinned(lock: str) -> set[str]:
    """The package names a lock file pins."""
    lines = (ROOT / "requirements" / lock).read_text().splitlines()
    return {line.split("==")[0].strip().lower() for line in lines if "==" in line}


def test_make_run_installs_only_what_running_needs(tmp_path: Path) -> None:
    commands = installs(dry_run("run", tmp_path / ".venv"))
    assert any("--require-hashes -r requirements/run.txt" in c for c in commands), commands
    assert not any("dev.txt" in c or "[dev]" in c for c in commands), commands
    assert commands[-1].rstrip().endswith("--no-deps -e .")
    assert not pinned("run.txt") & set(DEV_TOOLS)


@pytest.mark.parametrize("target", ["test", "lint", "typecheck"])
def test_the_development_targets_add_the_dev_extras(target: str, tmp_path: Path) -> None:
    commands = installs(dry_run(target, tmp_path / ".venv"))
    assert any("--require-hashes -r requirements/dev.txt" in c for c in commands), commands
    assert set(DEV_TOOLS) <= pinned("dev.txt")


def test_every_dependency_of_pyproject_is_in_the_lock() -> None:
    """A dependency added to pyproject.toml without `make lock` would install nowhere (the
    installs are `--require-hashes` from the lock, then the project with `--no-deps`)."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        found = (re.match(r"[A-Za-z0-9_.-]+", r) for r in requirements)
        return {m.group(0).lower().replace("_", "-") for m in found if m}

    extras = project["optional-dependencies"]
    assert names(project["dependencies"] + extras["s3"]) <= pinned("run.txt")
    assert names(project["dependencies"] + extras["dev"]) <= pinned("dev.txt")
