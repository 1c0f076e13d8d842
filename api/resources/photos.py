"""Photos of businesses and products."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.images import MAX_BYTES, UPLOAD_LIMIT
from api.models import Photo
from api.schemas.photos import PhotoListSchema, PhotoOrderSchema, PhotoSchema, PhotoUploadSchema
from api.services import photos as service

blp = Blueprint(
    "photos",
    __name__,
    scope="catalogue",
    url_prefix="/v1",
    description="Photos: JPEG, PNG or WebP up to 5 MB, stored as WebP at 160, 480 and 1080 px.",
)
OWNERS = {"businesses": "business_id", "products": "product_id"}


def _page(items: list[Photo]) -> dict[str, Any]:
    return {"items": items, "next_cursor": None}


def _add(owner: str, owner_id: str, files: dict[str, Any]) -> Photo:
    whose: dict[str, Any] = {OWNERS[owner]: owner_id}
    return service.add_photo(
        db(),
        actor=current_actor(),
        storage=state().storage,
        data=files["file"].read(MAX_BYTES + 1),
        **whose,
    )


@blp.route("/products/<string:product_id>/photos", methods=["POST"])
@blp.max_body(UPLOAD_LIMIT)
@blp.auth()
@blp.arguments(PhotoUploadSchema, location="files")
@blp.response(201, PhotoSchema)
@blp.alt_response(409, response="CONFLICT")
def add_product_photo(files: dict[str, Any], product_id: str) -> Photo:
    """Add a photo to your product (at most 8); GPS and other metadata are removed."""
    return _add("products", product_id, files)


@blp.route("/businesses/<string:business_id>/photos", methods=["POST"])
@blp.max_body(UPLOAD_LIMIT)
@blp.auth()
@blp.arguments(PhotoUploadSchema, location="files")
@blp.response(201, PhotoSchema)
@blp.alt_response(409, response="CONFLICT")
def add_business_photo(files: dict[str, Any], business_id: str) -> Photo:
    """Add a photo of your business (at most 8); GPS and other metadata are removed."""
    return _add("businesses", business_id, files)


@blp.route("/products/<string:product_id>/photos", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.response(200, PhotoListSchema)
def list_product_photos(product_id: str) -> dict[str, Any]:
    """A product's photos in order."""
    return _page(service.list_photos(db(), actor=current_actor(), product_id=product_id))


@blp.route("/businesses/<string:business_id>/photos", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.response(200, PhotoListSchema)
def list_business_photos(business_id: str) -> dict[str, Any]:
    """A business's own photos in order."""
    return _page(service.list_photos(db(), actor=current_actor(), business_id=business_id))


@blp.route("/products/<string:product_id>/photos/order", methods=["PUT"])
@blp.auth()
@blp.arguments(PhotoOrderSchema)
@blp.response(200, PhotoListSchema)
def order_product_photos(data: dict[str, Any], product_id: str) -> dict[str, Any]:
    """Set the order of a product's photos (list every photo once; safe to repeat)."""
    return _page(service.reorder(db(), actor=current_actor(), product_id=product_id, **data))


@blp.route("/businesses/<string:business_id>/photos/order", methods=["PUT"])
@blp.auth()
@blp.arguments(PhotoOrderSchema)
@blp.response(200, PhotoListSchema)
def order_business_photos(data: dict[str, Any], business_id: str) -> dict[str, Any]:
    """Set the order of a business's photos (list every photo once; safe to repeat)."""
    return _page(service.reorder(db(), actor=current_actor(), business_id=business_id, **data))


@blp.route("/products/<string:product_id>/photos/<id(pho):photo_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def delete_product_photo(product_id: str, photo_id: str) -> None:
    """Delete a product photo."""
    service.delete_photo(
        db(),
        actor=current_actor(),
        storage=state().storage,
        photo_id=photo_id,
        product_id=product_id,
    )


@blp.route("/businesses/<string:business_id>/photos/<id(pho):photo_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def delete_business_photo(business_id: str, photo_id: str) -> None:
    """Delete a business photo."""
    service.delete_photo(
        db(),
        actor=current_actor(),
        storage=state().storage,
        photo_id=photo_id,
        business_id=business_id,
    )
