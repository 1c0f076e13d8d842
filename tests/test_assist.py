"""Assisted editing under a time-limited, revocable grant, and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    AssistGrant,
    AuditEntry,
    Business,
    BusinessStatus,
    Event,
    Order,
    OrderStatus,
    Role,
    User,
)
from api.services import orders as orders_service
from tests.conftest import Auth
from tests.factories import BusinessFactory, UserFactory
from tests.helpers import Shop, assert_problem, category_id


@dataclass
class Pair:
    """An alumna with her business, and a facilitator with the headers to act for her."""

    alumna: User
    alumna_h: dict[str, str]
    business: Business
    facilitator: User
    fac_h: dict[str, str]
    acting: dict[str, str]


def pair(auth: Auth) -> Pair:
    alumna, alumna_h = auth.as_role(Role.ALUMNA)
    facilitator: User = UserFactory(role=Role.FACILITATOR)
    fac_h = auth.headers(facilitator)
    return Pair(
        alumna,
        alumna_h,
        BusinessFactory(owner_id=alumna.id),
        facilitator,
        fac_h,
        {**fac_h, "X-On-Behalf-Of": alumna.id},
    )


def test_a_facilitator_acts_for_her_under_a_grant_and_both_are_recorded(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    two = pair(auth)
    alumna, alumna_h, business = two.alumna, two.alumna_h, two.business
    facilitator, fac_h, acting = two.facilitator, two.fac_h, two.acting
    product = {
        "name": "Kue sagu keju",
        "category_id": category_id(db_session, "snacks-cakes"),
        "price_idr": 30000,
        "unit": "toples",
        "availability": "pre_order",
        "lead_days": 2,
    }
    url = f"/v1/businesses/{business.id}/products"
    assert_problem(client.post(url, json=product, headers=acting), 403, "no_assist_grant")

    grant = client.post(
        "/v1/me/assist-grants", json={"facilitator_id": facilitator.id, "days": 7}, headers=alumna_h
    )
    assert grant.status_code == 201 and grant.json["active"] is True
    made = client.post(url, json=product, headers=acting)
    assert made.status_code == 201, made.json
    audit = db_session.scalars(
        select(AuditEntry).where(AuditEntry.assisted_by_id == facilitator.id)
    ).all()
    assert [(a.action, a.actor_id, a.subject_id) for a in audit] == [
        ("product.created", alumna.id, made.json["id"])
    ]
    shown = client.get(f"/v1/products/{made.json['id']}", headers=alumna_h)
    assert shown.status_code == 200  # it is hers
    checked = client.post(
        f"/v1/businesses/{business.id}/check-ins", json={"trading": False}, headers=acting
    )
    assert checked.status_code == 201 and checked.json["recorded_by_id"] == facilitator.id
    assert checked.json["on_behalf_of_id"] == alumna.id
    event = db_session.scalars(
        select(Event).where(Event.type == "check_in.recorded", Event.actor_id == alumna.id)
    ).one()
    assert event.data["assisted_by"] == facilitator.id

    for path, method, body in (
        ("/v1/me/password", "post", {"current_password": "x" * 8, "new_password": "y" * 10}),
        ("/v1/me", "patch", {"name": "Ganti"}),
        ("/v1/me/assist-grants", "post", {"facilitator_id": facilitator.id}),
    ):
        response = getattr(client, method)(path, json=body, headers={**acting, "If-Match": "*"})
        assert_problem(response, 403, "not_while_assisting")

    other = auth.headers(UserFactory(role=Role.FACILITATOR))
    assert_problem(
        client.post(url, json=product, headers={**other, "X-On-Behalf-Of": alumna.id}), 403
    )
    _, admin_h = auth.as_role(Role.ADMIN)
    assert_problem(
        client.post(url, json=product, headers={**admin_h, "X-On-Behalf-Of": alumna.id}), 403
    )

    revoked = client.delete(f"/v1/me/assist-grants/{grant.json['id']}", headers=alumna_h)
    assert revoked.status_code == 204
    assert_problem(client.post(url, json=product, headers=acting), 403, "no_assist_grant")
    held = client.get("/v1/me/assist-grants", headers=fac_h).json["items"]
    assert held[0]["active"] is False


def test_no_one_acts_for_a_suspended_account_whatever_her_grant(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    two = pair(auth)
    alumna, business, acting = two.alumna, two.business, two.acting
    granted = client.post(
        "/v1/me/assist-grants",
        json={"facilitator_id": two.facilitator.id, "days": 7},
        headers=two.alumna_h,
    )
    assert granted.status_code == 201
    assert client.get(f"/v1/businesses/{business.id}/products", headers=acting).status_code == 200
    alumna.suspended_at = utcnow()  # as moderation suspends her (services.moderation)
    db_session.flush()
    for response in (
        client.get(f"/v1/businesses/{business.id}/products", headers=acting),
        client.post(f"/v1/businesses/{business.id}/pause", headers=acting),
    ):
        assert_problem(response, 403, "her_account_suspended")
    db_session.expire_all()
    assert db_session.get(type(business), business.id).status == BusinessStatus.ACTIVE


def test_an_expired_grant_no_longer_works(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    alumna, _ = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=alumna.id)
    facilitator: User = UserFactory(role=Role.FACILITATOR)
    db_session.add(
        AssistGrant(
            alumna_id=alumna.id,
            facilitator_id=facilitator.id,
            expires_at=utcnow() - dt.timedelta(minutes=1),
        )
    )
    db_session.flush()
    headers = {**auth.headers(facilitator), "X-On-Behalf-Of": alumna.id}
    assert_problem(client.post(f"/v1/businesses/{business.id}/pause", headers=headers), 403)


def test_staff_actions_are_audited_and_the_log_is_append_only(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    _, admin_h = auth.as_role(Role.ADMIN)
    program = client.post("/v1/programs", json={"name": "Program Uji"}, headers=admin_h)
    assert program.status_code == 201
    entries = client.get("/v1/me/audit?action=program.created", headers=admin_h).json["items"]
    assert entries[0]["subject_id"] == program.json["id"] and entries[0]["actor_role"] == "admin"
    _, alumna_h = auth.as_role(Role.ALUMNA)
    assert_problem(client.get("/v1/me/audit", headers=alumna_h), 403)

    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(statement))


def test_every_status_change_is_audited_with_who_and_from_what(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, owner_h = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id, status=BusinessStatus.DRAFT)
    url = f"/v1/businesses/{business.id}"
    assert client.post(f"{url}/activate", headers=owner_h).status_code == 200
    etag = client.get(url, headers=owner_h).headers["ETag"]
    edit = client.patch(url, json={"description": "Baru"}, headers={**owner_h, "If-Match": etag})
    assert edit.status_code == 200
    _, admin_h = auth.as_role(Role.ADMIN)

    def logged(action: str, subject_id: str) -> list[dict[str, Any]]:
        entries = client.get(f"/v1/me/audit?action={action}&limit=100", headers=admin_h)
        return [e for e in entries.json["items"] if e["subject_id"] == subject_id]

    [entry] = logged("business.status_changed", business.id)
    assert (entry["actor_id"], entry["actor_role"]) == (owner.id, "alumna")
    assert entry["data"] == {"from": "draft", "to": "active"}
    assert entry["subject_type"] == "business"

    # The system's own transitions are logged too, with no actor: an order that completes by
    # itself seven days after it was shipped.
    shop = Shop(auth)
    placed = shop.order(client, (shop.cake, 1))
    order = db_session.get(Order, placed.json["id"])
    assert order is not None
    order.status, order.completes_at = OrderStatus.SHIPPED, utcnow() - dt.timedelta(seconds=1)
    db_session.flush()
    assert orders_service.complete_due(db_session) == 1
    done = logged("order.status_changed", order.id)[0]  # newest first
    assert done["actor_id"] is None and done["data"] == {"from": "shipped", "to": "completed"}
