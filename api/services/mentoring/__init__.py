"""Mentoring: university mentors' offers, graduates' requests and their lifecycle, sessions,
feedback, and the university's community-service record.

Request lifecycle: open -> accepted (by a mentor of a verified university, within the capacity
of one of her offers) -> in_progress (when the first session is recorded as held) -> completed
(both confirm, or the mentor confirms and 14 days pass). The alumna may cancel until it is
completed; the mentor who declines returns it to open; an open request nobody accepts expires
30 days after it (re)opened. ``housekeeping`` runs the timed steps.
"""

from __future__ import annotations

from api.services.mentoring.common import (
    ACCEPTED,
    ACTIVE,
    ALUMNA,
    CANCELLED,
    COMPLETED,
    CONFIRM_GRACE,
    EXPIRE_AFTER,
    EXPIRED,
    IN_PROGRESS,
    MAX_OPEN_REQUESTS,
    MENTOR,
    OFFER_SORTS,
    OPEN,
    REQUEST_SORTS,
    SESSION_SORTS,
    TOPICS,
    topic_list,
)
from api.services.mentoring.offers import (
    close_offer,
    create_offer,
    get_offer,
    list_offers,
    mentor_profile,
    update_offer,
    verified_university,
)
from api.services.mentoring.report import (
    MentoringReport,
    MentorRecord,
    mentoring_report,
    report_csv_rows,
)
from api.services.mentoring.requests import (
    act,
    allowed_actions,
    complete_due,
    create_request,
    expire_due,
    get_request,
    is_alumna,
    is_mentor,
    is_party,
    list_requests,
    rate,
    shown,
)
from api.services.mentoring.sessions import (
    add_session,
    cancel_session,
    list_sessions,
    record_session,
    remind_due,
    reminder_at,
    reschedule_session,
)

__all__ = [
    "ACCEPTED",
    "ACTIVE",
    "ALUMNA",
    "CANCELLED",
    "COMPLETED",
    "CONFIRM_GRACE",
    "EXPIRED",
    "EXPIRE_AFTER",
    "IN_PROGRESS",
    "MAX_OPEN_REQUESTS",
    "MENTOR",
    "OFFER_SORTS",
    "OPEN",
    "REQUEST_SORTS",
    "SESSION_SORTS",
    "TOPICS",
    "MentorRecord",
    "MentoringReport",
    "act",
    "add_session",
    "allowed_actions",
    "cancel_session",
    "close_offer",
    "complete_due",
    "create_offer",
    "create_request",
    "expire_due",
    "get_offer",
    "get_request",
    "is_alumna",
    "is_mentor",
    "is_party",
    "list_offers",
    "list_requests",
    "list_sessions",
    "mentor_profile",
    "mentoring_report",
    "rate",
    "record_session",
    "remind_due",
    "reminder_at",
    "report_csv_rows",
    "reschedule_session",
    "shown",
    "topic_list",
    "update_offer",
    "verified_university",
]
