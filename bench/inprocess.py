"""A real-traffic scenario's cost in-process: milliseconds and statements per request, through
``app.test_client()`` against the benchmark's dataset with production settings and rate limits
on (Redis), the requests drawn as ``bench/run.py --shape real`` draws them
(``bench/traffic.py``). No HTTP server and no load generator share the CPU, so a change to a
read path is measured without a served run's noise; ``--profile N`` prints cProfile's N
costliest functions (cumulative) over the timed requests (then timed under the profiler).

    .venv/bin/python bench/inprocess.py --products 1000000 --scenario owner --requests 600
    .venv/bin/python bench/inprocess.py --scenario search --profile 40

Scenarios: product, business, search, filtered, region, owner, buyer, order, and two floors of
the app itself: ``me`` (a signed-in read of her own account) and ``health``; several, separated
by commas, are drawn in equal parts and shuffled together. The first half of the
requests warm the worker's caches and are not timed, as a warm worker serves them. Before and
after a change: run it on each tree (``git worktree add``), alternated, and compare pairs.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402
from bench import traffic  # noqa: E402

DRAWS: dict[str, Callable[[dict[str, Any], int], list[tuple[str, str, str, str]]]] = {
    "product": traffic.product_reads,
    "business": traffic.business_reads,
    "search": traffic.searches,
    "filtered": traffic.filtered_searches,
    "region": traffic.region_browse,
}


def requests_of(url: str, scenario: str, count: int) -> list[tuple[str, str, str, str]]:
    data = traffic.sample(url, 1.0)
    if scenario in DRAWS:
        return DRAWS[scenario](data, count)
    rng = random.Random(27)
    if scenario == "owner":
        return traffic.owner_pages(bench_run.user_tokens(url, 200, "alumna"), count, rng)
    if scenario == "me":  # the least a signed-in request costs: her own account, read
        owners = bench_run.user_tokens(url, 200, "alumna")
        return [
            ("GET", "/v1/me", f"Authorization: Bearer {rng.choice(owners)[0]}", "")
            for _ in range(count)
        ]
    if scenario == "health":  # the least any request costs: no session, no statement
        return [("GET", "/health", "", "")] * count
    if scenario == "buyer":
        return traffic.buyer_pages(bench_run.buyer_tokens(url, 100), count, rng)
    if scenario == "order":  # as the real shape's order writes: Zipf products, stock topped up
        products = traffic.order_products(url, data)
        traffic.top_up_stock(url, products)
        return traffic.orders(products, bench_run.buyer_tokens(url, 100), count, data)
    known = ", ".join([*DRAWS, "owner", "buyer", "order", "me", "health"])
    raise SystemExit(f"unknown scenario {scenario!r}: {known}")


def route_of(request: tuple[str, str, str, str]) -> str:
    """A request's route: its method and path, ids and the query left out."""
    method, path, _, _ = request
    parts = path.split("?", 1)[0].split("/")
    return f"{method} " + "/".join(
        "{id}" if "_" in part and part[:3].isalpha() else part for part in parts
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000, help="the dataset's size")
    parser.add_argument("--scenario", default="owner")
    parser.add_argument("--requests", type=int, default=600, help="half warm, half timed")
    parser.add_argument(
        "--accept-encoding", default="", help="sent with every request (gzip, br), as phones do"
    )
    parser.add_argument("--slowest", type=int, default=5, help="print the N slowest requests")
    parser.add_argument("--profile", type=int, default=0, help="print N costliest functions")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()

    url = f"{args.server}/berdaya_bench_{args.products}"
    os.environ.update(bench_run.server_env(url, args.redis_url))  # limits on, as served
    print(f"drawing {args.requests} {args.scenario} requests from {url.rsplit('/', 1)[1]}")
    names = args.scenario.split(",")  # several: their draws shuffled together
    drawn = [r for name in names for r in requests_of(url, name, args.requests // len(names))]
    random.Random(9).shuffle(drawn)

    from sqlalchemy import event
    from sqlalchemy.engine.default import CACHE_HIT

    from api import create_app
    from api.state import get_state

    app = create_app()
    client = app.test_client()
    count = [0]
    compiled = [0]  # statements SQLAlchemy compiled (not found in its cache of compiled SQL)

    def counted(_conn: Any, _cursor: Any, _sql: Any, _params: Any, context: Any, *_: Any) -> None:
        count[0] += 1
        if context is not None and context.cache_hit is not CACHE_HIT:
            compiled[0] += 1

    event.listen(get_state(app).engine, "before_cursor_execute", counted)
    addresses = [f"10.{i // 250 % 250}.{i % 250}.7" for i in range(traffic.ADDRESSES)]
    rng = random.Random(5)

    def send(request: tuple[str, str, str, str]) -> None:
        method, path, header, body = request
        headers = {"X-Forwarded-For": rng.choice(addresses)}
        if args.accept_encoding:
            headers["Accept-Encoding"] = args.accept_encoding
        for line in filter(None, header.split("|")):  # as wrk.lua reads them
            name, value = line.split(": ", 1)
            headers[name] = value
        answer = client.open(path, method=method, headers=headers, data=body or None)
        if answer.status_code >= 400:
            raise SystemExit(f"{method} {path}: {answer.status_code} {answer.get_data()[:300]!r}")

    half = len(drawn) // 2
    print(f"{half} requests of warm-up", flush=True)
    for request in drawn[:half]:
        send(request)
    timed = drawn[half:]
    count[0] = compiled[0] = 0
    times = []
    profile = cProfile.Profile() if args.profile else None
    cpu = time.process_time()
    by_route: dict[str, list[float]] = {}  # each request's CPU, by its route's shape
    for request in timed:
        started, started_cpu = time.perf_counter(), time.process_time()
        if profile is not None:  # the timed requests themselves: a second pass would hit caches
            profile.enable()
        send(request)
        if profile is not None:
            profile.disable()
        times.append((time.perf_counter() - started) * 1e3)
        by_route.setdefault(route_of(request), []).append((time.process_time() - started_cpu) * 1e3)
    cpu = (time.process_time() - cpu) * 1e3 / len(timed)
    print(
        f"{args.scenario}: mean {statistics.mean(times):.2f} ms, p50 {statistics.median(times):.2f}"
        f" ms, this process's CPU {cpu:.2f} ms a request (PostgreSQL's not counted);"
        f" {count[0] / len(timed):.1f} statements a request, {compiled[0]} compiled"
        f" ({len(timed)} timed{', under the profiler' if profile else ''});"
        f" {len(get_state(app).engine._compiled_cache or ())} kept compiled"
    )
    if len(by_route) > 1:
        for route, cpus in sorted(by_route.items(), key=lambda pair: -statistics.mean(pair[1])):
            print(f"  {statistics.mean(cpus):6.2f} ms CPU  {len(cpus):5} × {route}")
    slowest = sorted(zip(times, timed, strict=True), key=lambda pair: -pair[0])[: args.slowest]
    for ms, (method, path, _, _) in slowest:
        print(f"  {ms:8.2f} ms  {method} {path}")
    if profile is not None:
        if os.environ.get("PROFILE_OUT"):
            profile.dump_stats(os.environ["PROFILE_OUT"])
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(args.profile)
        if os.environ.get("CALLEES"):
            stats.print_callees(os.environ["CALLEES"])
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])


if __name__ == "__main__":
    main()
