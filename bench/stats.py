"""The statistics at provincial scale: 67,000 graduates of West Java's 27 regencies and cities,
three years of monthly check-ins, orders, mentorings and sponsorships, written with COPY into a
database of its own; then the province-wide, regency and cohort statistics measured through the
app (Flask's test client, so that only the app and PostgreSQL are measured, not a network).

    .venv/bin/python bench/stats.py --database berdaya_bench_stats --requests 200

It creates (or empties) the database, migrates it, loads the regions, generates, then for each
scenario sends ``--requests`` anonymous requests and reports p50/p95/max. The statistics cache is
off (``STATS_CACHE_SECONDS=0``) so that every request is computed; a cached answer costs ~1 ms.
Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import _copy, _ids

GRADUATES = 67_000
YEARS = (2023, 2024, 2025)
QUARTERS = ((3, 31), (6, 30), (9, 30), (12, 15))  # graduation days of a year's cohorts
TODAY = dt.date(2026, 12, 1)


def regencies(connection: psycopg.Connection[Any]) -> dict[str, str]:
    """West Java's 27 regencies and cities, each with one of its villages."""
    rows = connection.execute(
        "SELECT r.code, min(v.code) FROM regions r JOIN regions v ON v.code LIKE r.code || '.%'"
        " AND v.level = 'village' WHERE r.level = 'regency' AND r.code LIKE '32.%'"
        " GROUP BY r.code ORDER BY r.code"
    ).fetchall()
    return {code: village for code, village in rows}


def generate(url: str, *, graduates: int = GRADUATES, seed: int = 25) -> dict[str, int]:
    rng = random.Random(seed)
    now = dt.datetime.combine(TODAY, dt.time(), dt.UTC)
    echo = print
    with psycopg.connect(url) as connection:
        places = regencies(connection)
        assert len(places) == 27, len(places)
        category = connection.execute("SELECT min(id) FROM categories").fetchone()[0]  # type: ignore[index]
        program = _ids("prg", 1, rng)[0]
        connection.execute(
            "INSERT INTO programs (id, name, description, organizer, created_at, updated_at,"
            " version) VALUES (%s, 'Sekoper Cinta', '', 'DP3A Jawa Barat', %s, %s, 1)",
            (program, now, now),
        )
        # Cohorts of about 70: per regency and year, one per quarter or more.
        cohort_rows = []
        per = graduates // (len(places) * len(YEARS))
        for code in places:
            for year in YEARS:
                for q in range(max(1, per // 70)):
                    month, day = QUARTERS[q % 4]
                    cohort_rows.append(
                        (
                            _ids("coh", 1, rng)[0],
                            program,
                            f"Sekoper Cinta {code} {year} {q + 1}",
                            year,
                            code,
                            "umkm",
                            dt.date(year, month, day),
                            "[]",
                            now,
                            now,
                            1,
                        )
                    )
        _copy(
            connection,
            "cohorts",
            [
                "id",
                "program_id",
                "name",
                "year",
                "region_code",
                "track",
                "graduated_on",
                "facilitator_ids",
                "created_at",
                "updated_at",
                "version",
            ],
            iter(cohort_rows),
            len(cohort_rows),
            echo,
        )
        user_ids = _ids("usr", graduates + 500, rng)
        alumnae, buyers = user_ids[:graduates], user_ids[graduates:]
        _copy(
            connection,
            "users",
            [
                "id",
                "name",
                "email",
                "role",
                "password_hash",
                "locale",
                "password_changed_at",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (
                    u,
                    f"Ibu {i}",
                    f"stat{i}@example.id",
                    "alumna" if i < graduates else "buyer",
                    "x",
                    "id",
                    now,
                    now,
                    now,
                    1,
                )
                for i, u in enumerate(user_ids)
            ),
            len(user_ids),
            echo,
        )
        cohort_of = [cohort_rows[i % len(cohort_rows)] for i in range(graduates)]
        roster_ids, claim_ids = _ids("ros", graduates, rng), _ids("clm", graduates, rng)
        _copy(
            connection,
            "roster_entries",
            ["id", "cohort_id", "name", "phone", "village_code", "created_at"],
            (
                (roster_ids[i], c[0], f"Ibu {i}", None, places[c[4]], now)
                for i, c in enumerate(cohort_of)
            ),
            graduates,
            echo,
        )
        _copy(
            connection,
            "graduate_claims",
            [
                "id",
                "user_id",
                "cohort_id",
                "roster_entry_id",
                "status",
                "note",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (
                    claim_ids[i],
                    alumnae[i],
                    c[0],
                    roster_ids[i],
                    "verified" if rng.random() < 0.9 else "pending",
                    "",
                    now,
                    now,
                    1,
                )
                for i, c in enumerate(cohort_of)
            ),
            graduates,
            echo,
        )
        # Four in five graduates run a business, listed around graduation.
        owners = [i for i in range(graduates) if rng.random() < 0.8]
        business_ids = _ids("bus", len(owners), rng)
        graduated = {}
        lifetime = {}
        rows = []
        for b, i in zip(business_ids, owners, strict=True):
            c = cohort_of[i]
            village = places[c[4]]
            since = c[6]
            created = dt.datetime.combine(since, dt.time(10), dt.UTC) + dt.timedelta(
                days=rng.randint(-60, 120)
            )
            graduated[b] = since
            lifetime[b] = int(rng.expovariate(1 / 40))  # months of trading, mean 40
            last = now - dt.timedelta(days=rng.choice([5, 30, 90, 200, 400]))
            rows.append(
                (
                    b,
                    alumnae[i],
                    f"Usaha {i}",
                    f"usaha-stat-{i}",
                    "Usaha rumahan.",
                    category,
                    village,
                    village.rsplit(".", 1)[0],
                    c[4],
                    None,
                    None,
                    "{}",
                    "[]",
                    None,
                    "closed" if rng.random() < 0.03 else "active",
                    True,
                    created,
                    created,
                    1,
                    last,
                )
            )
        _copy(
            connection,
            "businesses",
            [
                "id",
                "owner_id",
                "name",
                "slug",
                "description",
                "category_id",
                "village_code",
                "district_code",
                "regency_code",
                "address",
                "whatsapp",
                "channels",
                "opening_hours",
                "founded_on",
                "status",
                "verified_graduate",
                "created_at",
                "updated_at",
                "version",
                "last_activity_at",
            ],
            iter(rows),
            len(rows),
            echo,
        )
        bands = ["none", "under_1m", "1m_5m", "5m_15m", "over_15m"]

        def checkins() -> Iterator[Sequence[Any]]:
            n = 0
            for b in business_ids:
                month = graduated[b].replace(day=1)
                end = min(TODAY.replace(day=1), _add(month, lifetime[b]))
                k = 0
                while month <= end:
                    if rng.random() < 0.7:
                        n += 1
                        revenue = rng.randint(1, 40) * 250_000
                        yield (
                            f"chk_{n:026d}",
                            b,
                            month,
                            k < lifetime[b],
                            revenue,
                            bands[min(4, 1 + revenue // 5_000_000)],
                            None,
                            None,
                            "[]",
                            "",
                            "",
                            now,
                            now,
                            1,
                        )
                    month = _add(month, 1)
                    k += 1

        started = time.monotonic()
        _copy(
            connection,
            "check_ins",
            [
                "id",
                "business_id",
                "month",
                "trading",
                "revenue_idr",
                "revenue_band",
                "orders",
                "workers",
                "channels",
                "challenges",
                "support_wanted",
                "created_at",
                "updated_at",
                "version",
            ],
            checkins(),
            None,  # as many as the businesses' months give
            echo,
        )
        echo(f"  check-ins in {time.monotonic() - started:.0f} s")
        orders = 120_000
        order_ids = _ids("ord", orders, rng)

        def order_rows() -> Iterator[Sequence[Any]]:
            for i, o in enumerate(order_ids):
                b = business_ids[rng.randrange(len(business_ids))]
                created = dt.datetime.combine(graduated[b], dt.time(12), dt.UTC) + dt.timedelta(
                    days=rng.randint(0, 700)
                )
                created = min(created, now - dt.timedelta(days=1))
                total = rng.randint(2, 60) * 10_000
                yield (
                    o,
                    buyers[i % len(buyers)],
                    b,
                    "completed",
                    "pickup",
                    "",
                    "Pembeli",
                    "+6281200000000",
                    total,
                    0,
                    total,
                    created,
                    created,
                    created,
                    created,
                    created,
                    1,
                )

        _copy(
            connection,
            "orders",
            [
                "id",
                "buyer_id",
                "business_id",
                "status",
                "delivery_method",
                "note",
                "contact_name",
                "contact_phone",
                "subtotal_idr",
                "delivery_fee_idr",
                "total_idr",
                "accepted_at",
                "completed_at",
                "created_at",
                "updated_at",
                "closed_at",
                "version",
            ],
            order_rows(),
            orders,
            echo,
        )
        org = _ids("org", 1, rng)[0]
        connection.execute(
            "INSERT INTO organizations (id, name, kind, description, created_at, updated_at,"
            " version) VALUES (%s, 'CSR Jabar', 'csr_company', '', %s, %s, 1)",
            (org, now, now),
        )
        mentorings = 6_000
        _copy(
            connection,
            "mentoring_requests",
            [
                "id",
                "alumna_id",
                "topic",
                "need",
                "preferred_format",
                "preferred_times",
                "status",
                "opened_at",
                "completed_at",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (
                    m,
                    alumnae[rng.randrange(graduates)],
                    "entrepreneurship",
                    "Pemasaran",
                    "online",
                    "",
                    "completed" if rng.random() < 0.7 else "open",
                    now,
                    now,
                    now,
                    now,
                    1,
                )
                for m in _ids("mnt", mentorings, rng)
            ),
            mentorings,
            echo,
        )
        sponsorships = 3_000
        sponsorship_ids = _ids("spn", sponsorships, rng)
        _copy(
            connection,
            "sponsorships",
            [
                "id",
                "organization_id",
                "business_id",
                "kind",
                "value_idr",
                "confirmed_value_idr",
                "items",
                "terms",
                "status",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (
                    s,
                    org,
                    business_ids[rng.randrange(len(business_ids))],
                    "cash",
                    5_000_000,
                    5_000_000,
                    "[]",
                    "",
                    "active",
                    now,
                    now,
                    1,
                )
                for s in sponsorship_ids
            ),
            sponsorships,
            echo,
        )
        _copy(
            connection,
            "disbursements",
            [
                "id",
                "sponsorship_id",
                "disbursed_on",
                "value_idr",
                "description",
                "status",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (d, sponsorship_ids[i], TODAY, 5_000_000, "Modal", "confirmed", now, now, 1)
                for i, d in enumerate(_ids("dsb", sponsorships, rng))
            ),
            sponsorships,
            echo,
        )
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
            for table in (
                "cohorts",
                "graduate_claims",
                "businesses",
                "check_ins",
                "orders",
                "mentoring_requests",
                "sponsorships",
            )
        }
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    return counts


def _add(month: dt.date, months: int) -> dt.date:
    total = month.year * 12 + month.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def measure(
    url: str, requests: int, cache_seconds: int
) -> list[tuple[str, str, float, float, float]]:
    from api import create_app

    app = create_app(
        {
            "env": "testing",
            "database_url": url.replace("postgresql://", "postgresql+psycopg://"),
            "rate_limit_default": "",
            "rate_limit_stats": "",
            "stats_cache_seconds": cache_seconds,
            "jobs_backend": "none",
        }
    )
    client = app.test_client()
    scenarios = [
        ("province-wide, by regency", "/v1/stats/region"),
        ("province-wide, by year", "/v1/stats/year"),
        ("one regency (Kota Bandung), by cohort", "/v1/stats/cohort?region=32.73"),
        ("one regency and year, by cohort", "/v1/stats/cohort?region=32.73&year=2023"),
        ("province survival curves, by year", "/v1/stats/year/survival"),
        ("regency monthly series, 24 months", "/v1/stats/region/monthly?region=32.73"),
    ]
    results = []
    for name, path in scenarios:
        for _ in range(3):  # warm: plans, region names, pool
            assert client.get(path).status_code == 200, client.get(path).get_data()[:300]
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        results.append((name, path, statistics.median(times), p95, times[-1]))
        print(
            f"| {name} | `{path}` | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} |",
            flush=True,
        )
    return results


def rebuild(url: str) -> None:
    """The statistics' per-business facts of the rows COPY wrote past the app (what
    ``flask housekeeping`` does), timed."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from api.services import stats_facts

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    started = time.monotonic()
    done = stats_facts.rebuild(lambda: Session(engine), echo=lambda line: None)
    print(
        f"stats_members, stats_facts and stats_graduates rebuilt for {done:,} businesses"
        f" in {time.monotonic() - started:.1f} s (batches of 2,000, as housekeeping does)",
        flush=True,
    )
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) stats_facts, stats_members, stats_graduates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="berdaya_bench_stats")
    parser.add_argument("--host", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=200, help="per scenario, cached")
    parser.add_argument("--computed", type=int, default=10, help="per scenario, uncached")
    parser.add_argument("--graduates", type=int, default=GRADUATES)
    parser.add_argument("--reuse", action="store_true", help="measure the existing data")
    parser.add_argument(
        "--rebuild", action="store_true", help="with --reuse: rebuild stats_facts first"
    )
    args = parser.parse_args()
    url = f"{args.host}/{args.database}"
    if not args.reuse:
        with psycopg.connect(f"{args.host}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
            admin.execute(f'CREATE DATABASE "{args.database}"')
        from sqlalchemy import create_engine

        from api.migrate import upgrade
        from api.services.regions import load_regions

        sa_url = url.replace("postgresql://", "postgresql+psycopg://")
        upgrade(sa_url)
        engine = create_engine(sa_url)
        with engine.begin() as connection:
            load_regions(connection, echo=lambda _: None)
        engine.dispose()
        started = time.monotonic()
        counts = generate(url, graduates=args.graduates)
        print(f"generated in {time.monotonic() - started:.0f} s: {counts}", flush=True)
        rebuild(url)
    elif args.rebuild:
        rebuild(url)
    if args.computed:
        print(f"computed every time (STATS_CACHE_SECONDS=0), {args.computed} requests each:")
        measure(url, args.computed, 0)
    print(f"as served (STATS_CACHE_SECONDS=300), {args.requests} requests each:")
    measure(url, args.requests, 300)


if __name__ == "__main__":
    main()
