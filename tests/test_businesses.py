"""Businesses: who creates and edits them, what the public sees, lifecycle, filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import Business, BusinessLicence, BusinessStatus, LicenceKind, Role
from api.schemas.businesses import BusinessSchema
from tests.conftest import Auth
from tests.factories import BusinessFactory
from tests.helpers import (
    assert_problem,
    category_id,
    error_fields,
    image_bytes,
    items_of,
    upload,
)
from tests.worlds import ADDRESS, WHATSAPP, new_business


def test_an_alumna_creates_a_draft_only_she_sees(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    response = client.post("/v1/businesses", json=new_business(db_session), headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"].startswith("bus_") and body["slug"].startswith("kue-basah-bu-siti-")
    assert body["status"] == "draft" and body["verified_graduate"] is False
    assert body["district"] == {"code": "32.75.11", "name": "Mustikajaya"}
    assert body["regency"] == {"code": "32.75", "name": "Kota Bekasi"}
    assert body["category"]["slug"] == "traditional-cakes"
    assert body["private"] == {
        "village": {"code": "32.75.11.1004", "name": "Mustikasari"},
        "address": ADDRESS,
        "whatsapp": WHATSAPP,
        "contact_missing": ["contact_consent"],
    }
    assert [lic["kind"] for lic in body["licences"]] == ["halal", "pirt"]
    stored = db_session.get(Business, body["id"])
    assert stored is not None and stored.owner_id == owner.id
    url = f"/v1/businesses/{body['id']}"
    assert_problem(client.get(url), 404)
    _, other = auth.as_role(Role.ALUMNA)
    assert_problem(client.get(url, headers=other), 404)
    assert client.get(url, headers=headers).status_code == 200


def test_only_alumnae_create_businesses(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    body = new_business(db_session)
    assert_problem(client.post("/v1/businesses", json=body), 401)
    for role in (Role.BUYER, Role.PARTNER, Role.MENTOR):
        _, headers = auth.as_role(role)
        assert_problem(client.post("/v1/businesses", json=body, headers=headers), 403)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category_id": "cat_nope"}, "category_id"),
        ({"village_code": "32.75.99.9999"}, "village_code"),
        ({"village_code": "32.75.11"}, "village_code"),
        ({"village_code": "Bekasi"}, "village_code"),
        ({"whatsapp": "021-8844-1234"}, "whatsapp"),
        ({"whatsapp": "12345"}, "whatsapp"),
        ({"whatsapp": "+1 202 555 0100"}, "whatsapp"),  # valid, but not Indonesian
        ({"channels": {"instagram": "https://instagrarn.com/x"}}, "channels"),
        ({"channels": {"tokopedia": "http://tokopedia.com/x"}}, "channels"),
        ({"channels": {"myspace": "https://myspace.com/x"}}, "channels"),
        ({"opening_hours": [{"day": "mon", "opens": "17:00", "closes": "08:00"}]}, "opening_hours"),
        (
            {"opening_hours": [{"day": "funday", "opens": "07:00", "closes": "08:00"}]},
            "opening_hours",
        ),
        ({"founded_on": "2999-01-01"}, "founded_on"),
        (
            {
                "licences": [
                    {
                        "kind": "pirt",
                        "number": "123",
                        "issued_on": "2025-01-01",
                        "expires_on": "2024-01-01",
                    }
                ]
            },
            "licences",
        ),
        ({"licences": [{"kind": "sni", "number": "12345"}]}, "licences"),
        ({"name": "x" * 101}, "name"),
        ({"description": "d" * 2001}, "description"),
        ({"status": "active"}, "status"),
        ({"owner_id": "usr_x"}, "owner_id"),
        ({"verified_graduate": True}, "verified_graduate"),
        ({"slug": "mine"}, "slug"),
    ],
)
def test_bad_business_input_is_422_and_writes_nothing(
    client: FlaskClient, auth: Auth, db_session: Session, overrides: dict[str, Any], field: str
) -> None:
    _, headers = auth.as_role(Role.ALUMNA)
    before = db_session.scalars(select(Business.id)).all()
    response = client.post(
        "/v1/businesses", json=new_business(db_session, **overrides), headers=headers
    )
    assert field in error_fields(assert_problem(response, 422))
    assert db_session.scalars(select(Business.id)).all() == before


def test_the_public_view_hides_the_address_and_phone(
    client: FlaskClient, db_session: Session
) -> None:
    business = BusinessFactory(address=ADDRESS, whatsapp=WHATSAPP)
    buyer_headers = {}
    for headers in ({}, buyer_headers):
        response = client.get(f"/v1/businesses/{business.id}", headers=headers)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert ADDRESS not in text and WHATSAPP not in text and "32.75.11.1004" not in text
        assert response.json["private"] is None
    listing = client.get("/v1/businesses?region=32.75").get_data(as_text=True)
    assert business.id in listing and ADDRESS not in listing and WHATSAPP not in listing


def test_owner_edits_with_if_match_others_cannot(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    url = f"/v1/businesses/{business.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    _, stranger = auth.as_role(Role.ALUMNA)
    assert_problem(
        client.patch(url, json={"name": "Punya Saya"}, headers={**stranger, "If-Match": etag}), 403
    )
    assert_problem(client.patch(url, json={"name": "Baru"}, headers=headers), 428)
    changed = client.patch(
        url,
        json={
            "name": "Kue Bu Siti Baru",
            "village_code": "32.75.01.1001",
            "licences": [{"kind": "nib", "number": "9120001234567"}],
        },
        headers={**headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["district"]["code"] == "32.75.01"
    assert [lic["kind"] for lic in changed.json["licences"]] == ["nib"]
    _, admin = auth.as_role(Role.ADMIN)
    fresh = client.get(url, headers=admin)
    assert fresh.json["private"] is not None  # admins see the owner's view
    assert (
        client.patch(
            url,
            json={"description": "diperiksa"},
            headers={**admin, "If-Match": fresh.headers["ETag"]},
        ).status_code
        == 200
    )


def test_lifecycle_and_invalid_transitions(client: FlaskClient, auth: Auth) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id, status=BusinessStatus.DRAFT)
    url = f"/v1/businesses/{business.id}"
    refused = assert_problem(
        client.post(f"{url}/pause", headers=headers), 409, "invalid_transition"
    )
    assert refused["allowed_actions"] == ["activate", "close"] and refused["status_now"] == "draft"
    assert client.post(f"{url}/activate", headers=headers).json["status"] == "active"
    assert client.get(url).status_code == 200
    assert client.post(f"{url}/pause", headers=headers).json["status"] == "paused"
    assert_problem(client.get(url), 404)
    assert client.post(f"{url}/close", headers=headers).json["status"] == "closed"
    assert_problem(client.post(f"{url}/close", headers=headers), 409)
    assert client.post(f"{url}/activate", headers=headers).json["status"] == "active"
    _, stranger = auth.as_role(Role.ALUMNA)
    assert_problem(client.post(f"{url}/close", headers=stranger), 403)
    assert_problem(client.post("/v1/businesses/bus_nope/close", headers=headers), 404)


def test_public_list_filters(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    bekasi = BusinessFactory(
        name="Bekasi Kue",
        village_code="32.75.11.1004",
        category_id=category_id(db_session, "traditional-cakes"),
    )
    bogor = BusinessFactory(
        name="Bogor Jahit",
        village_code="32.71.01.1001",
        category_id=category_id(db_session, "sewing-tailoring"),
    )
    BusinessFactory(name="Bekasi Draft", status=BusinessStatus.DRAFT)
    verified = BusinessFactory(name="Bekasi Terverifikasi", verified_graduate=True)

    def names(query: str) -> set[str]:
        response = client.get(f"/v1/businesses?limit=100&{query}")
        assert response.status_code == 200, response.json
        return {b["name"] for b in response.json["items"]}

    assert {bekasi.name, bogor.name, verified.name} <= names("region=32")
    assert bogor.name not in names("region=32.75") and bekasi.name in names("region=32.75.11")
    assert names("region=32.75.11.1004") >= {bekasi.name, verified.name}
    assert "Bekasi Draft" not in names("region=32")
    snacks = category_id(db_session, "snacks-cakes")
    assert bekasi.name in names(f"category={snacks}") and bogor.name not in names(
        f"category={snacks}"
    )
    assert names("verified_graduate=true") & {bekasi.name, bogor.name} == set()
    assert verified.name in names("verified_graduate=true")
    assert names("q=jahit") == {bogor.name}
    assert "region" in assert_problem(client.get("/v1/businesses?region=xx"), 422)["errors"]


def test_my_businesses_lists_every_status(client: FlaskClient, auth: Auth) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    draft = BusinessFactory(owner_id=owner.id, status=BusinessStatus.DRAFT)
    active = BusinessFactory(owner_id=owner.id)
    BusinessFactory()
    mine = client.get("/v1/me/businesses", headers=headers).json["items"]
    assert {b["id"] for b in mine} == {draft.id, active.id}
    assert all(b["private"] is not None for b in mine)
    drafts = client.get("/v1/me/businesses?status=draft", headers=headers).json["items"]
    assert [b["id"] for b in drafts] == [draft.id]
    assert_problem(client.get("/v1/me/businesses"), 401)


def test_her_listed_businesses_are_what_the_orm_gives(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """``/v1/me/businesses`` reads its page without the ORM (``catalogue.reads``); every page,
    in every order and filter, must be what the ORM path dumps with her private part."""
    from api.services import businesses as service
    from api.services.authz import Actor

    owner, headers = auth.as_role(Role.ALUMNA)
    shown = BusinessFactory(
        owner_id=owner.id,
        name="Kue Bu Siti",
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
            business_id=shown.id,
            kind=LicenceKind.PIRT,
            number="2063275010203-28",
            issued_on=dt.date(2022, 1, 5),
        )
    )
    for _ in range(2):  # two photos, in order
        sent = upload(
            client, f"/v1/businesses/{shown.id}/photos", image_bytes("JPEG", (300, 200)), headers
        )
        assert sent.status_code == 201, sent.json
    BusinessFactory(
        owner_id=owner.id, name="Anyaman Bu Siti", whatsapp=None, status=BusinessStatus.DRAFT
    )
    BusinessFactory(
        owner_id=owner.id, name="Jahit Bu Siti", contact_consent=False, status=BusinessStatus.PAUSED
    )
    BusinessFactory(owner_id=owner.id, name="Sambal Bu Siti", status=BusinessStatus.CLOSED)
    BusinessFactory(
        owner_id=owner.id, name="Batik Bu Siti", hidden_at=utcnow(), village_code="32.71.01.1001"
    )
    BusinessFactory(name="Usaha tetangga")  # somebody else's
    db_session.flush()
    for query, args in (
        ("", {}),
        ("limit=2", {}),
        ("sort=created_at&limit=3", {"sort": "created_at"}),
        ("status=paused", {"status": BusinessStatus.PAUSED}),
    ):
        got = items_of(client, f"/v1/me/businesses?{query}", headers)
        db_session.expire_all()
        reference = service.list_owned(db_session, actor=Actor(owner), limit=100, **args)
        with app.test_request_context():
            expected = [
                BusinessSchema().dump(service.shown(Actor(owner), b)) for b in reference.items
            ]
        assert got == expected, query
        assert len(got) == (1 if "status" in query else 5)
    mine = next(b for b in items_of(client, "/v1/me/businesses", headers) if b["id"] == shown.id)
    assert mine["private"]["address"] and len(mine["licences"]) == 1
    assert [p["position"] for p in mine["photos"]] == [0, 1]
    everything = items_of(client, "/v1/me/businesses", headers)
    missing = {b["name"]: b["private"]["contact_missing"] for b in everything}
    assert missing["Anyaman Bu Siti"] == ["whatsapp"] and missing["Kue Bu Siti"] == []
    assert {b["private"]["village"]["code"] for b in everything} == {
        "32.75.11.1004",
        "32.71.01.1001",
    }
