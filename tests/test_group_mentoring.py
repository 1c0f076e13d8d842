"""Group mentoring: a workshop with many attendees (invited, registered, declined, walk-ins),
its lifecycle, who may do what, and the counting rule of the university's report: one session
and its hours once for the mentor, once per woman who came for the women."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import Role, User
from tests.conftest import Auth
from tests.helpers import assert_problem, error_fields
from tests.worlds import Workshop

TODAY = utcnow().date()
YEAR = TODAY.year


@pytest.fixture
def ws(auth: Auth, db_session: Session, client: FlaskClient) -> Workshop:
    return Workshop(auth, db_session, client)


def _ids(users: list[tuple[User, dict[str, str]]]) -> list[str]:
    return [u.id for u, _ in users]


def test_a_workshop_for_many_women_counts_once_for_the_mentor(ws: Workshop) -> None:
    sid = ws.session()
    invited = ws.post(sid, "invitations", ws.mentor_h, {"alumna_ids": _ids(ws.women[:3])})
    assert invited.status_code == 200, invited.json
    assert invited.json["seats_taken"] == 3
    # Two accept, one declines; a fourth woman registers herself (open registration).
    for _, headers in ws.women[:2]:
        assert ws.post(sid, "register", headers).status_code == 200
    declined = ws.post(sid, "withdraw", ws.women[2][1])
    assert declined.json["my_attendance"] == {"status": "declined", "attended": None}
    mine = ws.post(sid, "register", ws.women[3][1])
    assert mine.json["my_attendance"]["status"] == "registered"
    assert mine.json["notes"] is None and "record" not in mine.json["allowed_actions"]
    ws.move_to_past(sid)
    # Three came: two of those registered, and the fifth woman who had not registered.
    attendance = [
        {"alumna_id": ws.women[0][0].id, "attended": True},
        {"alumna_id": ws.women[1][0].id, "attended": True},
        {"alumna_id": ws.women[4][0].id, "attended": True},
    ]
    held = ws.post(sid, "record", ws.mentor_h, {"attendance": attendance, "notes": "Lancar"})
    assert held.status_code == 200, held.json
    assert held.json["status"] == "held" and held.json["attended_count"] == 3
    rows = ws.client.get(
        f"/v1/group-mentoring-sessions/{sid}/attendees?limit=100", headers=ws.mentor_h
    ).json["items"]
    came = {r["alumna"]["id"]: r["attended"] for r in rows}
    assert came == {
        ws.women[0][0].id: True,
        ws.women[1][0].id: True,
        ws.women[2][0].id: None,  # declined: not counted either way
        ws.women[3][0].id: False,  # registered, not listed: absent
        ws.women[4][0].id: True,  # walk-in
    }
    report = ws.report().json
    mentor = next(m for m in report["mentors"] if m["mentor_id"] == ws.mentor.id)
    assert mentor["sessions_held"] == 1 and mentor["group_sessions_held"] == 1
    assert mentor["hours"] == 2.0  # once for the mentor
    assert mentor["alumna_hours"] == 6.0  # two hours for each of three women
    assert mentor["alumnae_served"] == 3
    assert report["totals"]["hours"] == 2.0
    table = list(csv.reader(io.StringIO(ws.report("csv").get_data(as_text=True))))
    assert table[0][9:11] == ["group_sessions_held", "alumna_hours"]


def test_twenty_women_two_hours(ws: Workshop, auth: Auth) -> None:
    """The issue's example: a two-hour workshop for 20 women is one session, 2 hours for the
    mentor, 2 hours for each of the 20 women (40 alumna hours), not 40 mentor hours."""
    women = [auth.as_role(Role.ALUMNA)[0] for _ in range(20)]
    sid = ws.session(capacity=20, open_registration=False)
    invited = ws.post(sid, "invitations", ws.mentor_h, {"alumna_ids": [w.id for w in women]})
    assert invited.status_code == 200, invited.json
    full = ws.post(sid, "invitations", ws.mentor_h, {"alumna_ids": [ws.women[0][0].id]})
    assert_problem(full, 409, "session_full")
    ws.move_to_past(sid)
    marks = [{"alumna_id": w.id, "attended": True} for w in women]
    assert ws.post(sid, "record", ws.mentor_h, {"attendance": marks}).status_code == 200
    totals = ws.report().json["totals"]
    assert (totals["sessions_held"], totals["hours"], totals["alumna_hours"]) == (1, 2.0, 40.0)
    assert totals["alumnae_served"] == 20


def test_one_to_one_sessions_count_alumna_hours_as_before(ws: Workshop) -> None:
    """A one-to-one session is one session, its hours for the mentor and for the woman."""
    report = ws.report().json
    assert report["totals"]["alumna_hours"] == 0.0 and report["totals"]["hours"] == 0.0


def test_capacity_waits_for_nobody_and_a_freed_seat_is_taken(ws: Workshop) -> None:
    sid = ws.session(capacity=2)
    assert ws.post(sid, "register", ws.women[0][1]).status_code == 200
    assert ws.post(sid, "register", ws.women[1][1]).status_code == 200
    assert_problem(ws.post(sid, "register", ws.women[2][1]), 409, "session_full")
    assert_problem(ws.post(sid, "register", ws.women[0][1]), 409, "already_registered")
    assert ws.post(sid, "withdraw", ws.women[1][1]).json["my_attendance"]["status"] == ("cancelled")
    assert ws.post(sid, "register", ws.women[2][1]).status_code == 200
    assert_problem(ws.post(sid, "withdraw", ws.women[3][1]), 409, "not_registered")


def test_invitation_only_sessions_are_hidden_from_strangers(ws: Workshop) -> None:
    sid = ws.session(open_registration=False)
    stranger = ws.women[4][1]
    assert ws.client.get(f"/v1/group-mentoring-sessions/{sid}", headers=stranger).status_code == (
        404
    )
    assert_problem(ws.post(sid, "register", stranger), 404)
    ws.post(sid, "invitations", ws.mentor_h, {"alumna_ids": [ws.women[4][0].id]})
    seen = ws.client.get(f"/v1/group-mentoring-sessions/{sid}", headers=stranger)
    assert seen.status_code == 200 and seen.json["allowed_actions"] == ["register", "withdraw"]
    open_list = ws.client.get("/v1/group-mentoring-sessions?view=open", headers=stranger)
    assert sid not in [s["id"] for s in open_list.json["items"]]
    mine = ws.client.get("/v1/group-mentoring-sessions", headers=stranger).json["items"]
    assert [s["id"] for s in mine] == [sid]


def test_who_may_do_what(ws: Workshop) -> None:
    sid = ws.session()
    woman = ws.women[0][1]
    # Only the offer's mentor plans; a group offer only.
    assert_problem(ws.schedule(headers=ws.other_mentor_h), 403)
    assert_problem(ws.schedule(headers=woman), 403)
    one = ws.client.post(
        "/v1/mentoring-offers",
        json={
            "title": "Pembukuan",
            "topics": ["bookkeeping"],
            "format": "online",
            "kind": "one_to_one",
            "capacity": 2,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=30)).isoformat(),
        },
        headers=ws.mentor_h,
    ).json["id"]
    body = {
        "title": "Pembukuan",
        "topic": "bookkeeping",
        "starts_at": (utcnow() + dt.timedelta(days=1)).isoformat(),
        "duration_minutes": 60,
        "mode": "online",
        "link": "https://meet.example.id/x",
    }
    wrong = ws.client.post(
        f"/v1/mentoring-offers/{one}/group-sessions", json=body, headers=ws.mentor_h
    )
    assert_problem(wrong, 409, "offer_not_group")
    bad_topic = ws.schedule(topic="bookkeeping")
    assert "topic" in error_fields(assert_problem(bad_topic, 422))
    # Women do not invite, record, cancel or read the attendee list.
    assert_problem(ws.post(sid, "invitations", woman, {"alumna_ids": [ws.mentor.id]}), 403)
    assert_problem(ws.post(sid, "record", woman, {"attendance": []}), 403)
    assert_problem(ws.post(sid, "cancel", woman, {"reason": "Tidak bisa"}), 403)
    listing = ws.client.get(f"/v1/group-mentoring-sessions/{sid}/attendees", headers=woman)
    assert_problem(listing, 403)
    # Another mentor does not even see it unless it is open to alumnae; a buyer never does.
    assert_problem(
        ws.client.get(f"/v1/group-mentoring-sessions/{sid}", headers=ws.other_mentor_h), 404
    )
    assert_problem(ws.client.get(f"/v1/group-mentoring-sessions/{sid}", headers=ws.buyer_h), 404)
    # Only alumnae are invited (other people's ids are refused by name).
    refused = ws.post(sid, "invitations", ws.mentor_h, {"alumna_ids": [ws.buyer.id, "usr_x"]})
    assert "alumna_ids" in error_fields(assert_problem(refused, 422))
    # Not before it started; then it is recorded once.
    assert_problem(ws.post(sid, "record", ws.mentor_h, {"attendance": []}), 409)
    ws.move_to_past(sid)
    assert ws.post(sid, "record", ws.mentor_h, {"attendance": []}).status_code == 200
    again = ws.post(sid, "record", ws.mentor_h, {"attendance": []})
    assert_problem(again, 409, "session_not_scheduled")


def test_cancel_tells_the_women_holding_seats(ws: Workshop, db_session: Session) -> None:
    sid = ws.session()
    ws.post(sid, "register", ws.women[0][1])
    cancelled = ws.post(sid, "cancel", ws.mentor_h, {"reason": "Balai dipakai"})
    assert cancelled.json["status"] == "cancelled"
    notes = ws.client.get("/v1/me/notifications", headers=ws.women[0][1]).json["items"]
    assert any(n["type"] == "group_session.cancelled" for n in notes)
    assert_problem(ws.post(sid, "withdraw", ws.women[0][1]), 409, "session_not_scheduled")
    assert_problem(ws.post(sid, "register", ws.women[1][1]), 404)  # no longer open to strangers


def test_invitation_is_notified_and_idempotent(ws: Workshop) -> None:
    sid = ws.session()
    headers = {**ws.mentor_h, "Idempotency-Key": "undang-1"}
    body = {"alumna_ids": [ws.women[0][0].id]}
    first = ws.client.post(
        f"/v1/group-mentoring-sessions/{sid}/invitations", json=body, headers=headers
    )
    again = ws.client.post(
        f"/v1/group-mentoring-sessions/{sid}/invitations", json=body, headers=headers
    )
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["seats_taken"] == first.json["seats_taken"] == 1
    notes = ws.client.get("/v1/me/notifications", headers=ws.women[0][1]).json["items"]
    assert [n["type"] for n in notes] == ["group_session.invited"]


def test_bounded_inputs(ws: Workshop) -> None:
    assert "duration_minutes" in error_fields(
        assert_problem(ws.schedule(duration_minutes=10_000), 422)
    )
    assert "title" in error_fields(assert_problem(ws.schedule(title="x" * 121), 422))
    sid = ws.session()
    many = {"alumna_ids": [f"usr_{i}" for i in range(101)]}
    assert "alumna_ids" in error_fields(
        assert_problem(ws.post(sid, "invitations", ws.mentor_h, many), 422)
    )
    past = ws.schedule(starts_at=(utcnow() - dt.timedelta(days=1)).isoformat())
    assert "starts_at" in error_fields(assert_problem(past, 422))
