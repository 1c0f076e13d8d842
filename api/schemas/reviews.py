"""Reviews, replies, reports and moderation."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from api.http.context import state
from api.images import SIZES, image_key
from api.models import ReportStatus, ReportTarget
from api.schemas.common import BaseSchema, PageQueryArgsSchema, Text, Timestamp, sort_field
from api.services.reviews import SORTS, photo_prefix


class ReviewCreateSchema(BaseSchema):
    """Stars and words on one product of your completed order."""

    product_id = fields.String(required=True, validate=validate.Length(max=32))
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    text = Text(max_length=2000, load_default="")


class ReviewPhotoSchema(BaseSchema):
    """A review's photo, in the fields of a product's photo."""

    id = fields.String(required=True)
    position = fields.Integer(required=True, metadata={"description": "Always 0: one photo."})
    width = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Null for photos added before sizes were recorded."},
    )
    height = fields.Integer(allow_none=True, required=True)
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
        return {str(size): storage.url(image_key(photo.prefix, size)) for size in SIZES}


class ReviewSchema(BaseSchema):
    """A review; `hidden` ones are seen only by their author and admins."""

    id = fields.String(required=True, metadata={"example": "rev_01M84..."})
    product_id = fields.String(required=True)
    business_id = fields.String(required=True)
    order_id = fields.String(required=True)
    author_name = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "The author's first name and last initial; null once she erased "
            "her account.",
            "example": "Siti K.",
        },
    )
    rating = fields.Integer(required=True)
    text = fields.String(required=True)
    photos = fields.List(
        fields.Nested(lambda: ReviewPhotoSchema()),
        required=True,
        metadata={"description": "The review's photo (none or one), shaped as a product's."},
    )
    photo_urls = fields.Method(
        "_photo_urls",
        allow_none=True,
        required=True,
        metadata={
            "type": "object",
            "description": "Width in pixels to the URL; the same as `photos[0].urls`.",
        },
    )
    reply = fields.String(allow_none=True, required=True)
    replied_at = Timestamp(allow_none=True, required=True)
    hidden = fields.Boolean(required=True)
    created_at = Timestamp(required=True)

    def _photo_urls(self, review: Any) -> dict[str, str] | None:
        if not review.photo_token:
            return None
        storage = state().storage
        prefix = photo_prefix(review.id, review.photo_token)
        return {str(size): storage.url(image_key(prefix, size)) for size in SIZES}


class ReviewQueryArgsSchema(PageQueryArgsSchema):
    sort = sort_field(SORTS, "-created_at")


class ReplySchema(BaseSchema):
    """The seller's one answer."""

    text = Text(min_length=1, max_length=2000, required=True)


class ReportCreateSchema(BaseSchema):
    """What is wrong with the review."""

    reason = Text(min_length=3, max_length=500, required=True)


class ReportSchema(BaseSchema):
    """A report to the moderators."""

    id = fields.String(required=True, metadata={"example": "rpt_01M84..."})
    target_type = fields.Enum(ReportTarget, by_value=True, required=True)
    target_id = fields.String(required=True)
    reason = fields.String(required=True)
    status = fields.Enum(ReportStatus, by_value=True, required=True)
    resolution_reason = fields.String(allow_none=True, required=True)
    resolved_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class TargetReportCreateSchema(BaseSchema):
    """What is wrong, and with what: a business, a product, a review or a user."""

    target_type = fields.Enum(ReportTarget, by_value=True, required=True)
    target_id = fields.String(required=True, validate=validate.Length(max=40))
    reason = Text(min_length=3, max_length=500, required=True)


class ReportQueryArgsSchema(PageQueryArgsSchema):
    status = fields.List(fields.Enum(ReportStatus, by_value=True), validate=validate.Length(max=4))
    target_type = fields.Enum(ReportTarget, by_value=True)
