"""A seller's batch of product edits and what became of each item."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.common import BaseSchema
from api.schemas.products import ProductWriteSchema
from api.services.product_batches import FIELDS, MAX_ITEMS

MODES = ("all_or_nothing", "per_item")
# The three fields as a PATCH validates them (the same bounds), not a copy of their rules.
_PATCHED = {name: ProductWriteSchema._declared_fields[name] for name in FIELDS}


class ProductBatchItemSchema(BaseSchema.from_dict(_PATCHED)):  # type: ignore[misc]
    """One product's changes, with the ETag the seller last read of it."""

    product_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    if_match = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "The product's ETag as `GET /v1/products/{id}` (or the last batch) "
            "gave it, quoted or not; a stale one refuses the item (412).",
            "example": '"3f786850e387550fdab836ed7e6dc881de23001b"',
        },
    )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not any(name in data for name in FIELDS):
            raise ValidationError("Provide price_idr, stock or availability.", "_schema")


class ProductBatchSchema(BaseSchema):
    """Price, stock and availability of up to 100 of a business's products in one request."""

    mode = fields.String(
        load_default="all_or_nothing",
        validate=validate.OneOf(MODES),
        metadata={
            "description": "`all_or_nothing` (default): one refused item refuses the batch and "
            "nothing changes (the problem lists every item's status); `per_item`: every item "
            "that can be applied is, and the answer is 207 with each item's status.",
        },
    )
    items = fields.List(
        fields.Nested(ProductBatchItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )

    @validates_schema
    def _one_item_per_product(self, data: dict[str, Any], **_kwargs: Any) -> None:
        seen: dict[str, int] = {}
        errors: dict[int, dict[str, list[str]]] = {}
        for index, item in enumerate(data.get("items") or []):
            first = seen.setdefault(item["product_id"], index)
            if first != index:
                errors[index] = {"product_id": ["The same product as an earlier item."]}
        if errors:
            raise ValidationError({"items": errors})


class ProductBatchItemResultSchema(BaseSchema):
    """What became of one item: 200 applied; 404, 412, 422... refused; 424 not applied
    because another item of an all-or-nothing batch was refused."""

    index = fields.Integer(required=True)
    product_id = fields.String(required=True)
    status = fields.Integer(required=True)
    etag = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The product's new ETag (send it as the next If-Match)."},
    )
    problem = fields.Dict(
        allow_none=True,
        required=True,
        metadata={"description": "The refusal, as problem+json would carry it (null if none)."},
    )


class ProductBatchResultSchema(BaseSchema):
    """Each item's status, in the order sent."""

    items = fields.List(fields.Nested(ProductBatchItemResultSchema), required=True)
