"""Photos of businesses and products: add, order, delete."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import images
from api.db import advisory_lock, on_commit, on_rollback
from api.errors import Conflict, NotFound, ValidationFailed
from api.models import Business, Photo, Product
from api.services import businesses, products
from api.services.authz import Actor
from api.storage import Storage

MAX_PHOTOS = 8


def store_image(
    session: Session, storage: Storage, prefix: str, data: bytes, *, quick: bool = False
) -> images.ProcessedImage:
    """Check and convert an image and store its sizes under ``prefix``.

    The files are written first, so the URLs work the moment the row is visible; if the
    transaction rolls back they are removed again.
    """
    processed = images.process(data, quick=quick)
    keys = [images.image_key(prefix, size) for size in processed.variants]
    on_rollback(session, lambda: delete_files(storage, keys))
    for key, variant in zip(keys, processed.variants.values(), strict=True):
        storage.put(key, variant, "image/webp")
    return processed


def put_file(session: Session, storage: Storage, key: str, data: bytes, content_type: str) -> None:
    """Store one file as it is; removed again if the transaction rolls back."""
    on_rollback(session, lambda: delete_files(storage, [key]))
    storage.put(key, data, content_type)


def delete_image(session: Session, storage: Storage, prefix: str) -> None:
    """Remove an image's files once the transaction commits (a rollback leaves them whole)."""
    keys = [images.image_key(prefix, size) for size in images.SIZES]
    if prefix.startswith("photos/"):
        keys.append(images.jpeg_key(prefix.removeprefix("photos/")))
    on_commit(session, lambda: delete_files(storage, keys))


def _owner(
    session: Session, actor: Actor, business_id: str | None, product_id: str | None
) -> tuple[Business, Product | None]:
    """The business (and product) whose photos these are, if the actor may edit them."""
    if product_id:
        product = products.get_product(session, actor=actor, product_id=product_id, action="edit")
        return product.business, product
    assert business_id is not None
    return businesses.get_business(
        session, actor=actor, business_id=business_id, action="edit"
    ), None


def _photos(session: Session, business: Business, product: Product | None) -> list[Photo]:
    stmt = select(Photo).where(Photo.business_id == business.id)
    stmt = stmt.where(Photo.product_id == product.id if product else Photo.product_id.is_(None))
    return list(session.scalars(stmt.order_by(Photo.position)))


def add_photo(
    session: Session,
    *,
    actor: Actor,
    storage: Storage,
    data: bytes,
    business_id: str | None = None,
    product_id: str | None = None,
    quick: bool = False,
) -> Photo:
    """Check, convert and store a photo; the ninth of one product or business is refused
    (``quick``: the faster encoding of ``images.process``, for generated demo pictures)."""
    business, product = _owner(session, actor, business_id, product_id)
    advisory_lock(session, f"photos:{product.id if product else business.id}")
    existing = _photos(session, business, product)
    if len(existing) >= MAX_PHOTOS:
        raise Conflict("too_many_photos", params={"limit": MAX_PHOTOS})
    photo = Photo(
        business_id=business.id,
        product_id=product.id if product else None,
        position=max((p.position for p in existing), default=-1) + 1,
        width=0,
        height=0,
    )
    processed = store_image(session, storage, f"photos/{photo.id}", data, quick=quick)
    photo.width, photo.height = processed.width, processed.height
    session.add(photo)
    session.flush()
    return photo


def list_photos(
    session: Session, *, actor: Actor, business_id: str | None = None, product_id: str | None = None
) -> list[Photo]:
    """Photos in their order (anyone who may see the business or product)."""
    if product_id:
        product = products.get_product(session, actor=actor, product_id=product_id)
        return _photos(session, product.business, product)
    assert business_id is not None
    return _photos(
        session, businesses.get_business(session, actor=actor, business_id=business_id), None
    )


def reorder(
    session: Session,
    *,
    actor: Actor,
    photo_ids: Sequence[str],
    business_id: str | None = None,
    product_id: str | None = None,
) -> list[Photo]:
    """Put the photos in the given order; the list must name each photo exactly once."""
    business, product = _owner(session, actor, business_id, product_id)
    photos = {p.id: p for p in _photos(session, business, product)}
    if sorted(photo_ids) != sorted(photos):
        raise ValidationFailed(errors={"photo_ids": ["List every photo exactly once."]})
    for position, photo_id in enumerate(photo_ids):
        photos[photo_id].position = position
    session.flush()
    return [photos[i] for i in photo_ids]


def delete_photo(
    session: Session,
    *,
    actor: Actor,
    storage: Storage,
    photo_id: str,
    business_id: str | None = None,
    product_id: str | None = None,
) -> None:
    """Delete a photo and its files; the others close the gap."""
    business, product = _owner(session, actor, business_id, product_id)
    photos = _photos(session, business, product)
    doomed = next((p for p in photos if p.id == photo_id), None)
    if doomed is None:
        raise NotFound()
    session.delete(doomed)
    for position, photo in enumerate(p for p in photos if p.id != photo_id):
        photo.position = position
    session.flush()
    delete_image(session, storage, f"photos/{photo_id}")


def delete_files(storage: Storage, keys: list[str]) -> None:
    """Delete these files now (missing ones are no error)."""
    for key in keys:
        storage.delete(key)
