"""Group mentoring: workshops with many attendees, counted once for the mentor."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pages import page_response
from api.models import GroupAttendee, GroupSession, Role
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, ReasonSchema, page_of
from api.schemas.group_mentoring import (
    AttendeeSchema,
    GroupSessionCreateSchema,
    GroupSessionQueryArgsSchema,
    GroupSessionRecordSchema,
    GroupSessionSchema,
    InviteSchema,
)
from api.services.mentoring import group_sessions as service
from api.services.shown import Shown

SESSION = "/group-mentoring-sessions/<string:group_session_id>"
blp = Blueprint(
    "group_mentoring",
    __name__,
    scope="mentoring",
    url_prefix="/v1",
    description=(
        "Group mentoring: a workshop under a group offer (scheduled -> held or cancelled) with "
        "many attendees (invited -> registered, or declined; registered -> cancelled); the "
        "mentor records who came. One session for the mentor, one per attendee for the women."
    ),
)


def _shown(meeting: GroupSession) -> Shown[GroupSession]:
    return service.shown(current_actor(), meeting)


@blp.route("/mentoring-offers/<string:offer_id>/group-sessions", methods=["POST"])
@blp.auth(Role.MENTOR)
@blp.arguments(GroupSessionCreateSchema)
@blp.response(201, GroupSessionSchema)
@blp.alt_response(409, response="CONFLICT")
def create_group_mentoring_session(data: dict[str, Any], offer_id: str) -> Shown[GroupSession]:
    """Plan a workshop under your group offer."""
    return _shown(service.schedule(db(), actor=current_actor(), offer_id=offer_id, data=data))


@blp.route("/group-mentoring-sessions", methods=["GET"])
@blp.auth()
@blp.arguments(GroupSessionQueryArgsSchema, location="query")
@blp.response(200, page_of(GroupSessionSchema))
def list_group_mentoring_sessions(
    args: dict[str, Any],
) -> tuple[Page[Shown[GroupSession]], dict[str, str]]:
    """Workshops you lead, your university's, or yours to attend; `view=open` to register."""
    page = service.list_sessions(db(), actor=current_actor(), **args)
    return page_response(Page([_shown(m) for m in page.items], page.next_cursor))


@blp.route(SESSION, methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, GroupSessionSchema)
def get_group_mentoring_session(group_session_id: str) -> Shown[GroupSession]:
    """Read a workshop: seats taken, your own place in it, what you may do."""
    return _shown(service.get(db(), actor=current_actor(), session_id=group_session_id))


@blp.route(f"{SESSION}/attendees", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(AttendeeSchema))
def list_group_mentoring_attendees(
    args: dict[str, Any], group_session_id: str
) -> tuple[Page[GroupAttendee], dict[str, str]]:
    """Who is invited, registered and came (the mentor and admins)."""
    return page_response(
        service.attendees(db(), actor=current_actor(), session_id=group_session_id, **args)
    )


@blp.action(f"{SESSION}/invitations", body=InviteSchema, response=GroupSessionSchema)
def invite_to_group_mentoring_session(
    data: dict[str, Any], group_session_id: str
) -> Shown[GroupSession]:
    """Invite alumnae (each takes a seat until she declines)."""
    return _shown(
        service.invite(
            db(), actor=current_actor(), session_id=group_session_id, alumna_ids=data["alumna_ids"]
        )
    )


@blp.action(f"{SESSION}/register", response=GroupSessionSchema, roles=(Role.ALUMNA,))
def register_for_group_mentoring_session(group_session_id: str) -> Shown[GroupSession]:
    """Take your seat: accept your invitation, or register while it is open."""
    return _shown(service.register(db(), actor=current_actor(), session_id=group_session_id))


@blp.action(f"{SESSION}/withdraw", response=GroupSessionSchema, roles=(Role.ALUMNA,))
def withdraw_from_group_mentoring_session(group_session_id: str) -> Shown[GroupSession]:
    """Decline your invitation or cancel your registration (the seat is free again)."""
    return _shown(service.withdraw(db(), actor=current_actor(), session_id=group_session_id))


@blp.action(f"{SESSION}/record", body=GroupSessionRecordSchema, response=GroupSessionSchema)
def record_group_mentoring_session(
    data: dict[str, Any], group_session_id: str
) -> Shown[GroupSession]:
    """Afterwards, the mentor records who came (also women who had not registered)."""
    return _shown(
        service.record(db(), actor=current_actor(), session_id=group_session_id, data=data)
    )


@blp.action(f"{SESSION}/cancel", body=ReasonSchema, response=GroupSessionSchema)
def cancel_group_mentoring_session(
    data: dict[str, Any], group_session_id: str
) -> Shown[GroupSession]:
    """Call the workshop off, with a reason (the women holding seats are told)."""
    return _shown(
        service.cancel(
            db(), actor=current_actor(), session_id=group_session_id, reason=data["reason"]
        )
    )
