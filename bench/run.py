"""The benchmark: `make bench` (or `.venv/bin/python bench/run.py --products 1000000`).

Builds (or reuses) a PostgreSQL database with the dataset, serves the app under gunicorn as in
production (sync workers = cores) and a bare Flask endpoint with the same settings (the
framework floor), loads each scenario with wrk from a separate process on 127.0.0.1, times the
raw SQL the app runs for each scenario, and writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, event  # noqa: E402

from bench import dataset  # noqa: E402

BENCH = ROOT / "bench"
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
SECRET = "bench-secret-key-bench-secret-key-bench-secret-key"


def echo(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- database --------------------------------------------------------------------------------


def prepare_database(base: str, products: int, reuse: bool) -> tuple[str, dict[str, int]]:
    from api.migrate import upgrade
    from api.services.regions import load_regions

    name = f"berdaya_bench_{products}"
    parsed = urllib.parse.urlsplit(base)
    url = urllib.parse.urlunsplit(parsed._replace(path=f"/{name}"))
    admin = psycopg.connect(base, autocommit=True)
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    sa_url = url.replace("postgresql://", "postgresql+psycopg://")
    if exists and reuse:
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT count(*) FROM products").fetchone()
            count = int(row[0]) if row else 0
            before = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if count == products:
            echo(f"reusing {name} ({count:,} products); migrating it to head")
            upgrade(sa_url)
            with psycopg.connect(url, autocommit=True) as connection:
                after = connection.execute("SELECT version_num FROM alembic_version").fetchone()
                if after != before:
                    echo("  vacuuming and analysing after the migrations")
                    connection.execute("VACUUM (ANALYZE)")
            return url, {"products": count}
    echo(f"creating database {name}")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    upgrade(sa_url)
    engine = create_engine(sa_url)
    with engine.begin() as connection:
        load_regions(connection, echo=lambda m: None)
    engine.dispose()
    echo(f"generating {products:,} products (COPY)")
    started = time.monotonic()
    counts = dataset.generate(url, products=products, echo=echo)
    echo(f"dataset ready in {time.monotonic() - started:.0f} s: {counts}")
    return url, counts


# -- servers -----------------------------------------------------------------------------------


def server_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "BERDAYA_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": url,
        "PUBLIC_BASE_URL": "https://berdaya.example.id",
        "RATE_LIMIT_DEFAULT": "",  # measuring the API, not the limiter's refusals
        "JOBS_BACKEND": "none",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "4",
    }


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(GUNICORN),
            app,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + ("/floor" if "floor" in app else "/health"), timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def worker_peaks(master: int) -> list[int]:
    """Peak resident memory (VmHWM) of each gunicorn worker, in bytes."""
    peaks = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) * 1024)
    return peaks


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return response.status, dict(response.headers), json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), None


# -- scenarios ---------------------------------------------------------------------------------


def sample(url: str) -> dict[str, Any]:
    """Ids, ETags, words and cursors the scenarios use."""
    with psycopg.connect(url) as connection:
        products = [
            r[0] for r in connection.execute("SELECT id FROM products ORDER BY md5(id) LIMIT 500")
        ]
        businesses = [
            r[0] for r in connection.execute("SELECT id FROM businesses ORDER BY md5(id) LIMIT 500")
        ]
        # Four times what a worker's cache of documents keeps: most reads miss it.
        spread = [
            r[0]
            for r in connection.execute(
                "SELECT id FROM products WHERE listed ORDER BY md5(id || 'spread') LIMIT 20000"
            )
        ]
        total = connection.execute("SELECT count(*) FROM products").fetchone()[0]
        selective: list[str] = []
        vocabulary = dataset._vocabulary(__import__("random").Random(2026))
        # Words matching 50-1,000 products: a sample across the Zipf tail (its head is too
        # frequent at a million products, its far end too rare at ten thousand).
        for word in vocabulary[::23]:
            row = connection.execute(
                "SELECT count(*) FROM products WHERE search_vector @@ to_tsquery('simple', %s)",
                (word + ":*",),
            ).fetchone()
            if row and 50 <= row[0] <= 1000:
                selective.append(word)
            if len(selective) >= 20:
                break
        if len(selective) < 5:
            raise SystemExit(f"only {len(selective)} words match 50-1,000 products")
        broad = connection.execute(
            "SELECT count(*) FROM products WHERE search_vector @@ to_tsquery('simple', 'kue:*')"
        ).fetchone()[0]
    # The whole tail from the first selective word on: more queries than a worker keeps
    # pages of, so most searches are not served from its cache.
    tail = vocabulary[vocabulary.index(selective[0]) :]
    return {
        "products": products,
        "tail": tail,
        "spread": spread,
        "businesses": businesses,
        "selective": selective,
        "broad_share": broad / max(total, 1),
    }


def deep_cursor(base: str, page: int, size: int = 20) -> str:
    """The cursor of page ``page`` of the newest-first product list (walked 100 at a time)."""
    cursor, seen = None, 0
    target = (page - 1) * size
    while seen < target:
        step = min(100, target - seen)
        query = {"limit": step, "sort": "newest", **({"cursor": cursor} if cursor else {})}
        status, _, body = get(f"{base}/v1/products?{urllib.parse.urlencode(query)}")
        assert status == 200, status
        cursor, seen = body["next_cursor"], seen + len(body["items"])
        if not cursor:
            raise SystemExit(f"the list ends before page {page}")
    assert cursor
    return cursor


def buyer_tokens(url: str, count: int) -> list[str]:
    from sqlalchemy import select

    from api import create_app
    from api.models import User
    from api.services import auth as auth_service
    from api.state import get_state

    app = create_app(
        {
            "env": "production",
            "secret_key": SECRET,
            "public_base_url": "https://berdaya.example.id",
            "database_url": url.replace("postgresql://", "postgresql+psycopg://"),
        }
    )
    state = get_state(app)
    tokens = []
    with state.new_session() as session:
        buyers = session.scalars(select(User).where(User.role == "buyer").limit(count)).all()
        for buyer in buyers:
            tokens.append(
                auth_service.open_session(session, security=state.security, user=buyer).access_token
            )
        session.commit()
    state.engine.dispose()
    return tokens


def order_body(product: dict[str, Any]) -> str:
    return json.dumps(
        {
            "business_id": product["business"]["id"],
            "items": [{"product_id": product["id"], "quantity": 1}],
            "delivery_method": "pickup",
            "contact_phone": "+6281200000001",  # generated buyers have no phone of their own
        }
    )


def scenarios(base: str, data: dict[str, Any], tokens: list[str]) -> dict[str, list[tuple]]:
    """name -> [(weight, method, path, headers, body)]."""
    products, businesses = data["products"], data["businesses"]
    etags = []
    details = []
    for product_id in products[:100]:
        _, headers, body = get(f"{base}/v1/products/{product_id}")
        etags.append((product_id, headers["ETag"]))
        details.append(body)
    region_codes = ["32.75", "32.73", "32.04", "32.01", "32.16"]
    selective = [(1, "GET", f"/v1/products?q={w}&limit=20", "", "") for w in data["selective"]]
    first = [(1, "GET", "/v1/products?sort=newest&limit=20", "", "")]
    deep = [(1, "GET", f"/v1/products?sort=newest&limit=20&cursor={data['deep_cursor']}", "", "")]
    orderable = [d for d in details if d["availability"] == "pre_order"] or details
    writes = [
        (
            1,
            "POST",
            "/v1/orders",
            f"Authorization: Bearer {tokens[i % len(tokens)]}|Content-Type: application/json",
            order_body(orderable[i % len(orderable)]),
        )
        for i in range(50)
    ]
    search_filters = [
        (1, "GET", f"/v1/products?q={w}&region=32&limit=20", "", "") for w in data["selective"][:5]
    ] + [
        (1, "GET", f"/v1/products?q={w}&price_max=200000&limit=20", "", "")
        for w in data["selective"][5:10]
    ]
    # The mix, each request labelled with the endpoint it measures (per-label latencies).
    mixed = (
        [
            (55 / len(selective + search_filters), *s[1:], "search")
            for s in selective + search_filters
        ]
        + [
            (20 / len(products), "GET", f"/v1/products/{p}", "", "", "product detail")
            for p in products
        ]
        + [
            (10 / len(businesses), "GET", f"/v1/businesses/{b}", "", "", "business detail")
            for b in businesses
        ]
        + [
            (5 / len(region_codes), "GET", f"/v1/businesses?region={r}&limit=20", "", "", "region")
            for r in region_codes
        ]
        + [
            (5 / len(etags), "GET", f"/v1/products/{p}", f"If-None-Match: {e}", "", "304")
            for p, e in etags
        ]
        + [(5 / len(writes), *w[1:], "writes") for w in writes]
    )
    return {
        "floor": [(1, "GET", "/floor", "", "")],
        "product detail": [(1, "GET", f"/v1/products/{p}", "", "") for p in products],
        "product detail across 20k products": [
            (1, "GET", f"/v1/products/{p}", "", "") for p in data["spread"]
        ],
        "product detail 304": [
            (1, "GET", f"/v1/products/{p}", f"If-None-Match: {e}", "") for p, e in etags
        ],
        "business detail": [(1, "GET", f"/v1/businesses/{b}", "", "") for b in businesses],
        "region browse": [
            (1, "GET", f"/v1/businesses?region={r}&limit=20", "", "") for r in region_codes
        ],
        "selective search": selective,
        f"selective search across {len(data['tail']) // 1000}k words": [
            (1, "GET", f"/v1/products?q={w}&limit=20", "", "") for w in data["tail"]
        ],
        "selective search with filters": search_filters,
        "broad search (kue)": [(1, "GET", "/v1/products?q=kue&limit=20", "", "")],
        "first page": first,
        "page 1000": deep,  # or the last but one page of a smaller dataset
        "writes (orders)": writes,
        "mix": mixed,
    }


def wrk(
    base: str, requests: list[tuple], *, seconds: int, connections: int, per_label: bool = False
) -> dict[str, Any]:
    """Load ``base`` with the weighted requests; ``per_label`` also measures each label's
    latencies (one wrk thread per connection, so each response is matched to its request)."""
    table = BENCH / ".requests.tsv"
    table.write_text(
        "\n".join("\t".join(str(x) for x in r) for r in requests) + "\n", encoding="utf-8"
    )
    result = subprocess.run(
        [
            "wrk",
            "-t",
            str(connections if per_label else 2),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            str(BENCH / "wrk.lua"),
            base,
        ],
        env={**os.environ, "BENCH_REQUESTS": str(table), "BENCH_PER_LABEL": str(int(per_label))},
        capture_output=True,
        text=True,
        check=False,
    )
    table.unlink()
    if result.returncode != 0 or not result.stdout.strip().endswith("}"):
        why = (result.stderr or result.stdout).strip()[-300:]
        echo(f"    wrk failed ({result.returncode}): {why}")
        return {
            "failed": why,
            "requests": 0,
            "seconds": 1.0,
            "errors": -1,
            "rps": 0.0,
            "p50_ms": 0.0,
            "p95_ms": 0.0,
            "p99_ms": 0.0,
            "max_ms": 0.0,
        }
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


# -- raw SQL -----------------------------------------------------------------------------------


def raw_sql_ms(url: str, paths: list[tuple[str, str, str, str]], rounds: int = 30) -> float:
    """Mean time of the SQL statements the app runs for these requests, run directly."""
    from api import create_app
    from api.state import get_state

    app = create_app(
        {
            "env": "production",
            "secret_key": SECRET,
            "public_base_url": "https://berdaya.example.id",
            "rate_limit_default": "",
            "jobs_backend": "none",
            "database_url": url.replace("postgresql://", "postgresql+psycopg://"),
        }
    )
    statements: list[tuple[str, Any]] = []

    def note(_c: Any, cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        statements.append((statement, parameters))

    engine = get_state(app).engine
    client = app.test_client()
    captured = []
    for method, path, headers, body in paths:
        statements.clear()
        event.listen(engine, "before_cursor_execute", note)
        hdrs = dict(h.split(": ", 1) for h in headers.split("|") if h)
        client.open(path, method=method, headers=hdrs, data=body or None)
        event.remove(engine, "before_cursor_execute", note)
        captured.append([s for s in statements if s[0].lstrip().upper().startswith("SELECT")])
    timings = []
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        for _ in range(rounds):
            for queries in captured:
                started = time.perf_counter()
                with raw.cursor() as cursor:
                    for statement, parameters in queries:
                        cursor.execute(statement, parameters)
                        cursor.fetchall()
                timings.append(time.perf_counter() - started)
    engine.dispose()
    return statistics.median(timings) * 1000


# -- report ------------------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GiB RAM, Python {platform.python_version()},"
        f" {pg}, Linux {platform.release()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--products",
        default="10000,1000000",
        help="comma-separated dataset sizes (default: 10000,1000000)",
    )
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="keep a dataset of the same size")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of unmeasured load before each scenario"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated scenario names (a quick look; no targets)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    workers = os.cpu_count() or 2
    runs: dict[int, dict[str, Any]] = {}
    for size in [int(s) for s in args.products.split(",")]:
        url, counts = prepare_database(args.database_url, size, args.reuse)
        env = server_env(url)
        with gunicorn("wsgi:app", env, workers) as (base, master):
            data = sample(url)
            data["deep_page"] = min(1000, size // 20 - 1)
            data["deep_cursor"] = deep_cursor(base, data["deep_page"])
            tokens = buyer_tokens(url, 50)
            plan = scenarios(base, data, tokens)
            results: dict[str, Any] = {}
            floor_requests = plan.pop("floor")
            with gunicorn("bench.floor:app", env, workers) as (floor_base, _):
                echo(f"[{size:,}] floor")
                if args.warmup:
                    wrk(
                        floor_base,
                        floor_requests,
                        seconds=args.warmup,
                        connections=args.connections,
                    )
                results["floor"] = wrk(
                    floor_base, floor_requests, seconds=args.seconds, connections=args.connections
                )

                only = {n.strip() for n in args.only.split(",") if n.strip()}
                for name, requests in plan.items():
                    if only and name not in only:
                        continue
                    echo(f"[{size:,}] {name}")
                    if args.warmup:  # warm caches (the database's, the workers') first
                        wrk(base, requests, seconds=args.warmup, connections=args.connections)
                    before = floor_beside(floor_base, floor_requests, args)
                    results[name] = wrk(
                        base,
                        requests,
                        seconds=args.seconds,
                        connections=args.connections,
                        per_label=name == "mix",
                    )
                    after = floor_beside(floor_base, floor_requests, args)
                    results[name]["floor_rps"] = (before + after) / 2
                    results[name]["floor_beside"] = [before, after]
                    if name not in ("mix", "writes (orders)") and not results[name].get("failed"):
                        paths = [(r[1], r[2], r[3], r[4]) for r in requests[:10]]
                        results[name]["sql_ms"] = raw_sql_ms(url, paths)
                    echo(
                        f"    {results[name]['rps']:,.0f} req/s, p95 {results[name]['p95_ms']:.1f}"
                        f" ms, p99 {results[name]['p99_ms']:.1f} ms, errors"
                        f" {results[name]['errors']}; the floor beside it"
                        f" {before:,.0f} and {after:,.0f} req/s"
                    )
            results["peak_worker_bytes"] = max(worker_peaks(master))
        if only:
            for name, figures in results.items():
                if isinstance(figures, dict):
                    echo(f"    {name}: {times_floor(figures):.2f}x the floor")
                    for label, measured in (figures.get("labels") or {}).items():
                        echo(
                            f"      {label}: p50 {measured['p50_ms']:.1f} ms,"
                            f" p99 {measured['p99_ms']:.1f} ms, errors {measured['errors']}"
                        )
            continue
        runs[size] = {
            "counts": counts,
            "results": results,
            "data": {"broad_share": data["broad_share"], "selective_words": len(data["selective"])},
        }
    if runs:
        write_results(Path(args.output), runs, args)


def floor_beside(floor_base: str, requests: list[tuple], args: argparse.Namespace) -> float:
    """The floor again, for half a scenario's time, right beside a scenario: the machine's
    speed drifts (a shared VM), so each ratio uses the floor of its own minutes."""
    half = max(args.seconds // 2, 1)
    rps: float = wrk(floor_base, requests, seconds=half, connections=args.connections)["rps"]
    return rps


def times_floor(figures: dict[str, Any]) -> float:
    """A scenario's req/s as a multiple of the floor measured beside it (the floor's own row
    is 1)."""
    ratio: float = figures["rps"] / figures.get("floor_rps", figures["rps"])
    return ratio


def write_results(path: Path, runs: dict[int, dict[str, Any]], args: argparse.Namespace) -> None:
    big = max(runs)
    small = min(runs)
    r = runs[big]["results"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "App, PostgreSQL and wrk share the machine; gunicorn sync workers = cores; "
        f"{args.connections} connections, {args.seconds} s per scenario, warm cache.",
        "",
        "```sh",
        f".venv/bin/python bench/run.py --products {args.products} --seconds {args.seconds}"
        f" --connections {args.connections}",
        "```",
        "",
    ]
    for size, run in sorted(runs.items()):
        res = run["results"]
        lines += [
            f"## {size:,} products",
            "",
            f"Rows: {run['counts']}. `kue` is in {run['data']['broad_share']:.0%} of products.",
            "",
            "| scenario | req/s | floor beside | × floor | p50 ms | p95 ms | p99 ms | errors"
            " | raw SQL ms | p50 ÷ SQL |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, f in res.items():
            if not isinstance(f, dict):
                continue
            sql = f.get("sql_ms")
            sql_text = "" if sql is None else f"{sql:.2f}"
            ratio_text = "" if not sql else f"{f['p50_ms'] / sql:.1f}"
            lines.append(
                f"| {name} | {f['rps']:,.0f} | {f.get('floor_rps', f['rps']):,.0f} |"
                f" {times_floor(f):.2f} | "
                f"{f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['p99_ms']:.1f} | {f['errors']} | "
                f"{sql_text} | {ratio_text} |"
            )
        labels = res["mix"].get("labels") or {}
        if labels:
            lines += [
                "",
                "The mix, per endpoint (measured in the same run, one wrk thread per connection):",
                "",
                "| endpoint | share | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            total = sum(v["requests"] for v in labels.values()) or 1
            for label, v in sorted(labels.items(), key=lambda kv: -kv[1]["requests"]):
                lines.append(
                    f"| {label} | {v['requests'] / total:.0%} | {v['requests']:,} | "
                    f"{v['errors']} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | "
                    f"{v['p99_ms']:.1f} | {v['max_ms']:.1f} |"
                )
        beside = [x for f in res.values() if isinstance(f, dict) for x in f.get("floor_beside", [])]
        if beside:
            lines += [
                "",
                f"The floor, measured for {max(args.seconds // 2, 1)} s just before and just"
                " after each scenario (its ratio uses the mean of the two): from"
                f" {min(beside):,.0f} to {max(beside):,.0f} req/s over the run.",
            ]
        lines += ["", f"Peak memory per worker: {res['peak_worker_bytes'] / 2**20:.0f} MiB.", ""]
    sel = r["selective search"]
    broad = r["broad search (kue)"]
    mixed_writes = (r["mix"].get("labels") or {}).get("writes", {})
    targets = [
        ("selective search ≥ 0.30× floor", times_floor(sel), 0.30, "≥"),
        ("selective search p99 ≤ 30 ms", sel["p99_ms"], 30, "≤"),
        ("broad search p99 ≤ 150 ms", broad["p99_ms"], 150, "≤"),
        ("broad search ≥ 150 req/s", broad["rps"], 150, "≥"),
        ("product detail ≥ 0.45× floor", times_floor(r["product detail"]), 0.45, "≥"),
        ("304 ≥ 0.6× floor", times_floor(r["product detail 304"]), 0.6, "≥"),
        (
            "page 1000 p50 ≤ 1.2× page 1",
            r["page 1000"]["p50_ms"] / r["first page"]["p50_ms"],
            1.2,
            "≤",
        ),
        ("peak memory per worker ≤ 150 MiB", r["peak_worker_bytes"] / 2**20, 150, "≤"),
        (
            "writes: 0 errors (alone and in the mix)",
            r["writes (orders)"]["errors"] + mixed_writes.get("errors", 1),
            0,
            "≤",
        ),
        ("writes in the mix: p99 ≤ 100 ms", mixed_writes.get("p99_ms", float("inf")), 100, "≤"),
    ]
    if small != big:
        targets.append(
            (
                f"selective p95 at {big:,} ≤ 1.5× at {small:,}",
                sel["p95_ms"] / runs[small]["results"]["selective search"]["p95_ms"],
                1.5,
                "≤",
            )
        )
    lines += ["## Targets", "", "| target | measured | met |", "| --- | ---: | --- |"]
    for name, value, bound, op in targets:
        met = value >= bound if op == "≥" else value <= bound
        lines.append(f"| {name} | {value:,.2f} | {'yes' if met else '**no**'} |")
    lines += [
        "",
        "Once warm, the scenarios that repeat a few requests (product detail, its 304, business",
        "detail, selective search) are served from each worker's cache of public documents and",
        "search pages, kept exact by PostgreSQL's notifications (see the main README's",
        'Production section). The scenarios "across" many products or words ask for more than',
        "a worker keeps, so most of their requests pay the queries and the encoding: they show",
        "what misses cost. `bench/README.md` says where the time goes.",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    echo(f"wrote {path}")


if __name__ == "__main__":
    main()
