"""Operator commands: demo data (safe to run twice) and creating an admin."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.demo import ADMIN_EMAIL, DEMO_PASSWORD
from api.models import Business, Membership, Organization, Photo, Product, Role, User


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, Organization, Membership)
    )


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
    client = app.test_client()
    found = client.get("/v1/products?region=32.75&q=kue&limit=100").json["items"]
    assert found and all(p["business"]["regency"]["code"] == "32.75" for p in found)
    first_photo = found[0]["photos"][0]["urls"]["480"]
    picture = client.get(first_photo)
    assert picture.status_code == 200 and picture.mimetype == "image/webp"
    picture.close()
    in_mustikasari = client.get("/v1/businesses?region=32.75.11.1004").json["items"]
    assert in_mustikasari
    login = client.post("/v1/auth/login", json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert login.status_code == 200
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {login.json['access_token']}"})
    assert me.json["role"] == "admin"


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
