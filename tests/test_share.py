"""Share pages: HTML with Open Graph and Twitter tags, 404 pages, the WhatsApp button; and the
same pages driven in headless Chromium (Debian's package) over a real socket."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
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
    # Built from the Host header (PUBLIC_BASE_URL is unset here): not for shared caches.
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "private, no-cache"
    html = response.get_data(as_text=True)
    assert "<script" not in html  # no JavaScript needed
    tags = meta(html)
    assert tags["og:title"] == "Kue lapis legit · Rp 25.000/loyang"
    assert tags["og:type"] == "product" and tags["product:price:currency"] == "IDR"
    assert tags["product:price:amount"] == "25000"
    assert tags["og:url"] == f"http://localhost/s/{business.slug}/{product.slug}"
    # og:image is a JPEG (link-preview scrapers do not all read WebP), made once and kept.
    assert tags["og:image"] == f"http://localhost/s/photos/{product.photos[0].id}.jpg"
    assert tags["og:image:type"] == "image/jpeg"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == tags["og:image"]
    assert "Rp 25.000" in html
    image = client.get(urlparse(tags["og:image"]).path)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(image.get_data())) as decoded:
        assert decoded.format == "JPEG" and decoded.size == (1080, 810)
    assert client.get(urlparse(tags["og:image"]).path).get_data() == image.get_data()
    hero = re.search(r'<img class="hero" src="([^"]+)"', html)
    assert hero and hero[1].endswith("/1080.webp")  # the page itself keeps the WebP
    assert business.address not in html and business.whatsapp not in html  # private


def test_the_business_page_lists_its_published_products(client: FlaskClient, listing: dict) -> None:
    business, product = listing["business"], listing["product"]
    ProductFactory(business=business, name="Resep rahasia", status=ProductStatus.DRAFT)
    html = client.get(f"/s/{business.slug}").get_data(as_text=True)
    tags = meta(html)
    assert tags["og:title"] == "Dapur Bu Siti" and tags["og:type"] == "website"
    assert f"/s/{business.slug}/{product.slug}" in html and "Resep rahasia" not in html


def test_without_a_photo_a_placeholder_shows_in_the_grid_and_the_preview(
    client: FlaskClient, listing: dict
) -> None:
    business = listing["business"]
    bare = ProductFactory(business=business, name="Nastar keju")
    html = client.get(f"/s/{business.slug}").get_data(as_text=True)
    cells = re.findall(r'<li><a href="[^"]+">\s*<img src="([^"]+)" alt="([^"]+)"', html)
    pictured = dict((alt, src) for src, alt in cells)
    assert set(pictured) == {"Kue lapis legit", "Nastar keju"}  # no blank cell
    assert pictured["Nastar keju"] == "http://localhost/static/share/placeholder.jpg"
    assert pictured["Kue lapis legit"].endswith("/480.webp")
    tags = meta(client.get(f"/s/{business.slug}/{bare.slug}").get_data(as_text=True))
    assert tags["og:image"] == "http://localhost/static/share/placeholder.jpg"
    placeholder = client.get("/static/share/placeholder.jpg")
    assert placeholder.status_code == 200 and placeholder.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(placeholder.get_data())) as decoded:
        assert decoded.format == "JPEG" and decoded.size == (1200, 630)
    placeholder.close()


def test_a_preview_image_of_something_not_public_is_not_found(
    client: FlaskClient, listing: dict, db_session: Session
) -> None:
    product = listing["product"]
    photo_id = product.photos[0].id
    assert client.get(f"/s/photos/{photo_id}.jpg").status_code == 200
    product.status = ProductStatus.DRAFT
    db_session.flush()
    assert client.get(f"/s/photos/{photo_id}.jpg").status_code == 404
    assert client.get("/s/photos/pho_nothing.jpg").status_code == 404


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
            page = browser.new_page(locale="id-ID")  # a phone set to Indonesian
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
            assert og and og.startswith(f"{live_server}/s/photos/") and og.endswith(".jpg")
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


def test_a_page_built_from_the_host_header_is_never_cached_publicly(
    app: Flask, client: FlaskClient, listing: dict
) -> None:
    """In development (PUBLIC_BASE_URL unset) a forged Host reaches only its sender."""
    from dataclasses import replace

    business = listing["business"]
    forged = client.get(f"/s/{business.slug}", headers={"Host": "evil.example"})
    assert meta(forged.get_data(as_text=True))["og:url"].startswith("http://evil.example/")
    assert "public" not in forged.headers["Cache-Control"]
    assert "private" in forged.headers["Cache-Control"]
    state = get_state(app)
    saved = state.settings
    state.settings = replace(saved, public_base_url="https://berdaya.example.id")
    try:
        configured = client.get(f"/s/{business.slug}", headers={"Host": "evil.example"})
    finally:
        state.settings = saved
    assert configured.headers["Cache-Control"] == "public, max-age=300"


def test_share_pages_send_a_content_security_policy_and_may_not_be_framed(
    client: FlaskClient, listing: dict
) -> None:
    import base64
    import hashlib

    business, product = listing["business"], listing["product"]
    for path in (
        f"/s/{business.slug}",
        f"/s/{business.slug}/{product.slug}",
        f"/s/{business.slug}/not-a-product",
    ):
        response = client.get(path)
        policy = {
            name: value
            for name, _, value in (
                part.strip().partition(" ")
                for part in response.headers["Content-Security-Policy"].split(";")
            )
        }
        assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["img-src"].startswith("'self'") and "script-src" not in policy
        assert policy["form-action"].split()[:2] == ["'self'", "https://wa.me"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        # The page's one inline stylesheet is the one the policy allows.
        (style,) = re.findall(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert policy["style-src"] == f"'sha256-{digest}'"


def test_one_ipv6_block_shares_one_limit() -> None:
    from api.services.share import visitor_key

    one = visitor_key("k", "2001:db8:1:2::1")
    assert one == visitor_key("k", "2001:db8:1:2:ffff::9")  # same /64
    assert one != visitor_key("k", "2001:db8:1:3::1")
    assert visitor_key("k", "203.0.113.7") != visitor_key("k", "203.0.113.8")
