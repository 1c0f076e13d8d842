"""Webhooks: subscriptions by an organisation's admins, the fan-out of what each may see,
signed deliveries (checked with the Standard Webhooks library), retries with backoff, the
delivery log, redelivery, disabling after sustained failure, and SSRF refusals."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import standardwebhooks
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from api import jobs, netguard
from api.db import utcnow
from api.models import (
    DeliveryStatus,
    MemberRole,
    Notification,
    Organization,
    Product,
    ProductStatus,
    Role,
    User,
    Webhook,
    WebhookDelivery,
)
from api.services import webhooks as webhook_service
from api.state import get_state
from tests.conftest import Auth, app_with
from tests.factories import OrganizationFactory, ProductFactory, member_of
from tests.helpers import assert_problem, place_order
from tests.webhook_receiver import Receiver, receiver


@pytest.fixture
def hook_receiver() -> Iterator[Receiver]:
    with receiver() as got:
        yield got


class Partner:
    def __init__(self, auth: Auth) -> None:
        self.org: Organization = OrganizationFactory(verified_at=utcnow())
        self.admin, self.admin_h = auth.as_role(Role.PARTNER)
        member_of(self.org, self.admin, MemberRole.ADMIN)

    def subscribe(self, client: FlaskClient, url: str, *types: str) -> dict[str, Any]:
        made = client.post(
            "/v1/webhooks",
            json={"organization_id": self.org.id, "url": url, "event_types": list(types)},
            headers=self.admin_h,
        )
        assert made.status_code == 201, made.json
        return made.json  # type: ignore[no-any-return]


@pytest.fixture
def partner(auth: Auth) -> Partner:
    return Partner(auth)


def publish(client: FlaskClient, auth: Auth, db_session: Session) -> Product:
    product = ProductFactory(status=ProductStatus.DRAFT)
    owner = db_session.get(User, product.business.owner_id)
    assert owner is not None
    published = client.post(f"/v1/products/{product.id}/publish", headers=auth.headers(owner))
    assert published.status_code == 200, published.json
    return product


def deliveries(db_session: Session, webhook_id: str) -> list[WebhookDelivery]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.created_at)
        )
    )


def test_a_published_product_arrives_signed_and_is_logged(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    db_session: Session,
    partner: Partner,
    hook_receiver: Receiver,
) -> None:
    hook = partner.subscribe(client, hook_receiver.url, "product.published")
    assert hook["secret"].startswith("whsec_") and hook["active"] is True
    assert "secret" not in client.get(f"/v1/webhooks/{hook['id']}", headers=partner.admin_h).json
    product = publish(client, auth, db_session)

    assert jobs.deliver_due(app) == 1
    (got,) = hook_receiver.wait_for(1)
    assert got.path == "/hooks/berdaya"
    verified = standardwebhooks.Webhook(hook["secret"]).verify(got.body, got.headers)
    assert verified["type"] == "product.published" and verified["id"] == got.headers["webhook-id"]
    assert verified["subject"] == {"type": "product", "id": product.id}
    # Tampering is detected by the same library.
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(hook["secret"]).verify(got.body + b" ", got.headers)

    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=partner.admin_h).json
    (entry,) = log["items"]
    assert entry["status"] == "succeeded" and entry["event_id"] == verified["id"]
    assert entry["attempts"][0]["status_code"] == 200 and entry["attempt_count"] == 1
    # Nothing more is due.
    assert jobs.deliver_due(app) == 0


def test_failures_back_off_give_up_after_the_window_and_disable_the_webhook(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    db_session: Session,
    partner: Partner,
    hook_receiver: Receiver,
) -> None:
    settings = get_state(app).settings
    hook = partner.subscribe(client, hook_receiver.url, "product.*")
    hook_receiver.answers = [500, 503, 500, 500]
    publish(client, auth, db_session)
    assert jobs.deliver_due(app) == 1
    (first,) = deliveries(db_session, hook["id"])
    assert first.status == DeliveryStatus.PENDING and first.last_status_code == 500
    wait = (first.next_attempt_at - utcnow()).total_seconds()
    base = settings.webhook_retry_base_seconds
    assert base * 0.75 <= wait <= base * 1.2
    assert jobs.deliver_due(app) == 0  # not due yet

    def come_due(**extra: Any) -> None:
        db_session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == first.id)
            .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1), **extra)
        )

    come_due()
    assert jobs.deliver_due(app) == 1
    (second,) = deliveries(db_session, hook["id"])
    wait = (second.next_attempt_at - utcnow()).total_seconds()
    assert second.attempt_count == 2 and base * 2 * 0.75 <= wait <= base * 2 * 1.2
    assert second.last_error == "answered 503"

    # Past the retry window (24 hours after it was made) the delivery is given up.
    come_due(created_at=utcnow() - dt.timedelta(hours=settings.webhook_retry_hours, minutes=1))
    assert jobs.deliver_due(app) == 1
    (given_up,) = deliveries(db_session, hook["id"])
    assert given_up.status == DeliveryStatus.FAILED and given_up.attempt_count == 3
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=partner.admin_h).json["active"]

    # Failing for 72 hours without a success disables it, and its admins are told.
    db_session.execute(
        update(Webhook)
        .where(Webhook.id == hook["id"])
        .values(failing_since=utcnow() - dt.timedelta(hours=settings.webhook_disable_after_hours))
    )
    publish(client, auth, db_session)
    assert jobs.deliver_due(app) == 1
    read = client.get(f"/v1/webhooks/{hook['id']}", headers=partner.admin_h)
    assert read.json["active"] is False and "72 hours" in read.json["disabled_reason"]
    told = db_session.scalars(
        select(Notification).where(Notification.user_id == partner.admin.id)
    ).all()
    assert [n.event.type for n in told] == ["webhook.disabled"]
    # While disabled, nothing is queued for it.
    publish(client, auth, db_session)
    assert all(d.status == DeliveryStatus.FAILED for d in deliveries(db_session, hook["id"]))

    # Enabled again, it receives new events.
    enabled = client.patch(
        f"/v1/webhooks/{hook['id']}",
        json={"active": True},
        headers={**partner.admin_h, "If-Match": read.headers["ETag"]},
    )
    assert enabled.status_code == 200 and enabled.json["failing_since"] is None
    publish(client, auth, db_session)
    assert jobs.deliver_due(app) == 1
    assert deliveries(db_session, hook["id"])[-1].status == DeliveryStatus.SUCCEEDED


def test_redelivery_sends_the_same_event_id_again(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    db_session: Session,
    partner: Partner,
    hook_receiver: Receiver,
) -> None:
    hook = partner.subscribe(client, hook_receiver.url, "product.published")
    publish(client, auth, db_session)
    jobs.deliver_due(app)
    done = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=partner.admin_h).json
    original = done["items"][0]
    url = f"/v1/webhooks/{hook['id']}/deliveries/{original['id']}/redeliver"
    again = client.post(url, headers=partner.admin_h)
    assert again.status_code == 202 and again.json["redelivery_of_id"] == original["id"]
    assert again.json["status"] == "pending" and again.json["event_id"] == original["event_id"]
    jobs.deliver_due(app)
    first, second = hook_receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == original["event_id"]
    assert json.loads(first.body) == json.loads(second.body)
    other = partner.subscribe(client, hook_receiver.url, "*")
    assert_problem(
        client.post(
            f"/v1/webhooks/{other['id']}/deliveries/{original['id']}/redeliver",
            headers=partner.admin_h,
        ),
        404,
    )


def test_a_webhook_receives_what_its_organisation_may_see(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    db_session: Session,
    partner: Partner,
    hook_receiver: Receiver,
) -> None:
    hook = partner.subscribe(client, hook_receiver.url, "order.*", "product.*")
    product = ProductFactory()
    _, buyer_h = auth.as_role(Role.BUYER)
    placed = place_order(client, product.business_id, product.id, buyer_h)
    assert placed.status_code == 201
    # Someone else's order is not the partner's business; the stock change is public.
    assert [d.event.type for d in deliveries(db_session, hook["id"])] == ["product.updated"]


def test_who_may_manage_webhooks(
    client: FlaskClient, auth: Auth, partner: Partner, hook_receiver: Receiver
) -> None:
    body = {"organization_id": partner.org.id, "url": hook_receiver.url, "event_types": ["*"]}
    member, member_h = auth.as_role(Role.PARTNER)
    member_of(partner.org, member)
    assert_problem(client.post("/v1/webhooks", json=body, headers=member_h), 403)
    _, stranger_h = auth.as_role(Role.PARTNER)
    assert_problem(client.post("/v1/webhooks", json=body, headers=stranger_h), 403)
    hook = partner.subscribe(client, hook_receiver.url, "*")
    assert_problem(client.get(f"/v1/webhooks/{hook['id']}", headers=stranger_h), 404)
    assert client.get("/v1/webhooks", headers=stranger_h).json["items"] == []
    assert_problem(client.delete(f"/v1/webhooks/{hook['id']}", headers=member_h), 404)

    # The organisation's key with webhooks:write manages its own webhooks only.
    key = client.post(
        f"/v1/organizations/{partner.org.id}/api-keys",
        json={"name": "integrasi", "scopes": ["webhooks:read", "webhooks:write"]},
        headers=partner.admin_h,
    ).json["secret"]
    key_h = {"X-API-Key": key}
    assert [h["id"] for h in client.get("/v1/webhooks", headers=key_h).json["items"]] == [
        hook["id"]
    ]
    assert client.post("/v1/webhooks", json=body, headers=key_h).status_code == 201
    elsewhere = OrganizationFactory()
    member_of(elsewhere, partner.admin, MemberRole.ADMIN)
    assert_problem(
        client.post("/v1/webhooks", json={**body, "organization_id": elsewhere.id}, headers=key_h),
        404,
    )
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=key_h).status_code == 204
    assert_problem(client.get(f"/v1/webhooks/{hook['id']}", headers=partner.admin_h), 404)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.7/hook", "private"),
        ("https://10.0.0.7/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.7]/hook", "private"),
        ("https://0.0.0.0/hook", "private"),
        ("https://100.64.0.1/hook", "private"),
        ("https://224.0.0.1/hook", "private"),
        ("ftp://example.id/hook", "https"),
        ("https://user:pw@8.8.8.8/hook", "Credentials"),
        ("http://8.8.8.8/hook", "https"),
        ("https://no-such-host.invalid/hook", "resolved"),
        ("https://8.8.8.8:99999/hook", "valid"),
        # IPv6 forms that carry an IPv4 address (issue 20, finding 8).
        ("https://[::127.0.0.1]/hook", "private"),  # IPv4-compatible
        ("https://[::8.8.8.8]/hook", "private"),  # deprecated form: never
        ("https://[64:ff9b::7f00:1]/hook", "private"),  # NAT64 of 127.0.0.1
        ("https://[64:ff9b::a9fe:a9fe]/hook", "private"),  # NAT64 of 169.254.169.254
        ("https://[64:ff9b:1::808:808]/hook", "private"),  # local-use NAT64
        ("https://[2002:7f00:1::]/hook", "private"),  # 6to4 of 127.0.0.1
        ("https://[2002:a00:7::1]/hook", "private"),  # 6to4 of 10.0.0.7
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "private"),  # Teredo
        ("https://[fec0::1]/hook", "private"),  # site-local
    ],
)
def test_addresses_that_could_reach_inside_are_refused(
    client: FlaskClient, partner: Partner, url: str, why: str
) -> None:
    made = client.post(
        "/v1/webhooks",
        json={"organization_id": partner.org.id, "url": url, "event_types": ["*"]},
        headers=partner.admin_h,
    )
    problem = assert_problem(made, 422)
    assert why in problem["errors"]["url"][0]


def test_ipv6_forms_of_public_ipv4_addresses_are_judged_by_what_they_carry() -> None:
    """A NAT64 or 6to4 address of a public IPv4 host is called (an IPv6-only server reaches
    IPv4 receivers through NAT64)."""
    for host in ("64:ff9b::808:808", "2002:808:808::1"):
        target = netguard.resolve(f"https://[{host}]/hook")
        assert target.addresses == (ipaddress.ip_address(host),)


def test_the_address_is_checked_again_when_connecting(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session, partner: Partner
) -> None:
    """A host that resolved to a public address when subscribed may point inside later (DNS
    rebinding): the delivery is refused without connecting."""
    hook = partner.subscribe(client, "http://127.0.0.1:9/never", "product.*")
    db_session.execute(
        update(Webhook).where(Webhook.id == hook["id"]).values(url="http://10.0.0.7/x")
    )
    publish(client, auth, db_session)
    jobs.deliver_due(app)
    (attempt,) = deliveries(db_session, hook["id"])[0].attempts
    assert attempt.status_code is None and attempt.error.startswith("refused: ")
    assert "private" in attempt.error
    with pytest.raises(netguard.Refused):
        netguard.resolve("http://localhost:8080/", allowed=())


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://8.8.8.8/", "event_types": []},
        {"url": "https://8.8.8.8/", "event_types": ["Product"]},
        {"url": "https://8.8.8.8/", "event_types": ["*"], "secret": "mine"},
        {"url": "x" * 501, "event_types": ["*"]},
    ],
)
def test_bad_subscriptions_are_refused(
    client: FlaskClient, partner: Partner, body: dict[str, Any]
) -> None:
    made = client.post(
        "/v1/webhooks", json={"organization_id": partner.org.id, **body}, headers=partner.admin_h
    )
    assert_problem(made, 422)


def test_signatures_match_the_standard(app: Flask) -> None:
    secret = webhook_service.new_secret()
    body = b'{"id":"evt_1"}'
    signature = webhook_service.sign(secret, "evt_1", 1_700_000_000, body)
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": signature,
    }
    wh = standardwebhooks.Webhook(secret)
    assert wh.sign("evt_1", dt.datetime.fromtimestamp(1_700_000_000, dt.UTC), body.decode()) == (
        signature
    )
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        wh.verify(body, headers)  # too old: receivers refuse replays beyond 5 minutes


def test_the_log_says_why_an_attempt_failed(hook_receiver: Receiver) -> None:
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    allowed = netguard.networks("127.0.0.1/32")
    refused = netguard.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=2, allowed=allowed)
    assert refused.status_code is None and refused.error is not None
    assert refused.error.startswith("could not connect") and "refused" in refused.error.lower()
    hook_receiver.hang_once = 3
    slow = netguard.post(hook_receiver.url, b"{}", {}, timeout=1, allowed=allowed)
    assert slow.status_code is None and slow.error == "timed out"
    hook_receiver.answers = [418]
    teapot = netguard.post(hook_receiver.url, b"{}", {}, timeout=2, allowed=allowed)
    assert teapot.status_code == 418 and teapot.error is None


def test_a_hung_jobs_redis_delays_no_request_and_is_logged_once(
    app: Flask,
    database_url: str,
    connection: Connection,
    auth: Auth,
    db_session: Session,
    partner: Partner,
    hung_redis: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Deliveries stay in the database (a sweep queues them when Redis is back)."""
    with app_with(database_url, connection, jobs_backend="rq", jobs_redis_url=hung_redis) as rq:
        client = rq.test_client()
        hook = partner.subscribe(client, "http://127.0.0.1:9/never", "product.*")
        for _ in range(3):
            started = time.monotonic()
            publish(client, auth, db_session)
            assert time.monotonic() - started < 3
    assert len(deliveries(db_session, hook["id"])) == 3
    outage = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage) == 1 and not [r for r in caplog.records if r.exc_info]
