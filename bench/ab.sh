#!/usr/bin/env bash
# Before and after a change, in-process: bench/inprocess.py on two trees, alternated, ROUNDS
# times; prints each route's best round and the mean of the rounds (this process's CPU a
# request). The machine's speed moves between runs a minute apart: compare only pairs.
#
#   git worktree add -f /tmp/before <rev> && ln -sf "$PWD/.venv" /tmp/before/.venv
#   bench/ab.sh /tmp/before owner 1400 3
set -euo pipefail
BEFORE=$1 SCENARIO=$2 REQUESTS=${3:-1400} ROUNDS=${4:-3}
AFTER=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
for round in $(seq "$ROUNDS"); do
  for tree in before after; do
    dir=$BEFORE; [ "$tree" = after ] && dir=$AFTER
    echo "round $round/$ROUNDS: $tree ($dir)" >&2
    (cd "$dir" && .venv/bin/python bench/inprocess.py --scenario "$SCENARIO" \
      --requests "$REQUESTS" --slowest 0 | grep -E "ms CPU|a request") >> "$out/$tree.txt"
  done
done
python3 - "$out" <<'PY'
import re, sys
for tree in ("before", "after"):
    found: dict[str, list[float]] = {}
    for line in open(f"{sys.argv[1]}/{tree}.txt"):
        route = re.match(r"\s+([\d.]+) ms CPU\s+\d+ × (.*)", line)
        whole = re.search(r"CPU ([\d.]+) ms a request", line)
        if route:
            found.setdefault(route.group(2), []).append(float(route.group(1)))
        elif whole:
            found.setdefault("all", []).append(float(whole.group(1)))
    print(tree)
    for name, values in sorted(found.items()):
        print(f"  {min(values):6.2f} best, {sum(values) / len(values):6.2f} mean  {name}")
PY
