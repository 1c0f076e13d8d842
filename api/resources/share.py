"""Share pages: small server-rendered HTML with Open Graph and Twitter tags, no JavaScript.

``/s/<business-slug>`` and ``/s/<business-slug>/<product-slug>`` show what a link preview in
WhatsApp or Instagram needs: title, description, price as "Rp 25.000" and the first photo. The
WhatsApp button is a plain form posting to ``/s/<slug>/contact``, which records the lead (limited
per visitor per day, like signed-in contact) and redirects to wa.me.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from api.errors import Conflict, DomainError, NotFound, TooManyRequests
from api.http.context import db, language, state
from api.http.limits import limit
from api.i18n import SHARE_TEXT, problem_text
from api.images import SIZES, photo_key
from api.models import Business, Photo, Product
from api.money import format_idr
from api.services import contact, share

bp = Blueprint("share", __name__, url_prefix="/s")
CACHE = "public, max-age=300"
# A 1200x630 JPEG (the preview size scrapers ask for) shown where a product has no photo.
PLACEHOLDER = "share/placeholder.jpg"


def _base() -> str:
    """Where the public reaches the app: PUBLIC_BASE_URL (required in production), else, in
    development, the request's own address; a page built from that is never cached publicly
    (``_page``: the Host header is the caller's to choose)."""
    configured = state().settings.public_base_url
    if configured:
        return configured.rstrip("/") + "/"
    g.share_from_host = True
    return request.host_url


def _absolute(path: str) -> str:
    return urljoin(_base(), path)


def _photo_url(photo: Photo | None, size: int = SIZES[-1]) -> str:
    """A photo's WebP at ``size``, or the placeholder picture when there is none."""
    if photo is None:
        return _absolute(url_for("static", filename=PLACEHOLDER))
    return _absolute(state().storage.url(photo_key(photo.id, size)))


def _preview(photo: Photo | None) -> str:
    """og:image: a JPEG (link-preview scrapers do not all read WebP), or the placeholder."""
    if photo is None:
        return _absolute(url_for("static", filename=PLACEHOLDER))
    return _absolute(url_for("share.preview_image", photo_id=photo.id))


def _language() -> str:
    """A share page is read by a person: Indonesian unless her browser asks for English."""
    return language(default="id")


def _page(template: str, status: int = 200, **context: Any) -> Response:
    lang = _language()
    response = Response(render_template(template, t=SHARE_TEXT[lang], **context), status=status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    if status != 200:
        response.headers["Cache-Control"] = "no-store"
    elif g.get("share_from_host"):
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = CACHE
    return response


# The inline stylesheet of base.html, allowed by its hash (the pages have no script at all).
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@lru_cache(maxsize=4)
def _policy(media_origins: tuple[str, ...]) -> str:
    template = Path(__file__).resolve().parent.parent / "templates" / "share" / "base.html"
    styles = _STYLE.findall(template.read_text(encoding="utf-8"))
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in styles
    )
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {hashes}",
            "img-src " + " ".join(("'self'", *media_origins)),
            # The WhatsApp button posts here and is redirected to wa.me (then WhatsApp's API).
            "form-action 'self' https://wa.me https://api.whatsapp.com",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


@bp.after_request
def _security_headers(response: Response) -> Response:
    """Share pages may not be framed, run nothing and load images only from the app and its
    photo storage; links out tell only the origin."""
    settings = state().settings
    origins = (settings.public_base_url, settings.media_url, settings.s3_public_url)
    media = tuple(sorted({o for o in map(_origin, origins) if o}))
    response.headers["Content-Security-Policy"] = _policy(media)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def _problem_page(error: DomainError) -> Response:
    t = SHARE_TEXT[_language()]
    messages = {
        404: (t["not_found_title"], t["not_found"]),
        429: (t["limited_title"], t["limited"]),
    }
    if error.status == 409:  # which of the two: no number, or no consent to show it
        title, text = problem_text(error.code, _language())
    else:
        title, text = messages.get(error.status, (t["error_title"], t["error"]))
    response = _page("share/message.html", status=error.status, title=title, text=text)
    response.headers.update(error.headers or {})
    return response


def _common(business: Business) -> dict[str, Any]:
    return {
        "business": business,
        "format_idr": format_idr,
        "place": f"{business.district.name}, {business.regency.name}",
        "photo_url": _photo_url,
    }


@bp.get("/<slug>")
def business_page(slug: str) -> Response:
    try:
        business = share.business_by_slug(db(), slug)
    except NotFound as error:
        return _problem_page(error)
    first = business.photos[0] if business.photos else None
    return _page(
        "share/business.html",
        **_common(business),
        products=share.published_products(db(), business),
        canonical=_absolute(url_for("share.business_page", slug=slug)),
        image=_photo_url(first),
        preview=_preview(first),
        title=business.name,
        description=(business.description or business.category.name_id)[:200],
    )


@bp.get("/<slug>/<product_slug>")
def product_page(slug: str, product_slug: str) -> Response:
    try:
        business = share.business_by_slug(db(), slug)
        product = share.product_by_slug(db(), business, product_slug)
    except NotFound as error:
        return _problem_page(error)
    photos = product.photos or business.photos
    first = photos[0] if photos else None
    price = format_idr(product.price_idr)
    return _page(
        "share/product.html",
        **_common(business),
        product=product,
        price=price,
        canonical=_absolute(url_for("share.product_page", slug=slug, product_slug=product_slug)),
        image=_photo_url(first),
        preview=_preview(first),
        title=f"{product.name} · {price}/{product.unit}",
        description=(product.description or product.name)[:200],
    )


@bp.get("/photos/<photo_id>.jpg")
def preview_image(photo_id: str) -> Response:
    """A public photo as JPEG, for og:image (slugs have no dots: no page is shadowed)."""
    try:
        data = share.preview_jpeg(db(), state().storage, photo_id)
    except NotFound as error:
        return _problem_page(error)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.post("/<slug>/contact")
@limit("rate_limit_contact")
def contact_from_page(slug: str) -> Response:
    session = db()
    try:
        business = share.business_by_slug(session, slug)
        product: Product | None = None
        if request.form.get("product"):
            product = share.product_by_slug(session, business, request.form["product"][:140])
        settings = state().settings
        answer = contact.contact_from_share_page(
            session,
            business=business,
            product=product,
            visitor=share.visitor_key(settings.secret_key, request.remote_addr or "unknown"),
            daily_limit=settings.contact_daily_limit,
        )
        session.commit()
    except (NotFound, Conflict, TooManyRequests) as error:
        session.rollback()
        return _problem_page(error)
    response = redirect(answer.wa_me_url, code=303)
    response.headers["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


contact_from_page.form = True  # an HTML form posts here
