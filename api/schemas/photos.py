"""Photos."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from api.http.context import state
from api.images import MAX_BYTES, SIZES, photo_key
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
        photo_id = photo["id"] if isinstance(photo, dict) else photo.id  # a row read as a dict
        return {str(size): storage.url(photo_key(photo_id, size)) for size in SIZES}


def thumbnail_url() -> fields.Function:
    """A compact list item's one picture: the first photo's smallest variant."""
    return fields.Function(
        _thumbnail,
        required=True,
        allow_none=True,
        metadata={
            "type": "string",
            "description": f"The first photo, {SIZES[0]} px wide; null without photos.",
        },
    )


def _thumbnail(document: dict[str, Any]) -> str | None:
    photos = document.get("photos") or []
    return photos[0]["urls"][str(SIZES[0])] if photos else None


class PhotoUploadSchema(Schema):
    """multipart/form-data with the image in `file` (JPEG, PNG or WebP, at most 5 MB)."""

    file = Upload(
        required=True,
        metadata={
            "description": f"JPEG, PNG or WebP, at most {MAX_BYTES} bytes (5 MB; a larger one "
            "is a 413). No minimum size: a photo resized on the phone (1080 px on its longer "
            "side is the largest kept) is taken as the original.",
            "x-max-bytes": MAX_BYTES,
        },
    )


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
