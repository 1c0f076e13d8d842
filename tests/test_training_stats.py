"""What helped: businesses whose owners completed training, were mentored, were sponsored, or
none; the counting rules (a revoked certificate does not count, the kinds overlap), small rows
suppressed (and the one row that would give a suppressed "none" away), admins in scope, and the
note that it is association, not cause."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import utcnow
from api.models import (
    BusinessStatus,
    CertificateStatus,
    CheckIn,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    MentoringFormat,
    MentoringRequest,
    OrganizationKind,
    Program,
    RegistrationStatus,
    RequestStatus,
    Role,
    Sponsorship,
    SponsorshipStatus,
    StatsFact,
    SupportKind,
    Topic,
    TrainingCertificate,
    TrainingEvent,
    TrainingRegistration,
    User,
)
from api.models.training_event import TrainingEventStatus
from api.services.training.certificates import new_code
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, UserFactory

TODAY = utcnow().date()
GRADUATED = add_months(TODAY, -14)
TARGET_MONTH = add_months(GRADUATED, 12).replace(day=1)


class Cohort14:
    """A cohort that graduated 14 months ago, in Kota Bekasi, and its graduates' businesses."""

    def __init__(self, session: Session, name: str) -> None:
        self.session = session
        program = Program(name=f"Program {name}")
        session.add(program)
        session.flush()
        self.cohort = Cohort(
            program_id=program.id, name=name, year=2025, region_code="32.75", graduated_on=GRADUATED
        )
        session.add(self.cohort)
        session.flush()
        now = utcnow()
        self.event = TrainingEvent(
            title="Pemasaran digital",
            topic=Topic.DIGITAL_MARKETING,
            format=MentoringFormat.ONLINE,
            link="https://meet.example.id/a",
            starts_at=now - dt.timedelta(days=30),
            ends_at=now - dt.timedelta(days=30) + dt.timedelta(hours=2),
            hours=2,
            capacity=50,
            registration_opens_at=now - dt.timedelta(days=60),
            registration_closes_at=now - dt.timedelta(days=31),
            status=TrainingEventStatus.COMPLETED,
        )
        session.add(self.event)
        self.company = OrganizationFactory(kind=OrganizationKind.CSR_COMPANY, verified_at=now)
        session.flush()
        self.count = 0

    def woman(self, *, status: BusinessStatus = BusinessStatus.ACTIVE) -> tuple[User, str]:
        self.count += 1
        user = UserFactory(role=Role.ALUMNA)
        self.session.add(
            GraduateClaim(user_id=user.id, cohort_id=self.cohort.id, status=ClaimStatus.VERIFIED)
        )
        business = BusinessFactory(owner_id=user.id, status=status)
        self.session.flush()
        return user, business.id

    def trained(self, user: User, *, revoked: bool = False) -> None:
        registration = TrainingRegistration(
            event_id=self.event.id,
            user_id=user.id,
            status=RegistrationStatus.CONFIRMED,
            queued_at=utcnow(),
            attended=True,
        )
        self.session.add(registration)
        self.session.flush()
        self.session.add(
            TrainingCertificate(
                registration_id=registration.id,
                event_id=self.event.id,
                user_id=user.id,
                code=new_code(),
                holder_name=user.name,
                title=self.event.title,
                issuer_name="Program",
                hours=2,
                held_on=self.event.starts_at.date(),
                status=CertificateStatus.REVOKED if revoked else CertificateStatus.VALID,
            )
        )

    def mentored(self, user: User, status: RequestStatus = RequestStatus.COMPLETED) -> None:
        self.session.add(
            MentoringRequest(
                alumna_id=user.id,
                topic=Topic.BOOKKEEPING,
                need="Pembukuan",
                preferred_format=MentoringFormat.ONLINE,
                opened_at=utcnow(),
                status=status,
            )
        )

    def sponsored(self, business_id: str, status: SponsorshipStatus) -> None:
        self.session.add(
            Sponsorship(
                organization_id=self.company.id,
                business_id=business_id,
                kind=SupportKind.CASH,
                value_idr=1_000_000,
                status=status,
            )
        )

    def traded(self, business_id: str, trading: bool) -> None:
        self.session.add(CheckIn(business_id=business_id, month=TARGET_MONTH, trading=trading))


def _rows(client: FlaskClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.get(
        "/v1/stats/cohort/what-helped", query_string={"region": "32.75"}, headers=headers or {}
    )
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def _by_exposure(body: dict[str, Any], cohort_id: str) -> dict[str, dict[str, Any]]:
    group = next(g for g in body["items"] if g["key"] == cohort_id)
    return {row["exposure"]: row for row in group["rows"]}


def test_the_counting_rules_and_suppression(
    client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    world = Cohort14(db_session, "Bekasi Pelatihan")
    women = [
        world.woman(status=BusinessStatus.CLOSED if i == 0 else BusinessStatus.ACTIVE)
        for i in range(14)
    ]
    for user, _ in women[:5]:  # trained: 0-4 (0 closed)
        world.trained(user)
    world.trained(women[5][0], revoked=True)  # a revoked certificate is no training
    for user, _ in (women[0], women[1], women[6], women[7]):  # mentored: 4, two also trained
        world.mentored(user)
    world.mentored(women[9][0], RequestStatus.IN_PROGRESS)  # not completed: not mentored
    world.sponsored(women[8][1], SponsorshipStatus.ACTIVE)  # sponsored: 1
    world.sponsored(women[10][1], SponsorshipStatus.PROPOSED)  # never started: not sponsored
    for _, business in women[1:4]:
        world.traded(business, True)
    world.traded(women[4][1], False)
    db_session.flush()

    body = _rows(client)
    assert "association, not cause" in body["note"]
    rows = _by_exposure(body, world.cohort.id)
    trained = rows["trained"]
    assert not trained["suppressed"] and trained["businesses"] == 5
    assert trained["share_active"] == 0.8  # one of five closed
    assert trained["survival_12m"] == 0.75  # three of the four known then were trading
    assert rows["mentored"]["suppressed"] and rows["mentored"]["businesses"] is None
    assert rows["sponsored"]["suppressed"] and rows["sponsored"]["share_active"] is None
    none = rows["none"]  # 5 (revoked), 9, 10, 11, 12, 13
    assert not none["suppressed"] and none["businesses"] == 6

    admin_h = auth.as_role(Role.ADMIN)[1]  # regions: everywhere
    rows = _by_exposure(_rows(client, admin_h), world.cohort.id)
    assert rows["mentored"]["businesses"] == 4 and not rows["mentored"]["suppressed"]
    assert rows["sponsored"]["businesses"] == 1

    indonesian = client.get(
        "/v1/stats/cohort/what-helped",
        query_string={"region": "32.75", "format": "csv"},
        headers={"Accept-Language": "id"},
    )
    assert indonesian.status_code == 200 and indonesian.mimetype == "text/csv"
    assert "Bantuan" in indonesian.get_data(as_text=True)
    note = client.get(
        "/v1/stats/cohort/what-helped",
        query_string={"region": "32.75"},
        headers={"Accept-Language": "id"},
    ).get_json()["note"]
    assert "bukan sebab-akibat" in note


def test_a_suppressed_none_is_not_given_away_by_the_only_other_row(
    client: FlaskClient, db_session: Session
) -> None:
    world = Cohort14(db_session, "Bekasi Kecil")
    women = [world.woman() for _ in range(8)]
    for user, _ in women[:6]:
        world.trained(user)
    db_session.flush()
    rows = _by_exposure(_rows(client), world.cohort.id)
    # The cohort's total (8) is public; 8 - 6 would give the suppressed "none" (2) away.
    assert rows["none"]["suppressed"] and rows["trained"]["suppressed"]
    assert rows["trained"]["businesses"] is None


def test_a_suppressed_row_is_not_recovered_as_the_total_less_none(
    client: FlaskClient, db_session: Session
) -> None:
    """Two of seven businesses trained: the cohort's public total (7) less a published
    ``none`` (5) would give the suppressed ``trained`` row (2) away; ``none`` is suppressed."""
    world = Cohort14(db_session, "Bekasi Selisih")
    women = [world.woman() for _ in range(7)]
    for user, _ in women[:2]:
        world.trained(user)
    db_session.flush()
    public = client.get("/v1/stats/cohort", query_string={"region": "32.75"}).get_json()
    total = next(g for g in public["items"] if g["key"] == world.cohort.id)["businesses_started"]
    assert total == 7
    rows = _by_exposure(_rows(client), world.cohort.id)
    assert rows["trained"]["suppressed"] and rows["trained"]["businesses"] is None
    assert rows["none"]["suppressed"] and rows["none"]["businesses"] is None
    assert all(r["suppressed"] for r in rows.values())  # nothing to subtract from the total


def test_unknown_filters_are_refused(client: FlaskClient) -> None:
    response = client.get("/v1/stats/cohort/what-helped", query_string={"program": "prg_nope"})
    assert response.status_code == 422
    assert client.get("/v1/stats/nothing/what-helped").status_code == 404


def test_what_helped_counts_as_the_group_figures_do(
    client: FlaskClient, db_session: Session
) -> None:
    """Where nobody had help, the ``none`` row is the whole group: its businesses, share
    active and survival are those of ``/v1/stats/cohort``, counted by the same code from the
    same ``stats_facts`` flags, even where those flags are all the statistics know (a business
    whose trading came by a bulk load the ORM did not see, as ``flask housekeeping`` records
    it)."""
    world = Cohort14(db_session, "Bekasi Sama")
    women = [
        world.woman(status=BusinessStatus.CLOSED if i == 0 else BusinessStatus.ACTIVE)
        for i in range(6)
    ]
    for _, business in women[1:4]:
        world.traded(business, True)
    world.traded(women[4][1], False)
    db_session.flush()
    db_session.execute(
        update(StatsFact)
        .where(StatsFact.business_id == women[5][1])
        .values(known_12m=True, alive_12m=True)
    )
    none = _by_exposure(_rows(client), world.cohort.id)["none"]
    figures = client.get("/v1/stats/cohort", query_string={"region": "32.75"}).get_json()
    group = next(g for g in figures["items"] if g["key"] == world.cohort.id)
    assert none["businesses"] == group["businesses_started"] == 6
    assert none["share_active"] == group["share_active"] == round(5 / 6, 4)
    assert none["survival_12m"] == group["survival_12m"] == 0.8  # four of the five known
    assert none["survival_6m"] == group["survival_6m"]
