"""Reports to the moderators and the admins' queue."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pages import page_response
from api.models import Report, Role
from api.pagination import Page
from api.schemas.common import ReasonSchema, page_of
from api.schemas.reviews import ReportQueryArgsSchema, ReportSchema, TargetReportCreateSchema
from api.services import moderation as service

blp = Blueprint(
    "moderation",
    __name__,
    url_prefix="/v1",
    description="Reports on listings, reviews and users; admins hide, restore or dismiss.",
)


@blp.route("/reports", methods=["POST"])
@blp.auth()
@blp.arguments(TargetReportCreateSchema)
@blp.response(201, ReportSchema)
@blp.alt_response(409, response="CONFLICT")
def create_report(data: dict[str, Any]) -> Report:
    """Report a business, product, review or user to the moderators (once per target)."""
    return service.report(db(), actor=current_actor(), **data)


@blp.route("/moderation/reports", methods=["GET"])
@blp.auth(Role.ADMIN)
@blp.arguments(ReportQueryArgsSchema, location="query")
@blp.response(200, page_of(ReportSchema))
def list_moderation_reports(args: dict[str, Any]) -> tuple[Page[Report], dict[str, str]]:
    """The queue: reports in your regions, oldest first (open ones unless `status` says)."""
    return page_response(service.queue(db(), actor=current_actor(), **args))


def _resolution(action: str, summary: str) -> None:
    """``POST /moderation/reports/{id}/<action>``."""

    def view(data: dict[str, Any], report_id: str) -> Any:
        return service.resolve(
            db(), actor=current_actor(), report_id=report_id, action=action, reason=data["reason"]
        )

    view.__name__ = f"{action}_reported_target" if action != "dismiss" else "dismiss_report"
    view.__doc__ = summary
    blp.action(
        f"/moderation/reports/<string:report_id>/{action}",
        body=ReasonSchema,
        response=ReportSchema,
        roles=(Role.ADMIN,),
    )(view)


_resolution("hide", "Hide what the report is about (a user is suspended), with a reason.")
_resolution("restore", "Show it again (a user may sign in again), with a reason.")
_resolution("dismiss", "Close the report without changing anything, with a reason.")
