"""Share pages: HTML with Open Graph and Twitter tags, 404 pages, the WhatsApp button; and the
same pages driven in headless Chromium (Debian's package) over a real socket."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import BusinessStatus, Lead, ProductStatus, User
from api.services import photos as photo_service
from api.services.authz import Actor
from api.state import get_state
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import CHROMIUM, browser_available, image_bytes


class Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        key = found.get("property") or found.get("name")
        if tag == "meta" and key and found.get("content") is not None:
            self.tags[key] = found["content"] or ""


def meta(html: str) -> dict[str, str]:
    parser = Meta()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def listing(db_session: Session, app: Flask) -> dict:
    business = BusinessFactory(name="Dapur Bu Siti", description="Kue basah dan katering.")
    product = ProductFactory(
        business=business, name="Kue lapis legit", price_idr=25_000, unit="loyang"
    )
    owner = db_session.get(User, business.owner_id)
    photo_service.add_photo(
        db_session,
        actor=Actor(owner),
        storage=get_state(app).storage,
        data=image_bytes("JPEG", (1200, 900)),
        product_id=product.id,
    )
    db_session.flush()
    db_session.expire_all()
    return {"business": business, "product": product}


def test_the_product_page_has_the_preview_tags(client: FlaskClient, listing: dict) -> None:
    business, product = listing["business"], listing["product"]
    response = client.get(f"/s/{business.slug}/{product.slug}")
    assert response.status_code == 200
    assert response.mimetype == "text/html" and response.headers["Cache-Control"].startswith(
        "public"
    )
    html = response.get_data(as_text=True)
    assert "<script" not in html  # no JavaScript needed
    tags = meta(html)
    assert tags["og:title"] == "Kue lapis legit · Rp 25.000/loyang"
    assert tags["og:type"] == "product" and tags["product:price:currency"] == "IDR"
    assert tags["product:price:amount"] == "25000"
    assert tags["og:url"] == f"http://localhost/s/{business.slug}/{product.slug}"
    assert tags["og:image"].startswith("http://localhost/media/photos/")
    assert tags["og:image"].endswith("/1080.webp")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == tags["og:image"]
    assert "Rp 25.000" in html
    image = client.get(urlparse(tags["og:image"]).path)
    assert image.status_code == 200 and image.mimetype == "image/webp"
    image.close()
    assert business.address not in html and business.whatsapp not in html  # private


def test_the_business_page_lists_its_published_products(client: FlaskClient, listing: dict) -> None:
    business, product = listing["business"], listing["product"]
    ProductFactory(business=business, name="Resep rahasia", status=ProductStatus.DRAFT)
    html = client.get(f"/s/{business.slug}").get_data(as_text=True)
    tags = meta(html)
    assert tags["og:title"] == "Dapur Bu Siti" and tags["og:type"] == "website"
    assert f"/s/{business.slug}/{product.slug}" in html and "Resep rahasia" not in html


def test_hidden_things_give_404_pages(
    client: FlaskClient, listing: dict, db_session: Session
) -> None:
    business, product = listing["business"], listing["product"]
    draft = ProductFactory(business=business, status=ProductStatus.DRAFT)
    for url in (f"/s/{business.slug}/{draft.slug}", "/s/nobody", f"/s/{business.slug}/nothing"):
        response = client.get(url)
        assert response.status_code == 404 and response.mimetype == "text/html", url
        assert "Tidak ditemukan" in response.get_data(as_text=True)
    business.status = BusinessStatus.PAUSED
    db_session.flush()
    assert client.get(f"/s/{business.slug}").status_code == 404
    assert client.get(f"/s/{business.slug}/{product.slug}").status_code == 404


def test_text_is_escaped(client: FlaskClient, db_session: Session) -> None:
    business = BusinessFactory(name='<script>alert("x")</script>', description='" onload="x')
    html = client.get(f"/s/{business.slug}").get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert meta(html)["og:description"] == '" onload="x'


def test_the_whatsapp_button_records_a_lead_and_redirects(
    app: Flask, client: FlaskClient, listing: dict, db_session: Session
) -> None:
    business, product = listing["business"], listing["product"]
    response = client.post(
        f"/s/{business.slug}/contact",
        data={"product": product.slug},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 303
    target = urlparse(response.headers["Location"])
    assert (target.netloc, target.path) == ("wa.me", "/" + business.whatsapp.lstrip("+"))
    text = parse_qs(target.query)["text"][0]
    assert "Kue lapis legit" in text and "Rp 25.000/loyang" in text
    lead = db_session.scalars(select(Lead).where(Lead.business_id == business.id)).one()
    assert lead.user_id is None and lead.product_id == product.id
    assert lead.visitor and "203.0.113.7" not in lead.visitor

    limit = get_state(app).settings.contact_daily_limit
    for _ in range(limit - 1):
        client.post(f"/s/{business.slug}/contact", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    refused = client.post(
        f"/s/{business.slug}/contact", environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert int(refused.headers["Retry-After"]) > 0
    other = client.post(f"/s/{business.slug}/contact", environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert other.status_code == 303

    silent = BusinessFactory(whatsapp=None)
    assert client.post(f"/s/{silent.slug}/contact").status_code == 409


# -- in a real browser ---------------------------------------------------------------------------


@pytest.mark.slow  # headless Chromium
def test_chromium_renders_the_page_loads_the_photo_and_opens_whatsapp(
    live_server: str, listing: dict
) -> None:
    browser_available()
    from playwright.sync_api import sync_playwright

    business, product = listing["business"], listing["product"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            opened: list[str] = []
            page.route(
                re.compile(r"^https://wa\.me/.*"),
                lambda route: (opened.append(route.request.url), route.fulfill(body="WhatsApp"))[1],
            )
            response = page.goto(f"{live_server}/s/{business.slug}/{product.slug}")
            assert response is not None and response.status == 200
            assert page.title() == "Kue lapis legit · Rp 25.000/loyang · Berdaya"
            hero = page.locator("img.hero")
            hero.wait_for()
            width = hero.evaluate("img => img.decode().then(() => img.naturalWidth)")
            assert width == 1080  # the photo loaded and decoded
            og = page.locator('meta[property="og:image"]').get_attribute("content")
            assert og and og.startswith(live_server) and og.endswith("/1080.webp")
            assert page.locator('meta[property="og:title"]').get_attribute("content") == (
                "Kue lapis legit · Rp 25.000/loyang"
            )
            assert "Rp 25.000" in page.locator("p.price").inner_text()
            page.locator("button.wa").click()
            page.wait_for_url(re.compile(r"^https://wa\.me/"))
            assert opened and "Kue%20lapis%20legit" in opened[0]

            missing = page.goto(f"{live_server}/s/{business.slug}/not-a-product")
            assert missing is not None and missing.status == 404
            assert page.locator("h1").inner_text() == "Tidak ditemukan"
        finally:
            browser.close()


def test_links_use_the_configured_public_address_not_the_host_header(
    app: Flask, client: FlaskClient, listing: dict
) -> None:
    from dataclasses import replace

    state = get_state(app)
    saved = state.settings
    state.settings = replace(saved, public_base_url="https://berdaya.example.id")
    try:
        business = listing["business"]
        html = client.get(f"/s/{business.slug}", headers={"Host": "evil.example"}).get_data(
            as_text=True
        )
    finally:
        state.settings = saved
    tags = meta(html)
    assert tags["og:url"] == f"https://berdaya.example.id/s/{business.slug}"
    assert "evil.example" not in html


def test_one_ipv6_block_shares_one_limit() -> None:
    from api.services.share import visitor_key

    one = visitor_key("k", "2001:db8:1:2::1")
    assert one == visitor_key("k", "2001:db8:1:2:ffff::9")  # same /64
    assert one != visitor_key("k", "2001:db8:1:3::1")
    assert visitor_key("k", "203.0.113.7") != visitor_key("k", "203.0.113.8")
