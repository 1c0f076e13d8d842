"""Response bodies a view may return besides what its schema dumps: ``Prepared`` (already in
the schema's shape, read without the ORM) and ``Encoded`` (already JSON, e.g. a cached public
document); ``Blueprint.response`` sends them as they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.http import jsonbodies


@dataclass(frozen=True)
class Prepared:
    """A body already in the shape the response schema gives (read without the ORM, see
    ``api.catalogue.reads``): it is sent as it is, not dumped again."""

    data: Any


@dataclass(frozen=True)
class Encoded:
    """A body already encoded (a cached public document, ``api.catalogue.cache``), with its ETag
    when the operation has one: sent as it is, and a 304 when ``If-None-Match`` names it.
    ``public``: the same bytes are sent to anyone, so their compressed forms may be kept per
    process (``compression.kept_compressed``); a caller's own page (her orders) is not."""

    body: bytes
    etag: str | None = None
    public: bool = True


def encode_document(document: Any) -> tuple[bytes, str]:
    """A document as a response carries it (compact JSON) and the ETag ``@etag`` gives it."""
    body = jsonbodies.dumps(document)
    return body, jsonbodies.etag_of_encoded(body)


def encode_json(data: Any) -> bytes:
    """Data as a response carries it: compact JSON (keys sorted, as ``app.json`` writes)."""
    return jsonbodies.dumps(data)


def encoded_page(
    items: list[bytes],
    next_cursor: str | None,
    extra: Mapping[str, Any] | None = None,
    *,
    public: bool = True,
) -> Encoded:
    """A page of encoded items, as ``{"items", "next_cursor"}`` (and ``extra`` members),
    without decoding them."""
    cursor = encode_json(next_cursor)
    members = (extra or {}).items()
    more = b"".join(b"," + encode_json(name) + b":" + encode_json(value) for name, value in members)
    body = b'{"items":[' + b",".join(items) + b'],"next_cursor":' + cursor + more + b"}"
    return Encoded(body, public=public)


def etag_of(obj: Any, schema: Any) -> str:
    """The ETag ``@etag`` gives ``obj`` dumped by ``schema`` (what ``check_etag`` compares);
    pass an instance to reuse it for many objects."""
    instance = schema() if isinstance(schema, type) else schema
    return jsonbodies.etag(instance.dump(obj))


def etag_matches(sent: str, etag: str) -> bool:
    """Whether an ETag sent in a body (quoted or not, weak or not) is ``etag``."""
    value = sent.strip()
    value = value.removeprefix("W/")
    return value.strip('"') == etag
