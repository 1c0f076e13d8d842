"""Training events: who may publish, registration with a waitlist, cancellation and promotion,
attendance with walk-ins, completion and certificates (the PDF, its verification: valid,
unknown, revoked, withdrawn on erasure), messages, and the last seat taken twice at once."""

from __future__ import annotations

import datetime as dt
import io
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api import create_app
from api.db import utcnow
from api.models import (
    Event,
    IdempotencyRecord,
    Message,
    MessagingPreference,
    Notification,
    Organization,
    OrganizationKind,
    RegistrationStatus,
    Role,
    TrainingEvent,
    TrainingRegistration,
    User,
)
from api.models.messaging import Channel
from api.services import auth as auth_service
from api.state import get_state
from tests.conftest import TEST_SETTINGS, Auth
from tests.factories import OrganizationFactory, member_of
from tests.helpers import assert_problem, error_fields
from tests.worlds import NOW, Training, event_body, iso


@pytest.fixture
def training(auth: Auth, client: FlaskClient) -> Training:
    return Training(auth, client)


# -- publishing ------------------------------------------------------------------------------


def test_a_verified_universitys_mentor_publishes_and_anyone_reads_it(
    client: FlaskClient, training: Training, db_session: Session
) -> None:
    made = training.create()
    assert made["status"] == "scheduled" and made["organization_id"] == training.university.id
    assert made["seats_left"] == 2 and made["waitlisted"] == 0 and made["course_id"] is None
    assert made["regions"] == [{"code": "32.75", "name": "Kota Bekasi"}]
    read = client.get(f"/v1/training-events/{made['id']}")
    assert read.status_code == 200 and read.headers["ETag"]
    again = client.get(
        f"/v1/training-events/{made['id']}", headers={"If-None-Match": read.headers["ETag"]}
    )
    assert again.status_code == 304
    listed = client.get(
        "/v1/training-events", query_string={"region": "32.75.11", "upcoming": "true"}
    )
    assert [e["id"] for e in listed.get_json()["items"]] == [made["id"]]
    elsewhere = client.get("/v1/training-events", query_string={"region": "32.71"})
    assert elsewhere.get_json()["items"] == []
    published = db_session.scalar(
        select(Event).where(
            Event.subject_id == made["id"], Event.type == "training_event.published"
        )
    )
    assert published is not None and published.public


def test_who_may_publish(client: FlaskClient, training: Training, auth: Auth) -> None:
    lone_mentor_h = auth.as_role(Role.MENTOR)[1]
    refused = client.post("/v1/training-events", json=event_body(), headers=lone_mentor_h)
    assert_problem(refused, 403, "not_in_verified_organization")
    unverified = OrganizationFactory(kind=OrganizationKind.CSR_COMPANY, verified_at=None)
    partner, partner_h = auth.as_role(Role.PARTNER)
    member_of(unverified, partner)
    refused = client.post("/v1/training-events", json=event_body(), headers=partner_h)
    assert_problem(refused, 403, "not_in_verified_organization")
    alumna_h = training.alumnae[0][1]
    assert_problem(client.post("/v1/training-events", json=event_body(), headers=alumna_h), 403)
    staff = client.post("/v1/training-events", json=event_body(), headers=training.trainer_h)
    assert staff.status_code == 201 and staff.get_json()["organization_id"] is None


def test_bad_events_are_refused_field_by_field(client: FlaskClient, training: Training) -> None:
    body = event_body(
        ends_at=iso(NOW),
        place=None,
        trainer_ids=[training.alumnae[0][0].id],
        registration_closes_at=iso(NOW + dt.timedelta(days=30)),
    )
    problem = assert_problem(
        client.post("/v1/training-events", json=body, headers=training.mentor_h), 422
    )
    assert {"ends_at", "place", "trainer_ids.0", "registration_closes_at"} <= set(problem["errors"])
    huge = event_body(capacity=10**9, title="x" * 500, hours="2")
    problem = assert_problem(
        client.post("/v1/training-events", json=huge, headers=training.mentor_h), 422
    )
    assert {"capacity", "title", "hours"} <= error_fields(problem)


def test_an_event_delivers_a_published_course_only(client: FlaskClient, training: Training) -> None:
    h = training.mentor_h
    body = {
        "organization_id": training.university.id,
        "title": "Pembukuan warung",
        "topic": "bookkeeping",
        "level": "beginner",
    }
    course = client.post("/v1/courses", json=body, headers=h)
    assert course.status_code == 201, course.get_json()
    course_id = course.get_json()["id"]
    for named in (course_id, "crs_" + "0" * 26):  # a draft, and no course at all
        refused = client.post("/v1/training-events", json=event_body(course_id=named), headers=h)
        assert "course_id" in error_fields(assert_problem(refused, 422))
    module = client.post(f"/v1/courses/{course_id}/modules", json={"title": "Kas"}, headers=h)
    assert module.status_code == 201
    assert client.post(f"/v1/courses/{course_id}/publish", headers=h).status_code == 200
    made = training.create(course_id=course_id)
    assert made["course_id"] == course_id
    listed = client.get("/v1/training-events", query_string={"course": course_id})
    assert [e["id"] for e in listed.get_json()["items"]] == [made["id"]]


# -- registration ----------------------------------------------------------------------------


def test_registration_waitlist_cancellation_and_promotion(
    client: FlaskClient, training: Training, db_session: Session
) -> None:
    event_id = training.create()["id"]
    first = training.register(event_id, 0).get_json()
    second = training.register(event_id, 1).get_json()
    third = training.register(event_id, 2)
    assert third.status_code == 201
    assert (first["status"], second["status"]) == ("confirmed", "confirmed")
    assert third.get_json()["status"] == "waitlisted" and third.get_json()["position"] == 1
    fourth = training.register(event_id, 3).get_json()
    assert fourth["position"] == 2
    assert_problem(training.register(event_id, 0), 409, "already_registered")
    shown = client.get(f"/v1/training-events/{event_id}", headers=training.alumnae[0][1])
    body = shown.get_json()
    assert (body["seats_taken"], body["seats_left"], body["waitlisted"]) == (2, 0, 2)
    assert body["my_registration"] == {"id": first["id"], "status": "confirmed"}
    # Another alumna cannot cancel her seat; she can.
    url = f"/v1/training-registrations/{first['id']}/cancel"
    assert_problem(client.post(url, headers=training.trainer_h), 403)  # sees it, may not
    assert_problem(client.post(url, headers=training.alumnae[3][1]), 404)
    cancelled = client.post(url, headers=training.alumnae[0][1])
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    promoted = db_session.get(TrainingRegistration, third.get_json()["id"])
    assert promoted is not None and promoted.status == RegistrationStatus.CONFIRMED
    assert promoted.promoted_at is not None
    waiting = client.get(
        f"/v1/training-registrations/{fourth['id']}", headers=training.alumnae[3][1]
    )
    assert waiting.get_json()["position"] == 1
    note = db_session.scalar(
        select(Notification)
        .join(Event, Event.seq == Notification.event_seq)
        .where(
            Notification.user_id == training.alumnae[2][0].id,
            Event.type == "training_registration.promoted",
        )
    )
    assert note is not None
    assert_problem(client.post(url, headers=training.alumnae[0][1]), 409)
    # She may come back: to the end of the queue.
    back = training.register(event_id, 0).get_json()
    assert back["id"] == first["id"] and back["status"] == "waitlisted" and back["position"] == 2


def test_a_larger_capacity_seats_the_waitlist_in_order(
    client: FlaskClient, training: Training
) -> None:
    event_id = training.create(capacity=1)["id"]
    for who in range(3):
        training.register(event_id, who)
    read = client.get(f"/v1/training-events/{event_id}", headers=training.mentor_h)
    bigger = client.patch(
        f"/v1/training-events/{event_id}",
        json={"capacity": 2},
        headers={**training.mentor_h, "If-Match": read.headers["ETag"]},
    )
    assert bigger.status_code == 200, bigger.get_json()
    assert (bigger.get_json()["seats_taken"], bigger.get_json()["waitlisted"]) == (2, 1)
    read = client.get(f"/v1/training-events/{event_id}", headers=training.mentor_h)
    smaller = client.patch(
        f"/v1/training-events/{event_id}",
        json={"capacity": 1},
        headers={**training.mentor_h, "If-Match": read.headers["ETag"]},
    )
    assert_problem(smaller, 409, "capacity_below_registrations")
    assert_problem(
        client.patch(
            f"/v1/training-events/{event_id}", json={"capacity": 3}, headers=training.mentor_h
        ),
        428,
    )


def test_registration_window_and_roles(client: FlaskClient, training: Training) -> None:
    later = training.create(registration_opens_at=iso(NOW + dt.timedelta(days=1)))
    assert_problem(training.register(later["id"], 0), 409, "registration_closed")
    event_id = training.create()["id"]
    url = f"/v1/training-events/{event_id}/registrations"
    assert_problem(client.post(url), 401)
    assert_problem(client.post(url, headers=training.mentor_h), 403)
    assert_problem(
        client.post("/v1/training-events/tev_nope/registrations", headers=training.alumnae[0][1]),
        404,
    )
    cancel = client.post(
        f"/v1/training-events/{event_id}/cancel",
        json={"reason": "Hujan deras"},
        headers=training.mentor_h,
    )
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "cancelled"
    assert_problem(training.register(event_id, 0), 409, "event_not_scheduled")


def test_idempotent_registration_replays(client: FlaskClient, training: Training) -> None:
    event_id = training.create()["id"]
    headers = {**training.alumnae[0][1], "Idempotency-Key": str(uuid.uuid4())}
    url = f"/v1/training-events/{event_id}/registrations"
    first = client.post(url, headers=headers)
    again = client.post(url, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]


# -- attendance, completion, certificates -----------------------------------------------------


def _complete_with_certificates(
    client: FlaskClient, training: Training, db_session: Session
) -> tuple[str, list[dict[str, Any]]]:
    event_id = training.create()["id"]
    training.register(event_id, 0)
    training.register(event_id, 1)
    attendance = f"/v1/training-events/{event_id}/attendance"
    early = client.post(
        attendance,
        json={"entries": [{"user_id": training.alumnae[0][0].id, "attended": True}]},
        headers=training.trainer_h,
    )
    assert_problem(early, 409, "event_not_started")
    training.started(event_id, db_session)
    entries = [
        {"user_id": training.alumnae[0][0].id, "attended": True},
        {"user_id": training.alumnae[1][0].id, "attended": False},
        {"phone": "0812-5550-003", "attended": True},  # a walk-in, found by her phone
    ]
    recorded = client.post(attendance, json={"entries": entries}, headers=training.trainer_h)
    assert recorded.status_code == 200, recorded.get_json()
    items = recorded.get_json()["items"]
    assert [(i["attended"], i["walk_in"]) for i in items] == [
        (True, False),
        (False, False),
        (True, True),
    ]
    done = client.post(f"/v1/training-events/{event_id}/complete", headers=training.trainer_h)
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    certificates = client.get(
        f"/v1/training-events/{event_id}/certificates", headers=training.mentor_h
    ).get_json()["items"]
    return event_id, certificates


def test_attendance_completion_and_certificates(
    client: FlaskClient, training: Training, db_session: Session
) -> None:
    event_id, certificates = _complete_with_certificates(client, training, db_session)
    holders = {c["user_id"] for c in certificates}
    assert holders == {training.alumnae[0][0].id, training.alumnae[3][0].id}
    mine = client.get("/v1/training-certificates", headers=training.alumnae[0][1]).get_json()
    certificate = mine["items"][0]
    assert certificate["holder_name"] == "Ibu Peserta 0" and certificate["hours"] == 2
    pdf = client.get(
        f"/v1/training-certificates/{certificate['id']}/pdf", headers=training.alumnae[0][1]
    )
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    code = certificate["code"]
    grouped = "-".join(code[i : i + 4] for i in range(0, 12, 4))
    for expected in (
        "SERTIFIKAT",
        "Ibu Peserta 0",
        "Pembukuan sederhana untuk UMKM",
        "2 jam",
        grouped,
    ):
        assert expected in text, (expected, text)
    assert f"/v1/certificate-verifications/{code}" in text
    # Nobody else gets her certificate.
    other = client.get(
        f"/v1/training-certificates/{certificate['id']}/pdf", headers=training.alumnae[1][1]
    )
    assert_problem(other, 404)
    assert_problem(client.get(f"/v1/training-certificates/{certificate['id']}"), 401)
    # Completing twice, or attendance by a stranger, is refused.
    assert_problem(
        client.post(f"/v1/training-events/{event_id}/complete", headers=training.trainer_h), 409
    )
    stranger = client.post(
        f"/v1/training-events/{event_id}/attendance",
        json={"entries": [{"user_id": training.alumnae[1][0].id, "attended": True}]},
        headers=training.alumnae[0][1],
    )
    assert_problem(stranger, 403)


def test_verification_valid_unknown_and_revoked(
    client: FlaskClient, training: Training, db_session: Session
) -> None:
    _, certificates = _complete_with_certificates(client, training, db_session)
    certificate = next(c for c in certificates if c["user_id"] == training.alumnae[0][0].id)
    code = certificate["code"]
    checked = client.get(f"/v1/certificate-verifications/{code.lower()[:4]}-{code[4:8]}-{code[8:]}")
    assert checked.status_code == 200
    body = checked.get_json()
    assert body == {
        "code": code,
        "status": "valid",
        "valid": True,
        "holder_name": "Ibu Peserta 0",
        "title": "Pembukuan sederhana untuk UMKM",
        "hours": 2,
        "held_on": certificate["held_on"],
        "issuer_name": "Universitas Mustika",
        "revoked_at": None,
    }
    assert "phone" not in checked.get_data(as_text=True)
    assert_problem(client.get("/v1/certificate-verifications/AAAAAAAAAAAA"), 404)
    assert_problem(client.get("/v1/certificate-verifications/" + "Z" * 300), 404)
    revoke = f"/v1/training-certificates/{certificate['id']}/revoke"
    assert_problem(
        client.post(revoke, json={"reason": "Salah orang"}, headers=training.trainer_h), 403
    )
    assert_problem(
        client.post(revoke, json={"reason": "Salah orang"}, headers=training.alumnae[0][1]), 403
    )
    revoked = client.post(revoke, json={"reason": "Salah orang"}, headers=training.mentor_h)
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    body = client.get(f"/v1/certificate-verifications/{code}").get_json()
    assert body["status"] == "revoked" and body["valid"] is False and body["revoked_at"]
    assert_problem(
        client.post(revoke, json={"reason": "Salah orang"}, headers=training.mentor_h), 409
    )


def test_a_late_correction_on_a_completed_event(
    client: FlaskClient, training: Training, db_session: Session
) -> None:
    event_id, _ = _complete_with_certificates(client, training, db_session)
    attendance = f"/v1/training-events/{event_id}/attendance"
    entries = [
        {"user_id": training.alumnae[1][0].id, "attended": True},
        {"user_id": training.alumnae[0][0].id, "attended": False},
    ]
    # After completion a correction issues and revokes certificates: the organiser's, as
    # revoking is, not a trainer's.
    by_trainer = client.post(attendance, json={"entries": entries}, headers=training.trainer_h)
    assert_problem(by_trainer, 403)
    read = client.get(f"/v1/training-events/{event_id}", headers=training.trainer_h)
    assert "record_attendance" not in read.get_json()["allowed_actions"]

    def certificates() -> dict[str, tuple[str, str]]:
        return {
            c["user_id"]: (c["status"], c["code"])
            for c in client.get(
                f"/v1/training-events/{event_id}/certificates", headers=training.mentor_h
            ).get_json()["items"]
        }

    before = certificates()
    assert (
        client.post(attendance, json={"entries": entries}, headers=training.mentor_h).status_code
        == 200
    )
    now = certificates()
    assert now[training.alumnae[1][0].id][0] == "valid"
    assert now[training.alumnae[0][0].id] == ("revoked", before[training.alumnae[0][0].id][1])
    # Marked present again, she has the same certificate back (its code unchanged).
    back = [{"user_id": training.alumnae[0][0].id, "attended": True}]
    assert (
        client.post(attendance, json={"entries": back}, headers=training.mentor_h).status_code
        == 200
    )
    assert certificates()[training.alumnae[0][0].id] == before[training.alumnae[0][0].id]
    nobody = client.post(
        attendance,
        json={"entries": [{"phone": "081299990000", "attended": True}]},
        headers=training.mentor_h,
    )
    assert "entries.0.phone" in assert_problem(nobody, 422)["errors"]
    both = client.post(
        attendance,
        json={"entries": [{"phone": "081299990000", "user_id": "usr_x", "attended": True}]},
        headers=training.mentor_h,
    )
    assert_problem(both, 422)
    too_many = [{"user_id": "usr_x", "attended": True}] * 201
    assert_problem(
        client.post(attendance, json={"entries": too_many}, headers=training.mentor_h), 422
    )


def test_messages_for_confirmed_promoted_and_certificate(
    client: FlaskClient, training: Training, db_session: Session
) -> None:
    for alumna, _ in training.alumnae:
        alumna.locale = "id"  # what is addressed to her is in her language
        db_session.add(
            MessagingPreference(
                user_id=alumna.id,
                channel=Channel.WHATSAPP,
                opted_in_at=utcnow(),
                notice_version="2026-12",
                events=[
                    "training.registration_confirmed",
                    "training.promoted",
                    "training.certificate_issued",
                ],
            )
        )
    db_session.flush()
    event_id = training.create(capacity=1)["id"]
    first = training.register(event_id, 0).get_json()
    training.register(event_id, 1)
    client.post(f"/v1/training-registrations/{first['id']}/cancel", headers=training.alumnae[0][1])
    training.started(event_id, db_session)
    client.post(
        f"/v1/training-events/{event_id}/attendance",
        json={"entries": [{"user_id": training.alumnae[1][0].id, "attended": True}]},
        headers=training.trainer_h,
    )
    client.post(f"/v1/training-events/{event_id}/complete", headers=training.trainer_h)

    def texts(user: User) -> list[str]:
        return [
            m.body
            for m in db_session.scalars(
                select(Message).where(Message.user_id == user.id).order_by(Message.created_at)
            )
        ]

    assert any("Anda mendapat kursi" in t for t in texts(training.alumnae[0][0]))
    second = texts(training.alumnae[1][0])
    assert any("Ada kursi kosong" in t for t in second), second
    assert any("Sertifikat Anda" in t for t in second), second


def test_completing_draws_no_pdf_her_first_download_draws_and_keeps_it(
    client: FlaskClient, training: Training, db_session: Session, app_media: Any
) -> None:
    """Completing writes what each certificate states, not its PDF (drawing one takes about
    0.15 s: completing a workshop for 20 women took 2.3 s); her first download draws it and
    keeps it, the next ones read what was kept."""
    _, certificates = _complete_with_certificates(client, training, db_session)
    private = app_media.with_name(app_media.name + "-private") / "certificates"
    assert certificates and not [p for c in certificates for p in private.glob(f"{c['id']}/*")]
    user, headers = training.alumnae[0]
    mine = next(c for c in certificates if c["user_id"] == user.id)
    url = f"/v1/training-certificates/{mine['id']}/pdf"
    first = client.get(url, headers=headers)
    assert first.status_code == 200 and first.data.startswith(b"%PDF-")
    (kept,) = private.glob(f"{mine['id']}/*.pdf")
    assert kept.read_bytes() == first.data
    kept.write_bytes(b"%PDF-1.4 as kept")
    assert client.get(url, headers=headers).data == b"%PDF-1.4 as kept"
    # Those who run the event download it too; it is drawn once.
    assert client.get(url, headers=training.mentor_h).data == b"%PDF-1.4 as kept"


def test_export_and_erasure_of_her_training(
    client: FlaskClient, training: Training, db_session: Session, app_media: Any
) -> None:
    _, certificates = _complete_with_certificates(client, training, db_session)
    user, headers = training.alumnae[0]
    copy = client.get("/v1/me/export", headers=headers).get_json()
    assert [c["code"] for c in copy["training_certificates"]] == [
        c["code"] for c in certificates if c["user_id"] == user.id
    ]
    assert copy["training_registrations"][0]["attended"] is True
    mine = [c for c in certificates if c["user_id"] == user.id]
    pdf = f"/v1/training-certificates/{mine[0]['id']}/pdf"
    assert client.get(pdf, headers=headers).status_code == 200
    files = list((app_media.with_name(app_media.name + "-private") / "certificates").rglob("*.pdf"))
    ours = [f for f in files if f.parent.name == mine[0]["id"]]
    assert len(ours) == 1
    me = client.get("/v1/me", headers=headers)
    erased = client.delete("/v1/me", headers={**headers, "If-Match": me.headers["ETag"]})
    assert erased.status_code == 204, erased.get_json()
    assert not ours[0].exists()  # the PDF went with the erasure
    code = next(c["code"] for c in certificates if c["user_id"] == user.id)
    body = client.get(f"/v1/certificate-verifications/{code}").get_json()
    assert body["status"] == "withdrawn" and body["valid"] is False
    assert body["holder_name"] is None and body["title"] is None


# -- the last seat, taken twice at once --------------------------------------------------------


def _in_parallel(count: int, call: Callable[[int], Any]) -> list[Any]:
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


def test_the_last_seat_taken_twice_at_once_goes_to_one(database_url: str, app: Flask) -> None:
    """Committed for real, on separate connections (SQLite and PostgreSQL alike)."""
    live = create_app({**TEST_SETTINGS, "database_url": database_url, "db_pool_size": 10})
    state = get_state(live)
    tag = uuid.uuid4().hex[:8]
    with state.new_session() as session:
        staff = User(
            name="Fasilitator",
            email=f"f-{tag}@example.id",
            role=Role.FACILITATOR,
            password_hash="x",
        )
        women = [
            User(
                name=f"Ibu {i}", email=f"w{i}-{tag}@example.id", role=Role.ALUMNA, password_hash="x"
            )
            for i in range(2)
        ]
        session.add_all([staff, *women])
        session.flush()
        event = TrainingEvent(
            organizer_id=staff.id,
            title="Kursi terakhir",
            topic="bookkeeping",
            format="online",
            link="https://meet.example.id/x",
            starts_at=NOW + dt.timedelta(days=3),
            ends_at=NOW + dt.timedelta(days=3, hours=2),
            hours=2,
            capacity=1,
            registration_opens_at=NOW - dt.timedelta(days=1),
            registration_closes_at=NOW + dt.timedelta(days=2),
        )
        session.add(event)
        tokens = [
            auth_service.open_session(session, security=state.security, user=w).access_token
            for w in women
        ]
        session.commit()
    ids = [staff.id, *(w.id for w in women)]

    def register(i: int) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        response = live.test_client().post(
            f"/v1/training-events/{event.id}/registrations", headers=headers
        )
        return response.status_code, response.get_json()

    try:
        results = _in_parallel(2, register)
        assert [status for status, _ in results] == [201, 201], results
        assert sorted(body["status"] for _, body in results) == ["confirmed", "waitlisted"]
        with state.new_session() as session:
            seats = session.scalars(
                select(TrainingRegistration.status).where(TrainingRegistration.event_id == event.id)
            ).all()
            assert sorted(s.value for s in seats) == ["confirmed", "waitlisted"]
    finally:
        with state.new_session() as session:
            session.execute(delete(Notification).where(Notification.user_id.in_(ids)))
            session.execute(delete(TrainingEvent).where(TrainingEvent.id == event.id))
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope.in_(ids)))
            session.execute(delete(Organization).where(Organization.created_by_id.in_(ids)))
            session.execute(delete(User).where(User.id.in_(ids)))
            session.commit()
        state.engine.dispose()
