"""Worlds the test files share: a shop's business as a form would send it, a program office
with its cohort, a CSR company with a need, a registration; one place, so that no test file
imports another."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Business,
    GroupSession,
    MemberRole,
    OrganizationKind,
    Role,
    StaffRegion,
    TrainingEvent,
    User,
)
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, UserFactory, member_of
from tests.helpers import category_id

ADDRESS = "Jl. Canary Rahasia No. 7"
WHATSAPP_LOCAL = "0812-9876-5432"
WHATSAPP = "+6281298765432"


def new_business(session: Session, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Kue Basah Bu Siti",
        "description": "Kue lapis, nagasari dan klepon, pesan sehari sebelumnya.",
        "category_id": category_id(session, "traditional-cakes"),
        "village_code": "32.75.11.1004",
        "address": ADDRESS,
        "whatsapp": WHATSAPP_LOCAL,
        "channels": {"instagram": "https://www.instagram.com/kuebusiti"},
        "opening_hours": [{"day": "mon", "opens": "07:00", "closes": "15:00"}],
        "founded_on": "2023-08-17",
        "licences": [
            {
                "kind": "pirt",
                "number": "2063275010123-28",
                "issued_on": "2024-01-10",
                "expires_on": "2029-01-10",
            },
            {"kind": "halal", "number": "ID32110000123450324"},
        ],
    }
    body.update(overrides)
    return body


class Office:
    """A Kota Bekasi admin, a facilitator, a program and a cohort, and an alumna on the roster."""

    def __init__(self, client: FlaskClient, auth: Auth, db_session: Session) -> None:
        self.admin_h = staff(auth, db_session, Role.ADMIN, "32.75")
        self.facilitator: User = UserFactory(role=Role.FACILITATOR)
        self.facilitator_h = auth.headers(self.facilitator)
        program = client.post(
            "/v1/programs", json={"name": "Sekoper Cinta"}, headers=self.admin_h
        ).json
        made = client.post(
            "/v1/cohorts",
            json={
                "program_id": program["id"],
                "name": "Sekoper Cinta Kota Bekasi 2024",
                "year": 2024,
                "region_code": "32.75",
                "track": "catering",
                "graduated_on": "2024-11-30",
                "facilitator_ids": [self.facilitator.id],
            },
            headers=self.admin_h,
        )
        assert made.status_code == 201, made.json
        self.program, self.cohort = program, made.json
        self.alumna, self.alumna_h = auth.as_role(Role.ALUMNA, phone="+6281287654301")
        self.business: Business = BusinessFactory(owner_id=self.alumna.id)

    def upload(self, client: FlaskClient, text: str, dry_run: bool, headers: Any = None) -> Any:
        return client.post(
            f"/v1/cohorts/{self.cohort['id']}/roster?dry_run={str(dry_run).lower()}",
            data={"file": (io.BytesIO(text.encode()), "roster.csv")},
            headers=headers or self.admin_h,
            content_type="multipart/form-data",
        )


def staff(auth: Auth, db_session: Session, role: Role, *codes: str) -> dict[str, str]:
    user: User = UserFactory(role=role)
    db_session.add_all(StaffRegion(user_id=user.id, region_code=c) for c in codes)
    db_session.flush()
    return auth.headers(user)


REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"


def register_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": "Siti.Aminah@Example.ID",
        "phone": "0812-8765-4321",
        "password": "rahasia-sekali",
        "name": "  Siti Aminah ",
        "role": "alumna",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


TODAY = utcnow().date()
YEAR = TODAY.year


class Csr:
    """A verified CSR company with a partner, an alumna with a business and a need."""

    def __init__(self, auth: Auth) -> None:
        self.company = OrganizationFactory(name="PT Sinar", verified_at=utcnow())
        self.partner, self.partner_h = auth.as_role(Role.PARTNER)
        member_of(self.company, self.partner)
        self.alumna, self.alumna_h = auth.as_role(Role.ALUMNA)
        self.business = BusinessFactory(owner_id=self.alumna.id, name="Jahit Bu Ani")

    def need(self, client: FlaskClient, **extra: Any) -> dict[str, Any]:
        body = {
            "kind": "equipment",
            "title": "Mesin jahit portable",
            "items": [{"name": "Mesin jahit", "quantity": 1, "value_idr": 2_500_000}],
            "deadline": (TODAY + dt.timedelta(days=60)).isoformat(),
            **extra,
        }
        made = client.post(
            f"/v1/businesses/{self.business.id}/needs", json=body, headers=self.alumna_h
        )
        assert made.status_code == 201, made.json
        return made.json  # type: ignore[no-any-return]

    def propose(self, client: FlaskClient, need_id: str | None = None, **extra: Any) -> Any:
        headers = extra.pop("headers", self.partner_h)
        body = {
            "business_id": self.business.id,
            "need_id": need_id,
            "kind": "in_kind",
            "value_idr": 2_500_000,
            "terms": "Mesin diantar, pelatihan 1 kali.",
            "milestones": [{"title": "Mesin diterima"}, {"title": "Pelatihan dihadiri"}],
            **extra,
        }
        return client.post("/v1/sponsorships", json=body, headers=headers)

    def act(
        self, client: FlaskClient, sid: str, action: str, headers: dict[str, str], **body: Any
    ) -> Any:
        return client.post(f"/v1/sponsorships/{sid}/{action}", json=body, headers=headers)

    def disburse(self, client: FlaskClient, sid: str, value: int, **extra: Any) -> Any:
        body = {
            "disbursed_on": TODAY.isoformat(),
            "value_idr": value,
            "description": "Transfer",
            **extra,
        }
        return client.post(
            f"/v1/sponsorships/{sid}/disbursements", json=body, headers=self.partner_h
        )


def put_evidence(client: FlaskClient, url: str, data: bytes, headers: dict[str, str]) -> Any:
    return client.put(
        url,
        data={"file": (io.BytesIO(data), "bukti.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )


def report_charts_world(auth: Auth, session: Session) -> dict[str, Any]:
    """A CSR company that paid businesses in two regencies this year, and a university whose
    two mentors held sessions this year: the impact and mentoring reports' charts have bars."""
    from api.models import (
        Attendance,
        Disbursement,
        DisbursementStatus,
        MentoringFormat,
        MentoringRequest,
        MentoringSession,
        OrganizationKind,
        RequestStatus,
        SessionStatus,
        Sponsorship,
        SponsorshipStatus,
        SupportKind,
        Topic,
    )

    company = OrganizationFactory(name="PT Grafik", verified_at=utcnow())
    partner, partner_h = auth.as_role(Role.PARTNER)
    member_of(company, partner)
    university = OrganizationFactory(
        kind=OrganizationKind.UNIVERSITY, name="Universitas Grafik", verified_at=utcnow()
    )
    mentor_h = {}
    for n, (village, value) in enumerate(
        (("32.75.11.1004", 7_500_000), ("32.71.01.1001", 2_000_000))
    ):
        alumna = UserFactory(role=Role.ALUMNA)
        business = BusinessFactory(owner_id=alumna.id, village_code=village)
        sponsorship = Sponsorship(
            organization_id=company.id,
            business_id=business.id,
            kind=SupportKind.CASH,
            value_idr=value,
            status=SponsorshipStatus.ACTIVE,
        )
        session.add(sponsorship)
        session.flush()
        session.add(
            Disbursement(
                sponsorship_id=sponsorship.id,
                disbursed_on=TODAY,
                value_idr=value,
                description="Modal",
                status=DisbursementStatus.CONFIRMED,
            )
        )
        mentor, mentor_h = auth.as_role(Role.MENTOR, name=f"Dr. Grafik {n + 1}")
        member_of(university, mentor)
        request = MentoringRequest(
            alumna_id=alumna.id,
            business_id=business.id,
            topic=Topic.BOOKKEEPING,
            need="Pembukuan",
            preferred_format=MentoringFormat.ONLINE,
            mentor_id=mentor.id,
            organization_id=university.id,
            status=RequestStatus.IN_PROGRESS,
            opened_at=utcnow(),
        )
        session.add(request)
        session.flush()
        session.add(
            MentoringSession(
                request_id=request.id,
                starts_at=utcnow() - dt.timedelta(days=1),
                duration_minutes=90 * (n + 1),
                mode=MentoringFormat.ONLINE,
                status=SessionStatus.HELD,
                attendance=Attendance.ATTENDED,
            )
        )
    session.flush()
    return {
        "impact": (f"/v1/organizations/{company.id}/impact?year={YEAR}", partner_h),
        "mentoring": (
            f"/v1/organizations/{university.id}/mentoring-report?from={YEAR}-01-01&to={YEAR}-12-31",
            mentor_h,
        ),
    }


# -- training and groups (shared by the training, course and report tests) ------------------


NOW = utcnow()


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def event_body(*, starts_in: dt.timedelta = dt.timedelta(days=7), **extra: Any) -> dict[str, Any]:
    starts = NOW + starts_in
    return {
        "title": "Pembukuan sederhana untuk UMKM",
        "topic": "bookkeeping",
        "format": "in_person",
        "place": "Aula Kelurahan Mustikasari",
        "starts_at": iso(starts),
        "ends_at": iso(starts + dt.timedelta(hours=2)),
        "hours": 2,
        "capacity": 2,
        "registration_opens_at": iso(NOW - dt.timedelta(days=1)),
        "registration_closes_at": iso(starts),
        "region_codes": ["32.75"],
        **extra,
    }


class Training:
    """A verified university's mentor (the organiser), a facilitator trainer, four alumnae."""

    def __init__(self, auth: Auth, client: FlaskClient) -> None:
        self.client = client
        self.university = OrganizationFactory(
            kind=OrganizationKind.UNIVERSITY, name="Universitas Mustika", verified_at=utcnow()
        )
        self.mentor, self.mentor_h = auth.as_role(Role.MENTOR, name="Dr. Lestari")
        member_of(self.university, self.mentor, MemberRole.MEMBER)
        self.trainer, self.trainer_h = auth.as_role(Role.FACILITATOR, name="Bu Fasilitator")
        self.alumnae = [
            auth.as_role(Role.ALUMNA, name=f"Ibu Peserta {i}", phone=f"+62812555000{i}")
            for i in range(4)
        ]

    def create(self, **extra: Any) -> dict[str, Any]:
        body = event_body(trainer_ids=[self.trainer.id], **extra)
        response = self.client.post("/v1/training-events", json=body, headers=self.mentor_h)
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    def register(self, event_id: str, who: int) -> Any:
        return self.client.post(
            f"/v1/training-events/{event_id}/registrations", headers=self.alumnae[who][1]
        )

    def started(self, event_id: str, db_session: Session) -> None:
        """Move the event into the past (it started an hour ago)."""
        event = db_session.get(TrainingEvent, event_id)
        assert event is not None
        event.starts_at = utcnow() - dt.timedelta(hours=1)
        event.ends_at = utcnow() + dt.timedelta(hours=1)
        db_session.flush()


class School:
    """A verified university (a mentor), a verified CSR company (a partner), an unverified
    university (another mentor), a verified government office (an admin); two alumnae."""

    def __init__(self, auth: Auth) -> None:
        now = utcnow()
        self.university = OrganizationFactory(kind=OrganizationKind.UNIVERSITY, verified_at=now)
        self.company = OrganizationFactory(verified_at=now)
        self.office = OrganizationFactory(kind=OrganizationKind.GOVERNMENT_OFFICE, verified_at=now)
        self.unverified = OrganizationFactory(kind=OrganizationKind.UNIVERSITY)
        self.mentor, self.mentor_h = auth.as_role(Role.MENTOR)
        self.partner, self.partner_h = auth.as_role(Role.PARTNER)
        self.admin, self.admin_h = auth.as_role(Role.ADMIN)
        self.newcomer, self.newcomer_h = auth.as_role(Role.MENTOR)
        member_of(self.university, self.mentor, MemberRole.MEMBER)
        member_of(self.company, self.partner, MemberRole.ADMIN)
        member_of(self.office, self.admin, MemberRole.ADMIN)
        member_of(self.unverified, self.newcomer, MemberRole.ADMIN)
        self.alumna, self.alumna_h = auth.as_role(Role.ALUMNA)
        self.other, self.other_h = auth.as_role(Role.ALUMNA)
        self.buyer, self.buyer_h = auth.as_role(Role.BUYER)

    def course(self, client: FlaskClient, headers: Any = None, **extra: Any) -> Any:
        body = {
            "organization_id": self.university.id,
            "title": "Pembukuan sederhana untuk usaha rumahan",
            "summary": "Mencatat uang masuk dan keluar setiap hari.",
            "topic": "bookkeeping",
            "level": "beginner",
            **extra,
        }
        return client.post(
            "/v1/courses", json=body, headers=self.mentor_h if headers is None else headers
        )

    def module(self, client: FlaskClient, course_id: str, title: str = "Modul 1") -> str:
        made = client.post(
            f"/v1/courses/{course_id}/modules",
            json={"title": title, "body": "Buku kas harian."},
            headers=self.mentor_h,
        )
        assert made.status_code == 201, made.json
        return str(made.json["id"])

    def published(self, client: FlaskClient, modules: int = 2, **extra: Any) -> dict[str, Any]:
        course = self.course(client, **extra).json
        ids = [self.module(client, course["id"], f"Modul {i + 1}") for i in range(modules)]
        published = client.post(f"/v1/courses/{course['id']}/publish", headers=self.mentor_h)
        assert published.status_code == 200, published.json
        return {**published.json, "module_ids": ids}


class Workshop:
    """A verified university, its mentor with a group offer, and women."""

    def __init__(self, auth: Auth, db_session: Session, client: FlaskClient) -> None:
        self.db, self.client = db_session, client
        self.university = OrganizationFactory(
            kind=OrganizationKind.UNIVERSITY, name="Universitas Mustika", verified_at=utcnow()
        )
        self.mentor, self.mentor_h = auth.as_role(Role.MENTOR, name="Dr. Lestari")
        member_of(self.university, self.mentor, MemberRole.MEMBER)
        self.other_mentor, self.other_mentor_h = auth.as_role(Role.MENTOR)
        self.women = [auth.as_role(Role.ALUMNA, name=f"Ibu {i}") for i in range(5)]
        self.buyer, self.buyer_h = auth.as_role(Role.BUYER)
        self.admin, self.admin_h = auth.as_role(Role.ADMIN)
        body = {
            "title": "Lokakarya foto produk",
            "topics": ["product_photography"],
            "format": "in_person",
            "kind": "group",
            "group_size": 20,
            "capacity": 40,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=90)).isoformat(),
        }
        made = client.post("/v1/mentoring-offers", json=body, headers=self.mentor_h)
        assert made.status_code == 201, made.json
        self.offer_id = made.json["id"]

    def schedule(self, **extra: Any) -> Any:
        headers = extra.pop("headers", self.mentor_h)
        body = {
            "title": "Foto produk dengan ponsel",
            "topic": "product_photography",
            "starts_at": (utcnow() + dt.timedelta(days=3)).isoformat(),
            "duration_minutes": 120,
            "mode": "in_person",
            "place": "Balai Kelurahan Mustikasari",
            **extra,
        }
        return self.client.post(
            f"/v1/mentoring-offers/{self.offer_id}/group-sessions", json=body, headers=headers
        )

    def session(self, **extra: Any) -> str:
        made = self.schedule(**extra)
        assert made.status_code == 201, made.json
        return str(made.json["id"])

    def post(self, sid: str, action: str, headers: dict[str, str], body: Any = None) -> Any:
        return self.client.post(
            f"/v1/group-mentoring-sessions/{sid}/{action}", json=body or {}, headers=headers
        )

    def move_to_past(self, sid: str) -> None:
        meeting = self.db.get(GroupSession, sid)
        assert meeting is not None
        meeting.starts_at = utcnow() - dt.timedelta(hours=3)
        self.db.flush()

    def report(self, fmt: str = "json") -> Any:
        return self.client.get(
            f"/v1/organizations/{self.university.id}/mentoring-report"
            f"?from={YEAR}-01-01&to={YEAR}-12-31&format={fmt}",
            headers=self.mentor_h,
        )
