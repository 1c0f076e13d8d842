"""Identity by one-time codes: registration that reveals nothing, verified phones, password reset,
sign-in by code, recovery with a facilitator, and the messages they send (the outbox)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api import create_app
from api.db import utcnow
from api.models import (
    AuditEntry,
    AuthSession,
    Channel,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    Message,
    OneTimeCode,
    Program,
    Role,
    RosterEntry,
    StaffRegion,
    User,
)
from api.services.codes import CodePolicy
from api.services.messaging import Messenger, OutboxProvider
from tests.conftest import TEST_SETTINGS, Auth
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_problem, outbox, outbox_code

REGISTER = "/v1/auth/register"
RESET = "/v1/auth/password-reset"
NEW = {"password": "rahasia-baru-1", "name": "Ibu Sari", "role": "alumna"}


def users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def login(client: FlaskClient, phone: str, password: str) -> Any:
    return client.post("/v1/auth/login", json={"phone": phone, "password": password})


# -- registration ------------------------------------------------------------------------------


def test_register_verify_then_sign_in(client: FlaskClient, db_session: Session) -> None:
    before = users(db_session)
    sent = client.post(REGISTER, json={**NEW, "phone": "0857-1111-2222", "locale": "en"})
    assert sent.status_code == 202 and sent.json == {"channel": "sms", "expires_in": 600}
    # No account until the code is entered; the code is kept only as a keyed hash.
    assert users(db_session) == before
    code = outbox_code(client, "+6285711112222")
    [message] = outbox(client, "+6285711112222")
    assert message["locale"] == "en" and message["body"].startswith("Your Berdaya code")
    stored = db_session.scalars(select(OneTimeCode)).one()
    assert code not in stored.code_hash and code not in str(stored.payload)
    assert_problem(login(client, "085711112222", NEW["password"]), 401)

    made = client.post(REGISTER + "/confirm", json={"phone": "085711112222", "code": code})
    assert made.status_code == 201, made.json
    assert made.json["phone"] == "+6285711112222" and made.json["phone_verified_at"]
    assert made.json["code_sign_in"] is False
    tokens = login(client, "085711112222", NEW["password"])
    assert tokens.status_code == 200
    me = client.get("/v1/me", headers=bearer(tokens.json))
    assert me.json["id"] == made.json["id"]
    # The code was single use.
    again = client.post(REGISTER + "/confirm", json={"phone": "085711112222", "code": code})
    assert_problem(again, 422, "invalid_code")


def test_registration_by_email_verifies_the_email(client: FlaskClient) -> None:
    sent = client.post(REGISTER, json={**NEW, "email": "sari@example.id"})
    assert sent.status_code == 202 and sent.json["channel"] == "email"
    code = outbox_code(client, "sari@example.id")
    made = client.post(REGISTER + "/confirm", json={"email": "sari@example.id", "code": code})
    assert made.status_code == 201
    assert made.json["email_verified_at"] and made.json["phone_verified_at"] is None


def test_a_duplicate_registration_learns_nothing_and_the_owner_is_told(
    client: FlaskClient, db_session: Session
) -> None:
    owner = UserFactory(phone="+6285722223333", email="owner@example.id", locale="id")
    before = users(db_session)
    taken = client.post(REGISTER, json={**NEW, "phone": "0857-2222-3333"})
    fresh = client.post(REGISTER, json={**NEW, "phone": "0857-2222-4444"})
    assert (taken.status_code, taken.json) == (fresh.status_code, fresh.json)
    assert taken.headers.get("Content-Type") == fresh.headers.get("Content-Type")
    # The owner is told, in her language; no code goes out for her number.
    [notice] = outbox(client, "+6285722223333")
    assert notice["template"] == "account.exists" and "sudah punya akun" in notice["body"]
    assert db_session.scalar(select(Message.user_id).where(Message.id == notice["id"])) == (
        owner.id
    )
    by_email = client.post(REGISTER, json={**NEW, "email": "OWNER@example.id"})
    assert (by_email.status_code, by_email.json) == (202, {"channel": "email", "expires_in": 600})
    assert [m["template"] for m in outbox(client, "owner@example.id")] == ["account.exists"]
    # Guessing a code for the taken number is the same refusal as any wrong code.
    for code in ("000000", "123456"):
        assert_problem(
            client.post(REGISTER + "/confirm", json={"phone": "085722223333", "code": code}),
            422,
            "invalid_code",
        )
    assert users(db_session) == before
    assert db_session.get(User, owner.id).name == owner.name  # type: ignore[union-attr]


def test_a_number_nobody_verified_goes_to_who_proves_she_holds_it(
    client: FlaskClient, db_session: Session
) -> None:
    squatter = UserFactory(phone="+6285733334444", email="squat@example.id")
    squatter.phone_verified_at = None
    db_session.flush()
    client.post(REGISTER, json={**NEW, "phone": "085733334444"})
    code = outbox_code(client, "+6285733334444")
    made = client.post(REGISTER + "/confirm", json={"phone": "085733334444", "code": code})
    assert made.status_code == 201 and made.json["phone"] == "+6285733334444"
    db_session.refresh(squatter)
    assert squatter.phone is None and squatter.email == "squat@example.id"


# -- wrong and expired codes, limits -----------------------------------------------------------


def test_wrong_and_expired_codes(client: FlaskClient, db_session: Session) -> None:
    client.post(REGISTER, json={**NEW, "phone": "085744445555"})
    code = outbox_code(client, "+6285744445555")
    wrong = "000000" if code != "000000" else "111111"
    body = {"phone": "085744445555", "code": wrong}
    problem = assert_problem(client.post(REGISTER + "/confirm", json=body), 422, "invalid_code")
    assert "code" in problem["errors"]
    assert_problem(client.post(REGISTER + "/confirm", json={**body, "code": "12a456"}), 422)
    in_indonesian = client.post(
        REGISTER + "/confirm", json=body, headers={"Accept-Language": "id"}
    ).json
    assert (in_indonesian["title"], in_indonesian["errors"]["code"]) == (
        "Kode salah",
        ["Kode salah atau kedaluwarsa; minta kode baru."],
    )
    # Expired: the right code no longer works.
    db_session.execute(update(OneTimeCode).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db_session.flush()
    late = client.post(REGISTER + "/confirm", json={**body, "code": code})
    assert_problem(late, 422, "invalid_code")


def test_the_fifth_wrong_try_kills_the_code(client: FlaskClient) -> None:
    client.post(REGISTER, json={**NEW, "phone": "085755556666"})
    code = outbox_code(client, "+6285755556666")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        body = {"phone": "085755556666", "code": wrong}
        assert_problem(client.post(REGISTER + "/confirm", json=body), 422, "invalid_code")
    right = client.post(REGISTER + "/confirm", json={"phone": "085755556666", "code": code})
    assert_problem(right, 422, "invalid_code")


def test_codes_are_limited_per_number_whether_or_not_it_has_an_account(
    client: FlaskClient,
) -> None:
    UserFactory(phone="+6285766667777")
    for phone in ("085766667777", "085766668888"):
        for _ in range(3):
            assert client.post(RESET, json={"phone": phone}).status_code == 202
        limited = client.post(RESET, json={"phone": phone})
        problem = assert_problem(limited, 429, "code_send_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 15 * 60 + 1
        assert problem["code"] == "code_send_limited"
    # Registration counts against the same number.
    assert_problem(client.post(REGISTER, json={**NEW, "phone": "085766668888"}), 429)


def test_codes_are_limited_per_network_address(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.resources.auth.UNIFORM_SECONDS", 0.0)  # 120 answers, no waits
    for n in range(CodePolicy.sends_per_address):
        assert client.post(RESET, json={"phone": f"0857700{n:05d}"}).status_code == 202
    assert_problem(client.post(RESET, json={"phone": "085779999999"}), 429, "code_send_limited")
    # Another address is not affected.
    other = client.post(
        RESET, json={"phone": "085779999999"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert other.status_code == 202


def test_wrong_codes_are_limited_per_number(client: FlaskClient) -> None:
    body = {"phone": "085788889999", "code": "000000", "new_password": "baru-sekali-1"}
    for _ in range(10):
        assert_problem(client.post(RESET + "/confirm", json=body), 422, "invalid_code")
    limited = client.post(RESET + "/confirm", json=body)
    assert_problem(limited, 429, "code_attempts_limited")
    assert int(limited.headers["Retry-After"]) >= 1


# -- password reset ----------------------------------------------------------------------------


def test_reset_by_code_revokes_every_session(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory(phone="+6285790001111", role=Role.ALUMNA)
    first = login(client, "+6285790001111", PASSWORD).json
    second = login(client, "+6285790001111", PASSWORD).json
    assert client.post(RESET, json={"phone": "0857-9000-1111"}).json["channel"] == "sms"
    code = outbox_code(client, "+6285790001111")
    done = client.post(
        RESET + "/confirm",
        json={"phone": "085790001111", "code": code, "new_password": "kata-sandi-baru"},
    )
    assert done.status_code == 204, done.json
    for tokens in (first, second):
        assert_problem(client.get("/v1/me", headers=bearer(tokens)), 401, "invalid_token")
        refresh = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert_problem(refresh, 401)
    assert_problem(login(client, "+6285790001111", PASSWORD), 401)
    assert login(client, "+6285790001111", "kata-sandi-baru").status_code == 200
    templates = [m["template"] for m in outbox(client, "+6285790001111")]
    assert templates == ["password.changed", "code.password_reset"]
    assert db_session.get(User, user.id).password_changed_at is not None  # type: ignore[union-attr]


def test_an_email_verified_by_code_receives_reset_codes(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.ALUMNA, email="dewi@example.id")
    user.email_verified_at = None  # added later, never proved
    db_session.flush()
    assert client.post(RESET, json={"email": "dewi@example.id"}).status_code == 202
    assert outbox(client, "dewi@example.id") == []
    assert (
        client.post("/v1/me/email-verification", json={}, headers=headers).json["channel"]
        == "email"
    )
    code = outbox_code(client, "dewi@example.id")
    url = "/v1/me/email-verification/confirm"
    done = client.post(url, json={"code": code}, headers=headers)
    assert done.status_code == 200 and done.json["email_verified_at"]
    client.post(RESET, json={"email": "dewi@example.id"})
    reset = outbox(client, "dewi@example.id")[0]
    assert reset["template"] == "code.password_reset" and reset["channel"] == "email"


def test_changing_the_email_reverifies_and_reveals_nothing(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    UserFactory(email="taken@example.id")
    _user, headers = auth.as_role(Role.BUYER, email="me@example.id")
    answers = []
    for email in ("taken@example.id", "new@example.id"):
        etag = client.get("/v1/me", headers=headers).headers["ETag"]
        changed = client.patch(
            "/v1/me", json={"email": email}, headers={**headers, "If-Match": etag}
        )
        answers.append((changed.status_code, changed.json["email"]))
    assert answers == [(200, "me@example.id"), (200, "me@example.id")]
    assert outbox(client, "taken@example.id") == []
    code = outbox_code(client, "new@example.id")
    done = client.post("/v1/me/email-verification/confirm", json={"code": code}, headers=headers)
    assert done.status_code == 200, done.json
    assert done.json["email"] == "new@example.id" and done.json["email_verified_at"]


def test_reset_reveals_nothing_and_needs_a_verified_number(
    client: FlaskClient, db_session: Session
) -> None:
    unverified = UserFactory(phone="+6285790002222")
    unverified.phone_verified_at = None
    db_session.flush()
    answers = [
        client.post(RESET, json={"phone": phone})
        for phone in ("085790002222", "085790003333")  # unverified, nobody
    ]
    assert {(a.status_code, str(a.json)) for a in answers} == {
        (202, str({"channel": "sms", "expires_in": 600}))
    }
    assert outbox(client, "+6285790002222") == [] and outbox(client, "+6285790003333") == []


# -- verified phones and roster matches ---------------------------------------------------------


def _cohort(session: Session, facilitator: User | None = None) -> Cohort:
    program = Program(name=f"Program {utcnow().timestamp()}")
    session.add(program)
    session.flush()
    cohort = Cohort(
        program_id=program.id,
        name="Angkatan 2023",
        year=2023,
        region_code="32.75",
        facilitator_ids=[facilitator.id] if facilitator else [],
    )
    session.add(cohort)
    session.flush()
    return cohort


def test_roster_matches_need_a_verified_phone(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    cohort = _cohort(db_session)
    db_session.add(
        RosterEntry(
            cohort_id=cohort.id,
            name="Ibu Ani",
            phone="+6285791112222",
            village_code="32.75.11.1004",
        )
    )
    # Someone registered her number long ago and never proved it.
    alumna, headers = auth.as_role(Role.ALUMNA, phone="+6285791112222")
    alumna.phone_verified_at = None
    db_session.flush()
    refused = client.get("/v1/me/roster-matches", headers=headers)
    assert_problem(refused, 403, "phone_not_verified")
    claim = client.post("/v1/graduate-claims", json={"cohort_id": cohort.id}, headers=headers)
    assert claim.status_code == 201 and claim.json["matched"] is False

    assert client.post("/v1/me/phone-verification", json={}, headers=headers).status_code == 202
    code = outbox_code(client, "+6285791112222")
    done = client.post("/v1/me/phone-verification/confirm", json={"code": code}, headers=headers)
    assert done.status_code == 200 and done.json["phone_verified_at"]
    matches = client.get("/v1/me/roster-matches", headers=headers)
    assert [c["id"] for c in matches.json["items"]] == [cohort.id]


def test_changing_the_phone_reverifies_before_it_is_stored(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    _user, headers = auth.as_role(Role.ALUMNA, phone="+6285792223333")
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    changed = client.patch(
        "/v1/me", json={"phone": "0857-9222-4444"}, headers={**headers, "If-Match": etag}
    )
    assert changed.status_code == 200 and changed.json["phone"] == "+6285792223333"
    code = outbox_code(client, "+6285792224444")
    wrong = "000000" if code != "000000" else "111111"
    url = "/v1/me/phone-verification/confirm"
    assert_problem(client.post(url, json={"code": wrong}, headers=headers), 422, "invalid_code")
    done = client.post(url, json={"code": code}, headers=headers)
    assert done.json["phone"] == "+6285792224444" and done.json["phone_verified_at"]
    # A number another account verified is never sent a code, and the answer is the same.
    UserFactory(phone="+6285792225555")
    other = client.post(
        "/v1/me/phone-verification", json={"phone": "085792225555"}, headers=headers
    )
    assert other.status_code == 202 and outbox(client, "+6285792225555") == []


# -- sign-in by code ---------------------------------------------------------------------------


def test_sign_in_by_code_is_her_choice(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.ALUMNA, phone="+6285793334444")
    ask = {"phone": "085793334444"}
    assert client.post("/v1/auth/sign-in-code", json=ask).status_code == 202
    assert outbox(client, "+6285793334444") == []  # not turned on: nothing sent
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    turned = client.patch(
        "/v1/me", json={"code_sign_in": True}, headers={**headers, "If-Match": etag}
    )
    assert turned.status_code == 200 and turned.json["code_sign_in"] is True
    assert client.post("/v1/auth/sign-in-code", json=ask).status_code == 202
    code = outbox_code(client, "+6285793334444")
    tokens = client.post("/v1/auth/sign-in-code/confirm", json={**ask, "code": code})
    assert tokens.status_code == 200, tokens.json
    assert client.get("/v1/me", headers=bearer(tokens.json)).json["id"] == user.id
    again = client.post("/v1/auth/sign-in-code/confirm", json={**ask, "code": code})
    assert_problem(again, 422, "invalid_code")


def test_a_sign_in_code_does_not_open_a_suspended_account(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Suspension through moderation deletes her codes; one still there (suspended by hand in
    the database, or a race with the suspension) is refused at confirm, no session opened."""
    user, _ = auth.as_role(Role.ALUMNA, phone="+6285793336666")
    user.code_sign_in = True
    db_session.flush()
    ask = {"phone": "085793336666"}
    assert client.post("/v1/auth/sign-in-code", json=ask).status_code == 202
    code = outbox_code(client, "+6285793336666")
    sessions = db_session.scalar(select(func.count()).select_from(AuthSession))
    user.suspended_at = utcnow()
    db_session.flush()
    refused = client.post("/v1/auth/sign-in-code/confirm", json={**ask, "code": code})
    assert_problem(refused, 403, "account_suspended")
    assert db_session.scalar(select(func.count()).select_from(AuthSession)) == sessions


def test_sign_in_by_code_needs_a_verified_phone(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.ALUMNA, phone="+6285793335555")
    user.phone_verified_at = None
    db_session.flush()
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    refused = client.patch(
        "/v1/me", json={"code_sign_in": True}, headers={**headers, "If-Match": etag}
    )
    assert_problem(refused, 422, "phone_not_verified")


# -- recovery with a facilitator -----------------------------------------------------------------


def _graduate(session: Session, auth: Auth) -> tuple[User, User, dict[str, str]]:
    facilitator, fac_h = auth.as_role(Role.FACILITATOR, name="Ibu Ratna")
    woman = UserFactory(role=Role.ALUMNA, phone="+6285794445555", email="wati@example.id")
    cohort = _cohort(session, facilitator)
    session.add(GraduateClaim(user_id=woman.id, cohort_id=cohort.id, status=ClaimStatus.VERIFIED))
    session.flush()
    return woman, facilitator, fac_h


def test_recovery_to_her_new_number(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    woman, facilitator, fac_h = _graduate(db_session, auth)
    old = login(client, "+6285794445555", PASSWORD).json
    started = client.post(
        "/v1/account-recoveries",
        json={"user_id": woman.id, "phone": "0857-9444-6666"},
        headers=fac_h,
    )
    assert started.status_code == 201, started.json
    assert started.json["delivery"] == "sms" and started.json["code"] is None
    code = outbox_code(client, "+6285794446666")
    # She is told on every verified channel (her lost number too).
    assert [m["template"] for m in outbox(client, "+6285794445555")] == ["recovery.started"]
    assert [m["template"] for m in outbox(client, "wati@example.id")] == ["recovery.started"]
    assert "Ibu Ratna" in outbox(client, "wati@example.id")[0]["body"]
    done = client.post(
        RESET + "/confirm",
        json={"phone": "085794446666", "code": code, "new_password": "sandi-baru-saya"},
    )
    assert done.status_code == 204, done.json
    db_session.refresh(woman)
    assert woman.phone == "+6285794446666" and woman.phone_verified_at is not None
    assert_problem(client.get("/v1/me", headers=bearer(old)), 401)
    assert login(client, "085794446666", "sandi-baru-saya").status_code == 200
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == woman.id).order_by(AuditEntry.seq)
    ).all()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("account.recovery_started", facilitator.id),
        ("account.recovered", woman.id),
    ]
    assert entries[0].data["facilitator_id"] == facilitator.id
    assert entries[1].data == {"facilitator_id": facilitator.id}
    assert "+62857944" not in str([e.data for e in entries])


def test_recovery_with_a_code_handed_to_the_facilitator(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    woman, _facilitator, fac_h = _graduate(db_session, auth)
    started = client.post("/v1/account-recoveries", json={"user_id": woman.id}, headers=fac_h)
    assert started.status_code == 201 and started.json["delivery"] == "facilitator"
    code = started.json["code"]
    assert len(code) == 6 and code.isdigit()
    assert [m["template"] for m in outbox(client, "+6285794445555")] == ["recovery.started"]
    done = client.post(
        RESET + "/confirm",
        json={"phone": "085794445555", "code": code, "new_password": "sandi-baru-saya"},
    )
    assert done.status_code == 204
    assert login(client, "085794445555", "sandi-baru-saya").status_code == 200


def test_a_suspended_account_is_not_recovered_nor_reset_by_an_earlier_code(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    woman, _facilitator, fac_h = _graduate(db_session, auth)
    handed = client.post("/v1/account-recoveries", json={"user_id": woman.id}, headers=fac_h)
    assert handed.status_code == 201
    password_hash = woman.password_hash
    woman.suspended_at = utcnow()  # as moderation suspends her (services.moderation)
    db_session.flush()
    codes_before = db_session.scalar(select(func.count()).select_from(OneTimeCode))
    refused = client.post("/v1/account-recoveries", json={"user_id": woman.id}, headers=fac_h)
    assert_problem(refused, 403, "her_account_suspended")
    assert db_session.scalar(select(func.count()).select_from(OneTimeCode)) == codes_before
    # The code handed to her before the suspension no longer sets a password.
    late = client.post(
        RESET + "/confirm",
        json={"phone": "085794445555", "code": handed.json["code"], "new_password": "sandi-baru"},
    )
    assert_problem(late, 422, "invalid_code")
    db_session.expire_all()
    assert db_session.get(User, woman.id).password_hash == password_hash


def test_recovery_is_refused_out_of_scope_and_for_staff(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    woman, facilitator, fac_h = _graduate(db_session, auth)
    _stranger, stranger_h = auth.as_role(Role.FACILITATOR)
    body = {"user_id": woman.id}
    assert_problem(client.post("/v1/account-recoveries", json=body, headers=stranger_h), 404)
    _alumna, alumna_h = auth.as_role(Role.ALUMNA)
    assert_problem(client.post("/v1/account-recoveries", json=body, headers=alumna_h), 403)
    # A facilitator who is also on a cohort's graduate list is still staff.
    staff = UserFactory(role=Role.FACILITATOR)
    cohort = _cohort(db_session, facilitator)
    db_session.add(
        GraduateClaim(user_id=staff.id, cohort_id=cohort.id, status=ClaimStatus.VERIFIED)
    )
    db_session.flush()
    refused = client.post("/v1/account-recoveries", json={"user_id": staff.id}, headers=fac_h)
    assert_problem(refused, 403, "recovery_not_for_staff")
    assert db_session.scalar(select(func.count()).select_from(OneTimeCode)) == 0


# -- the outbox ---------------------------------------------------------------------------------


def test_codes_are_masked_in_the_outbox_outside_development(db_session: Session) -> None:
    class Seen:
        name = "seen"
        batches: list[Any] = []

        def dispatch(self, messages: list[Any]) -> None:
            self.batches.append(messages)

    provider = Seen()
    messenger = Messenger(provider, development=False)
    message = messenger.send(
        db_session,
        template="code.sign_in",
        channel=Channel.SMS,
        recipient="+6285795556666",
        locale="id",
        params={"code": "482913", "minutes": 10},
        secret=True,
    )
    assert "482913" not in message.body and "******" in message.body
    assert provider.batches == []  # nothing leaves before the transaction commits


def test_the_outbox_provider_logs_codes_only_in_development(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from api.services.messaging import Outgoing

    outgoing = Outgoing("msg_1", Channel.SMS, "+62857", "id", "code.sign_in", "Kode 482913", True)
    notice = Outgoing(
        "msg_2", Channel.EMAIL, "siti@example.id", "id", "recovery.started", "Ibu Rina", False
    )
    with caplog.at_level("INFO", logger="berdaya.messaging"):
        OutboxProvider(development=False).dispatch([outgoing, notice])
        assert "482913" not in caplog.text
        # nor her number, her address or the notice's words (the facilitator's name)
        assert "+62857" not in caplog.text and "siti@" not in caplog.text
        assert "Ibu Rina" not in caplog.text and "msg_1 sms code.sign_in stored" in caplog.text
        OutboxProvider(development=True).dispatch([outgoing])
        assert "482913" in caplog.text


def test_the_outbox_endpoint_is_404_outside_development(database_url: str) -> None:
    app: Flask = create_app(
        {
            **TEST_SETTINGS,
            "env": "production",
            "secret_key": "s" * 48,
            "password_hash_profile": "owasp",
            "public_base_url": "https://berdaya.example.id",
            "database_url": database_url,
        }
    )
    response = app.test_client().get("/v1/dev/outbox")
    assert_problem(response, 404)


# -- shared and missing phones in rosters ---------------------------------------------------------


def test_shared_and_missing_phones_in_rosters(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    facilitator, fac_h = auth.as_role(Role.FACILITATOR)
    cohort = _cohort(db_session, facilitator)
    roster = (
        "name,phone,village_code\n"
        "Ibu Ani,0857-9600-0001,32.75.11.1004\n"
        "Ibu Ina,0857 9600 0001,32.75.11.1004\n"  # the household's one phone
        "Ibu Tanpa HP,,32.75.11.1004\n"  # no phone at all
    )
    report = client.post(
        f"/v1/cohorts/{cohort.id}/roster?dry_run=false",
        data={"file": (io.BytesIO(roster.encode()), "roster.csv")},
        content_type="multipart/form-data",
        headers=fac_h,
    )
    assert report.status_code == 200, report.json
    assert (report.json["created"], report.json["invalid"]) == (3, [])
    assert report.json["flagged"] == [
        {"line": 3, "flag": "shared_phone", "phone": "+6285796000001", "same_as_line": 2},
        {"line": 4, "flag": "missing_phone"},
    ]
    listed = client.get(f"/v1/cohorts/{cohort.id}/roster", headers=fac_h).json["items"]
    rows = {r["name"]: r for r in listed}
    assert rows["Ibu Ani"]["phone_shared"] and rows["Ibu Ina"]["phone_shared"]
    assert rows["Ibu Tanpa HP"]["phone"] is None and not rows["Ibu Tanpa HP"]["phone_shared"]

    # Ani's account has the household phone, verified: it is not enough to be matched.
    ani, ani_h = auth.as_role(Role.ALUMNA, phone="+6285796000001")
    assert client.get("/v1/me/roster-matches", headers=ani_h).json["items"] == []
    claim = client.post("/v1/graduate-claims", json={"cohort_id": cohort.id}, headers=ani_h)
    assert claim.json["matched"] is False
    # Her facilitator, who knows her, links her row to her account.
    link = f"/v1/cohorts/{cohort.id}/roster/{{}}/link"
    linked = client.post(
        link.format(rows["Ibu Ani"]["id"]), json={"user_id": ani.id}, headers=fac_h
    )
    assert linked.status_code == 200, linked.json
    assert (linked.json["id"], linked.json["matched"], linked.json["status"]) == (
        claim.json["id"],
        True,
        "verified",
    )
    entry = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "graduate_claim.linked")
    ).one()
    assert (entry.actor_id, entry.data["user_id"]) == (facilitator.id, ani.id)
    # Ina signs in by email (two accounts never share a verified phone); her row is linked too.
    ina = UserFactory(role=Role.ALUMNA, phone=None, email="ina@example.id")
    ina_h = auth.headers(ina)
    # Linking a woman who never said she graduated from the cohort is refused: else any
    # facilitator could make any alumna his graduate, then take her account by a recovery.
    unclaimed = client.post(
        link.format(rows["Ibu Ina"]["id"]), json={"user_id": ina.id}, headers=fac_h
    )
    assert_problem(unclaimed, 422, "validation_failed")
    assert "user_id" in unclaimed.json["errors"]
    recovery = client.post("/v1/account-recoveries", json={"user_id": ina.id}, headers=fac_h)
    assert_problem(recovery, 404)
    claimed = client.post("/v1/graduate-claims", json={"cohort_id": cohort.id}, headers=ina_h)
    assert claimed.status_code == 201, claimed.json
    taken = client.post(link.format(rows["Ibu Ani"]["id"]), json={"user_id": ina.id}, headers=fac_h)
    assert_problem(taken, 409, "roster_entry_linked")
    ok = client.post(link.format(rows["Ibu Ina"]["id"]), json={"user_id": ina.id}, headers=fac_h)
    assert ok.status_code == 200 and ok.json["status"] == "verified"
    _stranger, stranger_h = auth.as_role(Role.FACILITATOR)
    body = {"user_id": ina.id}
    assert_problem(
        client.post(link.format(rows["Ibu Tanpa HP"]["id"]), json=body, headers=stranger_h), 403
    )
    # Graduates counts keep all three, whatever their phones.
    admin, _ = auth.as_role(Role.ADMIN)
    db_session.add(StaffRegion(user_id=admin.id, region_code="32.75"))
    db_session.flush()
    stats = client.get(
        f"/v1/stats/cohort?program={cohort.program_id}", headers=auth.headers(admin)
    ).json
    assert {r["key"]: r for r in stats["items"]}[cohort.id]["graduates"] == 3


def test_housekeeping_deletes_spent_codes_and_old_messages(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    for phone in ("085797770001", "085797770002"):
        client.post(REGISTER, json={**NEW, "phone": phone})
    db_session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.destination == "+6285797770001")
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    db_session.execute(
        update(Message)
        .where(Message.recipient == "+6285797770001")
        .values(created_at=utcnow() - dt.timedelta(days=91))
    )
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["housekeeping"], catch_exceptions=False)
    assert "1 message(s) of that age and 1 spent one-time code(s) deleted" in result.output
    assert db_session.scalars(select(OneTimeCode.destination)).all() == ["+6285797770002"]
    assert db_session.scalars(select(Message.recipient)).all() == ["+6285797770002"]


def test_a_committed_message_reaches_the_log_in_development(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="berdaya.messaging"):
        client.post(REGISTER, json={**NEW, "phone": "085798880001"})
        code = outbox_code(client, "+6285798880001")
    assert f"sms to +6285798880001: Kode Berdaya Anda: {code}." in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="berdaya.messaging"):  # refused: nothing is sent
        client.post(REGISTER, json={**NEW, "phone": "085798880001", "role": "admin"})
    assert caplog.text == ""


def test_a_request_that_sends_a_code_then_fails_is_a_clean_refusal(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Found by Schemathesis: a new email (a code is queued) with code sign-in asked for on an
    unverified phone is refused; the queued message goes with the rollback, no 500."""
    _user, headers = auth.as_role(Role.ALUMNA, phone_verified_at=None)
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    refused = client.patch(
        "/v1/me",
        json={"email": "baru@example.id", "code_sign_in": True},
        headers={**headers, "If-Match": etag},
    )
    assert_problem(refused, 422, "phone_not_verified")
    assert outbox(client, "baru@example.id") == []
    # The next message of the same kind still reaches her once things are right.
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    sent = client.patch(
        "/v1/me", json={"email": "baru@example.id"}, headers={**headers, "If-Match": etag}
    )
    assert sent.status_code == 200, sent.json
    assert outbox(client, "baru@example.id")


def test_answers_that_hide_accounts_take_as_long_either_way(
    client: FlaskClient, db_session: Session
) -> None:
    """Found by the outside probe: a reset for an existing account wrote a code and a message
    and so answered later (7.6 against 5.3 ms). Those answers now wait for a floor."""
    import time

    from api.resources.auth import UNIFORM_SECONDS

    UserFactory(phone="+6285790002222", role=Role.ALUMNA)
    for path, body in (
        (RESET, {"phone": "0857-9000-2222"}),  # her account
        (RESET, {"phone": "0857-9000-3333"}),  # nobody's
        ("/v1/auth/sign-in-code", {"phone": "0857-9000-3333"}),
        (
            REGISTER,
            {
                "phone": "0857-9000-2222",
                "password": "rahasia-sekali",
                "name": "X",
                "role": "alumna",
            },
        ),
    ):
        started = time.monotonic()
        assert client.post(path, json=body).status_code == 202
        assert time.monotonic() - started >= UNIFORM_SECONDS
