"""An order's cost in-process: statements per ``POST /v1/orders`` and milliseconds per order,
through ``app.test_client()`` against the benchmark's dataset with production settings (no
HTTP server, no rate limits), so a change to the order path is measured without the noise of a
served run. Uses the dataset ``bench/run.py`` built (``--products``), its buyers and the
products the real-traffic shape orders.

    .venv/bin/python bench/orders.py --products 1000000 --orders 300
    .venv/bin/python bench/orders.py --products 1000000 --show 40   # each statement's median

Before and after a change: run it on each tree (``git worktree add``), alternated, and compare
pairs; a single run moves with the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402
from bench import traffic  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000, help="the dataset's size")
    parser.add_argument("--orders", type=int, default=300, help="orders timed (after 50)")
    parser.add_argument("--show", type=int, default=0, help="orders whose statements are timed")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    url = f"{args.server}/berdaya_bench_{args.products}"
    os.environ.update(bench_run.server_env(url))  # as the benchmark serves it, limits off
    print(f"buyers, products and stock from {url.rsplit('/', 1)[1]}", flush=True)
    buyers = bench_run.buyer_tokens(url, 50)
    data = traffic.sample(url, 1.0)
    products = [
        p for p in traffic.order_products(url, data, 400) if p["availability"] == "in_stock"
    ]
    traffic.top_up_stock(url, products)

    from sqlalchemy import event

    from api import create_app
    from api.state import get_state

    app = create_app()
    engine = get_state(app).engine
    client = app.test_client()
    rng = random.Random(3)
    count = [0]
    event.listen(engine, "before_cursor_execute", lambda *_: count.__setitem__(0, count[0] + 1))
    held = lock_held(engine)

    def order() -> None:
        product = rng.choice(products)
        answer = client.post(
            "/v1/orders",
            json={
                "business_id": product["business"],
                "items": [{"product_id": product["id"], "quantity": 1}],
                "delivery_method": "pickup",
                "contact_phone": "+6281200000001",
            },
            headers={"Authorization": f"Bearer {rng.choice(buyers)}"},
        )
        assert answer.status_code == 201, (answer.status_code, answer.get_data(as_text=True))

    print("50 orders of warm-up", flush=True)
    for _ in range(50):
        order()
    count[0] = 0
    held.clear()
    times = []
    for i in range(args.orders):
        started = time.perf_counter()
        order()
        times.append((time.perf_counter() - started) * 1e3)
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{args.orders} orders", flush=True)
    print(
        f"{count[0] / args.orders:.1f} statements an order; mean {statistics.mean(times):.2f} ms,"
        f" p50 {statistics.median(times):.2f} ms ({args.orders} orders); the events' lock"
        f" held {statistics.median(held):.2f} ms (median, until COMMIT is sent)"
    )
    if args.show:
        show(engine, order, args.show)


def lock_held(engine: Any) -> list[float]:
    """Milliseconds from each transaction's ``pg_advisory_xact_lock`` to its ``COMMIT`` being
    sent (the commit's own round trip, a few tenths of a millisecond, comes on top): how long
    the events' lock keeps other transactions' commits waiting (``api.services.events``)."""
    from sqlalchemy import event

    held: list[float] = []

    def before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "pg_advisory_xact_lock" in statement:
            conn.info["locked"] = time.perf_counter()

    def commit(conn: Any) -> None:
        locked = conn.info.pop("locked", None)
        if locked is not None:
            held.append((time.perf_counter() - locked) * 1e3)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", commit)
    return held


def show(engine: Any, order: Any, orders: int) -> None:
    """Each statement of an order, its median and slowest time over ``orders`` orders."""
    from sqlalchemy import event

    seen: list[tuple[float, str]] = []

    def before(conn: Any, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(((time.perf_counter() - conn.info["started"]) * 1e3, statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    by_place: dict[tuple[int, str], list[float]] = {}
    for _ in range(orders):
        seen.clear()
        order()
        for i, (ms, statement) in enumerate(seen):
            by_place.setdefault((i, " ".join(statement.split())[:90]), []).append(ms)
    print("median ms, slowest ms, statement")
    for (_, statement), ms in sorted(by_place.items()):
        print(f"{statistics.median(ms):6.2f} {max(ms):6.2f} {statement}")


if __name__ == "__main__":
    main()
