"""Orders: what a buyer sends, what both parties read, and the bodies of the transitions."""

from __future__ import annotations

from marshmallow import fields, validate

from api.models import Business, DeliveryMethod, OrderStatus, PaymentMethod
from api.schemas.common import (
    AwareDateTime,
    BaseSchema,
    Date,
    PageQueryArgsSchema,
    PhoneNumber,
    Text,
    Timestamp,
    UpdatedSinceQueryArgsSchema,
    sort_field,
)
from api.schemas.photos import PhotoSchema
from api.schemas.references import Known
from api.services.orders import SORTS

MAX_ITEMS = 30
MAX_QUANTITY = 10_000
MAX_FEE_IDR = 100_000_000


class OrderLineSchema(BaseSchema):
    product_id = fields.String(required=True, validate=validate.Length(max=32))
    quantity = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )


class OrderCreateSchema(BaseSchema):
    """An order to one business. Prices and the total are the server's, not the client's."""

    business_id = fields.String(required=True, validate=validate.Length(max=32))
    items = fields.List(
        fields.Nested(OrderLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )
    delivery_method = fields.Enum(DeliveryMethod, by_value=True, required=True)
    delivery_address = Text(
        min_length=5,
        max_length=300,
        metadata={"description": "Required for local_delivery and shipping."},
    )
    note = Text(max_length=1000, load_default="")
    contact_name = Text(
        min_length=1, max_length=100, metadata={"description": "Default: your account's name."}
    )
    contact_phone = PhoneNumber(
        mobile_only=True, metadata={"description": "Default: your account's phone."}
    )


class OrderItemSchema(BaseSchema):
    """A line as it was when ordered (the product may have changed since)."""

    product_id = fields.String(allow_none=True, required=True)
    product_name = fields.String(required=True)
    unit = fields.String(required=True)
    unit_price_idr = fields.Integer(required=True)
    quantity = fields.Integer(required=True)
    line_total_idr = fields.Integer(required=True)
    thumbnail = fields.Nested(
        PhotoSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The product's first photo now (null without one)."},
    )


class OrderPartySchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class OrderContactSchema(BaseSchema):
    """The buyer's contact for this order (seen by the seller)."""

    name = fields.String(required=True)
    phone = fields.String(required=True)
    delivery_address = fields.String(allow_none=True, required=True)


class OrderPaymentSchema(BaseSchema):
    """How it was paid (outside Berdaya), as the seller recorded it."""

    method = fields.Enum(PaymentMethod, by_value=True, allow_none=True, required=True)
    paid_at = Timestamp(allow_none=True, required=True)


class OrderSchema(BaseSchema):
    """An order, as its buyer and its seller see it."""

    id = fields.String(required=True, metadata={"example": "ord_01M84..."})
    status = fields.Enum(OrderStatus, by_value=True, required=True)
    business = fields.Nested(OrderPartySchema, required=True)
    buyer_id = fields.String(required=True)
    items = fields.List(fields.Nested(OrderItemSchema), required=True)
    delivery_method = fields.Enum(DeliveryMethod, by_value=True, required=True)
    note = fields.String(required=True)
    contact = fields.Nested(OrderContactSchema, required=True)
    subtotal_idr = fields.Integer(required=True)
    delivery_fee_idr = fields.Integer(required=True)
    total_idr = fields.Integer(required=True)
    delivery_date = Date(allow_none=True, required=True)
    tracking = fields.String(allow_none=True, required=True)
    reason = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Why it was declined or cancelled."},
    )
    payment = fields.Nested(OrderPaymentSchema, required=True)
    allowed_actions = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "What you may do now: the transition sub-resources."},
    )
    accepted_at = Timestamp(allow_none=True, required=True)
    fulfilled_at = Timestamp(
        allow_none=True, required=True, metadata={"description": "When it was ready or shipped."}
    )
    completes_at = Timestamp(
        allow_none=True,
        required=True,
        metadata={"description": "When it completes by itself unless the buyer confirms first."},
    )
    completed_at = Timestamp(allow_none=True, required=True)
    closed_at = Timestamp(
        allow_none=True, required=True, metadata={"description": "When declined or cancelled."}
    )
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class OrderQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    """Your orders: as the buyer (default) or as the seller."""

    side = fields.String(
        load_default="buyer",
        validate=validate.OneOf(["buyer", "seller"]),
        metadata={
            "description": "`buyer`: orders you placed; `seller`: orders to your businesses."
        },
    )
    status = fields.List(
        fields.Enum(OrderStatus, by_value=True),
        validate=validate.Length(max=7),
        metadata={"description": "Repeat to include several statuses."},
    )
    business = Known(Business, error="Unknown business.")
    created_from = AwareDateTime(metadata={"description": "Placed at or after (RFC 3339)."})
    created_to = AwareDateTime(metadata={"description": "Placed before (RFC 3339)."})
    sort = sort_field(SORTS, "-created_at")


class AcceptSchema(BaseSchema):
    """Accept the order, with the delivery fee and date if any."""

    delivery_fee_idr = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_FEE_IDR)
    )
    delivery_date = Date(allow_none=True, load_default=None)


class ShipSchema(BaseSchema):
    tracking = Text(max_length=100, metadata={"description": "Courier and tracking number."})


class CancelSchema(BaseSchema):
    """The seller must say why; the buyer may."""

    reason = Text(min_length=3, max_length=500)


class PaymentSchema(BaseSchema):
    """How the buyer paid (outside Berdaya); marks the order paid."""

    method = fields.Enum(PaymentMethod, by_value=True, required=True)
    paid_at = AwareDateTime(
        metadata={"description": "When the money arrived; default now (a future time is now)."}
    )
