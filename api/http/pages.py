"""Pages on the wire: the body is ``{"items", "next_cursor"}``, plus a ``Link: rel="next"``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from api.http.bodies import Prepared
from api.pagination import Page


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
    return Prepared({"items": page.items, "next_cursor": page.next_cursor}), headers
