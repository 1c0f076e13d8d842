"""Reviews of products: lists, replies, reports, moderation, photos."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.http.pages import page_response
from api.images import MAX_BYTES, UPLOAD_LIMIT
from api.models import Report, ReportTarget, Review, Role
from api.pagination import Page
from api.schemas.common import ReasonSchema, page_of
from api.schemas.photos import PhotoUploadSchema
from api.schemas.reviews import (
    ReplySchema,
    ReportCreateSchema,
    ReportSchema,
    ReviewQueryArgsSchema,
    ReviewSchema,
)
from api.services import moderation
from api.services import reviews as service

blp = Blueprint(
    "reviews",
    __name__,
    scope="catalogue",
    url_prefix="/v1",
    description="Reviews by buyers of completed orders; the seller replies once.",
)


@blp.route("/products/<string:product_id>/reviews", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.arguments(ReviewQueryArgsSchema, location="query")
@blp.response(200, page_of(ReviewSchema))
def list_product_reviews(
    args: dict[str, Any], product_id: str
) -> tuple[Page[Review], dict[str, str]]:
    """Reviews of a product, newest first."""
    return page_response(
        service.list_reviews(db(), actor=current_actor(), product_id=product_id, **args)
    )


@blp.route("/businesses/<string:business_id>/reviews", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.arguments(ReviewQueryArgsSchema, location="query")
@blp.response(200, page_of(ReviewSchema))
def list_business_reviews(
    args: dict[str, Any], business_id: str
) -> tuple[Page[Review], dict[str, str]]:
    """Reviews of all of a business's products, newest first."""
    return page_response(
        service.list_reviews(db(), actor=current_actor(), business_id=business_id, **args)
    )


@blp.route("/reviews/<string:review_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.etag
@blp.response(200, ReviewSchema)
def get_review(review_id: str) -> Review:
    """Read a review (a hidden one only for its author and admins)."""
    return service.get_review(db(), actor=current_actor(), review_id=review_id)


@blp.action("/reviews/<string:review_id>/reply", body=ReplySchema, response=ReviewSchema)
def reply_to_review(data: dict[str, Any], review_id: str) -> Review:
    """The seller answers a review, once."""
    return service.reply(db(), actor=current_actor(), review_id=review_id, text=data["text"])


@blp.route("/reviews/<string:review_id>/reports", methods=["POST"])
@blp.scope(None)
@blp.auth()
@blp.arguments(ReportCreateSchema)
@blp.response(201, ReportSchema)
@blp.alt_response(409, response="CONFLICT")
def report_review(data: dict[str, Any], review_id: str) -> Report:
    """Tell the moderators a review breaks the rules (once per review)."""
    return moderation.report(
        db(),
        actor=current_actor(),
        target_type=ReportTarget.REVIEW,
        target_id=review_id,
        reason=data["reason"],
    )


@blp.route("/reviews/<string:review_id>/hide", methods=["POST"])
@blp.scope(None)
@blp.auth(Role.ADMIN)
@blp.arguments(ReasonSchema)
@blp.response(200, ReviewSchema)
def hide_review(data: dict[str, Any], review_id: str) -> Review:
    """Hide a review: it leaves the lists and the averages."""
    return service.set_hidden(
        db(), actor=current_actor(), review_id=review_id, hidden=True, reason=data["reason"]
    )


@blp.route("/reviews/<string:review_id>/unhide", methods=["POST"])
@blp.scope(None)
@blp.auth(Role.ADMIN)
@blp.response(200, ReviewSchema)
def unhide_review(review_id: str) -> Review:
    """Show a hidden review again."""
    return service.set_hidden(db(), actor=current_actor(), review_id=review_id, hidden=False)


@blp.route("/reviews/<string:review_id>/photo", methods=["PUT"])
@blp.max_body(UPLOAD_LIMIT)
@blp.auth()
@blp.arguments(PhotoUploadSchema, location="files")
@blp.response(200, ReviewSchema)
def put_review_photo(files: dict[str, Any], review_id: str) -> Review:
    """Add a photo to your review, or replace it (JPEG, PNG or WebP, at most 5 MB)."""
    return service.set_photo(
        db(),
        actor=current_actor(),
        storage=state().storage,
        review_id=review_id,
        data=files["file"].read(MAX_BYTES + 1),
    )


@blp.route("/reviews/<string:review_id>/photo", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def delete_review_photo(review_id: str) -> None:
    """Remove your review's photo."""
    service.delete_photo(db(), actor=current_actor(), storage=state().storage, review_id=review_id)
