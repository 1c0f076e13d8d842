"""A seller's batch of product edits (price, stock, availability), each item checked like a
``PATCH`` of its own: the same service, the same rules, events and cache evictions.

Every item runs in a savepoint of its own, so a refused item leaves the others applied (per
item); all or nothing, a refused item refuses the batch and the caller's transaction rolls
back whatever the others did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.errors import DomainError, NotFound, PreconditionFailed
from api.models import Product
from api.services import businesses, products
from api.services.authz import Actor

MAX_ITEMS = 100
FIELDS = ("price_idr", "stock", "availability")


@dataclass
class ItemResult:
    """What became of one item: its status, the product when applied, the refusal if not."""

    index: int
    product_id: str
    status: int
    product: Product | None = None
    error: DomainError | None = None


class BatchFailed(DomainError):
    """An all-or-nothing batch with refused items: nothing was applied. Its status is the
    first refused item's; ``results`` says what became of each item."""

    code = "batch_item_refused"

    def __init__(self, results: list[ItemResult]) -> None:
        first = next(r for r in results if r.error is not None)
        super().__init__(params={"index": first.index})
        self.status = first.status
        self.results = results


def update(
    session: Session,
    *,
    actor: Actor,
    business_id: str,
    items: Sequence[Mapping[str, Any]],
    atomic: bool,
    is_current: Callable[[Product, str], bool],
) -> list[ItemResult]:
    """Apply each item's changes to a product of the business if its ETag is current
    (``is_current``, the HTTP layer's If-Match check); raise ``BatchFailed`` when ``atomic``
    and an item is refused."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    results = []
    for index, item in enumerate(items):
        result = ItemResult(index, item["product_id"], 200)
        try:
            with session.begin_nested():
                result.product = _apply(session, actor, business.id, item, is_current)
        except StaleDataError:  # another request updated it between the check and the write
            result.status, result.error = 412, PreconditionFailed()
        except DomainError as error:
            result.status, result.error = error.status, error
        results.append(result)
    if atomic and any(r.error is not None for r in results):
        # What would have been applied was not: 424, as WebDAV says of a failed dependency.
        raise BatchFailed(
            [r if r.error else ItemResult(r.index, r.product_id, 424) for r in results]
        )
    return results


def _apply(
    session: Session,
    actor: Actor,
    business_id: str,
    item: Mapping[str, Any],
    is_current: Callable[[Product, str], bool],
) -> Product:
    product = session.get(Product, item["product_id"])
    # Another business's product is not in this batch's reach, whoever may edit it.
    if product is None or product.business_id != business_id:
        raise NotFound()
    product = products.get_product(session, actor=actor, product_id=product.id, action="edit")
    if not is_current(product, item["if_match"]):
        raise PreconditionFailed()
    changes = {name: item[name] for name in FIELDS if name in item}
    return products.update_product(session, actor=actor, product=product, changes=changes)
