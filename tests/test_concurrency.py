"""Real parallel requests on PostgreSQL: one winner for a stale If-Match, one row per key.

These tests commit for real (the races need separate connections), so they use their own
app bound to the test database and remove what they made.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from api import create_app
from api.models import IdempotencyRecord, Organization, Role, User
from api.services import auth as auth_service
from api.state import get_state
from tests.conftest import TEST_SETTINGS

pytestmark = pytest.mark.postgres


@pytest.fixture
def live_app(app: Flask, database_url: str) -> Iterator[Flask]:
    live = create_app({**TEST_SETTINGS, "database_url": database_url, "db_pool_size": 10})
    yield live
    get_state(live).engine.dispose()


@pytest.fixture
def partner(live_app: Flask) -> Iterator[tuple[User, dict[str, str]]]:
    state = get_state(live_app)
    with state.new_session() as session:
        user = User(
            name="Partner Balapan",
            email=f"race-{uuid.uuid4().hex[:8]}@example.id",
            role=Role.PARTNER,
            password_hash="x",
        )
        session.add(user)
        session.flush()
        tokens = auth_service.open_session(session, security=state.security, user=user)
        session.commit()
    yield user, {"Authorization": f"Bearer {tokens.access_token}"}
    with state.new_session() as session:
        session.execute(delete(Organization).where(Organization.created_by_id == user.id))
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope == user.id))
        session.execute(delete(User).where(User.id == user.id))
        session.commit()


def in_parallel(count: int, call: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_duplicates_with_one_key_make_one_row(
    live_app: Flask, partner: tuple[User, dict[str, str]]
) -> None:
    _, headers = partner
    body = {"name": f"PT Paralel {uuid.uuid4().hex[:6]}", "kind": "csr_company"}
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}

    def post(_: int) -> tuple[int, Any]:
        response = live_app.test_client().post("/v1/organizations", json=body, headers=keyed)
        return response.status_code, response.get_json()

    results = in_parallel(8, post)
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    assert 201 in statuses
    ids = {payload["id"] for status, payload in results if status == 201}
    assert len(ids) == 1
    with get_state(live_app).new_session() as session:
        made = session.scalar(
            select(func.count()).select_from(Organization).where(Organization.name == body["name"])
        )
    assert made == 1


def test_two_updates_with_the_same_etag_one_wins(
    live_app: Flask, partner: tuple[User, dict[str, str]]
) -> None:
    _, headers = partner
    client = live_app.test_client()
    created = client.post(
        "/v1/organizations", json={"name": "PT Awal", "kind": "csr_company"}, headers=headers
    )
    url = f"/v1/organizations/{created.json['id']}"
    etag = created.headers["ETag"]

    def patch(i: int) -> int:
        # Distinct names: a no-op update changes nothing, so a second one may rightly pass.
        response = live_app.test_client().patch(
            url,
            json={"name": f"PT Pemenang {i} {uuid.uuid4().hex[:6]}"},
            headers={**headers, "If-Match": etag},
        )
        return response.status_code

    for _ in range(3):  # a few rounds, each from a fresh ETag
        statuses = in_parallel(4, patch)
        assert sorted(statuses).count(200) == 1, statuses
        assert set(statuses) <= {200, 412}, statuses
        etag = client.get(url).headers["ETag"]
