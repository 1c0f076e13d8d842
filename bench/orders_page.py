"""What a buyer's page of orders costs per layer: read as ``GET /v1/orders`` reads it now
(Core rows into dicts, projected and encoded: ``api.services.orders.documents``) and as it was
read before, through the ORM, ``Shown`` and marshmallow.

    .venv/bin/python bench/orders_page.py --products 1000000

For a buyer with at least 20 orders in the benchmark's dataset, it times (best of 15 rounds
of 50, this process only):

- ``orm``: the page as the endpoint built it until the sixth session: the ORM's statements
  (orders with the seller's name, items, their products' photos), what the buyer may do with
  each (``Shown``), marshmallow's dump, the JSON; ``orm rows``: only the ORM's statements and
  objects; ``+ shown``: with ``Shown``; ``+ dump``: with the dump;
- ``served``: the page as the endpoint builds it now: the page's ids and sort keys, three
  statements in Core into dicts (``orders.documents``), each projected by ``OrderSchema``'s
  projector and encoded, the page joined;
- ``core``: only the statements and dicts of ``served``.

``PROFILE=1`` adds cProfile's costliest functions of the ORM path.
"""

from __future__ import annotations

import argparse
import json
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
    from sqlalchemy.orm import joinedload

    from api import create_app
    from api.http import jsonbodies
    from api.http.bodies import encode_json, encoded_page
    from api.http.context import db
    from api.models import Order, User
    from api.pagination import paginate
    from api.schemas.common import page_of
    from api.schemas.orders import OrderSchema
    from api.schemas.projection import projector
    from api.services import changes
    from api.services import orders as service
    from api.services.authz import Actor
    from api.services.orders import SORTS

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

        seller_name = joinedload(Order.business).lazyload("*")

        def orm_rows() -> Any:
            session.expunge_all()  # each round loads its rows again, as a request does
            stmt = select(Order).options(seller_name).where(Order.buyer_id == buyer_id)
            return paginate(
                session,
                stmt,
                model=Order,
                sort="-created_at",
                options=SORTS,
                limit=20,
                cursor=None,
            )

        def orm_shown() -> Any:
            page = orm_rows()
            return changes.with_items(page, [service.shown(actor, order) for order in page.items])

        def orm_dumped() -> Any:
            return schema.dump(orm_shown())

        def orm() -> bytes:
            return jsonbodies.dumps(orm_dumped())

        project = projector(OrderSchema())

        def core() -> Any:
            session.expunge_all()
            return service.list_orders(session, actor=actor, side="buyer", limit=20)

        def served() -> bytes:
            page = core()
            items = [encode_json(project(document)) for document in page.items]
            return encoded_page(items, page.next_cursor).body

        assert json.loads(served()) == json.loads(orm()), "the two paths differ"

        from sqlalchemy import event

        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        event.listen(session.get_bind(), "before_cursor_execute", count)
        for name, work in [("orm", orm), ("served", served)]:
            statements[0] = 0
            work()
            print(f"{name:>9}: {statements[0]} statements")
        for name, work in [
            ("orm", orm),
            ("orm rows", orm_rows),
            ("+ shown", orm_shown),
            ("+ dump", orm_dumped),
            ("served", served),
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
