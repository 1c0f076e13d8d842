"""Reviews: by the buyer of a completed order, once per product; replies, reports, moderation.

The rating aggregates on products and businesses count visible reviews only. They are kept
exact by adjusting them in the same transaction as each review is added, hidden or shown
again, with ``col = col + n`` so that concurrent reviews cannot lose an update.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.catalogue import cache as catalogue_cache
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import Business, OrderStatus, Product, Review
from api.pagination import Page, paginate, sort_options
from api.services import businesses, events, orders, products
from api.services import photos as photo_service
from api.services.authz import Actor, authorize
from api.storage import Storage

SORTS = sort_options(Review, created_at=["created_at"], rating=["rating"])


def create_review(
    session: Session, *, actor: Actor, order_id: str, data: Mapping[str, Any]
) -> Review:
    """Review one product of your completed order (once)."""
    order = orders.get_order(session, actor=actor, order_id=order_id)
    if not orders.is_buyer(actor, order):
        raise Forbidden("not_your_action", params={"action": "review"})
    if order.status != OrderStatus.COMPLETED:
        raise Conflict("order_not_completed")
    product_id = data["product_id"]
    if product_id not in {item.product_id for item in order.items if item.product_id}:
        raise ValidationFailed(errors={"product_id": ["Not a product of this order."]})
    exists = select(Review.id).where(Review.order_id == order.id, Review.product_id == product_id)
    if session.scalar(exists):
        raise Conflict("already_reviewed")
    review = Review(
        order_id=order.id,
        product_id=product_id,
        business_id=order.business_id,
        author_id=actor.user_id,
        rating=data["rating"],
        text=data.get("text", ""),
    )
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:  # the same review sent twice at once: the other one won
        raise Conflict("already_reviewed") from None
    _adjust(session, review, +1)
    events.record(
        session,
        type="review.created",
        subject=review,
        actor=actor,
        data={"product_id": product_id, "business_id": order.business_id, "rating": review.rating},
        notify=(order.business.owner_id,),
        public=True,  # reviews are public
    )
    return review


def get_review(session: Session, *, actor: Actor, review_id: str, action: str = "view") -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound()
    return authorize(actor, action, review)


def reply(session: Session, *, actor: Actor, review_id: str, text: str) -> Review:
    """The seller answers a review, once."""
    review = get_review(session, actor=actor, review_id=review_id, action="reply")
    # Conditional, so that of two replies sent at once exactly one is stored.
    stored = session.execute(
        update(Review)
        .where(Review.id == review.id, Review.reply.is_(None))
        .values(reply=text, replied_at=utcnow())
    )
    if stored.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("already_replied")
    events.record(
        session,
        type="review.replied",
        subject=review,
        actor=actor,
        data={"product_id": review.product_id},
        notify=(review.author_id,),
        public=not review.hidden,
    )
    return review


def set_hidden(
    session: Session, *, actor: Actor, review_id: str, hidden: bool, reason: str | None = None
) -> Review:
    """An admin hides a review (it leaves the lists and the averages) or shows it again."""
    review = get_review(session, actor=actor, review_id=review_id, action="moderate")
    # Conditional: of two moderators (or a double click) only one changes it and the averages.
    changed = session.execute(
        update(Review)
        .where(Review.id == review.id, Review.hidden.is_not(hidden))
        .values(hidden=hidden, hidden_reason=reason if hidden else None)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return review  # already so: nothing changes, the averages stay exact
    _adjust(session, review, -1 if hidden else +1)
    events.record(
        session,
        type="review.hidden" if hidden else "review.shown",
        subject=review,
        actor=actor,
        data={"reason": reason} if hidden else {},
        notify=(review.author_id,),
        public=True,  # a hidden review is a tombstone for the public
        tombstone=hidden,
    )
    return review


def set_photo(
    session: Session, *, actor: Actor, storage: Storage, review_id: str, data: bytes
) -> Review:
    """The author adds a photo to her review (or replaces it)."""
    review = get_review(session, actor=actor, review_id=review_id, action="edit")
    old = review.photo_token
    token = secrets.token_hex(8)
    stored = photo_service.store_image(session, storage, photo_prefix(review.id, token), data)
    review.photo_token = token
    review.photo_width, review.photo_height = stored.width, stored.height
    session.flush()
    if old:
        photo_service.delete_image(session, storage, photo_prefix(review.id, old))
    return review


def delete_photo(session: Session, *, actor: Actor, storage: Storage, review_id: str) -> None:
    review = get_review(session, actor=actor, review_id=review_id, action="edit")
    if review.photo_token is None:
        raise NotFound()
    photo_service.delete_image(session, storage, photo_prefix(review.id, review.photo_token))
    review.photo_token = review.photo_width = review.photo_height = None
    session.flush()


def photo_prefix(review_id: str, token: str) -> str:
    return f"reviews/{review_id}/{token}"  # as Review.photos says


def list_reviews(
    session: Session,
    *,
    actor: Actor,
    product_id: str | None = None,
    business_id: str | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "-created_at",
) -> Page[Review]:
    """Visible reviews of a product or a business (admins see hidden ones too)."""
    stmt = select(Review)
    if product_id:
        product = products.get_product(session, actor=actor, product_id=product_id)
        stmt = stmt.where(Review.product_id == product.id)
    else:
        assert business_id is not None
        business = businesses.get_business(session, actor=actor, business_id=business_id)
        stmt = stmt.where(Review.business_id == business.id)
    if not (actor.is_admin and actor.regions is None):
        stmt = stmt.where(Review.hidden.is_(False))  # regional admins read hidden ones by id
    return paginate(
        session, stmt, model=Review, sort=sort, options=SORTS, limit=limit, cursor=cursor
    )


def _adjust(session: Session, review: Review, sign: int) -> None:
    for model, key in ((Product, review.product_id), (Business, review.business_id)):
        stmt = update(model).where(model.id == key)
        if model is Business:  # its products' documents do not show its rating
            stmt = stmt.execution_options(
                **{catalogue_cache.KEYS_OPTION: [catalogue_cache.business_only_key(key)]}
            )
        session.execute(
            stmt.values(
                rating_count=model.rating_count + sign,
                rating_sum=model.rating_sum + sign * review.rating,
            )
        )
