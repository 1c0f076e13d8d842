"""Contact on WhatsApp: the reveal is signed-in, recorded as a lead, and limited per day."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Business, BusinessStatus, Lead, ProductStatus, Role, User
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, items_of


def test_contact_reveals_the_number_with_a_prefilled_message(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business = BusinessFactory(name="Kue Bu Siti", whatsapp="+6281287654301")
    product = ProductFactory(
        business=business, name="Kue Lapis Legit", price_idr=185_000, unit="loyang"
    )
    seller = db_session.get(User, business.owner_id)
    assert seller is not None
    seller.locale = "id"  # the message is addressed to her, in her language
    db_session.flush()
    buyer, headers = auth.as_role(Role.BUYER, name="Rudi Hartono")
    response = client.post(
        f"/v1/businesses/{business.id}/contact",
        json={"product_id": product.id, "note": "Untuk hari Sabtu."},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["whatsapp"] == "+6281287654301"
    link = urlparse(body["wa_me_url"])
    assert (link.scheme, link.netloc, link.path) == ("https", "wa.me", "/6281287654301")
    message = parse_qs(link.query)["text"][0]
    assert message == body["message"]
    assert "Kue Lapis Legit" in message and "Rp 185.000/loyang" in message
    assert message.startswith("Halo Kue Bu Siti, saya Rudi Hartono.")
    assert message.endswith("Untuk hari Sabtu.")
    lead = db_session.get(Lead, body["lead_id"])
    assert lead is not None and (lead.user_id, lead.product_id) == (buyer.id, product.id)


def test_contact_needs_a_signed_in_user_and_a_public_business(
    client: FlaskClient, auth: Auth
) -> None:
    business = BusinessFactory()
    url = f"/v1/businesses/{business.id}/contact"
    assert_problem(client.post(url, json={}), 401)
    _, headers = auth.as_role(Role.BUYER)
    draft = BusinessFactory(status=BusinessStatus.DRAFT)
    assert_problem(client.post(f"/v1/businesses/{draft.id}/contact", json={}, headers=headers), 404)
    silent = BusinessFactory(whatsapp=None)
    assert_problem(
        client.post(f"/v1/businesses/{silent.id}/contact", json={}, headers=headers),
        409,
        "no_whatsapp",
    )
    other = ProductFactory()
    hidden = ProductFactory(business=business, status=ProductStatus.DRAFT)
    for product_id in (other.id, hidden.id, "prd_nope"):
        refused = client.post(url, json={"product_id": product_id}, headers=headers)
        assert "product_id" in assert_problem(refused, 422)["errors"]
    owner = auth.session.get(User, business.owner_id)
    assert owner is not None
    owner_headers = auth.headers(owner)
    assert (
        "business_id"
        in assert_problem(client.post(url, json={}, headers=owner_headers), 422)["errors"]
    )


def test_contacts_are_limited_per_user_per_day(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    limit = client.application.extensions["berdaya"].settings.contact_daily_limit
    buyer, headers = auth.as_role(Role.BUYER)
    business = BusinessFactory()
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    db_session.add(
        Lead(business_id=business.id, user_id=buyer.id, message="lama", created_at=yesterday)
    )
    for _ in range(limit - 1):
        db_session.add(Lead(business_id=business.id, user_id=buyer.id, message="x"))
    db_session.flush()
    url = f"/v1/businesses/{business.id}/contact"
    assert client.post(url, json={}, headers=headers).status_code == 200
    blocked = client.post(url, json={}, headers=headers)
    assert_problem(blocked, 429, "contact_limited")
    assert 0 < int(blocked.headers["Retry-After"]) <= 24 * 3600
    assert blocked.headers["X-RateLimit-Limit"] == str(limit)
    total = db_session.scalar(
        select(func.count()).select_from(Lead).where(Lead.user_id == buyer.id)
    )
    assert total == limit + 1
    _, other = auth.as_role(Role.BUYER)
    assert client.post(url, json={}, headers=other).status_code == 200


def test_owner_reads_her_leads_others_cannot(client: FlaskClient, auth: Auth) -> None:
    owner, owner_headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    product = ProductFactory(business=business)
    _, headers = auth.as_role(Role.BUYER, name="Maya Sari")
    client.post(
        f"/v1/businesses/{business.id}/contact", json={"product_id": product.id}, headers=headers
    )
    client.post(f"/v1/businesses/{business.id}/contact", json={}, headers=headers)
    leads = client.get(f"/v1/businesses/{business.id}/leads", headers=owner_headers)
    assert leads.status_code == 200
    items = leads.json["items"]
    assert [i["product"] and i["product"]["id"] for i in items] == [None, product.id]
    assert {i["user_name"] for i in items} == {"Maya Sari"}
    assert_problem(client.get(f"/v1/businesses/{business.id}/leads", headers=headers), 403)
    assert_problem(client.get(f"/v1/businesses/{business.id}/leads"), 401)


def test_a_new_seller_learns_what_contact_needs_and_consents_with_her_number(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """A new alumna with a number is told that contact needs her consent; she gives it in the
    same request as the number, and the public document, the product and the share page say
    whether a buyer can contact her (the button only when it works)."""
    from tests.worlds import new_business

    _, owner_h = auth.as_role(Role.ALUMNA)
    created = client.post(
        "/v1/businesses", json=new_business(db_session, whatsapp=None), headers=owner_h
    )
    assert created.status_code == 201, created.json
    business = created.json
    assert business["contactable"] is False
    assert business["private"]["contact_missing"] == ["whatsapp", "contact_consent"]
    url = f"/v1/businesses/{business['id']}"
    assert client.post(f"{url}/activate", headers=owner_h).status_code == 200
    ProductFactory(business=db_session.get(Business, business["id"]), slug="kue-lapis")

    # With a number and no consent: she is told what is missing; buyers are told no contact.
    etag = client.get(url, headers=owner_h).headers["ETag"]
    numbered = client.patch(
        url, json={"whatsapp": "0812-9876-5432"}, headers={**owner_h, "If-Match": etag}
    )
    assert numbered.status_code == 200, numbered.json
    assert numbered.json["private"]["contact_missing"] == ["contact_consent"]
    assert client.get(url).json["contactable"] is False
    product = client.get(f"{url}/products?view=full").json["items"][0]
    assert product["business"]["contactable"] is False
    page = client.get(f"/s/{business['slug']}").get_data(as_text=True)
    assert "Chat di WhatsApp" not in page and "belum membuka kontak" in page
    refused = client.post(f"/s/{business['slug']}/contact")
    assert refused.status_code == 409
    assert "belum mencantumkan" not in refused.get_data(as_text=True)
    assert "menyetujui" in refused.get_data(as_text=True)

    # A facilitator cannot consent for her; she consents in the same PATCH.
    etag = numbered.headers["ETag"]
    consented = client.patch(
        url, json={"contact_consent": True}, headers={**owner_h, "If-Match": etag}
    )
    assert consented.status_code == 200, consented.json
    assert consented.json["contactable"] is True
    assert consented.json["private"]["contact_missing"] == []
    assert client.get("/v1/me/consents", headers=owner_h).json["items"][0]["purpose"] == (
        "contact_reveal"
    )
    assert client.get(url).json["contactable"] is True
    assert (
        client.get(f"{url}/products?view=full").json["items"][0]["business"]["contactable"] is True
    )
    assert "Chat di WhatsApp" in client.get(f"/s/{business['slug']}").get_data(as_text=True)
    _, buyer_h = auth.as_role(Role.BUYER)
    assert client.post(f"{url}/contact", json={}, headers=buyer_h).status_code == 200

    # Withdrawn in the same way: buyers see at once that contact no longer works.
    withdrawn = client.patch(
        url,
        json={"contact_consent": False},
        headers={**owner_h, "If-Match": consented.headers["ETag"]},
    )
    assert withdrawn.json["contactable"] is False
    assert client.get(url).json["contactable"] is False
    assert_problem(
        client.post(f"{url}/contact", json={}, headers=buyer_h), 409, "contact_not_consented"
    )


def test_only_the_owner_herself_gives_contact_consent(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business = BusinessFactory(contact_consent=False)
    _, admin_h = auth.as_role(Role.ADMIN)
    url = f"/v1/businesses/{business.id}"
    etag = client.get(url, headers=admin_h).headers["ETag"]
    refused = client.patch(
        url, json={"contact_consent": True}, headers={**admin_h, "If-Match": etag}
    )
    assert "contact_consent" in assert_problem(refused, 422)["errors"]
    assert client.get(url).json["contactable"] is False


def test_listed_leads_are_what_the_orm_gives(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Leads are listed from rows (``contact._LEADS``), not ORM objects: every page must be
    what ``LeadSchema`` dumps from the leads themselves, a visitor's and a product's too."""
    from api.schemas.contact import LeadSchema

    owner, owner_headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    product = ProductFactory(business=business, name="Kue Lapis Legit")
    _, maya = auth.as_role(Role.BUYER, name="Maya Sari")
    _, rina = auth.as_role(Role.BUYER, name="Rina")
    url = f"/v1/businesses/{business.id}/contact"
    for body, headers in (({"product_id": product.id}, maya), ({}, maya), ({"note": "Halo"}, rina)):
        assert client.post(url, json=body, headers=headers).status_code == 200
    db_session.add(
        Lead(
            business_id=business.id,
            product_id=product.id,
            visitor="v:share-page",
            message="Dari halaman bagikan",
        )
    )
    db_session.flush()
    listed = items_of(client, f"/v1/businesses/{business.id}/leads?limit=3", owner_headers)
    db_session.expire_all()
    leads = db_session.scalars(
        select(Lead)
        .where(Lead.business_id == business.id)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    ).all()
    assert listed == [LeadSchema().dump(lead) for lead in leads]
    assert len(listed) == 4 and {i["user_name"] for i in listed} == {"Maya Sari", "Rina", None}
    assert (
        sum(1 for i in listed if i["product"] == {"id": product.id, "name": "Kue Lapis Legit"}) == 2
    )
