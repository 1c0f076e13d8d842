"""Training events: registration with a waitlist, attendance, certificates and their public
verification."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.http.pages import page_response
from api.models import Role, TrainingCertificate, TrainingEvent, TrainingRegistration
from api.pagination import Page
from api.schemas.common import ReasonSchema, page_of
from api.schemas.training_events import (
    AttendanceResultSchema,
    AttendanceSchema,
    CertificateQueryArgsSchema,
    CertificateVerificationSchema,
    RegistrationQueryArgsSchema,
    TrainingCertificateSchema,
    TrainingEventCreateSchema,
    TrainingEventPatchSchema,
    TrainingEventQueryArgsSchema,
    TrainingEventSchema,
    TrainingRegistrationSchema,
)
from api.services.shown import Shown
from api.services.training import certificates, registrations
from api.services.training import events as service

EVENT = "/training-events/<string:event_id>"
blp = Blueprint(
    "training_events",
    __name__,
    scope="training",
    url_prefix="/v1",
    description=(
        "Training events: a course or a topic delivered at a time and place, with seats and a "
        "waitlist; attendance taken by the trainers; a certificate (PDF, Indonesian) for each "
        "woman who attended, which anyone can verify by its code."
    ),
)
ORGANIZERS = (Role.MENTOR, Role.PARTNER, Role.FACILITATOR, Role.ADMIN)


def _shown(event: TrainingEvent) -> Shown[TrainingEvent]:
    return service.shown_events(db(), current_actor(), [event])[0]


def _registration(registration: TrainingRegistration) -> Shown[TrainingRegistration]:
    return registrations.shown_registration(db(), current_actor(), registration)


def _verify_base() -> str:
    """Where the public checks a certificate: PUBLIC_BASE_URL (required in production), else,
    in development, this server's own address."""
    return state().settings.public_base_url or request.host_url


@blp.route("/training-events", methods=["POST"])
@blp.auth(*ORGANIZERS)
@blp.etag
@blp.arguments(TrainingEventCreateSchema)
@blp.response(201, TrainingEventSchema)
def create_training_event(data: dict[str, Any]) -> Shown[TrainingEvent]:
    """Publish an event (members of a verified university, CSR company or government office,
    and programme staff)."""
    return _shown(service.create_event(db(), actor=current_actor(), data=data))


@blp.route("/training-events", methods=["GET"])
@blp.auth(optional=True)  # the caller's registration and actions are in each item
@blp.arguments(TrainingEventQueryArgsSchema, location="query")
@blp.response(200, page_of(TrainingEventSchema))
def list_training_events(
    args: dict[str, Any],
) -> tuple[Page[Shown[TrainingEvent]], dict[str, str]]:
    """Events, filtered by topic, region served, organisation, course, status or `upcoming`."""
    page = service.list_events(db(), **args)
    items = service.shown_events(db(), current_actor(), page.items)
    return page_response(Page(items, page.next_cursor))


@blp.route(EVENT, methods=["GET"])
@blp.auth(optional=True)
@blp.etag
@blp.response(200, TrainingEventSchema)
def get_training_event(event_id: str) -> Shown[TrainingEvent]:
    """Read an event: seats taken and left, the waitlist's length, your registration."""
    return _shown(service.get_event(db(), actor=current_actor(), event_id=event_id))


@blp.route(EVENT, methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(TrainingEventPatchSchema)
@blp.response(200, TrainingEventSchema)
@blp.alt_response(409, response="CONFLICT")
def update_training_event(changes: dict[str, Any], event_id: str) -> Shown[TrainingEvent]:
    """Change a scheduled event (its organiser; send If-Match). A larger capacity seats the
    waitlist in order; a capacity below the seats taken is a 409."""
    actor = current_actor()
    event = service.get_event(db(), actor=actor, event_id=event_id, action="manage")
    blp.check_etag(_shown(event), TrainingEventSchema)
    return _shown(service.update_event(db(), actor=actor, event=event, changes=changes))


@blp.action(EVENT + "/cancel", body=ReasonSchema, response=TrainingEventSchema)
def cancel_training_event(data: dict[str, Any], event_id: str) -> Shown[TrainingEvent]:
    """Call the event off (its organiser); everyone registered is notified."""
    return _shown(
        service.cancel_event(db(), actor=current_actor(), event_id=event_id, reason=data["reason"])
    )


@blp.action(EVENT + "/complete", response=TrainingEventSchema)
def complete_training_event(event_id: str) -> Shown[TrainingEvent]:
    """The event is over (its organiser or a trainer, once it started): every woman recorded
    as present gets her certificate."""
    event = registrations.complete_event(
        db(),
        actor=current_actor(),
        event_id=event_id,
        storage=state().storage,
    )
    return _shown(event)


@blp.route(EVENT + "/registrations", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.response(201, TrainingRegistrationSchema)
@blp.alt_response(409, response="CONFLICT")
def register_for_training_event(event_id: str) -> Shown[TrainingRegistration]:
    """Register (alumnae, while registration is open): a seat, or the waitlist when full."""
    return _registration(registrations.register(db(), actor=current_actor(), event_id=event_id))


@blp.route(EVENT + "/registrations", methods=["GET"])
@blp.auth()
@blp.arguments(RegistrationQueryArgsSchema, location="query")
@blp.response(200, page_of(TrainingRegistrationSchema))
def list_training_event_registrations(
    args: dict[str, Any], event_id: str
) -> tuple[Page[Shown[TrainingRegistration]], dict[str, str]]:
    """Who registered, with names (its organiser and trainers)."""
    page = registrations.list_registrations(db(), actor=current_actor(), event_id=event_id, **args)
    return page_response(Page([_registration(r) for r in page.items], page.next_cursor))


@blp.route(EVENT + "/attendance", methods=["POST"])
@blp.auth()
@blp.arguments(AttendanceSchema)
@blp.response(200, AttendanceResultSchema)
@blp.alt_response(409, response="CONFLICT")
def record_training_attendance(data: dict[str, Any], event_id: str) -> dict[str, Any]:
    """Record who came (its organiser and trainers, from its start until 7 days after its
    end; after completion, corrections are its organiser's), by user id or phone; a woman who
    came without registering is added as a walk-in (answered without her name)."""
    recorded = registrations.record_attendance(
        db(),
        actor=current_actor(),
        event_id=event_id,
        entries=data["entries"],
        storage=state().storage,
    )
    return {"items": [registrations.shown_recorded(r) for r in recorded]}


@blp.route(EVENT + "/certificates", methods=["GET"])
@blp.auth()
@blp.arguments(CertificateQueryArgsSchema, location="query")
@blp.response(200, page_of(TrainingCertificateSchema))
def list_training_event_certificates(
    args: dict[str, Any], event_id: str
) -> tuple[Page[TrainingCertificate], dict[str, str]]:
    """The certificates an event issued (its organiser and trainers)."""
    service.get_event(db(), actor=current_actor(), event_id=event_id, action="run")
    return page_response(
        certificates.list_certificates(db(), actor=current_actor(), event_id=event_id, **args)
    )


@blp.route("/training-registrations", methods=["GET"])
@blp.auth()
@blp.arguments(RegistrationQueryArgsSchema, location="query")
@blp.response(200, page_of(TrainingRegistrationSchema))
def list_my_training_registrations(
    args: dict[str, Any],
) -> tuple[Page[Shown[TrainingRegistration]], dict[str, str]]:
    """Your registrations."""
    page = registrations.list_registrations(db(), actor=current_actor(), **args)
    return page_response(Page([_registration(r) for r in page.items], page.next_cursor))


@blp.route("/training-registrations/<string:registration_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, TrainingRegistrationSchema)
def get_training_registration(registration_id: str) -> Shown[TrainingRegistration]:
    """Read a registration (hers, or the event's organiser and trainers)."""
    return _registration(
        registrations.get_registration(db(), actor=current_actor(), registration_id=registration_id)
    )


@blp.action(
    "/training-registrations/<string:registration_id>/cancel",
    response=TrainingRegistrationSchema,
)
def cancel_training_registration(registration_id: str) -> Shown[TrainingRegistration]:
    """Give up your seat before the event starts; the first woman waiting gets it."""
    return _registration(
        registrations.cancel_registration(
            db(), actor=current_actor(), registration_id=registration_id
        )
    )


@blp.route("/training-certificates", methods=["GET"])
@blp.auth()
@blp.arguments(CertificateQueryArgsSchema, location="query")
@blp.response(200, page_of(TrainingCertificateSchema))
def list_my_training_certificates(
    args: dict[str, Any],
) -> tuple[Page[TrainingCertificate], dict[str, str]]:
    """Your certificates."""
    return page_response(certificates.list_certificates(db(), actor=current_actor(), **args))


@blp.route("/training-certificates/<string:certificate_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, TrainingCertificateSchema)
def get_training_certificate(certificate_id: str) -> TrainingCertificate:
    """Read a certificate (its holder, the event's organiser and trainers)."""
    return certificates.get_certificate(db(), actor=current_actor(), certificate_id=certificate_id)


@blp.route("/training-certificates/<string:certificate_id>/pdf", methods=["GET"])
@blp.auth()
@blp.response(200, description="The certificate (application/pdf).")
@blp.alt_response(409, response="CONFLICT")
def get_training_certificate_pdf(certificate_id: str) -> Response:
    """Download the certificate as a PDF (never a public URL; a withdrawn one has none, a
    revoked one is refused with 409 certificate_revoked)."""
    certificate, data = certificates.certificate_pdf(
        db(),
        actor=current_actor(),
        certificate_id=certificate_id,
        storage=state().storage,
        verify_base=_verify_base(),
    )
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Cache-Control": "private, no-cache",
            "Content-Disposition": f'attachment; filename="sertifikat-{certificate.code}.pdf"',
        },
    )


@blp.action(
    "/training-certificates/<string:certificate_id>/revoke",
    body=ReasonSchema,
    response=TrainingCertificateSchema,
)
def revoke_training_certificate(data: dict[str, Any], certificate_id: str) -> TrainingCertificate:
    """Take back a certificate issued in error (the event's organiser); verifying it then
    says `revoked`."""
    return certificates.revoke(
        db(), actor=current_actor(), certificate_id=certificate_id, reason=data["reason"]
    )


@blp.route("/certificate-verifications/<string:certificate_code>", methods=["GET"])
@blp.etag
@blp.response(200, CertificateVerificationSchema)
def verify_training_certificate(certificate_code: str) -> dict[str, Any]:
    """Check a certificate by its code (anyone; the code is printed on it, with a QR code of
    this address): what it states and whether it was revoked. Unknown: 404."""
    return certificates.verify(db(), code=certificate_code)
