"""Orders: placing one (prices copied, totals computed, stock held), its lifecycle, payment.

Each party has its own actions. The seller (the business's owner) accepts or declines, marks
the order ready or shipped, records the payment, and may cancel an accepted order with a
reason. The buyer cancels before acceptance and confirms completion; a ready or shipped order
she does not confirm completes by itself after ``AUTO_COMPLETE_AFTER`` (``complete_due``, run
by ``flask housekeeping``). Stock held by an order that ends unfulfilled goes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from api.catalogue.listing import business_is_public, product_is_shown
from api.dates import today
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    Availability,
    Business,
    DeliveryMethod,
    Order,
    OrderItem,
    OrderStatus,
    Photo,
    Product,
)
from api.pagination import Page, sort_options
from api.services import businesses, changes, events, products
from api.services.authz import Actor, authorize
from api.services.lifecycle import Lifecycle, refuse
from api.services.shown import Shown

AUTO_COMPLETE_AFTER = dt.timedelta(days=7)
SORTS = sort_options(Order, created_at=["created_at"])
# An order shows its seller's id and name: her business's row joined, not its category, places,
# photos and licences (loaded if something asks for them).
SELLER_NAME = joinedload(Order.business).lazyload("*")

REQUESTED, ACCEPTED, DECLINED, READY, SHIPPED, COMPLETED, CANCELLED = (
    OrderStatus.REQUESTED,
    OrderStatus.ACCEPTED,
    OrderStatus.DECLINED,
    OrderStatus.READY,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
)
SELLER: Lifecycle[OrderStatus] = Lifecycle(
    {
        "accept": (frozenset({REQUESTED}), ACCEPTED),
        "decline": (frozenset({REQUESTED}), DECLINED),
        "ready": (frozenset({ACCEPTED}), READY),
        "ship": (frozenset({ACCEPTED, READY}), SHIPPED),
        "cancel": (frozenset({ACCEPTED, READY}), CANCELLED),
    }
)
BUYER: Lifecycle[OrderStatus] = Lifecycle(
    {
        "cancel": (frozenset({REQUESTED}), CANCELLED),
        "complete": (frozenset({READY, SHIPPED}), COMPLETED),
    }
)
# Pickup orders are made ready, shipped orders are shipped; local delivery may be either.
FULFILMENT = {
    "ready": frozenset({DeliveryMethod.PICKUP, DeliveryMethod.LOCAL_DELIVERY}),
    "ship": frozenset({DeliveryMethod.LOCAL_DELIVERY, DeliveryMethod.SHIPPING}),
}
PAYABLE = frozenset({ACCEPTED, READY, SHIPPED, COMPLETED})
ENDED_UNFULFILLED = frozenset({DECLINED, CANCELLED})


def is_seller(actor: Actor, order: Order) -> bool:
    return actor.user_id is not None and actor.user_id == order.business.owner_id


def is_buyer(actor: Actor, order: Order) -> bool:
    return actor.user_id is not None and actor.user_id == order.buyer_id


def shown(actor: Actor, order: Order) -> Shown[Order]:
    """The order as the caller sees it, with what she may do with it now."""
    return Shown(order, allowed_actions=allowed_actions(actor, order))


def allowed_actions(actor: Actor, order: Order) -> list[str]:
    """What the caller may do with the order now (payment included)."""
    return _actions(
        actor,
        seller_id=order.business.owner_id,
        buyer_id=order.buyer_id,
        status=order.status,
        paid_at=order.paid_at,
    )


def _actions(
    actor: Actor,
    *,
    seller_id: str,
    buyer_id: str,
    status: OrderStatus,
    paid_at: dt.datetime | None,
) -> list[str]:
    actions: list[str] = []
    me = actor.user_id
    if me is not None and me == seller_id:
        actions += SELLER.allowed(status)
        if status in PAYABLE and paid_at is None:
            actions.append("payment")
    if me is not None and me == buyer_id:
        actions += [a for a in BUYER.allowed(status) if a not in actions]
    return actions


def place_order(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Order:
    """Order from one active business: check every line, hold stock, compute the total."""
    buyer = actor.require_user()
    business = session.get(Business, data["business_id"], options=[lazyload("*")])
    if business is None or not business_is_public(business):
        raise ValidationFailed(errors={"business_id": ["Not an active business."]})
    if business.owner_id == buyer.id:
        raise ValidationFailed(errors={"business_id": ["You cannot order from your own business."]})
    lines: Sequence[Mapping[str, Any]] = data["items"]
    ids = [line["product_id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(errors={"items": ["List each product once, with its quantity."]})
    if data["delivery_method"] != DeliveryMethod.PICKUP and not data.get("delivery_address"):
        raise ValidationFailed(
            errors={"delivery_address": ["Required for local delivery and shipping."]}
        )
    phone = data.get("contact_phone") or buyer.phone
    if not phone:
        raise ValidationFailed(errors={"contact_phone": ["Required: your account has no phone."]})

    locked = products.lock(session, ids)
    _check_lines(lines, locked, business)
    items = []
    for position, line in enumerate(lines):
        product, quantity = locked[line["product_id"]], line["quantity"]
        held = 0
        if product.availability == Availability.IN_STOCK and product.stock is not None:
            products.adjust_stock(session, product=product, delta=-quantity, actor=actor)
            held = quantity
        items.append(
            OrderItem(
                position=position,
                product_id=product.id,
                product_name=product.name,
                unit=product.unit,
                unit_price_idr=product.price_idr,
                quantity=quantity,
                line_total_idr=product.price_idr * quantity,
                held=held,
            )
        )
    subtotal = sum(item.line_total_idr for item in items)
    order = Order(
        buyer_id=buyer.id,
        business_id=business.id,
        delivery_method=data["delivery_method"],
        note=data.get("note", ""),
        contact_name=data.get("contact_name") or buyer.name,
        contact_phone=phone,
        delivery_address=data.get("delivery_address"),
        subtotal_idr=subtotal,
        delivery_fee_idr=0,
        total_idr=subtotal,
        items=items,
    )
    session.add(order)
    session.flush()
    businesses.touch(session, business.id)
    _event(session, order, "requested", actor)
    return order


def _check_lines(
    lines: Sequence[Mapping[str, Any]], locked: Mapping[str, Product], business: Business
) -> None:
    errors: dict[str, Any] = {}
    for index, line in enumerate(lines):
        product = locked.get(line["product_id"])
        if product is None or product.business_id != business.id:
            errors[str(index)] = {"product_id": ["Not a product of this business."]}
        elif not product_is_shown(product):
            errors[str(index)] = {"product_id": ["This product is not on sale."]}
        elif line["quantity"] < product.min_order:
            errors[str(index)] = {
                "quantity": [f"The minimum order of this product is {product.min_order}."]
            }
    if errors:
        raise ValidationFailed(errors={"items": errors})
    for line in lines:
        product, quantity = locked[line["product_id"]], line["quantity"]
        if product.availability == Availability.OUT_OF_STOCK:
            raise Conflict("out_of_stock", params={"product": product.name})
        if product.availability == Availability.IN_STOCK and (product.stock or 0) < quantity:
            raise Conflict(
                "insufficient_stock",
                params={"product": product.name, "available": product.stock or 0},
                extra={"product_id": product.id, "available": product.stock or 0},
            )


def get_order(session: Session, *, actor: Actor, order_id: str) -> Order:
    """The order, for its buyer, its seller and admins (404 to anyone else)."""
    order = session.get(Order, order_id, options=[SELLER_NAME])
    if order is None:
        raise NotFound()
    return authorize(actor, "view", order)


def act(session: Session, *, actor: Actor, order_id: str, action: str, **values: Any) -> Order:
    """Move the order along one of the caller's actions (409 naming the allowed ones)."""
    order = get_order(session, actor=actor, order_id=order_id)
    seller, buyer = is_seller(actor, order), is_buyer(actor, order)
    if seller and action in SELLER.actions:
        lifecycle = SELLER
    elif buyer and action in BUYER.actions:
        lifecycle = BUYER
    else:
        raise Forbidden("not_your_action", params={"action": action})
    if action == "cancel" and seller and not values.get("reason"):
        raise ValidationFailed(errors={"reason": ["Tell the buyer why you cancel."]})
    if action == "accept":
        _check_fee(order, values.get("delivery_fee_idr") or 0)
        _check_delivery_date(values.get("delivery_date"))
    if action in FULFILMENT and order.delivery_method not in FULFILMENT[action]:
        raise ValidationFailed(
            errors={"delivery_method": [f"A {order.delivery_method.value} order is not {action}."]}
        )
    lifecycle.apply(order, action)
    now = utcnow()
    if action == "accept":
        order.delivery_fee_idr = values.get("delivery_fee_idr") or 0
        order.total_idr = order.subtotal_idr + order.delivery_fee_idr
        order.delivery_date = values.get("delivery_date")
        order.accepted_at = now
    elif action in ("ready", "ship"):
        order.fulfilled_at = now
        order.completes_at = now + AUTO_COMPLETE_AFTER
        if action == "ship":
            order.tracking = values.get("tracking")
    elif action == "complete":
        order.completed_at = now
    else:  # decline, cancel
        order.reason = values.get("reason")
        order.closed_at = now
        _release_stock(session, order, actor)
    session.flush()
    _event(session, order, order.status.value, actor, reason=order.reason)
    return order


def _check_delivery_date(day: dt.date | None) -> None:
    if day is not None and day < today():
        raise ValidationFailed(errors={"delivery_date": ["Must not be in the past."]})


def _check_fee(order: Order, fee: int) -> None:
    if fee and order.delivery_method == DeliveryMethod.PICKUP:
        raise ValidationFailed(errors={"delivery_fee_idr": ["A pickup order has no delivery fee."]})


def record_payment(
    session: Session, *, actor: Actor, order_id: str, method: Any, paid_at: dt.datetime | None
) -> Order:
    """The seller records how the order was paid and marks it paid (once)."""
    order = get_order(session, actor=actor, order_id=order_id)
    if not is_seller(actor, order):
        raise Forbidden("not_your_action", params={"action": "payment"})
    if order.paid_at is not None:
        raise Conflict("already_paid")
    if order.status not in PAYABLE:
        refuse("payment", order.status)
    now = utcnow()
    if paid_at is not None and paid_at < order.created_at:
        raise ValidationFailed(errors={"paid_at": ["Before the order was placed."]})
    order.payment_method = method
    order.paid_at = min(paid_at, now) if paid_at else now
    session.flush()
    _event(session, order, "paid", actor, method=method.value)
    return order


def complete_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """Complete the ready or shipped orders whose buyers did not confirm in time."""
    now = now or utcnow()
    due = session.scalars(
        select(Order)
        .where(Order.status.in_([READY, SHIPPED]), Order.completes_at <= now)
        .order_by(Order.completes_at)
        .with_for_update(of=Order, skip_locked=True)
    ).all()
    for order in due:
        order.status = COMPLETED
        order.completed_at = now
        session.flush()
        _event(session, order, "completed", None, automatic=True)
    return len(due)


def list_orders(
    session: Session,
    *,
    actor: Actor,
    side: str,
    status: Sequence[OrderStatus] | None = None,
    business: str | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "-created_at",
    updated_since: dt.datetime | None = None,
) -> Page[dict[str, Any]]:
    """The caller's orders as a buyer, or the orders to her businesses as a seller: a page of
    documents (``documents``), what ``OrderSchema`` dumps."""
    user = actor.require_user()
    stmt = _ORDERS
    if side == "seller":
        stmt = stmt.where(_businesses.c.owner_id == user.id)
    else:
        stmt = stmt.where(_orders.c.buyer_id == user.id)
    if status:
        stmt = stmt.where(_orders.c.status.in_(status))
    if business:
        stmt = stmt.where(_orders.c.business_id == business)
    if created_from:
        stmt = stmt.where(_orders.c.created_at >= created_from)
    if created_to:
        stmt = stmt.where(_orders.c.created_at < created_to)
    connection = session.connection()
    return changes.paginate_changes(
        session,
        stmt,
        model=Order,
        since=updated_since,
        user_id=user.id,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
        from_rows=lambda rows: _documents(connection, actor, rows),
        load=lambda ids: documents(connection, actor, ids),
    )


# A page of orders is read without the ORM: loading 20 orders, their lines and photos as
# objects and dumping them through ``Shown`` cost about 2.5 times what these three statements
# and plain dicts do (bench/orders_page.py, bench/README.md).
_orders, _items, _photos, _businesses = (
    Order.__table__,
    OrderItem.__table__,
    Photo.__table__,
    Business.__table__,
)
_ORDERS = select(
    _orders,
    _businesses.c.name.label("seller_name"),
    _businesses.c.owner_id.label("seller_id"),
).join(_businesses, _businesses.c.id == _orders.c.business_id)
_ORDERS_BY_IDS = _ORDERS.where(_orders.c.id.in_(bindparam("ids", expanding=True)))
_ITEMS = (
    select(_items)
    .where(_items.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(_items.c.position)
)
# What ``OrderItem.thumbnail`` gives: the first photo of the line's product, by position.
_PHOTOS = (
    select(
        _photos.c.product_id, _photos.c.id, _photos.c.position, _photos.c.width, _photos.c.height
    )
    .where(_photos.c.product_id.in_(bindparam("products", expanding=True)))
    .order_by(_photos.c.product_id, _photos.c.position)
)


def documents(connection: Connection, actor: Actor, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The orders ``ids`` (in that order, those that exist) as ``shown`` gives them to
    ``actor``, as plain dicts: the same attributes, read without the ORM."""
    if not ids:
        return []
    found = {row.id: row for row in connection.execute(_ORDERS_BY_IDS, {"ids": list(ids)})}
    return _documents(connection, actor, [found[i] for i in ids if i in found])


def _documents(connection: Connection, actor: Actor, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of ``_ORDERS`` as documents, with their lines and thumbnails (two statements)."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    lines: dict[str, list[dict[str, Any]]] = {}
    for item in connection.execute(_ITEMS, {"ids": ids}).mappings():
        lines.setdefault(item["order_id"], []).append(dict(item))
    products = {line["product_id"] for each in lines.values() for line in each}
    products.discard(None)
    first: dict[str, dict[str, Any]] = {}
    if products:
        for photo in connection.execute(_PHOTOS, {"products": sorted(products)}).mappings():
            first.setdefault(photo["product_id"], dict(photo))
    out = []
    for row in rows:
        document = dict(row._mapping)
        for line in lines.get(row.id, []):
            line["thumbnail"] = first.get(line["product_id"]) if line["product_id"] else None
        document.update(
            business={"id": row.business_id, "name": row.seller_name},
            items=lines.get(row.id, []),
            contact={
                "name": row.contact_name,
                "phone": row.contact_phone,
                "delivery_address": row.delivery_address,
            },
            payment={"method": row.payment_method, "paid_at": row.paid_at},
            allowed_actions=_actions(
                actor,
                seller_id=row.seller_id,
                buyer_id=row.buyer_id,
                status=row.status,
                paid_at=row.paid_at,
            ),
        )
        out.append(document)
    return out


def _release_stock(session: Session, order: Order, actor: Actor) -> None:
    held = {item.product_id: item for item in order.items if item.held and item.product_id}
    if not held:
        return
    for product_id, product in products.lock(session, list(held)).items():
        item = held[product_id]
        products.adjust_stock(session, product=product, delta=item.held, actor=actor)
        item.held = 0


def _event(session: Session, order: Order, what: str, actor: Actor | None, **data: Any) -> None:
    events.record(
        session,
        type=f"order.{what}",
        subject=order,
        actor=actor,
        data={"status": order.status.value, "business_id": order.business_id, **data},
        notify=(order.buyer_id, order.business.owner_id),
    )
