"""The early answer: an anonymous GET of a public document, answered before dispatch
(``serve_public_document``, the app's last ``before_request`` hook).

A view opts in with ``Blueprint.public_document(read, served)``, and answers such a caller with
the same reader (``api.catalogue.reads``, through the worker's cache), so both give the same
answer; the view is left the callers who may see more, and the documents that are not public
(which it refuses without reading them again: ``public_read``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, request

from api.catalogue import reads as catalogue_reads
from api.catalogue.cache import Entry
from api.http import compression, problems
from api.http.unit_of_work import READ_FAILURES, after_failed_read, read_as
from api.services.authz import ANONYMOUS


@dataclass(frozen=True)
class PublicDocument:
    """How a GET's public document is read from the path's arguments (through the worker's
    cache, reading the database on a miss; None when it is not public), and what serving it
    does besides (a product counts a view)."""

    read: Callable[[Mapping[str, Any]], Entry | None]
    served: Callable[[Mapping[str, Any]], None] | None = None


# Whoever sends one of these may see more than the public document (or must be refused).
_CREDENTIALS = ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY", "HTTP_X_ON_BEHALF_OF")


def serve_public_document() -> Response | None:
    """The app's last ``before_request`` hook (the request id, the body checks and the rate
    limit have run): an anonymous GET of a public document is answered here, with its body, or
    a 304 when ``If-None-Match`` names it, whether the worker held it or read it now. It is
    what the view answers such a caller, without the layers around the view (scope check, unit
    of work, ETag and response decorators; their share of such a request's cost is in
    bench/README.md). The read runs as the view's would: without a transaction, on the replica
    when the view may use it. A caller with credentials, asking for some ``fields``, or for a
    document that is not public (missing, a draft, removed) goes on to the view, which
    answers or refuses; so does a read the replica or a dead connection failed, which the view
    reads again as it would any."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    if req.method not in ("GET", "HEAD"):
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    view = app.view_functions.get(req.endpoint or "")
    document: PublicDocument | None = getattr(view, "public_document", None)
    if document is None:
        return None
    environ = req.environ
    if any(name in environ for name in _CREDENTIALS) or "fields" in req.args:
        return None  # someone who may see more, or a part of the document (the view picks it)
    read_as(read_only=getattr(view, "read_only", False), replica=getattr(view, "replica", False))
    arguments = req.view_args or {}
    try:
        entry = document.read(arguments)
    except READ_FAILURES as error:
        after_failed_read(error)
        return None
    if entry is None:
        g.no_public_document = True  # the view need not read it again (``public_read``)
        return None
    if catalogue_reads.sees_more(ANONYMOUS, entry):
        return None
    if document.served is not None:
        document.served(arguments)
    if entry.etag in req.if_none_match:
        return problems.not_modified(entry.etag)
    compression.kept_compressed()
    response = Response(entry.body, mimetype="application/json")
    response.set_etag(entry.etag)
    return response


def public_read(
    read: Callable[[Mapping[str, Any]], Entry | None], arguments: Mapping[str, Any]
) -> Entry | None:
    """A view's read of its public document: none when the early answer read it for this
    request and found none (an unknown id, a draft: the view refuses it without reading it
    twice), else ``read`` of the path's arguments."""
    if g.get("no_public_document"):
        return None
    return read(arguments)
