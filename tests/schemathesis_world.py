"""The world the schemathesis tests run against: the demo data plus one of everything, the
callers (a user of each role and an API key), and pools of real ids that generated requests
are pointed at, so that they reach past "not found"."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request

from api.cli.demo import ADMIN_EMAIL, FACILITATOR_EMAIL, demo_photo, load_demo
from api.db import utcnow
from api.models import (
    ApiKey,
    AssistGrant,
    Business,
    BusinessGroup,
    BusinessStatus,
    Category,
    Cohort,
    Course,
    CourseAttachment,
    CourseModule,
    Disbursement,
    GraduateClaim,
    GroupMember,
    GroupSession,
    MentoringOffer,
    MentoringRequest,
    MentoringSession,
    Milestone,
    Notification,
    OffPlatformSale,
    Order,
    Organization,
    Photo,
    Product,
    ProductStatus,
    Program,
    Report,
    Review,
    Role,
    RosterEntry,
    Sponsorship,
    SupportNeed,
    TrainingCertificate,
    TrainingEvent,
    TrainingRegistration,
    User,
    Webhook,
    WebhookDelivery,
)
from api.services import auth as auth_service
from api.services.messaging import inbound
from api.state import get_state

EMAILS = {
    "alumna": "siti.aminah@example.id",  # a verified graduate with a business and products
    "buyer": "rudi.hartono@example.id",
    "mentor": "lestari@univ-mustika.example.id",
    "partner": "andi.setiawan@sinarpangan.example.co.id",  # an admin of the CSR company
    "facilitator": FACILITATOR_EMAIL,
    "admin": ADMIN_EMAIL,
}
CALLERS = ("anonymous", *EMAILS, "api_key")

# Names of path, query and body fields to the pool of ids they are pointed at.
FIELD_POOLS = {
    "business": "business_id",
    "category": "category_id",
    "parent": "region",
    "region": "region",
    "region_code": "region",
    "region_codes": "region",
    "village_code": "village",
    "code": "region",
    "organization": "organization_id",
    "mentor": "mentor_id",
    "cohort": "cohort_id",
    "program": "program_id",
    "facilitator_ids": "facilitator_id",
    "photo_ids": "photo_id",
    "module_ids": "module_id",
    "publisher": "organization_id",
    "target_id": "target_id",
    "alumna_ids": "alumna_id",
    "alumna_id": "alumna_id",
    "trainer_ids": "facilitator_id",
}
SAVEPOINT = "schemathesis_case"
PLAIN = {"Accept-Encoding": "identity"}
# The providers' callbacks are checked with these secrets while the world stands (the outbox
# stays the messenger: nothing is sent anywhere). A schema-valid callback is signed as its
# provider signs it (``sign``, from the bytes on the wire), so that it reaches the parsing of
# the notification; an invalid one goes unsigned, and the signature refuses it.
WHATSAPP_APP_SECRET = "world-app-secret"
WHATSAPP_VERIFY_TOKEN = "world-verify-token"
TWILIO_AUTH_TOKEN = "world-twilio-token"
WHATSAPP_WEBHOOK = "/v1/messaging/whatsapp/webhook"
SMS_WEBHOOK = "/v1/messaging/sms/webhook"
SIGN = "X-World-Sign"
# One generated value in KEEP_ONE_IN is sent as generated (mostly unknown ids).
KEEP_ONE_IN = 6


@dataclass
class World:
    """The data, the callers' credentials and the id pools, inside one transaction."""

    app: Flask
    connection: Connection
    session: Session
    users: dict[str, User] = field(default_factory=dict)
    api_key: str = ""
    pools: dict[str, list[str]] = field(default_factory=dict)

    @contextmanager
    def fresh(self) -> Iterator[None]:
        """Whatever a request changes is undone after it (each case sees the same world)."""
        self.save()
        try:
            yield
        finally:
            self.undo()

    # A savepoint that is rolled back and released, unlike SQLAlchemy's, which a ROLLBACK TO
    # leaves standing: tens of thousands of them nested would fill PostgreSQL's lock table.
    def save(self) -> None:
        self.connection.exec_driver_sql(f"SAVEPOINT {SAVEPOINT}")

    def undo(self) -> None:
        self.connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        self.connection.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}")

    def headers(self, caller: str) -> dict[str, str]:
        """Real credentials: a new sign-in session for a user, or the API key. Answers come
        uncompressed (``PLAIN``): the in-process transport hands Schemathesis the bytes as
        sent, without decoding a Content-Encoding (compression has its own tests)."""
        if caller == "anonymous":
            return dict(PLAIN)
        if caller == "api_key":
            return {**PLAIN, "X-API-Key": self.api_key}
        pair = auth_service.open_session(
            self.session, security=get_state(self.app).security, user=self.users[caller]
        )
        self.session.flush()
        return {**PLAIN, "Authorization": f"Bearer {pair.access_token}"}

    def aim(self, case: Any, keep: Collection[tuple[ParameterLocation, str | None]] = ()) -> None:
        """Point most generated ids at real resources, in the parts of the case that were
        generated valid (a negative part stays as generated), except the values in ``keep``
        (those a link filled in)."""
        for location, container in (
            (ParameterLocation.PATH, case.path_parameters),
            (ParameterLocation.QUERY, case.query),
            (ParameterLocation.BODY, case.body),
        ):
            if not container or (case.meta is not None and case.meta.is_negative_at(location)):
                continue
            if location == ParameterLocation.QUERY and "fields" in container:
                # A valid `fields` that names real fields sends part of the document, which the
                # response schema (whole documents, their fields required) cannot describe;
                # test_small_payloads.py covers it. Invalid ones (negative cases) stay: a 422.
                del container["fields"]
            if (location, None) in keep:
                continue
            self._aim(container, {name for where, name in keep if where == location})
        self._answer_as_the_provider(case)

    def _answer_as_the_provider(self, case: Any) -> None:
        """A valid callback signed (see ``sign``) and its replies sent from the alumna's
        number (as generated now and then), a valid handshake with the right token."""
        path = case.operation.path
        if path not in (WHATSAPP_WEBHOOK, SMS_WEBHOOK):
            return
        if case.meta is not None and any(case.meta.is_negative_at(at) for at in ParameterLocation):
            return
        if case.method.upper() == "GET":
            if isinstance(case.query, dict) and "hub.verify_token" in case.query:
                case.query["hub.verify_token"] = WHATSAPP_VERIFY_TOKEN
            return
        case.headers = {**(case.headers or {}), SIGN: "1"}
        phone = (self.users["alumna"].phone or "").removeprefix("+")
        for message in _whatsapp_messages(case.body):
            if "from" in message:
                message["from"] = self._pick([phone], str(message["from"]))

    def _aim(self, value: Any, keep: Collection[str | None] = ()) -> None:
        if isinstance(value, list):
            for item in value:
                self._aim(item)
            return
        if not isinstance(value, dict):
            return
        for name, item in list(value.items()):
            pool = self.pools.get(FIELD_POOLS.get(name, name))
            if name in keep or (name == "code" and isinstance(item, str) and item.isdigit()):
                continue  # a one-time code (six digits), not a region's
            if pool and isinstance(item, str):
                value[name] = self._pick(pool, item)
            elif pool and isinstance(item, list) and all(isinstance(i, str) for i in item):
                value[name] = [self._pick(pool, i) for i in item]
            else:
                self._aim(item)

    @staticmethod
    def _pick(pool: list[str], generated: str) -> str:
        """A pool member, or now and then the generated value (deterministic in it)."""
        n = zlib.crc32(generated.encode("utf-8", "surrogatepass"))
        return generated if n % KEEP_ONE_IN == 0 else pool[(n // KEEP_ONE_IN) % len(pool)]


def build_world(app: Flask, connection: Connection) -> World:
    """The demo data (without its photos), then one of each thing the demo lacks."""
    state = get_state(app)
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    load_demo(session, security=state.security, storage=None, echo=lambda _: None)
    session.flush()
    world = World(app=app, connection=connection, session=session)
    world.users = {
        role: session.scalars(select(User).where(User.email == email)).one()
        for role, email in EMAILS.items()
    }
    _add_what_the_demo_lacks(world)
    world.pools = _pools(session, world.users)
    return world


def _add_what_the_demo_lacks(world: World) -> None:
    client = world.app.test_client()
    session = world.session
    h = {role: world.headers(role) for role in EMAILS}
    shop = session.scalars(
        select(Business).where(Business.owner_id == world.users["alumna"].id)
    ).first()
    assert shop is not None
    product = session.scalars(
        select(Product).where(
            Product.business_id == shop.id, Product.status == ProductStatus.PUBLISHED
        )
    ).first()
    assert product is not None
    csr = session.scalars(select(Organization).where(Organization.name.like("PT Sinar%"))).one()

    def post(path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = client.post(path, headers=headers, **kwargs)
        assert response.status_code in (200, 201), (path, response.get_json())
        body: dict[str, Any] = response.get_json()
        return body

    for owner, url in (("businesses", shop.id), ("products", product.id)):
        for seed in (1, 2):
            photo = (io.BytesIO(demo_photo("Foto", seed)), "foto.jpg")
            post(f"/v1/{owner}/{url}/photos", h["alumna"], data={"file": photo})
    course = session.scalars(select(Course).order_by(Course.created_at)).first()
    assert course is not None and course.modules
    module = course.modules[0]
    photo = (io.BytesIO(demo_photo("Modul", 3)), "modul.jpg")
    post(
        f"/v1/courses/{course.id}/modules/{module.id}/attachments",
        h["mentor"],
        data={"file": photo},
    )
    post(
        f"/v1/businesses/{shop.id}/sales",
        h["alumna"],
        json={"amount_idr": 150_000, "channel": "whatsapp", "sold_on": "2026-01-15"},
    )
    post(f"/v1/businesses/{shop.id}/consents", h["alumna"], json={"organization_id": csr.id})
    facilitator = world.users["facilitator"].id
    post("/v1/me/assist-grants", h["alumna"], json={"facilitator_id": facilitator, "days": 30})
    post(
        "/v1/reports",
        h["buyer"],
        json={"target_type": "product", "target_id": product.id, "reason": "Foto tidak sesuai."},
    )
    review = session.scalars(select(Review.id)).first()
    post(f"/v1/reviews/{review}/reports", h["mentor"], json={"reason": "Ulasan tidak pantas."})
    key = post(
        f"/v1/organizations/{csr.id}/api-keys",
        h["partner"],
        json={"name": "schemathesis", "scopes": sorted(_all_scopes())},
    )
    world.api_key = key["secret"]
    post(
        "/v1/webhooks",
        h["partner"],
        json={
            "organization_id": csr.id,
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["*"],
        },
    )
    # The demo's past workshop, completed here: its certificates need the app's storage.
    held = session.scalars(
        select(TrainingEvent)
        .where(TrainingEvent.starts_at < utcnow())
        .order_by(TrainingEvent.starts_at)
    ).first()
    assert held is not None
    post(f"/v1/training-events/{held.id}/complete", h["mentor"])
    # An event the webhook receives, so that it has a delivery.
    draft = session.scalars(
        select(Product).where(Product.business_id == shop.id, Product.status == ProductStatus.DRAFT)
    ).first()
    if draft is not None:
        post(f"/v1/products/{draft.id}/publish", h["alumna"])
        client.post(f"/v1/products/{draft.id}/unpublish", headers=h["alumna"])
    session.expire_all()


def _all_scopes() -> list[str]:
    from api.services.api_keys import SCOPES

    return list(SCOPES)


def _ids(session: Session, statement: Any, limit: int = 6) -> list[str]:
    return [str(v) for v in session.scalars(statement.limit(limit))]


def _pools(session: Session, users: dict[str, User]) -> dict[str, list[str]]:
    """A few real ids of each kind, the callers' first, in an order that is the same on
    every run (generated values pick from them by position)."""
    theirs = Business.owner_id != users["alumna"].id
    inactive = Business.status != BusinessStatus.ACTIVE
    villages = ["32.75.11.1004", "32.75.11.1001", "32.73.01.1001"]
    pools = {
        "business_id": _ids(session, select(Business.id).order_by(theirs, Business.slug), 3)
        + _ids(session, select(Business.id).where(inactive).order_by(Business.slug), 1),
        "product_id": _ids(
            session,
            select(Product.id).join(Business).order_by(theirs, Business.slug, Product.slug),
            5,
        ),
        "category_id": _ids(session, select(Category.id).order_by(Category.id), 4),
        "order_id": _ids(session, select(Order.id).order_by(Order.created_at)),
        "review_id": _ids(session, select(Review.id).order_by(Review.created_at)),
        "organization_id": _ids(session, select(Organization.id).order_by(Organization.name)),
        "offer_id": _ids(session, select(MentoringOffer.id).order_by(MentoringOffer.title)),
        "request_id": _ids(
            session, select(MentoringRequest.id).order_by(MentoringRequest.created_at)
        ),
        "session_id": _ids(
            session, select(MentoringSession.id).order_by(MentoringSession.created_at)
        ),
        "need_id": _ids(session, select(SupportNeed.id).order_by(SupportNeed.title)),
        "sponsorship_id": _ids(session, select(Sponsorship.id).order_by(Sponsorship.created_at)),
        "disbursement_id": _ids(session, select(Disbursement.id).order_by(Disbursement.created_at)),
        "milestone_id": _ids(
            session,
            select(Milestone.id).join(Sponsorship).order_by(Sponsorship.created_at),
        ),
        "cohort_id": _ids(session, select(Cohort.id).order_by(Cohort.year)),
        "program_id": _ids(session, select(Program.id).order_by(Program.name)),
        "claim_id": _ids(
            session,
            select(GraduateClaim.id).order_by(GraduateClaim.status, GraduateClaim.created_at),
            4,
        ),
        "entry_id": _ids(
            session, select(RosterEntry.id).order_by(RosterEntry.created_at, RosterEntry.id), 3
        ),
        "mentor_id": [users["mentor"].id],
        "facilitator_id": [users["facilitator"].id],
        # Members of the partner company, and the graduate her facilitator may recover.
        "user_id": [
            *_ids(
                session,
                select(User.id).where(User.email.like("%sinarpangan%")).order_by(User.email),
            ),
            users["alumna"].id,
        ],
        "photo_id": _ids(session, select(Photo.id).order_by(Photo.created_at)),
        "course_id": _ids(session, select(Course.id).order_by(Course.created_at)),
        "module_id": _ids(
            session, select(CourseModule.id).order_by(CourseModule.course_id, CourseModule.position)
        ),
        "attachment_id": _ids(
            session, select(CourseAttachment.id).order_by(CourseAttachment.created_at)
        ),
        "sale_id": _ids(session, select(OffPlatformSale.id).order_by(OffPlatformSale.sold_on)),
        "key_id": _ids(session, select(ApiKey.id).order_by(ApiKey.created_at)),
        "webhook_id": _ids(session, select(Webhook.id).order_by(Webhook.created_at)),
        "delivery_id": _ids(
            session, select(WebhookDelivery.id).order_by(WebhookDelivery.event_seq)
        ),
        "notification_id": _ids(
            session,
            select(Notification.id).join(User).order_by(Notification.event_seq, User.email),
            4,
        ),
        "report_id": _ids(session, select(Report.id).order_by(Report.created_at)),
        "event_id": _ids(session, select(TrainingEvent.id).order_by(TrainingEvent.starts_at)),
        "registration_id": _ids(
            session,
            select(TrainingRegistration.id).order_by(
                TrainingRegistration.user_id != users["alumna"].id, TrainingRegistration.created_at
            ),
        ),
        "certificate_id": _ids(
            session, select(TrainingCertificate.id).order_by(TrainingCertificate.created_at)
        ),
        "certificate_code": _ids(
            session, select(TrainingCertificate.code).order_by(TrainingCertificate.created_at)
        ),
        "grant_id": _ids(session, select(AssistGrant.id).order_by(AssistGrant.granted_at)),
        "group_id": _ids(session, select(BusinessGroup.id).order_by(BusinessGroup.name)),
        "member_id": _ids(
            session, select(GroupMember.id).order_by(GroupMember.created_at, GroupMember.id)
        ),
        "group_session_id": _ids(session, select(GroupSession.id).order_by(GroupSession.starts_at)),
        "alumna_id": _ids(
            session, select(User.id).where(User.role == Role.ALUMNA).order_by(User.id), 4
        ),
        "region": ["32", "32.75", "32.75.11", *villages],
        "village": villages,
    }
    pools["target_id"] = pools["product_id"][:2] + pools["business_id"][:1] + pools["review_id"]
    return {name: ids for name, ids in pools.items() if ids}


def _whatsapp_messages(body: Any) -> Iterator[dict[str, Any]]:
    """The messages of a WhatsApp notification, as far as it is shaped like one."""
    entries = body.get("entry") if isinstance(body, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            messages = value.get("messages") if isinstance(value, dict) else None
            for message in messages if isinstance(messages, list) else []:
                if isinstance(message, dict):
                    yield message


@contextmanager
def providers_configured(app: Flask) -> Iterator[None]:
    """The app checks callbacks with the world's secrets while the world stands."""
    state = get_state(app)
    before = state.settings
    state.settings = dataclasses.replace(
        before,
        whatsapp_app_secret=WHATSAPP_APP_SECRET,
        whatsapp_verify_token=WHATSAPP_VERIFY_TOKEN,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
    )
    try:
        yield
    finally:
        state.settings = before


def sign(environ: dict[str, Any]) -> None:
    """Sign a callback marked by ``World.aim`` as WhatsApp (HMAC-SHA256 of the raw body) or
    Twilio (of the URL and the sorted form fields) would."""
    if environ.pop("HTTP_" + SIGN.upper().replace("-", "_"), None) is None:
        return
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    if environ.get("PATH_INFO") == WHATSAPP_WEBHOOK:
        digest = hmac.new(WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        environ["HTTP_X_HUB_SIGNATURE_256"] = f"sha256={digest}"
        return
    copy = Request({**environ, "wsgi.input": io.BytesIO(body)})
    form = {name: value for name, value in copy.form.items()}
    environ["HTTP_X_TWILIO_SIGNATURE"] = inbound.twilio_signature(
        TWILIO_AUTH_TOKEN, copy.base_url, form
    )
