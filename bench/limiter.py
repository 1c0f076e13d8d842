"""What the rate limiter costs a product read: one server (gunicorn, as bench/run.py serves
it) per way of limiting, each loaded with Zipf reads over the whole catalogue and with reads
of 300 products only (all cached), 16 connections, the floor's settings otherwise.

    .venv/bin/python bench/limiter.py --products 1000000

Ways: limits off; on, one Redis round trip a request (RATE_LIMIT_SYNC_MS=0); on, the general
budget batched (the default). Needs the dataset bench/run.py builds (--reuse keeps it)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run, traffic

WAYS = {
    "limits off": {"RATE_LIMIT_DEFAULT": ""},
    "one round trip a request": {"RATE_LIMIT_SYNC_MS": "0"},
    "batched (the default)": {},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()
    url, _ = run.prepare_database(args.database_url, args.products, True, "berdaya_bench")
    data = traffic.sample(url, 1.0)
    reads = traffic.product_reads(data, 40_000)
    shapes = {
        "Zipf over the catalogue": traffic._table(reads, "product"),
        "300 products (cached)": traffic._table(reads[:300], "product"),
    }
    for way, settings in WAYS.items():
        subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture_output=True)
        env = {**run.server_env(url, args.redis_url), **settings}
        if settings.get("RATE_LIMIT_DEFAULT") == "":
            env.pop("RATE_LIMIT_STORAGE_URL", None)
        with run.gunicorn("wsgi:app", env, os.cpu_count() or 2) as (base, _):
            for shape, requests in shapes.items():
                run.wrk(base, requests, seconds=3, connections=16, addresses=True)
                f = run.wrk(base, requests, seconds=args.seconds, connections=16, addresses=True)
                run.echo(
                    f"{way:28s} {shape:26s} {f['rps']:7,.0f} req/s  p50 {f['p50_ms']:5.1f} ms"
                    f"  p99 {f['p99_ms']:6.1f} ms  errors {f['errors']}"
                )


if __name__ == "__main__":
    main()
