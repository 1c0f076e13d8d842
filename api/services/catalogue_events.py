"""The catalogue's changes as events, as a mirror of the public catalogue needs them.

``product.published`` / ``business.published``: it became publicly visible (published and
active, not hidden). ``*.updated``: a public field changed; public while it is visible, private
to its owner otherwise. ``*.deleted``: it left the public catalogue (unpublished, archived,
paused, closed, hidden by a moderator), a tombstone: delete your copy; it may come back with
``*.published``. A business leaving the catalogue takes its products with it; its products'
own events are not repeated. ``*.created`` (a draft) is its owner's only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.models import Business, BusinessStatus, Product, ProductStatus
from api.services import events
from api.services.authz import Actor

PRODUCT_FIELDS = (
    "name",
    "description",
    "category_id",
    "price_idr",
    "unit",
    "min_order",
    "availability",
    "stock",
    "lead_days",
    "tags",
    "status",
)
BUSINESS_FIELDS = (
    "name",
    "description",
    "category_id",
    "village_code",
    "address",
    "channels",
    "opening_hours",
    "status",
)


@dataclass(frozen=True)
class Snapshot:
    public: bool
    values: dict[str, Any]


def is_public(item: Product | Business) -> bool:
    if isinstance(item, Product):
        return (
            item.status == ProductStatus.PUBLISHED
            and item.hidden_at is None
            and is_public(item.business)
        )
    return item.status == BusinessStatus.ACTIVE and item.hidden_at is None


def snapshot(item: Product | Business) -> Snapshot:
    names = PRODUCT_FIELDS if isinstance(item, Product) else BUSINESS_FIELDS
    return Snapshot(is_public(item), {name: getattr(item, name) for name in names})


def announce(
    session: Session, item: Product | Business, before: Snapshot | None, *, actor: Actor
) -> None:
    """Record what changed for the catalogue since ``before`` (None: it was just created)."""
    kind = "product" if isinstance(item, Product) else "business"
    owner = item.business.owner_id if isinstance(item, Product) else item.owner_id
    after = snapshot(item)
    changed = sorted(
        name for name in after.values if before is None or before.values[name] != after.values[name]
    )
    data: dict[str, Any] = {"status": _value(item.status)}
    if isinstance(item, Product):
        data.update(
            business_id=item.business_id,
            name=item.name,
            price_idr=item.price_idr,
            availability=_value(item.availability),
            stock=item.stock,
        )
    else:
        data.update(name=item.name, slug=item.slug, village_code=item.village_code)
    public, tombstone = False, False
    if before is None:
        what = "created"
    elif after.public and not before.public:
        what, public = "published", True
    elif before.public and not after.public:
        what, public, tombstone = "deleted", True, True
        data = {"reason": _reason(item)}
        if isinstance(item, Product):
            data["business_id"] = item.business_id
    elif changed:
        what, public = "updated", after.public
    else:
        return
    if what in ("updated", "published"):
        data["changed"] = changed
    events.record(
        session,
        type=f"{kind}.{what}",
        subject=item,
        actor=actor,
        data=data,
        audience=(owner,),
        public=public,
        tombstone=tombstone,
    )


def _reason(item: Product | Business) -> str:
    if item.hidden_at is not None:
        return "hidden"
    if isinstance(item, Product) and item.status == ProductStatus.PUBLISHED:
        return "business_unavailable"
    return _value(item.status)


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value
