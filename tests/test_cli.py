"""Operator commands: demo data (safe to run twice) and creating an admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cli.demo import ADMIN_EMAIL, DEMO_PASSWORD
from api.models import (
    Business,
    Cohort,
    Membership,
    Organization,
    Photo,
    Product,
    Program,
    Role,
    RosterEntry,
    StaffRegion,
    TrainingCertificate,
    User,
)


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, Organization, Membership)
    )


@pytest.mark.slow  # loads the whole demo data set
def test_demo_data_loads_once_and_signs_in(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "demo data loaded" in result.output and "[1/" in result.output
    after_first = counts(db_session)
    users, organizations, members = after_first
    assert users >= 15 and organizations == 3 and members >= 5
    alumnae = db_session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ALUMNA)
    )
    assert alumnae and alumnae >= 5
    verified = db_session.scalars(select(Organization.verified_at)).all()
    assert all(v is not None for v in verified)
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert counts(db_session) == after_first
    assert db_session.scalar(select(func.count()).select_from(Business)) == 30
    product_count = db_session.scalar(select(func.count()).select_from(Product)) or 0
    assert 180 <= product_count <= 240
    # One generated photo per business and per product.
    assert db_session.scalar(select(func.count()).select_from(Photo)) == 30 + product_count
    # Training: a past workshop with its certificates, an upcoming one with a waitlist.
    events = app.test_client().get("/v1/training-events?limit=10").json["items"]
    by_status = {e["status"]: e for e in events}
    assert by_status["completed"]["seats_taken"] >= 4
    assert by_status["scheduled"]["seats_left"] == 0 and by_status["scheduled"]["waitlisted"] == 2
    assert len(events) == 2
    assert db_session.scalar(select(func.count()).select_from(TrainingCertificate)) == 5
    client = app.test_client()
    found = client.get("/v1/products?region=32.75&q=kue&limit=100&view=full").json["items"]
    assert found and all(p["business"]["regency"]["code"] == "32.75" for p in found)
    first_photo = found[0]["photos"][0]["urls"]["480"]
    picture = client.get(first_photo)
    assert picture.status_code == 200 and picture.mimetype == "image/webp"
    picture.close()
    # The published demo course: modules in order, a PDF and a picture on the first.
    [course] = client.get("/v1/courses").json["items"]
    shown = client.get(f"/v1/courses/{course['id']}").json
    assert [m["position"] for m in shown["modules"]] == [0, 1, 2]
    files = shown["modules"][0]["attachments"]
    assert [a["kind"] for a in files] == ["pdf", "image"] and shown["enrolment_count"] == 1
    pdf = client.get(files[0]["url"])
    assert pdf.get_data().startswith(b"%PDF-") and len(pdf.get_data()) == files[0]["size_bytes"]
    pdf.close()
    in_mustikasari = client.get("/v1/businesses?region=32.75.11.1004").json["items"]
    assert in_mustikasari
    login = client.post("/v1/auth/login", json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert login.status_code == 200
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {login.json['access_token']}"})
    assert me.json["role"] == "admin"
    # The demo password is hashed once for every demo account (argon2 at full cost is about
    # 40 ms each), and the pictures are encoded quickly: the first run stays short.
    hashes = set(
        db_session.scalars(select(User.password_hash).where(User.password_hash.is_not(None)))
    )
    assert len(hashes) == 1


def test_create_admin_from_the_cli(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Ops@Berdaya.test",
            "--name",
            "Operator",
            "--password-stdin",
        ],
        input="a-long-admin-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "ops@berdaya.test"))
    assert user is not None and user.role == Role.ADMIN
    bad = runner.invoke(
        args=["create-admin", "--email", "x@y.id", "--name", "X", "--password-stdin"],
        input="short\n",
    )
    assert bad.exit_code != 0 and "password" in bad.output


def test_staff_with_regions_and_a_roster_import_from_the_cli(
    app: Flask, db_session: Session, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "bogor@dp3a.test",
            "--name",
            "Admin Bogor",
            "--region",
            "32.71",
            "--password-stdin",
        ],
        input="a-long-admin-password\n",
    )
    assert made.exit_code == 0 and "works in 32.71" in made.output, made.output
    user = db_session.scalar(select(User).where(User.email == "bogor@dp3a.test"))
    assert user is not None
    assert db_session.scalars(
        select(StaffRegion.region_code).where(StaffRegion.user_id == user.id)
    ).all() == ["32.71"]
    facilitator = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "fas@dp3a.test",
            "--name",
            "Fasilitator",
            "--role",
            "facilitator",
            "--region",
            "32.75",
            "--password-stdin",
        ],
        input="a-long-admin-password\n",
    )
    assert facilitator.exit_code == 0, facilitator.output
    unknown = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "z@dp3a.test",
            "--name",
            "Z",
            "--region",
            "99",
            "--password-stdin",
        ],
        input="a-long-admin-password\n",
    )
    assert unknown.exit_code != 0 and "unknown region" in unknown.output

    program = Program(name="Program CLI")
    db_session.add(program)
    db_session.flush()
    cohort = Cohort(program_id=program.id, name="CLI 2025", year=2025, region_code="32.75")
    db_session.add(cohort)
    db_session.commit()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,phone,village_code\nAni,0812-1111-2222,32.75.11.1004\nBudi,123,32.75.11.1004\n"
    )
    dry = runner.invoke(args=["import-roster", cohort.id, str(roster)])
    assert dry.exit_code == 0 and "invalid, line 3" in dry.output and "dry run" in dry.output
    refused = runner.invoke(args=["import-roster", cohort.id, str(roster), "--commit"])
    assert refused.exit_code != 0 and "nothing written" in refused.output
    roster.write_text("name,phone,village_code\nAni,0812-1111-2222,32.75.11.1004\n")
    written = runner.invoke(args=["import-roster", cohort.id, str(roster), "--commit"])
    assert written.exit_code == 0 and "1 new written" in written.output, written.output
    assert db_session.scalar(select(func.count()).select_from(RosterEntry)) == 1
