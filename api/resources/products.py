"""Products of graduates' businesses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from api.catalogue import reads as catalogue_reads
from api.catalogue import search
from api.catalogue.cache import Entry
from api.http import representation
from api.http.blueprint import Blueprint
from api.http.bodies import Encoded, encode_document, encode_json, encoded_page
from api.http.context import current_actor, db, state
from api.http.pages import page_response
from api.models import Product, ProductChange, Role
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.products import (
    BusinessProductQueryArgsSchema,
    ProductChangeSchema,
    ProductCreateSchema,
    ProductPatchSchema,
    ProductSchema,
    ProductSearchQueryArgsSchema,
    ProductSummarySchema,
)
from api.services import products as service
from api.services.shown import Shown

blp = Blueprint(
    "products",
    __name__,
    scope="catalogue",
    url_prefix="/v1",
    description="What graduates' businesses sell.",
)


@blp.route("/businesses/<string:business_id>/products", methods=["POST"])
@blp.auth(Role.ALUMNA, Role.ADMIN)
@blp.etag
@blp.arguments(ProductCreateSchema)
@blp.response(201, ProductSchema)
def create_product(data: dict[str, Any], business_id: str) -> Product:
    """Add a product to your business; it starts as a draft."""
    return service.create_product(db(), actor=current_actor(), business_id=business_id, data=data)


@blp.route("/businesses/<string:business_id>/products", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.arguments(BusinessProductQueryArgsSchema, location="query")
@blp.response(200, page_of(ProductSchema, compact=ProductSummarySchema))
def list_business_products(
    args: dict[str, Any], business_id: str
) -> tuple[Page[Product], dict[str, str]]:
    """List a business's products: published ones, or all of them for the owner."""
    return page_response(
        service.list_for_business(db(), actor=current_actor(), business_id=business_id, **args)
    )


@blp.route("/products", methods=["GET"])
@blp.read_only
@blp.arguments(ProductSearchQueryArgsSchema, location="query")
@blp.response(200, page_of(ProductSchema, compact=ProductSummarySchema))
def search_products(args: dict[str, Any]) -> tuple[Encoded, dict[str, str]]:
    """Search published products by words, category, region, price, licence and more."""
    app_state = state()
    full = representation.current().full
    page = search.search_products(
        db,
        load=lambda ids: [
            entry.body if full else _summary_of(entry)
            for entry in catalogue_reads.product_entries(
                app_state.catalogue,
                db,
                ids,
                url=app_state.storage.url,
                encode=encode_document,
                summarise=_summarise,
            )
        ],
        cache=app_state.catalogue,
        **args,
    )
    _, headers = page_response(page)
    return encoded_page(page.items, page.next_cursor), headers


_SUMMARY = ProductSummarySchema()


def _summarise(document: dict[str, Any]) -> bytes:
    """A public product's compact list item, encoded (kept with it in the catalogue cache)."""
    return encode_json(_SUMMARY.dump(document))


def _summary_of(entry: Entry) -> bytes:
    return entry.summary if entry.summary is not None else _summarise(json.loads(entry.body))


def _product_key(path: Mapping[str, Any]) -> str:
    return catalogue_reads.product_key(path["product_id"])


def _count_view(path: Mapping[str, Any]) -> None:
    state().views.hit(path["product_id"])


@blp.route("/products/<string:product_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.public_document(_product_key, served=_count_view)
@blp.read_only
@blp.etag
@blp.response(200, ProductSchema)
def get_product(product_id: str) -> Shown[Product] | Encoded:
    """Read a product (unpublished ones only for their owner, who also gets `stats`)."""
    actor = current_actor()
    app_state = state()
    public = catalogue_reads.product_entry(
        app_state.catalogue,
        db,
        product_id,
        url=app_state.storage.url,
        encode=encode_document,
        summarise=_summarise,
    )
    if public is not None and not catalogue_reads.sees_more(actor, public):
        _count_view({"product_id": product_id})
        return Encoded(public.body, public.etag)
    product = service.get_product(db(), actor=actor, product_id=product_id)
    shown = service.shown(db(), actor, product, state().views)
    if shown.stats is not None:
        # The ETag is the product's, as If-Match on PATCH checks it: not the owner's figures.
        blp.set_etag(product, ProductSchema)
    else:
        state().views.hit(product.id)  # the owner's own look is not a view
    return shown


@blp.route("/products/<string:product_id>", methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(ProductPatchSchema)
@blp.response(200, ProductSchema)
def update_product(changes: dict[str, Any], product_id: str) -> Product:
    """Change a product (send If-Match); price and stock changes are kept as history."""
    actor = current_actor()
    product = service.get_product(db(), actor=actor, product_id=product_id, action="edit")
    blp.check_etag(product, ProductSchema)
    return service.update_product(db(), actor=actor, product=product, changes=changes)


def _transition(action: str, product_id: str) -> Product:
    return service.change_status(db(), actor=current_actor(), product_id=product_id, action=action)


@blp.action("/products/<string:product_id>/publish", response=ProductSchema)
def publish_product(product_id: str) -> Product:
    """Show the product to everyone (while its business is active)."""
    return _transition("publish", product_id)


@blp.action("/products/<string:product_id>/unpublish", response=ProductSchema)
def unpublish_product(product_id: str) -> Product:
    """Take a published product back to draft."""
    return _transition("unpublish", product_id)


@blp.action("/products/<string:product_id>/archive", response=ProductSchema)
def archive_product(product_id: str) -> Product:
    """Retire a product (publish brings it back)."""
    return _transition("archive", product_id)


@blp.route("/products/<string:product_id>/history", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(ProductChangeSchema))
def list_product_history(
    args: dict[str, Any], product_id: str
) -> tuple[Page[ProductChange], dict[str, str]]:
    """Price, stock and availability changes, oldest first (the owner)."""
    return page_response(
        service.history(db(), actor=current_actor(), product_id=product_id, **args)
    )
