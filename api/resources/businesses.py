"""Graduates' businesses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.catalogue import early_answer
from api.catalogue import reads as catalogue_reads
from api.catalogue.cache import Entry
from api.http import representation
from api.http.blueprint import Blueprint
from api.http.bodies import Encoded, encode_json
from api.http.context import current_actor, db, state
from api.http.limits import limit
from api.http.pages import encoded_entries_page, entry_items, kept, page_response, summariser
from api.models import Business, Role
from api.pagination import Page
from api.schemas.businesses import (
    BusinessCreateSchema,
    BusinessPatchSchema,
    BusinessQueryArgsSchema,
    BusinessSchema,
    BusinessSummarySchema,
    MyBusinessQueryArgsSchema,
)
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.contact import ContactAnswerSchema, ContactSchema, LeadSchema
from api.services import businesses as service
from api.services import changes, contact
from api.services.contact import ContactAnswer
from api.services.shown import Shown

blp = Blueprint(
    "businesses",
    __name__,
    scope="catalogue",
    url_prefix="/v1",
    description="Graduates' micro-businesses: the public catalogue and the owner's view.",
)


def _shown(business: Business) -> Shown[Business]:
    """The business as the caller sees it (the service decides who sees its private part)."""
    return service.shown(current_actor(), business)


@blp.route("/businesses", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.from_replica
@blp.arguments(BusinessQueryArgsSchema, location="query")
@blp.response(200, page_of(BusinessSchema, compact=BusinessSummarySchema, changes=True))
def list_businesses(
    args: dict[str, Any],
) -> tuple[Page[Shown[Business]] | Encoded, dict[str, str]]:
    """List active businesses by category, region (any level) and verification."""
    actor = current_actor()
    listed = service.list_public(
        db(),
        load=lambda ids: kept(catalogue_reads.business_entries, ids, _summarise),
        user_id=actor.user_id,
        **args,
    )
    if not any(catalogue_reads.sees_more(actor, entry) for entry in listed.items):
        items = entry_items(listed.items, _summarise, full=representation.current().full)
        return encoded_entries_page(changes.with_items(listed, items))
    # With her own businesses' private part.
    page = service.list_public(db(), user_id=actor.user_id, **args)
    return page_response(service.shown_page(actor, page))


_summarise = summariser(BusinessSummarySchema())


@blp.route("/businesses", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.etag
@blp.arguments(BusinessCreateSchema)
@blp.response(201, BusinessSchema)
def create_business(data: dict[str, Any]) -> Shown[Business]:
    """Create your business; it starts as a draft that only you see."""
    return _shown(service.create_business(db(), actor=current_actor(), data=data))


def _public_business(path: Mapping[str, Any]) -> Entry | None:
    return kept(catalogue_reads.business_entry, path["business_id"], _summarise)


@blp.route("/businesses/<string:business_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.public_document(_public_business)
@blp.from_replica
@blp.etag
@blp.response(200, BusinessSchema)
def get_business(business_id: str) -> Shown[Business] | Encoded:
    """Read a business: the public view, or with `private` for its owner."""
    actor = current_actor()
    public = early_answer.public_read(_public_business, {"business_id": business_id})
    if public is not None and not catalogue_reads.sees_more(actor, public):
        return Encoded(public.body, public.etag)
    return _shown(service.get_business(db(), actor=actor, business_id=business_id))


@blp.route("/businesses/<string:business_id>", methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(BusinessPatchSchema)
@blp.response(200, BusinessSchema)
def update_business(changes: dict[str, Any], business_id: str) -> Shown[Business]:
    """Change your business (send If-Match); `licences` replaces the whole list."""
    business = service.get_business(
        db(), actor=current_actor(), business_id=business_id, action="edit"
    )
    blp.check_etag(_shown(business), BusinessSchema)
    return _shown(
        service.update_business(db(), actor=current_actor(), business=business, changes=changes)
    )


def _transition(action: str, business_id: str) -> Shown[Business]:
    return _shown(
        service.change_status(db(), actor=current_actor(), business_id=business_id, action=action)
    )


@blp.action("/businesses/<string:business_id>/activate", response=BusinessSchema)
def activate_business(business_id: str) -> Shown[Business]:
    """Open the business to the public (from draft, paused or closed)."""
    return _transition("activate", business_id)


@blp.action("/businesses/<string:business_id>/pause", response=BusinessSchema)
def pause_business(business_id: str) -> Shown[Business]:
    """Hide an active business for a while (holidays, Ramadan, no stock)."""
    return _transition("pause", business_id)


@blp.action("/businesses/<string:business_id>/close", response=BusinessSchema)
def close_business(business_id: str) -> Shown[Business]:
    """Declare the business closed (it can be reopened with activate)."""
    return _transition("close", business_id)


@blp.route("/me/businesses", methods=["GET"])
@blp.auth()
@blp.arguments(MyBusinessQueryArgsSchema, location="query")
@blp.response(200, page_of(BusinessSchema))
def list_my_businesses(args: dict[str, Any]) -> tuple[Encoded, dict[str, str]]:
    """List your own businesses, in every status."""

    def load(ids: list[str]) -> list[bytes]:
        url = state().storage.url
        return [encode_json(d) for d in catalogue_reads.businesses_with_private(db(), ids, url=url)]

    page = service.list_owned(db(), actor=current_actor(), load=load, **args)
    # With her address and WhatsApp number: hers alone, never kept compressed.
    return encoded_entries_page(page, public=False)


@blp.route("/businesses/<string:business_id>/contact", methods=["POST"])
@blp.scope(None)  # a phone number is for a person asking, not for apps
@limit("rate_limit_contact")
@blp.auth()
@blp.arguments(ContactSchema, required=False)  # the product and a note are optional
@blp.response(200, ContactAnswerSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def contact_business(data: dict[str, Any], business_id: str) -> ContactAnswer:
    """Get the seller's WhatsApp number and a wa.me link; recorded as a lead, limited per day."""
    return contact.contact(
        db(),
        actor=current_actor(),
        business_id=business_id,
        daily_limit=state().settings.contact_daily_limit,
        **data,
    )


@blp.route("/businesses/<string:business_id>/leads", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(LeadSchema))
def list_leads(
    args: dict[str, Any], business_id: str
) -> tuple[Page[dict[str, Any]], dict[str, str]]:
    """Who asked for your number, newest first (the owner)."""
    return page_response(
        contact.list_leads(db(), actor=current_actor(), business_id=business_id, **args)
    )
