"""The early answer: an anonymous GET of a public document this worker holds, answered before
dispatch (``serve_public_document``, the app's last ``before_request`` hook).

A view opts in with ``Blueprint.public_document(key, served)``; the view must answer such a
caller the same, from ``api.catalogue.reads``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request

from api.catalogue import reads as catalogue_reads
from api.http import compression, problems
from api.services.authz import ANONYMOUS
from api.state import get_state


@dataclass(frozen=True)
class PublicDocument:
    """Where a GET's public document lies in the catalogue cache (its key, from the path's
    arguments), and what serving it does besides (a product counts a view)."""

    key: Callable[[Mapping[str, Any]], str]
    served: Callable[[Mapping[str, Any]], None] | None = None


# Whoever sends one of these may see more than the public document (or must be refused).
_CREDENTIALS = ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY", "HTTP_X_ON_BEHALF_OF")


def serve_public_document() -> Response | None:
    """The app's last ``before_request`` hook (the request id, the body checks and the rate
    limit have run): an anonymous GET of a public document this worker holds is answered here,
    with its body, or a 304 when ``If-None-Match`` names it. It is what the view answers such a
    caller, without the layers around the view (scope check, unit of work, ETag and response
    decorators; their share of such a request's cost is in bench/README.md). A caller with
    credentials, asking for some ``fields``, or for a document the worker does not hold,
    goes on to the view."""
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
    cache = get_state(app).catalogue
    if cache is None:
        return None
    cache.ensure_listening()  # a forked process's copy is not live until its listener is
    arguments = req.view_args or {}
    entry = cache.get(document.key(arguments))
    if entry is None or catalogue_reads.sees_more(ANONYMOUS, entry):
        return None
    if document.served is not None:
        document.served(arguments)
    if entry.etag in req.if_none_match:
        return problems.not_modified(entry.etag)
    compression.kept_compressed()
    response = Response(entry.body, mimetype="application/json")
    response.set_etag(entry.etag)
    return response
