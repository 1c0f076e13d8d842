"""The public catalogue read without the ORM gives exactly the documents the schemas give from
the ORM objects, for every kind of listing; anything not plainly public goes the ORM way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.catalogue import changes as catalogue_changes
from api.catalogue import reads as catalogue_reads
from api.db import utcnow
from api.models import (
    Availability,
    Business,
    BusinessLicence,
    BusinessStatus,
    LicenceKind,
    Product,
    ProductStatus,
    Role,
    User,
)
from api.schemas.businesses import BusinessSchema, BusinessSummarySchema
from api.schemas.products import ProductSchema, ProductSummarySchema
from api.schemas.projection import projector
from api.state import get_state
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import image_bytes, upload


def _listings(client: FlaskClient, auth: Auth, db_session: Session) -> tuple[Any, ...]:
    owner, owner_h = auth.as_role(Role.ALUMNA)
    business: Business = BusinessFactory(
        owner_id=owner.id,
        channels={"instagram": "https://www.instagram.com/kue.bu.siti"},
        opening_hours=[{"day": "mon", "opens": "08:00", "closes": "17:00"}],
        founded_on=dt.date(2019, 3, 1),
        rating_count=3,
        rating_sum=13,
        verified_graduate=True,
        last_activity_at=utcnow() - dt.timedelta(days=90),  # at risk
    )
    db_session.add(
        BusinessLicence(
            business_id=business.id,
            kind=LicenceKind.PIRT,
            number="2063275010203-28",
            issued_on=dt.date(2022, 1, 5),
        )
    )
    plain: Product = ProductFactory(business=business, tags=["kue", "lapis legit"])
    ordered: Product = ProductFactory(
        business=business,
        availability=Availability.PRE_ORDER,
        stock=None,
        lead_days=3,
        rating_count=2,
        rating_sum=9,
        published_at=utcnow(),
    )
    for url in (f"/v1/products/{plain.id}/photos", f"/v1/businesses/{business.id}/photos"):
        for _ in range(2):
            assert upload(client, url, image_bytes("JPEG", (300, 200)), owner_h).status_code == 201
    bare: Business = BusinessFactory(channels={}, opening_hours=[], founded_on=None)
    db_session.flush()
    db_session.expire_all()
    return business, bare, plain, ordered


def test_the_documents_are_the_schemas(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business, bare, plain, ordered = _listings(client, auth, db_session)
    url = get_state(app).storage.url
    with app.test_request_context():
        for product in (plain, ordered):
            lean = catalogue_reads.public_product(db_session, product.id, url=url)
            assert lean is not None
            assert lean.document == ProductSchema().dump(product)
        listings = catalogue_reads.public_products(db_session, [ordered.id, plain.id], url=url)
        documents = [listing.document for listing in listings]
        assert documents == [ProductSchema().dump(p) for p in (ordered, plain)]
        assert len(documents[1]["photos"]) == 2
        for one in (business, bare):
            listing = catalogue_reads.public_business(db_session, one.id, url=url)
            assert listing is not None
            assert listing.document == BusinessSchema().dump(one)
        assert listing.document["licences"] == [] and listing.document["photos"] == []
        many = catalogue_reads.public_businesses(db_session, [bare.id, business.id], url=url)
        assert [m.document for m in many] == [BusinessSchema().dump(b) for b in (bare, business)]
        assert many[1].document["activity_status"] == "at_risk"
        assert len(many[1].document["licences"]) == 1 and len(many[1].document["photos"]) == 2


def test_compact_items_are_the_schemas_dump_of_real_documents(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business, bare, plain, ordered = _listings(client, auth, db_session)
    url = get_state(app).storage.url
    products, businesses = ProductSummarySchema(), BusinessSummarySchema()
    with app.test_request_context():
        for product in (plain, ordered):
            listing = catalogue_reads.public_product(db_session, product.id, url=url)
            assert listing is not None
            document = listing.document
            assert projector(products)(document) == products.dump(document)
        assert projector(products)(document)["thumbnail_url"] is None  # ``ordered``: no photo
        for one in (business, bare):
            listing = catalogue_reads.public_business(db_session, one.id, url=url)
            assert listing is not None
            assert projector(businesses)(listing.document) == businesses.dump(listing.document)
        photographed = catalogue_reads.public_product(db_session, plain.id, url=url)
        assert photographed is not None
        assert projector(products)(photographed.document)["thumbnail_url"] is not None


def test_what_is_not_plainly_public_is_not_read_this_way(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business, _, plain, ordered = _listings(client, auth, db_session)
    url = get_state(app).storage.url
    ordered.status = ProductStatus.DRAFT
    plain.hidden_at = utcnow()
    db_session.flush()
    assert catalogue_reads.public_product(db_session, ordered.id, url=url) is None
    assert catalogue_reads.public_product(db_session, plain.id, url=url) is None
    assert catalogue_reads.public_product(db_session, "prd_nothing", url=url) is None
    # A page's ids are found public first and its documents read after: one hidden, paused or
    # closed in between is left out (the documents read are kept and served one by one).
    bare = BusinessFactory()
    db_session.flush()
    both = [business.id, bare.id]
    assert [
        b.document["id"] for b in catalogue_reads.public_businesses(db_session, both, url=url)
    ] == both
    bare.hidden_at = utcnow()
    business.status = BusinessStatus.PAUSED
    db_session.flush()
    assert catalogue_reads.public_business(db_session, business.id, url=url) is None
    assert catalogue_reads.public_businesses(db_session, both, url=url) == []


def test_the_owner_and_admins_in_scope_still_get_their_view(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business, _, plain, _ = _listings(client, auth, db_session)
    owner = db_session.get(User, business.owner_id)
    assert owner is not None
    owner_h = auth.headers(owner)
    _, stranger_h = auth.as_role(Role.ALUMNA)
    mine = client.get(f"/v1/products/{plain.id}", headers=owner_h).json
    theirs = client.get(f"/v1/products/{plain.id}", headers=stranger_h).json
    assert mine["stats"] is not None and theirs["stats"] is None
    assert {k: v for k, v in mine.items() if k != "stats"} == {
        k: v for k, v in theirs.items() if k != "stats"
    }
    assert client.get(f"/v1/businesses/{business.id}", headers=owner_h).json["private"]
    assert client.get(f"/v1/businesses/{business.id}", headers=stranger_h).json["private"] is None
    region = "?region=32.75&limit=100&view=full"  # the whole documents, with `private`
    listed = client.get(f"/v1/businesses{region}", headers=owner_h).json["items"]
    assert next(b for b in listed if b["id"] == business.id)["private"]["address"]
    anonymous = client.get(f"/v1/businesses{region}").json["items"]
    assert all(b["private"] is None for b in anonymous)
    assert [b["id"] for b in anonymous] == [b["id"] for b in listed]


def test_listed_follows_every_change_of_the_product_or_its_business(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Search filters products.listed instead of joining businesses: it must always say
    whether the product is public, whatever changed and through whichever path."""
    owner, owner_h = auth.as_role(Role.ALUMNA)
    business: Business = BusinessFactory(owner_id=owner.id)
    shown: Product = ProductFactory(business=business)
    draft: Product = ProductFactory(business=business, status=ProductStatus.DRAFT)
    other: Product = ProductFactory()

    def check(step: str) -> None:
        db_session.expire_all()
        for product in (shown, draft, other):
            fresh = db_session.get(Product, product.id)
            assert fresh is not None
            assert fresh.listed == catalogue_changes.is_public(fresh), (step, product.name)

    check("created")
    steps = [
        f"/v1/businesses/{business.id}/pause",
        f"/v1/products/{draft.id}/publish",
        f"/v1/businesses/{business.id}/activate",
        f"/v1/products/{shown.id}/unpublish",
        f"/v1/products/{shown.id}/publish",
        f"/v1/products/{draft.id}/archive",
    ]
    for url in steps:
        answer = client.post(url, json={}, headers=owner_h)
        assert answer.status_code == 200, (url, answer.json)
        check(url)
    # Staff hiding the business (moderation) and erasure change it too.
    business.hidden_at = utcnow()
    db_session.flush()
    check("business hidden")
    business.hidden_at = None
    db_session.flush()
    check("business shown again")
    etag = client.get("/v1/me", headers=owner_h).headers["ETag"]
    assert client.delete("/v1/me", headers={**owner_h, "If-Match": etag}).status_code == 204
    check("owner erased")
    assert not db_session.get(Product, shown.id).listed  # type: ignore[union-attr]
