"""Orders between buyers and graduates' businesses; each transition is a sub-resource."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pagination import page_response
from api.models import Order, Review, Role
from api.pagination import Page
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
from api.schemas.reviews import ReviewCreateSchema, ReviewSchema
from api.services import orders as service
from api.services import reviews

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


def shown(order: Order) -> Order:
    order.allowed_actions = service.allowed_actions(current_actor(), order)  # type: ignore[attr-defined]
    return order


def _act(order_id: str, action: str, **values: Any) -> Order:
    return shown(
        service.act(db(), actor=current_actor(), order_id=order_id, action=action, **values)
    )


@blp.route("", methods=["POST"])
@blp.auth(*BUYERS)
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def create_order(data: dict[str, Any]) -> Order:
    """Order from one business. Names and prices are copied, the total is computed, stock is
    held (409 when there is not enough)."""
    return shown(service.place_order(db(), actor=current_actor(), data=data))


@blp.route("", methods=["GET"])
@blp.auth()
@blp.arguments(OrderQueryArgsSchema, location="query")
@blp.response(200, page_of(OrderSchema))
def list_orders(args: dict[str, Any]) -> tuple[Page[Order], dict[str, str]]:
    """Your orders as a buyer, or (`side=seller`) the orders to your businesses."""
    page = service.list_orders(db(), actor=current_actor(), **args)
    for order in page.items:
        shown(order)
    return page_response(page)


@blp.route("/<string:order_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, OrderSchema)
def get_order(order_id: str) -> Order:
    """Read an order (its buyer, its seller, admins)."""
    return shown(service.get_order(db(), actor=current_actor(), order_id=order_id))


@blp.route("/<string:order_id>/accept", methods=["POST"])
@blp.auth()
@blp.arguments(AcceptSchema, required=False)
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def accept_order(data: dict[str, Any], order_id: str) -> Order:
    """The seller accepts, with a delivery fee and date if any."""
    return _act(order_id, "accept", **data)


@blp.route("/<string:order_id>/decline", methods=["POST"])
@blp.auth()
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def decline_order(data: dict[str, Any], order_id: str) -> Order:
    """The seller declines a requested order; held stock goes back."""
    return _act(order_id, "decline", **data)


@blp.route("/<string:order_id>/ready", methods=["POST"])
@blp.auth()
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def mark_order_ready(order_id: str) -> Order:
    """The seller says the order is ready (for pickup or delivery)."""
    return _act(order_id, "ready")


@blp.route("/<string:order_id>/ship", methods=["POST"])
@blp.auth()
@blp.arguments(ShipSchema, required=False)
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def ship_order(data: dict[str, Any], order_id: str) -> Order:
    """The seller sends the order, with the courier's tracking number if any."""
    return _act(order_id, "ship", **data)


@blp.route("/<string:order_id>/complete", methods=["POST"])
@blp.auth()
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def complete_order(order_id: str) -> Order:
    """The buyer confirms she received it (otherwise it completes 7 days after)."""
    return _act(order_id, "complete")


@blp.route("/<string:order_id>/cancel", methods=["POST"])
@blp.auth()
@blp.arguments(CancelSchema, required=False)
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def cancel_order(data: dict[str, Any], order_id: str) -> Order:
    """The buyer cancels before acceptance; the seller cancels an accepted order with a reason.
    Held stock goes back."""
    return _act(order_id, "cancel", **data)


@blp.route("/<string:order_id>/payment", methods=["POST"])
@blp.auth()
@blp.arguments(PaymentSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(409, response="CONFLICT")
def record_order_payment(data: dict[str, Any], order_id: str) -> Order:
    """The seller records how the buyer paid and marks the order paid (once)."""
    return shown(
        service.record_payment(
            db(),
            actor=current_actor(),
            order_id=order_id,
            method=data["method"],
            paid_at=data.get("paid_at"),
        )
    )


@blp.route("/<string:order_id>/reviews", methods=["POST"])
@blp.auth()
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
@blp.alt_response(409, response="CONFLICT")
def create_review(data: dict[str, Any], order_id: str) -> Review:
    """The buyer reviews one product of her completed order, once."""
    return reviews.create_review(db(), actor=current_actor(), order_id=order_id, data=data)
