"""Every user's journey through HTTP only, against the app as `make run` serves it.

`make run` (gunicorn, demo data) on a fresh SQLite file, and once more on a fresh PostgreSQL
database when TEST_DATABASE_URL is set. Every request must answer within a second on this
2-core machine and the server's log must hold no error: the in-process suite cannot see a
stall that only the served app has (view counts flushed inside the request that held the
SQLite lock once made every read wait 10 s).

To walk the journeys against a server you already run: BERDAYA_SERVED_URL=http://127.0.0.1:5000.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.served import (
    REQUEST_BUDGET_SECONDS,
    ROOT,
    Http,
    Served,
    free_port,
    jpeg,
    postgres_database,
    serve,
)

pytestmark = pytest.mark.slow

DEMO_PASSWORD = "berdaya-demo"
MENTOR = {"email": "lestari@univ-mustika.example.id", "password": DEMO_PASSWORD}
PARTNER = {"email": "andi.setiawan@sinarpangan.example.co.id", "password": DEMO_PASSWORD}
FACILITATOR = {"email": "fasilitator@dp3a.bekasikota.test", "password": DEMO_PASSWORD}
BUYER = {"email": "rudi.hartono@example.id", "password": DEMO_PASSWORD}
# View counts flushed every second, so that the journeys' reads meet flushes all along.
SERVED_ENV = {"VIEW_FLUSH_SECONDS": "1"}
MUSTIKASARI_DISTRICT = "32.75.11"  # Bekasi Timur, Kota Bekasi: the study's kelurahan is in it


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    reuse = os.environ.get("BERDAYA_SERVED_URL")
    if reuse:
        if request.param != "sqlite":
            pytest.skip("BERDAYA_SERVED_URL: one server, walked once")
        yield Served(base=reuse.rstrip("/"), log=Path(os.devnull), port=0)
        return
    workdir = tmp_path_factory.mktemp(f"served-{request.param}")
    if request.param == "sqlite":
        with serve(workdir, f"sqlite:///{workdir / 'berdaya.sqlite3'}", **SERVED_ENV) as app:
            yield app
        return
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    with postgres_database(url) as database, serve(workdir, database, **SERVED_ENV) as app:
        yield app


@pytest.fixture(scope="module")
def http(served: Served) -> Http:
    """The module's callers share one record of timings, checked after every journey."""
    return Http(served.base)


@pytest.fixture(autouse=True)
def _no_stall_and_a_clean_log(served: Served, http: Http) -> Iterator[None]:
    seen = len(http.timings)
    yield
    slow = [t for t in http.timings[seen:] if t.over_budget]
    assert not slow, f"requests over {REQUEST_BUDGET_SECONDS} s: {slow}"
    assert not served.problems_in_log(), "\n".join(served.problems_in_log())


def today() -> dt.date:
    """Today in Western Indonesia Time, as the API judges dates."""
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


def _unique() -> str:
    return dt.datetime.now(dt.UTC).strftime("%H%M%S%f")


def _phone() -> str:
    return "0857" + _unique()[-8:]


def _village(http: Http) -> str:
    villages = http.get(f"/v1/regions?parent={MUSTIKASARI_DISTRICT}&level=village&limit=5").json()
    return str(villages["items"][0]["code"])


def _category(http: Http, slug_part: str = "") -> str:
    categories = http.get("/v1/categories?limit=100").json()["items"]
    chosen = [c for c in categories if slug_part in c.get("slug", "")] or categories
    return str(chosen[0]["id"])


def _act(caller: Http, path: str, expect: int = 200, **kw: Any) -> dict[str, Any]:
    """A lifecycle action on a resource, with the resource's ETag as If-Match."""
    resource = path.rsplit("/", 1)[0]
    etag = caller.get(resource).headers["ETag"]
    body: dict[str, Any] = caller.post(path, expect, headers={"If-Match": etag}, **kw).json()
    return body


class Alumna:
    """A new alumna, registered through the API as she would register herself: the code reaches
    her by message (on `make run`, the development outbox), then she signs in."""

    def __init__(self, http: Http, name: str = "Ibu Sari") -> None:
        self.phone = _phone()
        self.name = f"{name} {_unique()}"
        anonymous = http.as_()
        anonymous.post(
            "/v1/auth/register",
            202,
            json={
                "phone": self.phone,
                "password": "rahasia-saya-1",
                "name": self.name,
                "role": "alumna",
            },
        )
        e164 = "+62" + self.phone[1:]
        messages = anonymous.get("/v1/dev/outbox", params={"recipient": e164}).json()["items"]
        code = re.search(r"\b(\d{6})\b", messages[0]["body"])
        assert code, messages
        confirmed = anonymous.post(
            "/v1/auth/register/confirm", 201, json={"phone": self.phone, "code": code[1]}
        ).json()
        assert confirmed["phone_verified_at"]
        self.user_id = str(confirmed["id"])
        self.http = anonymous.sign_in({"phone": self.phone, "password": "rahasia-saya-1"})


class Seller(Alumna):
    """A new alumna's shop, made through the API as she would make it."""

    def __init__(self, http: Http) -> None:
        super().__init__(http)
        self.business_name = f"Dapur Sari {_unique()}"
        business = self.http.post(
            "/v1/businesses",
            201,
            json={
                "name": self.business_name,
                "category_id": _category(self.http, "traditional-cakes"),
                "village_code": _village(self.http),
                "whatsapp": self.phone,
                "description": "Kue basah dan kering buatan rumah.",
            },
        ).json()
        self.business_id = business["id"]
        self.business_slug = business["slug"]
        assert business["status"] == "draft"
        _act(self.http, f"/v1/businesses/{self.business_id}/activate")
        # The WhatsApp button works once she agrees that buyers may see her number.
        self.http.post("/v1/me/consents", 201, json={"purpose": "contact_reveal"})
        self.product_word = f"klepon{_unique()[-6:]}"
        product = self.http.post(
            f"/v1/businesses/{self.business_id}/products",
            201,
            json={
                "name": f"Klepon pandan {self.product_word}",
                "category_id": _category(self.http, "traditional-cakes"),
                "price_idr": 15000,
                "unit": "kotak",
                "availability": "in_stock",
                "stock": 30,
                "description": "Klepon isi gula merah, 10 butir sekotak.",
            },
        ).json()
        self.product_id = product["id"]
        self.product_slug = product["slug"]
        photo = self.http.post(
            f"/v1/products/{self.product_id}/photos",
            201,
            files={"file": ("klepon.jpg", jpeg(), "image/jpeg")},
        ).json()
        assert photo["id"]
        published = _act(self.http, f"/v1/products/{self.product_id}/publish")
        assert published["status"] == "published"


@pytest.fixture(scope="module")
def seller(http: Http) -> Seller:
    return Seller(http)


def test_a_new_alumna_opens_a_shop_and_a_visitor_finds_and_contacts_her(
    http: Http, seller: Seller
) -> None:
    visitor = http.as_()
    found = visitor.get(f"/v1/products?q={seller.product_word}").json()["items"]
    assert [p["id"] for p in found] == [seller.product_id]
    assert found[0]["thumbnail_url"], "the published photo is on the search result"
    # Narrowed to her place at every level (province, city, district, village), and with a
    # browse of her district without words; not in another district.
    village = _village(http)  # where Seller put her shop
    for region in ("32", "32.75", MUSTIKASARI_DISTRICT, village):
        near = visitor.get(f"/v1/products?q={seller.product_word}&region={region}&sort=price")
        assert [p["id"] for p in near.json()["items"]] == [seller.product_id], region
    browse = visitor.get(f"/v1/products?region={MUSTIKASARI_DISTRICT}&sort=newest&limit=100")
    assert seller.product_id in [p["id"] for p in browse.json()["items"]]
    elsewhere = visitor.get(f"/v1/products?q={seller.product_word}&region=32.75.01").json()
    assert elsewhere["items"] == []
    product = visitor.get(f"/v1/products/{seller.product_id}").json()
    assert product["business"]["name"] == seller.business_name
    assert visitor.get(f"/v1/businesses/{seller.business_id}").json().get("private") is None
    page = visitor.get(f"/s/{seller.business_slug}/{seller.product_slug}")
    assert page.headers["Content-Type"].startswith("text/html")
    assert seller.product_word in page.text and 'property="og:image"' in page.text
    contact = visitor.post(f"/s/{seller.business_slug}/contact", expect=303, data={})
    assert contact.headers["Location"].startswith("https://wa.me/")
    # The photo's files are served too (local media on `make run`).
    for url in product["photos"][0]["urls"].values():
        assert visitor.get(url).headers["Content-Type"] == "image/webp"
    leads = seller.http.get(f"/v1/businesses/{seller.business_id}/leads").json()["items"]
    assert len(leads) == 1


def test_a_buyer_searches_orders_and_reviews_and_the_seller_replies(
    http: Http, seller: Seller
) -> None:
    anonymous = http.as_()
    first = anonymous.get("/v1/products?q=kue&limit=5&sort=price").json()
    assert first["next_cursor"], "the demo catalogue has more than five cakes"
    second = anonymous.get(f"/v1/products?q=kue&limit=5&sort=price&cursor={first['next_cursor']}")
    prices = [p["price_idr"] for p in first["items"] + second.json()["items"]]
    assert prices == sorted(prices) and len(set(p["id"] for p in first["items"])) == 5
    filtered = anonymous.get(
        "/v1/products?region=32.75&availability=in_stock&price_max=50000&limit=20"
    ).json()["items"]
    assert filtered and all(p["price_idr"] <= 50000 for p in filtered)
    read = anonymous.get(f"/v1/products/{seller.product_id}")
    again = anonymous.get(
        f"/v1/products/{seller.product_id}",
        expect=304,
        headers={"If-None-Match": read.headers["ETag"]},
    )
    assert not again.content

    buyer = http.sign_in(BUYER)
    order = buyer.post(
        "/v1/orders",
        201,
        json={
            "business_id": seller.business_id,
            "delivery_method": "pickup",
            "items": [{"product_id": seller.product_id, "quantity": 2}],
            "note": "Diambil sore ya, Bu.",
        },
    ).json()
    assert order["total_idr"] == 30000 and order["status"] == "requested"
    path = f"/v1/orders/{order['id']}"
    assert _act(seller.http, f"{path}/accept", json={})["status"] == "accepted"
    assert _act(seller.http, f"{path}/ready")["status"] == "ready"
    assert _act(buyer, f"{path}/complete")["status"] == "completed"
    mine = buyer.get("/v1/orders?side=buyer").json()["items"]
    assert order["id"] in [o["id"] for o in mine]
    review = buyer.post(
        f"{path}/reviews", 201, json={"product_id": seller.product_id, "rating": 5, "text": "Enak!"}
    ).json()
    reply = seller.http.post(
        f"/v1/reviews/{review['id']}/reply", 200, json={"text": "Terima kasih, Pak."}
    ).json()
    assert reply["reply"] == "Terima kasih, Pak."
    shown = anonymous.get(f"/v1/products/{seller.product_id}/reviews").json()["items"]
    assert [r["id"] for r in shown] == [review["id"]]
    assert anonymous.get(f"/v1/products/{seller.product_id}").json()["rating"]["count"] == 1
    notes = seller.http.get("/v1/me/notifications").json()["items"]
    assert notes, "the seller was told of the order and the review"


def test_a_mentor_offers_accepts_and_plans_a_session(http: Http, seller: Seller) -> None:
    mentor = http.sign_in(MENTOR)
    topics = http.get("/v1/mentoring-topics").json()["items"]
    start = today()
    offer = mentor.post(
        "/v1/mentoring-offers",
        201,
        json={
            "title": "Pembukuan sederhana untuk usaha kue",
            "topics": [topics[0]["code"]],
            "format": "online",
            "kind": "one_to_one",
            "capacity": 3,
            "starts_on": start.isoformat(),
            "ends_on": (start + dt.timedelta(days=90)).isoformat(),
        },
    ).json()
    asked = seller.http.post(
        "/v1/mentoring-requests",
        201,
        json={
            "topic": topics[0]["code"],
            "need": "Saya ingin mencatat untung rugi tiap minggu.",
            "preferred_format": "online",
            "business_id": seller.business_id,
            "offer_id": offer["id"],
        },
    ).json()
    open_requests = mentor.get("/v1/mentoring-requests?view=open").json()["items"]
    assert asked["id"] in [r["id"] for r in open_requests]
    accepted = _act(
        mentor, f"/v1/mentoring-requests/{asked['id']}/accept", json={"offer_id": offer["id"]}
    )
    assert accepted["status"] == "accepted"
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
    session = mentor.post(
        f"/v1/mentoring-requests/{asked['id']}/sessions",
        201,
        json={
            "starts_at": starts.isoformat().replace("+00:00", "Z"),
            "duration_minutes": 60,
            "mode": "online",
            "link": "https://meet.example.id/pembukuan",
        },
    ).json()
    assert session["id"]
    assert seller.http.get(f"/v1/mentoring-requests/{asked['id']}/sessions").json()["items"]
    org = mentor.get("/v1/me/organizations").json()["items"][0]["organization"]["id"]
    year = start.year
    report = mentor.get(
        f"/v1/organizations/{org}/mentoring-report?from={year}-01-01&to={year}-12-31&format=csv"
    )
    assert report.headers["Content-Type"].startswith("text/csv")


def test_a_csr_partner_sponsors_a_need_and_reads_the_impact(http: Http, seller: Seller) -> None:
    need = seller.http.post(
        f"/v1/businesses/{seller.business_id}/needs",
        201,
        json={
            "kind": "equipment",
            "title": "Oven gas untuk kue",
            "target_value_idr": 2_500_000,
            "deadline": (today() + dt.timedelta(days=60)).isoformat(),
        },
    ).json()
    partner = http.sign_in(PARTNER)
    browsing = partner.get("/v1/needs?kind=equipment&limit=100").json()["items"]
    assert need["id"] in [n["id"] for n in browsing]
    proposal = partner.post(
        "/v1/sponsorships",
        201,
        json={
            "business_id": seller.business_id,
            "need_id": need["id"],
            "kind": "in_kind",
            "value_idr": 2_500_000,
            "terms": "Oven gas 2 rak, dikirim ke rumah.",
        },
    ).json()
    path = f"/v1/sponsorships/{proposal['id']}"
    assert _act(seller.http, f"{path}/accept")["status"] == "accepted"
    disbursement = partner.post(
        f"{path}/disbursements",
        201,
        json={
            "disbursed_on": today().isoformat(),
            "value_idr": 2_500_000,
            "description": "Oven gas diantar.",
        },
    ).json()
    seller.http.post(f"{path}/disbursements/{disbursement['id']}/confirm", 200)
    assert seller.http.get(f"/v1/needs/{need['id']}").json()["status"] == "met"
    org = partner.get("/v1/me/organizations").json()["items"][0]["organization"]["id"]
    impact = partner.get(f"/v1/organizations/{org}/impact?year={today().year}").json()
    assert impact
    csv = partner.get(f"/v1/organizations/{org}/impact?year={today().year}&format=csv")
    assert csv.headers["Content-Type"].startswith("text/csv")


def _reports(mentor: Http, university: str, mentor_id: str) -> tuple[dict[str, Any], ...]:
    """The university's report of this year (by the events' start, in UTC): its totals and
    the mentor's own record."""
    year = dt.datetime.now(dt.UTC).year
    report = mentor.get(
        f"/v1/organizations/{university}/mentoring-report?from={year}-01-01&to={year}-12-31"
    ).json()
    mine = [m for m in report["mentors"] if m["mentor_id"] == mentor_id]
    return report["totals"], (mine[0] if mine else {})


def _delta(after: dict[str, Any], before: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: after.get(name, 0) - before.get(name, 0) for name in names}


REPORTED = ("training_events_held", "hours", "alumnae_served", "alumna_hours", "sessions_held")
IMPACT = ("women_reached", "training_attended", "training_completed", "value_disbursed_idr")


def test_a_university_trains_twenty_women_whose_seats_a_csr_company_sponsors(
    http: Http,
) -> None:
    """Issue 24's "done when": a course, a two-hour workshop from it for 20 women that counts
    as one session, a certificate each that anyone can verify, the seats sponsored by a CSR
    company that sees whom it reached."""
    mentor = http.sign_in(MENTOR)
    partner = http.sign_in(PARTNER)
    mentor_id = mentor.get("/v1/me").json()["id"]
    university = mentor.get("/v1/me/organizations").json()["items"][0]["organization"]["id"]
    company = partner.get("/v1/me/organizations").json()["items"][0]["organization"]["id"]
    impact_url = f"/v1/organizations/{company}/impact?year={today().year}"
    totals_before, mine_before = _reports(mentor, university, mentor_id)
    impact_before = partner.get(impact_url).json()

    course = mentor.post(
        "/v1/courses",
        201,
        json={
            "organization_id": university,
            "title": f"Pembukuan usaha rumahan {_unique()}",
            "summary": "Mencatat modal, penjualan dan untung rugi tiap minggu.",
            "topic": "bookkeeping",
            "level": "beginner",
        },
    ).json()
    mentor.post(
        f"/v1/courses/{course['id']}/modules",
        201,
        json={"title": "Buku kas harian", "body": "Catat uang masuk dan keluar setiap hari."},
    )
    assert _act(mentor, f"/v1/courses/{course['id']}/publish")["status"] == "published"
    assert course["id"] in [c["id"] for c in http.get("/v1/courses?limit=100").json()["items"]]

    # The workshop starts in a few seconds; registration stays open until it ends.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    starts = now + dt.timedelta(seconds=4)
    ends = starts + dt.timedelta(hours=2)
    event = mentor.post(
        "/v1/training-events",
        201,
        json={
            "organization_id": university,
            "course_id": course["id"],
            "title": course["title"],
            "topic": "bookkeeping",
            "format": "in_person",
            "place": "Aula Kelurahan Mustikasari, Kota Bekasi",
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "hours": 2,
            "capacity": 20,
            "registration_opens_at": (now - dt.timedelta(minutes=1)).isoformat(),
            "registration_closes_at": ends.isoformat(),
            "region_codes": ["32.75"],
            "trainer_ids": [mentor_id],
        },
    ).json()
    path = f"/v1/training-events/{event['id']}"
    assert event["course_id"] == course["id"] and event["seats_left"] == 20

    # She asks for the seats; the CSR company pays for them.
    need = mentor.post(
        f"{path}/needs",
        201,
        json={"title": "Kursi pelatihan pembukuan", "seats": 20, "target_value_idr": 3_000_000},
    ).json()
    assert need["target"] == {"type": "training_event", "id": event["id"]}
    found = partner.get("/v1/needs?target_type=training_event&limit=100").json()["items"]
    assert need["id"] in [n["id"] for n in found]
    proposal = partner.post(
        "/v1/sponsorships",
        201,
        json={
            "need_id": need["id"],
            "kind": "cash",
            "value_idr": 3_000_000,
            "terms": "Biaya 20 kursi pelatihan pembukuan.",
        },
    ).json()
    assert proposal["target"] == {"type": "training_event", "id": event["id"]}
    sponsorship = f"/v1/sponsorships/{proposal['id']}"
    assert _act(mentor, f"{sponsorship}/accept")["status"] == "accepted"
    paid = partner.post(
        f"{sponsorship}/disbursements",
        201,
        json={
            "disbursed_on": today().isoformat(),
            "value_idr": 3_000_000,
            "description": "Transfer biaya kursi.",
        },
    ).json()
    mentor.post(f"{sponsorship}/disbursements/{paid['id']}/confirm", 200)
    assert partner.get(sponsorship).json()["status"] == "active"
    assert http.get(f"/v1/needs/{need['id']}").json()["status"] == "met"

    # Twenty women register on the platform, then for the workshop: twenty seats.
    women = [Alumna(http, "Ibu Peserta") for _ in range(20)]
    for woman in women:
        seat = woman.http.post(f"{path}/registrations", 201).json()
        assert seat["status"] == "confirmed", seat
    assert http.get(path).json()["seats_left"] == 0

    # The workshop has started: the trainer calls the roll and completes it.
    wait = (starts - dt.datetime.now(dt.UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait + 0.2)
    came = [{"user_id": woman.user_id, "attended": True} for woman in women]
    recorded = mentor.post(f"{path}/attendance", 200, json={"entries": came}).json()["items"]
    assert len(recorded) == 20 and all(r["attended"] for r in recorded)
    assert _act(mentor, f"{path}/complete")["status"] == "completed"

    # Each woman has her certificate; a buyer or an official checks it by its code.
    anonymous = http.as_()
    for woman in women:
        (certificate,) = woman.http.get("/v1/training-certificates").json()["items"]
        assert certificate["event_id"] == event["id"] and certificate["hours"] == 2
        pdf = woman.http.get(f"/v1/training-certificates/{certificate['id']}/pdf")
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        again = woman.http.get(f"/v1/training-certificates/{certificate['id']}/pdf")
        assert again.content == pdf.content  # the kept file, not drawn again
        assert http.timings[-1].seconds < REQUEST_BUDGET_SECONDS
        checked = anonymous.get(f"/v1/certificate-verifications/{certificate['code']}").json()
        assert checked["valid"] is True and checked["status"] == "valid"
        assert checked["holder_name"] == woman.name
        assert (checked["title"], checked["hours"]) == (course["title"], 2)
    listed = mentor.get(f"{path}/certificates?limit=100").json()["items"]
    assert len(listed) == 20

    # The university's report counts the workshop once: 2 hours, 20 women, 40 women-hours.
    totals_after, mine_after = _reports(mentor, university, mentor_id)
    assert _delta(totals_after, totals_before, *REPORTED) == {
        "training_events_held": 1,
        "hours": 2,
        "alumnae_served": 20,
        "alumna_hours": 40,
        "sessions_held": 0,
    }
    assert _delta(mine_after, mine_before, *REPORTED) == {
        "training_events_held": 1,
        "hours": 2,
        "alumnae_served": 20,
        "alumna_hours": 40,
        "sessions_held": 0,
    }
    # The CSR company sees whom its seats reached: 20 women came, 20 certified.
    impact_after = partner.get(impact_url).json()
    assert _delta(impact_after, impact_before, *IMPACT) == {
        "women_reached": 20,
        "training_attended": 20,
        "training_completed": 20,
        "value_disbursed_idr": 3_000_000,
    }
    reached = impact_after["targets_reached"]["training_event"]
    assert reached - impact_before["targets_reached"]["training_event"] == 1


def test_a_facilitator_follows_up_checks_in_and_reads_the_statistics(http: Http) -> None:
    facilitator = http.sign_in(FACILITATOR)
    quiet = facilitator.get("/v1/follow-up?status=dormant&limit=10").json()["items"]
    assert quiet, "the demo cohorts have dormant businesses"
    business = quiet[0]
    answer = facilitator.post(
        f"/v1/businesses/{business['id']}/check-ins",
        None,
        json={"trading": True, "revenue_band": "1m_5m", "challenges": "Modal kurang."},
    )
    assert answer.status_code in (200, 201), answer.text
    claims = facilitator.get("/v1/graduate-claims?status=pending").json()["items"]
    if claims:
        verified = facilitator.post(f"/v1/graduate-claims/{claims[0]['id']}/verify", 200).json()
        assert verified["status"] == "verified"
    stats = facilitator.get("/v1/stats/cohort?region=32.75").json()
    assert stats["items"]
    cohort_csv = facilitator.get("/v1/stats/cohort?region=32.75&format=csv")
    assert cohort_csv.headers["Content-Type"].startswith("text/csv")


def test_an_app_developer_reads_the_catalogue_with_a_key_and_follows_events(
    http: Http, seller: Seller
) -> None:
    partner = http.sign_in(PARTNER)
    org = partner.get("/v1/me/organizations").json()["items"][0]["organization"]["id"]
    key = partner.post(
        f"/v1/organizations/{org}/api-keys",
        201,
        json={"name": "aplikasi katalog", "scopes": ["catalogue:read", "events:read"]},
    ).json()["secret"]
    app = http.as_(api_key=key)
    found = app.get(f"/v1/products?q={seller.product_word}").json()["items"]
    assert [p["id"] for p in found] == [seller.product_id]
    events = app.get("/v1/events?after=0&types=product.*&limit=100").json()
    assert events["items"] and events["next_after"]
    seen = {e["subject"]["id"] for e in events["items"]}
    while events["has_more"] and seller.product_id not in seen:
        events = app.get(
            f"/v1/events?after={events['next_after']}&types=product.*&limit=100"
        ).json()
        seen |= {e["subject"]["id"] for e in events["items"]}
    assert seller.product_id in seen
    refused = app.get("/v1/me", expect=None)
    assert refused.status_code in (401, 403)
    assert re.match(r"application/problem\+json", refused.headers["Content-Type"])


# -- the README's and the docs' walk-throughs, run as written -----------------------------------

WALK_THROUGH = re.compile(r"<!-- walk-through:[^>]*-->\n```sh\n(.*?)```", re.S)
# Documents whose walk-throughs are known to be marked: one that loses its mark fails.
MARKED = {"README.md": 2, "docs/training.md": 1}


def walk_throughs() -> list[tuple[str, str]]:
    """Every marked block of the README and of docs/*.md, with the file it is in."""
    found: list[tuple[str, str]] = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        name = str(path.relative_to(ROOT))
        blocks = WALK_THROUGH.findall(path.read_text())
        assert len(blocks) >= MARKED.get(name, 0), f"{name}'s walk-throughs lost their marks"
        found += [(name, block) for block in blocks]
    return found


def test_the_walk_throughs_run_as_written(served: Served) -> None:
    """Each marked shell block of the README and the docs, against this server: every curl
    must succeed (--fail-with-body), every python3 one-liner must find what it reads."""
    for name, block in walk_throughs():
        receiver = str(free_port())
        script = block.replace("localhost:5000", served.base.removeprefix("http://")).replace(
            "9000", receiver
        )
        prelude = (
            "set -euo pipefail\n"
            'curl() { command curl --fail-with-body --max-time 5 "$@"; }\n'
            "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
        )
        result = subprocess.run(
            [shutil.which("bash") or "/bin/bash", "-c", prelude + script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (
            f"{name}:\n{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
