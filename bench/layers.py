"""Where a worker's time goes, per layer, from py-spy's raw (collapsed) stacks.

    py-spy record --idle --subprocesses -f raw -o stacks.txt -- .venv/bin/gunicorn wsgi:app ...
    .venv/bin/python bench/layers.py stacks.txt

Each sample is given to the layer of its innermost frame that belongs to one (a Redis socket
read is "rate limits (Redis)", SQLAlchemy compiling a statement is "SQLAlchemy", psycopg
waiting for PostgreSQL is "PostgreSQL round trips"); a worker waiting for its next request is
left out, and so are the worker's other threads. Prints each layer's share of the samples
taken while a request was being handled (wall time: waits for Redis and PostgreSQL count).
"""

from __future__ import annotations

import sys
from collections import Counter

# (layer, substrings of a frame "function (file:line)"), innermost match wins; order breaks ties
# between patterns of one frame.
# A worker's requests: the stacks under gunicorn's handler (the rest is its other threads, the
# catalogue cache's listener and the view counter, or the worker waiting for a connection).
REQUEST = "handle (gunicorn/workers/"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("rate limits (Redis round trips)", ("redis/",)),
    ("rate limits (limiter)", ("flask_limiter/", "limits/", "api/http/limits.py")),
    ("PostgreSQL round trips (psycopg)", ("psycopg/", "psycopg_pool/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("marshmallow", ("marshmallow/", "webargs/")),
    ("JSON encoding", ("json/", "orjson")),
    ("ETag", ("etag", "hashlib")),
    ("auth", ("api/security.py", "jwt/", "api/http/access.py")),
    ("Flask, flask-smorest, werkzeug", ("flask/", "flask_smorest/", "werkzeug/")),
    ("gunicorn (HTTP parsing, writing)", ("gunicorn/",)),
    ("the app (api/)", ("api/",)),
]


def layer_of(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for name, patterns in LAYERS:
            if any(p in frame for p in patterns):
                return name
    return "other"


def main(path: str) -> None:
    counts: Counter[str] = Counter()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if n.isdigit():
                counts[layer_of(stack) if REQUEST in stack else "outside requests"] += int(n)
    idle = counts.pop("outside requests", 0)
    busy = sum(counts.values()) or 1
    print(f"samples in requests {busy:,} (and {idle:,} outside them)")
    for name, n in counts.most_common():
        print(f"{name:40s} {n / busy:6.1%}")


if __name__ == "__main__":
    main(sys.argv[1])
