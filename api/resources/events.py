"""The events feed: every state change the caller may see, in commit order."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.schemas.integration import EventPageSchema, EventQueryArgsSchema
from api.services import events as service

blp = Blueprint(
    "events",
    __name__,
    scope="events",
    url_prefix="/v1/events",
    description=(
        "Every state change, written in the same transaction as the change. Follow it with "
        "`after`: keep the `next_after` of each answer and ask again; `has_more` says whether "
        "to ask at once. Events are kept at least 90 days."
    ),
)


@blp.route("", methods=["GET"])
@blp.auth()
@blp.arguments(EventQueryArgsSchema, location="query")
@blp.response(200, EventPageSchema)
def list_events(args: dict[str, Any]) -> tuple[service.FeedPage, dict[str, str]]:
    """Events after `after` that you may see, oldest first: the public catalogue's changes
    (products and businesses published, updated, deleted; needs; offers; reviews) and the
    private events of your account, or of your key's organisation and its maker.

    Deduplicate by `id`; a `tombstone` tells you to delete your copy of the subject."""
    page = service.feed(
        db(),
        actor=current_actor(),
        after=args["after"],
        types=args.get("types") or [],
        limit=args["limit"],
    )
    headers: dict[str, str] = {}
    if page.has_more:
        query = request.args.to_dict(flat=False)
        query["after"] = [str(page.next_after)]
        headers["Link"] = f'<{request.base_url}?{urlencode(query, doseq=True)}>; rel="next"'
    return page, headers
