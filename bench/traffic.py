"""The real-traffic shape (issue 27): requests drawn the way a national catalogue is used, not
the few hundred ids and twenty words of the first benchmark's scenarios.

- Product and business reads: ids from a Zipf law (exponent ``s``, 0.8-1.2) over the *whole*
  catalogue. Popularity is independent of age: ranks are given to a seeded permutation of the
  ids, not to the newest.
- Searches: words from a Zipf law over the whole vocabulary the dataset uses (the common
  words, nouns, adjectives, places and the 20,000-word tail), a share with filters (category,
  region at every level, price, availability, licence, verified graduate) and sorts.
- Region browse: every province, regency, district and village of West Java that has a
  business, each level a quarter of the requests.
- Signed-in users: owners reading their dashboard (own products, orders, leads, sales summary,
  their businesses) and buyers their orders and notifications, with access tokens.
- Order writes by signed-in buyers, on products drawn with the same Zipf law (in-stock ones
  get stock enough for the run; the stock is checked to the unit afterwards).

wrk picks uniformly among the drawn requests (``wrk.lua``), so each table is a sample of the
law with its repetitions: the mass of each id is its count in the sample. Rate limits stay on
(``run.py --shape real``): every anonymous request comes from one of ``ADDRESSES`` network
addresses through the trusted proxy (``X-Forwarded-For``, added by wrk.lua), signed-in ones are
counted per user, both against the production budget.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import psycopg

from bench import dataset

# Anonymous visitors' network addresses: 20,000 subscribers (a carrier's CGNAT shares an
# address among many; the budget is per address, so fewer addresses is the harsher case).
ADDRESSES = 20_000

# The mix's shares (per cent), writes included.
MIX = {
    "product": 32,
    "business": 10,
    "search": 18,
    "search filtered": 12,
    "region": 8,
    "owner dashboard": 8,
    "buyer pages": 6,
    "304": 3,
    "order": 3,
}


class Zipf:
    """Ranks 0..n-1 with P(rank) proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float, rng: random.Random) -> None:
        self.rng = rng
        self.cumulative: list[float] = []
        total = 0.0
        for rank in range(n):
            total += 1.0 / (rank + 1) ** s
            self.cumulative.append(total)
        self.n = n

    def draw(self, k: int) -> list[int]:
        return self.rng.choices(range(self.n), cum_weights=self.cumulative, k=k)


def _permuted(items: Sequence[Any], rng: random.Random) -> list[Any]:
    out = list(items)
    rng.shuffle(out)
    return out


def vocabulary() -> list[str]:
    """Every word the dataset writes into names, descriptions and tags."""
    words = dataset.COMMON + dataset.NOUNS + dataset.ADJECTIVES + dataset.REGIONS
    words += dataset._vocabulary(random.Random(2026))
    return list(dict.fromkeys(w.lower() for w in words))


def sample(url: str, s: float, seed: int = 27) -> dict[str, Any]:
    """Everything the tables draw from: the catalogue's ids (permuted), regions, categories."""
    rng = random.Random(seed)
    with psycopg.connect(url) as connection:
        products = [r[0] for r in connection.execute("SELECT id FROM products WHERE listed")]
        businesses = [
            r[0]
            for r in connection.execute(
                "SELECT id FROM businesses WHERE status = 'active' AND hidden_at IS NULL"
            )
        ]
        places = connection.execute(
            "SELECT DISTINCT village_code, district_code, regency_code FROM businesses"
        ).fetchall()
        categories = [r[0] for r in connection.execute("SELECT slug FROM categories")]
    products.sort()
    businesses.sort()
    return {
        "s": s,
        "rng": rng,
        "products": _permuted(products, rng),
        "businesses": _permuted(businesses, rng),
        "regions": {
            "province": ["32"],
            "regency": sorted({p[2] for p in places}),
            "district": sorted({p[1] for p in places}),
            "village": sorted({p[0] for p in places}),
        },
        "categories": sorted(categories),
        "words": _permuted(vocabulary(), rng),
    }


def _zipf_ids(data: dict[str, Any], kind: str, k: int) -> list[str]:
    items = data[kind]
    key = f"zipf:{kind}"
    if key not in data:
        data[key] = Zipf(len(items), data["s"], data["rng"])
    return [items[i] for i in data[key].draw(k)]


def _table(paths: list[tuple[str, str, str, str]], label: str = "") -> list[tuple]:
    """(method, path, headers, body) drawn with repetitions -> wrk lines, weight = count."""
    counts = Counter(paths)
    return [(n, *request, label) for request, n in counts.items()]


def product_reads(data: dict[str, Any], k: int) -> list[tuple[str, str, str, str]]:
    return [("GET", f"/v1/products/{p}", "", "") for p in _zipf_ids(data, "products", k)]


def business_reads(data: dict[str, Any], k: int) -> list[tuple[str, str, str, str]]:
    return [("GET", f"/v1/businesses/{b}", "", "") for b in _zipf_ids(data, "businesses", k)]


def searches(data: dict[str, Any], k: int) -> list[tuple[str, str, str, str]]:
    """The search box: one or two words (a quarter two), by relevance."""
    rng: random.Random = data["rng"]
    first = _zipf_ids(data, "words", k)
    second = _zipf_ids(data, "words", k)
    out = []
    for a, b in zip(first, second, strict=True):
        q = f"{a}+{b}" if rng.random() < 0.25 else a
        out.append(("GET", f"/v1/products?q={q}&limit=20", "", ""))
    return out


def _region(data: dict[str, Any]) -> str:
    rng: random.Random = data["rng"]
    level = rng.choice(["province", "regency", "district", "village"])
    codes: list[str] = data["regions"][level]
    return rng.choice(codes)


def filtered_searches(data: dict[str, Any], k: int) -> list[tuple[str, str, str, str]]:
    """Searches with one or two filters and a sort; a fifth browse without words."""
    rng: random.Random = data["rng"]
    words = _zipf_ids(data, "words", k)
    out = []
    for word in words:
        params = [] if rng.random() < 0.2 else [f"q={word}"]
        filters = [
            lambda: f"category={rng.choice(data['categories'])}",
            lambda: f"region={_region(data)}",
            lambda: rng.choice(
                [
                    f"price_max={rng.choice([25, 50, 100, 200])}000",
                    f"price_min={rng.choice([50, 100, 250])}000",
                    f"price_min={rng.choice([10, 25, 50])}000&price_max=100000",
                ]
            ),
            lambda: f"availability={rng.choice(['in_stock', 'pre_order'])}",
            lambda: f"licence={rng.choice(['nib', 'pirt', 'halal', 'bpom'])}",
            lambda: "verified_graduate=true",
        ]
        for make in rng.sample(filters, rng.choice([1, 1, 2])):
            params.append(make())
        sort = rng.choice(["", "", "price", "-price", "newest"])
        if sort or not any(p.startswith("q=") for p in params):
            params.append(f"sort={sort or 'newest'}")
        out.append(("GET", "/v1/products?" + "&".join(params) + "&limit=20", "", ""))
    return out


def region_browse(data: dict[str, Any], k: int) -> list[tuple[str, str, str, str]]:
    rng: random.Random = data["rng"]
    out = []
    for _ in range(k):
        extra = f"&category={rng.choice(data['categories'])}" if rng.random() < 0.2 else ""
        out.append(("GET", f"/v1/businesses?region={_region(data)}{extra}&limit=20", "", ""))
    return out


def owner_pages(owners: list[tuple[str, str]], k: int, rng: random.Random) -> list[tuple]:
    """An owner's dashboard: (token, business id) -> her products, orders, leads, sales."""
    out = []
    for _ in range(k):
        token, business = rng.choice(owners)
        auth = f"Authorization: Bearer {token}"
        path = rng.choice(
            [
                f"/v1/businesses/{business}/products?limit=20",
                f"/v1/orders?side=seller&business={business}&limit=20",
                f"/v1/businesses/{business}/leads?limit=20",
                f"/v1/businesses/{business}/sales-summary",
                "/v1/me/businesses",
            ]
        )
        out.append(("GET", path, auth, ""))
    return out


def buyer_pages(buyers: list[str], k: int, rng: random.Random) -> list[tuple]:
    out = []
    for _ in range(k):
        auth = f"Authorization: Bearer {rng.choice(buyers)}"
        path = rng.choice(["/v1/orders?side=buyer&limit=20", "/v1/me/notifications?limit=20"])
        out.append(("GET", path, auth, ""))
    return out


def order_products(url: str, data: dict[str, Any], k: int = 200) -> list[dict[str, Any]]:
    """Products to order, drawn with the Zipf law: (id, business id, availability)."""
    draws = _zipf_ids(data, "products", k)
    data["order_draws"] = draws
    ids = list(dict.fromkeys(draws))
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT id, business_id, availability FROM products WHERE id = ANY(%s)", (ids,)
        ).fetchall()
    return [{"id": r[0], "business": r[1], "availability": r[2]} for r in rows]


def stock_of(url: str, products: list[dict[str, Any]]) -> dict[str, int]:
    ids = [p["id"] for p in products if p["availability"] == "in_stock"]
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT id, stock FROM products WHERE id = ANY(%s)", (ids,)
        ).fetchall()
    return {r[0]: r[1] for r in rows}


def top_up_stock(url: str, products: list[dict[str, Any]], units: int = 1_000_000) -> None:
    """Enough stock that no order is refused for want of it (stock is checked afterwards)."""
    ids = [p["id"] for p in products if p["availability"] == "in_stock"]
    with psycopg.connect(url) as connection:
        connection.execute(
            "UPDATE products SET stock = %s WHERE id = ANY(%s) AND stock < %s",
            (units, ids, units // 2),
        )


def ordered_units(url: str, since: Any, products: list[dict[str, Any]]) -> dict[str, int]:
    ids = [p["id"] for p in products if p["availability"] == "in_stock"]
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT i.product_id, sum(i.quantity) FROM order_items i JOIN orders o"
            " ON o.id = i.order_id WHERE o.created_at >= %s AND i.product_id = ANY(%s)"
            " GROUP BY i.product_id",
            (since, ids),
        ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def orders(
    products: list[dict[str, Any]], buyers: list[str], k: int, data: dict[str, Any]
) -> list[tuple]:
    rng: random.Random = data["rng"]
    by_id = {p["id"]: p for p in products}
    out = []
    for _ in range(k):
        product = by_id[rng.choice(data["order_draws"])]
        body = json.dumps(
            {
                "business_id": product["business"],
                "items": [{"product_id": product["id"], "quantity": rng.choice([1, 1, 2])}],
                "delivery_method": "pickup",
                "contact_phone": "+6281200000001",
            }
        )
        auth = f"Authorization: Bearer {rng.choice(buyers)}|Content-Type: application/json"
        out.append(("POST", "/v1/orders", auth, body))
    return out
