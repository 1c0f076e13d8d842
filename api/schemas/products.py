"""Products: what the owner writes, what everyone reads, and the change history."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.catalogue.search import SORTS as SEARCH_SORTS
from api.models import Availability, Business, LicenceKind, ProductStatus
from api.schemas.businesses import CategoryRefSchema
from api.schemas.common import (
    BaseSchema,
    PageQueryArgsSchema,
    RatingSchema,
    Text,
    Timestamp,
    UpdatedSinceQueryArgsSchema,
    href,
    sort_field,
    value_of,
)
from api.schemas.photos import PhotoSchema, thumbnail_url
from api.schemas.references import CategoryFilter, Known, Place, PlaceSchema, RegionFilter
from api.services.products import SORTS

MAX_PRICE_IDR = 1_000_000_000_000
TAG = validate.Regexp(r"^[a-z0-9][a-z0-9 -]{0,29}$", error="Lower-case words, 1-30 characters.")


class ProductWriteSchema(BaseSchema):
    """Fields the owner writes; status, business, slug and counters are not among them."""

    name = Text(min_length=3, max_length=120, metadata={"example": "Kue lapis legit (1 loyang)"})
    description = Text(max_length=4000)
    category_id = fields.String(validate=validate.Length(max=32))
    price_idr = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_PRICE_IDR),
        metadata={"description": "Whole rupiah.", "example": 25000},
    )
    unit = Text(min_length=1, max_length=30, metadata={"example": "loyang"})
    min_order = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    availability = fields.Enum(Availability, by_value=True)
    stock = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000)
    )
    lead_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=90))
    tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=10))


class ProductCreateSchema(ProductWriteSchema):
    """A new product; it starts as a draft."""

    name = Text(required=True, min_length=3, max_length=120)
    category_id = fields.String(required=True, validate=validate.Length(max=32))
    price_idr = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_PRICE_IDR)
    )
    unit = Text(required=True, min_length=1, max_length=30)
    availability = fields.Enum(Availability, by_value=True, required=True)
    description = Text(max_length=4000, load_default="")
    min_order = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=10_000), load_default=1
    )
    tags = fields.List(
        fields.String(validate=TAG), validate=validate.Length(max=10), load_default=list
    )


class ProductPatchSchema(ProductWriteSchema):
    """Changes to a product (send If-Match)."""

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class ProductBusinessSchema(BaseSchema):
    """The seller, as the public sees it."""

    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    district = Place(required=True)
    regency = Place(required=True)
    verified_graduate = fields.Boolean(required=True)
    contactable = fields.Boolean(
        required=True, metadata={"description": "Whether buyers can contact the seller."}
    )


class ProductSchema(BaseSchema):
    """A product."""

    id = fields.String(required=True, metadata={"example": "prd_01M84..."})
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.Nested(CategoryRefSchema, required=True)
    price_idr = fields.Integer(required=True)
    unit = fields.String(required=True)
    min_order = fields.Integer(required=True)
    availability = fields.Enum(Availability, by_value=True, required=True)
    stock = fields.Integer(allow_none=True, required=True)
    lead_days = fields.Integer(allow_none=True, required=True)
    status = fields.Enum(ProductStatus, by_value=True, required=True)
    tags = fields.List(fields.String(), required=True)
    photos = fields.List(fields.Nested(PhotoSchema), required=True)
    business = fields.Nested(ProductBusinessSchema, required=True)
    rating = fields.Nested(RatingSchema, required=True)
    stats = fields.Method(
        "owner_stats",
        allow_none=True,
        metadata={
            "type": "object",
            "description": "`views` and `leads`: on the detail, for the owner; otherwise null.",
        },
    )
    published_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)

    def owner_stats(self, product: Any) -> dict[str, int] | None:
        stats: dict[str, int] | None = getattr(product, "stats", None)
        return stats


class ProductSummaryBusinessSchema(BaseSchema):
    """The seller, as a list row shows her."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    district = fields.Nested(PlaceSchema, required=True)


class ProductSummarySchema(BaseSchema):
    """A product as a list row shows it (the default in lists; `view=full` for `Product`)."""

    id = fields.String(required=True, metadata={"example": "prd_01M84..."})
    name = fields.String(required=True)
    price_idr = fields.Integer(required=True)
    unit = fields.String(required=True)
    availability = value_of(Availability)
    status = value_of(ProductStatus)
    thumbnail_url = thumbnail_url()
    business = fields.Nested(ProductSummaryBusinessSchema, required=True)
    rating = fields.Nested(RatingSchema, required=True)
    href = href("products")


class ProductChangeSchema(BaseSchema):
    """One change of price, stock or availability."""

    field = fields.String(required=True, metadata={"example": "price_idr"})
    old_value = fields.String(allow_none=True, required=True)
    new_value = fields.String(allow_none=True, required=True)
    changed_by_id = fields.String(allow_none=True, required=True)
    changed_at = Timestamp(required=True)


class BusinessProductQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    """Filters of one business's products."""

    status = fields.Enum(ProductStatus, by_value=True, metadata={"description": "Owner only."})
    sort = sort_field(SORTS, "name")


class ProductSearchQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    """Words and filters of the public product search (``updated_since`` by filters only)."""

    @validates_schema
    def _no_words_since(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("q") and data.get("updated_since"):
            raise ValidationError("Changes are by filters: leave out q.", "updated_since")

    q = Text(
        min_length=1,
        max_length=200,
        metadata={
            "description": "Words to find in the name, tags and description; each word matches "
            "as a prefix, accents are ignored, and all words must match."
        },
    )
    category = CategoryFilter()
    region = RegionFilter()
    price_min = fields.Integer(strict=False, validate=validate.Range(min=0, max=MAX_PRICE_IDR))
    price_max = fields.Integer(strict=False, validate=validate.Range(min=0, max=MAX_PRICE_IDR))
    availability = fields.Enum(Availability, by_value=True)
    licence = fields.Enum(LicenceKind, by_value=True, metadata={"description": "Seller holds it."})
    verified_graduate = fields.Boolean()
    business = Known(
        Business, error="Unknown business.", metadata={"description": "A business id."}
    )
    sort = fields.String(
        validate=validate.OneOf(sorted(SEARCH_SORTS)),
        metadata={
            "description": "relevance (the default with `q`: name above tags above description; "
            "every match is ranked when a word of `q` is rare, otherwise the best of the 500 "
            "most recent matches, so a query of common words only has a relevance list that "
            "ends there: sort by newest or price to see every match), newest (the default "
            "without `q`), price, -price."
        },
    )

    @validates_schema
    def _price_range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be below price_min.", "price_max")
