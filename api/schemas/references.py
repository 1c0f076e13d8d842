"""Query parameters that name a stored thing (a category, a region): checked, not just shaped.

A filter that names something unknown would otherwise match nothing and answer an empty 200,
which looks like "no results" rather than a typo. These fields look the value up while the
arguments are parsed and give a 422 naming the parameter when it is not there; a category may
be named by its id or its slug, and the view receives its id.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from api.schemas.common import BaseSchema
from api.services import categories, regions
from api.services.regions import CODE_PATTERN

NOT_A_REGION_CODE = "Not a region code."
UNKNOWN_REGION = "Unknown region code."
UNKNOWN_CATEGORY = "Unknown category."


def _session() -> Any:
    from api.http.context import db  # the request's session (schemas load inside a request)

    return db()


class CategoryFilter(fields.String):
    """A category by id or slug (its subcategories are included); loads as its id."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "description": "A category's id or slug (`traditional-cakes`); its subcategories "
            "are included. Unknown: 422.",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(validate=validate.Length(max=80), metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        self._validate(text)  # the length first: nothing long reaches the database
        found = categories.resolve(_session(), text)
        if found is None:
            raise ValidationError(UNKNOWN_CATEGORY)
        return found


class RegionFilter(fields.String):
    """A region code at any level that exists (``32`` is Jawa Barat, ``32.75`` Kota Bekasi)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "description": "A region code at any level: `32` is all of Jawa Barat, `32.75` "
            "Kota Bekasi. Unknown: 422.",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(
            validate=validate.Regexp(CODE_PATTERN, error=NOT_A_REGION_CODE),
            metadata=metadata,
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        code = super()._deserialize(value, attr, data, **kwargs)
        self._validate(code)
        if not regions.exists(_session(), code):
            raise ValidationError(UNKNOWN_REGION)
        return code


class PlaceSchema(BaseSchema):
    """A place: a region's official code and its name (a province, a city or regency, a
    district, a village). Every response gives places in this shape."""

    code = fields.String(required=True, metadata={"example": "32.75"})
    name = fields.String(required=True, metadata={"example": "Kota Bekasi"})


class Place(fields.Nested):
    """A region in a response, as ``{code, name}``, from a ``Region`` or from its code."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PlaceSchema, **kwargs)

    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        value = nested_obj
        if value is None:
            return None
        if isinstance(value, str):
            return regions.place(_session(), value)
        if isinstance(value, dict):
            return {"code": value["code"], "name": value["name"]}
        return {"code": value.code, "name": value.name}


class Known(fields.String):
    """The id of a stored row of ``model`` (a business, a program, a cohort, an organisation):
    anything else is a 422 with ``error`` (a literal message, translated like the others)."""

    def __init__(self, model: type[Any], *, error: str, **kwargs: Any) -> None:
        self.model, self.unknown = model, error
        super().__init__(validate=validate.Length(max=32), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        key = super()._deserialize(value, attr, data, **kwargs)
        self._validate(key)
        if _session().get(self.model, key) is None:
            raise ValidationError(self.unknown)
        return key
