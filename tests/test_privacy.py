"""Personal-data rights (UU PDP 27/2022): consent for contact reveal, the export of everything
held about a user, and erasure that leaves only pseudonymous aggregates.

The erasure test plants a canary in every personal field of one alumna (her account, sign-in,
business, photos, orders, review, lead, check-in, claim and roster entry, mentoring, sales,
needs, failed sign-ins, stored idempotent responses, events) and, after ``DELETE /v1/me``, scans
every text and JSON column of every table: none may still hold it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import JSON, Enum, String, Text, cast, func, select
from sqlalchemy.orm import Session

from api.db import Base, utcnow
from api.models import (
    AuditEntry,
    AuthSession,
    Business,
    BusinessLicence,
    CheckIn,
    Cohort,
    Consent,
    ConsentPurpose,
    GraduateClaim,
    LicenceKind,
    LoginFailure,
    MentoringFormat,
    MentoringRequest,
    OffPlatformSale,
    Order,
    OrderStatus,
    Photo,
    Product,
    Program,
    Review,
    Role,
    RosterEntry,
    SupportNeed,
    User,
)
from api.models.mentoring import RequestStatus, Topic
from api.models.program import ClaimStatus
from api.models.sales import SaleChannel
from api.models.sponsorship import NeedKind
from api.schemas.privacy import PersonalDataExportSchema
from api.services import audit, consents, privacy
from tests.conftest import Auth
from tests.factories import PASSWORD, BusinessFactory, ProductFactory, UserFactory
from tests.helpers import assert_problem, counted, image_bytes, place_order, upload

CANARY = "kenarizq"  # planted in every personal field of the alumna below
CANARY_PHONE = "+6281299917071"
CANARY_DIGITS = "99917071"
# What a clean scan may still find, and why (README, Security): the buyer's receipt.
EXCEPTIONS = {("order_items", "product_name")}


# -- the table covers every table -------------------------------------------------------------


def _tables_naming_a_person() -> set[str]:
    """Tables with a column that refers to a user, or to a business (hers, if she owns it)."""
    found = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name in ("users", "businesses", "products", "orders"):
                    found.add(table.name)
    return found | {"users", "login_failures", "idempotency_keys", "roster_entries", "audit_log"}


def test_every_table_that_names_a_person_is_exported_or_erased_or_explained() -> None:
    covered = {part.model.__tablename__ for part in privacy.PARTS} | set(privacy.NOT_HERS)
    missing = _tables_naming_a_person() - covered
    assert not missing, f"say in api.services.privacy what her export and erasure do: {missing}"
    for part in privacy.PARTS:
        assert part.export or part.why, f"{part.name}: not exported, and no reason given"


def _text_columns() -> set[tuple[str, str]]:
    """Every text and JSON column of every table, but ids (keys) and enums."""
    return {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON)
        and not isinstance(column.type, Enum)
        and not column.primary_key
        and not column.foreign_keys
    }


def test_every_text_column_is_erased_or_kept_for_a_stated_reason() -> None:
    """A new text or JSON column anywhere fails here until privacy says what erasure does."""
    erased = {(p.model.__tablename__, name) for p in privacy.PARTS for name in p.erase}
    deleted = {p.model.__tablename__ for p in privacy.PARTS if p.delete}
    kept = {(t, c) for t, (names, _) in privacy.KEPT_TEXT.items() for c in names.split()}
    assert all(why for _, why in privacy.KEPT_TEXT.values())
    columns = _text_columns()
    missing = sorted(
        f"{t}.{c}" for t, c in columns if (t, c) not in erased | kept and t not in deleted
    )
    assert not missing, f"say in privacy.PARTS or privacy.KEPT_TEXT what erasure does: {missing}"
    assert not kept - columns, f"KEPT_TEXT names columns that do not exist: {kept - columns}"
    assert not kept & erased, f"both kept and erased: {kept & erased}"


def test_the_audit_log_never_holds_free_text() -> None:
    data = {
        "name": f"Warung {CANARY}",
        "tags": [CANARY, "snacks-cakes"],
        "status": "active",
        "changed": ["description", "name"],
        "business_id": "biz_01JD3XABCDEFGHJKMNPQRSTVWX",
        "at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        "region": "32.75.11",
        "price_idr": 25_000,
        "nested": {"reason": CANARY},
    }
    clean = audit.safe_data(data)
    assert CANARY not in repr(clean)
    assert clean["redacted"] == ["name", "nested.reason", "tags"]
    assert clean["status"] == "active" and clean["changed"] == ["description", "name"]
    assert clean["business_id"] == data["business_id"] and clean["price_idr"] == 25_000
    assert clean["region"] == "32.75.11" and clean["at"].startswith("2026-12-01")


def test_the_export_schema_has_a_field_for_every_exported_part() -> None:
    exported = {part.name for part in privacy.PARTS if part.export}
    fields = set(PersonalDataExportSchema().fields) - {"generated_at", "user_id"}
    assert fields == exported


# -- consent --------------------------------------------------------------------------------


def test_contact_reveal_needs_the_owners_recorded_consent(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, owner_h = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id, contact_consent=False)
    _, buyer_h = auth.as_role(Role.BUYER)
    url = f"/v1/businesses/{business.id}/contact"
    assert_problem(client.post(url, json={}, headers=buyer_h), 409, "contact_not_consented")

    given = client.post("/v1/me/consents", json={"purpose": "contact_reveal"}, headers=owner_h)
    assert given.status_code == 201, given.json
    assert given.json["notice_version"] == consents.NOTICES[ConsentPurpose.CONTACT_REVEAL][0]
    assert given.json["notice"] and given.json["revoked_at"] is None
    again = client.post("/v1/me/consents", json={"purpose": "contact_reveal"}, headers=owner_h)
    assert_problem(again, 409, "consent_already_given")
    assert client.post(url, json={}, headers=buyer_h).status_code == 200

    # Another user cannot withdraw it; she can, and the record stays with the time.
    stranger_h = auth.as_role(Role.ALUMNA)[1]
    consent_url = f"/v1/me/consents/{given.json['id']}"
    assert_problem(client.delete(consent_url, headers=stranger_h), 404)
    assert client.delete(consent_url, headers=owner_h).status_code == 204
    assert_problem(client.post(url, json={}, headers=buyer_h), 409, "contact_not_consented")
    listed = client.get("/v1/me/consents", headers=owner_h).json["items"]
    assert [c["id"] for c in listed] == [given.json["id"]]
    assert listed[0]["revoked_at"] is not None
    assert client.get("/v1/me/consents", headers=stranger_h).json["items"] == []


def test_unknown_consent_purposes_are_refused(client: FlaskClient, auth: Auth) -> None:
    _, headers = auth.as_role(Role.ALUMNA)
    refused = client.post("/v1/me/consents", json={"purpose": "marketing"}, headers=headers)
    assert_problem(refused, 422)
    assert client.get("/v1/me/consents", headers=headers).json["items"] == []


# -- her world, with canaries ----------------------------------------------------------------


class Her:
    """One alumna who has done a bit of everything, every personal field a canary."""

    def __init__(self, client: FlaskClient, auth: Auth, db_session: Session) -> None:
        self.user = UserFactory(
            role=Role.ALUMNA,
            name=f"Siti {CANARY.title()}",
            email=f"siti.{CANARY}@example.id",
            phone=CANARY_PHONE,
        )
        self.headers = auth.headers(self.user)
        db_session.execute(
            AuthSession.__table__.update()
            .where(AuthSession.user_id == self.user.id)
            .values(user_agent=f"{CANARY}-phone/1.0")
        )
        self.business = BusinessFactory(
            owner_id=self.user.id,
            name=f"Warung {CANARY.title()}",
            slug=f"warung-{CANARY}",
            description=f"Masakan rumahan {CANARY}.",
            address=f"Jl. {CANARY.title()} No. 7",
            whatsapp=CANARY_PHONE,
            channels={"instagram": f"https://www.instagram.com/{CANARY}"},
        )
        self.product = ProductFactory(
            business=self.business,
            name=f"Kue {CANARY.title()}",
            description=f"Resep {CANARY} sejak 1998.",
        )
        # A change through the API: the catalogue's event carries her business's name.
        url = f"/v1/businesses/{self.business.id}"
        etag = client.get(url, headers=self.headers).headers["ETag"]
        changed = client.patch(
            url,
            json={"description": f"Masakan rumahan {CANARY}, sejak 1998."},
            headers={**self.headers, "If-Match": etag},
        )
        assert changed.status_code == 200, changed.json
        photo = upload(
            client,
            f"/v1/businesses/{self.business.id}/photos",
            image_bytes("JPEG", (300, 200)),
            self.headers,
        )
        assert photo.status_code == 201, photo.json
        self.photo_id = photo.json["id"]
        self.product_name = self.product.name

        # She buys from another alumna, and reviews it.
        seller = BusinessFactory()
        cake = ProductFactory(business=seller, price_idr=25_000)
        # Placed with an Idempotency-Key: the stored response (her contact details) is hers too.
        placed = client.post(
            "/v1/orders",
            json={
                "business_id": seller.id,
                "items": [{"product_id": cake.id, "quantity": 1}],
                "delivery_method": "local_delivery",
                "delivery_address": f"Jl. {CANARY.title()} No. 7",
                "note": f"Tolong bel dua kali ({CANARY})",
            },
            headers={**self.headers, "Idempotency-Key": f"{CANARY}-order"},
        )
        assert placed.status_code == 201, placed.json
        order = db_session.get(Order, placed.json["id"])
        assert order is not None and order.contact_phone == CANARY_PHONE
        order.status = OrderStatus.COMPLETED
        order.completed_at = utcnow()
        db_session.add(
            Review(
                order_id=order.id,
                product_id=cake.id,
                business_id=seller.id,
                author_id=self.user.id,
                rating=5,
                text=f"Enak sekali, salam dari {CANARY}",
            )
        )
        self.order_placed = order
        contact = client.post(
            f"/v1/businesses/{seller.id}/contact",
            json={"note": f"Bu {CANARY}"},
            headers=self.headers,
        )
        assert contact.status_code == 200, contact.json

        # A buyer orders from her; completed, so nothing is under way.
        self.buyer, self.buyer_h = auth.as_role(Role.BUYER)
        received = place_order(client, self.business.id, self.product.id, self.buyer_h)
        assert received.status_code == 201, received.json
        self.order_received = db_session.get(Order, received.json["id"])
        assert self.order_received is not None
        self.order_received.status = OrderStatus.COMPLETED
        # She declines another, with her reason; the buyer asks about her product by WhatsApp
        # (the prefilled message names her business and product).
        declined = place_order(client, self.business.id, self.product.id, self.buyer_h)
        assert declined.status_code == 201, declined.json
        self.declined_id = declined.json["id"]
        self.told_buyer = (f"Warung {CANARY.title()}", f"Oven rusak, maaf ({CANARY})")
        answer = client.post(
            f"/v1/orders/{declined.json['id']}/decline",
            json={"reason": self.told_buyer[1]},
            headers=self.headers,
        )
        assert answer.status_code == 200, answer.json
        asked = client.post(
            f"/v1/businesses/{self.business.id}/contact",
            json={"product_id": self.product.id},
            headers=self.buyer_h,
        )
        assert asked.status_code == 200, asked.json
        # She reports someone else's product, in her words.
        reported = client.post(
            "/v1/reports",
            json={"target_type": "product", "target_id": cake.id, "reason": f"Palsu, {CANARY}"},
            headers=self.headers,
        )
        assert reported.status_code == 201, reported.json

        # A facilitator edits her business for her, under her grant: the append-only audit log
        # records it.
        facilitator = UserFactory(role=Role.FACILITATOR)
        grant = client.post(
            "/v1/me/assist-grants",
            json={"facilitator_id": facilitator.id, "days": 7},
            headers=self.headers,
        )
        assert grant.status_code == 201, grant.json
        acting = {**auth.headers(facilitator), "X-On-Behalf-Of": self.user.id}
        etag = client.get(url, headers=self.headers).headers["ETag"]
        assisted = client.patch(
            url,
            json={"name": f"Warung {CANARY.title()} Jaya", "description": f"Dapur {CANARY}."},
            headers={**acting, "If-Match": etag},
        )
        assert assisted.status_code == 200, assisted.json

        # Program records: her roster entry and claim, her check-in.
        program = Program(name=f"Sekoper Cinta {self.user.id[-6:]}")
        db_session.add(program)
        db_session.flush()
        cohort = Cohort(program_id=program.id, name="Angkatan 2024", year=2024, region_code="32.75")
        db_session.add(cohort)
        db_session.flush()
        roster = RosterEntry(
            cohort_id=cohort.id,
            name=self.user.name,
            phone=CANARY_PHONE,
            village_code=self.business.village_code,
        )
        db_session.add(roster)
        db_session.flush()
        db_session.add(
            GraduateClaim(
                user_id=self.user.id,
                cohort_id=cohort.id,
                roster_entry_id=roster.id,
                status=ClaimStatus.VERIFIED,
                note=f"Saya {CANARY}",
            )
        )
        db_session.add(
            CheckIn(
                business_id=self.business.id,
                month=dt.date(2026, 10, 1),
                trading=True,
                revenue_idr=3_000_000,
                orders=40,
                challenges=f"Modal {CANARY}",
                support_wanted=f"Oven {CANARY}",
            )
        )
        db_session.add(
            OffPlatformSale(
                business_id=self.business.id,
                sold_on=dt.date(2026, 10, 5),
                amount_idr=150_000,
                channel=SaleChannel.WHATSAPP,
                note=f"Arisan {CANARY}",
            )
        )
        db_session.add(
            SupportNeed(
                business_id=self.business.id,
                kind=NeedKind.EQUIPMENT,
                title=f"Oven {CANARY}",
                description=f"Oven untuk {CANARY}",
                target_value_idr=2_000_000,
            )
        )
        db_session.add(
            MentoringRequest(
                alumna_id=self.user.id,
                business_id=self.business.id,
                topic=Topic.DIGITAL_MARKETING,
                need=f"Pemasaran {CANARY}",
                preferred_format=MentoringFormat.ONLINE,
                preferred_times=f"Sore, {CANARY}",
                status=RequestStatus.OPEN,
                opened_at=utcnow(),
            )
        )
        db_session.add(LoginFailure(subject=self.user.email))
        db_session.flush()

    def etag(self, client: FlaskClient) -> str:
        return client.get("/v1/me", headers=self.headers).headers["ETag"]


@pytest.fixture
def her(client: FlaskClient, auth: Auth, db_session: Session) -> Her:
    return Her(client, auth, db_session)


def _hits(session: Session, needles: tuple[str, ...]) -> list[tuple[str, str, Any]]:
    """Every (table, column, value) whose text holds one of the needles."""
    session.flush()
    hits = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            text = func.lower(cast(column, Text()))
            for needle in needles:
                rows = session.execute(
                    select(column).select_from(table).where(text.contains(needle.lower()))
                ).all()
                hits += [(table.name, column.name, row[0]) for row in rows]
    return hits


# -- export ----------------------------------------------------------------------------------


def test_her_export_reads_her_businesses_photos_and_licences_at_once(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """A woman with many businesses: the export loads their photos and licences with them,
    not business by business."""
    user, headers = auth.as_role(Role.ALUMNA)

    def statements_with(businesses: int) -> int:
        for n in range(businesses):
            business = BusinessFactory(owner_id=user.id)
            db_session.add_all(
                [
                    Photo(business_id=business.id, position=0, width=300, height=200),
                    BusinessLicence(business_id=business.id, kind=LicenceKind.PIRT, number=str(n)),
                ]
            )
        db_session.flush()
        with counted(app) as statements:
            response = client.get("/v1/me/export", headers=headers)
            assert response.status_code == 200
        assert all(len(b["photos"]) == 1 for b in response.json["businesses"])
        return len(statements)

    assert statements_with(1) == statements_with(5)


def test_the_export_holds_all_of_her_data_and_nobody_elses(
    client: FlaskClient, auth: Auth, her: Her, db_session: Session
) -> None:
    response = client.get("/v1/me/export", headers=her.headers)
    assert response.status_code == 200
    copy = response.json
    assert copy["user_id"] == her.user.id
    assert copy["account"]["email"] == her.user.email
    assert copy["account"]["phone"] == CANARY_PHONE
    assert [b["id"] for b in copy["businesses"]] == [her.business.id]
    assert copy["businesses"][0]["private"]["address"] == her.business.address
    assert [p["id"] for p in copy["products"]] == [her.product.id]
    assert [p["id"] for p in copy["photos"]] == [her.photo_id]
    assert [o["id"] for o in copy["orders_placed"]] == [her.order_placed.id]
    assert copy["orders_placed"][0]["contact"]["phone"] == CANARY_PHONE
    # Shown as the orders' own endpoint shows them (the export's schema requires it).
    assert isinstance(copy["orders_placed"][0]["allowed_actions"], list)
    assert isinstance(copy["mentoring_requests"][0]["allowed_actions"], list)
    assert {o["id"] for o in copy["orders_received"]} == {her.order_received.id, her.declined_id}
    assert len(copy["reviews_written"]) == 1 and CANARY in copy["reviews_written"][0]["text"]
    assert len(copy["leads_made"]) == 1
    assert [c["purpose"] for c in copy["consents"]] == ["contact_reveal"]
    assert len(copy["graduate_claims"]) == 1
    assert copy["check_ins"][0]["challenges"] == f"Modal {CANARY}"
    assert len(copy["sales"]) == 1 and len(copy["support_needs"]) == 1
    assert len(copy["mentoring_requests"]) == 1
    assert [s["user_agent"] for s in copy["sessions"]] == [f"{CANARY}-phone/1.0"]
    every_part = {part.name for part in privacy.PARTS if part.export}
    assert every_part <= set(copy)
    # No secrets, and nothing of the buyer who is not in her records.
    text = response.get_data(as_text=True)
    assert "password" not in text and "$argon2" not in text and "token_hash" not in text
    assert her.buyer.email not in text

    # The buyer's export has her own order, not the alumna's other data.
    theirs = client.get("/v1/me/export", headers=her.buyer_h)
    bought = {her.order_received.id, her.declined_id}
    assert {o["id"] for o in theirs.json["orders_placed"]} == bought
    # (Her business's and product's names are on the buyer's orders and in his lead's message,
    # her reason on the order she declined.)
    db_session.refresh(her.business)
    theirs_text = theirs.get_data(as_text=True)
    for public in (her.business.name, her.business.slug, her.product_name, *her.told_buyer):
        theirs_text = theirs_text.replace(public, "")
    assert theirs.json["businesses"] == [] and CANARY not in theirs_text
    assert_problem(client.get("/v1/me/export"), 401)


# -- erasure ---------------------------------------------------------------------------------


def test_erasure_needs_if_match_and_is_refused_while_an_order_is_open(
    client: FlaskClient, her: Her, db_session: Session
) -> None:
    assert_problem(client.delete("/v1/me", headers=her.headers), 428)
    stale = client.delete("/v1/me", headers={**her.headers, "If-Match": '"stale"'})
    assert_problem(stale, 412)

    her.order_received.status = OrderStatus.ACCEPTED
    db_session.flush()
    refused = client.delete("/v1/me", headers={**her.headers, "If-Match": her.etag(client)})
    body = assert_problem(refused, 409, "erasure_blocked")
    assert body["open_orders"] == [her.order_received.id]
    db_session.expire_all()
    user = db_session.get(User, her.user.id)
    assert user is not None and user.erased_at is None and user.email == her.user.email
    assert client.get("/v1/me", headers=her.headers).status_code == 200


def test_erasure_leaves_no_personal_data_and_keeps_the_aggregates(
    client: FlaskClient, her: Her, db_session: Session, app_media: Path
) -> None:
    needles = (CANARY, CANARY_DIGITS)
    planted = {(table, column) for table, column, _ in _hits(db_session, needles)}
    # The canaries are where the test says they are (so the scan below can find them).
    for expected in [
        ("users", "email"),
        ("auth_sessions", "user_agent"),
        ("businesses", "address"),
        ("businesses", "whatsapp"),
        ("orders", "delivery_address"),
        ("reviews", "text"),
        ("leads", "message"),
        ("check_ins", "challenges"),
        ("roster_entries", "phone"),
        ("mentoring_requests", "need"),
        ("off_platform_sales", "note"),
        ("support_needs", "description"),
        ("login_failures", "subject"),
        ("idempotency_keys", "response_body"),
        ("events", "data"),
        ("orders", "reason"),
        ("moderation_reports", "reason"),
        ("support_needs", "title"),
        ("order_items", "product_name"),
    ]:
        assert expected in planted, expected
    photo_files = [p for p in (app_media / "photos" / her.photo_id).rglob("*") if p.is_file()]
    assert photo_files

    response = client.delete("/v1/me", headers={**her.headers, "If-Match": her.etag(client)})
    assert response.status_code == 204, response.get_data(as_text=True)

    # Every text and JSON column of every table: nothing of hers is left, but the name of her
    # product on the receipts of the buyer who bought it (README, Security, says why).
    hits = _hits(db_session, needles)
    left = [hit for hit in hits if hit[:2] not in EXCEPTIONS]
    assert left == [], f"personal data left after erasure: {left}"
    assert {hit[2] for hit in hits} <= {her.product_name}
    assert not any(path.exists() for path in photo_files)

    # Signed out everywhere; her old email no longer signs in.
    assert_problem(client.get("/v1/me", headers=her.headers), 401)
    signin = client.post(
        "/v1/auth/login", json={"email": f"siti.{CANARY}@example.id", "password": PASSWORD}
    )
    assert signin.status_code == 401

    # What stays is pseudonymous: her id, the business's figures, the order amounts, the rating.
    db_session.expire_all()
    user = db_session.get(User, her.user.id)
    assert user is not None and user.erased_at is not None
    assert user.name == privacy.ERASED_NAME and user.email is None and user.phone is None
    business = db_session.get(Business, her.business.id)
    assert business is not None and business.name == privacy.ERASED_BUSINESS
    assert business.status == "closed"
    assert db_session.scalar(select(func.count(CheckIn.id))) == 1
    kept = db_session.get(Order, her.order_placed.id)
    assert kept is not None and kept.total_idr == 25_000 and kept.buyer_id == her.user.id
    review = db_session.scalar(select(Review).where(Review.order_id == her.order_placed.id))
    assert review is not None and review.rating == 5 and review.author_id is None
    assert db_session.get(Product, her.product.id) is not None
    assert db_session.scalar(select(func.count(Photo.id)).where(Photo.id == her.photo_id)) == 0
    assert db_session.scalar(
        select(func.count(Consent.id)).where(Consent.revoked_at.is_(None))
    ) == (
        db_session.scalar(
            select(func.count(Consent.id)).where(
                Consent.revoked_at.is_(None), Consent.user_id != her.user.id
            )
        )
    )
    request = db_session.scalar(
        select(MentoringRequest).where(MentoringRequest.alumna_id == her.user.id)
    )
    assert request is not None and request.status == RequestStatus.CANCELLED
    claim = db_session.scalar(select(GraduateClaim).where(GraduateClaim.user_id == her.user.id))
    assert claim is not None and claim.status == ClaimStatus.VERIFIED
    assert db_session.scalar(select(func.count(SupportNeed.id))) == 1

    # Her public pages are gone; the buyer still has the order she received.
    assert client.get(f"/v1/businesses/{her.business.id}").status_code == 404
    assert client.get(f"/v1/products/{her.product.id}").status_code == 404
    assert client.get(f"/v1/orders/{her.order_received.id}", headers=her.buyer_h).status_code == 200

    # The audit log says it happened, and what changed, without her data.
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "user.erased"))
    assert entry is not None and entry.subject_id == her.user.id
    assert entry.data["businesses"] == 1 and entry.data["orders_placed"] == 1
