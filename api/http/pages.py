"""Pages on the wire: the body is ``{"items", "next_cursor"}``, plus a ``Link: rel="next"``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from api.dates import rfc3339
from api.http.bodies import Prepared
from api.pagination import ChangesPage, Page


def page_response(page: Page[Any]) -> tuple[Page[Any], dict[str, str]]:
    """Return a page with its Link header, for a view decorated with a page schema."""
    headers: dict[str, str] = {}
    if page.next_cursor:
        args = request.args.to_dict(flat=False)
        args["cursor"] = [page.next_cursor]
        headers["Link"] = f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="next"'
    return page, headers


def prepared_page(page: Page[dict[str, Any]]) -> tuple[Prepared, dict[str, str]]:
    """A page whose items are already in their wire shape (``Prepared``), with its Link."""
    _, headers = page_response(page)
    return Prepared(
        {"items": page.items, "next_cursor": page.next_cursor, **changes(page)}
    ), headers


def changes(page: Page[Any]) -> dict[str, Any]:
    """What a page of changes adds to the body (``deleted``, ``updated_until``), on the wire."""
    if not isinstance(page, ChangesPage):
        return {}
    return {
        "deleted": [{"id": t.id, "changed_at": rfc3339(t.changed_at)} for t in page.deleted],
        "updated_until": rfc3339(page.updated_until) if page.updated_until else None,
    }
