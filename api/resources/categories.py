"""The bilingual product taxonomy."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import db
from api.http.pages import page_response
from api.models import Category, Role
from api.pagination import Page
from api.schemas.categories import CategoryCreateSchema, CategoryQueryArgsSchema, CategorySchema
from api.schemas.common import page_of
from api.services import categories as service

blp = Blueprint(
    "categories",
    __name__,
    scope="catalogue",
    url_prefix="/v1/categories",
    description="What graduates make: a taxonomy named in Indonesian and English.",
)


@blp.route("", methods=["GET"])
@blp.arguments(CategoryQueryArgsSchema, location="query")
@blp.response(200, page_of(CategorySchema, changes=True))
def list_categories(args: dict[str, Any]) -> tuple[Page[Category], dict[str, str]]:
    """List categories (`name` follows Accept-Language; both names are always given)."""
    return page_response(service.list_categories(db(), **args))


@blp.route("", methods=["POST"])
@blp.auth(Role.ADMIN)
@blp.etag
@blp.arguments(CategoryCreateSchema)
@blp.response(201, CategorySchema)
@blp.alt_response(409, response="CONFLICT")
def create_category(data: dict[str, Any]) -> Category:
    """Add a category (platform admins)."""
    return service.create_category(db(), data=data)


@blp.route("/<string:category_id>", methods=["GET"])
@blp.etag
@blp.response(200, CategorySchema)
def get_category(category_id: str) -> Category:
    """Read a category."""
    return service.get_category(db(), category_id)
