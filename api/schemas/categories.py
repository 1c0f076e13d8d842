"""Categories."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from api.http.context import language
from api.schemas.common import (
    BaseSchema,
    PageQueryArgsSchema,
    Text,
    UpdatedSinceQueryArgsSchema,
    sort_field,
)
from api.schemas.references import CategoryFilter
from api.services.categories import SORTS

SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Lower-case words joined by hyphens.")


class CategorySchema(BaseSchema):
    """A category; ``name`` is in the language of Accept-Language, both names are given."""

    id = fields.String(required=True, metadata={"example": "cat_01M841AS1KVR98KEBCQ2DB43RK"})
    slug = fields.String(required=True, metadata={"example": "snacks-cakes"})
    name = fields.Method("localized_name", required=True, metadata={"example": "Kue dan camilan"})
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)
    parent_id = fields.String(allow_none=True, required=True)

    def localized_name(self, category: Any) -> str:
        return str(category.name_id if language() == "id" else category.name_en)


class CategoryCreateSchema(BaseSchema):
    """A new category."""

    slug = fields.String(required=True, validate=[validate.Length(min=2, max=60), SLUG])
    name_id = Text(required=True, min_length=2, max_length=80)
    name_en = Text(required=True, min_length=2, max_length=80)
    parent_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))


class CategoryQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    """Filters of the category list."""

    parent = CategoryFilter(metadata={"description": "Children of this category (id or slug)."})
    top_level = fields.Boolean(metadata={"description": "Only (or no) top-level categories."})
    sort = sort_field(SORTS, "slug")
