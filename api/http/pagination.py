"""Pages on the wire: the body is ``{"items", "next_cursor"}``, plus a ``Link: rel="next"``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from api.pagination import Page


def page_response(page: Page[Any]) -> tuple[Page[Any], dict[str, str]]:
    """Return a page with its Link header, for a view decorated with a page schema."""
    headers: dict[str, str] = {}
    if page.next_cursor:
        args = request.args.to_dict(flat=False)
        args["cursor"] = [page.next_cursor]
        headers["Link"] = f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="next"'
    return page, headers
