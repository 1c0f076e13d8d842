"""The caller's own account: ETags, If-Match, refused fields, languages."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.models import Role, User
from tests.conftest import Auth
from tests.factories import UserFactory
from tests.helpers import assert_problem


def test_get_me_has_an_etag_and_if_none_match_gives_304(client: FlaskClient, auth: Auth) -> None:
    user, headers = auth.as_role(Role.ALUMNA)
    first = client.get("/v1/me", headers=headers)
    assert first.status_code == 200 and first.json["id"] == user.id
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get("/v1/me", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert client.get("/v1/me", headers={**headers, "If-None-Match": '"other"'}).status_code == 200


def test_get_me_needs_a_token(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/me"), 401, "authentication_required")


def test_patch_me_requires_a_current_if_match(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.ALUMNA, name="Euis")
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    assert_problem(client.patch("/v1/me", json={"name": "Euis K"}, headers=headers), 428)
    stale = {**headers, "If-Match": '"0000"'}
    assert_problem(client.patch("/v1/me", json={"name": "Euis K"}, headers=stale), 412)
    ok = client.patch(
        "/v1/me",
        json={"name": "Euis Kurniasih", "phone": "0813 1122 3302", "locale": "en"},
        headers={**headers, "If-Match": etag},
    )
    assert ok.status_code == 200, ok.json
    # A new phone is stored once verified by its code (tests/test_identity.py).
    assert ok.json["phone"] == user.phone and ok.json["locale"] == "en"
    assert ok.headers["ETag"] != etag
    db_session.expire_all()
    stored = db_session.get(User, user.id)
    assert stored is not None and stored.name == "Euis Kurniasih"
    # The old ETag is now stale.
    again = client.patch("/v1/me", json={"name": "X"}, headers={**headers, "If-Match": etag})
    assert_problem(again, 412, "precondition_failed")


def test_patch_me_refuses_fields_the_caller_may_not_set(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user, headers = auth.as_role(Role.BUYER, name="Maya")
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    for field, value in (
        ("role", "admin"),
        ("id", "usr_x"),
        ("verified", True),
        ("owner_id", "usr_x"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("password_hash", "x"),
    ):
        response = client.patch(
            "/v1/me", json={"name": "Changed", field: value}, headers={**headers, "If-Match": etag}
        )
        problem = assert_problem(response, 422, "validation_failed")
        assert field in problem["errors"]
    db_session.expire_all()
    stored = db_session.get(User, user.id)
    assert stored is not None and stored.role == Role.BUYER and stored.name == "Maya"
    empty = client.patch("/v1/me", json={}, headers={**headers, "If-Match": etag})
    assert_problem(empty, 422)


def test_patch_me_reveals_no_account_and_keeps_one_identifier(
    client: FlaskClient, auth: Auth
) -> None:
    UserFactory(email="taken@example.id")
    _, headers = auth.as_role(Role.BUYER, email="me@example.id", phone=None)
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    taken = client.patch(
        "/v1/me", json={"email": "taken@example.id"}, headers={**headers, "If-Match": etag}
    )
    # Stored only once verified by a code; another account's address gets none.
    assert taken.status_code == 200 and taken.json["email"] == "me@example.id"
    etag = taken.headers["ETag"]
    none_left = client.patch("/v1/me", json={"email": None}, headers={**headers, "If-Match": etag})
    assert "email" in assert_problem(none_left, 422)["errors"]


def test_errors_speak_indonesian_when_asked(client: FlaskClient, auth: Auth) -> None:
    _, headers = auth.as_role(Role.BUYER)
    etag = client.get("/v1/me", headers=headers).headers["ETag"]
    response = client.patch(
        "/v1/me",
        json={"role": "admin", "name": ""},
        headers={**headers, "If-Match": etag, "Accept-Language": "id-ID,id;q=0.9,en;q=0.5"},
    )
    problem = assert_problem(response, 422)
    assert problem["title"] == "Validasi gagal"
    assert response.headers["Content-Language"] == "id"
    assert problem["errors"]["role"] == ["Kolom tidak dikenal atau tidak boleh diisi."]
    assert problem["errors"]["name"] == ["Panjang harus antara 1 dan 100."]
    english = client.get("/v1/nowhere", headers={"Accept-Language": "en"})
    assert assert_problem(english, 404)["title"] == "Not found"
    default = client.get("/v1/nowhere", headers={"Accept-Language": "fr"})
    assert assert_problem(default, 404)["title"] == "Not found"
