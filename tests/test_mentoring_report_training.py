"""The university's report counts its training events by the rule of group mentoring: an event
once for each trainer and once in the totals (its certificate hours), its hours once per woman
who came, and each woman once however she was reached (mentoring, a workshop, training)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import OrganizationKind, Role, TrainingEvent, User
from tests.conftest import Auth
from tests.factories import OrganizationFactory, member_of
from tests.worlds import Workshop


def _event_body(trainer_ids: list[str], **extra: Any) -> dict[str, Any]:
    starts = utcnow() + dt.timedelta(days=7)
    return {
        "title": "Pembukuan sederhana untuk UMKM",
        "topic": "bookkeeping",
        "format": "in_person",
        "place": "Aula Kelurahan Mustikasari",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "hours": 2,
        "capacity": 30,
        "registration_opens_at": (utcnow() - dt.timedelta(days=1)).isoformat(),
        "registration_closes_at": starts.isoformat(),
        "trainer_ids": trainer_ids,
        **extra,
    }


class Campus(Workshop):
    """The workshop's university and mentor, a facilitator who trains with her, and 20 women
    (the workshop's five among them)."""

    def __init__(self, auth: Auth, db_session: Session, client: FlaskClient) -> None:
        super().__init__(auth, db_session, client)
        self.trainer, self.trainer_h = auth.as_role(Role.FACILITATOR, name="Bu Fasilitator")
        self.many = [w for w, _ in self.women] + [auth.as_role(Role.ALUMNA)[0] for _ in range(15)]

    def event(self, headers: dict[str, str] | None = None, **extra: Any) -> str:
        body = _event_body([self.mentor.id, self.trainer.id], **extra)
        made = self.client.post("/v1/training-events", json=body, headers=headers or self.mentor_h)
        assert made.status_code == 201, made.json
        return str(made.json["id"])

    def held(self, event_id: str, women: list[User], *, complete: bool = True) -> None:
        """It started an hour ago (within this year), these women came, it is completed."""
        event = self.db.get(TrainingEvent, event_id)
        assert event is not None
        event.starts_at = utcnow() - dt.timedelta(hours=1)
        event.ends_at = utcnow() + dt.timedelta(hours=1)
        self.db.flush()
        entries = [{"user_id": w.id, "attended": True} for w in women]
        url = f"/v1/training-events/{event_id}"
        recorded = self.client.post(
            f"{url}/attendance", json={"entries": entries}, headers=self.trainer_h
        )
        assert recorded.status_code == 200, recorded.json
        if complete:
            done = self.client.post(f"{url}/complete", headers=self.mentor_h)
            assert done.status_code == 200, done.json


@pytest.fixture
def campus(auth: Auth, db_session: Session, client: FlaskClient) -> Campus:
    if (utcnow() - dt.timedelta(hours=1)).year != utcnow().year:
        pytest.skip("an event an hour ago falls in last year's report")
    return Campus(auth, db_session, client)


def _row(report: dict[str, Any], user: User) -> dict[str, Any]:
    return next(m for m in report["mentors"] if m["mentor_id"] == user.id)


def test_a_two_hour_training_for_twenty_women(campus: Campus) -> None:
    """2 trainer hours (for each trainer, and once in the totals), 40 women-hours, 20 women:
    never 40 trainer hours, nor 4 because it had two trainers."""
    campus.held(campus.event(), campus.many)
    report = campus.report().json
    totals = report["totals"]
    assert totals["training_events_held"] == 1 and totals["sessions_held"] == 0
    assert (totals["hours"], totals["alumna_hours"], totals["alumnae_served"]) == (2.0, 40.0, 20)
    for trainer in (campus.mentor, campus.trainer):
        row = _row(report, trainer)
        assert row["training_events_held"] == 1 and row["hours"] == 2.0
        assert row["alumna_hours"] == 40.0 and row["alumnae_served"] == 20
    assert _row(report, campus.trainer)["name"] == "Bu Fasilitator"
    assert totals["topics"] == {"bookkeeping": 1}


def test_women_count_once_across_mentoring_workshops_and_training(campus: Campus) -> None:
    """Three women came to the mentor's workshop and, with 17 others, to the training: 20
    women; the mentor's hours are the workshop's and the event's, each once."""
    sid = campus.session()
    campus.move_to_past(sid)
    marks = [{"alumna_id": w.id, "attended": True} for w in campus.many[:3]]
    assert campus.post(sid, "record", campus.mentor_h, {"attendance": marks}).status_code == 200
    campus.held(campus.event(), campus.many)
    report = campus.report().json
    mentor = _row(report, campus.mentor)
    assert (mentor["sessions_held"], mentor["group_sessions_held"]) == (1, 1)
    assert mentor["training_events_held"] == 1
    assert (mentor["hours"], mentor["alumna_hours"], mentor["alumnae_served"]) == (4.0, 46.0, 20)
    trainer = _row(report, campus.trainer)
    assert (trainer["sessions_held"], trainer["hours"], trainer["alumna_hours"]) == (0, 2.0, 40.0)
    totals = report["totals"]
    assert (totals["hours"], totals["alumna_hours"], totals["alumnae_served"]) == (4.0, 46.0, 20)
    # The spreadsheet and the chart are the same report.
    table = list(csv.reader(io.StringIO(campus.report("csv").get_data(as_text=True))))
    header, *rows = table
    assert header[-1] == "training_events_held"
    total_row = dict(zip(header, rows[-1], strict=True))
    assert total_row["hours"] == "4.0" and total_row["alumna_hours"] == "46.0"
    assert total_row["alumnae_served"] == "20" and total_row["training_events_held"] == "1"
    sheet = load_workbook(io.BytesIO(campus.report("xlsx").get_data())).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[-1][-1] == 1 and values[-1][header.index("alumna_hours")] == 46.0
    assert str(values[0][-1]).lower().startswith("training events")
    chart = campus.report("svg").get_data(as_text=True)
    assert "Bu Fasilitator" in chart


def test_what_is_not_held_or_not_the_universitys_is_not_counted(campus: Campus, auth: Auth) -> None:
    """A cancelled event, one not yet held, and another organisation's event count nothing; an
    event whose attendance is recorded counts before it is completed."""
    cancelled = campus.event()
    called_off = campus.client.post(
        f"/v1/training-events/{cancelled}/cancel",
        json={"reason": "Hujan deras"},
        headers=campus.mentor_h,
    )
    assert called_off.status_code == 200, called_off.json
    campus.event()  # next week: not held
    other = OrganizationFactory(
        kind=OrganizationKind.UNIVERSITY, name="Universitas Lain", verified_at=utcnow()
    )
    stranger, stranger_h = auth.as_role(Role.MENTOR)
    member_of(other, stranger)
    campus.held(campus.event(stranger_h, organization_id=other.id), campus.many[:4])
    assert campus.report().json["totals"]["training_events_held"] == 0
    campus.held(campus.event(), campus.many[:3], complete=False)
    totals = campus.report().json["totals"]
    assert (totals["training_events_held"], totals["hours"], totals["alumna_hours"]) == (
        1,
        2.0,
        6.0,
    )
