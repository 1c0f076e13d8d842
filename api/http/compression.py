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

An answer sent as it was encoded before (a cached public document, a page of them:
``kept_compressed``) keeps its compressed forms per process (``KeptCompressed``, flask-compress's
cache), found by the hash of the exact bytes being compressed, never by URL.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

from flask import Flask, Request, Response, g, request
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
# Compressed bodies of answers sent already encoded (``kept_compressed``), per process. Phones
# ask for gzip on every request; a document read by many is compressed once, not per read
# (~0.1-0.3 ms of a ~1 ms read). A product's gzip body is ~630 bytes at a million products:
# 4 MiB holds more than the catalogue cache's 5,000 documents. By size, the least recently
# sent out first.
COMPRESSED_KEPT_BYTES = 4 * 1024 * 1024
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
        COMPRESS_CACHE_BACKEND=KeptCompressed,
        COMPRESS_CACHE_KEY=_kept_key,
    )
    Compress(app)
    app.before_request(_identity_tags)
    app.after_request(_tag_not_modified)
    app.after_request(_key_of_body)  # these run before flask-compress's hook
    app.after_request(_read_files)


# Kept in the request's environ, not in ``g``: ``g`` lives as long as the app context, which
# requests made inside an outer one (scripts, tests) share, and a key left from one answer
# must never name another's body.
_KEEP = "berdaya.compress_keep"
_KEY = "berdaya.compress_key"
# What each kept entry costs besides its bytes (its key, the dict's entry, the bytes object).
ENTRY_OVERHEAD = 200


def kept_compressed() -> None:
    """This request's answer is sent as it was encoded before (a cached document, a page of
    them): its compressed forms are worth keeping for the next caller of the same bytes."""
    request.environ[_KEEP] = True


class KeptCompressed:
    """flask-compress's cache: a body's compressed form by coding and the hash of the exact
    bytes it compresses (``_key_of_body``), never by URL, so a changed document can only miss.
    An answer not marked by ``kept_compressed`` has no key and is neither read nor kept."""

    def __init__(self, budget: int = COMPRESSED_KEPT_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";"):
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        cost = len(value) + len(key) + ENTRY_OVERHEAD
        if key.endswith(";") or cost > self.budget // 16:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.size += cost
            while self.size > self.budget:
                out_key, out = self._items.popitem(last=False)
                self.size -= len(out) + len(out_key) + ENTRY_OVERHEAD


def _kept_key(asked: Request) -> str:
    """flask-compress's key for this answer ("" when it is not to be kept)."""
    key: str = asked.environ.get(_KEY, "")
    return key


def _key_of_body(response: Response) -> Response:
    """The hash of the bytes about to be compressed, for an answer ``kept_compressed`` marked
    that will be compressed: taken from the body as it leaves, after every other hook that
    may change it has had its say. Every answer gets a key, empty when not kept."""
    environ = request.environ
    key = ""
    if (
        environ.pop(_KEEP, False)
        and response.status_code == 200
        and not response.direct_passthrough
        and not response.is_streamed
        and (response.content_length or 0) >= MIN_SIZE
        and _asks_compression()
    ):
        key = hashlib.blake2b(response.get_data(), digest_size=20).hexdigest()
    environ[_KEY] = key
    return response


def _asks_compression() -> bool:
    """Whether the request accepts one of the codings flask-compress will use."""
    accepted = request.headers.get("Accept-Encoding", "")
    return any(coding in accepted for coding in CODINGS)


def _read_files(response: Response) -> Response:
    """A file sent whole (``send_file``: the docs' JavaScript and CSS) that will be compressed
    is read here and its file closed at once: flask-compress reads it but leaves the file open
    until the garbage collector finds it (a ResourceWarning per file)."""
    if (
        response.direct_passthrough
        and response.status_code == 200
        and response.mimetype in MIMETYPES
        and _asks_compression()
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
