"""Contact on WhatsApp: reveal a seller's number to a signed-in user, and record the lead.

The first lead of a buyer (a user, or a share page's visitor) about one product of a business
(or about the business itself) in 24 hours is also an event, ``lead.created``: the seller's
notification, her events feed and webhooks, and, if she chose "new lead", a message by WhatsApp
or SMS. Later leads of the same buyer about the same thing that day are recorded and listed
but tell her nothing new, so one buyer cannot flood her phone. The event names the product,
never the buyer's name or number (a shared phone may show it to anyone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.db import advisory_lock, utcnow
from api.errors import Conflict, TooManyRequests, ValidationFailed
from api.models import Business, ConsentPurpose, Lead, Product, User
from api.money import format_idr
from api.pagination import Page, paginate, sort_options
from api.services import businesses, consents, events, products
from api.services.authz import Actor

WINDOW = dt.timedelta(hours=24)
LEAD_SORTS = sort_options(Lead, created_at=["created_at"])


@dataclass(frozen=True)
class ContactAnswer:
    """The number, a ready wa.me link with the prefilled message, and the recorded lead."""

    whatsapp: str
    wa_me_url: str
    message: str
    lead_id: str


def contact(
    session: Session,
    *,
    actor: Actor,
    business_id: str,
    product_id: str | None = None,
    note: str | None = None,
    daily_limit: int,
) -> ContactAnswer:
    """Reveal the WhatsApp number of an active business; at most ``daily_limit`` per 24 hours."""
    user = actor.require_user()
    business = businesses.get_business(session, actor=actor, business_id=business_id)
    if business.owner_id == user.id:
        raise ValidationFailed(errors={"business_id": ["This is your own business."]})
    product: Product | None = None
    if product_id:
        product = session.get(Product, product_id)
        if product is None or product.business_id != business.id or not products.is_public(product):
            raise ValidationFailed(errors={"product_id": ["Not a product of this business."]})
    return _reveal(
        session,
        business,
        product,
        actor=actor,
        user_id=user.id,
        buyer=user.name,
        note=note,
        limit=daily_limit,
    )


def contact_from_share_page(
    session: Session, *, business: Business, product: Product | None, visitor: str, daily_limit: int
) -> ContactAnswer:
    """The WhatsApp button of a share page: a visitor who is not signed in, known only by a
    keyed hash of her address, limited like a user."""
    return _reveal(
        session,
        business,
        product,
        actor=None,
        visitor=visitor,
        buyer=None,
        note=None,
        limit=daily_limit,
    )


def _reveal(
    session: Session,
    business: Business,
    product: Product | None,
    *,
    actor: Actor | None,
    user_id: str | None = None,
    visitor: str | None = None,
    buyer: str | None,
    note: str | None,
    limit: int,
) -> ContactAnswer:
    if not business.whatsapp:
        raise Conflict("no_whatsapp")
    if consents.active_consent(session, business.owner_id, ConsentPurpose.CONTACT_REVEAL) is None:
        raise Conflict("contact_not_consented")
    _enforce_limit(session, user_id=user_id, visitor=visitor, daily_limit=limit)
    owner = session.get(User, business.owner_id)
    message = _message(business.name, buyer, product, note, owner.locale if owner else "id")
    first_today = not _asked_today(session, business, product, user_id=user_id, visitor=visitor)
    lead = Lead(
        business_id=business.id,
        product_id=product.id if product else None,
        user_id=user_id,
        visitor=visitor,
        message=message,
    )
    session.add(lead)
    session.flush()
    if first_today:
        events.record(
            session,
            type="lead.created",
            subject=lead,
            actor=actor,
            data={
                "business_id": business.id,
                "product_id": product.id if product else None,
                "about": product.name if product else business.name,
            },
            notify=(business.owner_id,),
        )
    digits = business.whatsapp.lstrip("+")
    return ContactAnswer(
        whatsapp=business.whatsapp,
        wa_me_url=f"https://wa.me/{digits}?text={quote(message)}",
        message=message,
        lead_id=lead.id,
    )


def list_leads(
    session: Session, *, actor: Actor, business_id: str, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """The business's leads, newest first (its owner and admins)."""
    business = businesses.get_business(session, actor=actor, business_id=business_id, action="edit")
    return paginate(
        session,
        _LEADS.where(Lead.business_id == business.id),
        model=Lead,
        sort="-created_at",
        options=LEAD_SORTS,
        limit=limit,
        cursor=cursor,
        from_rows=lambda rows: [_lead(row) for row in rows],
    )


# A page of leads as rows (``LeadSchema``'s fields): the ORM would load each lead's product
# with its business, category, regions and photos for a name.
_LEADS = (
    select(
        Lead.id,
        Lead.user_id,
        User.name.label("user_name"),
        Lead.product_id,
        Product.name.label("product_name"),
        Lead.channel,
        Lead.message,
        Lead.created_at,
    )
    .outerjoin(User, User.id == Lead.user_id)
    .outerjoin(Product, Product.id == Lead.product_id)
)


def _lead(row: Any) -> dict[str, Any]:
    product = None if row.product_id is None else {"id": row.product_id, "name": row.product_name}
    return {
        "id": row.id,
        "user_id": row.user_id,
        "user_name": row.user_name,
        "product": product,
        "channel": row.channel,
        "message": row.message,
        "created_at": row.created_at,
    }


def _asked_today(
    session: Session,
    business: Business,
    product: Product | None,
    *,
    user_id: str | None,
    visitor: str | None,
) -> bool:
    """Whether this buyer already asked about this product (or the business) in 24 hours."""
    who = Lead.user_id == user_id if user_id else Lead.visitor == visitor
    about = Lead.product_id == product.id if product else Lead.product_id.is_(None)
    since = utcnow() - WINDOW
    return bool(
        session.scalar(
            select(
                exists().where(who, about, Lead.business_id == business.id, Lead.created_at > since)
            )
        )
    )


def _enforce_limit(
    session: Session, *, user_id: str | None, visitor: str | None, daily_limit: int
) -> None:
    who = Lead.user_id == user_id if user_id else Lead.visitor == visitor
    advisory_lock(session, f"contact:{user_id or visitor}")
    now = utcnow()
    recent = session.scalars(
        select(Lead.created_at).where(who, Lead.created_at > now - WINDOW).order_by(Lead.created_at)
    ).all()
    if len(recent) >= daily_limit:
        wait = int((recent[-daily_limit] + WINDOW - now).total_seconds()) + 1
        raise TooManyRequests(
            "contact_limited",
            retry_after=wait,
            headers={
                "X-RateLimit-Limit": str(daily_limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(wait),
            },
        )


def _message(
    business: str, buyer: str | None, product: Product | None, note: str | None, locale: str
) -> str:
    """The prefilled WhatsApp message, in the seller's language (it is addressed to her)."""
    price = f"({format_idr(product.price_idr)}/{product.unit})" if product is not None else ""
    if locale == "en":
        greeting = f"Hello {business}, this is {buyer}. " if buyer else f"Hello {business}. "
        text = (
            f"{greeting}I saw {product.name} {price} on Berdaya. Is it still available?"
            if product is not None
            else f"{greeting}I found your business on Berdaya and would like to ask."
        )
    else:
        greeting = f"Halo {business}, saya {buyer}. " if buyer else f"Halo {business}. "
        text = (
            f"{greeting}Saya melihat {product.name} {price} di Berdaya. Apakah masih tersedia?"
            if product is not None
            else f"{greeting}Saya menemukan usaha Anda di Berdaya dan ingin bertanya."
        )
    return f"{text}\n\n{note}" if note else text
