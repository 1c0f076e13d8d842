"""Orders between buyers and graduates' businesses; each transition is a sub-resource."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.bodies import Encoded, encode_json
from api.http.context import current_actor, db
from api.http.pages import encoded_entries_page
from api.models import Order, Review, Role
from api.schemas.common import ReasonSchema, page_of
from api.schemas.orders import (
    AcceptSchema,
    CancelSchema,
    OrderCreateSchema,
    OrderQueryArgsSchema,
    OrderSchema,
    PaymentSchema,
    ShipSchema,
)
from api.schemas.projection import projector
from api.schemas.reviews import ReviewCreateSchema, ReviewSchema
from api.services import changes, reviews
from api.services import orders as service
from api.services.shown import Shown

blp = Blueprint(
    "orders",
    __name__,
    scope="orders",
    url_prefix="/v1/orders",
    description=(
        "Orders: requested -> accepted (or declined) -> ready or shipped -> completed; "
        "cancelled by the buyer before acceptance or by the seller with a reason. "
        "Payment happens outside Berdaya; the seller records it."
    ),
)
BUYERS = (Role.BUYER, Role.ALUMNA, Role.MENTOR, Role.PARTNER)


def _act(order_id: str, action: str, **values: Any) -> Shown[Order]:
    actor = current_actor()
    return service.shown(
        actor, service.act(db(), actor=actor, order_id=order_id, action=action, **values)
    )


@blp.route("", methods=["POST"])
@blp.auth(*BUYERS)
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def create_order(data: dict[str, Any]) -> Shown[Order]:
    """Order from one business. Names and prices are copied, the total is computed, stock is
    held (409 when there is not enough)."""
    return service.shown(
        current_actor(), service.place_order(db(), actor=current_actor(), data=data)
    )


@blp.route("", methods=["GET"])
@blp.auth()
@blp.arguments(OrderQueryArgsSchema, location="query")
@blp.response(200, page_of(OrderSchema, changes=True))
def list_orders(args: dict[str, Any]) -> tuple[Encoded, dict[str, str]]:
    """Your orders as a buyer, or (`side=seller`) the orders to your businesses."""
    page = service.list_orders(db(), actor=current_actor(), **args)
    items = [encode_json(_order_item(document)) for document in page.items]
    return encoded_entries_page(changes.with_items(page, items), public=False)  # hers alone


_order_item = projector(OrderSchema())


@blp.route("/<string:order_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, OrderSchema)
def get_order(order_id: str) -> Shown[Order]:
    """Read an order (its buyer, its seller, admins)."""
    return service.shown(
        current_actor(), service.get_order(db(), actor=current_actor(), order_id=order_id)
    )


@blp.action(
    "/<string:order_id>/accept", body=AcceptSchema, body_required=False, response=OrderSchema
)
def accept_order(data: dict[str, Any], order_id: str) -> Shown[Order]:
    """The seller accepts, with a delivery fee and date if any."""
    return _act(order_id, "accept", **data)


@blp.action("/<string:order_id>/decline", body=ReasonSchema, response=OrderSchema)
def decline_order(data: dict[str, Any], order_id: str) -> Shown[Order]:
    """The seller declines a requested order; held stock goes back."""
    return _act(order_id, "decline", **data)


@blp.action("/<string:order_id>/ready", response=OrderSchema)
def mark_order_ready(order_id: str) -> Shown[Order]:
    """The seller says the order is ready (for pickup or delivery)."""
    return _act(order_id, "ready")


@blp.action("/<string:order_id>/ship", body=ShipSchema, body_required=False, response=OrderSchema)
def ship_order(data: dict[str, Any], order_id: str) -> Shown[Order]:
    """The seller sends the order, with the courier's tracking number if any."""
    return _act(order_id, "ship", **data)


@blp.action("/<string:order_id>/complete", response=OrderSchema)
def complete_order(order_id: str) -> Shown[Order]:
    """The buyer confirms she received it (otherwise it completes 7 days after)."""
    return _act(order_id, "complete")


@blp.action(
    "/<string:order_id>/cancel", body=CancelSchema, body_required=False, response=OrderSchema
)
def cancel_order(data: dict[str, Any], order_id: str) -> Shown[Order]:
    """The buyer cancels before acceptance; the seller cancels an accepted order with a reason.
    Held stock goes back."""
    return _act(order_id, "cancel", **data)


@blp.action("/<string:order_id>/payment", body=PaymentSchema, response=OrderSchema)
def record_order_payment(data: dict[str, Any], order_id: str) -> Shown[Order]:
    """The seller records how the buyer paid and marks the order paid (once)."""
    return service.shown(
        current_actor(),
        service.record_payment(
            db(),
            actor=current_actor(),
            order_id=order_id,
            method=data["method"],
            paid_at=data.get("paid_at"),
        ),
    )


@blp.route("/<string:order_id>/reviews", methods=["POST"])
@blp.auth()
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
@blp.alt_response(409, response="CONFLICT")
def create_review(data: dict[str, Any], order_id: str) -> Review:
    """The buyer reviews one product of her completed order, once."""
    return reviews.create_review(db(), actor=current_actor(), order_id=order_id, data=data)
