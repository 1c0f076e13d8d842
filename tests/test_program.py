"""Program: cohorts in scope, roster import with a dry run, claims matched and verified, the
verified_graduate flag, check-ins (one a month, by her or her facilitator), activity status and
the follow-up list."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    CheckIn,
    ClaimStatus,
    GraduateClaim,
    Role,
    RosterEntry,
    User,
)
from tests.conftest import Auth
from tests.factories import BusinessFactory, UserFactory
from tests.helpers import assert_problem
from tests.worlds import Office, staff

ROSTER = (
    "name,phone,village_code\n"
    "Siti Aminah,0812-8765-4301,32.75.11.1004\n"
    "Euis Kurniasih,+62 813 1122 3302,32.75.11.1004\n"
    "Tanpa Nomor,,32.75.11.1004\n"
    "Salah Desa,0857-1111-2222,99.99\n"
    "Siti Lagi,081287654301,32.75.11.1004\n"
)


@pytest.fixture
def office(client: FlaskClient, auth: Auth, db_session: Session) -> Office:
    return Office(client, auth, db_session)


def test_cohorts_are_made_in_scope_only(
    client: FlaskClient, office: Office, auth: Auth, db_session: Session
) -> None:
    body = {"program_id": office.program["id"], "name": "Bogor 2024", "year": 2024}
    outside = client.post(
        "/v1/cohorts", json={**body, "region_code": "32.71"}, headers=office.admin_h
    )
    assert_problem(outside, 403, "out_of_scope")
    assert_problem(
        client.post("/v1/cohorts", json={**body, "region_code": "32.75"}, headers=office.alumna_h),
        403,
    )
    bad = client.post(
        "/v1/cohorts",
        json={**body, "region_code": "32.75", "facilitator_ids": [office.alumna.id]},
        headers=office.admin_h,
    )
    assert "facilitator_ids" in assert_problem(bad, 422)["errors"]
    listed = client.get("/v1/cohorts?region=32.75.11").json["items"]
    assert [c["id"] for c in listed] == []  # a city cohort is not inside one district
    assert [c["id"] for c in client.get("/v1/cohorts?region=32").json["items"]] == [
        office.cohort["id"]
    ]
    assert_problem(
        client.post("/v1/programs", json={"name": "Sekoper Cinta"}, headers=office.admin_h), 409
    )


def test_a_dry_run_reports_invalid_rows_and_duplicates_and_writes_nothing(
    client: FlaskClient, office: Office, db_session: Session
) -> None:
    report = office.upload(client, ROSTER, dry_run=True)
    assert report.status_code == 200, report.json
    body = report.json
    assert (body["dry_run"], body["rows"], body["valid"], body["created"]) == (True, 5, 4, 0)
    assert [(i["line"], sorted(i["errors"])) for i in body["invalid"]] == [(5, ["village_code"])]
    # No phone, and a phone another row has (a household's), are valid and flagged.
    assert body["duplicates"] == []
    assert body["flagged"] == [
        {"line": 4, "flag": "missing_phone"},
        {"line": 6, "flag": "shared_phone", "phone": "+6281287654301", "same_as_line": 2},
    ]
    assert db_session.scalar(select(func.count()).select_from(RosterEntry)) == 0

    refused = office.upload(client, ROSTER, dry_run=False)
    assert assert_problem(refused, 422, "roster_invalid")["invalid"][0]["line"] == 5
    assert db_session.scalar(select(func.count()).select_from(RosterEntry)) == 0

    clean = "\n".join(line for i, line in enumerate(ROSTER.splitlines()) if i != 4) + "\n"
    clean += "Siti Aminah,+62 812 8765 4301,32.75.11.1004\n"  # the same woman twice
    written = office.upload(client, clean, dry_run=False).json
    assert (written["created"], len(written["duplicates"])) == (4, 1)
    again = office.upload(client, clean, dry_run=False).json  # re-import: nothing new
    assert again["created"] == 0 and len(again["duplicates"]) == 5
    assert db_session.scalar(select(func.count()).select_from(RosterEntry)) == 4
    assert_problem(office.upload(client, "nama,telepon\nA,1\n", dry_run=True), 422)
    assert_problem(office.upload(client, clean, dry_run=True, headers=office.alumna_h), 403)


def test_a_matched_claim_verified_by_the_facilitator_sets_the_flag(
    client: FlaskClient, office: Office, auth: Auth, db_session: Session
) -> None:
    office.upload(
        client,
        ROSTER.replace("Tanpa Nomor,,", "Tanpa Nomor,0813-5555-0000,")
        .replace(",99.99", ",32.75.11.1004")
        .replace("Siti Lagi,", "Siti Aminah,"),  # her row twice: her phone is hers alone
        dry_run=False,
    )
    matches = client.get("/v1/me/roster-matches", headers=office.alumna_h).json["items"]
    assert [c["id"] for c in matches] == [office.cohort["id"]]
    made = client.post(
        "/v1/graduate-claims", json={"cohort_id": office.cohort["id"]}, headers=office.alumna_h
    )
    assert (
        made.status_code == 201
        and made.json["matched"] is True
        and made.json["status"] == "pending"
    )
    assert_problem(
        client.post(
            "/v1/graduate-claims", json={"cohort_id": office.cohort["id"]}, headers=office.alumna_h
        ),
        409,
        "already_claimed",
    )
    queue = client.get("/v1/graduate-claims", headers=office.facilitator_h).json["items"]
    assert [c["id"] for c in queue] == [made.json["id"]]
    other_facilitator = auth.headers(UserFactory(role=Role.FACILITATOR))
    assert client.get("/v1/graduate-claims", headers=other_facilitator).json["items"] == []
    assert_problem(
        client.post(f"/v1/graduate-claims/{made.json['id']}/verify", headers=other_facilitator), 404
    )
    bogor_admin = staff(auth, db_session, Role.ADMIN, "32.71")
    assert_problem(
        client.post(f"/v1/graduate-claims/{made.json['id']}/verify", headers=bogor_admin), 404
    )

    verified = client.post(
        f"/v1/graduate-claims/{made.json['id']}/verify", headers=office.facilitator_h
    )
    assert verified.json["status"] == "verified"
    assert client.get(f"/v1/businesses/{office.business.id}").json["verified_graduate"] is True
    later = client.post(
        "/v1/businesses",
        json={
            "name": "Katering Siti",
            "category_id": office.business.category_id,
            "village_code": "32.75.11.1004",
        },
        headers=office.alumna_h,
    )
    assert later.json["verified_graduate"] is True  # businesses she starts later too
    assert_problem(
        client.post(
            f"/v1/graduate-claims/{made.json['id']}/reject",
            json={"reason": "salah"},
            headers=office.admin_h,
        ),
        409,
    )
    kinds = [
        n["type"] for n in client.get("/v1/me/notifications", headers=office.alumna_h).json["items"]
    ]
    assert "graduate_claim.verified" in kinds


def test_an_unmatched_claim_can_be_rejected_with_a_reason(
    client: FlaskClient, office: Office, auth: Auth
) -> None:
    _, stranger_h = auth.as_role(Role.ALUMNA, phone="+6281399990000")
    made = client.post(
        "/v1/graduate-claims", json={"cohort_id": office.cohort["id"]}, headers=stranger_h
    ).json
    assert made["matched"] is False
    rejected = client.post(
        f"/v1/graduate-claims/{made['id']}/reject",
        json={"reason": "Tidak ada di daftar"},
        headers=office.admin_h,
    )
    assert (
        rejected.json["status"] == "rejected" and rejected.json["reason"] == "Tidak ada di daftar"
    )
    mine = client.get("/v1/graduate-claims", headers=stranger_h).json["items"]
    assert [c["status"] for c in mine] == ["rejected"]


def test_check_ins_once_a_month_by_her_or_her_facilitator(
    client: FlaskClient, office: Office, auth: Auth, db_session: Session
) -> None:
    url = f"/v1/businesses/{office.business.id}/check-ins"
    body = {
        "trading": True,
        "revenue_idr": 3_500_000,
        "orders": 40,
        "workers": 2,
        "channels": ["whatsapp"],
    }
    first = client.post(url, json=body, headers=office.alumna_h)
    assert first.status_code == 201, first.json
    second = client.post(url, json={**body, "revenue_idr": 4_000_000}, headers=office.alumna_h)
    assert second.status_code == 200 and second.json["revenue_idr"] == 4_000_000
    assert second.json["id"] == first.json["id"]
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert (
        "revenue_idr"
        in assert_problem(client.post(url, json={"trading": True}, headers=office.alumna_h), 422)[
            "errors"
        ]
    )
    future = (utcnow() + dt.timedelta(days=40)).strftime("%Y-%m")
    assert (
        "month"
        in assert_problem(
            client.post(url, json={**body, "month": future}, headers=office.alumna_h), 422
        )["errors"]
    )

    # Her facilitator may, once she is a verified graduate of his cohort.
    assert_problem(
        client.post(url, json={**body, "month": "2026-01"}, headers=office.facilitator_h), 403
    )
    office.upload(
        client, "name,phone,village_code\nSiti,0812-8765-4301,32.75.11.1004\n", dry_run=False
    )
    claim = client.post(
        "/v1/graduate-claims", json={"cohort_id": office.cohort["id"]}, headers=office.alumna_h
    ).json
    client.post(f"/v1/graduate-claims/{claim['id']}/verify", headers=office.admin_h)
    assisted = client.post(url, json={**body, "month": "2026-01"}, headers=office.facilitator_h)
    assert assisted.status_code == 201 and assisted.json["on_behalf_of_id"] == office.alumna.id
    assert assisted.json["recorded_by_id"] == office.facilitator.id
    months = [c["month"] for c in client.get(url, headers=office.alumna_h).json["items"]]
    assert months[-1] == "2026-01" and len(months) == 2
    _, stranger = auth.as_role(Role.BUYER)
    assert_problem(client.get(url, headers=stranger), 403)
    assert client.get(url, headers=office.admin_h).status_code == 200


def test_activity_status_and_the_follow_up_list(
    client: FlaskClient, office: Office, auth: Auth, db_session: Session
) -> None:
    now = utcnow()
    quiet = BusinessFactory(last_activity_at=now - dt.timedelta(days=90))
    asleep = BusinessFactory(last_activity_at=now - dt.timedelta(days=200))
    bogor = BusinessFactory(
        village_code="32.71.01.1001", last_activity_at=now - dt.timedelta(days=200)
    )
    assert client.get(f"/v1/businesses/{office.business.id}").json["activity_status"] == "active"
    assert client.get(f"/v1/businesses/{quiet.id}").json["activity_status"] == "at_risk"
    assert client.get(f"/v1/businesses/{asleep.id}").json["activity_status"] == "dormant"

    listed = client.get("/v1/follow-up", headers=office.admin_h).json["items"]
    assert [b["id"] for b in listed] == [asleep.id, quiet.id]  # longest quiet first, in scope
    dormant = client.get("/v1/follow-up?status=dormant", headers=office.admin_h).json["items"]
    assert [b["id"] for b in dormant] == [asleep.id]
    national = staff(auth, db_session, Role.ADMIN)
    assert {b["id"] for b in client.get("/v1/follow-up", headers=national).json["items"]} >= {
        bogor.id,
        asleep.id,
    }
    assert_problem(client.get("/v1/follow-up", headers=office.alumna_h), 403)

    # What a facilitator needs to act: whom to call, where, her cohort, her last answers.
    owner = db_session.get(User, asleep.owner_id)
    assert owner is not None
    db_session.add(
        GraduateClaim(user_id=owner.id, cohort_id=office.cohort["id"], status=ClaimStatus.VERIFIED)
    )
    db_session.add_all(
        CheckIn(business_id=asleep.id, month=dt.date(2025, m, 1), trading=m < 3, challenges=c)
        for m, c in ((1, "Modal habis"), (3, "Sakit, tidak berjualan"))
    )
    db_session.flush()
    item = next(
        i
        for i in client.get("/v1/follow-up", headers=office.admin_h).json["items"]
        if i["id"] == asleep.id
    )
    assert item["owner"] == {"id": owner.id, "name": owner.name, "phone": owner.phone}
    assert item["village"] == {"code": asleep.village_code, "name": asleep.village.name}
    assert item["cohort"] == {
        "id": office.cohort["id"],
        "name": "Sekoper Cinta Kota Bekasi 2024",
        "year": 2024,
    }
    last = item["last_check_in"]
    assert (last["month"], last["trading"], last["challenges"]) == (
        "2025-03",
        False,
        "Sakit, tidak berjualan",
    )
    quiet_item = next(i for i in listed if i["id"] == quiet.id)
    assert quiet_item["cohort"] is None and quiet_item["last_check_in"] is None

    # A check-in wakes a business up.
    owner_h = auth.headers(db_session.get(User, asleep.owner_id))  # type: ignore[arg-type]
    client.post(f"/v1/businesses/{asleep.id}/check-ins", json={"trading": False}, headers=owner_h)
    assert client.get(f"/v1/businesses/{asleep.id}").json["activity_status"] == "active"
    assert asleep.id not in [
        b["id"] for b in client.get("/v1/follow-up", headers=office.admin_h).json["items"]
    ]


# -- rosters as Excel saves them ----------------------------------------------------------


def upload_file(client: FlaskClient, office: Office, data: bytes, name: str) -> Any:
    return client.post(
        f"/v1/cohorts/{office.cohort['id']}/roster?dry_run=true",
        data={"file": (io.BytesIO(data), name)},
        headers=office.admin_h,
        content_type="multipart/form-data",
    )


def test_a_semicolon_csv_with_a_byte_order_mark_from_excel_is_read(
    client: FlaskClient, office: Office
) -> None:
    """Excel in an Indonesian locale saves "CSV UTF-8" with ';' between columns and a BOM."""
    excel = "\ufeff" + ROSTER.replace(",", ";").replace("\n", "\r\n")
    body = upload_file(client, office, excel.encode(), "peserta.csv").json
    assert (body["rows"], body["valid"]) == (5, 4), body
    assert [i["line"] for i in body["invalid"]] == [5]
    assert [f["line"] for f in body["flagged"]] == [4, 6]  # no phone; a household's phone


def test_an_xlsx_workbook_is_read_phones_typed_as_numbers_too(
    client: FlaskClient, office: Office, db_session: Session
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Phone", "Village_Code"])
    sheet.append(["Siti Aminah", "0812-8765-4301", "32.75.11.1004"])
    sheet.append(["Euis Kurniasih", 81311223302, "32.75.11.1004"])  # a number: no leading 0
    sheet.append([None, None, None])  # an empty row Excel keeps
    sheet.append(["Salah Desa", 6285711112222, "99.99"])
    buffer = io.BytesIO()
    book.save(buffer)
    body = upload_file(client, office, buffer.getvalue(), "peserta.xlsx").json
    assert (body["rows"], body["valid"]) == (3, 2), body
    assert [(i["line"], sorted(i["errors"])) for i in body["invalid"]] == [(5, ["village_code"])]
    written = client.post(
        f"/v1/cohorts/{office.cohort['id']}/roster?dry_run=false",
        data={"file": (io.BytesIO(buffer.getvalue()), "peserta.xlsx")},
        headers=office.admin_h,
        content_type="multipart/form-data",
    )
    assert_problem(written, 422, "roster_invalid")
    listed = client.get(f"/v1/cohorts/{office.cohort['id']}/roster", headers=office.admin_h)
    assert listed.json["items"] == []


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"name|phone|village_code\nA|0812|32.75.11.1004\n", "separate the columns"),
        (b"PK\x03\x04 not really a workbook", ".xlsx"),
        (b"nama;telepon\n", "missing: name, phone, village_code"),
        ("name,phone,village_code\nSit\xed,0812,1\n".encode("cp1252"), "CSV UTF-8"),
        (b"name,phone,village_code\n" + b",,\n" * 20_000, "At most 20000 lines"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_message_that_says_why(
    client: FlaskClient, office: Office, data: bytes, says: str
) -> None:
    problem = assert_problem(upload_file(client, office, data, "peserta.csv"), 422)
    assert says in " ".join(problem["errors"]["file"]), problem
