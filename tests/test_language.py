"""Language: Accept-Language first; without it, a signed-in person's stored locale (new
accounts: `id`); anonymous callers and apps get English. What is addressed to a person (the
WhatsApp message to a seller, share pages) is in her language."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.models import Role, User
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, register
from tests.worlds import LOGIN, register_body


def test_a_signed_in_persons_locale_decides_when_the_header_is_absent(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    registered = register(client, register_body())
    assert registered.status_code == 201, registered.json
    login = client.post(
        LOGIN, json={"email": "siti.aminah@example.id", "password": "rahasia-sekali"}
    )
    token = {"Authorization": f"Bearer {login.json['access_token']}"}
    me = client.get("/v1/me", headers=token)
    assert me.json["locale"] == "id"  # a new account reads Indonesian

    bad = {"name": "x", "category_id": "cat_nope", "village_code": "Bekasi"}
    refused = client.post("/v1/businesses", json=bad, headers=token)
    problem = assert_problem(refused, 422)
    assert refused.headers["Content-Language"] == "id"
    assert problem["title"] == "Validasi gagal"
    assert problem["errors"]["village_code"] == ["Bukan kode wilayah."]

    # The header still wins, both ways; anonymous callers keep English.
    english = client.post("/v1/businesses", json=bad, headers={**token, "Accept-Language": "en"})
    assert assert_problem(english, 422)["errors"]["village_code"] == ["Not a region code."]
    anonymous = client.get("/v1/businesses?region=Bekasi")
    assert anonymous.headers["Content-Language"] == "en"
    assert assert_problem(anonymous, 422)["errors"] == {"region": ["Not a region code."]}
    indonesian = client.get("/v1/businesses?region=Bekasi", headers={"Accept-Language": "id"})
    assert assert_problem(indonesian, 422)["errors"] == {"region": ["Bukan kode wilayah."]}

    # She changes her locale; the next answers follow it.
    etag = me.headers["ETag"]
    changed = client.patch("/v1/me", json={"locale": "en"}, headers={**token, "If-Match": etag})
    assert changed.status_code == 200, changed.json
    again = client.post("/v1/businesses", json=bad, headers=token)
    assert again.headers["Content-Language"] == "en"
    assert assert_problem(again, 422)["title"] == "Validation failed"
    # An invalid token is answered in the default language, without a loop.
    forged = client.get("/v1/me", headers={"Authorization": "Bearer nope"})
    assert assert_problem(forged, 401)["title"] == "Invalid token"


def test_the_whatsapp_message_is_in_the_sellers_language(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    business = BusinessFactory(name="Kue Bu Siti")
    product = ProductFactory(business=business, name="Kue Lapis", price_idr=50_000, unit="kotak")
    seller = db_session.get(User, business.owner_id)
    assert seller is not None
    _, buyer_h = auth.as_role(Role.BUYER, name="Rudi", locale="id")
    url = f"/v1/businesses/{business.id}/contact"
    for locale, opening in (("en", "Hello Kue Bu Siti, this is Rudi."), ("id", "Halo Kue Bu Siti")):
        seller.locale = locale
        db_session.flush()
        answer = client.post(url, json={"product_id": product.id}, headers=buyer_h)
        assert answer.status_code == 200, answer.json
        message = parse_qs(urlparse(answer.json["wa_me_url"]).query)["text"][0]
        assert message.startswith(opening), message


def test_share_pages_speak_the_visitors_language(client: FlaskClient) -> None:
    business = BusinessFactory(name="Kue Bu Siti")
    ProductFactory(business=business, slug="kue-lapis", stock=3)
    url = f"/s/{business.slug}/kue-lapis"
    default = client.get(url)
    assert default.headers["Content-Language"] == "id"
    assert "Accept-Language" in default.headers["Vary"]
    page = default.get_data(as_text=True)
    assert '<html lang="id">' in page and "Pesan lewat WhatsApp" in page and "Tersedia" in page
    english = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.8"})
    text = english.get_data(as_text=True)
    assert english.headers["Content-Language"] == "en"
    assert '<html lang="en">' in text and "Order on WhatsApp" in text and "In stock" in text
    assert 'content="en_US"' in text and "Pesan lewat" not in text
    missing = client.get("/s/no-such-business", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)
