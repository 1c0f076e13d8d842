"""Compressed responses by ``Accept-Encoding``, through flask-compress: Brotli or gzip for
JSON, problems, CSV, HTML and other text above ``MIN_SIZE`` bytes; never images or other
media that are compressed already (JPEG, PNG, WebP, XLSX: not in ``MIMETYPES``). Streamed
bodies (exports) are compressed as they stream. Every response says ``Vary: Accept-Encoding``.

ETags stay right (RFC 9110, 8.8.3): flask-compress gives a compressed representation its own
strong ETag, the identity one with the coding appended (``"abc"`` -> ``"abc:br"``). So that
the tag a client holds works whichever representation it came with, the codings are taken
off the tags of ``If-Match`` and ``If-None-Match`` before anything compares them (the
resource's state is the same: an ``If-Match`` holding ``"abc:br"`` is as current as one
holding ``"abc"``), and a 304 names the tag the client sent.
"""

from __future__ import annotations

import re

from flask import Flask, Response, g, request
from flask_compress import Compress

MIN_SIZE = 500  # bytes: below that the headers cost more than compression saves
MIMETYPES = [
    "application/json",
    "application/problem+json",
    "text/csv",
    "text/html",
    "text/plain",
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",  # charts: text
]
CODINGS = ("br", "gzip")
_CODED_TAG = re.compile(r':(?:br|gzip|zstd|deflate)"')
_CONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH")


def install(app: Flask) -> None:
    """Compress ``app``'s responses; call before the app's other ``after_request`` hooks are
    registered, so that it runs after them (it sees their headers, ``Vary`` among them)."""
    app.config.update(
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_ALGORITHM=list(CODINGS),
        COMPRESS_ALGORITHM_STREAMING=list(CODINGS),
        COMPRESS_STREAMS=True,
        COMPRESS_BR_LEVEL=4,  # flask-compress's default: fast enough to run on every answer
    )
    Compress(app)
    app.before_request(_identity_tags)
    app.after_request(_tag_not_modified)
    app.after_request(_read_files)  # registered last: runs before flask-compress's hook


def _read_files(response: Response) -> Response:
    """A file sent whole (``send_file``: the docs' JavaScript and CSS) that will be compressed
    is read here and its file closed at once: flask-compress reads it but leaves the file open
    until the garbage collector finds it (a ResourceWarning per file)."""
    if (
        response.direct_passthrough
        and response.status_code == 200
        and response.mimetype in MIMETYPES
        and any(coding in request.headers.get("Accept-Encoding", "") for coding in CODINGS)
    ):
        body = response.response
        response.direct_passthrough = False
        try:
            data = b"".join(c if isinstance(c, bytes) else c.encode() for c in body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        response.set_data(data)
    return response


def _identity_tags() -> None:
    """Take the content codings off the entity tags the request names."""
    environ = request.environ
    for name in _CONDITIONS:
        value = environ.get(name)
        if value and _CODED_TAG.search(value):
            g.setdefault("coded_tags", {})[name] = value
            environ[name] = _CODED_TAG.sub('"', value)


def _tag_not_modified(response: Response) -> Response:
    """A 304 carries the tag the client holds (the one with its coding, if it sent that)."""
    sent = g.get("coded_tags", {}).get("HTTP_IF_NONE_MATCH")
    if response.status_code != 304 or sent is None:
        return response
    etag, weak = response.get_etag()
    for tag in sent.split(","):
        tag = tag.strip().removeprefix("W/")
        if tag.startswith(f'"{etag}:'):
            response.set_etag(tag.strip('"'), weak=bool(weak))
            break
    return response
