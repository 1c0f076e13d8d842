"""A training event's seats as a need a CSR company sponsors, and whom it reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Event,
    MemberRole,
    OrganizationKind,
    Role,
    Sponsorship,
    SupportNeed,
    TrainingEvent,
)
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, member_of
from tests.helpers import assert_problem, error_fields
from tests.worlds import Csr

TODAY = utcnow().date()


class Seats:
    """A verified university's mentor organises an event (3 seats); a CSR company; alumnae."""

    def __init__(self, auth: Auth, client: FlaskClient) -> None:
        self.client = client
        self.csr = Csr(auth)
        self.csr_auth = auth
        university = OrganizationFactory(
            kind=OrganizationKind.UNIVERSITY, name="Universitas Mustika", verified_at=utcnow()
        )
        self.mentor, self.mentor_h = auth.as_role(Role.MENTOR, name="Dr. Lestari")
        member_of(university, self.mentor, MemberRole.MEMBER)
        self.other_mentor, self.other_mentor_h = auth.as_role(Role.MENTOR, name="Dr. Lain")
        member_of(university, self.other_mentor, MemberRole.MEMBER)
        self.trainer, self.trainer_h = auth.as_role(Role.FACILITATOR, name="Bu Fasilitator")
        self.alumnae = [
            auth.as_role(Role.ALUMNA, name=f"Ibu Peserta {i}", phone=f"+62812666000{i}")
            for i in range(3)
        ]
        starts = utcnow() + dt.timedelta(days=7)
        body = {
            "title": "Pembukuan sederhana untuk UMKM",
            "topic": "bookkeeping",
            "format": "in_person",
            "place": "Aula Kelurahan Mustikasari",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
            "hours": 2,
            "capacity": 3,
            "registration_opens_at": (utcnow() - dt.timedelta(days=1)).isoformat(),
            "registration_closes_at": starts.isoformat(),
            "region_codes": ["32.75"],
            "trainer_ids": [self.trainer.id],
        }
        made = client.post("/v1/training-events", json=body, headers=self.mentor_h)
        assert made.status_code == 201, made.json
        self.event_id = made.json["id"]
        self.url = f"/v1/training-events/{self.event_id}/needs"

    def need(self, seats: int = 3, headers: dict[str, str] | None = None) -> Any:
        body = {"title": "Kursi pelatihan pembukuan", "seats": seats, "target_value_idr": 900_000}
        return self.client.post(self.url, json=body, headers=headers or self.mentor_h)

    def sponsor(self, need_id: str | None, value: int) -> str:
        """The CSR company proposes, the organiser accepts, a disbursement is confirmed."""
        client, csr = self.client, self.csr
        body = {
            "target_type": "training_event",
            "target_id": self.event_id,
            "need_id": need_id,
            "kind": "cash",
            "value_idr": value,
            "terms": "Biaya kursi pelatihan.",
        }
        proposed = client.post("/v1/sponsorships", json=body, headers=csr.partner_h)
        assert proposed.status_code == 201, proposed.json
        sid = proposed.json["id"]
        assert_problem(csr.act(client, sid, "accept", csr.alumna_h), 404)
        accepted = csr.act(client, sid, "accept", self.mentor_h)
        assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
        paid = csr.disburse(client, sid, value)
        assert paid.status_code == 201, paid.json
        confirmed = client.post(
            f"/v1/sponsorships/{sid}/disbursements/{paid.json['id']}/confirm",
            headers=self.mentor_h,
        )
        assert confirmed.status_code == 200, confirmed.json
        return str(sid)


@pytest.fixture
def seats(auth: Auth, client: FlaskClient) -> Seats:
    return Seats(auth, client)


def test_the_organiser_asks_for_seats_and_nobody_else_may(
    client: FlaskClient, seats: Seats, db_session: Session
) -> None:
    made = seats.need()
    assert made.status_code == 201, made.json
    need = made.json
    assert need["target"] == {"type": "training_event", "id": seats.event_id}
    assert need["seats"] == 3 and need["target_value_idr"] == 900_000
    assert need["kind"] == "training" and need["business"] is None
    stored = db_session.get(SupportNeed, need["id"])
    assert stored is not None and stored.event_id == seats.event_id and stored.seats == 3
    assert client.get(f"/v1/needs/{need['id']}").json["seats"] == 3
    listed = client.get(
        "/v1/needs", query_string={"target_type": "training_event", "sort": "-created_at"}
    ).json
    assert [n["id"] for n in listed["items"]] == [need["id"]]
    assert listed["items"][0]["business"] is None  # a compact row of a need for no business
    for region, found in (("32.75.11", [need["id"]]), ("32", [need["id"]]), ("32.71", [])):
        nearby = client.get(
            "/v1/needs",
            query_string={"target_type": "training_event", "region": region, "sort": "progress"},
        ).json
        assert [n["id"] for n in nearby["items"]] == found
    posted = db_session.scalar(
        select(Event).where(Event.subject_id == need["id"], Event.type == "need.posted")
    )
    assert posted is not None and posted.data["target_type"] == "training_event"
    # More seats than the event has, none, or a wrong type: 422.
    assert error_fields(assert_problem(seats.need(4), 422)) == {"seats"}
    assert error_fields(assert_problem(seats.need(0), 422)) == {"seats"}
    wrong = client.post(seats.url, json={"title": "Kursi", "seats": "3"}, headers=seats.mentor_h)
    assert "seats" in error_fields(assert_problem(wrong, 422))
    # Not its organiser, not an organiser at all, nobody, no such event.
    assert_problem(seats.need(headers=seats.other_mentor_h), 403)
    assert_problem(seats.need(headers=seats.trainer_h), 403)
    assert_problem(seats.need(headers=seats.alumnae[0][1]), 403)
    assert_problem(client.post(seats.url, json={"title": "Kursi", "seats": 1}), 401)
    unknown = client.post(
        "/v1/training-events/tev_unknown/needs",
        json={"title": "Kursi", "seats": 1, "target_value_idr": 1000},
        headers=seats.mentor_h,
    )
    assert_problem(unknown, 404)
    # A cancelled event takes no need.
    client.post(
        f"/v1/training-events/{seats.event_id}/cancel",
        json={"reason": "Narasumber sakit"},
        headers=seats.mentor_h,
    )
    assert_problem(seats.need(), 409)


def test_a_csr_company_sponsors_the_seats_and_sees_whom_it_reached(
    client: FlaskClient, seats: Seats, db_session: Session
) -> None:
    need = seats.need().json
    sid = seats.sponsor(need["id"], 900_000)
    assert client.get(f"/v1/needs/{need['id']}").json["status"] == "met"
    mine = client.get(
        "/v1/sponsorships", query_string={"side": "recipient"}, headers=seats.mentor_h
    ).json
    assert [s["id"] for s in mine["items"]] == [sid]
    seen = client.get(f"/v1/sponsorships/{sid}", headers=seats.mentor_h).json
    assert seen["target"] == {"type": "training_event", "id": seats.event_id}
    assert_problem(client.get(f"/v1/sponsorships/{sid}", headers=seats.other_mentor_h), 404)
    # A second sponsorship of the same event: its women still count once.
    seats.sponsor(None, 300_000)
    # Three women register; one cancels; of the two who stay one comes and is certified.
    regs = [
        client.post(
            f"/v1/training-events/{seats.event_id}/registrations", headers=seats.alumnae[i][1]
        )
        for i in range(3)
    ]
    assert [r.status_code for r in regs] == [201, 201, 201]
    cancelled = client.post(
        f"/v1/training-registrations/{regs[2].json['id']}/cancel", headers=seats.alumnae[2][1]
    )
    assert cancelled.status_code == 200, cancelled.json
    event = db_session.get(TrainingEvent, seats.event_id)
    assert event is not None
    event.starts_at = utcnow() - dt.timedelta(hours=1)
    event.ends_at = utcnow() + dt.timedelta(hours=1)
    db_session.flush()
    came = [
        {"user_id": seats.alumnae[0][0].id, "attended": True},
        {"user_id": seats.alumnae[1][0].id, "attended": False},
    ]
    recorded = client.post(
        f"/v1/training-events/{seats.event_id}/attendance",
        json={"entries": came},
        headers=seats.trainer_h,
    )
    assert recorded.status_code == 200, recorded.json
    done = client.post(f"/v1/training-events/{seats.event_id}/complete", headers=seats.mentor_h)
    assert done.status_code == 200, done.json
    url = f"/v1/organizations/{seats.csr.company.id}/impact?year={TODAY.year}"
    report = client.get(url, headers=seats.csr.partner_h).json
    assert report["women_reached"] == 2
    assert report["training_attended"] == 1 and report["training_completed"] == 1
    assert report["targets_reached"]["training_event"] == 2
    assert report["value_disbursed_idr"] == 1_200_000
    assert report["businesses"] == []
    # With her consent, the business of the woman who came shows its before and after.
    business = BusinessFactory(owner_id=seats.alumnae[0][0].id, name="Kue Bu Peserta")
    granted = client.post(
        f"/v1/businesses/{business.id}/consents",
        json={"organization_id": seats.csr.company.id},
        headers=seats.alumnae[0][1],
    )
    assert granted.status_code == 201, granted.json
    (item,) = client.get(url, headers=seats.csr.partner_h).json["businesses"]
    assert item["business_id"] == business.id and item["consented"] is True
    assert item["value_received_idr"] == 0 and item["before"] is not None
    assert item["after"] is not None


def test_a_need_alone_names_what_is_sponsored(client: FlaskClient, seats: Seats) -> None:
    """A company answering a need sends its id; the target is the need's (the event)."""
    need = seats.need()
    assert need.status_code == 201, need.json
    body = {"need_id": need.json["id"], "kind": "cash", "value_idr": 900_000}
    proposed = client.post("/v1/sponsorships", json=body, headers=seats.csr.partner_h)
    assert proposed.status_code == 201, proposed.json
    assert proposed.json["need_id"] == need.json["id"]
    assert proposed.json["target"]["type"] == "training_event"
    assert proposed.json["target"]["id"] == seats.event_id
    unknown = {**body, "need_id": "ned_" + "0" * 26}
    refused = client.post("/v1/sponsorships", json=unknown, headers=seats.csr.partner_h)
    assert "need_id" in error_fields(assert_problem(refused, 422))


def test_a_company_may_not_sponsor_its_own_event(
    client: FlaskClient, seats: Seats, db_session: Session
) -> None:
    """An event run by the sponsoring company, or organised by one of its members, is the
    company's own: proposing support to its seats is refused."""
    need = seats.need().json
    body = {"need_id": need["id"], "kind": "cash", "value_idr": 900_000}
    member_of(seats.csr.company, seats.mentor)  # the organiser works for the company
    refused = client.post("/v1/sponsorships", json=body, headers=seats.csr.partner_h)
    assert_problem(refused, 409, "self_sponsorship")

    other, other_h = seats.csr_auth.as_role(Role.PARTNER)
    company = OrganizationFactory(name="PT Mandiri Jaya", verified_at=utcnow())
    member_of(company, other)
    event = db_session.get(TrainingEvent, seats.event_id)
    assert event is not None
    event.organization_id = company.id  # the company runs the event itself
    db_session.flush()
    refused = client.post("/v1/sponsorships", json=body, headers=other_h)
    assert_problem(refused, 409, "self_sponsorship")
    assert db_session.scalar(select(Sponsorship.id)) is None


def test_cancelling_the_event_closes_its_open_needs(
    client: FlaskClient, seats: Seats, db_session: Session
) -> None:
    """Its open needs close as a need closed by hand does (``need.closed``, public); a met
    need stays met; a proposal still pending stays proposed, for the organiser to decline
    (the need-close transition leaves proposals alone), and nobody may propose to it again."""
    met = seats.need().json
    seats.sponsor(met["id"], 900_000)
    open_need = seats.need(2).json
    body = {"need_id": open_need["id"], "kind": "cash", "value_idr": 600_000}
    pending = client.post("/v1/sponsorships", json=body, headers=seats.csr.partner_h)
    assert pending.status_code == 201, pending.json
    cancelled = client.post(
        f"/v1/training-events/{seats.event_id}/cancel",
        json={"reason": "Narasumber sakit"},
        headers=seats.mentor_h,
    )
    assert cancelled.status_code == 200, cancelled.json
    closed = client.get(f"/v1/needs/{open_need['id']}").json
    assert closed["status"] == "closed"
    assert client.get(f"/v1/needs/{met['id']}").json["status"] == "met"
    event = db_session.scalar(
        select(Event).where(Event.subject_id == open_need["id"], Event.type == "need.closed")
    )
    assert event is not None and event.public and event.actor_id == seats.mentor.id
    assert (
        db_session.scalar(
            select(Event).where(Event.subject_id == met["id"], Event.type == "need.closed")
        )
        is None
    )
    listed = client.get("/v1/needs", query_string={"target_type": "training_event"}).json
    assert open_need["id"] not in [n["id"] for n in listed["items"]]
    # The pending proposal is left to the organiser, who may decline it, not accept it.
    sid = pending.json["id"]
    assert client.get(f"/v1/sponsorships/{sid}", headers=seats.mentor_h).json["status"] == (
        "proposed"
    )
    assert_problem(seats.csr.act(client, sid, "accept", seats.mentor_h), 409, "need_closed")
    declined = seats.csr.act(client, sid, "decline", seats.mentor_h)
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    again = client.post("/v1/sponsorships", json=body, headers=seats.csr.partner_h)
    assert error_fields(assert_problem(again, 422)) == {"target_id"}  # the event is off
    # Closing it by hand afterwards is refused as for any closed need.
    assert_problem(client.post(f"/v1/needs/{open_need['id']}/close", headers=seats.mentor_h), 409)


def test_a_pending_proposal_on_a_cancelled_events_need_cannot_be_accepted(
    client: FlaskClient, seats: Seats
) -> None:
    """The event is off and its need closed: nobody can accept seats that will not be held."""
    open_need = seats.need(2).json
    body = {"need_id": open_need["id"], "kind": "cash", "value_idr": 600_000}
    pending = client.post("/v1/sponsorships", json=body, headers=seats.csr.partner_h)
    assert pending.status_code == 201, pending.json
    cancelled = client.post(
        f"/v1/training-events/{seats.event_id}/cancel",
        json={"reason": "Narasumber sakit"},
        headers=seats.mentor_h,
    )
    assert cancelled.status_code == 200, cancelled.json
    accepted = seats.csr.act(client, pending.json["id"], "accept", seats.mentor_h)
    assert_problem(accepted, 409)
