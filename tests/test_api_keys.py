"""API keys: made by an organisation's admins, shown once, stored hashed, limited to their
scopes, revocable at once, with their last use; a bucket of their own in the rate limiter."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import ApiKey, MemberRole, Membership, Order, Organization, Role, User
from tests.conftest import Auth, app_with
from tests.factories import OrganizationFactory, ProductFactory, member_of
from tests.helpers import assert_problem


class Company:
    """A CSR company with an admin (a partner) and a plain member."""

    def __init__(self, auth: Auth) -> None:
        self.org: Organization = OrganizationFactory(verified_at=utcnow())
        self.admin, self.admin_h = auth.as_role(Role.PARTNER)
        member_of(self.org, self.admin, MemberRole.ADMIN)
        self.member, self.member_h = auth.as_role(Role.PARTNER)
        member_of(self.org, self.member)
        self.url = f"/v1/organizations/{self.org.id}/api-keys"

    def key(self, client: FlaskClient, *scopes: str, **extra: Any) -> dict[str, Any]:
        body = {"name": "Aplikasi mitra", "scopes": list(scopes), **extra}
        made = client.post(self.url, json=body, headers=self.admin_h)
        assert made.status_code == 201, made.json
        return made.json  # type: ignore[no-any-return]


@pytest.fixture
def company(auth: Auth) -> Company:
    return Company(auth)


def test_a_key_is_shown_once_stored_hashed_and_listed_with_its_last_use(
    client: FlaskClient, company: Company, db_session: Session
) -> None:
    made = company.key(client, "catalogue:read", "events:read")
    secret = made["secret"]
    assert secret.startswith("bdk_") and len(secret) > 40
    assert made["prefix"] == secret[:12] and made["status"] == "active"
    assert made["scopes"] == ["catalogue:read", "events:read"]
    assert made["created_by"]["id"] == company.admin.id and made["last_used_at"] is None

    row = db_session.get(ApiKey, made["id"])
    assert row is not None and row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str([getattr(row, c.key) for c in ApiKey.__table__.columns])

    assert client.get("/v1/products", headers={"X-API-Key": secret}).status_code == 200
    listed = client.get(company.url, headers=company.admin_h).json["items"]
    assert [k["id"] for k in listed] == [made["id"]]
    assert "secret" not in listed[0] and listed[0]["last_used_at"] is not None


def test_a_key_may_do_what_its_scopes_name_and_nothing_else(
    client: FlaskClient, company: Company, db_session: Session
) -> None:
    reader = {"X-API-Key": company.key(client, "catalogue:read")["secret"]}
    product = ProductFactory()
    assert client.get(f"/v1/products/{product.id}", headers=reader).status_code == 200
    assert client.get("/v1/organizations", headers=reader).status_code == 200
    order = {
        "business_id": product.business_id,
        "items": [{"product_id": product.id, "quantity": 1}],
        "delivery_method": "local_delivery",
        "delivery_address": "Jl. Melati No. 4, Mustikajaya",
    }
    refused = assert_problem(
        client.post("/v1/orders", json=order, headers=reader), 403, "insufficient_scope"
    )
    assert "orders:write" in refused["detail"]
    # Personal endpoints, key management and a seller's contact are never open to keys.
    assert_problem(client.get("/v1/me", headers=reader), 403, "insufficient_scope")
    assert_problem(
        client.post(company.url, json={"name": "x", "scopes": ["catalogue:read"]}, headers=reader),
        403,
        "insufficient_scope",
    )
    assert_problem(
        client.post(f"/v1/businesses/{product.business_id}/contact", json={}, headers=reader),
        403,
        "insufficient_scope",
    )
    assert_problem(client.get("/v1/events", headers=reader), 403, "insufficient_scope")

    # With orders:write the key orders as the member who made it.
    buyer = {"X-API-Key": company.key(client, "orders:write", "orders:read")["secret"]}
    placed = client.post("/v1/orders", json=order, headers=buyer)
    assert placed.status_code == 201, placed.json
    stored = db_session.get(Order, placed.json["id"])
    assert stored is not None and stored.buyer_id == company.admin.id
    assert client.get(f"/v1/orders/{stored.id}", headers=buyer).status_code == 200


def test_revoked_expired_unknown_and_orphaned_keys_are_refused(
    client: FlaskClient, company: Company, db_session: Session
) -> None:
    made = company.key(client, "catalogue:read")
    headers = {"X-API-Key": made["secret"]}
    assert client.get("/v1/categories", headers=headers).status_code == 200

    assert client.delete(f"{company.url}/{made['id']}", headers=company.admin_h).status_code == 204
    assert_problem(client.get("/v1/categories", headers=headers), 401, "invalid_api_key")
    # Revoking again changes nothing; the key stays listed as revoked.
    assert client.delete(f"{company.url}/{made['id']}", headers=company.admin_h).status_code == 204
    listed = client.get(company.url, headers=company.admin_h).json["items"][0]
    assert listed["status"] == "revoked" and listed["revoked_at"]

    for bogus in ("bdk_" + "x" * 43, "not-a-key", "bdk_" + "y" * 500):
        assert_problem(client.get("/v1/categories", headers={"X-API-Key": bogus}), 401)

    soon = company.key(client, "catalogue:read", expires_at="2199-01-01T00:00:00Z")
    row = db_session.get(ApiKey, soon["id"])
    assert row is not None
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db_session.flush()
    assert_problem(
        client.get("/v1/categories", headers={"X-API-Key": soon["secret"]}), 401, "invalid_api_key"
    )

    # Its maker is suspended: the key stops working, and works again once she is restored.
    fourth = {"X-API-Key": company.key(client, "catalogue:read")["secret"]}
    company.admin.suspended_at = utcnow()
    db_session.flush()
    assert_problem(client.get("/v1/categories", headers=fourth), 401, "invalid_api_key")
    company.admin.suspended_at = None
    db_session.flush()
    assert client.get("/v1/categories", headers=fourth).status_code == 200

    # Its maker leaves the organisation: the key stops working.
    third = company.key(client, "catalogue:read")
    db_session.execute(
        delete(Membership).where(
            Membership.organization_id == company.org.id, Membership.user_id == company.admin.id
        )
    )
    assert_problem(
        client.get("/v1/categories", headers={"X-API-Key": third["secret"]}), 401, "invalid_api_key"
    )


def test_only_the_organisations_admins_make_keys(
    client: FlaskClient, company: Company, auth: Auth
) -> None:
    body = {"name": "x", "scopes": ["catalogue:read"]}
    assert_problem(client.post(company.url, json=body, headers=company.member_h), 403)
    _, stranger_h = auth.as_role(Role.PARTNER)
    assert_problem(client.post(company.url, json=body, headers=stranger_h), 403)
    assert_problem(client.get(company.url, headers=stranger_h), 403)
    # A platform admin may see and revoke keys, not make them (a key acts as a member).
    _, admin_h = auth.as_role(Role.ADMIN)
    assert_problem(client.post(company.url, json=body, headers=admin_h), 403)
    made = company.key(client, "catalogue:read")
    assert client.get(company.url, headers=admin_h).status_code == 200
    assert client.delete(f"{company.url}/{made['id']}", headers=admin_h).status_code == 204
    other = OrganizationFactory()
    assert_problem(
        client.delete(f"/v1/organizations/{other.id}/api-keys/{made['id']}", headers=admin_h),
        404,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["catalogue:admin"]},
        {"name": "x", "scopes": "catalogue:read"},
        {"name": "", "scopes": ["catalogue:read"]},
        {"name": "x", "scopes": ["catalogue:read"], "expires_at": "2020-01-01T00:00:00Z"},
        {"name": "x", "scopes": ["catalogue:read"], "secret_hash": "0" * 64},
    ],
)
def test_bad_keys_are_refused(client: FlaskClient, company: Company, body: dict[str, Any]) -> None:
    assert_problem(client.post(company.url, json=body, headers=company.admin_h), 422)


def test_a_key_and_a_token_together_are_ambiguous(client: FlaskClient, company: Company) -> None:
    secret = company.key(client, "catalogue:read")["secret"]
    both = {"X-API-Key": secret, **company.admin_h}
    assert_problem(client.get("/v1/categories", headers=both), 401, "ambiguous_credentials")


@pytest.fixture
def keyed(app: Flask, database_url: str, connection: Connection) -> Iterator[Flask]:
    with app_with(
        database_url,
        connection,
        rate_limit_default="3 per minute",
        rate_limit_api_key="5 per minute",
    ) as strict:
        yield strict


def test_each_key_has_a_rate_budget_of_its_own(
    keyed: Flask, client: FlaskClient, company: Company, db_session: Session
) -> None:
    one = {"X-API-Key": company.key(client, "catalogue:read")["secret"]}
    two = {"X-API-Key": company.key(client, "catalogue:read")["secret"]}
    strict = keyed.test_client()
    remaining = []
    for _ in range(5):
        answer = strict.get("/v1/categories", headers=one)
        assert answer.status_code == 200 and answer.headers["X-RateLimit-Limit"] == "5"
        remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    assert_problem(strict.get("/v1/categories", headers=one), 429, "rate_limited")
    assert strict.get("/v1/categories", headers=two).status_code == 200
    # Anonymous callers keep the general budget.
    assert strict.get("/v1/categories").headers["X-RateLimit-Limit"] == "3"
    maker = db_session.scalar(select(User).where(User.id == company.admin.id))
    assert maker is not None


def test_a_key_used_on_a_read_only_view_of_a_real_server_is_noted_as_used(
    database_url: str,
) -> None:
    """A read-only view's own session commits each statement by itself and is not committed
    again; the session an API key's check opens first is an ordinary one, and its note of the
    key's use must be committed (a server's sessions, not the tests' joined ones)."""
    from api import create_app
    from api.services.api_keys import KEY_PREFIX, hash_token
    from api.state import get_state
    from tests import factories
    from tests.conftest import TEST_SETTINGS

    live = create_app({**TEST_SETTINGS, "database_url": database_url})
    state = get_state(live)
    secret = KEY_PREFIX + "read-only-view-test-" + "x" * 24
    with state.new_session() as session:
        factories.bind(session)
        try:
            org = OrganizationFactory(verified_at=utcnow())
            admin = factories.UserFactory(role=Role.PARTNER)
            member_of(org, admin, MemberRole.ADMIN)
            session.flush()
            key = ApiKey(
                organization_id=org.id,
                created_by_id=admin.id,
                name="Mitra",
                prefix=secret[:12],
                secret_hash=hash_token(secret),
                scopes=["catalogue:read"],
            )
            session.add(key)
            session.commit()
            ids = (key.id, org.id, admin.id)
        finally:
            factories.bind(None)
    try:
        response = live.test_client().get("/v1/products", headers={"X-API-Key": secret})
        assert response.status_code == 200
        with state.new_session() as session:
            assert session.get(ApiKey, ids[0]).last_used_at is not None  # type: ignore[union-attr]
    finally:
        with state.new_session() as session:
            session.execute(delete(ApiKey).where(ApiKey.id == ids[0]))
            session.execute(delete(Membership).where(Membership.organization_id == ids[1]))
            session.execute(delete(Organization).where(Organization.id == ids[1]))
            session.execute(delete(User).where(User.id == ids[2]))
            session.commit()
        state.engine.dispose()


def test_what_a_key_fetches_is_private_to_its_holder_in_caches(
    client: FlaskClient, company: Company
) -> None:
    reader = {"X-API-Key": company.key(client, "orders:read")["secret"]}
    response = client.get("/v1/orders", headers=reader)
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert {"X-API-Key", "Authorization", "Accept-Language"} <= set(response.vary)
    anonymous = client.get("/v1/categories")
    assert "X-API-Key" in anonymous.vary and "private" not in anonymous.headers["Cache-Control"]


def test_a_key_s_get_that_writes_is_refused_and_its_use_still_noted(
    client: FlaskClient, company: Company, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key's check opens the session (and notes the key's use) before the view runs; the
    view's own writes are refused as for a user's GET (``api.db.refuse_writes``)."""
    from api.models import ApiKey, Category
    from api.resources import categories as resource

    reader = {"X-API-Key": company.key(client, "catalogue:read")["secret"]}
    listed = resource.service.list_categories

    def writing(session: Session, **kwargs: Any) -> Any:
        session.add(Category(slug="tulis-dengan-kunci", name_id="Tulis", name_en="Write"))
        return listed(session, **kwargs)

    monkeypatch.setattr(resource.service, "list_categories", writing)
    assert_problem(client.get("/v1/categories", headers=reader), 500)
    stored = db_session.scalar(select(func.count()).where(Category.slug == "tulis-dengan-kunci"))
    assert stored == 0
    monkeypatch.setattr(resource.service, "list_categories", listed)
    assert client.get("/v1/categories", headers=reader).status_code == 200
    used = db_session.scalars(select(ApiKey.last_used_at)).all()
    assert any(when is not None for when in used)
