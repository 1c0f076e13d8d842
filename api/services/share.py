"""Share pages: what a link pasted into WhatsApp or Instagram shows (public data only)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import images
from api.catalogue.listing import business_is_public, product_is_shown, shown_sql
from api.errors import NotFound
from api.models import Business, Photo, Product
from api.storage import Storage

log = logging.getLogger(__name__)

PRODUCTS_SHOWN = 24


def business_by_slug(session: Session, slug: str) -> Business:
    """An active business by its slug (anything else is not found)."""
    business = session.scalar(select(Business).where(Business.slug == slug))
    if business is None or not business_is_public(business):
        raise NotFound()
    return business


def product_by_slug(session: Session, business: Business, slug: str) -> Product:
    """A published product of the business by its slug."""
    product = session.scalar(
        select(Product).where(Product.business_id == business.id, Product.slug == slug)
    )
    if product is None or not product_is_shown(product):
        raise NotFound()
    return product


def preview_jpeg(session: Session, storage: Storage, photo_id: str) -> bytes:
    """The JPEG rendition of a public photo (of an active business, or of a published product
    of one), made from its largest WebP the first time and kept in the storage beside it."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound()
    business = session.get(Business, photo.business_id)
    product = session.get(Product, photo.product_id) if photo.product_id else None
    if business is None or not business_is_public(business):
        raise NotFound()
    if photo.product_id and (product is None or not product_is_shown(product)):
        raise NotFound()
    key = images.jpeg_key(photo.id)
    try:
        return storage.get(key)
    except Exception:  # not made yet (a missing file or object: each storage says it its way)
        log.debug("making the JPEG rendition of %s", photo.id)
    made = images.jpeg(storage.get(images.photo_key(photo.id, images.SIZES[-1])))
    storage.put(key, made, "image/jpeg")
    return made


def published_products(session: Session, business: Business) -> list[Product]:
    return list(
        session.scalars(
            select(Product)
            .where(
                Product.business_id == business.id,
                shown_sql(Product),
            )
            .order_by(Product.published_at.desc(), Product.id)
            .limit(PRODUCTS_SHOWN)
        )
    )


def visitor_key(secret: str, address: str) -> str:
    """A keyed hash of a visitor's network: limits her without storing her address.

    IPv6 is keyed by its /64, the block one subscriber usually gets, so that rotating through
    the addresses of one's own block does not reset the limit.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        network = (
            str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
        )
    return hmac.new(secret.encode(), network.encode(), hashlib.sha256).hexdigest()[:32]
