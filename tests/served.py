"""The app as `make run` serves it: a process of its own on a real socket, driven over HTTP only.

`serve()` runs `make run` itself (the same install check, migrations, regions, demo data and
gunicorn command a new user runs) against a fresh SQLite file or a fresh PostgreSQL database,
and stops the whole process group afterwards. `Http` times every request: the served journeys
hold each one under a second (a guard against stalls, not a benchmark).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
# What a request may take on `make run` (2 cores, SQLite or PostgreSQL, four threads).
REQUEST_BUDGET_SECONDS = 1.0
# The one named exception: a certificate's PDF is drawn at its first download, and the first
# drawn in a process imports fpdf2 and fontTools (0.56 s measured, then 0.13 s to draw; ~0.7 s
# idle, just over 1.0 s on a loaded CI machine). Later downloads read the kept file.
FIRST_DRAW_BUDGET_SECONDS = 2.5
FIRST_DRAW = re.compile(r"^/v1/training-certificates/[^/]+/pdf$")
# Migrations, 91,599 regions and the demo data, on a slow machine.
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    base: str
    log: Path
    port: int

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def problems_in_log(self) -> list[str]:
        """Lines of the server's log that say something went wrong."""
        return [
            line
            for line in self.log_text().splitlines()
            if " ERROR " in line or "Traceback" in line or " CRITICAL " in line
        ]


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A fresh database on the server of ``url``, dropped afterwards."""
    parsed = psycopg.conninfo.conninfo_to_dict(url.replace("postgresql+psycopg", "postgresql"))
    name = f"berdaya_served_{uuid.uuid4().hex[:10]}"
    admin = {**parsed, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    host = parsed.get("host", "127.0.0.1")
    port = parsed.get("port", "5432")
    user = parsed.get("user", "postgres")
    try:
        yield f"postgresql://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def serve(workdir: Path, database_url: str, **env: str) -> Iterator[Served]:
    """`make run` on a free port with its own database and media folder."""
    port = free_port()
    log = workdir / "make-run.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BERDAYA_", "TEST_"))},
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [shutil.which("make") or "make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, flask and gunicorn: one group to stop
        )
    served = Served(base=f"http://127.0.0.1:{port}", log=log, port=port)
    try:
        _wait_for_health(served, process)
        yield served
    finally:
        _stop(process)


def _wait_for_health(served: Served, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"make run exited {process.returncode}:\n{served.log_text()}")
        try:
            # The master listens before its worker has loaded the app: the first answer waits.
            if requests.get(f"{served.base}/health", timeout=30).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"make run did not answer /health in {STARTUP_SECONDS} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Timed:
    method: str
    url: str
    status: int
    seconds: float

    @property
    def over_budget(self) -> bool:
        drawn = self.method == "GET" and FIRST_DRAW.match(self.url) is not None
        return self.seconds >= (FIRST_DRAW_BUDGET_SECONDS if drawn else REQUEST_BUDGET_SECONDS)


@dataclass
class Http:
    """A caller of the served app: bearer token or API key, every request timed."""

    base: str
    token: str | None = None
    api_key: str | None = None
    timings: list[Timed] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)
    # Access tokens by sign-in, shared by every caller made from this one: a journey signs in
    # once, as a person would, and stays within the per-address sign-in limit.
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, *, token: str | None = None, api_key: str | None = None) -> Http:
        """Another caller sharing this one's record of timings and sign-ins."""
        return Http(
            self.base, token=token, api_key=api_key, timings=self.timings, tokens=self.tokens
        )

    def request(self, method: str, path: str, expect: int | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if self.api_key:
            headers.setdefault("X-API-Key", self.api_key)
        url = path if path.startswith("http") else f"{self.base}{path}"
        started = time.perf_counter()
        response = self.session.request(
            method, url, headers=headers, timeout=30, allow_redirects=False, **kw
        )
        self.timings.append(
            Timed(method, path, response.status_code, time.perf_counter() - started)
        )
        if expect is not None:
            assert response.status_code == expect, (
                f"{method} {path}: {response.status_code} {response.text[:500]}"
            )
        return response

    def get(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.request("GET", path, expect, **kw)

    def post(self, path: str, expect: int | None = None, **kw: Any) -> Any:
        return self.request("POST", path, expect, **kw)

    def patch(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.request("PATCH", path, expect, **kw)

    def put(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.request("PUT", path, expect, **kw)

    def slow(self) -> list[Timed]:
        return [t for t in self.timings if t.over_budget]

    def sign_in(self, login: dict[str, str]) -> Http:
        who = login.get("email") or login["phone"]
        if who not in self.tokens:
            self.tokens[who] = self.post("/v1/auth/login", 200, json=login).json()["access_token"]
        return self.as_(token=self.tokens[who])


def jpeg(
    width: int = 800, height: int = 600, colour: tuple[int, int, int] = (200, 120, 40)
) -> bytes:
    """A photo as a phone camera would send it."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=85)
    return out.getvalue()
