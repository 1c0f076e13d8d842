"""Indonesian administrative regions (reference data, cacheable)."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import db
from api.http.pages import page_response
from api.models import Region
from api.pagination import Page
from api.schemas.common import page_of
from api.schemas.regions import RegionDetailSchema, RegionQueryArgsSchema, RegionSchema
from api.services import regions as service

blp = Blueprint(
    "regions",
    __name__,
    scope="catalogue",
    url_prefix="/v1/regions",
    description="Provinces, regencies and cities, districts and villages with official codes.",
)

# Reference data changes once a year at most: let clients and proxies keep it a day.
CACHE = {"Cache-Control": "public, max-age=86400"}


@blp.route("", methods=["GET"])
@blp.arguments(RegionQueryArgsSchema, location="query")
@blp.response(200, page_of(RegionSchema, changes=True))
def list_regions(args: dict[str, Any]) -> tuple[Page[Region], dict[str, str]]:
    """List regions: children of a parent, a level below it, or names containing `q`."""
    page, headers = page_response(service.list_regions(db(), **args))
    # Changes since a time are not the same answer tomorrow.
    return page, headers if args.get("updated_since") else {**headers, **CACHE}


@blp.route("/<string:code>", methods=["GET"])
@blp.etag
@blp.response(200, RegionDetailSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
def get_region(code: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a region and its ancestors (province first)."""
    region, ancestors = service.get_region(db(), code)
    return {**_as_dict(region), "ancestors": [_as_dict(a) for a in ancestors]}, CACHE


def _as_dict(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "kind": region.kind,
        "parent_code": region.parent_code,
    }
