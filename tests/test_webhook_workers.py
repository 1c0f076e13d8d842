"""Webhooks delivered for real, with committed data in a database of their own: by the
embedded default's thread (no Redis), and by RQ workers on the real Redis, one of them killed
in the middle of a delivery (nothing is lost; the receiver deduplicates by event id)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from api import create_app, jobs
from api.migrate import upgrade
from api.models import (
    Availability,
    Business,
    BusinessStatus,
    Category,
    DeliveryStatus,
    MemberRole,
    Membership,
    Organization,
    Product,
    ProductStatus,
    Region,
    RegionLevel,
    Role,
    User,
    WebhookDelivery,
)
from api.services import auth as auth_service
from api.state import get_state
from tests.conftest import TEST_DATABASE_URL, TEST_SETTINGS
from tests.helpers import REDIS_URL
from tests.webhook_receiver import receiver

pytestmark = pytest.mark.slow  # worker processes, one killed mid-delivery

ROOT = Path(__file__).resolve().parent.parent
VILLAGE = "32.75.11.1004"


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database for this test alone: PostgreSQL when the suite runs on it."""
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgres"):
        from api.config import normalize_database_url

        base = make_url(normalize_database_url(TEST_DATABASE_URL))
        name = f"berdaya_hooks_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = base.set(database=name).render_as_string(hide_password=False)
            upgrade(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'hooks.sqlite3'}"
        upgrade(url)
        yield url


def settings_for(url: str, **extra: Any) -> dict[str, Any]:
    return {**TEST_SETTINGS, "database_url": url, "webhook_timeout_seconds": 2, **extra}


def seed(app: Flask, hook_url: str) -> dict[str, Any]:
    """A CSR company whose admin subscribes a webhook, and an alumna with a draft product."""
    state = get_state(app)
    with state.new_session() as session:
        for code, level in (
            ("32", RegionLevel.PROVINCE),
            ("32.75", RegionLevel.REGENCY),
            ("32.75.11", RegionLevel.DISTRICT),
            (VILLAGE, RegionLevel.VILLAGE),
        ):
            parent = code.rsplit(".", 1)[0] if "." in code else None
            session.add(Region(code=code, name=code, level=level, kind="", parent_code=parent))
        partner = User(name="Mitra", email="mitra@example.id", role=Role.PARTNER, password_hash="x")
        alumna = User(name="Bu Rina", email="rina@example.id", role=Role.ALUMNA, password_hash="x")
        org = Organization(name="PT Mitra", kind="csr_company")
        session.add_all([partner, alumna, org])
        session.flush()
        session.add(Membership(organization_id=org.id, user_id=partner.id, role=MemberRole.ADMIN))
        category = session.scalar(select(Category.id).where(Category.slug == "snacks-cakes"))
        business = Business(
            owner_id=alumna.id,
            name="Dapur Bu Rina",
            slug="dapur-bu-rina",
            category_id=category,
            village_code=VILLAGE,
            district_code="32.75.11",
            regency_code="32.75",
            status=BusinessStatus.ACTIVE,
        )
        session.add(business)
        session.flush()
        product = Product(
            business_id=business.id,
            name="Kue nastar",
            slug="kue-nastar",
            category_id=category,
            price_idr=85000,
            unit="toples",
            availability=Availability.PRE_ORDER,
            lead_days=2,
            status=ProductStatus.DRAFT,
        )
        session.add(product)
        partner_tokens = auth_service.open_session(session, security=state.security, user=partner)
        alumna_tokens = auth_service.open_session(session, security=state.security, user=alumna)
        session.commit()
        ids = {"org": org.id, "product": product.id}
    client = app.test_client()
    made = client.post(
        "/v1/webhooks",
        json={"organization_id": ids["org"], "url": hook_url, "event_types": ["product.*"]},
        headers={"Authorization": f"Bearer {partner_tokens.access_token}"},
    )
    assert made.status_code == 201, made.json
    return {
        **ids,
        "webhook": made.json,
        "alumna": {"Authorization": f"Bearer {alumna_tokens.access_token}"},
    }


def publish(app: Flask, seeded: dict[str, Any]) -> None:
    answer = app.test_client().post(
        f"/v1/products/{seeded['product']}/publish", headers=seeded["alumna"]
    )
    assert answer.status_code == 200, answer.json


def test_the_embedded_default_delivers_from_a_thread_without_redis(own_database: str) -> None:
    app = create_app(settings_for(own_database, jobs_backend="thread"))
    try:
        with receiver() as got:
            seeded = seed(app, got.url)
            publish(app, seeded)
            (arrived,) = got.wait_for(1, timeout=15)
            event = standardwebhooks.Webhook(seeded["webhook"]["secret"]).verify(
                arrived.body, arrived.headers
            )
            assert event["type"] == "product.published"
    finally:
        jobs.stop(app)  # its database is dropped next: no thread left polling it
        get_state(app).engine.dispose()


def worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BERDAYA_ENV": "testing",
        "DATABASE_URL": url,
        "JOBS_BACKEND": "rq",
        "JOBS_REDIS_URL": REDIS_URL,
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_SWEEP_SECONDS": "1",
        "WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
    }
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "webhooks-worker"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.redis
def test_rq_workers_lose_nothing_when_one_is_killed_mid_delivery(
    own_database: str, tmp_path: Path, exclusive_redis: None
) -> None:
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is required at {REDIS_URL}")
    connection.flushdb()
    app = create_app(settings_for(own_database, jobs_backend="rq", jobs_redis_url=REDIS_URL))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with receiver() as got:
            seeded = seed(app, got.url)
            got.hang_once = 30  # the first attempt never gets an answer in time
            first = worker(own_database, tmp_path / "worker-1.log")
            workers.append(first)
            publish(app, seeded)
            got.wait_for(1, timeout=30)
            os.kill(first.pid, signal.SIGKILL)  # killed while waiting for the receiver
            first.wait(10)
            workers.append(worker(own_database, tmp_path / "worker-2.log"))
            received = got.wait_for(2, timeout=40)
            ids = {r.headers["webhook-id"] for r in received}
            assert len(ids) == 1  # the same event: the receiver keeps it once
            secret = seeded["webhook"]["secret"]
            for r in received:
                standardwebhooks.Webhook(secret).verify(r.body, r.headers)
            deadline = time.monotonic() + 20
            while True:
                with get_state(app).new_session() as session:
                    delivery = session.scalar(select(WebhookDelivery))
                    assert delivery is not None
                    if delivery.status == DeliveryStatus.SUCCEEDED or time.monotonic() > deadline:
                        attempts = [(a.status_code, a.error) for a in delivery.attempts]
                        break
                time.sleep(0.2)
            assert delivery.status == DeliveryStatus.SUCCEEDED, (
                tmp_path / "worker-2.log"
            ).read_text()
            assert delivery.attempt_count == 2
            assert attempts == [(None, "interrupted: the worker stopped"), (200, None)]
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        get_state(app).engine.dispose()
        connection.flushdb()
