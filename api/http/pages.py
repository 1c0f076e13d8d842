"""Pages on the wire: the body is ``{"items", "next_cursor"}``, plus a ``Link: rel="next"``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request
from marshmallow import Schema

from api.catalogue.cache import Entry
from api.catalogue.reads import Summarise
from api.dates import rfc3339
from api.http.bodies import Encoded, encode_document, encode_json, encoded_page
from api.http.context import db, state
from api.pagination import ChangesPage, Page
from api.schemas.projection import projector


def page_response(page: Page[Any]) -> tuple[Page[Any], dict[str, str]]:
    """Return a page with its Link header, for a view decorated with a page schema."""
    headers: dict[str, str] = {}
    if page.next_cursor:
        args = request.args.to_dict(flat=False)
        args["cursor"] = [page.next_cursor]
        headers["Link"] = f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="next"'
    return page, headers


def changes(page: Page[Any]) -> dict[str, Any]:
    """What a page of changes adds to the body (``deleted``, ``updated_until``), on the wire."""
    if not isinstance(page, ChangesPage):
        return {}
    return {
        "deleted": [{"id": t.id, "changed_at": rfc3339(t.changed_at)} for t in page.deleted],
        "updated_until": rfc3339(page.updated_until) if page.updated_until else None,
    }


# -- pages of cached public documents (``api.catalogue.cache``) ----------------------------------


def summariser(schema: Schema) -> Summarise:
    """A public document's compact list item, encoded (kept with it in the catalogue cache,
    so a page of them is joined, not dumped); picked by the schema's projector, not dumped."""
    project = projector(schema)

    def summarise(document: dict[str, Any]) -> bytes:
        return encode_json(project(document))

    return summarise


T = TypeVar("T")


def kept(read: Callable[..., T], what: Any, summarise: Summarise) -> T:
    """``read`` (an entry reader of ``api.catalogue.reads``) of ``what`` (an id, or a page's
    ids) through this app's cache, encoded as a response carries it, with its compact item."""
    app_state = state()
    return read(
        app_state.catalogue,
        db,
        what,
        url=app_state.storage.url,
        encode=encode_document,
        summarise=summarise,
    )


def entry_items(entries: Sequence[Entry], summarise: Summarise, *, full: bool) -> list[bytes]:
    """A page's items from cached documents: whole, or their compact items (made from the
    document when an entry was kept without one)."""
    if full:
        return [entry.body for entry in entries]
    return [
        entry.summary if entry.summary is not None else summarise(json.loads(entry.body))
        for entry in entries
    ]


def encoded_entries_page(
    page: Page[bytes], *, public: bool = True
) -> tuple[Encoded, dict[str, str]]:
    """A page whose items are encoded already, with its Link and what a page of changes adds;
    ``public=False`` for a page only its caller gets (see ``Encoded``)."""
    _, headers = page_response(page)
    return encoded_page(page.items, page.next_cursor, changes(page), public=public), headers
