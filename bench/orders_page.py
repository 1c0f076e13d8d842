"""What a buyer's page of orders costs per layer, and what the same rows cost without the
ORM and marshmallow: an estimate of the lever "documents built without the ORM"
(bench/README.md), measured, not guessed.

    .venv/bin/python bench/orders_page.py --products 1000000

For a buyer with at least 20 orders in the benchmark's dataset, it times (best of 15 rounds
of 50, this process only):

- ``orm``: the page as ``GET /v1/orders?side=buyer&limit=20`` builds it: the service's
  statements through the ORM (orders with the seller's name, items, their products' photos),
  what each caller may do (``Shown``), marshmallow's dump, the JSON;
- ``orm rows``: only the ORM's statements and objects; ``+ shown``: with what the buyer may
  do with each; ``+ dump``: with marshmallow's dump (``orm`` adds the JSON);
- ``core``: the same three statements in SQLAlchemy Core, rows turned into the same kind of
  dicts by hand and encoded: what the ORM-free path would cost at best (the document is not
  byte-for-byte the API's; it has the same rows, values and nesting).
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000, help="the dataset's size")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    url = f"{args.server}/berdaya_bench_{args.products}"
    os.environ.update(bench_run.server_env(url, "redis://127.0.0.1:6379/8"))

    from sqlalchemy import func, select

    from api import create_app
    from api.dates import rfc3339
    from api.http import jsonbodies
    from api.http.context import db
    from api.models import Business, Order, OrderItem, Photo, User
    from api.schemas.common import page_of
    from api.schemas.orders import OrderSchema
    from api.services import changes
    from api.services import orders as service
    from api.services.authz import Actor

    app = create_app()
    schema = page_of(OrderSchema, changes=True)()
    with app.test_request_context("/"):
        session = db()
        buyer_id = session.scalar(
            select(Order.buyer_id).group_by(Order.buyer_id).having(func.count() >= 20).limit(1)
        )
        if buyer_id is None:
            raise SystemExit("no buyer with 20 orders: run bench/run.py --shape real first")
        actor = Actor(user=session.get(User, buyer_id))

        def orm_rows() -> Any:
            session.expunge_all()  # each round loads its rows again, as a request does
            return service.list_orders(session, actor=actor, side="buyer", limit=20)

        def orm_shown() -> Any:
            page = orm_rows()
            return changes.with_items(page, [service.shown(actor, order) for order in page.items])

        def orm_dumped() -> Any:
            return schema.dump(orm_shown())

        def orm() -> bytes:
            return jsonbodies.dumps(orm_dumped())

        connection = session.connection()
        orders = (
            select(Order.__table__, Business.name.label("business_name"))
            .join(Business, Business.id == Order.business_id)
            .where(Order.buyer_id == buyer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(21)
        )
        items_of = OrderItem.__table__
        photos_of = Photo.__table__

        def core() -> bytes:
            rows = connection.execute(orders).mappings().all()[:20]
            ids = [row["id"] for row in rows]
            items = (
                connection.execute(
                    select(items_of)
                    .where(items_of.c.order_id.in_(ids))
                    .order_by(items_of.c.position)
                )
                .mappings()
                .all()
            )
            products = {item["product_id"] for item in items if item["product_id"]}
            thumbnails: dict[str, dict[str, Any]] = {}
            for photo in connection.execute(
                select(photos_of)
                .where(photos_of.c.product_id.in_(products))
                .order_by(photos_of.c.position)
            ).mappings():
                thumbnails.setdefault(
                    photo["product_id"],
                    {"id": photo["id"], "width": photo["width"], "height": photo["height"]},
                )
            lines: dict[str, list[dict[str, Any]]] = {}
            for item in items:
                lines.setdefault(item["order_id"], []).append(
                    {
                        "product_id": item["product_id"],
                        "product_name": item["product_name"],
                        "unit": item["unit"],
                        "unit_price_idr": item["unit_price_idr"],
                        "quantity": item["quantity"],
                        "line_total_idr": item["line_total_idr"],
                        "thumbnail": thumbnails.get(item["product_id"]),
                    }
                )
            page = [
                {
                    "id": row["id"],
                    "status": row["status"].value,
                    "business": {"id": row["business_id"], "name": row["business_name"]},
                    "buyer_id": row["buyer_id"],
                    "items": lines.get(row["id"], []),
                    "delivery_method": row["delivery_method"].value,
                    "note": row["note"],
                    "contact": {
                        "name": row["contact_name"],
                        "phone": row["contact_phone"],
                        "delivery_address": row["delivery_address"],
                    },
                    "subtotal_idr": row["subtotal_idr"],
                    "delivery_fee_idr": row["delivery_fee_idr"],
                    "total_idr": row["total_idr"],
                    "tracking": row["tracking"],
                    "reason": row["reason"],
                    "payment": {
                        "method": row["payment_method"] and row["payment_method"].value,
                        "paid_at": rfc3339(row["paid_at"]),
                    },
                    "accepted_at": rfc3339(row["accepted_at"]),
                    "completed_at": rfc3339(row["completed_at"]),
                    "created_at": rfc3339(row["created_at"]),
                    "updated_at": rfc3339(row["updated_at"]),
                }
                for row in rows
            ]
            return jsonbodies.dumps({"items": page, "next_cursor": None})

        from sqlalchemy import event

        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        event.listen(session.get_bind(), "before_cursor_execute", count)
        for name, work in [("orm", orm), ("core", core)]:
            statements[0] = 0
            work()
            print(f"{name:>9}: {statements[0]} statements")
        for name, work in [
            ("orm", orm),
            ("orm rows", orm_rows),
            ("+ shown", orm_shown),
            ("+ dump", orm_dumped),
            ("core", core),
        ] * 2:
            best = min(timeit.repeat(work, number=50, repeat=15)) / 50 * 1e3
            print(f"{name:>9}: {best:.2f} ms a page of 20 orders (best of 15 rounds of 50)")
        if os.environ.get("PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for _ in range(50):
                orm_dumped()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
        session.rollback()


if __name__ == "__main__":
    main()
