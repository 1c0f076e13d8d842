"""The benchmark: `make bench` (or `.venv/bin/python bench/run.py --products 1000000`).

Builds (or reuses) a PostgreSQL database with the dataset, serves the app under gunicorn as in
production (sync workers = cores; ``--workers`` and ``--threads`` change the app's and the
floor's alike) and a bare Flask endpoint with the same settings (the framework floor), loads each scenario with wrk from a separate process on 127.0.0.1, times the
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
THREADS = 1  # threads per worker (--threads)
ACCEPT_ENCODING = ""  # sent with every request (--accept-encoding); the floor compresses too
SECRET = "bench-secret-key-bench-secret-key-bench-secret-key"


def echo(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- database --------------------------------------------------------------------------------


def prepare_database(
    base: str, products: int, reuse: bool, prefix: str = "berdaya_bench"
) -> tuple[str, dict[str, int]]:
    from api.migrate import upgrade
    from api.services.regions import load_regions

    name = f"{prefix}_{products}"
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


def chosen(name: str, only: set[str]) -> bool:
    """Whether ``--only`` (empty: everything) names the scenario, or how its name begins."""
    return not only or any(name.startswith(given) for given in only)


def server_env(url: str, redis_url: str = "") -> dict[str, str]:
    """The servers' settings; with ``redis_url``, rate limits on as production has them
    (the default budgets, counted in Redis, the app behind one trusted proxy)."""
    env = {
        **os.environ,
        "BERDAYA_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": url,
        "PUBLIC_BASE_URL": "https://berdaya.example.id",
        "RATE_LIMIT_DEFAULT": "",  # the first shape: the API, not the limiter's refusals
        "JOBS_BACKEND": "none",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "4",
        "FLOOR_COMPRESS": "1" if ACCEPT_ENCODING else "",  # the floor compresses as the app
    }
    if redis_url:
        del env["RATE_LIMIT_DEFAULT"]  # the default budget, as production has it
        env["RATE_LIMIT_STORAGE_URL"] = redis_url
        env["TRUSTED_PROXY_HOPS"] = "1"
    return env


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    """``app`` served as production serves it: ``workers`` processes of ``THREADS`` threads
    each (gthread; 1 is gunicorn's sync worker), the floor with the same."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(GUNICORN),
            app,
            "--workers",
            str(workers),
            "--threads",
            str(THREADS),
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


class ShareSampler:
    """The peak proportional set size (PSS) of each of a master's workers, sampled twice a
    second while it runs. With ``preload_app`` a worker is a fork of the built app: VmHWM counts
    the pages it shares with the master and the other workers in full, in each; PSS gives each
    process its share of them, so the workers' PSS add up to what they take of the machine."""

    def __init__(self, master: int) -> None:
        import threading

        self.master = master
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text()
            except OSError:
                continue
            for child in children.split():
                try:
                    rollup = Path(f"/proc/{child}/smaps_rollup").read_text()
                except OSError:
                    continue
                for line in rollup.splitlines():
                    if line.startswith("Pss:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


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
    return [token for token, _ in user_tokens(url, count, "buyer")]


def user_tokens(url: str, count: int, role: str) -> list[tuple[str, str]]:
    """Access tokens of ``count`` users of a role: (token, the id of a business of theirs or
    ``""``), businesses chosen at random (not the oldest)."""
    from sqlalchemy import func, select

    from api import create_app
    from api.models import Business, User
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
        if role == "buyer":
            pairs = [
                (user, "")
                for user in session.scalars(
                    select(User).where(User.role == "buyer").order_by(User.id).limit(count)
                )
            ]
        else:
            rows = session.execute(
                select(User, Business.id)
                .join(Business, Business.owner_id == User.id)
                .order_by(func.md5(Business.id))
                .limit(count)
            ).all()
            pairs = [(row[0], row[1]) for row in rows]
        for user, business in pairs:
            opened = auth_service.open_session(session, security=state.security, user=user)
            tokens.append((opened.access_token, business))
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


def real_plan(base: str, url: str, s: float, lines: int) -> tuple[dict[str, list[tuple]], Any]:
    """The real-traffic shape's scenarios (bench/traffic.py): name -> wrk lines, each a
    sample of ``lines`` requests drawn with the Zipf law of exponent ``s``."""
    from bench import traffic

    data = traffic.sample(url, s)
    rng = data["rng"]
    owners = user_tokens(url, 200, "alumna")
    buyers = buyer_tokens(url, 100)
    to_order = traffic.order_products(url, data)
    traffic.top_up_stock(url, to_order)
    conditional = []
    for method, path, _, _ in traffic.product_reads(data, 200):
        _, headers, _ = get(base + path)
        if "ETag" in headers:
            conditional.append((method, path, f"If-None-Match: {headers['ETag']}", ""))

    def labelled(label: str, requests: list[tuple]) -> list[tuple]:
        return traffic._table(requests, label)

    k = lines
    plan = {
        "zipf product reads": labelled("product", traffic.product_reads(data, k)),
        "zipf business reads": labelled("business", traffic.business_reads(data, k)),
        "search, whole vocabulary": labelled("search", traffic.searches(data, k)),
        "search with filters and sorts": labelled(
            "search filtered", traffic.filtered_searches(data, k)
        ),
        "region browse, every level": labelled("region", traffic.region_browse(data, k)),
        "owner dashboard": labelled("owner dashboard", traffic.owner_pages(owners, k // 4, rng)),
        "buyer pages": labelled("buyer pages", traffic.buyer_pages(buyers, k // 4, rng)),
        "order writes": labelled("order", traffic.orders(to_order, buyers, 2000, data)),
    }
    makers = {
        "product": lambda n: traffic.product_reads(data, n),
        "business": lambda n: traffic.business_reads(data, n),
        "search": lambda n: traffic.searches(data, n),
        "search filtered": lambda n: traffic.filtered_searches(data, n),
        "region": lambda n: traffic.region_browse(data, n),
        "owner dashboard": lambda n: traffic.owner_pages(owners, n, rng),
        "buyer pages": lambda n: traffic.buyer_pages(buyers, n, rng),
        "304": lambda n: [rng.choice(conditional) for _ in range(n)],
        "order": lambda n: traffic.orders(to_order, buyers, n, data),
    }
    mixed: list[tuple] = []
    for label, share in traffic.MIX.items():
        drawn = max(share * k // 100, 1)
        # each label's lines weigh its share, whatever its sample's size
        for weight, *request in traffic._table(makers[label](drawn), label):
            mixed.append((weight * share / drawn, *request))
    plan["mix"] = mixed
    return plan, {"data": data, "to_order": to_order}


def cold_start(
    base: str, master: int, requests: list[tuple], args: argparse.Namespace
) -> list[tuple[float, float, int]]:
    """Restart the workers (SIGHUP: new processes, empty caches) and load them with the mix at
    once: (second since the signal, responses in that second, 0) for each second."""
    os.kill(master, signal.SIGHUP)
    figures = wrk(
        base,
        requests,
        seconds=args.cold_seconds,
        connections=args.connections,
        addresses=True,
        timeline=True,
    )
    return [(float(i + 1), float(n), 0) for i, n in enumerate(figures.get("timeline") or [])]


def traffic_addresses() -> int:
    from bench import traffic

    return traffic.ADDRESSES


def wrk(
    base: str,
    requests: list[tuple],
    *,
    seconds: int,
    connections: int,
    per_label: bool = False,
    addresses: bool = False,
    timeline: bool = False,
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
        env={
            **os.environ,
            "BENCH_REQUESTS": str(table),
            "BENCH_PER_LABEL": str(int(per_label)),
            "BENCH_ADDRESSES": str(traffic_addresses() if addresses else 0),
            "BENCH_TIMELINE": str(int(timeline)),
            "BENCH_ACCEPT_ENCODING": ACCEPT_ENCODING,
        },
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


# PostgreSQL's settings that move these figures: how much of the database its own buffers
# hold (the rest is read from the kernel's page cache, or from disk when that has let it go),
# the planner's assumption about the cache, sorts' memory, and JIT compilation.
DATABASE_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "jit")


def database_settings(url: str) -> str:
    """The server's settings that move the figures, as ``SHOW`` gives them."""
    with psycopg.connect(url, autocommit=True) as conn:
        shown = [
            f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in DATABASE_SETTINGS
        ]
    return "PostgreSQL's " + ", ".join(shown)


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
        "--only",
        default="",
        help="comma-separated scenario names, or their beginnings ('region browse' for"
        " 'region browse, every level'; a quick look, no targets)",
    )
    parser.add_argument(
        "--shape",
        choices=["first", "real", "both"],
        default="both",
        help="first: the first benchmark's scenarios; real: the real-traffic shape (Zipf over"
        " the whole catalogue and vocabulary, signed-in users, rate limits on); both",
    )
    parser.add_argument("--zipf-s", type=float, default=1.0, help="the Zipf exponent, 0.8-1.2")
    parser.add_argument(
        "--lines", type=int, default=40_000, help="requests drawn per real-traffic scenario"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
        help="Redis for the rate limits of the real-traffic shape (flushed first)",
    )
    parser.add_argument(
        "--cold-seconds", type=int, default=30, help="how long the cold start is followed"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: one per core)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (1: sync workers; more: gthread, as docs/scaling.md serves)",
    )
    parser.add_argument(
        "--database-prefix", default="berdaya_bench", help="databases are <prefix>_<size>"
    )
    parser.add_argument(
        "--accept-encoding",
        default="",
        help="sent with every request, as phones do (gzip, br); the floor then compresses too",
    )
    args = parser.parse_args()
    global THREADS, ACCEPT_ENCODING
    THREADS = args.threads
    ACCEPT_ENCODING = args.accept_encoding
    # kill <pid> stops the servers too (SystemExit runs the context managers' cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    workers = args.workers or os.cpu_count() or 2
    runs: dict[int, dict[str, Any]] = {}
    real_runs: dict[int, dict[str, Any]] = {}
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    for size in [int(s) for s in args.products.split(",")]:
        url, counts = prepare_database(args.database_url, size, args.reuse, args.database_prefix)
        if args.shape in ("real", "both"):
            real_runs[size] = {"counts": counts, **run_real(size, url, workers, args, only)}
        if args.shape == "real":
            continue
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

                for name, requests in plan.items():
                    if not chosen(name, only):
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
    if (runs or real_runs) and not only:
        write_results(Path(args.output), runs, real_runs, args)


def measure(
    name: str,
    base: str,
    requests: list[tuple],
    floor: tuple[str, list[tuple]],
    args: argparse.Namespace,
    *,
    label: str,
    per_label: bool = False,
    addresses: bool = False,
    timeline: bool = False,
) -> dict[str, Any]:
    """One scenario: warm it, the floor just before, the scenario, the floor just after."""
    echo(f"[{label}] {name}")
    if args.warmup:  # warm caches (the database's, the workers') first
        wrk(base, requests, seconds=args.warmup, connections=args.connections, addresses=addresses)
    before = floor_beside(floor[0], floor[1], args)
    figures = wrk(
        base,
        requests,
        seconds=args.seconds,
        connections=args.connections,
        per_label=per_label,
        addresses=addresses,
    )
    after = floor_beside(floor[0], floor[1], args)
    figures["floor_rps"] = (before + after) / 2
    figures["floor_beside"] = [before, after]
    figures["load"] = os.getloadavg()[0]  # the machine's, others' work included
    echo(
        f"    {figures['rps']:,.0f} req/s ({times_floor(figures):.2f}x the floor),"
        f" p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms,"
        f" errors {figures['errors']}; the floor beside it {before:,.0f} and {after:,.0f} req/s;"
        f" load average {figures['load']:.1f}"
    )
    for key, measured in (figures.get("labels") or {}).items():
        echo(
            f"      {key}: {measured['requests']:,} requests, p50 {measured['p50_ms']:.1f} ms,"
            f" p99 {measured['p99_ms']:.1f} ms, errors {measured['errors']}"
        )
    return figures


def run_real(
    size: int, url: str, workers: int, args: argparse.Namespace, only: set[str]
) -> dict[str, Any]:
    """The real-traffic shape (bench/traffic.py) with rate limits on, warm then cold."""
    from bench import traffic

    env = server_env(url, args.redis_url)
    subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], check=False, capture_output=True)
    label = f"{size:,}, real traffic, s={args.zipf_s}"
    results: dict[str, Any] = {}
    with gunicorn("wsgi:app", env, workers) as (base, master):
        shares = ShareSampler(master)
        echo(f"[{label}] drawing the requests (Zipf, {args.lines:,} per scenario)")
        plan, context = real_plan(base, url, args.zipf_s, args.lines)
        floor_requests = [(1, "GET", "/floor", "", "")]
        with gunicorn("bench.floor:app", server_env(url), workers) as (floor_base, _):
            floor = (floor_base, floor_requests)
            results["floor"] = measure(
                "floor", floor_base, floor_requests, floor, args, label=label
            )
            for name, requests in plan.items():
                if not chosen(name, only):
                    continue
                if name == "order writes":
                    since = dt.datetime.now(dt.UTC)
                    stock_before = traffic.stock_of(url, context["to_order"])
                results[name] = measure(
                    name,
                    base,
                    requests,
                    floor,
                    args,
                    label=label,
                    per_label=name in ("mix", "owner dashboard", "buyer pages"),
                    addresses=True,
                )
                if name == "order writes":
                    time.sleep(1)
                    units = traffic.ordered_units(url, since, context["to_order"])
                    stock_after = traffic.stock_of(url, context["to_order"])
                    wrong = [
                        p
                        for p, before in stock_before.items()
                        if before - units.get(p, 0) != stock_after.get(p)
                    ]
                    results[name]["stock_wrong"] = len(wrong)
                    echo(f"    stock exact afterwards: {len(wrong)} products wrong")
            warm_peaks = worker_peaks(master)
            if "mix" in results:
                echo(f"[{label}] cold: the workers restarted, then the mix at once")
                slices = cold_start(base, master, plan["mix"], args)
                echo("    responses per second: " + ", ".join(f"{n:,.0f}" for _, n, _ in slices))
                results["cold"] = slices
                time.sleep(2)
                results["mix after cold"] = measure(
                    "mix",
                    base,
                    plan["mix"],
                    floor,
                    args,
                    label=label + ", after the restart",
                    per_label=True,
                    addresses=True,
                )
        results["peak_worker_bytes"] = max(warm_peaks + worker_peaks(master))
        results["peak_worker_pss_bytes"] = shares.stop()
    echo(
        f"[{label}] peak memory per worker {results['peak_worker_bytes'] / 2**20:.0f} MiB"
        f" resident (VmHWM), {results['peak_worker_pss_bytes'] / 2**20:.0f} MiB its share (PSS)"
    )
    return {"results": results, "s": args.zipf_s}


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


def write_results(
    path: Path,
    runs: dict[int, dict[str, Any]],
    real_runs: dict[int, dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    lines = first_results(runs, args) if runs else ["# Benchmark results", ""]
    for size, run in sorted(real_runs.items()):
        lines += real_results(size, run, args)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    echo(f"wrote {path}")


def command(args: argparse.Namespace) -> str:
    return (
        f".venv/bin/python bench/run.py --products {args.products} --shape {args.shape}"
        f" --zipf-s {args.zipf_s} --seconds {args.seconds} --connections {args.connections}"
        + (" --reuse" if args.reuse else "")
        + (f" --workers {args.workers}" if args.workers else "")
        + (f" --threads {args.threads}" if args.threads != 1 else "")
        + (f" --accept-encoding {args.accept_encoding}" if args.accept_encoding else "")
        + (
            f" --database-prefix {args.database_prefix}"
            if args.database_prefix != "berdaya_bench"
            else ""
        )
    )


# The real-traffic targets (issue 27): scenario -> (least x the floor, greatest p99 ms).
REAL_TARGETS = {
    "zipf product reads": (0.45, 25),
    "zipf business reads": (0.45, 25),
    "search, whole vocabulary": (0.25, 50),
    "search with filters and sorts": (0.25, 50),
    "region browse, every level": (0.30, 40),
    "owner dashboard": (0.25, 50),
    "buyer pages": (0.25, 50),
    "mix": (0.30, 60),
}


def real_results(size: int, run: dict[str, Any], args: argparse.Namespace) -> list[str]:
    from bench import traffic

    res = run["results"]
    shares = ", ".join(f"{k} {v}%" for k, v in traffic.MIX.items())
    lines = [
        f"## Real traffic, {size:,} products (Zipf s = {run['s']})",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()};"
        f" {database_settings(args.database_url)}.",
        f"gunicorn: {args.workers or os.cpu_count()} workers of {args.threads} thread(s), the"
        " floor's alike. Rate limits on (the default budgets, counted in Redis, the general"
        f" budget in batches every RATE_LIMIT_SYNC_MS; anonymous requests from"
        f" {traffic.ADDRESSES:,} addresses through one trusted proxy, signed-in ones per user);"
        f" {args.connections} connections, {args.seconds} s per scenario after"
        f" {args.warmup} s of warm-up. Rows: {run['counts']}. The mix: {shares}."
        " The load average (1 min, at the end of each scenario) counts other work on the"
        " machine too.",
        "",
        "```sh",
        command(args),
        "```",
        "",
        "| scenario | req/s | floor beside | × floor | p50 ms | p95 ms | p99 ms"
        " | errors (of which wrk's 2 s timeouts) | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, f in res.items():
        if not isinstance(f, dict):
            continue
        lines.append(
            f"| {name} | {f['rps']:,.0f} | {f.get('floor_rps', f['rps']):,.0f} |"
            f" {times_floor(f):.2f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} |"
            f" {f['p99_ms']:.1f} | {f['errors']} ({f.get('socket_errors', 0)} timeouts) |"
            f" {f.get('load', 0):.1f} |"
        )
    for name in ("mix", "mix after cold", "owner dashboard", "buyer pages"):
        labels = (res.get(name) or {}).get("labels") or {}
        if not labels:
            continue
        lines += [
            "",
            f"{name}, per endpoint:",
            "",
            "| endpoint | share | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        total = sum(v["requests"] for v in labels.values()) or 1
        for label, v in sorted(labels.items(), key=lambda kv: -kv[1]["requests"]):
            lines.append(
                f"| {label} | {v['requests'] / total:.0%} | {v['requests']:,} | {v['errors']} |"
                f" {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | {v['p99_ms']:.1f} |"
                f" {v['max_ms']:.1f} |"
            )
    if "cold" in res and not res["cold"]:
        lines += ["", f"Cold start: no response within {args.cold_seconds} s of the SIGHUP."]
    if res.get("cold"):
        lines += [
            "",
            "Cold start (SIGHUP to gunicorn, then the mix at once), req/s per second:",
            "",
        ]
        lines.append(
            ", ".join(f"{sec:.0f} s {rps:,.0f} ({err} errors)" for sec, rps, err in res["cold"])
        )
    lines += [
        "",
        f"Peak memory per worker: {res['peak_worker_bytes'] / 2**20:.0f} MiB resident (VmHWM),"
        f" {res.get('peak_worker_pss_bytes', 0) / 2**20:.0f} MiB its share (PSS).",
        "",
    ]
    lines += ["| target | measured | met |", "| --- | --- | --- |"]
    for name, (ratio, p99) in REAL_TARGETS.items():
        f = res.get(name)
        if not f:
            continue
        worst = f["p99_ms"]
        if name == "mix":
            worst = max([v["p99_ms"] for v in (f.get("labels") or {}).values()] or [worst])
        met = times_floor(f) >= ratio and worst <= p99 and f["errors"] == 0
        lines.append(
            f"| {name}: ≥ {ratio:.2f}× floor, p99 ≤ {p99} ms, 0 errors |"
            f" {times_floor(f):.2f}×, p99 {worst:.1f} ms, {f['errors']} errors |"
            f" {'yes' if met else '**no**'} |"
        )
    orders = res.get("order writes")
    if orders:
        met = (
            orders["rps"] >= 300
            and orders["p99_ms"] <= 100
            and orders["errors"] == 0
            and orders.get("stock_wrong") == 0
        )
        lines.append(
            f"| order writes: ≥ 300 req/s, p99 ≤ 100 ms, 0 errors, stock exact |"
            f" {orders['rps']:,.0f} req/s, p99 {orders['p99_ms']:.1f} ms,"
            f" {orders['errors']} errors, {orders.get('stock_wrong')} products' stock wrong |"
            f" {'yes' if met else '**no**'} |"
        )
    if "cold" in res and res.get("mix"):
        warm = res["mix"]["rps"]
        reached = next((sec for sec, rps, _ in res["cold"] if rps >= 0.9 * warm), None)
        when = f"after {reached:.0f} s" if reached is not None else "not reached"
        lines.append(
            f"| a cold worker at its warm throughput within 10 s (90% of the warm mix) |"
            f" {when} |"
            f" {'yes' if reached is not None and reached <= 10 else '**no**'} |"
        )
    mib = res["peak_worker_bytes"] / 2**20
    pss = res.get("peak_worker_pss_bytes", 0) / 2**20
    lines.append(
        f"| peak memory per worker ≤ 150 MiB | {pss:.0f} MiB its share (PSS, sampled twice a"
        f" second), {mib:.0f} MiB resident (VmHWM, counting the pages shared with the master"
        f" and the other worker in full) | {'yes' if pss <= 150 else '**no**'} (PSS),"
        f" {'yes' if mib <= 150 else '**no**'} (VmHWM) |"
    )
    lines.append("")
    return lines


def first_results(runs: dict[int, dict[str, Any]], args: argparse.Namespace) -> list[str]:
    big = max(runs)
    small = min(runs)
    r = runs[big]["results"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()};"
        f" {database_settings(args.database_url)}.",
        "App, PostgreSQL and wrk share the machine; gunicorn workers = cores"
        f" ({args.threads} thread(s) each); "
        f"{args.connections} connections, {args.seconds} s per scenario, warm cache.",
        "",
        "```sh",
        command(args),
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
        "",
    ]
    return lines


if __name__ == "__main__":
    main()
