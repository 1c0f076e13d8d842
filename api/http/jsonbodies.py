"""JSON in and out of the app through orjson (https://github.com/ijl/orjson), a compiled
encoder, instead of the standard library's.

Encoding was a tenth of a search page's CPU and more of an owner's dashboard: every response,
every cached document (its body, its compact item) and every ETag (a sorted dump, hashed) went
through ``json.dumps``. orjson does the same work several times faster. What a client sees
does not change, except that non-ASCII text is sent as UTF-8 instead of ``\\uXXXX`` escapes
(the same JSON, fewer bytes):

- keys sorted, as Flask's default provider sorts them, so a body's bytes and ETags stay
  stable whatever order a dict was built in;
- dates and datetimes as Flask writes them (RFC 822: ``flask.json.provider._default``), and
  what else Flask's ``default`` knows (``Decimal``, ``__html__``); enums by value, dataclasses
  as dicts, UUIDs as strings, as before;
- what orjson refuses (an integer beyond 64 bits) is written by the standard library as before.

Edges that differ, none of them reached by what the API sends: a float NaN or infinity is
written ``null`` (the standard library wrote ``NaN``, which is not JSON); keys that are not
strings are sorted as the strings they become (``"10"`` before ``"9"``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider, _default
from werkzeug.sansio.response import Response

OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS  # as dicts through Flask's ``default``: keys sorted
)


def dumps(data: Any) -> bytes:
    """``data`` as compact JSON, keys sorted (UTF-8 bytes), in a bytes object of its size."""
    try:
        written = orjson.dumps(data, default=_default, option=OPTIONS)
        # orjson's bytes keep the buffer it wrote into: 4 KiB for a 400-byte item, 128 KiB for
        # 10 KB. Kept in the catalogue cache, that was 40 MB more a worker; a copy costs 0.3 µs.
        return bytes(memoryview(written))
    except orjson.JSONEncodeError:
        # Beyond orjson (an integer over 64 bits): as Flask wrote it.
        text = json.dumps(data, default=_default, sort_keys=True, separators=(",", ":"))
        return text.encode()


def etag(data: Any) -> str:
    """The ETag of data as ``@etag`` gives it (``Blueprint._generate_etag``): the SHA-1 of
    its JSON as ``dumps`` writes it."""
    return etag_of_encoded(dumps(data))


def etag_of_encoded(body: bytes) -> str:
    """The ETag of data already encoded by ``dumps`` (a cached document: not encoded twice)."""
    return hashlib.sha1(body, usedforsecurity=False).hexdigest()


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider (``app.json``) writing with orjson; pretty-printing (``indent``,
    debug responses) and reading request bodies stay with the standard library (what it
    accepts, huge integers included, is what the schemas then judge)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs.keys() - {"separators"}:
            return super().dumps(obj, **kwargs)
        return dumps(obj).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        body = dumps(self._prepare_response_obj(args, kwargs)) + b"\n"
        return self._app.response_class(body, mimetype=self.mimetype)  # type: ignore[arg-type]
