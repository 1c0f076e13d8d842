"""Regions."""

from __future__ import annotations

from marshmallow import fields

from api.models import RegionLevel
from api.schemas.common import (
    BaseSchema,
    PageQueryArgsSchema,
    Text,
    UpdatedSinceQueryArgsSchema,
    sort_field,
)
from api.schemas.references import Place, RegionFilter
from api.services.regions import SORTS


class RegionSchema(BaseSchema):
    """A province, regency or city, district (kecamatan) or village (kelurahan or desa)."""

    code = fields.String(required=True, metadata={"example": "32.75.11.1004"})
    name = fields.String(required=True, metadata={"example": "Mustikasari"})
    level = fields.Enum(RegionLevel, by_value=True, required=True)
    kind = fields.String(
        required=True,
        metadata={"description": "provinsi, kabupaten, kota, kecamatan, kelurahan or desa."},
    )
    parent = Place(attribute="parent_code", allow_none=True, required=True)


class RegionDetailSchema(RegionSchema):
    """A region with its ancestors, province first."""

    ancestors = fields.List(fields.Nested(RegionSchema), required=True)


class RegionQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    """Filters of the region list."""

    parent = RegionFilter(
        metadata={"description": "Regions below this code (children, or any depth with `level`)."}
    )
    level = fields.Enum(RegionLevel, by_value=True)
    q = Text(min_length=1, max_length=100, metadata={"description": "Part of the name, any case."})
    sort = sort_field(SORTS, "code")
