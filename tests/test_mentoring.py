"""Mentoring: topics, offers and their filters, requests and every transition, sessions,
feedback, expiry, the university's record, and who sees what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import MemberRole, MentoringRequest, OrganizationKind, RequestStatus, Role, User
from api.services import mentoring as service
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, member_of
from tests.helpers import assert_problem, error_fields

TODAY = utcnow().date()


class Campus:
    """A verified university with two mentors, and two alumnae (one with a business)."""

    def __init__(self, auth: Auth, db_session: Session) -> None:
        self.university = OrganizationFactory(
            kind=OrganizationKind.UNIVERSITY, name="Universitas Mustika", verified_at=utcnow()
        )
        self.mentor, self.mentor_h = auth.as_role(Role.MENTOR, name="Dr. Lestari")
        self.other, self.other_h = auth.as_role(Role.MENTOR, name="Dr. Bayu")
        for user in (self.mentor, self.other):
            member_of(self.university, user, MemberRole.MEMBER)
        self.alumna, self.alumna_h = auth.as_role(Role.ALUMNA, name="Ibu Siti")
        self.business = BusinessFactory(owner_id=self.alumna.id)  # in Kota Bekasi (32.75)
        self.second, self.second_h = auth.as_role(Role.ALUMNA)

    def offer(
        self, client: FlaskClient, headers: dict[str, str] | None = None, **extra: Any
    ) -> Any:
        body = {
            "title": "Pembukuan sederhana untuk UMKM",
            "topics": ["bookkeeping", "pricing_costing"],
            "format": "both",
            "kind": "one_to_one",
            "capacity": 2,
            "region_codes": ["32.75"],
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=180)).isoformat(),
            **extra,
        }
        return client.post("/v1/mentoring-offers", json=body, headers=headers or self.mentor_h)

    def request(
        self, client: FlaskClient, headers: dict[str, str] | None = None, **extra: Any
    ) -> Any:
        body = {
            "topic": "bookkeeping",
            "need": "Saya belum bisa memisahkan uang usaha dan uang rumah tangga.",
            "business_id": self.business.id,
            "preferred_format": "online",
            "preferred_times": "Sore hari, Senin-Jumat",
            **extra,
        }
        return client.post("/v1/mentoring-requests", json=body, headers=headers or self.alumna_h)

    def act(
        self,
        client: FlaskClient,
        request_id: str,
        action: str,
        headers: dict[str, str],
        **body: Any,
    ) -> Any:
        return client.post(
            f"/v1/mentoring-requests/{request_id}/{action}", json=body, headers=headers
        )

    def session(self, client: FlaskClient, request_id: str, hours_ago: float, minutes: int) -> str:
        body = {
            "starts_at": (utcnow() - dt.timedelta(hours=hours_ago)).isoformat(),
            "duration_minutes": minutes,
            "mode": "online",
            "link": "https://meet.example.id/abc",
            "agenda": "Buku kas harian",
        }
        made = client.post(
            f"/v1/mentoring-requests/{request_id}/sessions", json=body, headers=self.mentor_h
        )
        assert made.status_code == 201, made.json
        return made.json["id"]  # type: ignore[no-any-return]


@pytest.fixture
def campus(auth: Auth, db_session: Session) -> Campus:
    return Campus(auth, db_session)


def test_topics_are_a_fixed_bilingual_list(client: FlaskClient) -> None:
    items = client.get("/v1/mentoring-topics").json["items"]
    assert len(items) == 10
    bookkeeping = next(t for t in items if t["code"] == "bookkeeping")
    assert bookkeeping["name_en"] == "Bookkeeping and financial management"
    assert bookkeeping["name_id"].startswith("Pembukuan")


def test_only_mentors_of_verified_universities_publish_offers(
    client: FlaskClient, campus: Campus, auth: Auth
) -> None:
    made = campus.offer(client)
    assert made.status_code == 201, made.json
    assert made.json["organization_id"] == campus.university.id
    assert made.json["topics"] == ["bookkeeping", "pricing_costing"]
    assert made.json["rating"] == {"average": None, "count": 0}
    _, loner = auth.as_role(Role.MENTOR)
    assert_problem(campus.offer(client, loner), 403, "not_in_verified_university")
    unverified = OrganizationFactory(kind=OrganizationKind.UNIVERSITY)
    pending, pending_h = auth.as_role(Role.MENTOR)
    member_of(unverified, pending)
    assert_problem(campus.offer(client, pending_h), 403, "not_in_verified_university")
    assert_problem(campus.offer(client, campus.alumna_h), 403, "role_not_allowed")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"kind": "group"}, "group_size"),
        ({"group_size": 10}, "group_size"),
        ({"region_codes": ["99.99"]}, "region_codes.0"),
        ({"topics": ["astrology"]}, "topics"),
        ({"topics": []}, "topics"),
        ({"capacity": 0}, "capacity"),
        ({"language": "fr"}, "language"),
        ({"mentor_id": "usr_x"}, "mentor_id"),
        ({"rating_count": 5}, "rating_count"),
    ],
)
def test_bad_offers_are_refused(
    client: FlaskClient, campus: Campus, change: dict[str, Any], field: str
) -> None:
    assert field in error_fields(assert_problem(campus.offer(client, **change), 422))


def test_offers_are_browsed_by_topic_region_and_format(client: FlaskClient, campus: Campus) -> None:
    bekasi = campus.offer(client).json["id"]
    everywhere = campus.offer(
        client,
        campus.other_h,
        title="Foto produk",
        topics=["product_photography"],
        format="online",
        region_codes=[],
    ).json["id"]
    bandung = campus.offer(client, campus.other_h, format="in_person", region_codes=["32.73"]).json[
        "id"
    ]

    def ids(query: str) -> set[str]:
        return {o["id"] for o in client.get(f"/v1/mentoring-offers?{query}").json["items"]}

    assert ids("region=32.75.11.1004") == {bekasi, everywhere}
    assert ids("region=32.73") == {bandung, everywhere}
    assert ids("topic=bookkeeping") == {bekasi, bandung}
    assert ids("format=online") == {bekasi, everywhere}
    assert ids("format=in_person") == {bekasi, bandung}
    assert ids(f"mentor={campus.other.id}") == {everywhere, bandung}
    closed = client.post(f"/v1/mentoring-offers/{bandung}/close", headers=campus.other_h)
    assert closed.json["status"] == "closed"
    assert bandung not in ids("")
    assert_problem(client.get(f"/v1/mentoring-offers/{bandung}"), 404)
    assert_problem(
        client.post(f"/v1/mentoring-offers/{bandung}/close", headers=campus.other_h), 409
    )
    assert_problem(client.post(f"/v1/mentoring-offers/{bekasi}/close", headers=campus.other_h), 403)
    assert_problem(client.get("/v1/mentoring-offers?region=nowhere"), 422)


def test_a_mentoring_from_request_to_rating_and_the_university_record(
    client: FlaskClient, campus: Campus
) -> None:
    offer_id = campus.offer(client).json["id"]
    made = campus.request(client, offer_id=offer_id)
    assert made.status_code == 201, made.json
    request_id = made.json["id"]
    assert made.json["status"] == "open" and made.json["region"] == {
        "code": "32.75.11.1004",
        "name": "Mustikasari",
    }
    assert made.json["allowed_actions"] == ["cancel"]

    # Another mentor sees it open, without her contact; the addressed mentor takes it on.
    seen = client.get(f"/v1/mentoring-requests/{request_id}", headers=campus.other_h).json
    assert seen["alumna_contact"] is None and seen["allowed_actions"] == []
    listed = client.get("/v1/mentoring-requests?view=open", headers=campus.mentor_h).json["items"]
    assert [r["id"] for r in listed] == [request_id]
    accepted = campus.act(client, request_id, "accept", campus.mentor_h)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"] == "accepted" and accepted.json["mentor_id"] == campus.mentor.id
    assert accepted.json["alumna_contact"]["name"] == "Ibu Siti"
    assert accepted.json["expires_at"] is None

    first = campus.session(client, request_id, hours_ago=30, minutes=90)
    second = campus.session(client, request_id, hours_ago=2, minutes=60)
    url = f"/v1/mentoring-requests/{request_id}/sessions"
    held = client.post(
        f"{url}/{first}/record",
        json={"attendance": "attended", "notes": "Buku kas dibuat", "outcome": "Paham"},
        headers=campus.mentor_h,
    )
    assert held.json["status"] == "held"
    started = client.get(f"/v1/mentoring-requests/{request_id}", headers=campus.alumna_h).json
    assert started["status"] == "in_progress" and started["started_at"]
    client.post(f"{url}/{second}/record", json={"attendance": "attended"}, headers=campus.alumna_h)
    assert [s["status"] for s in client.get(url, headers=campus.alumna_h).json["items"]] == [
        "held",
        "held",
    ]

    mentor_done = campus.act(client, request_id, "confirm", campus.mentor_h, outcome="Sudah rapi")
    assert mentor_done.json["status"] == "in_progress" and mentor_done.json["completes_at"]
    assert_problem(campus.act(client, request_id, "confirm", campus.mentor_h), 409)
    both = campus.act(client, request_id, "confirm", campus.alumna_h)
    assert both.json["status"] == "completed" and both.json["outcome"] == "Sudah rapi"

    rated = client.post(
        f"/v1/mentoring-requests/{request_id}/feedback",
        json={"rating": 5, "text": "Sangat membantu"},
        headers=campus.alumna_h,
    )
    assert rated.json["rating"] == 5
    again = client.post(
        f"/v1/mentoring-requests/{request_id}/feedback", json={"rating": 1}, headers=campus.alumna_h
    )
    assert_problem(again, 409, "already_rated")
    assert client.get(f"/v1/mentoring-offers/{offer_id}").json["rating"] == {
        "average": 5.0,
        "count": 1,
    }
    profile = client.get(f"/v1/mentors/{campus.mentor.id}").json
    assert profile["completed_mentorings"] == 1 and profile["rating"]["average"] == 5.0

    report_url = (
        f"/v1/organizations/{campus.university.id}/mentoring-report"
        f"?from={(TODAY - dt.timedelta(days=7)).isoformat()}&to={TODAY.isoformat()}"
    )
    report = client.get(report_url, headers=campus.other_h)
    assert report.status_code == 200, report.json
    (lestari,) = report.json["mentors"]
    assert lestari["name"] == "Dr. Lestari" and lestari["sessions_held"] == 2
    assert lestari["hours"] == 2.5 and lestari["alumnae_served"] == 1
    assert lestari["topics"] == {"bookkeeping": 2} and lestari["mentorings_completed"] == 1
    assert report.json["totals"]["hours"] == 2.5
    as_csv = client.get(report_url + "&format=csv", headers=campus.other_h)
    assert as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0][:4] == ["mentor_id", "mentor", "sessions_held", "hours"]
    assert rows[1][1:4] == ["Dr. Lestari", "2", "2.5"] and rows[-1][0] == "total"
    accept_csv = client.get(report_url, headers={**campus.other_h, "Accept": "text/csv"})
    assert accept_csv.mimetype == "text/csv"
    assert_problem(client.get(report_url, headers=campus.alumna_h), 403)

    kinds = [
        n["type"] for n in client.get("/v1/me/notifications", headers=campus.alumna_h).json["items"]
    ]
    assert "mentoring_request.accepted" in kinds and "mentoring_session.scheduled" in kinds


def test_invalid_transitions_are_409_naming_what_is_allowed(
    client: FlaskClient, campus: Campus
) -> None:
    offer_id = campus.offer(client).json["id"]
    request_id = campus.request(client).json["id"]
    body = assert_problem(campus.act(client, request_id, "confirm", campus.alumna_h), 409)
    assert body["code"] == "invalid_transition" and body["allowed_actions"] == ["cancel"]
    assert_problem(campus.act(client, request_id, "accept", campus.alumna_h), 403)
    # Not addressed to an offer: the mentor names hers.
    assert (
        "offer_id"
        in assert_problem(campus.act(client, request_id, "accept", campus.mentor_h), 422)["errors"]
    )
    assert (
        campus.act(client, request_id, "accept", campus.mentor_h, offer_id=offer_id).status_code
        == 200
    )
    assert_problem(campus.act(client, request_id, "accept", campus.other_h, offer_id=offer_id), 404)
    body = assert_problem(campus.act(client, request_id, "confirm", campus.mentor_h), 409)
    assert body["allowed_actions"] == ["decline"]
    cancelled = campus.act(client, request_id, "cancel", campus.alumna_h, reason="Sudah dibantu")
    assert cancelled.json["status"] == "cancelled"
    body = assert_problem(campus.act(client, request_id, "cancel", campus.alumna_h), 409)
    assert body["allowed_actions"] == []


def test_declining_returns_it_to_open_for_others(client: FlaskClient, campus: Campus) -> None:
    offer_id = campus.offer(client).json["id"]
    other_offer = campus.offer(client, campus.other_h).json["id"]
    request_id = campus.request(client).json["id"]
    campus.act(client, request_id, "accept", campus.mentor_h, offer_id=offer_id)
    assert_problem(campus.act(client, request_id, "decline", campus.other_h), 404)
    back = campus.act(client, request_id, "decline", campus.mentor_h, reason="Jadwal penuh")
    assert back.json["status"] == "open" and back.json["mentor_id"] is None
    assert back.json["expires_at"]
    taken = campus.act(client, request_id, "accept", campus.other_h, offer_id=other_offer)
    assert taken.json["mentor_id"] == campus.other.id


def test_capacity_open_request_limit_and_unverified_mentors(
    client: FlaskClient, campus: Campus, auth: Auth
) -> None:
    offer_id = campus.offer(client, capacity=1).json["id"]
    first = campus.request(client).json["id"]
    second = campus.request(
        client, campus.second_h, business_id=None, region_code="32.75.11.1004"
    ).json["id"]
    campus.act(client, first, "accept", campus.mentor_h, offer_id=offer_id)
    assert_problem(
        campus.act(client, second, "accept", campus.mentor_h, offer_id=offer_id), 409, "offer_full"
    )

    campus.request(client)
    campus.request(client)
    assert campus.request(client).status_code == 201  # three open now (the first is accepted)
    assert_problem(campus.request(client), 409, "too_many_open_requests")

    unverified = OrganizationFactory(kind=OrganizationKind.UNIVERSITY)
    pending, pending_h = auth.as_role(Role.MENTOR)
    member_of(unverified, pending)
    assert_problem(
        campus.act(client, second, "accept", pending_h, offer_id=offer_id),
        403,
        "not_in_verified_university",
    )
    other_business = BusinessFactory()
    bad = campus.request(client, campus.second_h, business_id=other_business.id)
    assert "business_id" in assert_problem(bad, 422)["errors"]


def test_unaccepted_requests_expire_and_confirmed_ones_complete(
    app: Flask, client: FlaskClient, campus: Campus, db_session: Session
) -> None:
    offer_id = campus.offer(client).json["id"]
    stale = campus.request(client).json["id"]
    request = db_session.get(MentoringRequest, stale)
    assert request is not None and request.expires_at is not None
    assert service.expire_due(db_session, now=request.expires_at - dt.timedelta(seconds=1)) == 0
    assert service.expire_due(db_session, now=request.expires_at) == 1
    db_session.expire_all()
    expired = client.get(f"/v1/mentoring-requests/{stale}", headers=campus.alumna_h).json
    assert expired["status"] == "expired" and expired["allowed_actions"] == []

    active = campus.request(client).json["id"]
    campus.act(client, active, "accept", campus.mentor_h, offer_id=offer_id)
    session_id = campus.session(client, active, hours_ago=1, minutes=60)
    client.post(
        f"/v1/mentoring-requests/{active}/sessions/{session_id}/record",
        json={"attendance": "attended"},
        headers=campus.mentor_h,
    )
    campus.act(client, active, "confirm", campus.mentor_h)
    request = db_session.get(MentoringRequest, active)
    assert request is not None and request.completes_at is not None
    request.completes_at = utcnow() - dt.timedelta(seconds=1)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "1 mentoring(s) completed automatically" in result.output
    db_session.expire_all()
    assert db_session.get(MentoringRequest, active).status == RequestStatus.COMPLETED  # type: ignore[union-attr]


def test_sessions_are_planned_moved_cancelled_and_recorded_by_the_parties_only(
    client: FlaskClient, campus: Campus
) -> None:
    offer_id = campus.offer(client).json["id"]
    request_id = campus.request(client).json["id"]
    url = f"/v1/mentoring-requests/{request_id}/sessions"
    later = (utcnow() + dt.timedelta(days=2)).isoformat()
    plan = {
        "starts_at": later,
        "duration_minutes": 60,
        "mode": "online",
        "link": "https://meet.example.id/x",
    }
    assert_problem(
        client.post(url, json=plan, headers=campus.alumna_h), 409, "mentoring_not_active"
    )
    campus.act(client, request_id, "accept", campus.mentor_h, offer_id=offer_id)
    assert (
        "link"
        in assert_problem(
            client.post(url, json={**plan, "link": None}, headers=campus.alumna_h), 422
        )["errors"]
    )
    assert (
        "link"
        in assert_problem(
            client.post(
                url, json={**plan, "link": "http://insecure.example"}, headers=campus.alumna_h
            ),
            422,
        )["errors"]
    )
    assert (
        "place"
        in assert_problem(
            client.post(url, json={**plan, "mode": "in_person"}, headers=campus.alumna_h), 422
        )["errors"]
    )
    assert_problem(client.post(url, json=plan, headers=campus.other_h), 404)
    assert_problem(client.get(url, headers=campus.other_h), 404)
    planned = client.post(url, json=plan, headers=campus.alumna_h).json
    moved = client.post(
        f"{url}/{planned['id']}/reschedule",
        json={"starts_at": (utcnow() + dt.timedelta(days=3)).isoformat(), "reason": "Ada acara"},
        headers=campus.mentor_h,
    )
    assert moved.status_code == 200 and moved.json["reschedule_count"] == 1
    assert_problem(
        client.post(
            f"{url}/{planned['id']}/record",
            json={"attendance": "attended"},
            headers=campus.mentor_h,
        ),
        409,
        "session_in_future",
    )
    assert_problem(
        client.post(f"{url}/{planned['id']}/cancel", json={}, headers=campus.mentor_h), 422
    )
    called_off = client.post(
        f"{url}/{planned['id']}/cancel", json={"reason": "Sakit"}, headers=campus.alumna_h
    )
    assert called_off.json["status"] == "cancelled"
    assert_problem(
        client.post(
            f"{url}/{planned['id']}/cancel", json={"reason": "lagi"}, headers=campus.alumna_h
        ),
        409,
        "session_not_scheduled",
    )


def test_requests_are_private_to_their_parties(
    client: FlaskClient, campus: Campus, auth: Auth, db_session: Session
) -> None:
    offer_id = campus.offer(client).json["id"]
    request_id = campus.request(client).json["id"]
    _, buyer = auth.as_role(Role.BUYER)
    assert_problem(client.get(f"/v1/mentoring-requests/{request_id}", headers=campus.second_h), 404)
    assert_problem(client.get(f"/v1/mentoring-requests/{request_id}", headers=buyer), 404)
    assert_problem(client.get(f"/v1/mentoring-requests/{request_id}"), 401)
    campus.act(client, request_id, "accept", campus.mentor_h, offer_id=offer_id)
    assert_problem(client.get(f"/v1/mentoring-requests/{request_id}", headers=campus.other_h), 404)
    mine = client.get("/v1/mentoring-requests", headers=campus.mentor_h).json["items"]
    assert [r["id"] for r in mine] == [request_id]
    assert client.get("/v1/mentoring-requests", headers=campus.other_h).json["items"] == []
    assert_problem(client.get("/v1/mentoring-requests?view=open", headers=campus.alumna_h), 403)
    mentor_user = db_session.get(User, campus.mentor.id)
    assert mentor_user is not None
    shown = client.get(f"/v1/mentoring-requests/{request_id}", headers=campus.alumna_h).json
    assert shown["mentor_contact"]["email"] == mentor_user.email


@pytest.mark.parametrize("name", ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1+2", "\r=1+2"])
def test_the_university_report_csv_neutralises_a_formula_in_a_mentor_name(
    client: FlaskClient, campus: Campus, db_session: Session, name: str
) -> None:
    campus.mentor.name = name
    db_session.flush()
    offer_id = campus.offer(client).json["id"]
    request_id = campus.request(client, offer_id=offer_id).json["id"]
    campus.act(client, request_id, "accept", campus.mentor_h)
    held = campus.session(client, request_id, hours_ago=2, minutes=60)
    recorded = client.post(
        f"/v1/mentoring-requests/{request_id}/sessions/{held}/record",
        json={"attendance": "attended"},
        headers=campus.mentor_h,
    )
    assert recorded.status_code == 200, recorded.json
    report_url = (
        f"/v1/organizations/{campus.university.id}/mentoring-report"
        f"?from={(TODAY - dt.timedelta(days=7)).isoformat()}&to={TODAY.isoformat()}&format=csv"
    )
    as_csv = client.get(report_url, headers=campus.other_h)
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True), newline="")))
    # a tab inside also starts a cell in a tab-separated import: what follows it is marked too
    assert rows[1][1] == "'" + name.replace("\t=", "\t'=") and rows[1][2] == "1"


def test_the_reminder_is_due_a_day_before_and_out_of_the_evening_quiet_hours() -> None:
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    morning = dt.datetime(2026, 12, 10, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB
    assert service.reminder_at(morning, now) == morning - dt.timedelta(days=1)
    late = dt.datetime(
        2026, 12, 10, 15, 30, tzinfo=dt.UTC
    )  # 22:30 WIB: at 20:00 WIB the day before
    assert service.reminder_at(late, now) == dt.datetime(2026, 12, 9, 13, 0, tzinfo=dt.UTC)
    early = dt.datetime(
        2026, 12, 10, 0, 0, tzinfo=dt.UTC
    )  # 07:00 WIB: sent at 07:00 the day before
    assert service.reminder_at(early, now) == dt.datetime(2026, 12, 9, 0, 0, tzinfo=dt.UTC)
    # Scheduled less than a day ahead: the notice of the scheduling is the reminder.
    assert service.reminder_at(now + dt.timedelta(hours=20), now) is None


def test_housekeeping_reminds_each_session_once_a_day_before(
    client: FlaskClient, campus: Campus, db_session: Session
) -> None:
    from sqlalchemy import select

    from api.models import Channel, Event, MentoringSession, Message, Notification

    campus.alumna.phone, campus.alumna.locale = "+6281287654301", "id"
    db_session.flush()
    chosen = client.put(
        "/v1/me/messaging-preferences/whatsapp",
        json={"opted_in": True, "events": ["mentoring.session_reminder"]},
        headers=campus.alumna_h,
    )
    assert chosen.status_code == 200, chosen.json
    offer_id = campus.offer(client).json["id"]
    request_id = campus.request(client).json["id"]
    campus.act(client, request_id, "accept", campus.mentor_h, offer_id=offer_id)
    url = f"/v1/mentoring-requests/{request_id}/sessions"
    day = utcnow().date() + dt.timedelta(days=3)
    starts = dt.datetime.combine(day, dt.time(3, 0), dt.UTC)  # 10:00 WIB in three days
    plan = {"duration_minutes": 60, "mode": "online", "link": "https://meet.example.id/x"}
    kept = client.post(url, json={**plan, "starts_at": starts.isoformat()}, headers=campus.mentor_h)
    dropped = client.post(
        url, json={**plan, "starts_at": starts.isoformat()}, headers=campus.mentor_h
    )
    assert kept.status_code == dropped.status_code == 201
    client.post(
        f"{url}/{dropped.json['id']}/cancel", json={"reason": "Dobel"}, headers=campus.mentor_h
    )
    app = client.application

    def remind(at: dt.datetime) -> int:
        with app.app_context():
            sent = service.remind_due(db_session, now=at)
            db_session.commit()
        return sent

    def reminders() -> list[Message]:
        db_session.expire_all()
        return [
            m
            for m in db_session.scalars(select(Message).order_by(Message.created_at, Message.id))
            if m.body and m.body.startswith("Berdaya: Pengingat")
        ]

    day_before = starts - dt.timedelta(days=1)
    assert remind(day_before - dt.timedelta(hours=1)) == 0  # not yet
    assert remind(day_before + dt.timedelta(minutes=5)) == 1  # the cancelled one gets none
    assert remind(day_before + dt.timedelta(hours=1)) == 0  # once
    [message] = reminders()
    assert (message.recipient, message.channel) == ("+6281287654301", Channel.WHATSAPP)
    local = f"{day:%Y-%m-%d} 10:00 WIB"
    assert message.body == f"Berdaya: Pengingat: sesi pendampingan Anda pada {local}."
    [event] = db_session.scalars(
        select(Event).where(Event.type == "mentoring_session.reminder")
    ).all()
    assert event.subject_id == kept.json["id"] and event.actor_id is None
    told = set(
        db_session.scalars(select(Notification.user_id).where(Notification.event_seq == event.seq))
    )
    assert told == {campus.alumna.id, campus.mentor.id}

    # A reschedule re-arms it for the new time; housekeeping that comes too late sends nothing.
    later = starts + dt.timedelta(days=2)
    moved = client.post(
        f"{url}/{kept.json['id']}/reschedule",
        json={"starts_at": later.isoformat(), "reason": "Ada acara"},
        headers=campus.mentor_h,
    )
    assert moved.status_code == 200, moved.json
    assert remind(later - dt.timedelta(hours=23)) == 1
    assert len(reminders()) == 2
    client.post(
        f"{url}/{kept.json['id']}/reschedule",
        json={"starts_at": (later + dt.timedelta(days=7)).isoformat(), "reason": "Lagi"},
        headers=campus.mentor_h,
    )
    assert remind(later + dt.timedelta(days=8)) == 0  # past the start: dropped, not sent
    meeting = db_session.get(MentoringSession, kept.json["id"])
    assert meeting is not None and meeting.reminder_at is None
    assert len(reminders()) == 2
