"""Idempotency-Key: replays, different bodies, scope, in-progress, release, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.errors import Conflict
from api.http import idempotency
from api.models import IdempotencyRecord, Message, Organization, Role, User
from tests.conftest import Auth
from tests.helpers import assert_problem

ORGS = "/v1/organizations"
BODY = {"name": "PT Idempoten", "kind": "csr_company"}


def org_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Organization)) or 0


def test_same_key_same_body_replays_and_creates_nothing_new(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    _, headers = auth.as_role(Role.PARTNER)
    keyed = {**headers, "Idempotency-Key": "3f1c7a52-0d8e-4b5e-9a51-1c2d3e4f5a6b"}
    first = client.post(ORGS, json=BODY, headers=keyed)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    count = org_count(db_session)
    # The same JSON with other key order and spacing is the same request.
    second = client.post(
        ORGS,
        data='{ "kind": "csr_company",  "name": "PT Idempoten" }',
        content_type="application/json",
        headers=keyed,
    )
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == first.json
    assert second.headers["ETag"] == first.headers["ETag"]
    assert org_count(db_session) == count


def test_same_key_other_body_is_422(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    _, headers = auth.as_role(Role.PARTNER)
    keyed = {**headers, "Idempotency-Key": "key-1"}
    assert client.post(ORGS, json=BODY, headers=keyed).status_code == 201
    count = org_count(db_session)
    other = client.post(ORGS, json={**BODY, "name": "PT Lain"}, headers=keyed)
    assert_problem(other, 422, "idempotency_key_reused")
    assert org_count(db_session) == count


def test_keys_are_scoped_to_the_caller(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    _, first = auth.as_role(Role.PARTNER)
    _, second = auth.as_role(Role.PARTNER)
    a = client.post(ORGS, json=BODY, headers={**first, "Idempotency-Key": "shared"})
    b = client.post(ORGS, json=BODY, headers={**second, "Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers and a.json["id"] != b.json["id"]


def test_anonymous_registration_replays(client: FlaskClient, db_session: Session) -> None:
    body = {"phone": "081299998888", "password": "rahasia-123", "name": "Ade", "role": "alumna"}
    headers = {"Idempotency-Key": "reg-ade-1"}
    first = client.post("/v1/auth/register", json=body, headers=headers)
    again = client.post("/v1/auth/register", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    # The replay sent no second code.
    codes = db_session.scalar(
        select(func.count()).select_from(Message).where(Message.recipient == "+6281299998888")
    )
    assert codes == 1


def test_authentication_is_checked_before_the_key(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """401 and 403 come before anything about the Idempotency-Key (the contract's order), and
    a caller who may not call the operation claims no key."""
    body = {"phone": "081299997777", "password": "rahasia-123", "name": "Ade", "role": "alumna"}
    shared = {"Idempotency-Key": "shared-key-1"}
    assert client.post("/v1/auth/register", json=body, headers=shared).status_code < 400
    records = db_session.scalar(select(func.count()).select_from(IdempotencyRecord))
    assert_problem(client.post(ORGS, json=BODY, headers=shared), 401)
    assert_problem(client.post(ORGS, json=BODY, headers={"Idempotency-Key": "fresh"}), 401)
    _, alumna = auth.as_role(Role.ALUMNA)
    refused = client.post(
        "/v1/categories", json={"name": "x"}, headers={**alumna, "Idempotency-Key": "k-2"}
    )
    assert_problem(refused, 403, "role_not_allowed")
    assert db_session.scalar(select(func.count()).select_from(IdempotencyRecord)) == records


def _fingerprint(app: Flask, headers: dict[str, str]) -> str:
    with app.test_request_context(ORGS, method="POST", json=BODY, headers=headers):
        return idempotency._fingerprint()


def _claimed(
    app: Flask, session: Session, user: User, headers: dict[str, str], *, token: str, lock: int
) -> IdempotencyRecord:
    """A key held by an earlier request whose lock ends ``lock`` seconds from now."""
    now = dt.datetime.now(dt.UTC)
    record = IdempotencyRecord(
        scope=user.id,
        key=headers["Idempotency-Key"],
        request_hash=_fingerprint(app, headers),
        method="POST",
        path=ORGS,
        claim_token=token,
        locked_until=now + dt.timedelta(seconds=lock),
        expires_at=now + dt.timedelta(days=7),
    )
    session.add(record)
    session.flush()
    return record


def test_a_key_still_running_is_409_and_an_abandoned_one_is_taken_over(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.PARTNER)
    keyed = {**headers, "Idempotency-Key": "slow"}
    now = dt.datetime.now(dt.UTC)
    record = _claimed(app, db_session, user, keyed, token="t" * 32, lock=30)
    count = org_count(db_session)
    busy = client.post(ORGS, json=BODY, headers=keyed)
    assert_problem(busy, 409, "idempotency_key_in_progress")
    assert busy.headers["Retry-After"] == "1"
    assert org_count(db_session) == count
    # The first request died (its lock ran out and nothing of it committed): run it now.
    record.locked_until = now - dt.timedelta(seconds=1)
    db_session.flush()
    taken = client.post(ORGS, json=BODY, headers=keyed)
    assert taken.status_code == 201 and org_count(db_session) == count + 1
    replay = client.post(ORGS, json=BODY, headers=keyed)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == taken.json


def test_a_failed_request_frees_its_key(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    _, headers = auth.as_role(Role.PARTNER)
    keyed = {**headers, "Idempotency-Key": "retry-me"}
    assert_problem(client.post(ORGS, json={"name": "X", "kind": "csr_company"}, headers=keyed), 422)
    assert db_session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    assert client.post(ORGS, json=BODY, headers=keyed).status_code == 201


def test_expired_keys_start_afresh(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.PARTNER)
    keyed = {**headers, "Idempotency-Key": "old"}
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    db_session.add(
        IdempotencyRecord(
            scope=user.id,
            key="old",
            request_hash="0" * 64,
            method="POST",
            path=ORGS,
            claim_token="t" * 32,
            completed=True,
            response_status=201,
            response_body="{}",
            locked_until=long_ago,
            created_at=long_ago,
            expires_at=long_ago + dt.timedelta(days=7),
        )
    )
    db_session.flush()
    response = client.post(ORGS, json=BODY, headers=keyed)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


def test_keys_are_kept_seven_days(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    _, headers = auth.as_role(Role.PARTNER)
    client.post(ORGS, json=BODY, headers={**headers, "Idempotency-Key": "week"})
    record = db_session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "week"))
    assert record is not None and record.completed
    assert record.expires_at - record.created_at >= dt.timedelta(days=7)


def test_invalid_keys_are_400(client: FlaskClient, auth: Auth) -> None:
    _, headers = auth.as_role(Role.PARTNER)
    for key in ("", "k" * 256, "spasi di tengah", "kunci-é"):
        response = client.post(ORGS, json=BODY, headers={**headers, "Idempotency-Key": key})
        assert_problem(response, 400, "invalid_idempotency_key")


def test_a_request_that_outlived_its_claim_cannot_complete_or_release(
    app: Flask, client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.PARTNER)
    keyed = {**headers, "Idempotency-Key": "fenced"}
    record = _claimed(app, db_session, user, keyed, token="old-holder", lock=-1)
    assert client.post(ORGS, json=BODY, headers=keyed).status_code == 201  # taken over
    stale = idempotency.Claim(record.id, "old-holder")
    with app.test_request_context(ORGS, method="POST"):
        with pytest.raises(Conflict):
            idempotency.complete(stale, Response("{}", status=201))
        idempotency.release(stale)
    db_session.expire_all()
    kept = db_session.get(IdempotencyRecord, record.id)
    assert kept is not None and kept.completed and kept.claim_token != "old-holder"
