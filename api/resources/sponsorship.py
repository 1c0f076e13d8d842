"""CSR sponsorship: needs, proposals, disbursements, consent, impact."""

from __future__ import annotations

from typing import Any

from flask import Response

from api.http import charts
from api.http.blueprint import Blueprint
from api.http.charts import CHART_RESPONSES
from api.http.context import current_actor, db, language, state
from api.http.export import CSV_RESPONSE, XLSX_RESPONSE, report_response, wanted_table
from api.http.pages import page_response
from api.images import MAX_BYTES, UPLOAD_LIMIT
from api.models import Disbursement, Role, SponsorConsent, Sponsorship, SupportNeed
from api.pagination import Page
from api.schemas.common import OptionalReasonSchema, PageQueryArgsSchema, ReasonSchema, page_of
from api.schemas.sponsorship import (
    ConsentCreateSchema,
    ConsentListSchema,
    ConsentSchema,
    DisbursementCreateSchema,
    DisbursementSchema,
    EventNeedCreateSchema,
    EvidenceUploadSchema,
    FundedBusinessSchema,
    FundedQueryArgsSchema,
    ImpactQueryArgsSchema,
    ImpactReportSchema,
    NeedCreateSchema,
    NeedQueryArgsSchema,
    NeedSchema,
    NeedSummarySchema,
    SponsorshipCreateSchema,
    SponsorshipQueryArgsSchema,
    SponsorshipSchema,
)
from api.services import sponsorship as service
from api.services.shown import Shown

blp = Blueprint(
    "sponsorship",
    __name__,
    scope="sponsorship",
    url_prefix="/v1",
    description=(
        "CSR sponsorship: graduates' needs; proposals (proposed -> accepted/declined/withdrawn "
        "-> active -> completed, or cancelled); disbursements that count once confirmed; "
        "consent to share figures; the sponsor's impact report."
    ),
)
DISBURSEMENT = "/sponsorships/<string:sponsorship_id>/disbursements/<string:disbursement_id>"


def _act(sponsorship_id: str, action: str, reason: str | None = None) -> Shown[Sponsorship]:
    return _shown(
        service.act(
            db(), actor=current_actor(), sponsorship_id=sponsorship_id, action=action, reason=reason
        )
    )


def _shown(item: Sponsorship) -> Shown[Sponsorship]:
    return service.shown(db(), current_actor(), item)


@blp.route("/businesses/<string:business_id>/needs", methods=["POST"])
@blp.auth(Role.ALUMNA, Role.ADMIN)
@blp.arguments(NeedCreateSchema)
@blp.response(201, NeedSchema)
def create_need(data: dict[str, Any], business_id: str) -> SupportNeed:
    """State what would help your business."""
    return service.create_need(db(), actor=current_actor(), business_id=business_id, data=data)


@blp.route("/business-groups/<string:group_id>/needs", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.arguments(NeedCreateSchema)
@blp.response(201, NeedSchema)
def create_group_need(data: dict[str, Any], group_id: str) -> SupportNeed:
    """State what would help your group (its officers: ketua, sekretaris, bendahara)."""
    return service.create_group_need(db(), actor=current_actor(), group_id=group_id, data=data)


@blp.route("/cohorts/<string:cohort_id>/needs", methods=["POST"])
@blp.auth(Role.FACILITATOR, Role.ADMIN)
@blp.arguments(NeedCreateSchema)
@blp.response(201, NeedSchema)
def create_cohort_need(data: dict[str, Any], cohort_id: str) -> SupportNeed:
    """State what would help a cohort (its facilitators, admins where it is)."""
    return service.create_cohort_need(db(), actor=current_actor(), cohort_id=cohort_id, data=data)


@blp.route("/training-events/<string:event_id>/needs", methods=["POST"])
@blp.auth(Role.FACILITATOR, Role.MENTOR, Role.PARTNER, Role.ADMIN)
@blp.arguments(EventNeedCreateSchema)
@blp.response(201, NeedSchema)
def create_training_event_need(data: dict[str, Any], event_id: str) -> SupportNeed:
    """Ask sponsors for seats of a scheduled training event you organise (at most its
    capacity)."""
    return service.create_event_need(db(), actor=current_actor(), event_id=event_id, data=data)


@blp.route("/needs", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.arguments(NeedQueryArgsSchema, location="query")
@blp.response(200, page_of(NeedSchema, compact=NeedSummarySchema, changes=True))
def list_needs(args: dict[str, Any]) -> tuple[Page[SupportNeed], dict[str, str]]:
    """Open and partly met needs of active businesses, business groups and cohorts, for
    partners to browse."""
    return page_response(service.browse_needs(db(), actor=current_actor(), **args))


@blp.route("/needs/<string:need_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.etag
@blp.response(200, NeedSchema)
def get_need(need_id: str) -> SupportNeed:
    """Read a need and its progress (confirmed value over the target)."""
    return service.get_need(db(), actor=current_actor(), need_id=need_id)


@blp.action("/needs/<string:need_id>/close", response=NeedSchema)
def close_need(need_id: str) -> SupportNeed:
    """The owner closes a need (met elsewhere, or no longer needed)."""
    return service.close_need(db(), actor=current_actor(), need_id=need_id)


@blp.route("/sponsorships", methods=["POST"])
@blp.auth(Role.PARTNER)
@blp.arguments(SponsorshipCreateSchema)
@blp.response(201, SponsorshipSchema)
def create_sponsorship(data: dict[str, Any]) -> Shown[Sponsorship]:
    """Propose support (partners of verified CSR companies)."""
    return _shown(service.propose(db(), actor=current_actor(), data=data))


@blp.route("/sponsorships", methods=["GET"])
@blp.auth()
@blp.arguments(SponsorshipQueryArgsSchema, location="query")
@blp.response(200, page_of(SponsorshipSchema))
def list_sponsorships(args: dict[str, Any]) -> tuple[Page[Shown[Sponsorship]], dict[str, str]]:
    """Sponsorships to your businesses, or (`side=sponsor`) of your organisations."""
    page = service.list_sponsorships(db(), actor=current_actor(), **args)
    return page_response(Page([_shown(item) for item in page.items], page.next_cursor))


@blp.route("/sponsorships/<string:sponsorship_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, SponsorshipSchema)
def get_sponsorship(sponsorship_id: str) -> Shown[Sponsorship]:
    """Read a sponsorship (the sponsor's members, the business owner, admins)."""
    return _shown(
        service.get_sponsorship(db(), actor=current_actor(), sponsorship_id=sponsorship_id)
    )


def _transition(action: str, summary: str, body: Any = None) -> None:
    """``POST /sponsorships/{id}/<action>``."""

    def view(data: dict[str, Any], sponsorship_id: str) -> Any:
        return _act(sponsorship_id, action, data.get("reason"))

    view.__name__, view.__doc__ = f"{action}_sponsorship", summary
    blp.action(
        f"/sponsorships/<string:sponsorship_id>/{action}",
        body=body or OptionalReasonSchema,
        body_required=body is not None,
        response=SponsorshipSchema,
    )(view)


_transition("accept", "The alumna accepts the proposal.")
_transition("decline", "The alumna declines the proposal.")
_transition("withdraw", "The partner withdraws a proposal not yet answered.")
_transition(
    "start", "The partner starts an accepted sponsorship (the first disbursement also does)."
)
_transition("complete", "The partner completes an active sponsorship.")
_transition(
    "cancel", "Either side cancels an accepted or active sponsorship, with a reason.", ReasonSchema
)


@blp.action(
    "/sponsorships/<string:sponsorship_id>/milestones/<string:milestone_id>/met",
    response=SponsorshipSchema,
)
def mark_milestone_met(sponsorship_id: str, milestone_id: str) -> Shown[Sponsorship]:
    """Either party marks a milestone met."""
    return _shown(
        service.mark_milestone(
            db(), actor=current_actor(), sponsorship_id=sponsorship_id, milestone_id=milestone_id
        )
    )


@blp.route("/sponsorships/<string:sponsorship_id>/disbursements", methods=["POST"])
@blp.auth()
@blp.arguments(DisbursementCreateSchema)
@blp.response(201, DisbursementSchema)
@blp.alt_response(409, response="CONFLICT")
def create_disbursement(data: dict[str, Any], sponsorship_id: str) -> Disbursement:
    """The sponsor records a transfer or delivery (not more than what is left of the value)."""
    return service.record_disbursement(
        db(), actor=current_actor(), sponsorship_id=sponsorship_id, data=data
    )


@blp.route("/sponsorships/<string:sponsorship_id>/disbursements", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(DisbursementSchema))
def list_disbursements(
    args: dict[str, Any], sponsorship_id: str
) -> tuple[Page[Disbursement], dict[str, str]]:
    """Disbursements in date order."""
    return page_response(
        service.list_disbursements(
            db(), actor=current_actor(), sponsorship_id=sponsorship_id, **args
        )
    )


@blp.action(DISBURSEMENT + "/confirm", response=DisbursementSchema)
def confirm_disbursement(sponsorship_id: str, disbursement_id: str) -> Disbursement:
    """The alumna confirms she received it; now it counts."""
    return service.confirm_disbursement(
        db(), actor=current_actor(), sponsorship_id=sponsorship_id, disbursement_id=disbursement_id
    )


@blp.action(DISBURSEMENT + "/dispute", body=ReasonSchema, response=DisbursementSchema)
def dispute_disbursement(
    data: dict[str, Any], sponsorship_id: str, disbursement_id: str
) -> Disbursement:
    """The alumna says she did not receive it as recorded."""
    return service.dispute_disbursement(
        db(),
        actor=current_actor(),
        sponsorship_id=sponsorship_id,
        disbursement_id=disbursement_id,
        reason=data["reason"],
    )


@blp.route(DISBURSEMENT + "/evidence", methods=["PUT"])
@blp.max_body(UPLOAD_LIMIT)
@blp.auth()
@blp.arguments(EvidenceUploadSchema, location="files")
@blp.response(200, DisbursementSchema)
def put_disbursement_evidence(
    files: dict[str, Any], sponsorship_id: str, disbursement_id: str
) -> Disbursement:
    """The sponsor attaches evidence: a photo of the receipt or a PDF (at most 5 MB)."""
    return service.attach_evidence(
        db(),
        actor=current_actor(),
        storage=state().storage,
        sponsorship_id=sponsorship_id,
        disbursement_id=disbursement_id,
        data=files["file"].read(MAX_BYTES + 1),
    )


@blp.route(DISBURSEMENT + "/evidence", methods=["GET"])
@blp.auth()
@blp.response(200, description="The evidence file (image/webp or application/pdf).")
def get_disbursement_evidence(sponsorship_id: str, disbursement_id: str) -> Response:
    """Download the evidence (the two parties and admins; never a public URL)."""
    _, disbursement = service.get_disbursement(
        db(), current_actor(), sponsorship_id, disbursement_id
    )
    key = service.evidence_key(disbursement)
    extension = "pdf" if disbursement.evidence_type == "application/pdf" else "webp"
    return Response(
        state().storage.private.get(key),
        mimetype=disbursement.evidence_type,
        headers={
            "Cache-Control": "private, no-cache",
            # An uploaded file is saved, never rendered in the API's origin (a PDF may carry
            # script); and if a browser shows it anyway, it runs in a sandbox.
            "Content-Disposition": f'attachment; filename="bukti-{disbursement.id}.{extension}"',
            "Content-Security-Policy": "sandbox",
        },
    )


@blp.route("/businesses/<string:business_id>/consents", methods=["POST"])
@blp.auth()
@blp.arguments(ConsentCreateSchema)
@blp.response(201, ConsentSchema)
@blp.alt_response(409, response="CONFLICT")
def grant_consent(data: dict[str, Any], business_id: str) -> SponsorConsent:
    """Let an organisation see your business's figures (sales, check-ins) until you revoke it."""
    return service.grant_consent(
        db(),
        actor=current_actor(),
        business_id=business_id,
        organization_id=data["organization_id"],
    )


@blp.route("/businesses/<string:business_id>/consents", methods=["GET"])
@blp.auth()
@blp.response(200, ConsentListSchema)
def list_consents(business_id: str) -> dict[str, Any]:
    """Consents you gave, revoked ones included."""
    return {"items": service.list_consents(db(), actor=current_actor(), business_id=business_id)}


@blp.route("/businesses/<string:business_id>/consents/<string:organization_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def revoke_consent(business_id: str, organization_id: str) -> None:
    """Revoke it; it takes effect at once."""
    service.revoke_consent(
        db(), actor=current_actor(), business_id=business_id, organization_id=organization_id
    )


@blp.route("/organizations/<string:organization_id>/impact", methods=["GET"])
@blp.auth()
@blp.arguments(ImpactQueryArgsSchema, location="query")
@blp.response(200, ImpactReportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
@blp.alt_response(200, **CHART_RESPONSES[0])
@blp.alt_response(200, **CHART_RESPONSES[1])
def get_impact_report(args: dict[str, Any], organization_id: str) -> Any:
    """The organisation's sponsorships in a year: reach, value by kind and region, milestones,
    and each business's figures before and after (with its owner's consent). JSON, CSV or
    XLSX, or a chart of the value disbursed by region (`format=svg` or `png`)."""
    report = service.impact_report(
        db(), actor=current_actor(), organization_id=organization_id, year=args["year"]
    )
    if args["format"] in ("svg", "png"):
        return charts.impact_chart(report, language(), args["format"])
    wanted = wanted_table(args["format"])
    if not wanted:
        return report
    rows = service.report_csv_rows(report)
    name = f"impact-{report.year}"
    return report_response(rows, format=wanted, filename=name, title="Impact", language=language())


@blp.route("/organizations/<string:organization_id>/funded-businesses", methods=["GET"])
@blp.scope(None)  # her figures go to the staff she consented to, not to the company's apps
@blp.auth()
@blp.etag
@blp.arguments(FundedQueryArgsSchema, location="query")
@blp.response(200, page_of(FundedBusinessSchema))
def list_funded_businesses(
    args: dict[str, Any], organization_id: str
) -> tuple[Page[service.FundedBusiness], dict[str, str]]:
    """The businesses the organisation funded (a sponsorship accepted, running or completed)
    whose owners let it see their figures, with the last 12 months' figures: check-ins, months
    trading, median revenue, orders, off-platform sales, activity status, value received.
    Businesses without their owner's consent are not listed (members and admins; no API key)."""
    return page_response(
        service.funded_businesses(
            db(), actor=current_actor(), organization_id=organization_id, **args
        )
    )
