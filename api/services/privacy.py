"""Personal-data rights (UU PDP 27/2022): consent per purpose, a copy of everything held about
a user, and erasure that keeps only pseudonymous aggregates.

One table, ``PARTS``, says for every kind of row that belongs to a user how to find hers, what
her export shows of it and what erasure does to it. The export and the erasure both walk it, and
``tests/test_privacy.py`` checks that every table holding a user's id, or her business's, is in
it or named in ``NOT_HERS`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from api.catalogue import changes as catalogue_changes
from api.db import Base, on_commit, utcnow
from api.errors import Conflict
from api.models import (
    ApiKey,
    AssistGrant,
    AuditEntry,
    AuthSession,
    Business,
    BusinessLicence,
    BusinessStatus,
    CheckIn,
    CheckInPrompt,
    Consent,
    CourseEnrolment,
    Disbursement,
    Event,
    GraduateClaim,
    GroupAttendee,
    GroupMember,
    GroupSession,
    IdempotencyRecord,
    InboundMessage,
    Lead,
    LoginFailure,
    Membership,
    MentoringOffer,
    MentoringRequest,
    MentoringSession,
    Message,
    MessagingPreference,
    ModuleProgress,
    Notification,
    OffPlatformSale,
    OneTimeCode,
    Order,
    OrderStatus,
    Outreach,
    Photo,
    Product,
    ProductStatus,
    Report,
    Review,
    RosterEntry,
    SponsorConsent,
    Sponsorship,
    StaffRegion,
    SupportNeed,
    TrainingCertificate,
    TrainingEvent,
    TrainingRegistration,
    User,
    Webhook,
)
from api.models.mentoring import OfferStatus, RequestStatus
from api.models.sponsorship import NeedStatus, SponsorshipStatus
from api.models.training_event import CertificateStatus, RegistrationStatus
from api.services import audit, businesses, codes, groups, photos, reviews
from api.services.authz import Actor
from api.services.training import certificates as training_certificates
from api.storage import Storage

ERASED_NAME = "Pengguna terhapus"
ERASED_BUSINESS = "Usaha terhapus"
ERASED_PRODUCT = "Produk terhapus"
ERASED_OFFER = "Tawaran terhapus"
ERASED_NEED = "Kebutuhan terhapus"

OPEN_ORDERS = (OrderStatus.REQUESTED, OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.SHIPPED)
OPEN_SPONSORSHIPS = (
    SponsorshipStatus.PROPOSED,
    SponsorshipStatus.ACCEPTED,
    SponsorshipStatus.ACTIVE,
)
OPEN_MENTORING = (RequestStatus.OPEN, RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS)


# -- what belongs to her -----------------------------------------------------------------------


Value = Any | Callable[[Any], Any]


@dataclass(frozen=True)
class Part:
    """One kind of row that belongs to a user.

    ``rows(user_id)`` selects hers; ``export`` says whether her export lists them (the shape is
    ``api.schemas.privacy``; ``why`` says why not); ``erase`` replaces columns (a value, or a
    function of the row), or ``delete`` removes the rows. A part without either is kept as it
    is, pseudonymous once her account is.
    """

    name: str
    model: type[Base]
    rows: Callable[[str], ColumnElement[bool]]
    export: bool = True
    erase: Mapping[str, Value] = field(default_factory=dict)
    delete: bool = False
    why: str = ""
    # What her export shows of each row besides the row, loaded with the part (not row by row).
    loads: tuple[Any, ...] = ()


def _her_businesses(user_id: str) -> Any:
    return select(Business.id).where(Business.owner_id == user_id).scalar_subquery()


def _her_products(user_id: str) -> Any:
    return (
        select(Product.id)
        .where(Product.business_id.in_(select(Business.id).where(Business.owner_id == user_id)))
        .scalar_subquery()
    )


def _her_requests(user_id: str) -> Any:
    return (
        select(MentoringRequest.id)
        .where(or_(MentoringRequest.alumna_id == user_id, MentoringRequest.mentor_id == user_id))
        .scalar_subquery()
    )


def _her_roster_entries(user_id: str) -> Any:
    return (
        select(GraduateClaim.roster_entry_id).where(GraduateClaim.user_id == user_id)
    ).scalar_subquery()


def _erased_slug(row: Any) -> str:
    return f"erased-{row.id.lower()}"


def _revoked(row: Any) -> Any:
    return row.revoked_at or utcnow()


def _registration_closed(row: Any) -> Any:
    """A seat or a place in the queue she holds goes; one she used stays on record."""
    if row.status == RegistrationStatus.WAITLISTED or (
        row.status == RegistrationStatus.CONFIRMED and row.attended is None
    ):
        return RegistrationStatus.CANCELLED
    return row.status


def _closed_if_open(row: Any) -> Any:
    return RequestStatus.CANCELLED if row.status in OPEN_MENTORING else row.status


PARTS: tuple[Part, ...] = (
    Part(
        "account",
        User,
        lambda u: User.id == u,
        erase={
            "name": ERASED_NAME,
            "email": None,
            "phone": None,
            "password_hash": "!erased",
            "suspended_reason": None,
            "phone_verified_at": None,
            "email_verified_at": None,
            "code_sign_in": False,
        },
    ),
    Part("sessions", AuthSession, lambda u: AuthSession.user_id == u, delete=True),
    Part(
        "consents",
        Consent,
        lambda u: Consent.user_id == u,
        erase={"revoked_at": _revoked},
    ),
    Part("memberships", Membership, lambda u: Membership.user_id == u, delete=True),
    Part(
        "staff_regions",
        StaffRegion,
        lambda u: StaffRegion.user_id == u,
        delete=True,
        export=False,
        why="the regions an admin works in; shown on her account by the admins' tools",
    ),
    Part(
        "assist_grants",
        AssistGrant,
        lambda u: or_(AssistGrant.alumna_id == u, AssistGrant.facilitator_id == u),
        delete=True,
    ),
    Part(
        "notifications",
        Notification,
        lambda u: Notification.user_id == u,
        delete=True,
    ),
    Part("messages", Message, lambda u: Message.user_id == u, delete=True),
    Part(
        "messaging_preferences",
        MessagingPreference,
        lambda u: MessagingPreference.user_id == u,
        delete=True,
    ),
    Part("inbound_messages", InboundMessage, lambda u: InboundMessage.user_id == u, delete=True),
    Part("check_in_prompts", CheckInPrompt, lambda u: CheckInPrompt.user_id == u, delete=True),
    Part(
        "outreach",
        Outreach,
        lambda u: Outreach.business_id.in_(_her_businesses(u)),
        erase={"note": ""},
    ),
    Part(
        "one_time_codes",
        OneTimeCode,
        lambda u: OneTimeCode.user_id == u,
        delete=True,
        export=False,
        why="codes in flight, kept as keyed hashes for minutes",
    ),
    Part(
        "businesses",
        Business,
        lambda u: Business.owner_id == u,
        loads=businesses.DOCUMENT,
        erase={
            "name": ERASED_BUSINESS,
            "slug": _erased_slug,
            "description": "",
            "address": None,
            "whatsapp": None,
            "contact_consented": False,  # her consent goes with her
            "channels": {},
            "opening_hours": [],
            "founded_on": None,
            "status": BusinessStatus.CLOSED,
        },
    ),
    Part(
        "licences",
        BusinessLicence,
        lambda u: BusinessLicence.business_id.in_(_her_businesses(u)),
        delete=True,
        export=False,
        why="shown in her export inside each business",
    ),
    Part(
        "photos",
        Photo,
        lambda u: Photo.business_id.in_(_her_businesses(u)),
        delete=True,
    ),
    Part(
        "products",
        Product,
        lambda u: Product.business_id.in_(_her_businesses(u)),
        erase={
            "name": ERASED_PRODUCT,
            "slug": _erased_slug,
            "description": "",
            "tags": [],
            "status": ProductStatus.ARCHIVED,
        },
    ),
    Part(
        "orders_placed",
        Order,
        lambda u: Order.buyer_id == u,
        erase={
            "contact_name": ERASED_NAME,
            "contact_phone": "",
            "delivery_address": None,
            "note": "",
            "reason": None,
        },
    ),
    Part(
        "orders_received",
        Order,
        lambda u: Order.business_id.in_(_her_businesses(u)),
        erase={"reason": None},
        why="kept: the buyers' records of what they bought; her business is pseudonymous "
        "and her reasons (a decline) go",
    ),
    Part(
        "reviews_written",
        Review,
        lambda u: Review.author_id == u,
        erase={
            "text": "",
            "photo_token": None,
            "photo_width": None,
            "photo_height": None,
            "author_id": None,
        },
    ),
    Part(
        "reviews_received",
        Review,
        lambda u: Review.business_id.in_(_her_businesses(u)),
        erase={"reply": None},
    ),
    Part(
        "reports_filed",
        Report,
        lambda u: Report.reporter_id == u,
        erase={"reason": "", "reporter_id": None},
    ),
    Part(
        "leads_made",
        Lead,
        lambda u: Lead.user_id == u,
        erase={"message": "", "user_id": None},
    ),
    Part(
        "leads_received",
        Lead,
        lambda u: Lead.business_id.in_(_her_businesses(u)),
        erase={"message": ""},
        why="kept as counts; the prefilled messages name her business and products",
    ),
    Part(
        "mentoring_offers",
        MentoringOffer,
        lambda u: MentoringOffer.mentor_id == u,
        erase={"title": ERASED_OFFER, "description": "", "status": OfferStatus.CLOSED},
    ),
    Part(
        "mentoring_requests",
        MentoringRequest,
        lambda u: MentoringRequest.alumna_id == u,
        erase={
            "need": "",
            "preferred_times": "",
            "feedback": None,
            "outcome": None,
            "reason": None,
            "status": _closed_if_open,
        },
    ),
    Part(
        "mentoring_requests_taken",
        MentoringRequest,
        lambda u: MentoringRequest.mentor_id == u,
        why="kept: the alumna's record of the mentoring she had; her mentor is pseudonymous",
    ),
    Part(
        "mentoring_sessions",
        MentoringSession,
        lambda u: MentoringSession.request_id.in_(_her_requests(u)),
        erase={
            "notes": None,
            "outcome": None,
            "place": None,
            "link": None,
            "agenda": "",
            "reason": None,
        },
    ),
    Part(
        "course_enrolments",
        CourseEnrolment,
        lambda u: CourseEnrolment.user_id == u,
        why="kept: ids and times only, pseudonymous once her account is; the publisher's "
        "enrolment counts and the training statistics stay true",
    ),
    Part(
        "course_module_progress",
        ModuleProgress,
        lambda u: ModuleProgress.enrolment_id.in_(
            select(CourseEnrolment.id).where(CourseEnrolment.user_id == u)
        ),
        export=False,
        why="the modules she marked done: shown in her export inside each enrolment; ids and "
        "times only",
    ),
    Part(
        "group_sessions_led",
        GroupSession,
        lambda u: GroupSession.mentor_id == u,
        erase={"notes": None, "place": None, "link": None, "agenda": "", "reason": None},
        why="kept as the university's record of a workshop held; her notes and places go",
    ),
    Part(
        "group_sessions_attended",
        GroupAttendee,
        lambda u: GroupAttendee.alumna_id == u,
        why="kept: that she came counts in the university's hours, pseudonymously",
    ),
    Part(
        "group_memberships",
        GroupMember,
        lambda u: GroupMember.user_id == u,
        why="her membership ends on erasure (groups.before_erasure: a ketua's role and the "
        "group's businesses on record under her pass to another officer); the row stays, "
        "pseudonymous, so that the group's history adds up",
    ),
    Part(
        "graduate_claims",
        GraduateClaim,
        lambda u: GraduateClaim.user_id == u,
        erase={"note": "", "reason": None},
    ),
    Part(
        "roster_entries",
        RosterEntry,
        lambda u: RosterEntry.id.in_(_her_roster_entries(u)),
        erase={"name": ERASED_NAME, "phone": None},
        export=False,
        why="the program's list of its graduates; her claims in the export show her cohort",
    ),
    Part(
        "check_ins",
        CheckIn,
        lambda u: CheckIn.business_id.in_(_her_businesses(u)),
        erase={"challenges": "", "support_wanted": ""},
    ),
    Part(
        "sales",
        OffPlatformSale,
        lambda u: OffPlatformSale.business_id.in_(_her_businesses(u)),
        erase={"note": ""},
    ),
    Part(
        "support_needs",
        SupportNeed,
        lambda u: SupportNeed.business_id.in_(_her_businesses(u)),
        erase={"title": ERASED_NEED, "description": "", "items": [], "status": NeedStatus.CLOSED},
    ),
    Part(
        "sponsorships",
        Sponsorship,
        lambda u: Sponsorship.business_id.in_(_her_businesses(u)),
        erase={"reason": None},
        why="kept: the sponsor's record of what it gave, to a pseudonymous business",
    ),
    Part(
        "disbursements_received",
        Disbursement,
        lambda u: Disbursement.sponsorship_id.in_(
            select(Sponsorship.id).where(Sponsorship.business_id.in_(_her_businesses(u)))
        ),
        erase={"dispute_reason": None},
        export=False,
        why="what the sponsor paid (kept, its record); her dispute reasons go",
    ),
    Part(
        "sponsor_consents",
        SponsorConsent,
        lambda u: SponsorConsent.business_id.in_(_her_businesses(u)),
        erase={"revoked_at": _revoked},
    ),
    Part(
        "training_registrations",
        TrainingRegistration,
        lambda u: TrainingRegistration.user_id == u,
        erase={"status": _registration_closed},
        why="kept: the organiser's record of who came, pseudonymous; a seat not yet used is "
        "given up",
    ),
    Part(
        "training_certificates",
        TrainingCertificate,
        lambda u: TrainingCertificate.user_id == u,
        erase={
            "holder_name": ERASED_NAME,
            "file_token": None,
            "revoked_reason": None,
            "status": CertificateStatus.WITHDRAWN,
        },
        why="kept as counts; her name and the PDF go, and checking its code then says only "
        "that it was withdrawn",
    ),
    Part(
        "training_events_organised",
        TrainingEvent,
        lambda u: TrainingEvent.organizer_id == u,
        export=False,
        why="an organisation's published event; the women who attended keep its record",
    ),
    Part(
        "api_keys",
        ApiKey,
        lambda u: ApiKey.created_by_id == u,
        erase={"revoked_at": _revoked},
    ),
    Part(
        "webhooks",
        Webhook,
        lambda u: Webhook.created_by_id == u,
        why="the organisation's subscriptions; they keep working for it",
    ),
    Part(
        "audit",
        AuditEntry,
        lambda u: or_(
            AuditEntry.actor_id == u, AuditEntry.assisted_by_id == u, AuditEntry.subject_id == u
        ),
        why="append-only (the database refuses changes); audit.write keeps ids, codes and "
        "figures and takes free text out, so no entry can hold her words",
    ),
    Part(
        "events",
        Event,
        lambda u: or_(Event.actor_id == u, Event.subject_id == u),
        erase={"data": lambda row: audit.safe_data(row.data or {})},
        export=False,
        why="her feed and notifications show them; erasure takes the free text out of hers",
    ),
    Part(
        "idempotency_records",
        IdempotencyRecord,
        lambda u: IdempotencyRecord.scope == u,
        delete=True,
        export=False,
        why="stored responses for retries, kept 24 hours",
    ),
)

# Tables that hold a user's id (or her business's) but are not her personal data.
NOT_HERS: dict[str, str] = {
    "business_groups": "a group's own record, shared by its members; who started it is an id",
    "business_group_equipment": "the group's record of its equipment; who recorded it is an id",
    "organizations": "an organisation's record; who created or verified it is kept as an id",
    "courses": "an organisation's course; the member who started it is kept as an id",
    "sponsorship_milestones": "a sponsorship's milestones; who confirmed one is kept as an id",
    "product_changes": "price, stock and availability history of a product (figures, not people)",
    "product_views": "how many times a product's page was read (a count, not who read it)",
    "order_items": "what an order held: product names and prices at the time",
    "refresh_tokens": "secrets of her sign-in sessions, deleted with them",
    "training_event_trainers": "who delivers an event: ids, the organisation's record",
    "login_failures": "failed sign-ins and code requests; erasure deletes those under her email "
    "or phone",
    "stats_facts": "figures derived from her business's check-ins and orders for the "
    "statistics (dates, flags, counts, her latest revenue); they follow those rows and go "
    "with her business",
    "stats_members": "which cohorts her business counts in for the statistics (ids and the "
    "day it was listed); derived from her verified claims, it goes with her business or claim",
    "stats_graduates": "which cohorts she counts in as a verified graduate (ids and flags); "
    "derived from her verified claims, it follows them and goes with her account",
}

# Every text and JSON column that no part above erases or deletes, and why what it holds is not
# her words (ids, codes and figures are not). ``tests/test_privacy.py`` fails for a text column
# of any table that is neither erased by a part nor named here.
KEPT_TEXT: dict[str, tuple[str, str]] = {
    "audit_log": (
        "actor_id actor_role assisted_by_id action subject_type subject_id data",
        "ids and codes; audit.write takes every free-text value out of data",
    ),
    "events": ("id type subject_type subject_id actor_id", "ids and codes"),
    "row_changes": ("kind subject_id scope_id", "ids and codes"),
    "categories": ("slug name_id name_en", "the catalogue's taxonomy"),
    "regions": ("name kind parent_code", "the government's list of regions"),
    "programs": ("name description organizer", "a programme's own record"),
    "cohorts": ("name track facilitator_ids", "a programme's cohort: names of the cohort, ids"),
    "organizations": ("name description website", "an organisation's own record"),
    "api_keys": ("name prefix secret_hash scopes", "an organisation's key; revoked on erasure"),
    "webhooks": (
        "url description event_types secret_encrypted disabled_reason",
        "an organisation's subscription",
    ),
    "webhook_deliveries": ("last_error redelivery_of_id", "delivery machinery"),
    "webhook_attempts": ("error", "delivery machinery"),
    "users": ("locale", "a language code"),
    "login_failures": ("subject", "erase() deletes the rows under her email or phone"),
    "consents": ("notice_version", "the version of a notice"),
    "businesses": ("hidden_reason", "a moderator's words about the listing"),
    "products": (
        "unit hidden_reason",
        "a unit of sale (pcs, kg), kept with the buyers' orders; a moderator's words",
    ),
    "moderation_reports": (
        "target_id region_code resolution_reason",
        "ids and codes; a moderator's words (her reasons are erased)",
    ),
    "reviews": ("hidden_reason", "a moderator's words"),
    "orders": ("tracking", "a courier's tracking number, the buyer's record"),
    "order_items": (
        "product_name unit",
        "the buyer's record of what she bought, at the time: her receipt keeps the product's "
        "name (the one documented exception to a clean scan; see README, Security)",
    ),
    "product_changes": ("field old_value new_value", "price, stock and availability figures"),
    "check_ins": ("channels", "codes of the channels she sells through"),
    "business_groups": ("name description", "a group's own record, its members'"),
    "business_group_equipment": ("name source", "the group's record of its equipment"),
    "mentoring_group_sessions": ("title", "the university's workshop: its title"),
    "leads": ("visitor channel", "a keyed hash of an anonymous visitor's address; a code"),
    "mentoring_offers": ("language", "a language code"),
    "sponsorships": ("items terms", "the sponsor's own words of what it gives"),
    "sponsorship_milestones": ("title", "the sponsor's milestones"),
    "courses": ("title summary language", "an organisation's course, its own words"),
    "course_modules": ("title body", "an organisation's course material"),
    "course_attachments": (
        "title content_type token sizes",
        "an organisation's course material: its files' titles, types, keys and sizes",
    ),
    "disbursements": (
        "description evidence_token evidence_type",
        "the sponsor's record of what it paid; the evidence file's token and type",
    ),
    "training_events": (
        "title description place link reason",
        "an organisation's published event",
    ),
    "training_certificates": (
        "code title issuer_name",
        "what the certificate states besides her name (the event and its issuer), its code",
    ),
}


# -- export ----------------------------------------------------------------------------------


def export(session: Session, *, actor: Actor) -> dict[str, Any]:
    """Everything held about her, part by part (``api.schemas.privacy`` gives the shape)."""
    user = actor.require_user()
    copy: dict[str, Any] = {"generated_at": utcnow(), "user_id": user.id, "account": user}
    for part in PARTS:
        if not part.export or part.model is User:
            continue
        stmt = select(part.model).where(part.rows(user.id)).options(*part.loads)
        rows = list(session.scalars(stmt).unique())
        for row in rows:
            if isinstance(row, Business):
                row.show_private = True  # type: ignore[attr-defined]
        copy[part.name] = rows
    return copy


# -- erasure ---------------------------------------------------------------------------------


def erase(session: Session, *, actor: Actor, storage: Storage) -> dict[str, int]:
    """Erase her personal data; what stays is pseudonymous (her id, figures, ratings).

    Refused (409 ``erasure_blocked``) while an order or a sponsorship of hers is under way:
    the other side is owed an answer first. Returns how many rows of each part changed.
    """
    user = actor.require_user()
    _check_nothing_open(session, user.id)
    groups.before_erasure(session, user.id)  # the group's businesses stay the group's
    items: list[Product | Business] = [
        *session.scalars(select(Product).where(Product.business_id.in_(_her_businesses(user.id)))),
        *session.scalars(select(Business).where(Business.owner_id == user.id)),
    ]
    before = {item.id: catalogue_changes.snapshot(item) for item in items}
    # The leads her listings drew (deleted below): their events name the product asked about.
    leads = list(
        session.scalars(select(Lead.id).where(Lead.business_id.in_(_her_businesses(user.id))))
    )
    _delete_files(session, storage, user.id)
    identifiers = [v for v in (user.email, user.phone) if v]
    counts: dict[str, int] = {}
    for part in PARTS:
        counts[part.name] = _erase_part(session, part, user.id)
    if identifiers:
        subjects = [*identifiers, *(s for i in identifiers for s in codes.subjects(i))]
        session.execute(delete(LoginFailure).where(LoginFailure.subject.in_(subjects)))
    user.erased_at = utcnow()
    session.flush()
    session.expire_all()
    # The catalogue's mirrors hear that her listings are gone; earlier events about them (and
    # about the leads they drew) lose the names and descriptions they carried.
    for item in items:
        session.refresh(item)
        catalogue_changes.announce(session, item, before[item.id], actor=actor)
    if items:
        about = [*(i.id for i in items), *leads]
        session.execute(update(Event).where(Event.subject_id.in_(about)).values(data={}))
    audit.write(
        session,
        actor=actor,
        action="user.erased",
        subject_type="user",
        subject_id=user.id,
        data={name: n for name, n in counts.items() if n},
    )
    return counts


def _check_nothing_open(session: Session, user_id: str) -> None:
    orders = list(
        session.scalars(
            select(Order.id).where(
                or_(Order.buyer_id == user_id, Order.business_id.in_(_her_businesses(user_id))),
                Order.status.in_(OPEN_ORDERS),
            )
        )
    )
    sponsorships = list(
        session.scalars(
            select(Sponsorship.id).where(
                Sponsorship.business_id.in_(_her_businesses(user_id)),
                Sponsorship.status.in_(OPEN_SPONSORSHIPS),
            )
        )
    )
    mentoring = list(
        session.scalars(
            select(MentoringRequest.id).where(
                MentoringRequest.mentor_id == user_id,
                MentoringRequest.status.in_((RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS)),
            )
        )
    )
    if orders or sponsorships or mentoring:
        raise Conflict(
            "erasure_blocked",
            extra={
                "open_orders": orders[:50],
                "open_sponsorships": sponsorships[:50],
                "open_mentoring": mentoring[:50],
            },
        )


def _erase_part(session: Session, part: Part, user_id: str) -> int:
    where = part.rows(user_id)
    if part.delete:
        result = session.execute(delete(part.model).where(where))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    if not part.erase:
        return 0
    constant = {k: v for k, v in part.erase.items() if not callable(v)}
    per_row = {k: v for k, v in part.erase.items() if callable(v)}
    rows = list(session.scalars(select(part.model).where(where)).unique())
    for row in rows:
        for name, value in constant.items():
            setattr(row, name, value)
        for name, make in per_row.items():
            setattr(row, name, make(row))
    session.flush()
    return len(rows)


def _delete_files(session: Session, storage: Storage, user_id: str) -> None:
    """Her photos' and her reviews' photos' files go once the erasure commits."""
    for photo_id in session.scalars(
        select(Photo.id).where(Photo.business_id.in_(_her_businesses(user_id)))
    ):
        photos.delete_image(session, storage, f"photos/{photo_id}")
    for review in session.scalars(
        select(Review).where(Review.author_id == user_id, Review.photo_token.is_not(None))
    ):
        token = review.photo_token or ""
        photos.delete_image(session, storage, reviews.photo_prefix(review.id, token))
    private = storage.private
    keys = [
        training_certificates.file_key(certificate)
        for certificate in session.scalars(
            select(TrainingCertificate).where(
                TrainingCertificate.user_id == user_id, TrainingCertificate.file_token.is_not(None)
            )
        )
    ]
    if keys:  # her certificates' PDFs
        on_commit(session, lambda: photos.delete_files(private, keys))
