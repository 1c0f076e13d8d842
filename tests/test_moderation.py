"""Moderation: reports on listings, reviews and users; the scoped queue; hide, restore,
dismiss with a reason; suspended users; every admin action audited."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import (
    AuditEntry,
    AuthSession,
    OneTimeCode,
    ProductStatus,
    Role,
    StaffRegion,
    User,
)
from tests.conftest import Auth
from tests.factories import PASSWORD, BusinessFactory, ProductFactory, UserFactory
from tests.helpers import assert_problem


def admin(auth: Auth, db_session: Session, *codes: str) -> dict[str, str]:
    user: User = UserFactory(role=Role.ADMIN)
    db_session.add_all(StaffRegion(user_id=user.id, region_code=c) for c in codes)
    db_session.flush()
    return auth.headers(user)


def reported(
    client: FlaskClient, auth: Auth, db_session: Session, target_type: str, target_id: str
) -> tuple[str, dict[str, str]]:
    """A buyer's report on the target, and the headers of an admin who works everywhere."""
    _, reporter = auth.as_role(Role.BUYER)
    made = client.post(
        "/v1/reports",
        json={"target_type": target_type, "target_id": target_id, "reason": "Tidak wajar"},
        headers=reporter,
    )
    assert made.status_code == 201, made.json
    return made.json["id"], admin(auth, db_session)


def test_a_reported_product_is_hidden_and_restored_by_an_admin_in_scope(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    product = ProductFactory(
        name="Kue palsu", business=BusinessFactory(village_code="32.75.11.1004")
    )
    _, first = auth.as_role(Role.BUYER)
    _, second = auth.as_role(Role.ALUMNA)
    body = {"target_type": "product", "target_id": product.id, "reason": "Foto curian"}
    made = client.post("/v1/reports", json=body, headers=first)
    assert made.status_code == 201, made.json
    assert_problem(client.post("/v1/reports", json=body, headers=first), 409, "already_reported")
    client.post("/v1/reports", json={**body, "reason": "Menipu pembeli"}, headers=second)
    draft = ProductFactory(status=ProductStatus.DRAFT)
    assert_problem(
        client.post("/v1/reports", json={**body, "target_id": draft.id}, headers=first), 404
    )
    assert_problem(client.post("/v1/reports", json=body), 401)

    bekasi = admin(auth, db_session, "32.75")
    bogor = admin(auth, db_session, "32.71")
    queue = client.get("/v1/moderation/reports", headers=bekasi).json["items"]
    assert [r["target_id"] for r in queue] == [product.id, product.id]
    assert client.get("/v1/moderation/reports", headers=bogor).json["items"] == []
    assert_problem(
        client.post(
            f"/v1/moderation/reports/{made.json['id']}/hide",
            json={"reason": "Bukan wilayah"},
            headers=bogor,
        ),
        404,
    )
    assert_problem(client.get("/v1/moderation/reports", headers=first), 403)

    hidden = client.post(
        f"/v1/moderation/reports/{made.json['id']}/hide",
        json={"reason": "Melanggar aturan"},
        headers=bekasi,
    )
    assert hidden.status_code == 200 and hidden.json["status"] == "hidden"
    assert_problem(client.get(f"/v1/products/{product.id}"), 404)
    assert product.id not in [p["id"] for p in client.get("/v1/products?q=palsu").json["items"]]
    assert client.get("/v1/moderation/reports", headers=bekasi).json["items"] == []  # both closed
    owner_h = auth.headers(db_session.get(User, product.business.owner_id))  # type: ignore[arg-type]
    assert client.get(f"/v1/products/{product.id}", headers=owner_h).status_code == 200

    restored = client.post(
        f"/v1/moderation/reports/{made.json['id']}/restore",
        json={"reason": "Banding diterima"},
        headers=bekasi,
    )
    assert restored.json["status"] == "restored"
    assert client.get(f"/v1/products/{product.id}").status_code == 200
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == made.json["id"])
    ).all()
    assert {"report.hidden", "report.restored"} <= set(actions)


def test_a_reported_user_is_suspended_by_a_national_admin_only(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    troll, troll_h = auth.as_role(Role.BUYER, email="troll@example.id")
    _, reporter = auth.as_role(Role.ALUMNA)
    made = client.post(
        "/v1/reports",
        json={"target_type": "user", "target_id": troll.id, "reason": "Spam"},
        headers=reporter,
    ).json
    assert_problem(
        client.post(
            "/v1/reports",
            json={"target_type": "user", "target_id": troll.id, "reason": "Aku"},
            headers=troll_h,
        ),
        422,
    )
    regional = admin(auth, db_session, "32.75")
    assert client.get("/v1/moderation/reports", headers=regional).json["items"] == []
    national = admin(auth, db_session)
    suspended = client.post(
        f"/v1/moderation/reports/{made['id']}/hide",
        json={"reason": "Spam berulang"},
        headers=national,
    )
    assert suspended.status_code == 200
    # Signed out (her token refused); signing in again tells her why.
    assert_problem(client.get("/v1/me", headers=troll_h), 401, "invalid_token")
    login = client.post("/v1/auth/login", json={"email": "troll@example.id", "password": PASSWORD})
    assert_problem(login, 403, "account_suspended")
    wrong = client.post(
        "/v1/auth/login", json={"email": "troll@example.id", "password": "salah-sekali"}
    )
    assert_problem(wrong, 401)  # a wrong password says nothing about the suspension
    client.post(
        f"/v1/moderation/reports/{made['id']}/restore",
        json={"reason": "Sudah minta maaf"},
        headers=national,
    )
    # Her old token stays refused; she signs in again.
    assert_problem(client.get("/v1/me", headers=troll_h), 401, "invalid_token")
    again = client.post("/v1/auth/login", json={"email": "troll@example.id", "password": PASSWORD})
    assert again.status_code == 200


def test_a_suspension_signs_her_out_everywhere_and_voids_her_codes(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Whoever holds her session or a code sent to her (someone else using her account, the
    reason she may be suspended for) holds nothing once she is suspended, even once it is lifted."""
    her, _ = auth.as_role(Role.ALUMNA, email="dipakai@example.id")
    tokens = client.post(
        "/v1/auth/login", json={"email": "dipakai@example.id", "password": PASSWORD}
    ).json
    signed_in = {"Authorization": f"Bearer {tokens['access_token']}"}
    sent = client.post("/v1/auth/password-reset", json={"email": "dipakai@example.id"})
    assert sent.status_code == 202

    def codes() -> int:
        return len(
            db_session.scalars(select(OneTimeCode).where(OneTimeCode.user_id == her.id)).all()
        )

    assert codes() == 1
    report, national = reported(client, auth, db_session, "user", her.id)
    hidden = client.post(
        f"/v1/moderation/reports/{report}/hide", json={"reason": "Dipakai"}, headers=national
    )
    assert hidden.status_code == 200
    db_session.expire_all()
    assert codes() == 0
    sessions = db_session.scalars(select(AuthSession).where(AuthSession.user_id == her.id)).all()
    assert sessions and all(s.revoke_reason == "suspended" for s in sessions)
    client.post(
        f"/v1/moderation/reports/{report}/restore", json={"reason": "Aman"}, headers=national
    )
    assert_problem(client.get("/v1/me", headers=signed_in), 401, "invalid_token")
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refreshed, 401)


def test_dismissing_changes_nothing(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    business = BusinessFactory()
    report, national = reported(client, auth, db_session, "business", business.id)
    dismissed = client.post(
        f"/v1/moderation/reports/{report}/dismiss",
        json={"reason": "Masih buka"},
        headers=national,
    )
    assert dismissed.json["status"] == "dismissed"
    assert client.get(f"/v1/businesses/{business.id}").status_code == 200
    assert_problem(
        client.post(
            f"/v1/moderation/reports/{report}/dismiss",
            json={"reason": "lagi"},
            headers=national,
        ),
        409,
    )
    assert_problem(
        client.post(f"/v1/moderation/reports/{report}/hide", json={}, headers=national), 422
    )
