"""Instructions per request, in-process, counted by valgrind's callgrind.

    .venv/bin/python bench/instructions.py [--products 10000] [--requests 1000]

The wall-clock benchmark (bench/run.py) shares a 2-core VM whose speed drifts; a change of a few
tens of microseconds a request is lost in that noise. Callgrind counts instructions instead:
the same count for the same code and inputs, whatever else the machine does. Each scenario runs
in its own process under ``valgrind --tool=callgrind --instr-atstart=no``: the app (production
settings, as bench/run.py serves it, on the benchmark's PostgreSQL database of that size) is
built and warmed with 200 requests uncounted, then counting is switched on for ``--requests``
calls of the WSGI app. Gunicorn, the network and wrk are not in these figures: they show what
the app adds to the floor (the bare Flask endpoint of bench/floor.py), not the req/s.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = ("floor", "product detail", "product detail 304", "business detail")


def echo(message: str) -> None:
    print(message, flush=True)


def _environ(path: str, headers: dict[str, str]) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def child(scenario: str, url: str, requests: int) -> None:
    """Runs under callgrind: build, warm, count ``requests`` calls of the scenario."""
    import psycopg

    from bench.run import server_env

    os.environ.update(server_env(url))
    status: list[str] = []

    def start_response(line: str, _headers: Any, _exc: Any = None) -> None:
        status.append(line)

    if scenario == "floor":
        from bench.floor import app

        path, headers = "/floor", {}
    else:
        from wsgi import app

        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT p.id, p.business_id FROM products p WHERE p.listed ORDER BY p.id LIMIT 1"
            ).fetchone()
        assert row is not None, "no listed product: build the dataset with bench/run.py first"
        product_id, business_id = row
        path = (
            f"/v1/businesses/{business_id}"
            if "business" in scenario
            else f"/v1/products/{product_id}"
        )
        headers = {}
    for _ in range(200):  # warm: the worker's cache and its listener, Flask's own caches
        b"".join(app(_environ(path, headers), start_response))
        if len(status) == 1:
            time.sleep(0.5)  # the first request starts the cache's listener
    if scenario != "floor":
        from api.state import get_state

        cache = get_state(app).catalogue
        assert cache is not None and cache.live, "the catalogue cache is not live: nothing kept"
    if scenario.endswith("304"):
        etag = _etag(app, path)
        headers = {"If-None-Match": etag}
    expected = "304" if scenario.endswith("304") else "200"
    status.clear()
    b"".join(app(_environ(path, headers), start_response))
    assert status[-1].startswith(expected), f"{scenario}: {status[-1]}"
    subprocess.run(
        ["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True
    )
    for _ in range(requests):
        b"".join(app(_environ(path, headers), start_response))
    subprocess.run(
        ["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True
    )


def _etag(app: Any, path: str) -> str:
    headers: dict[str, str] = {}

    def start_response(_line: str, items: Any, _exc: Any = None) -> None:
        headers.update(items)

    b"".join(app(_environ(path, {}), start_response))
    return headers["ETag"]


def measure(scenario: str, url: str, requests: int) -> int:
    """Instructions per request of ``scenario``, from its own process under callgrind."""
    with tempfile.TemporaryDirectory(prefix="berdaya-callgrind-") as directory:
        return _measure(scenario, url, requests, Path(directory) / "callgrind.out")


def _measure(scenario: str, url: str, requests: int, out: Path) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        "--child",
        scenario,
        "--url",
        url,
        "--requests",
        str(requests),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"{scenario}: callgrind failed\n{result.stderr[-2000:]}")
    return int(found.group(1)) // requests


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--products", type=int, default=10000, help="which benchmark database")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.requests)
        return
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    from bench.run import prepare_database

    url, _ = prepare_database(args.database_url, args.products, reuse=True)
    counts: dict[str, int] = {}
    for scenario in SCENARIOS:
        started = time.monotonic()
        echo(f"{scenario}: {args.requests:,} requests under callgrind ...")
        counts[scenario] = measure(scenario, url, args.requests)
        echo(f"  {counts[scenario]:,} instructions a request ({time.monotonic() - started:.0f} s)")
    floor = counts["floor"]
    echo("")
    echo("| scenario | instructions a request | × floor | added to the floor |")
    echo("| --- | ---: | ---: | ---: |")
    for scenario, count in counts.items():
        echo(f"| {scenario} | {count:,} | {count / floor:.2f} | {count - floor:,} |")


if __name__ == "__main__":
    main()
