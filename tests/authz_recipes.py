"""The authorization matrix's world, its canaries and one request recipe per operation.

The world is built once (``build_world``), through the API itself, twice over: an "own" side
whose people are the matrix's callers (the owner alumna, her buyer, the CSR partner who
sponsors her, the mentor who mentors her, the facilitator of her cohort) and an "others" side
of the same shape whose people are strangers. Every personal field of every person holds a
canary, a distinctive string (``cnry-<who>-<field>``) or number, so that a response can be
searched for data of someone other than the caller.

A recipe (``request_for``) turns a cell (operation, variant, caller) into one request: the
object of the row's variant, a minimal valid body. Rows whose variant starts with ``others``
address the strangers' objects; ``draft``, ``closed``, ``open``, ``hidden`` and ``accepted``
address the own side's object in that state (``VARIANT_OBJECTS``).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Event,
    GroupSession,
    MemberRole,
    Notification,
    OrganizationKind,
    Role,
    RosterEntry,
    StaffRegion,
    TrainingEvent,
    User,
    WebhookDelivery,
)
from api.services import auth as auth_service
from api.services.api_keys import SCOPES
from api.state import get_state
from tests.conftest import Auth
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member_of
from tests.helpers import category_id

CALLERS = (
    "anonymous",
    "owner",
    "other_alumna",
    "buyer",
    "partner",
    "mentor",
    "facilitator",
    "admin_in",
    "admin_out",
    "key",
    "key_unscoped",
)
# Whose responses the canary scan reads: the public, signed-in peers, and apps.
SCANNED = ("anonymous", "other_alumna", "buyer", "key", "key_unscoped")
# The person behind each caller (a key acts as the partner who made it).
PERSON = {
    "owner": "owner",
    "other_alumna": "otheralumna",
    "buyer": "buyer",
    "partner": "partner",
    "mentor": "mentor",
    "facilitator": "facilitator",
    "admin_in": "adminin",
    "admin_out": "adminout",
    "key": "partner",
    "key_unscoped": "partner",
}
# The people of each side, by their part in it (the others' are strangers to every caller).
OWN = {
    "alumna": "owner",
    "buyer": "buyer",
    "partner": "partner",
    "member": "memberpartner",
    "mentor": "mentor",
    "facilitator": "facilitator",
}
OTHERS = {part: "s" + label for part, label in OWN.items()}
BEKASI, BOGOR = "32.75", "32.71"  # where admin_in and admin_out work
VILLAGES = {"own": "32.75.11.1004", "others": "32.75.02.1002"}  # both in Kota Bekasi
TODAY = utcnow().date()
YEAR = TODAY.year


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


PHOTO = _jpeg()


@dataclass(frozen=True)
class Canary:
    token: str  # what is searched for (lower case; phone numbers by their national digits)
    owner: str  # whose it is (a person's label)
    what: str  # the field, e.g. "user.phone", "order.contact_phone"


@dataclass
class Side:
    """One side of the world: its people and the ids of their objects."""

    tag: str
    people: dict[str, str]  # part -> label
    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, str] = field(default_factory=dict)  # label -> user id
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # label -> bearer
    canaries: list[Canary] = field(default_factory=list)
    sides: dict[str, Side] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # scope -> a key of that scope only
    keys_without: dict[str, str] = field(default_factory=dict)  # scope -> one of all others
    key_all: str = ""
    notifications: dict[str, str] = field(default_factory=dict)  # label -> one of hers
    refresh_token: str = ""

    def side(self, variant: str) -> Side:
        return self.sides["others" if variant.startswith("others") else "own"]

    def caller_headers(self, caller: str, scope: str | None) -> dict[str, str]:
        """A key of the partner's for the key columns (every scope when the operation has
        none, so that only the operation's refusal of keys answers)."""
        if caller == "anonymous":
            return {}
        if caller in ("key", "key_unscoped"):
            keys = self.keys if caller == "key" else self.keys_without
            return {"X-API-Key": keys[scope] if scope else self.key_all}
        return self.headers[PERSON[caller]]


class Builder:
    """Builds the world through the API, asserting every step succeeds."""

    def __init__(self, app: Flask, session: Session, client: FlaskClient) -> None:
        self.app, self.session, self.client = app, session, client
        self.auth = Auth(app, session)
        self.world = World()
        self.numbers = itertools.count(1)

    # -- helpers ---------------------------------------------------------------------------

    def call(self, method: str, path: str, who: str, expect: int, **kwargs: Any) -> Any:
        response = self.client.open(path, method=method, headers=self.world.headers[who], **kwargs)
        assert response.status_code == expect, (method, path, who, response.get_json())
        return response.get_json()

    def post(self, path: str, who: str, body: Any = None, expect: int = 201) -> Any:
        return self.call("POST", path, who, expect, json=body if body is not None else {})

    def act(self, path: str, who: str, body: Any = None) -> Any:
        return self.post(path, who, body, expect=200)

    def upload(self, path: str, who: str, method: str = "POST") -> Any:
        return self.call(
            method,
            path,
            who,
            201 if method == "POST" else 200,
            data={"file": (io.BytesIO(PHOTO), "photo.jpg")},
            content_type="multipart/form-data",
        )

    def word(self, owner: str, what: str) -> str:
        """A canary string for the owner's field ``what``."""
        token = f"cnry-{owner}-{what.replace('.', '-')}"
        self.world.canaries.append(Canary(token, owner, what))
        return token

    def number(self, owner: str, what: str, prefix: str) -> int:
        """A canary amount (seven digits)."""
        token = f"{prefix}{next(self.numbers):05d}"
        self.world.canaries.append(Canary(token, owner, what))
        return int(token)

    def phone(self, owner: str, what: str, block: int) -> str:
        """A canary phone number; searched for by its digits, whatever the format."""
        digits = f"812{block}{next(self.numbers):04d}"
        self.world.canaries.append(Canary(digits, owner, what))
        return f"+62{digits}"

    def person(self, label: str, role: Role, *regions: str) -> None:
        user = UserFactory(
            role=role,
            name="Ibu " + self.word(label, "user.name"),
            email=self.word(label, "user.email") + "@example.id",
            phone=self.phone(label, "user.phone", 7777),
        )
        self.session.add_all(StaffRegion(user_id=user.id, region_code=r) for r in regions)
        self.session.flush()
        self.world.users[label] = user.id
        self.world.headers[label] = self.auth.headers(user)

    def user(self, label: str) -> User:
        found = self.session.get(User, self.world.users[label])
        assert found is not None
        return found

    # -- the world ---------------------------------------------------------------------------

    def build(self) -> World:
        w = self.world
        for side in (OWN, OTHERS):
            for part, role in (
                ("alumna", Role.ALUMNA),
                ("buyer", Role.BUYER),
                ("partner", Role.PARTNER),
                ("member", Role.PARTNER),
                ("mentor", Role.MENTOR),
            ):
                self.person(side[part], role)
            self.person(side["facilitator"], Role.FACILITATOR, BEKASI)
        self.person("otheralumna", Role.ALUMNA)
        self.person("newpartner", Role.PARTNER)  # to be added to an organisation
        self.person("adminin", Role.ADMIN, BEKASI)
        self.person("adminout", Role.ADMIN, BOGOR)
        w.shared["program"] = self.post("/v1/programs", "adminin", {"name": "Sekoper Cinta"})["id"]
        w.shared["category"] = category_id(self.session, "snacks-cakes")
        w.shared["spare_cohort"] = self.cohort("Kota Bekasi 2021", [])
        w.shared["unverified_org"] = OrganizationFactory(name="PT Belum Terverifikasi").id
        pair = auth_service.open_session(
            self.session, security=get_state(self.app).security, user=self.user("owner")
        )
        w.refresh_token = pair.refresh_token  # usable by every cell: each is rolled back
        for tag, people in (("own", OWN), ("others", OTHERS)):
            side = w.sides[tag] = Side(tag, people)
            self.organisations(side)
            self.program(side)
            self.catalogue(side)
            self.orders(side)
            self.figures(side)
            self.sponsorships(side)
            self.mentoring(side)
            self.courses(side)
            self.groups(side)
            self.training(side)
            self.extras(side)
        self.keys()
        self.notify_everyone()
        return w

    def cohort(self, name: str, facilitators: list[str]) -> str:
        body = {
            "program_id": self.world.shared["program"],
            "name": name,
            "year": 2024,
            "region_code": BEKASI,
            "graduated_on": "2024-11-30",
            "facilitator_ids": facilitators,
        }
        return str(self.post("/v1/cohorts", "adminin", body)["id"])

    def organisations(self, s: Side) -> None:
        """The partner's CSR company (she is its admin), the mentor's university, and the
        company's webhook, first, so that what follows is delivered to it."""
        w, ids, people = self.world, s.ids, s.people
        csr = OrganizationFactory(name=f"PT Sinar {s.tag}", verified_at=utcnow())
        member_of(csr, self.user(people["partner"]), MemberRole.ADMIN)
        member_of(csr, self.user(people["member"]))
        university = OrganizationFactory(
            name=f"Universitas {s.tag}",
            kind=OrganizationKind.UNIVERSITY,
            verified_at=utcnow(),
            data_use_agreement_at=utcnow() if s.tag == "own" else None,
        )
        member_of(university, self.user(people["mentor"]), MemberRole.ADMIN)
        ids.update(csr=csr.id, university=university.id, member=w.users[people["member"]])
        ids.update(mentor_id=w.users[people["mentor"]])
        ids.update(facilitator_id=w.users[people["facilitator"]])
        hook = {"organization_id": csr.id, "url": "http://127.0.0.1:9/hook", "event_types": ["*"]}
        ids["webhook"] = self.post("/v1/webhooks", people["partner"], hook)["id"]

    def program(self, s: Side) -> None:
        """Her cohort (roster, verified claim) and another she claimed (pending)."""
        ids, alumna = s.ids, s.people["alumna"]
        ids["alumna_user"] = self.world.users[alumna]
        facilitators = [self.world.users[s.people["facilitator"]]]
        ids["cohort"] = self.cohort(f"Kota Bekasi 2024 {s.tag}", facilitators)
        ids["pending_cohort"] = self.cohort(f"Kota Bekasi 2023 {s.tag}", facilitators)
        village, phone = VILLAGES[s.tag], str(self.user(alumna).phone)
        lines = [
            "name,phone,village_code",
            f"{self.word(alumna, 'roster.name')},{phone},{village}",
            f"Ibu Lain,{self.phone(alumna, 'roster.phone', 6666)},{village}",
        ]
        self.call(
            "POST",
            f"/v1/cohorts/{ids['cohort']}/roster?dry_run=false",
            "adminin",
            200,
            data={"file": (io.BytesIO("\n".join(lines).encode()), "roster.csv")},
            content_type="multipart/form-data",
        )
        ids["roster_entry"] = self.session.scalars(
            select(RosterEntry.id).where(
                RosterEntry.cohort_id == ids["cohort"], RosterEntry.name == "Ibu Lain"
            )
        ).one()
        note = self.word(alumna, "claim.note")
        claim = self.post("/v1/graduate-claims", alumna, {"cohort_id": ids["cohort"], "note": note})
        self.act(f"/v1/graduate-claims/{claim['id']}/verify", s.people["facilitator"])
        pending = {"cohort_id": ids["pending_cohort"]}
        ids["claim"] = self.post("/v1/graduate-claims", alumna, pending)["id"]

    def catalogue(self, s: Side) -> None:
        """Her active business (a photo; two published products, one with a photo, and a
        draft) and a draft business; she lets signed-in people ask for her number."""
        ids, alumna, village = s.ids, s.people["alumna"], VILLAGES[s.tag]
        self.world.canaries.append(Canary(village, alumna, "business.village"))
        consent = {"purpose": "contact_reveal"}
        ids["contact_consent"] = self.post("/v1/me/consents", alumna, consent)["id"]
        business = {
            "name": f"Kue Basah {s.tag}",
            "category_id": self.world.shared["category"],
            "village_code": village,
            "address": f"Jl. {self.word(alumna, 'business.address')} No. 12",
            "whatsapp": self.phone(alumna, "business.whatsapp", 8888),
        }
        ids["business"] = b = self.post("/v1/businesses", alumna, business)["id"]
        self.act(f"/v1/businesses/{b}/activate", alumna)
        draft = {**business, "name": f"Jahitan {s.tag}"}
        ids["draft_business"] = self.post("/v1/businesses", alumna, draft)["id"]
        ids["business_photo"] = self.upload(f"/v1/businesses/{b}/photos", alumna)["id"]
        for name in ("product", "product2", "draft_product"):
            product = {
                "name": f"Kue lapis {name} {s.tag}",
                "category_id": category_id(self.session, "traditional-cakes"),
                "price_idr": 25_000,
                "unit": "loyang",
                "availability": "in_stock",
                "stock": 50,
            }
            ids[name] = self.post(f"/v1/businesses/{b}/products", alumna, product)["id"]
            if name != "draft_product":
                self.act(f"/v1/products/{ids[name]}/publish", alumna)
        ids["product_photo"] = self.upload(f"/v1/products/{ids['product']}/photos", alumna)["id"]

    def orders(self, s: Side) -> None:
        """Her buyer's orders, one per state the transitions start from; reviews (one with a
        photo, one hidden), a report, a contact request."""
        ids, alumna, buyer, b = s.ids, s.people["alumna"], s.people["buyer"], s.ids["business"]
        contact = {
            "delivery_method": "local_delivery",
            "delivery_address": "Jl. " + self.word(buyer, "order.delivery_address"),
            "contact_name": self.word(buyer, "order.contact_name"),
            "contact_phone": self.phone(buyer, "order.contact_phone", 9999),
            "note": self.word(buyer, "order.note"),
        }

        def order(name: str, *products: str, steps: tuple[tuple[str, str], ...] = ()) -> None:
            items = [{"product_id": ids[p], "quantity": 1} for p in products]
            ids[name] = self.post(
                "/v1/orders", buyer, {"business_id": b, "items": items, **contact}
            )["id"]
            for action, who in steps:
                self.act(f"/v1/orders/{ids[name]}/{action}", who)

        ready = (("accept", alumna), ("ready", alumna))
        order("order_requested", "product")
        order("order_accepted", "product", steps=ready[:1])
        order("order_ready", "product", steps=ready)
        order("order_reviewed", "product", "product2", steps=(*ready, ("complete", buyer)))
        order("order_completed", "product", steps=(*ready, ("complete", buyer)))
        text = self.word(buyer, "review.text")
        reviews = f"/v1/orders/{ids['order_reviewed']}/reviews"
        review = {"product_id": ids["product"], "rating": 4, "text": text}
        ids["review"] = self.post(reviews, buyer, review)["id"]
        self.upload(f"/v1/reviews/{ids['review']}/photo", buyer, method="PUT")
        hidden = {"product_id": ids["product2"], "rating": 1, "text": text}
        ids["hidden_review"] = self.post(reviews, buyer, hidden)["id"]
        self.act(f"/v1/reviews/{ids['hidden_review']}/hide", "adminin", {"reason": "Kasar"})
        reason = self.word(buyer, "report.reason")
        report = {"target_type": "product", "target_id": ids["product"], "reason": reason}
        ids["report"] = self.post("/v1/reports", buyer, report)["id"]
        note = self.word(buyer, "lead.note")
        self.act(f"/v1/businesses/{b}/contact", buyer, {"product_id": ids["product"], "note": note})

    def figures(self, s: Side) -> None:
        """A sale, this month's check-in, a need; consent to the partner's company."""
        ids, alumna, b = s.ids, s.people["alumna"], s.ids["business"]
        sale = {
            "sold_on": TODAY.isoformat(),
            "amount_idr": self.number(alumna, "sale.amount", "64"),
            "channel": "market_stall",
            "note": self.word(alumna, "sale.note"),
        }
        ids["sale"] = self.post(f"/v1/businesses/{b}/sales", alumna, sale)["id"]
        check_in = {
            "trading": True,
            "revenue_idr": self.number(alumna, "checkin.revenue", "73"),
            "challenges": self.word(alumna, "checkin.challenges"),
            "support_wanted": self.word(alumna, "checkin.support_wanted"),
        }
        self.post(f"/v1/businesses/{b}/check-ins", alumna, check_in)
        need = {"kind": "equipment", "title": "Mesin jahit", "target_value_idr": 2_500_000}
        ids["need"] = self.post(f"/v1/businesses/{b}/needs", alumna, need)["id"]
        self.post(f"/v1/businesses/{b}/consents", alumna, {"organization_id": ids["csr"]})

    def sponsorships(self, s: Side) -> None:
        """The partner's company sponsors her: proposed, accepted, active (a milestone, two
        disbursements recorded, one with evidence)."""
        ids, alumna, partner = s.ids, s.people["alumna"], s.people["partner"]

        def sponsorship(name: str, *steps: tuple[str, str]) -> None:
            body = {
                "business_id": ids["business"],
                "kind": "cash",
                "value_idr": 5_000_000,
                "milestones": [{"title": "Mesin diterima"}],
            }
            ids[name] = self.post("/v1/sponsorships", partner, body)["id"]
            for action, who in steps:
                self.act(f"/v1/sponsorships/{ids[name]}/{action}", who)

        sponsorship("sponsorship_proposed")
        sponsorship("sponsorship_accepted", ("accept", alumna))
        sponsorship("sponsorship_active", ("accept", alumna), ("start", partner))
        base = f"/v1/sponsorships/{ids['sponsorship_active']}"
        sent = {
            "disbursed_on": TODAY.isoformat(),
            "value_idr": 1_000_000,
            "description": "Transfer",
        }
        ids["disbursement"] = self.post(f"{base}/disbursements", partner, sent)["id"]
        ids["disbursement_evidence"] = self.post(f"{base}/disbursements", partner, sent)["id"]
        self.upload(
            f"{base}/disbursements/{ids['disbursement_evidence']}/evidence", partner, method="PUT"
        )
        shown = self.client.get(base, headers=self.world.headers[partner]).get_json()
        ids["milestone"] = shown["milestones"][0]["id"]

    def mentoring(self, s: Side) -> None:
        """The mentor's offer (and a closed one); her requests completed, in progress (with a
        planned session that has started), accepted and open."""
        ids, alumna, mentor = s.ids, s.people["alumna"], s.people["mentor"]
        offer = {
            "title": "Pembukuan sederhana",
            "topics": ["bookkeeping"],
            "format": "both",
            "kind": "one_to_one",
            "capacity": 10,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=180)).isoformat(),
        }
        ids["offer"] = self.post("/v1/mentoring-offers", mentor, offer)["id"]
        ids["closed_offer"] = self.post("/v1/mentoring-offers", mentor, offer)["id"]
        self.act(f"/v1/mentoring-offers/{ids['closed_offer']}/close", mentor)
        request = {
            "topic": "bookkeeping",
            "need": "Saya perlu " + self.word(alumna, "mentoring.need"),
            "region_code": VILLAGES[s.tag],
            "preferred_format": "online",
            "preferred_times": self.word(alumna, "mentoring.preferred_times"),
        }
        planned = {
            "starts_at": (utcnow() - dt.timedelta(hours=2)).isoformat(),
            "duration_minutes": 60,
            "mode": "online",
            "link": "https://meet.example.id/" + self.word(alumna, "session.link"),
            "agenda": self.word(alumna, "session.agenda"),
        }
        held = {"attendance": "attended", "notes": self.word(alumna, "session.notes")}

        def mentoring(name: str, *steps: str) -> None:
            ids[name] = rid = self.post("/v1/mentoring-requests", alumna, request)["id"]
            base = f"/v1/mentoring-requests/{rid}"
            for step in steps:
                if step == "accept":
                    self.act(f"{base}/accept", mentor, {"offer_id": ids["offer"]})
                elif step in ("hold", "plan"):
                    session = self.post(f"{base}/sessions", mentor, planned)["id"]
                    if step == "hold":
                        self.act(f"{base}/sessions/{session}/record", mentor, held)
                    else:
                        ids["session"] = session
                else:
                    self.act(f"{base}/confirm", s.people[step])

        # One at a time: an alumna has at most three open requests.
        mentoring("mentoring_completed", "accept", "hold", "mentor", "alumna")
        mentoring("mentoring_in_progress", "accept", "hold", "plan")
        mentoring("mentoring_accepted", "accept")
        mentoring("mentoring_open")

    def courses(self, s: Side) -> None:
        """The mentor's published course (two modules, an image on the first; her alumna
        enrolled, the first module done) and a draft with one module."""
        ids, mentor, alumna = s.ids, s.people["mentor"], s.people["alumna"]

        def course(title: str, modules: int) -> tuple[str, list[str]]:
            body = {
                "organization_id": ids["university"],
                "title": title,
                "topic": "bookkeeping",
                "level": "beginner",
            }
            cid = str(self.post("/v1/courses", mentor, body)["id"])
            made = [
                str(self.post(f"/v1/courses/{cid}/modules", mentor, {"title": f"Modul {n}"})["id"])
                for n in range(1, modules + 1)
            ]
            return cid, made

        ids["course"], (ids["course_module"], ids["course_module2"]) = course("Pembukuan", 2)
        base = f"/v1/courses/{ids['course']}"
        attached = self.upload(f"{base}/modules/{ids['course_module']}/attachments", mentor)
        ids["course_attachment"] = attached["id"]
        self.act(f"{base}/publish", mentor)
        self.call("PUT", f"{base}/enrolment", alumna, 200)
        self.call("PUT", f"{base}/modules/{ids['course_module']}/done", alumna, 200)
        ids["draft_course"], (ids["draft_course_module"],) = course("Draf kursus", 1)

    def groups(self, s: Side) -> None:
        """Her business group (she is its ketua) with a sekretaris and a woman invited, its
        equipment; the mentor's group offer with a workshop she registered for and one held
        (started, to record)."""
        ids, alumna, mentor, w = s.ids, s.people["alumna"], s.people["mentor"], self.world
        for part in ("kubmember", "kubinvitee"):
            self.person(f"{part}{s.tag}", Role.ALUMNA)
        group = {"name": f"KUB Melati {s.tag}", "kind": "kub", "village_code": NEW_VILLAGE}
        ids["group"] = g = self.post("/v1/business-groups", alumna, group)["id"]
        member = {"user_id": w.users[f"kubmember{s.tag}"], "role": "sekretaris"}
        ids["group_member"] = self.post(f"/v1/business-groups/{g}/members", alumna, member)["id"]
        self.act(
            f"/v1/business-groups/{g}/members/{ids['group_member']}/accept", f"kubmember{s.tag}"
        )
        invitee = {"user_id": w.users[f"kubinvitee{s.tag}"]}
        made = self.post(f"/v1/business-groups/{g}/members", alumna, invitee)
        ids["group_invitation"] = made["id"]
        ids["kub_outsider"] = w.users["otheralumna"]
        equipment = {"name": "Mesin jahit", "quantity": 1, "received_on": TODAY.isoformat()}
        self.post(f"/v1/business-groups/{g}/equipment", alumna, equipment)
        offer = {
            "title": "Lokakarya foto produk",
            "topics": ["product_photography"],
            "format": "in_person",
            "kind": "group",
            "group_size": 20,
            "capacity": 40,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=180)).isoformat(),
        }
        ids["group_offer"] = self.post("/v1/mentoring-offers", mentor, offer)["id"]
        workshop = {
            "title": "Foto produk dengan ponsel",
            "topic": "product_photography",
            "starts_at": (utcnow() + dt.timedelta(days=2)).isoformat(),
            "duration_minutes": 120,
            "mode": "in_person",
            "place": "Balai RW 05",
        }
        url = f"/v1/mentoring-offers/{ids['group_offer']}/group-sessions"
        for name in ("group_session", "group_session_past"):
            ids[name] = self.post(url, mentor, workshop)["id"]
            self.act(f"/v1/group-mentoring-sessions/{ids[name]}/register", alumna)
        past = self.session.get(GroupSession, ids["group_session_past"])
        assert past is not None
        past.starts_at = utcnow() - dt.timedelta(hours=3)
        self.session.flush()

    def training(self, s: Side) -> None:
        """The mentor's training event, her facilitator its trainer: upcoming (she holds a
        seat), under way (she came), and done (her certificate)."""
        ids, alumna, mentor = s.ids, s.people["alumna"], s.people["mentor"]
        now = utcnow()

        def event(name: str, starts: dt.datetime, opens: dt.datetime, closes: dt.datetime) -> str:
            body = {
                "title": f"Pemasaran digital {s.tag}",
                "topic": "digital_marketing",
                "format": "online",
                "link": "https://meet.example.id/pelatihan",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
                "hours": 2,
                "capacity": 10,
                "registration_opens_at": opens.isoformat(),
                "registration_closes_at": closes.isoformat(),
                "region_codes": [BEKASI],
                "trainer_ids": [ids["facilitator_id"]],
            }
            ids[name] = made = self.post("/v1/training-events", mentor, body)["id"]
            return str(made)

        upcoming = now + dt.timedelta(days=7)
        event("training_event", upcoming, now - dt.timedelta(days=1), upcoming)
        url = f"/v1/training-events/{ids['training_event']}/registrations"
        ids["training_registration"] = self.post(url, alumna)["id"]
        # Events start ahead when made; these two are then moved to have started an hour ago.
        started = now - dt.timedelta(hours=1)
        past = now - dt.timedelta(days=2)
        for name in ("training_live", "training_done"):
            event(name, upcoming, past, upcoming)
            held = self.session.get(TrainingEvent, ids[name])
            assert held is not None
            held.starts_at, held.ends_at = started, started + dt.timedelta(hours=2)
            held.registration_closes_at = started
            self.session.flush()
            came = {"entries": [{"user_id": ids["alumna_user"], "attended": True}]}
            self.act(f"/v1/training-events/{ids[name]}/attendance", s.people["facilitator"], came)
        self.act(f"/v1/training-events/{ids['training_done']}/complete", mentor)
        mine = self.call("GET", "/v1/training-certificates", alumna, 200)["items"]
        ids["training_certificate"] = mine[0]["id"]
        ids["certificate_code"] = mine[0]["code"]

    def extras(self, s: Side) -> None:
        """She lets her facilitator act for her; a key of the company's to revoke; a delivery
        of the webhook's to send again."""
        ids, alumna, partner = s.ids, s.people["alumna"], s.people["partner"]
        grant = {"facilitator_id": ids["facilitator_id"], "days": 30}
        ids["assist_grant"] = self.post("/v1/me/assist-grants", alumna, grant)["id"]
        key = {"name": "Aplikasi lama", "scopes": ["catalogue:read"]}
        ids["api_key"] = self.post(f"/v1/organizations/{ids['csr']}/api-keys", partner, key)["id"]
        delivery = self.session.scalar(
            select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == ids["webhook"]).limit(1)
        )
        assert delivery is not None, "the webhook got nothing to deliver"
        ids["delivery"] = delivery

    def keys(self) -> None:
        """The partner's keys: one per scope, one per scope with all the others, one with
        every scope."""
        url = f"/v1/organizations/{self.world.sides['own'].ids['csr']}/api-keys"

        def make(scopes: list[str]) -> str:
            made = self.post(url, "partner", {"name": "Aplikasi mitra", "scopes": scopes})
            return str(made["secret"])

        for scope in SCOPES:
            self.world.keys[scope] = make([scope])
            self.world.keys_without[scope] = make([s for s in SCOPES if s != scope])
        self.world.key_all = make(list(SCOPES))

    def notify_everyone(self) -> None:
        """One notification for every person, so that each has one of her own to mark read."""
        event = Event(type="test.ping", subject_type="test", subject_id="test", data={})
        self.session.add(event)
        self.session.flush()
        for label, user_id in self.world.users.items():
            notification = Notification(user_id=user_id, event_seq=event.seq)
            self.session.add(notification)
            self.session.flush()
            self.world.notifications[label] = notification.id


def build_world(app: Flask, session: Session, client: FlaskClient) -> World:
    return Builder(app, session, client).build()


# -- recipes ---------------------------------------------------------------------------------


@dataclass
class Req:
    """One request of a cell. ``etag_from``: GET this first, as the same caller, and send its
    ETag as If-Match (updates need one)."""

    method: str
    path: str
    json: Any = None
    files: dict[str, tuple[bytes, str]] | None = None
    etag_from: str | None = None  # the path of that GET
    etag_operation: str = ""  # and its operationId


UPLOAD, ROSTER = "<photo>", "<roster>"  # multipart bodies
# Updates send the ETag their caller reads first (If-Match) from this operation.
ETAG_FROM = {
    "updateBusiness": "getBusiness",
    "updateCohort": "getCohort",
    "updateMe": "getMe",
    "eraseMe": "getMe",
    "updateMentoringOffer": "getMentoringOffer",
    "updateCourse": "getCourse",
    "updateCourseModule": "getCourseModule",
    "updateTrainingEvent": "getTrainingEvent",
    "updateOrganization": "getOrganization",
    "updateProduct": "getProduct",
    "updateWebhook": "getWebhook",
    "updateBusinessGroup": "getBusinessGroup",
}
# Villages of what the cells make: not one of the world's (whose codes are canaries).
NEW_VILLAGE = "32.75.01.1001"
ROSTER_CSV = f"name,phone,village_code\nIbu Baru,0857-1234-0001,{NEW_VILLAGE}\n".encode()
# Variants other than own/others: the object of the own side they address instead.
VARIANT_OBJECTS: dict[str, dict[str, str]] = {
    "draft": {
        "business": "draft_business",
        "product": "draft_product",
        "course": "draft_course",
        "course_module": "draft_course_module",
    },
    "closed": {"offer": "closed_offer"},
    "open": {"mentoring_accepted": "mentoring_open"},
    "hidden": {"review": "hidden_review"},
    "accepted": {"order_requested": "order_accepted"},
}

# operationId: (method, path, body). ``{name}`` is an id of the row's side of the world, or
# another value of ``values``; updates send the ETag of ``ETAG_FROM``.
TEMPLATES: dict[str, tuple[str, str, Any]] = {
    "getHealth": ("GET", "/health", None),
    "getReadiness": ("GET", "/ready", None),
    "login": ("POST", "/v1/auth/login", {"email": "{owner_email}", "password": PASSWORD}),
    "refreshTokens": ("POST", "/v1/auth/refresh", {"refresh_token": "{refresh_token}"}),
    "logout": ("POST", "/v1/auth/logout", None),
    "register": (
        "POST",
        "/v1/auth/register",
        {
            "email": "baru@example.id",
            "password": "rahasia-saya-123",
            "name": "Ibu Baru",
            "role": "buyer",
        },
    ),
    "confirmRegistration": (
        "POST",
        "/v1/auth/register/confirm",
        {"email": "baru@example.id", "code": "000000"},
    ),
    "requestSignInCode": ("POST", "/v1/auth/sign-in-code", {"phone": "+6285700000001"}),
    "signInWithCode": (
        "POST",
        "/v1/auth/sign-in-code/confirm",
        {"phone": "+6285700000001", "code": "000000"},
    ),
    "requestPasswordReset": ("POST", "/v1/auth/password-reset", {"email": "{owner_email}"}),
    "resetPassword": (
        "POST",
        "/v1/auth/password-reset/confirm",
        {"email": "{owner_email}", "code": "000000", "new_password": "rahasia-baru-123"},
    ),
    "requestPhoneVerification": ("POST", "/v1/me/phone-verification", {}),
    "confirmPhoneVerification": ("POST", "/v1/me/phone-verification/confirm", {"code": "000000"}),
    "requestEmailVerification": ("POST", "/v1/me/email-verification", {}),
    "confirmEmailVerification": ("POST", "/v1/me/email-verification/confirm", {"code": "000000"}),
    "startAccountRecovery": ("POST", "/v1/account-recoveries", {"user_id": "{alumna_user}"}),
    "listOutboxMessages": ("GET", "/v1/dev/outbox", None),
    "listBusinesses": ("GET", "/v1/businesses?region=32.75", None),
    "createBusiness": (
        "POST",
        "/v1/businesses",
        {"name": "Usaha Baru", "category_id": "{category}", "village_code": "{new_village}"},
    ),
    "getBusiness": ("GET", "/v1/businesses/{business}", None),
    "updateBusiness": ("PATCH", "/v1/businesses/{business}", {"description": "Kue basah enak"}),
    "activateBusiness": ("POST", "/v1/businesses/{draft_business}/activate", None),
    "pauseBusiness": ("POST", "/v1/businesses/{business}/pause", None),
    "closeBusiness": ("POST", "/v1/businesses/{business}/close", None),
    "listCheckIns": ("GET", "/v1/businesses/{business}/check-ins", None),
    "recordCheckIn": (
        "POST",
        "/v1/businesses/{business}/check-ins",
        {"month": "{last_month}", "trading": False},
    ),
    "listConsents": ("GET", "/v1/businesses/{business}/consents", None),
    "grantConsent": (
        "POST",
        "/v1/businesses/{business}/consents",
        {"organization_id": "{university}"},
    ),
    "revokeConsent": ("DELETE", "/v1/businesses/{business}/consents/{csr}", None),
    "contactBusiness": ("POST", "/v1/businesses/{business}/contact", {}),
    "listLeads": ("GET", "/v1/businesses/{business}/leads", None),
    "createNeed": (
        "POST",
        "/v1/businesses/{business}/needs",
        {"kind": "training", "title": "Pelatihan", "target_value_idr": 1_000_000},
    ),
    "listBusinessPhotos": ("GET", "/v1/businesses/{business}/photos", None),
    "addBusinessPhoto": ("POST", "/v1/businesses/{business}/photos", UPLOAD),
    "orderBusinessPhotos": (
        "PUT",
        "/v1/businesses/{business}/photos/order",
        {"photo_ids": ["{business_photo}"]},
    ),
    "deleteBusinessPhoto": ("DELETE", "/v1/businesses/{business}/photos/{business_photo}", None),
    "listBusinessProducts": ("GET", "/v1/businesses/{business}/products", None),
    "createProduct": (
        "POST",
        "/v1/businesses/{business}/products",
        {
            "name": "Kue baru",
            "category_id": "{category}",
            "price_idr": 10_000,
            "unit": "buah",
            "availability": "in_stock",
            "stock": 3,
        },
    ),
    "listBusinessReviews": ("GET", "/v1/businesses/{business}/reviews", None),
    "listSales": ("GET", "/v1/businesses/{business}/sales", None),
    "recordSale": (
        "POST",
        "/v1/businesses/{business}/sales",
        {"sold_on": "{today}", "amount_idr": 50_000, "channel": "whatsapp"},
    ),
    "getSalesSummary": ("GET", "/v1/businesses/{business}/sales-summary", None),
    "deleteSale": ("DELETE", "/v1/businesses/{business}/sales/{sale}", None),
    "listCategories": ("GET", "/v1/categories", None),
    "createCategory": (
        "POST",
        "/v1/categories",
        {"slug": "sambal", "name_id": "Sambal", "name_en": "Chilli sauce"},
    ),
    "getCategory": ("GET", "/v1/categories/{category}", None),
    "listCohorts": ("GET", "/v1/cohorts", None),
    "createCohort": (
        "POST",
        "/v1/cohorts",
        {
            "program_id": "{program}",
            "name": "Kota Bekasi 2025",
            "year": 2025,
            "region_code": "32.75",
        },
    ),
    "getCohort": ("GET", "/v1/cohorts/{cohort}", None),
    "updateCohort": ("PATCH", "/v1/cohorts/{cohort}", {"track": "katering"}),
    "listRoster": ("GET", "/v1/cohorts/{cohort}/roster", None),
    "importRoster": ("POST", "/v1/cohorts/{cohort}/roster", ROSTER),
    "linkRosterEntry": (
        "POST",
        "/v1/cohorts/{cohort}/roster/{roster_entry}/link",
        {"user_id": "{alumna_user}"},
    ),
    "listEvents": ("GET", "/v1/events?after=0&limit=100", None),
    "listFollowUp": ("GET", "/v1/follow-up", None),
    "recordOutreach": (
        "POST",
        "/v1/follow-up/{business}/outreach",
        {"outcome": "called", "note": "Ditelepon"},
    ),
    "referFromCaseload": (
        "POST",
        "/v1/follow-up/{business}/referrals",
        {
            "kind": "support_need",
            "support_need": {"kind": "equipment", "title": "Kompor", "target_value_idr": 500000},
        },
    ),
    "getOutreachReport": ("GET", "/v1/follow-up/report?month=2026-11", None),
    "verifyWhatsappWebhook": (
        "GET",
        "/v1/messaging/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1",
        None,
    ),
    "receiveWhatsappWebhook": ("POST", "/v1/messaging/whatsapp/webhook", {"object": "x"}),
    "receiveSmsWebhook": ("POST", "/v1/messaging/sms/webhook", {"MessageSid": "SM1"}),
    "listGraduateClaims": ("GET", "/v1/graduate-claims", None),
    "createGraduateClaim": ("POST", "/v1/graduate-claims", {"cohort_id": "{spare_cohort}"}),
    "verifyGraduateClaim": ("POST", "/v1/graduate-claims/{claim}/verify", None),
    "rejectGraduateClaim": (
        "POST",
        "/v1/graduate-claims/{claim}/reject",
        {"reason": "Tidak ada di daftar"},
    ),
    "getMe": ("GET", "/v1/me", None),
    "eraseMe": ("DELETE", "/v1/me", None),
    "exportMyData": ("GET", "/v1/me/export", None),
    "listMyConsents": ("GET", "/v1/me/consents", None),
    "giveConsent": ("POST", "/v1/me/consents", {"purpose": "contact_reveal"}),
    "withdrawConsent": ("DELETE", "/v1/me/consents/{contact_consent}", None),
    "updateMe": ("PATCH", "/v1/me", {"locale": "en"}),
    "listMessagingPreferences": ("GET", "/v1/me/messaging-preferences", None),
    "setMessagingPreference": (
        "PUT",
        "/v1/me/messaging-preferences/whatsapp",
        {"opted_in": False},
    ),
    "listAssistGrants": ("GET", "/v1/me/assist-grants", None),
    "createAssistGrant": ("POST", "/v1/me/assist-grants", {"facilitator_id": "{facilitator_id}"}),
    "revokeAssistGrant": ("DELETE", "/v1/me/assist-grants/{assist_grant}", None),
    "listAuditLog": ("GET", "/v1/me/audit", None),
    "listMyBusinesses": ("GET", "/v1/me/businesses", None),
    "listMyNotifications": ("GET", "/v1/me/notifications", None),
    "markAllNotificationsRead": ("POST", "/v1/me/notifications/read-all", None),
    "markNotificationRead": ("POST", "/v1/me/notifications/{notification}/read", None),
    "listMyOrganizations": ("GET", "/v1/me/organizations", None),
    "changePassword": (
        "POST",
        "/v1/me/password",
        {"current_password": PASSWORD, "new_password": "kata sandi baru yang panjang"},
    ),
    "listMyRosterMatches": ("GET", "/v1/me/roster-matches", None),
    "listMentoringOffers": ("GET", "/v1/mentoring-offers", None),
    "createMentoringOffer": (
        "POST",
        "/v1/mentoring-offers",
        {
            "title": "Foto produk",
            "topics": ["product_photography"],
            "format": "online",
            "kind": "one_to_one",
            "capacity": 3,
            "starts_on": "{today}",
            "ends_on": "{next_month}",
        },
    ),
    "getMentoringOffer": ("GET", "/v1/mentoring-offers/{offer}", None),
    "updateMentoringOffer": ("PATCH", "/v1/mentoring-offers/{offer}", {"capacity": 12}),
    "closeMentoringOffer": ("POST", "/v1/mentoring-offers/{offer}/close", None),
    "listCourses": ("GET", "/v1/courses", None),
    "createCourse": (
        "POST",
        "/v1/courses",
        {
            "organization_id": "{publisher_org}",
            "title": "Pemasaran lewat WhatsApp",
            "topic": "digital_marketing",
            "level": "beginner",
        },
    ),
    "getCourse": ("GET", "/v1/courses/{course}", None),
    "updateCourse": ("PATCH", "/v1/courses/{course}", {"level": "intermediate"}),
    "publishCourse": ("POST", "/v1/courses/{course}/publish", None),
    "archiveCourse": ("POST", "/v1/courses/{course}/archive", None),
    "createCourseModule": ("POST", "/v1/courses/{course}/modules", {"title": "Modul baru"}),
    "getCourseModule": ("GET", "/v1/courses/{course}/modules/{course_module}", None),
    "updateCourseModule": (
        "PATCH",
        "/v1/courses/{course}/modules/{course_module}",
        {"body": "Isi baru"},
    ),
    "deleteCourseModule": ("DELETE", "/v1/courses/{course}/modules/{course_module}", None),
    "orderCourseModules": (
        "PUT",
        "/v1/courses/{course}/modules/order",
        {"module_ids": ["{course_module2}", "{course_module}"]},
    ),
    "addCourseAttachment": (
        "POST",
        "/v1/courses/{course}/modules/{course_module}/attachments",
        UPLOAD,
    ),
    "deleteCourseAttachment": (
        "DELETE",
        "/v1/courses/{course}/modules/{course_module}/attachments/{course_attachment}",
        None,
    ),
    "enrolInCourse": ("PUT", "/v1/courses/{course}/enrolment", None),
    "markCourseModuleDone": ("PUT", "/v1/courses/{course}/modules/{course_module}/done", None),
    "unmarkCourseModuleDone": (
        "DELETE",
        "/v1/courses/{course}/modules/{course_module}/done",
        None,
    ),
    "listMyCourseEnrolments": ("GET", "/v1/me/course-enrolments", None),
    "listMentoringRequests": ("GET", "/v1/mentoring-requests", None),
    "createMentoringRequest": (
        "POST",
        "/v1/mentoring-requests",
        {
            "topic": "digital_marketing",
            "need": "Belajar berjualan daring",
            "region_code": "{new_village}",
            "preferred_format": "online",
        },
    ),
    "getMentoringRequest": ("GET", "/v1/mentoring-requests/{mentoring_accepted}", None),
    "acceptMentoringRequest": (
        "POST",
        "/v1/mentoring-requests/{mentoring_open}/accept",
        {"offer_id": "{own_offer}"},
    ),
    "cancelMentoringRequest": ("POST", "/v1/mentoring-requests/{mentoring_accepted}/cancel", {}),
    "confirmMentoringRequest": (
        "POST",
        "/v1/mentoring-requests/{mentoring_in_progress}/confirm",
        {},
    ),
    "declineMentoringRequest": ("POST", "/v1/mentoring-requests/{mentoring_accepted}/decline", {}),
    "rateMentoring": (
        "POST",
        "/v1/mentoring-requests/{mentoring_completed}/feedback",
        {"rating": 5},
    ),
    "listMentoringSessions": (
        "GET",
        "/v1/mentoring-requests/{mentoring_in_progress}/sessions",
        None,
    ),
    "createMentoringSession": (
        "POST",
        "/v1/mentoring-requests/{mentoring_accepted}/sessions",
        {
            "starts_at": "{tomorrow}",
            "duration_minutes": 60,
            "mode": "in_person",
            "place": "Balai RW 05",
        },
    ),
    "cancelMentoringSession": (
        "POST",
        "/v1/mentoring-requests/{mentoring_in_progress}/sessions/{session}/cancel",
        {"reason": "Hujan deras"},
    ),
    "recordMentoringSession": (
        "POST",
        "/v1/mentoring-requests/{mentoring_in_progress}/sessions/{session}/record",
        {"attendance": "attended"},
    ),
    "rescheduleMentoringSession": (
        "POST",
        "/v1/mentoring-requests/{mentoring_in_progress}/sessions/{session}/reschedule",
        {"starts_at": "{tomorrow}", "reason": "Bentrok jadwal"},
    ),
    "listMentoringTopics": ("GET", "/v1/mentoring-topics", None),
    "getMentor": ("GET", "/v1/mentors/{mentor_id}", None),
    "listModerationReports": ("GET", "/v1/moderation/reports", None),
    "dismissReport": (
        "POST",
        "/v1/moderation/reports/{report}/dismiss",
        {"reason": "Tidak melanggar"},
    ),
    "hideReportedTarget": (
        "POST",
        "/v1/moderation/reports/{report}/hide",
        {"reason": "Melanggar aturan"},
    ),
    "restoreReportedTarget": (
        "POST",
        "/v1/moderation/reports/{report}/restore",
        {"reason": "Sudah diperbaiki"},
    ),
    "listNeeds": ("GET", "/v1/needs", None),
    "getNeed": ("GET", "/v1/needs/{need}", None),
    "closeNeed": ("POST", "/v1/needs/{need}/close", None),
    "listOrders": ("GET", "/v1/orders", None),
    "createOrder": (
        "POST",
        "/v1/orders",
        {
            "business_id": "{business}",
            "items": [{"product_id": "{product}", "quantity": 1}],
            "delivery_method": "pickup",
        },
    ),
    "getOrder": ("GET", "/v1/orders/{order_requested}", None),
    "acceptOrder": ("POST", "/v1/orders/{order_requested}/accept", {}),
    "cancelOrder": ("POST", "/v1/orders/{order_requested}/cancel", {"reason": "Salah pesan"}),
    "completeOrder": ("POST", "/v1/orders/{order_ready}/complete", None),
    "declineOrder": ("POST", "/v1/orders/{order_requested}/decline", {"reason": "Stok habis"}),
    "recordOrderPayment": ("POST", "/v1/orders/{order_accepted}/payment", {"method": "qris"}),
    "markOrderReady": ("POST", "/v1/orders/{order_accepted}/ready", None),
    "createReview": (
        "POST",
        "/v1/orders/{order_completed}/reviews",
        {"product_id": "{product}", "rating": 5, "text": "Enak"},
    ),
    "shipOrder": ("POST", "/v1/orders/{order_accepted}/ship", {"tracking": "JNE 123"}),
    "listOrganizations": ("GET", "/v1/organizations", None),
    "createOrganization": (
        "POST",
        "/v1/organizations",
        {"name": "Lembaga Baru", "kind": "{organization_kind}"},
    ),
    "getOrganization": ("GET", "/v1/organizations/{csr}", None),
    "updateOrganization": ("PATCH", "/v1/organizations/{csr}", {"website": "https://sinar.id"}),
    "listApiKeys": ("GET", "/v1/organizations/{csr}/api-keys", None),
    "createApiKey": (
        "POST",
        "/v1/organizations/{csr}/api-keys",
        {"name": "Aplikasi baru", "scopes": ["catalogue:read"]},
    ),
    "batchUpdateProducts": (
        "POST",
        "/v1/businesses/{business}/products/batch",
        {
            "mode": "per_item",
            "items": [{"product_id": "{product}", "if_match": '"stale"', "price_idr": 27_000}],
        },
    ),
    "revokeApiKey": ("DELETE", "/v1/organizations/{csr}/api-keys/{api_key}", None),
    "endDataUseAgreement": ("DELETE", "/v1/organizations/{university}/data-use-agreement", None),
    "recordDataUseAgreement": ("PUT", "/v1/organizations/{university}/data-use-agreement", None),
    "getImpactReport": ("GET", "/v1/organizations/{csr}/impact?year={year}", None),
    "listFundedBusinesses": ("GET", "/v1/organizations/{csr}/funded-businesses", None),
    "listMembers": ("GET", "/v1/organizations/{csr}/members", None),
    "addMember": (
        "POST",
        "/v1/organizations/{csr}/members",
        {"email": "cnry-newpartner-user-email@example.id"},
    ),
    "removeMember": ("DELETE", "/v1/organizations/{csr}/members/{member}", None),
    "getMentoringReport": (
        "GET",
        "/v1/organizations/{university}/mentoring-report?from={year}-01-01&to={year}-12-31",
        None,
    ),
    "verifyOrganization": ("POST", "/v1/organizations/{unverified_org}/verify", None),
    "searchProducts": ("GET", "/v1/products?q=kue", None),
    "getProduct": ("GET", "/v1/products/{product}", None),
    "updateProduct": ("PATCH", "/v1/products/{product}", {"price_idr": 27_000}),
    "archiveProduct": ("POST", "/v1/products/{product}/archive", None),
    "listProductHistory": ("GET", "/v1/products/{product}/history", None),
    "listProductPhotos": ("GET", "/v1/products/{product}/photos", None),
    "addProductPhoto": ("POST", "/v1/products/{product}/photos", UPLOAD),
    "orderProductPhotos": (
        "PUT",
        "/v1/products/{product}/photos/order",
        {"photo_ids": ["{product_photo}"]},
    ),
    "deleteProductPhoto": ("DELETE", "/v1/products/{product}/photos/{product_photo}", None),
    "publishProduct": ("POST", "/v1/products/{draft_product}/publish", None),
    "listProductReviews": ("GET", "/v1/products/{product}/reviews", None),
    "unpublishProduct": ("POST", "/v1/products/{product}/unpublish", None),
    "listPrograms": ("GET", "/v1/programs", None),
    "createProgram": ("POST", "/v1/programs", {"name": "Program Baru"}),
    "getProgram": ("GET", "/v1/programs/{program}", None),
    "listRegions": ("GET", "/v1/regions?parent=32.75", None),
    "getRegion": ("GET", "/v1/regions/32.75", None),
    "createReport": (
        "POST",
        "/v1/reports",
        {"target_type": "business", "target_id": "{business}", "reason": "Foto menyesatkan"},
    ),
    "exportResearchBusinesses": ("GET", "/v1/research/businesses", None),
    "getReview": ("GET", "/v1/reviews/{review}", None),
    "hideReview": ("POST", "/v1/reviews/{review}/hide", {"reason": "Kata-kata kasar"}),
    "deleteReviewPhoto": ("DELETE", "/v1/reviews/{review}/photo", None),
    "putReviewPhoto": ("PUT", "/v1/reviews/{review}/photo", UPLOAD),
    "replyToReview": ("POST", "/v1/reviews/{review}/reply", {"text": "Terima kasih"}),
    "reportReview": ("POST", "/v1/reviews/{review}/reports", {"reason": "Tidak sopan"}),
    "unhideReview": ("POST", "/v1/reviews/{hidden_review}/unhide", None),
    "listSponsorships": ("GET", "/v1/sponsorships", None),
    "createSponsorship": (
        "POST",
        "/v1/sponsorships",
        {"business_id": "{business}", "kind": "cash", "value_idr": 1_000_000},
    ),
    "getSponsorship": ("GET", "/v1/sponsorships/{sponsorship_proposed}", None),
    "acceptSponsorship": ("POST", "/v1/sponsorships/{sponsorship_proposed}/accept", {}),
    "cancelSponsorship": (
        "POST",
        "/v1/sponsorships/{sponsorship_accepted}/cancel",
        {"reason": "Dana dialihkan"},
    ),
    "completeSponsorship": ("POST", "/v1/sponsorships/{sponsorship_active}/complete", {}),
    "declineSponsorship": ("POST", "/v1/sponsorships/{sponsorship_proposed}/decline", {}),
    "listDisbursements": ("GET", "/v1/sponsorships/{sponsorship_active}/disbursements", None),
    "createDisbursement": (
        "POST",
        "/v1/sponsorships/{sponsorship_active}/disbursements",
        {"disbursed_on": "{today}", "value_idr": 500_000, "description": "Transfer kedua"},
    ),
    "confirmDisbursement": (
        "POST",
        "/v1/sponsorships/{sponsorship_active}/disbursements/{disbursement}/confirm",
        None,
    ),
    "disputeDisbursement": (
        "POST",
        "/v1/sponsorships/{sponsorship_active}/disbursements/{disbursement}/dispute",
        {"reason": "Belum diterima"},
    ),
    "getDisbursementEvidence": (
        "GET",
        "/v1/sponsorships/{sponsorship_active}/disbursements/{disbursement_evidence}/evidence",
        None,
    ),
    "putDisbursementEvidence": (
        "PUT",
        "/v1/sponsorships/{sponsorship_active}/disbursements/{disbursement}/evidence",
        UPLOAD,
    ),
    "markMilestoneMet": (
        "POST",
        "/v1/sponsorships/{sponsorship_active}/milestones/{milestone}/met",
        None,
    ),
    "startSponsorship": ("POST", "/v1/sponsorships/{sponsorship_accepted}/start", {}),
    "withdrawSponsorship": ("POST", "/v1/sponsorships/{sponsorship_proposed}/withdraw", {}),
    "getStats": ("GET", "/v1/stats/cohort", None),
    "getSeries": ("GET", "/v1/stats/cohort/monthly", None),
    "getSurvival": ("GET", "/v1/stats/cohort/survival", None),
    "createGroupMentoringSession": (
        "POST",
        "/v1/mentoring-offers/{group_offer}/group-sessions",
        {
            "title": "Foto produk",
            "topic": "product_photography",
            "starts_at": "{tomorrow}",
            "duration_minutes": 90,
            "mode": "in_person",
            "place": "Balai RW 05",
        },
    ),
    "listGroupMentoringSessions": ("GET", "/v1/group-mentoring-sessions", None),
    "getGroupMentoringSession": ("GET", "/v1/group-mentoring-sessions/{group_session}", None),
    "listGroupMentoringAttendees": (
        "GET",
        "/v1/group-mentoring-sessions/{group_session}/attendees",
        None,
    ),
    "inviteToGroupMentoringSession": (
        "POST",
        "/v1/group-mentoring-sessions/{group_session}/invitations",
        {"alumna_ids": ["{kub_outsider}"]},
    ),
    "registerForGroupMentoringSession": (
        "POST",
        "/v1/group-mentoring-sessions/{group_session}/register",
        None,
    ),
    "withdrawFromGroupMentoringSession": (
        "POST",
        "/v1/group-mentoring-sessions/{group_session}/withdraw",
        None,
    ),
    "recordGroupMentoringSession": (
        "POST",
        "/v1/group-mentoring-sessions/{group_session_past}/record",
        {"attendance": [{"alumna_id": "{alumna_user}", "attended": True}]},
    ),
    "cancelGroupMentoringSession": (
        "POST",
        "/v1/group-mentoring-sessions/{group_session}/cancel",
        {"reason": "Hujan deras"},
    ),
    "createBusinessGroup": (
        "POST",
        "/v1/business-groups",
        {"name": "KUB Baru", "kind": "kub", "village_code": "{new_village}"},
    ),
    "listBusinessGroups": ("GET", "/v1/business-groups", None),
    "getBusinessGroup": ("GET", "/v1/business-groups/{group}", None),
    "updateBusinessGroup": (
        "PATCH",
        "/v1/business-groups/{group}",
        {"description": "Keripik bersama"},
    ),
    "listBusinessGroupMembers": ("GET", "/v1/business-groups/{group}/members", None),
    "inviteBusinessGroupMember": (
        "POST",
        "/v1/business-groups/{group}/members",
        {"user_id": "{kub_outsider}", "role": "anggota"},
    ),
    "acceptBusinessGroupInvitation": (
        "POST",
        "/v1/business-groups/{group}/members/{group_invitation}/accept",
        None,
    ),
    "declineBusinessGroupInvitation": (
        "POST",
        "/v1/business-groups/{group}/members/{group_invitation}/decline",
        None,
    ),
    "changeBusinessGroupRole": (
        "POST",
        "/v1/business-groups/{group}/members/{group_member}/role",
        {"role": "bendahara"},
    ),
    "removeBusinessGroupMember": (
        "DELETE",
        "/v1/business-groups/{group}/members/{group_member}",
        None,
    ),
    "addBusinessToGroup": (
        "POST",
        "/v1/business-groups/{group}/businesses",
        {"business_id": "{draft_business}"},
    ),
    "recordBusinessGroupEquipment": (
        "POST",
        "/v1/business-groups/{group}/equipment",
        {"name": "Oven", "quantity": 1, "received_on": "{today}"},
    ),
    "listBusinessGroupEquipment": ("GET", "/v1/business-groups/{group}/equipment", None),
    "createGroupNeed": (
        "POST",
        "/v1/business-groups/{group}/needs",
        {"kind": "equipment", "title": "Oven bersama", "target_value_idr": 3_000_000},
    ),
    "createCohortNeed": (
        "POST",
        "/v1/cohorts/{cohort}/needs",
        {"kind": "equipment", "title": "Oven bersama", "target_value_idr": 3_000_000},
    ),
    "createTrainingEventNeed": (
        "POST",
        "/v1/training-events/{training_event}/needs",
        {"title": "Kursi pelatihan", "seats": 5, "target_value_idr": 1_500_000},
    ),
    "listWebhooks": ("GET", "/v1/webhooks", None),
    "createWebhook": (
        "POST",
        "/v1/webhooks",
        {"organization_id": "{csr}", "url": "http://127.0.0.1:9/new", "event_types": ["order.*"]},
    ),
    "deleteWebhook": ("DELETE", "/v1/webhooks/{webhook}", None),
    "listTrainingEvents": ("GET", "/v1/training-events", None),
    "createTrainingEvent": (
        "POST",
        "/v1/training-events",
        {
            "title": "Foto produk dengan ponsel",
            "topic": "product_photography",
            "format": "online",
            "link": "https://meet.example.id/foto",
            "starts_at": "{next_week}",
            "ends_at": "{next_week_end}",
            "hours": 2,
            "capacity": 20,
            "registration_opens_at": "{tomorrow}",
            "registration_closes_at": "{next_week}",
        },
    ),
    "getTrainingEvent": ("GET", "/v1/training-events/{training_event}", None),
    "updateTrainingEvent": ("PATCH", "/v1/training-events/{training_event}", {"capacity": 12}),
    "cancelTrainingEvent": (
        "POST",
        "/v1/training-events/{training_event}/cancel",
        {"reason": "Narasumber sakit"},
    ),
    "completeTrainingEvent": ("POST", "/v1/training-events/{training_live}/complete", None),
    "registerForTrainingEvent": (
        "POST",
        "/v1/training-events/{training_event}/registrations",
        None,
    ),
    "listTrainingEventRegistrations": (
        "GET",
        "/v1/training-events/{training_event}/registrations",
        None,
    ),
    "recordTrainingAttendance": (
        "POST",
        "/v1/training-events/{training_live}/attendance",
        {"entries": [{"user_id": "{alumna_user}", "attended": False}]},
    ),
    "listTrainingEventCertificates": (
        "GET",
        "/v1/training-events/{training_done}/certificates",
        None,
    ),
    "listMyTrainingRegistrations": ("GET", "/v1/training-registrations", None),
    "getTrainingRegistration": (
        "GET",
        "/v1/training-registrations/{training_registration}",
        None,
    ),
    "cancelTrainingRegistration": (
        "POST",
        "/v1/training-registrations/{training_registration}/cancel",
        None,
    ),
    "listMyTrainingCertificates": ("GET", "/v1/training-certificates", None),
    "getTrainingCertificate": ("GET", "/v1/training-certificates/{training_certificate}", None),
    "getTrainingCertificatePdf": (
        "GET",
        "/v1/training-certificates/{training_certificate}/pdf",
        None,
    ),
    "revokeTrainingCertificate": (
        "POST",
        "/v1/training-certificates/{training_certificate}/revoke",
        {"reason": "Salah orang"},
    ),
    "verifyTrainingCertificate": ("GET", "/v1/certificate-verifications/{certificate_code}", None),
    "getWhatHelped": ("GET", "/v1/stats/cohort/what-helped", None),
    "getWebhook": ("GET", "/v1/webhooks/{webhook}", None),
    "updateWebhook": ("PATCH", "/v1/webhooks/{webhook}", {"description": "Pesanan"}),
    "listWebhookDeliveries": ("GET", "/v1/webhooks/{webhook}/deliveries", None),
    "redeliverWebhookDelivery": (
        "POST",
        "/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
        None,
    ),
}


def values(w: World, variant: str, caller: str) -> dict[str, str]:
    """What ``{name}`` stands for in a row of this variant, for this caller."""
    side = w.side(variant)
    found = {**w.shared, **side.ids}
    for alias, name in VARIANT_OBJECTS.get(variant, {}).items():
        found[alias] = side.ids[name]
    # Her own notification; on the others' side, a stranger's.
    person = PERSON.get(caller, "owner") if side.tag == "own" else side.people["buyer"]
    found["notification"] = w.notifications[person]
    found["organization_kind"] = "university" if caller == "mentor" else "csr_company"
    found["own_offer"] = w.sides["own"].ids["offer"]  # a mentor accepts under her own offer
    # Each publisher's own verified organisation (a key acts as the partner).
    own = w.sides["own"].ids
    found["publisher_org"] = own["university"] if caller == "mentor" else own["csr"]
    found["new_village"] = NEW_VILLAGE
    # The owner's credentials (every cell may use them: each is rolled back).
    found["owner_email"] = "cnry-owner-user-email@example.id"
    found["refresh_token"] = w.refresh_token
    found.update(
        today=TODAY.isoformat(),
        tomorrow=(utcnow() + dt.timedelta(days=1)).isoformat(),
        next_month=(TODAY + dt.timedelta(days=30)).isoformat(),
        next_week=(utcnow() + dt.timedelta(days=7)).isoformat(),
        next_week_end=(utcnow() + dt.timedelta(days=7, hours=2)).isoformat(),
        last_month=(TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),
        year=str(YEAR),
    )
    return found


def _fill(template: Any, found: dict[str, str]) -> Any:
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template.count("{") == 1:
            return found[template[1:-1]]
        return template.format(**found)
    if isinstance(template, list):
        return [_fill(item, found) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, found) for key, item in template.items()}
    return template


def request_for(w: World, operation: str, variant: str, caller: str) -> Req:
    """The request of one cell."""
    method, path, body = TEMPLATES[operation]
    found = values(w, variant, caller)
    path = _fill(path, found)
    if body == UPLOAD:
        return Req(method, path, files={"file": (PHOTO, "photo.jpg")})
    if body == ROSTER:
        return Req(method, path, files={"file": (ROSTER_CSV, "roster.csv")})
    source = ETAG_FROM.get(operation, "")
    return Req(
        method,
        path,
        json=_fill(body, found),
        etag_from=path if source else None,
        etag_operation=source,
    )


def has_recipe(operation: str) -> bool:
    return operation in TEMPLATES
