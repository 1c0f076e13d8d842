"""The program: programs, cohorts, rosters, graduate claims, check-ins, follow-up."""

from __future__ import annotations

import hashlib
from typing import Any

from flask_smorest.utils import get_appcontext

from api.errors import DomainError
from api.http import charts
from api.http.blueprint import Blueprint
from api.http.charts import CHART_RESPONSES
from api.http.context import current_actor, db, language, state
from api.http.export import CSV_RESPONSE, XLSX_RESPONSE, report_response, wanted_table
from api.http.limits import limit
from api.http.pages import page_response
from api.i18n import translate_field_errors
from api.models import CheckIn, Cohort, GraduateClaim, Program, Role, RosterEntry
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, ReasonSchema, page_of
from api.schemas.program import (
    CheckInSchema,
    CheckInWriteSchema,
    ClaimCreateSchema,
    ClaimQueryArgsSchema,
    ClaimSchema,
    CohortCreateSchema,
    CohortListSchema,
    CohortQueryArgsSchema,
    CohortSchema,
    CohortWriteSchema,
    FollowUpQueryArgsSchema,
    FollowUpSchema,
    ProgramCreateSchema,
    ProgramListSchema,
    ProgramSchema,
    ResearchExportSchema,
    ResearchQueryArgsSchema,
    RosterEntrySchema,
    RosterImportArgsSchema,
    RosterLinkSchema,
    RosterReportSchema,
    RosterUploadSchema,
    StatsQueryArgsSchema,
    StatsSchema,
)
from api.services import program as service
from api.services import research, stats
from api.services.program import RosterReport

blp = Blueprint(
    "program",
    __name__,
    scope="program",
    url_prefix="/v1",
    description=(
        "The empowerment program: programs, cohorts and rosters (admins), graduate claims "
        "verified by facilitators, monthly check-ins, and the follow-up list."
    ),
)
ROSTER_LIMIT = 1024 * 1024


@blp.route("/programs", methods=["POST"])
@blp.auth(Role.ADMIN)
@blp.arguments(ProgramCreateSchema)
@blp.response(201, ProgramSchema)
@blp.alt_response(409, response="CONFLICT")
def create_program(data: dict[str, Any]) -> Program:
    """Create a program (Sekoper Cinta first; others later)."""
    return service.create_program(db(), actor=current_actor(), data=data)


@blp.route("/programs", methods=["GET"])
@blp.response(200, ProgramListSchema)
def list_programs() -> dict[str, Any]:
    """All programs."""
    return {"items": service.list_programs(db())}


@blp.route("/programs/<string:program_id>", methods=["GET"])
@blp.response(200, ProgramSchema)
def get_program(program_id: str) -> Program:
    """Read a program."""
    return service.get_program(db(), program_id)


@blp.route("/cohorts", methods=["POST"])
@blp.auth(Role.ADMIN)
@blp.arguments(CohortCreateSchema)
@blp.response(201, CohortSchema)
def create_cohort(data: dict[str, Any]) -> Cohort:
    """Create a cohort in your regions, with its facilitators."""
    return service.create_cohort(db(), actor=current_actor(), data=data)


@blp.route("/cohorts", methods=["GET"])
@blp.arguments(CohortQueryArgsSchema, location="query")
@blp.response(200, page_of(CohortSchema))
def list_cohorts(args: dict[str, Any]) -> tuple[Page[Cohort], dict[str, str]]:
    """Cohorts, by program, year and region (any level)."""
    return page_response(service.list_cohorts(db(), **args))


@blp.route("/cohorts/<string:cohort_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.etag
@blp.response(200, CohortSchema)
def get_cohort(cohort_id: str) -> Cohort:
    """Read a cohort."""
    return service.get_cohort(db(), actor=current_actor(), cohort_id=cohort_id)


@blp.route("/cohorts/<string:cohort_id>", methods=["PATCH"])
@blp.auth(Role.ADMIN)
@blp.etag
@blp.arguments(CohortWriteSchema)
@blp.response(200, CohortSchema)
def update_cohort(changes: dict[str, Any], cohort_id: str) -> Cohort:
    """Change a cohort in your regions (send If-Match)."""
    actor = current_actor()
    cohort = service.get_cohort(db(), actor=actor, cohort_id=cohort_id)
    blp.check_etag(cohort, CohortSchema)
    return service.update_cohort(db(), actor=actor, cohort=cohort, changes=changes)


@blp.route("/cohorts/<string:cohort_id>/roster", methods=["POST"])
@blp.max_body(ROSTER_LIMIT)
@blp.auth(Role.ADMIN, Role.FACILITATOR)
@blp.arguments(RosterImportArgsSchema, location="query")
@blp.arguments(RosterUploadSchema, location="files")
@blp.response(200, RosterReportSchema)
def import_roster(args: dict[str, Any], files: dict[str, Any], cohort_id: str) -> RosterReport:
    """Import graduates from CSV or .xlsx (name, phone, village_code). `dry_run=true` (the default)
    reports invalid rows and duplicates and writes nothing; `dry_run=false` writes the new
    rows if no row is invalid (422 with the report otherwise), skipping duplicates (same name
    and phone). A row without a phone, or with a phone another row has (a household's), is
    valid and `flagged`: it is never matched by phone; link her account when you meet her."""
    try:
        report = service.import_roster(
            db(),
            actor=current_actor(),
            cohort_id=cohort_id,
            data=files["file"].read(ROSTER_LIMIT + 1),
            dry_run=args["dry_run"],
        )
    except DomainError as error:
        _translate_rows(error.extra.get("invalid", []))
        raise
    _translate_rows(report.invalid)
    return report


def _translate_rows(rows: list[dict[str, Any]]) -> None:
    """A row's field messages in the caller's language, like a problem's `errors`."""
    for row in rows:
        row["errors"] = translate_field_errors(row["errors"], language())


@blp.route("/cohorts/<string:cohort_id>/roster", methods=["GET"])
@blp.auth(Role.ADMIN, Role.FACILITATOR)
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(RosterEntrySchema))
def list_roster(args: dict[str, Any], cohort_id: str) -> tuple[Page[RosterEntry], dict[str, str]]:
    """The cohort's roster (its facilitators and admins in scope)."""
    return page_response(
        service.list_roster(db(), actor=current_actor(), cohort_id=cohort_id, **args)
    )


@blp.action(
    "/cohorts/<string:cohort_id>/roster/<string:entry_id>/link",
    body=RosterLinkSchema,
    response=ClaimSchema,
    roles=(Role.ADMIN, Role.FACILITATOR),
)
def link_roster_entry(data: dict[str, Any], cohort_id: str, entry_id: str) -> GraduateClaim:
    """Link a roster row to the account of the woman it lists, whom you met and recognised:
    for rows without a phone of her own or with a household's. Her claim to the cohort (she
    makes it first, at POST /v1/graduate-claims; 422 without one) is verified; audited; 409
    `roster_entry_linked` if another account has the row."""
    return service.link_graduate(
        db(), actor=current_actor(), cohort_id=cohort_id, entry_id=entry_id, **data
    )


@blp.route("/graduate-claims", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(409, response="CONFLICT")
def create_graduate_claim(data: dict[str, Any]) -> GraduateClaim:
    """Say you graduated from a cohort; your phone, once verified, is matched against its roster.

    Without a verified phone the claim is made unmatched, for a facilitator to decide.
    """
    return service.claim(db(), actor=current_actor(), **data)


@blp.route("/graduate-claims", methods=["GET"])
@blp.auth()
@blp.arguments(ClaimQueryArgsSchema, location="query")
@blp.response(200, page_of(ClaimSchema))
def list_graduate_claims(args: dict[str, Any]) -> tuple[Page[GraduateClaim], dict[str, str]]:
    """Your claims; staff: the claims of cohorts they manage."""
    return page_response(service.list_claims(db(), actor=current_actor(), **args))


@blp.route("/me/roster-matches", methods=["GET"])
@blp.auth()
@blp.response(200, CohortListSchema)
def list_my_roster_matches() -> dict[str, Any]:
    """Cohorts whose roster lists your phone number: claim one to be verified.

    Needs a verified phone (403 `phone_not_verified`): nobody matches a roster with a number
    she has not proved is hers.
    """
    return {"items": service.roster_matches(db(), actor=current_actor())}


@blp.action(
    "/graduate-claims/<string:claim_id>/verify",
    response=ClaimSchema,
    roles=(Role.ADMIN, Role.FACILITATOR),
)
def verify_graduate_claim(claim_id: str) -> GraduateClaim:
    """Verify a claim: her businesses show `verified_graduate`."""
    return service.decide(db(), actor=current_actor(), claim_id=claim_id, verify=True)


@blp.action(
    "/graduate-claims/<string:claim_id>/reject",
    body=ReasonSchema,
    response=ClaimSchema,
    roles=(Role.ADMIN, Role.FACILITATOR),
)
def reject_graduate_claim(data: dict[str, Any], claim_id: str) -> GraduateClaim:
    """Reject a claim, with a reason she will read."""
    return service.decide(
        db(), actor=current_actor(), claim_id=claim_id, verify=False, reason=data["reason"]
    )


@blp.route("/businesses/<string:business_id>/check-ins", methods=["POST"])
@blp.auth()
@blp.arguments(CheckInWriteSchema)
@blp.response(201, CheckInSchema)
@blp.alt_response(200, schema=CheckInSchema, description="The month's check-in, updated.")
def record_check_in(data: dict[str, Any], business_id: str) -> Any:
    """The month's check-in, by the owner or her facilitator (201 new, 200 updated)."""
    check_in, created = service.record_check_in(
        db(), actor=current_actor(), business_id=business_id, data=data
    )
    return check_in if created else (check_in, 200)


@blp.route("/businesses/<string:business_id>/check-ins", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(CheckInSchema))
def list_check_ins(args: dict[str, Any], business_id: str) -> tuple[Page[CheckIn], dict[str, str]]:
    """Check-ins, newest month first (the owner, her facilitator, staff in scope, sponsors she
    consented to)."""
    return page_response(
        service.list_check_ins(db(), actor=current_actor(), business_id=business_id, **args)
    )


@blp.route("/follow-up", methods=["GET"])
@blp.auth(Role.ADMIN, Role.FACILITATOR)
@blp.arguments(FollowUpQueryArgsSchema, location="query")
@blp.response(200, page_of(FollowUpSchema))
def list_follow_up(args: dict[str, Any]) -> tuple[Page[service.FollowUpItem], dict[str, str]]:
    """Businesses at risk (60-120 days quiet) or dormant (over 120) in your regions."""
    return page_response(service.follow_up(db(), actor=current_actor(), **args))


@blp.route("/stats/<any(cohort, program, region, year):group>", methods=["GET"])
@blp.in_transaction  # stats.roomy: memory for its sorts, for the transaction
@blp.from_replica
@limit("rate_limit_stats")
@blp.auth(optional=True)
@blp.etag
@blp.arguments(StatsQueryArgsSchema, location="query")
@blp.response(200, StatsSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
@blp.alt_response(200, **CHART_RESPONSES[0])
@blp.alt_response(200, **CHART_RESPONSES[1])
@blp.alt_response(304, description="Not modified: the figures named by `If-None-Match`.")
def get_stats(args: dict[str, Any], group: str) -> Any:
    """Graduates, verified graduates, businesses started, share active, survival at 3, 6, 12
    and 24 months after graduation, median monthly revenue, products, orders, mentoring and
    sponsorship, per cohort, program, region or year. Groups of fewer than 5 businesses are
    suppressed except for admins in scope. JSON, or CSV (`format=csv` or `Accept: text/csv`).
    Anonymous answers are computed at most once per `STATS_CACHE_SECONDS` (5 minutes) and may be
    kept that long (`Cache-Control: public`); every answer has an ETag for conditional requests."""
    wanted = args.pop("format")
    actor = current_actor()
    seconds = state().settings.stats_cache_seconds
    anonymous = actor.user is None
    key = (group, tuple(sorted(args.items())))
    rows = stats.answers.get(key) if anonymous else None
    if rows is None:
        rows = stats.compute(db(), actor=actor, group=group, **args)
        if anonymous:
            stats.answers.put(key, rows, seconds)
    headers = {
        "Cache-Control": f"public, max-age={seconds}"
        if anonymous and seconds
        else "private, no-cache"
    }
    if wanted in ("svg", "png"):
        response = charts.groups_chart(rows, group, language(), wanted)
        response.headers.update(headers)
        get_appcontext()["result_dump"] = hashlib.sha256(response.get_data()).hexdigest()
        return response
    table = wanted_table(wanted)
    if table:
        response = report_response(
            stats.csv_rows(group, rows),
            format=table,
            filename=f"stats-{group}",
            title="Statistics",
            language=language(),
        )
        response.headers.update(headers)
        get_appcontext()["result_dump"] = hashlib.sha256(
            response.get_data()
        ).hexdigest()  # for @etag
        return response
    items = [
        {
            "key": r.key,
            "label": r.label,
            "region": r.key if group == "region" else None,
            "suppressed": r.suppressed,
            **r.figures,
        }
        for r in rows
    ]
    return {"group": group, "items": items}, headers


@blp.route("/research/businesses", methods=["GET"])
@blp.auth()
@blp.arguments(ResearchQueryArgsSchema, location="query")
@blp.response(200, ResearchExportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
def export_research_businesses(args: dict[str, Any]) -> Any:
    """An anonymised dataset of all businesses: no names, phones or addresses; stable
    pseudonymous ids; district-level regions; months, not days. For members of universities
    under a data-use agreement (and national admins). JSON or CSV."""
    rows = research.export(db(), actor=current_actor(), secret=state().settings.secret_key)
    wanted = wanted_table(args["format"])
    if wanted:
        columns = list(research.COLUMNS)
        table = [columns, *([row[c] for c in columns] for row in rows)]
        return report_response(
            table,
            format=wanted,
            filename="berdaya-businesses",
            title="Businesses",
            language=language(),
        )
    return {"columns": list(research.COLUMNS), "items": rows}
