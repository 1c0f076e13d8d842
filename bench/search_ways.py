"""What one word's relevance search costs PostgreSQL each way, against the benchmark's database.

    .venv/bin/python bench/search_ways.py --dataset 1000000 belebi bamatu balareme kue

For each word: how many words of listed products it is a prefix of, then the best of five runs
(the first too: a cold run reads from disk) of the two statements ``api.catalogue.search``
chooses between: every match ranked from ``fts_product_terms`` alone (the one statement of the
search box's request, ``_ranked_page_sql``) and the broad way (the newest BROAD_CANDIDATES
matches, through the GIN index). ``RANK_ALONE`` is where the first stops being the cheaper.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.catalogue.search import BROAD_CANDIDATES, TOP, _ranked_page_sql

BROAD = (
    "SELECT id FROM products WHERE listed IS true"
    " AND search_vector @@ to_tsquery('simple', berdaya_unaccent(%(prefix)s))"
    " ORDER BY created_at DESC, id DESC LIMIT %(candidates)s"
)
COUNT = (
    "SELECT count(*) FROM fts_product_terms"
    " WHERE term >= berdaya_unaccent(%(w)s) AND term < berdaya_unaccent(%(w)s) || %(top)s"
)


def timed(connection: psycopg.Connection, sql: str, params: dict) -> tuple[float, float]:
    """(the first run, the best of five), in milliseconds."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        connection.execute(sql, params).fetchall()
        runs.append((time.perf_counter() - start) * 1000)
    return runs[0], min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=int, default=1_000_000, help="the benchmark's size")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("words", nargs="+")
    args = parser.parse_args()
    ranked = str(_ranked_page_sql(1, False).compile(dialect=postgresql.dialect()))
    with psycopg.connect(f"{args.server}/berdaya_bench_{args.dataset}") as connection:
        for word in args.words:
            matches = connection.execute(COUNT, {"w": word, "top": TOP}).fetchone()[0]
            alone = timed(connection, ranked, {"w0": word, "top": TOP, "cap": 10**9, "limit": 21})
            broad = timed(
                connection, BROAD, {"prefix": f"{word}:*", "candidates": BROAD_CANDIDATES}
            )
            print(
                f"{word}: {matches:,} matches; ranked alone {alone[1]:.1f} ms"
                f" (first {alone[0]:.1f}); the broad way {broad[1]:.1f} ms (first {broad[0]:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
