"""The read mix through HAProxy on the local cluster, anonymous reads on the replica vs. on the
primary alone (docs/scaling.md). One machine: it shows the mechanism, not the capacity of
separate servers.

    CLUSTER_DB=berdaya_bench_cluster CLUSTER_EXTRA_ENV='RATE_LIMIT_DEFAULT=' make cluster
    .venv/bin/python bench/cluster.py --products 10000 --seconds 30
    make cluster-stop

It fills the cluster's (empty) database with bench/dataset.py, then runs wrk twice on the same
requests: app servers with DATABASE_REPLICA_URL, then restarted without it; and appends the
figures to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402
from bench.run import machine, wrk  # noqa: E402


def cluster_env(directory: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in (directory / "env").read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = " ".join(shlex.split(value))
    return env


def read_mix(url: str) -> list[tuple[Any, ...]]:
    """The benchmark's mix without its writes and 304s: anonymous catalogue reads (search 55,
    product 20, business 10, region browse 5)."""
    with psycopg.connect(url) as conn:
        products = [r[0] for r in conn.execute("SELECT id FROM products WHERE listed LIMIT 500")]
        businesses = [r[0] for r in conn.execute("SELECT id FROM businesses LIMIT 200")]
        words = [
            r[0]
            for r in conn.execute(
                "SELECT split_part(name, ' ', 2) FROM products WHERE listed LIMIT 40"
            )
            if r[0]
        ]
    regions = ["32.75", "32.73", "32.04", "32.01", "32.16"]
    return (
        [(55 / len(words), "GET", f"/v1/products?q={w}&limit=20", "", "", "search") for w in words]
        + [(20 / len(products), "GET", f"/v1/products/{p}", "", "", "product") for p in products]
        + [
            (10 / len(businesses), "GET", f"/v1/businesses/{b}", "", "", "business")
            for b in businesses
        ]
        + [
            (5 / len(regions), "GET", f"/v1/businesses?region={r}&limit=20", "", "", "region")
            for r in regions
        ]
    )


def table_reads(dsn: str) -> int:
    """Index and sequential scans this server has run on the cluster's database."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)"
            " FROM pg_stat_user_tables"
        ).fetchone()
    return int(row[0]) if row else 0


def restart_apps(env: dict[str, str], *, replica: bool) -> None:
    run_env = {**os.environ, **env}
    if not replica:
        run_env["CLUSTER_NO_REPLICA"] = "1"
    else:
        run_env.pop("CLUSTER_NO_REPLICA", None)
    for port in env["CLUSTER_APP_PORTS"].split():
        for command in ("kill-app", "start-app"):
            subprocess.run(
                [str(ROOT / "scripts/cluster.sh"), command, port], check=True, env=run_env
            )
    time.sleep(2)  # HAProxy's checks see both up again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()
    base_port = os.environ.get("CLUSTER_BASE_PORT", "18700")
    default = f"/tmp/berdaya-cluster-{base_port}"  # noqa: S108 (scripts/cluster.sh's default)
    env = cluster_env(Path(os.environ.get("CLUSTER_DIR", default)))
    url = env["DATABASE_URL"]
    replica_url = env["DATABASE_REPLICA_URL"]
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM products").fetchone()
    if not have or have[0] < args.products:
        print(f"generating {args.products:,} products on the primary")
        dataset.generate(url, products=args.products, echo=print)
    time.sleep(2)  # the replica replays it
    mix = read_mix(url)
    rows = []
    for label, replica in (("reads on the replica", True), ("primary alone", False)):
        restart_apps(env, replica=replica)
        wrk(env["CLUSTER_URL"], mix, seconds=3, connections=args.connections)  # warm caches
        before = [table_reads(url), table_reads(replica_url)]
        figures = wrk(env["CLUSTER_URL"], mix, seconds=args.seconds, connections=args.connections)
        time.sleep(11)  # idle backends report their statistics within 10 s
        scans = [
            after - b
            for after, b in zip([table_reads(url), table_reads(replica_url)], before, strict=True)
        ]
        figures["replica_share"] = scans[1] / max(1, scans[0] + scans[1])
        print(label, {k: figures[k] for k in ("rps", "p50_ms", "p99_ms", "errors")}, scans)
        rows.append((label, figures))
    restart_apps(env, replica=True)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        "## Scale-out: the read mix through HAProxy, replica vs. primary alone",
        "",
        f"Measured {when} on {machine()}. `make cluster` (HAProxy, 2 app servers x 2 gunicorn",
        "gthread workers x 4 threads, the primary and a streaming replica, Redis, 2 RQ workers),",
        f"{args.products:,} products, {args.connections} connections, {args.seconds} s, warm caches.",
        "The benchmark's mix without its writes and 304s, all anonymous: search 61%, product 22%,",
        "business 11%, region browse 6%. wrk counts a response over 2 s as an error.",
        "**One machine**: app servers, both PostgreSQL servers, HAProxy and wrk share 2 cores,",
        "so this shows the mechanism (reads leave the primary, nothing fails), not the capacity",
        "separate servers would have (docs/scaling.md has the sizing note). The last column: the",
        "share of the run's table scans (pg_stat_user_tables) that the replica ran.",
        "",
        "```sh",
        "CLUSTER_EXTRA_ENV='RATE_LIMIT_DEFAULT=' make cluster   # limits off: wrk is one address",
        f".venv/bin/python bench/cluster.py --products {args.products} --seconds {args.seconds}",
        "```",
        "",
        "| setup | req/s | p50 ms | p95 ms | p99 ms | errors | table scans on the replica |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, f in rows:
        lines.append(
            f"| {label} | {f['rps']:,.0f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} "
            f"| {f['p99_ms']:.1f} | {f['errors']} | {f['replica_share']:.0%} |"
        )
    with open(args.output, "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
