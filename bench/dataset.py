"""A national-scale dataset, written with COPY: businesses over West Java's villages, their
products with Indonesian names and descriptions whose word frequencies are realistic (a few
words in about 15% of products, most words rare), photo metadata, a program with cohorts,
orders and monthly check-ins.

Deterministic for a seed, so two runs measure the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql

from api.catalogue import changes as catalogue_changes

# Words of product names and descriptions. COMMON words each appear in about 15% of products;
# the rest follow a Zipf law over a long tail (most appear in a handful of products).
COMMON = ["kue", "keripik", "kain"]
NOUNS = [
    "lapis",
    "legit",
    "nastar",
    "kastengel",
    "putri",
    "salju",
    "bolu",
    "brownies",
    "donat",
    "risoles",
    "pastel",
    "lumpia",
    "dodol",
    "wajik",
    "rengginang",
    "opak",
    "emping",
    "kerupuk",
    "rempeyek",
    "bakpia",
    "onde",
    "klepon",
    "serabi",
    "cireng",
    "seblak",
    "batagor",
    "siomay",
    "pempek",
    "tahu",
    "tempe",
    "sambal",
    "abon",
    "rendang",
    "gulai",
    "batik",
    "tenun",
    "songket",
    "rajut",
    "sulam",
    "bordir",
    "tas",
    "dompet",
    "taplak",
    "sarung",
    "mukena",
    "kerudung",
    "anyaman",
    "bambu",
    "rotan",
    "pandan",
    "mendong",
    "gerabah",
    "keramik",
    "lilin",
    "sabun",
    "minyak",
    "madu",
    "kopi",
    "teh",
    "jahe",
    "kunyit",
    "temulawak",
    "susu",
    "yoghurt",
    "selai",
    "sirup",
]
ADJECTIVES = [
    "manis",
    "gurih",
    "pedas",
    "renyah",
    "lembut",
    "legit",
    "harum",
    "asli",
    "spesial",
    "premium",
    "original",
    "pandan",
    "cokelat",
    "keju",
    "kacang",
    "wijen",
    "ubi",
    "singkong",
    "talas",
    "pisang",
    "nangka",
    "durian",
    "stroberi",
    "merah",
    "hijau",
    "biru",
    "kuning",
    "hitam",
    "putih",
    "ungu",
    "motif",
    "klasik",
    "modern",
    "mini",
    "jumbo",
]
REGIONS = [
    "bekasi",
    "bogor",
    "depok",
    "cianjur",
    "garut",
    "tasik",
    "ciamis",
    "kuningan",
    "cirebon",
    "sumedang",
]
UNITS = ["toples", "bungkus", "kotak", "loyang", "pcs", "lembar", "botol", "kg"]


def _vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """The long tail: made-up but pronounceable Indonesian-like words."""
    syllables = "ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ni nu "
    syllables += "pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu wa ya"
    parts = syllables.split()
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(parts) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Words:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tail = _vocabulary(rng)
        weights = [1 / (rank + 1) ** 1.1 for rank in range(len(self.tail))]
        self.cumulative: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def rare(self, count: int) -> list[str]:
        picks = self.rng.choices(self.tail, cum_weights=self.cumulative, k=count)
        return picks

    def product(self) -> tuple[str, str, list[str]]:
        rng = self.rng
        name_words = [rng.choice(NOUNS), rng.choice(ADJECTIVES)]
        for word in COMMON:
            if rng.random() < 0.15:
                name_words.insert(0, word)
        if rng.random() < 0.5:
            name_words.append(rng.choice(REGIONS))
        name = " ".join(name_words).capitalize()[:120]
        text = [rng.choice(NOUNS), rng.choice(ADJECTIVES), *self.rare(rng.randint(6, 14))]
        rng.shuffle(text)
        description = ("Buatan rumah, " + " ".join(text) + ".")[:4000]
        tags = sorted({rng.choice(NOUNS), rng.choice(ADJECTIVES)})
        return name, description, tags


def _ids(prefix: str, count: int, rng: random.Random) -> list[str]:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return [
        f"{prefix}_01M{i:08d}" + "".join(rng.choice(alphabet) for _ in range(15))
        for i in range(count)
    ]


def _copy(
    connection: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterator[Sequence[Any]],
    total: int | None,
    echo: Callable[[str], None],
) -> None:
    """Rows written with COPY, with progress every 100,000 rows (``total`` None: not known
    ahead, the count alone)."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:  # type: ignore[arg-type]
            for done, row in enumerate(rows, 1):
                copy.write_row(row)
                if done % 100_000 == 0 or done == total:
                    rate = done / max(time.monotonic() - started, 1e-6)
                    of = "" if total is None else f"/{total:,}"
                    echo(f"  {table}: {done:,}{of} ({rate:,.0f} rows/s)")


def generate(
    url: str, *, products: int, seed: int = 2026, echo: Callable[[str], None] = print
) -> dict[str, int]:
    """Fill an empty, migrated database with regions loaded; returns the row counts."""
    rng = random.Random(seed)
    businesses = max(products // 10, 1)
    owners = businesses
    buyers = max(businesses // 20, 10)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    words = Words(rng)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        villages = [
            r[0]
            for r in connection.execute(
                "SELECT code FROM regions WHERE level = 'village' AND code LIKE '32.%' ORDER BY code"
            )
        ]
        if not villages:
            raise SystemExit("load the regions first (flask load-regions)")
        categories = [r[0] for r in connection.execute("SELECT id FROM categories ORDER BY id")]
        echo(f"{len(villages):,} West Java villages, {len(categories)} categories")

        user_ids = _ids("usr", owners + buyers, rng)
        owner_ids, buyer_ids = user_ids[:owners], user_ids[owners:]

        def users() -> Iterator[Sequence[Any]]:
            for i, user_id in enumerate(user_ids):
                role = "alumna" if i < owners else "buyer"
                yield (
                    user_id,
                    f"Pengguna {i}",
                    f"bench{i}@example.id",
                    None,
                    role,
                    "x",
                    "id",
                    now,
                    now,
                    now,
                    1,
                )

        _copy(
            connection,
            "users",
            [
                "id",
                "name",
                "email",
                "phone",
                "role",
                "password_hash",
                "locale",
                "password_changed_at",
                "created_at",
                "updated_at",
                "version",
            ],
            users(),
            len(user_ids),
            echo,
        )
        business_ids = _ids("bus", businesses, rng)
        business_village = [rng.choice(villages) for _ in business_ids]

        def business_rows() -> Iterator[Sequence[Any]]:
            for i, (business_id, village) in enumerate(
                zip(business_ids, business_village, strict=True)
            ):
                district, regency = village.rsplit(".", 1)[0], village.rsplit(".", 2)[0]
                created = now - dt.timedelta(days=rng.randint(0, 1000))
                yield (
                    business_id,
                    owner_ids[i],
                    f"Usaha {i} {rng.choice(NOUNS)}",
                    f"usaha-{i}",
                    "Usaha rumahan.",
                    rng.choice(categories),
                    village,
                    district,
                    regency,
                    None,
                    None,
                    "{}",
                    "[]",
                    None,
                    "active",
                    rng.random() < 0.6,
                    created,
                    created,
                    1,
                    created,
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
            business_rows(),
            businesses,
            echo,
        )
        product_ids = _ids("prd", products, rng)
        product_price: list[int] = []

        def product_rows() -> Iterator[Sequence[Any]]:
            for i, product_id in enumerate(product_ids):
                name, description, tags = words.product()
                created = now - dt.timedelta(minutes=products - i)
                price = rng.randint(5, 500) * 1000
                product_price.append(price)
                in_stock = rng.random() < 0.6
                yield (
                    product_id,
                    business_ids[i % businesses],
                    name,
                    f"p-{i}",
                    description,
                    rng.choice(categories),
                    price,
                    rng.choice(UNITS),
                    1,
                    "in_stock" if in_stock else "pre_order",
                    rng.randint(1, 100) if in_stock else None,
                    None if in_stock else rng.randint(1, 7),
                    "published",
                    json.dumps(tags),
                    created,
                    created,
                    created,
                    1,
                )

        _copy(
            connection,
            "products",
            [
                "id",
                "business_id",
                "name",
                "slug",
                "description",
                "category_id",
                "price_idr",
                "unit",
                "min_order",
                "availability",
                "stock",
                "lead_days",
                "status",
                "tags",
                "published_at",
                "created_at",
                "updated_at",
                "version",
            ],
            product_rows(),
            products,
            echo,
        )
        photo_ids = _ids("pho", products, rng)
        _copy(
            connection,
            "photos",
            ["id", "business_id", "product_id", "position", "width", "height", "created_at"],
            (
                (photo_ids[i], business_ids[i % businesses], product_ids[i], 0, 1080, 1080, now)
                for i in range(products)
            ),
            products,
            echo,
        )
        program = _ids("prg", 1, rng)[0]
        connection.execute(
            "INSERT INTO programs (id, name, description, organizer, created_at, updated_at,"
            " version) VALUES (%s, 'Sekoper Cinta', '', 'DP3A Jawa Barat', %s, %s, 1)",
            (program, now, now),
        )
        regencies = sorted({v.rsplit(".", 2)[0] for v in villages})
        cohort_rows = [
            (
                _ids("coh", 1, rng)[0],
                program,
                f"Sekoper Cinta {r} {y}",
                y,
                r,
                "umkm",
                dt.date(y, 11, 30),
                "[]",
                now,
                now,
                1,
            )
            for r in regencies
            for y in (2022, 2023, 2024)
        ]
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
        orders = max(products // 10, 1)
        order_ids = _ids("ord", orders, rng)

        def order_rows() -> Iterator[Sequence[Any]]:
            for i, order_id in enumerate(order_ids):
                product = i * 7 % products
                total = product_price[product]
                created = now - dt.timedelta(hours=i % 5000)
                yield (
                    order_id,
                    buyer_ids[i % len(buyer_ids)],
                    business_ids[product % businesses],
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
        item_ids = _ids("itm", orders, rng)
        _copy(
            connection,
            "order_items",
            [
                "id",
                "order_id",
                "position",
                "product_id",
                "product_name",
                "unit",
                "unit_price_idr",
                "quantity",
                "line_total_idr",
                "held",
            ],
            (
                (
                    item_ids[i],
                    order_ids[i],
                    0,
                    product_ids[i * 7 % products],
                    "Produk",
                    "pcs",
                    product_price[i * 7 % products],
                    1,
                    product_price[i * 7 % products],
                    0,
                )
                for i in range(orders)
            ),
            orders,
            echo,
        )
        months = [dt.date(2026, m, 1) for m in range(5, 11)]
        checkins = businesses * len(months)
        checkin_ids = _ids("chk", checkins, rng)

        def checkin_rows() -> Iterator[Sequence[Any]]:
            for i, business_id in enumerate(business_ids):
                for j, month in enumerate(months):
                    trading = rng.random() < 0.8
                    yield (
                        checkin_ids[i * len(months) + j],
                        business_id,
                        month,
                        trading,
                        rng.randint(1, 20) * 250_000 if trading else None,
                        None,
                        rng.randint(0, 40),
                        None,
                        "[]",
                        "",
                        "",
                        now,
                        now,
                        1,
                    )

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
            checkin_rows(),
            checkins,
            echo,
        )
        echo("  marking the public products (products.listed)")
        connection.execute(
            str(
                catalogue_changes.relist().compile(
                    dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                )
            )
        )
    # As a server in steady state has them: visibility maps (index-only scans) and statistics.
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url, autocommit=True) as connection:
        echo("  vacuuming and analysing tables")
        connection.execute("VACUUM (ANALYZE)")
    return {
        "users": len(user_ids),
        "businesses": businesses,
        "products": products,
        "photos": products,
        "cohorts": len(cohort_rows),
        "orders": orders,
        "check_ins": checkins,
    }
