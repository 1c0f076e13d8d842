"""The rules an outside probe found missing in training: no backdated events (their times are
what attendance, certificates and report hours rest on), hours within the event's span,
attendance only from the start until 7 days after the end, a walk-in found by her phone
answered without her name, no certificates for erased women, strict attendance entries, and no
PDF of a revoked certificate."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import Role, TrainingCertificate, TrainingEvent
from tests.conftest import Auth
from tests.helpers import assert_problem, error_fields
from tests.worlds import Training, event_body, iso

EVENTS = "/v1/training-events"


@pytest.fixture(name="training")
def _training(auth: Auth, client: FlaskClient) -> Training:
    return Training(auth, client)


def test_an_event_cannot_be_created_in_the_past(
    client: FlaskClient,
    training: Training,
) -> None:
    body = event_body(starts_in=-dt.timedelta(days=3), trainer_ids=[training.trainer.id])
    body["registration_opens_at"] = iso(utcnow() - dt.timedelta(days=10))
    body["registration_closes_at"] = body["starts_at"]
    refused = client.post(EVENTS, json=body, headers=training.mentor_h)
    assert assert_problem(refused, 422)["errors"]["starts_at"] == ["Must be in the future."]
    indonesian = client.post(
        EVENTS, json=body, headers={**training.mentor_h, "Accept-Language": "id"}
    )
    assert assert_problem(indonesian, 422)["errors"]["starts_at"] == ["Harus di masa depan."]


def test_hours_are_bounded_by_the_events_span(
    client: FlaskClient,
    training: Training,
) -> None:
    too_many = client.post(EVENTS, json=event_body(hours=40), headers=training.mentor_h)
    assert error_fields(assert_problem(too_many, 422)) == {"hours"}
    # 2 h 10 min rounds up to 3 hours.
    body = event_body(hours=3)
    body["ends_at"] = iso(dt.datetime.fromisoformat(body["starts_at"]) + dt.timedelta(minutes=130))
    assert client.post(EVENTS, json=body, headers=training.mentor_h).status_code == 201
    # A three-day training may count 24 hours.
    days = event_body(hours=24)
    days["ends_at"] = iso(dt.datetime.fromisoformat(days["starts_at"]) + dt.timedelta(days=3))
    made = client.post(EVENTS, json=days, headers=training.mentor_h)
    assert made.status_code == 201, made.get_json()
    url = f"{EVENTS}/{made.get_json()['id']}"
    etag = client.get(url, headers=training.mentor_h).headers["ETag"]
    shorter = {"ends_at": iso(dt.datetime.fromisoformat(days["starts_at"]) + dt.timedelta(hours=5))}
    patched = client.patch(url, json=shorter, headers={**training.mentor_h, "If-Match": etag})
    assert error_fields(assert_problem(patched, 422)) == {"hours"}


def test_a_start_is_not_moved_into_the_past_nor_a_started_events_times_changed(
    client: FlaskClient,
    training: Training,
    db_session: Session,
) -> None:
    event_id = training.create()["id"]
    url = f"{EVENTS}/{event_id}"

    def patch(changes: dict[str, str]) -> object:
        etag = client.get(url, headers=training.mentor_h).headers["ETag"]
        return client.patch(url, json=changes, headers={**training.mentor_h, "If-Match": etag})

    past = utcnow() - dt.timedelta(days=2)
    moved = patch({"starts_at": iso(past), "registration_opens_at": iso(past - dt.timedelta(1))})
    assert assert_problem(moved, 422)["errors"]["starts_at"] == ["Must be in the future."]
    training.started(event_id, db_session)
    event = db_session.get(TrainingEvent, event_id)
    assert event is not None
    event.registration_closes_at = event.starts_at
    db_session.flush()
    later = patch({"ends_at": iso(utcnow() + dt.timedelta(hours=3))})
    assert_problem(later, 409, "event_started")
    assert patch({"title": "Pembukuan untuk UMKM"}).status_code == 200


def test_attendance_closes_a_week_after_the_end(
    client: FlaskClient,
    training: Training,
    db_session: Session,
) -> None:
    event_id = training.create()["id"]
    training.register(event_id, 0)
    event = db_session.get(TrainingEvent, event_id)
    assert event is not None
    event.starts_at = utcnow() - dt.timedelta(days=8, hours=2)
    event.ends_at = utcnow() - dt.timedelta(days=8)
    db_session.flush()
    late = client.post(
        f"{EVENTS}/{event_id}/attendance",
        json={"entries": [{"user_id": training.alumnae[0][0].id, "attended": True}]},
        headers=training.mentor_h,
    )
    assert_problem(late, 409, "attendance_closed")
    event.ends_at = utcnow() - dt.timedelta(days=6)
    db_session.flush()
    again = client.post(
        f"{EVENTS}/{event_id}/attendance",
        json={"entries": [{"user_id": training.alumnae[0][0].id, "attended": True}]},
        headers=training.mentor_h,
    )
    assert again.status_code == 200


def test_a_walk_in_found_by_phone_is_answered_without_her_name(
    client: FlaskClient,
    training: Training,
    db_session: Session,
    auth: Auth,
) -> None:
    event_id = training.create()["id"]
    training.register(event_id, 0)
    training.started(event_id, db_session)
    entries = [
        {"user_id": training.alumnae[0][0].id, "attended": True},
        {"phone": "0812-5550-003", "attended": True},
    ]
    recorded = client.post(
        f"{EVENTS}/{event_id}/attendance", json={"entries": entries}, headers=training.trainer_h
    )
    assert recorded.status_code == 200, recorded.get_json()
    registered, walk_in = recorded.get_json()["items"]
    assert registered["name"] == "Ibu Peserta 0" and registered["walk_in"] is False
    assert walk_in == {
        "entry": 1,
        "registration_id": None,
        "user_id": None,
        "name": None,
        "phone": "0812****0003",
        "walk_in": True,
        "attended": True,
        "status": "confirmed",
    }
    assert "Ibu Peserta 3" not in recorded.get_data(as_text=True)
    roll = client.get(f"{EVENTS}/{event_id}/registrations", headers=training.trainer_h)
    assert "Ibu Peserta 3" not in roll.get_data(as_text=True)
    # An unknown number and a number that is not an alumna's are answered alike.
    auth.as_role(Role.BUYER, name="Pak Pembeli", phone="+6281255509999")
    asked = [
        {"phone": "081255509999", "attended": True},
        {"phone": "081255508888", "attended": True},
    ]
    refused = assert_problem(
        client.post(
            f"{EVENTS}/{event_id}/attendance", json={"entries": asked}, headers=training.trainer_h
        ),
        422,
    )
    errors = refused["errors"]
    assert errors["entries.0.phone"] == errors["entries.1.phone"] == ["No alumna found."]


def test_attendance_entries_are_strict_and_each_woman_once(
    client: FlaskClient,
    training: Training,
    db_session: Session,
) -> None:
    event_id = training.create()["id"]
    training.started(event_id, db_session)
    url = f"{EVENTS}/{event_id}/attendance"
    yes = [{"user_id": training.alumnae[0][0].id, "attended": "yes"}]
    assert "entries.0.attended" in error_fields(
        assert_problem(client.post(url, json={"entries": yes}, headers=training.trainer_h), 422)
    )
    twice = [
        {"user_id": training.alumnae[0][0].id, "attended": True},
        {"phone": "0812-5550-000", "attended": False},
    ]
    refused = assert_problem(
        client.post(url, json={"entries": twice}, headers=training.trainer_h), 422
    )
    assert refused["errors"] == {"entries.1.phone": ["The same woman as an earlier entry."]}


def test_erased_women_get_no_certificate_and_revoked_ones_no_pdf(
    client: FlaskClient,
    training: Training,
    db_session: Session,
) -> None:
    event_id = training.create()["id"]
    training.register(event_id, 0)
    training.register(event_id, 1)
    training.started(event_id, db_session)
    came = [{"user_id": training.alumnae[i][0].id, "attended": True} for i in (0, 1)]
    url = f"{EVENTS}/{event_id}"
    assert client.post(f"{url}/attendance", json={"entries": came}, headers=training.trainer_h)
    erased = training.alumnae[1][0]
    erased.erased_at, erased.name = utcnow(), "Pengguna terhapus"
    db_session.flush()
    assert client.post(f"{url}/complete", headers=training.trainer_h).status_code == 200
    holders = {
        c.user_id for c in db_session.query(TrainingCertificate).filter_by(event_id=event_id)
    }
    assert holders == {training.alumnae[0][0].id}
    (mine,) = client.get("/v1/training-certificates", headers=training.alumnae[0][1]).get_json()[
        "items"
    ]
    revoked = client.post(
        f"/v1/training-certificates/{mine['id']}/revoke",
        json={"reason": "Salah orang"},
        headers=training.mentor_h,
    )
    assert revoked.status_code == 200
    pdf = client.get(f"/v1/training-certificates/{mine['id']}/pdf", headers=training.alumnae[0][1])
    assert_problem(pdf, 409, "certificate_revoked")
