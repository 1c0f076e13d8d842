"""Products of graduates' businesses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.catalogue import early_answer, search
from api.catalogue import reads as catalogue_reads
from api.catalogue.cache import Entry
from api.errors import DomainError
from api.http import representation
from api.http.blueprint import Blueprint
from api.http.bodies import (
    Encoded,
    Prepared,
    encode_json,
    etag_matches,
    etag_of,
)
from api.http.context import current_actor, db, state
from api.http.pages import encoded_entries_page, entry_items, kept, page_response, summariser
from api.http.problems import error_body
from api.models import Product, ProductChange, Role
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.product_batches import ProductBatchResultSchema, ProductBatchSchema
from api.schemas.products import (
    BusinessProductQueryArgsSchema,
    ProductChangeSchema,
    ProductCreateSchema,
    ProductPatchSchema,
    ProductSchema,
    ProductSearchQueryArgsSchema,
    ProductSummarySchema,
)
from api.services import product_batches
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
@blp.response(200, page_of(ProductSchema, compact=ProductSummarySchema, changes=True))
def list_business_products(
    args: dict[str, Any], business_id: str
) -> tuple[Encoded, dict[str, str]]:
    """List a business's products: published ones, or all of them for the owner."""
    full = representation.current().full

    def load(ids: list[str], mine: bool) -> list[bytes]:
        if not mine:  # public documents, through the worker's cache
            return entry_items(
                kept(catalogue_reads.product_entries, ids, _summarise), _summarise, full=full
            )
        documents = catalogue_reads.products(db(), ids, url=state().storage.url)
        return [encode_json(d) if full else _summarise(d) for d in documents]

    page = service.list_for_business(
        db(), actor=current_actor(), business_id=business_id, load=load, **args
    )
    # The owner's page holds her drafts: it is hers alone, never kept compressed.
    return encoded_entries_page(page, public=False)


@blp.route("/products", methods=["GET"])
@blp.from_replica
@blp.arguments(ProductSearchQueryArgsSchema, location="query")
@blp.response(200, page_of(ProductSchema, compact=ProductSummarySchema, changes=True))
def search_products(args: dict[str, Any]) -> tuple[Encoded, dict[str, str]]:
    """Search published products by words, category, region, price, licence and more."""
    full = representation.current().full
    page = search.search_products(
        db,
        load=lambda ids: entry_items(
            kept(catalogue_reads.product_entries, ids, _summarise), _summarise, full=full
        ),
        cache=state().catalogue,
        **args,
    )
    return encoded_entries_page(page)


_summarise = summariser(ProductSummarySchema())


def _public_product(path: Mapping[str, Any]) -> Entry | None:
    return kept(catalogue_reads.product_entry, path["product_id"], _summarise)


def _count_view(path: Mapping[str, Any]) -> None:
    state().views.hit(path["product_id"])


@blp.route("/products/<string:product_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.public_document(_public_product, served=_count_view)
@blp.from_replica
@blp.etag
@blp.response(200, ProductSchema)
def get_product(product_id: str) -> Shown[Product] | Encoded:
    """Read a product (unpublished ones only for their owner, who also gets `stats`)."""
    actor = current_actor()
    public = early_answer.public_read(_public_product, {"product_id": product_id})
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


_PRODUCT = ProductSchema()  # one instance for the ETags of a batch's products


@blp.route("/businesses/<string:business_id>/products/batch", methods=["POST"])
@blp.auth(Role.ALUMNA, Role.ADMIN)
@blp.arguments(ProductBatchSchema)
@blp.response(200, ProductBatchResultSchema)
@blp.alt_response(207, schema=ProductBatchResultSchema, description="Per item: each item's status.")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(424, response="FAILED_DEPENDENCY")
def batch_update_products(data: dict[str, Any], business_id: str) -> Any:
    """Change price, stock and availability of up to 100 of your products, each with its ETag."""
    per_item = data["mode"] == "per_item"
    try:
        results = product_batches.update(
            db(),
            actor=current_actor(),
            business_id=business_id,
            items=data["items"],
            atomic=not per_item,
            is_current=lambda product, sent: etag_matches(sent, etag_of(product, _PRODUCT)),
        )
    except product_batches.BatchFailed as failed:
        failed.extra = {"items": [_batch_result(r) for r in failed.results]}
        raise
    body = {"items": [_batch_result(r) for r in results]}
    return (Prepared(body), 207) if per_item else Prepared(body)


def _batch_result(result: product_batches.ItemResult) -> dict[str, Any]:
    error = result.error
    if error is None and result.status == 424:
        error = DomainError("not_applied")
        error.status = 424
    return {
        "index": result.index,
        "product_id": result.product_id,
        "status": result.status,
        "etag": etag_of(result.product, _PRODUCT) if result.product else None,
        "problem": error_body(error) if error else None,
    }
