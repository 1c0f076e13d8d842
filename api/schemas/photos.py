"""Photos."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from api.http.context import state
from api.images import SIZES, photo_key
from api.schemas.common import BaseSchema
from api.services.photos import MAX_PHOTOS


class PhotoSchema(BaseSchema):
    """A photo in WebP at several widths; the files never change, so they cache forever."""

    id = fields.String(required=True)
    position = fields.Integer(required=True, metadata={"description": "0 is shown first."})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    urls = fields.Method(
        "variant_urls",
        required=True,
        metadata={
            "type": "object",
            "description": f"Width in pixels ({', '.join(map(str, SIZES))}) to the file's URL.",
        },
    )

    def variant_urls(self, photo: Any) -> dict[str, str]:
        storage = state().storage
        return {str(size): storage.url(photo_key(photo.id, size)) for size in SIZES}


class PhotoUploadSchema(Schema):
    """multipart/form-data with the image in `file` (JPEG, PNG or WebP, at most 5 MB)."""

    file = Upload(required=True)


class PhotoOrderSchema(BaseSchema):
    """Every photo's id, in the order to show them."""

    photo_ids = fields.List(
        fields.String(validate=validate.Length(max=32)),
        required=True,
        validate=validate.Length(min=1, max=MAX_PHOTOS),
    )


class PhotoListSchema(BaseSchema):
    """The photos in order (never more than eight, so never a next page)."""

    items = fields.List(fields.Nested(PhotoSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
