"""Mentoring between university mentors and graduates."""

from __future__ import annotations

from typing import Any

from api.http import charts
from api.http.blueprint import Blueprint
from api.http.charts import CHART_RESPONSES
from api.http.context import current_actor, db, language
from api.http.export import CSV_RESPONSE, XLSX_RESPONSE, report_response, wanted_table
from api.http.pages import page_response
from api.models import MentoringOffer, MentoringRequest, MentoringSession, Role
from api.pagination import Page
from api.schemas.common import OptionalReasonSchema, PageQueryArgsSchema, ReasonSchema, page_of
from api.schemas.mentoring import (
    AcceptRequestSchema,
    ConfirmSchema,
    FeedbackSchema,
    MentoringReportSchema,
    MentorProfileSchema,
    OfferCreateSchema,
    OfferPatchSchema,
    OfferQueryArgsSchema,
    OfferSchema,
    OfferSummarySchema,
    ReportQueryArgsSchema,
    RequestCreateSchema,
    RequestQueryArgsSchema,
    RequestSchema,
    SessionCreateSchema,
    SessionRecordSchema,
    SessionRescheduleSchema,
    SessionSchema,
    TopicListSchema,
)
from api.services import mentoring as service
from api.services.shown import Shown

SESSION = "/mentoring-requests/<string:request_id>/sessions/<string:session_id>"
blp = Blueprint(
    "mentoring",
    __name__,
    scope="mentoring",
    url_prefix="/v1",
    description=(
        "Mentoring: offers by mentors of verified universities; requests by graduates "
        "(open -> accepted -> in_progress -> completed, or cancelled, or expired after 30 days); "
        "sessions; feedback; the university's community-service record."
    ),
)


def _act(request_id: str, action: str, **values: Any) -> Shown[MentoringRequest]:
    actor = current_actor()
    return service.shown(
        actor, service.act(db(), actor=actor, request_id=request_id, action=action, **values)
    )


@blp.route("/mentoring-topics", methods=["GET"])
@blp.response(200, TopicListSchema)
def list_mentoring_topics() -> dict[str, Any]:
    """The fixed list of topics, in Indonesian and English."""
    return {"items": service.topic_list()}


@blp.route("/mentoring-offers", methods=["POST"])
@blp.auth(Role.MENTOR)
@blp.etag
@blp.arguments(OfferCreateSchema)
@blp.response(201, OfferSchema)
def create_mentoring_offer(data: dict[str, Any]) -> MentoringOffer:
    """Publish an offer (mentors who belong to a verified university)."""
    return service.create_offer(db(), actor=current_actor(), data=data)


@blp.route("/mentoring-offers", methods=["GET"])
@blp.arguments(OfferQueryArgsSchema, location="query")
@blp.response(200, page_of(OfferSchema, compact=OfferSummarySchema, changes=True))
def list_mentoring_offers(args: dict[str, Any]) -> tuple[Page[MentoringOffer], dict[str, str]]:
    """Active offers, filtered by topic, region served, format, university or mentor."""
    return page_response(service.list_offers(db(), **args))


@blp.route("/mentoring-offers/<string:offer_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.etag
@blp.response(200, OfferSchema)
def get_mentoring_offer(offer_id: str) -> MentoringOffer:
    """Read an offer (a closed one only for its mentor and admins)."""
    return service.get_offer(db(), actor=current_actor(), offer_id=offer_id)


@blp.route("/mentoring-offers/<string:offer_id>", methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(OfferPatchSchema)
@blp.response(200, OfferSchema)
def update_mentoring_offer(changes: dict[str, Any], offer_id: str) -> MentoringOffer:
    """Change your offer (send If-Match)."""
    actor = current_actor()
    offer = service.get_offer(db(), actor=actor, offer_id=offer_id, action="edit")
    blp.check_etag(offer, OfferSchema)
    return service.update_offer(db(), actor=actor, offer=offer, changes=changes)


@blp.action("/mentoring-offers/<string:offer_id>/close", response=OfferSchema)
def close_mentoring_offer(offer_id: str) -> MentoringOffer:
    """Stop taking requests under this offer (accepted mentorings go on)."""
    return service.close_offer(db(), actor=current_actor(), offer_id=offer_id)


@blp.route("/mentors/<string:mentor_id>", methods=["GET"])
@blp.response(200, MentorProfileSchema)
def get_mentor(mentor_id: str) -> dict[str, Any]:
    """A mentor's university, completed mentorings and rating."""
    return service.mentor_profile(db(), mentor_id=mentor_id)


@blp.route("/mentoring-requests", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.arguments(RequestCreateSchema)
@blp.response(201, RequestSchema)
@blp.alt_response(409, response="CONFLICT")
def create_mentoring_request(data: dict[str, Any]) -> Shown[MentoringRequest]:
    """Ask for help on one topic (at most three open requests at a time)."""
    return service.shown(
        current_actor(), service.create_request(db(), actor=current_actor(), data=data)
    )


@blp.route("/mentoring-requests", methods=["GET"])
@blp.auth()
@blp.arguments(RequestQueryArgsSchema, location="query")
@blp.response(200, page_of(RequestSchema))
def list_mentoring_requests(
    args: dict[str, Any],
) -> tuple[Page[Shown[MentoringRequest]], dict[str, str]]:
    """Your requests, the ones you took on, or (mentors, `view=open`) open ones to take on."""
    actor = current_actor()
    page = service.list_requests(db(), actor=actor, **args)
    return page_response(Page([service.shown(actor, r) for r in page.items], page.next_cursor))


@blp.route("/mentoring-requests/<string:request_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, RequestSchema)
def get_mentoring_request(request_id: str) -> Shown[MentoringRequest]:
    """Read a request; contact data only for its two parties."""
    return service.shown(
        current_actor(), service.get_request(db(), actor=current_actor(), request_id=request_id)
    )


@blp.action(
    "/mentoring-requests/<string:request_id>/accept",
    body=AcceptRequestSchema,
    body_required=False,
    response=RequestSchema,
    roles=(Role.MENTOR,),
)
def accept_mentoring_request(data: dict[str, Any], request_id: str) -> Shown[MentoringRequest]:
    """Take it on under one of your offers (its capacity is checked)."""
    return _act(request_id, "accept", **data)


@blp.action(
    "/mentoring-requests/<string:request_id>/decline",
    body=OptionalReasonSchema,
    body_required=False,
    response=RequestSchema,
    roles=(Role.MENTOR,),
)
def decline_mentoring_request(data: dict[str, Any], request_id: str) -> Shown[MentoringRequest]:
    """Give it back: it is open again for other mentors."""
    return _act(request_id, "decline", **data)


@blp.action(
    "/mentoring-requests/<string:request_id>/cancel",
    body=OptionalReasonSchema,
    body_required=False,
    response=RequestSchema,
)
def cancel_mentoring_request(data: dict[str, Any], request_id: str) -> Shown[MentoringRequest]:
    """The alumna withdraws; scheduled sessions are cancelled."""
    return _act(request_id, "cancel", **data)


@blp.action(
    "/mentoring-requests/<string:request_id>/confirm",
    body=ConfirmSchema,
    body_required=False,
    response=RequestSchema,
)
def confirm_mentoring_request(data: dict[str, Any], request_id: str) -> Shown[MentoringRequest]:
    """Say the mentoring is done (the mentor may add an outcome note). Both: completed; the
    mentor alone: completed 14 days later."""
    return _act(request_id, "confirm", **data)


@blp.action(
    "/mentoring-requests/<string:request_id>/feedback", body=FeedbackSchema, response=RequestSchema
)
def rate_mentoring(data: dict[str, Any], request_id: str) -> Shown[MentoringRequest]:
    """The alumna rates a completed mentoring, once."""
    return service.shown(
        current_actor(),
        service.rate(
            db(),
            actor=current_actor(),
            request_id=request_id,
            rating=data["rating"],
            text=data["text"],
        ),
    )


@blp.route("/mentoring-requests/<string:request_id>/sessions", methods=["POST"])
@blp.auth()
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, response="CONFLICT")
def create_mentoring_session(data: dict[str, Any], request_id: str) -> MentoringSession:
    """Plan a session (either party, once the request is accepted)."""
    return service.add_session(db(), actor=current_actor(), request_id=request_id, data=data)


@blp.route("/mentoring-requests/<string:request_id>/sessions", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(SessionSchema))
def list_mentoring_sessions(
    args: dict[str, Any], request_id: str
) -> tuple[Page[MentoringSession], dict[str, str]]:
    """The sessions, in time order (the two parties and admins)."""
    return page_response(
        service.list_sessions(db(), actor=current_actor(), request_id=request_id, **args)
    )


@blp.action(
    "/mentoring-requests/<string:request_id>/sessions/<string:session_id>/reschedule",
    body=SessionRescheduleSchema,
    response=SessionSchema,
)
def reschedule_mentoring_session(
    data: dict[str, Any], request_id: str, session_id: str
) -> MentoringSession:
    """Move a planned session, with a reason."""
    return service.reschedule_session(
        db(), actor=current_actor(), request_id=request_id, session_id=session_id, data=data
    )


@blp.action(
    "/mentoring-requests/<string:request_id>/sessions/<string:session_id>/cancel",
    body=ReasonSchema,
    response=SessionSchema,
)
def cancel_mentoring_session(
    data: dict[str, Any], request_id: str, session_id: str
) -> MentoringSession:
    """Call off a planned session, with a reason."""
    return service.cancel_session(
        db(),
        actor=current_actor(),
        request_id=request_id,
        session_id=session_id,
        reason=data["reason"],
    )


@blp.action(
    "/mentoring-requests/<string:request_id>/sessions/<string:session_id>/record",
    body=SessionRecordSchema,
    response=SessionSchema,
)
def record_mentoring_session(
    data: dict[str, Any], request_id: str, session_id: str
) -> MentoringSession:
    """Afterwards: attendance, notes, outcome. The first held session starts the mentoring."""
    return service.record_session(
        db(), actor=current_actor(), request_id=request_id, session_id=session_id, data=data
    )


@blp.route("/organizations/<string:organization_id>/mentoring-report", methods=["GET"])
@blp.auth()
@blp.arguments(ReportQueryArgsSchema, location="query")
@blp.response(200, MentoringReportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
@blp.alt_response(200, **CHART_RESPONSES[0])
@blp.alt_response(200, **CHART_RESPONSES[1])
def get_mentoring_report(args: dict[str, Any], organization_id: str) -> Any:
    """The university's mentoring and training events between two dates: per mentor or
    trainer, sessions and events held, hours (each once for those who led it), alumna hours
    (once per woman who came), alumnae served (each once), topics, completed mentorings and
    ratings (members and admins). JSON, CSV (`format=csv` or `Accept: text/csv`) or XLSX, or a
    chart of each mentor's hours (`format=svg` or `png`)."""
    report = service.mentoring_report(
        db(),
        actor=current_actor(),
        organization_id=organization_id,
        from_date=args["from_"],
        to_date=args["to"],
    )
    if args["format"] in ("svg", "png"):
        return charts.mentoring_chart(report, language(), args["format"])
    wanted = wanted_table(args["format"])
    if not wanted:
        return report
    name = f"mentoring-{report.from_date}-{report.to_date}"
    rows = service.report_csv_rows(report)
    return report_response(
        rows, format=wanted, filename=name, title="Mentoring", language=language()
    )
