"""What a flush of the view counter costs PostgreSQL: ``--products`` views of as many products
drawn at random from the benchmark's dataset, flushed as a worker flushes them
(``api.catalogue.counters.ViewCounter``), twice (the first flush may make the counts' rows,
the second adds to them), with the wall time and the CPU of the database's backends.

    .venv/bin/python bench/view_flush.py --dataset 1000000 --products 5000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def backends_cpu(database: str) -> float:
    """CPU seconds (user and system) of the PostgreSQL backends serving ``database``."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if database.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=int, default=1_000_000, help="the dataset's size")
    parser.add_argument("--products", type=int, default=5000, help="products viewed")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import sessionmaker

    from api.catalogue.counters import ViewCounter

    database = f"berdaya_bench_{args.dataset}"
    url = f"{args.server.replace('postgresql://', 'postgresql+psycopg://')}/{database}"
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    with engine.connect() as connection:
        ids = list(
            connection.scalars(
                text("SELECT id FROM products WHERE listed ORDER BY random() LIMIT :n"),
                {"n": args.products},
            )
        )
    print(f"{len(ids):,} products of {database}, one view each, flushed twice")
    for label in ("first flush", "second flush"):
        counter = ViewCounter()
        for product_id in ids:
            counter.hit(product_id)
        cpu, started = backends_cpu(database), time.perf_counter()
        flushed = counter.flush(sessions)
        wall, cpu = time.perf_counter() - started, backends_cpu(database) - cpu
        print(
            f"  {label}: {flushed:,} products in {wall:.3f} s; PostgreSQL's CPU {cpu:.2f} s"
            f" ({cpu / max(flushed, 1) * 1000:.3f} ms a product)"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
