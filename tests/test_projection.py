"""A schema's projector gives what the schema dumps (real documents: test_catalogue_reads), and
JSON written by orjson reads as the standard library's did."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from marshmallow import Schema, fields, post_dump
from marshmallow.utils import missing

from api.http import jsonbodies
from api.http.bodies import encode_document
from api.schemas.projection import projector
from api.services.shown import Shown


class _Inner(Schema):
    code = fields.String()
    n = fields.Integer()


class _Odd(Schema):
    text = fields.String()
    count = fields.Integer()
    ratio = fields.Float()
    defaulted = fields.String(dump_default="none given")
    dotted = fields.String(attribute="one.code")
    flag = fields.Boolean()
    anything = fields.Raw()
    renamed = fields.String(data_key="shown_as")
    when = fields.DateTime()
    one = fields.Nested(_Inner, allow_none=True)
    many = fields.Nested(_Inner, many=True)
    some = fields.Nested(_Inner, only=("code",))
    computed = fields.Function(lambda document: len(document.get("many") or []))


class _Hooked(Schema):
    name = fields.String()

    @post_dump
    def _upper(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {**data, "name": data["name"].upper()}


class _Tree(Schema):
    name = fields.String()
    inner_many = fields.Nested(_Inner(many=True))
    hooked = fields.Nested(_Hooked)
    child = fields.Nested(lambda: _Tree(), allow_none=True)
    gone = fields.Function(lambda document: missing)


def test_what_the_projector_cannot_copy_is_dumped_by_marshmallow() -> None:
    document = {
        "name": "root",
        "inner_many": [{"code": "a", "n": 1}],
        "hooked": {"name": "kue"},
        "child": {"name": "leaf", "child": None, "hooked": {"name": "x"}},
    }
    assert projector(_Tree())(document) == _Tree().dump(document)
    assert projector(_Tree())(document)["hooked"] == {"name": "KUE"}
    assert projector(_Hooked())({"name": "a"}) == {"name": "A"}
    odd = {"one": "not a dict", "many": [["not", "dicts"]]}
    try:
        expected: Any = _Odd().dump(odd)
    except Exception as error:  # whatever marshmallow raises, so must the projector
        expected = type(error)
    try:
        got: Any = projector(_Odd())(odd)
    except Exception as error:
        got = type(error)
    assert got == expected


def test_values_not_in_wire_form_go_through_the_field_as_a_dump_would() -> None:
    project = projector(_Odd())
    documents: list[dict[str, Any]] = [
        {
            "text": 5,  # not a string: dumped as "5"
            "count": True,  # a bool is an int to Python; dumped as 1
            "ratio": 4,  # dumped as 4.0
            "flag": 1,  # dumped as True
            "anything": {"x": [1]},
            "renamed": "r",
            "when": dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC),
            "one": None,
            "many": [{"code": "32", "n": "7"}, {"code": 32}],
            "some": {"code": "a", "n": 1},
        },
        {"text": None, "ratio": 4.5, "one": {"code": "x"}},  # keys left out are left out
        {},
    ]
    for document in documents:
        assert project(document) == _Odd().dump(document)
    assert project(documents[0])["count"] == 1 and project(documents[0])["text"] == "5"
    assert type(project(documents[0])["ratio"]) is float and project(documents[2]) != {}
    assert "shown_as" in project(documents[0]) and "renamed" not in project(documents[0])


class _Kind(enum.Enum):
    A = "a"
    B = "b"


class _Line(Schema):
    name = fields.String()
    price = fields.Integer()
    kind = fields.Enum(_Kind, by_value=True)


class _Record(Schema):
    """What a response schema reads from a record (a row, a ``Shown``), not a dict."""

    id = fields.String()
    kind = fields.Enum(_Kind, by_value=True, allow_none=True)
    by_name = fields.Enum(_Kind)
    tags = fields.List(fields.String())
    lines = fields.List(fields.Nested(_Line))
    first = fields.Nested(_Line, allow_none=True)
    also = fields.Nested(_Line, many=True)
    counted = fields.Integer(attribute="count")
    twice = fields.Function(lambda record: record.count * 2)
    when = fields.DateTime()
    absent = fields.String()


@dataclass
class _Row:
    id: Any = "ord_1"
    kind: Any = _Kind.A
    by_name: Any = _Kind.B
    tags: Any = field(default_factory=lambda: ["kue", 7])  # 7 is dumped as "7"
    lines: Any = field(default_factory=list)
    first: Any = None
    also: Any = ()
    count: Any = 3
    when: Any = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


def _same(schema: Schema, obj: Any) -> None:
    try:
        expected: Any = repr(schema.dump(obj))
    except Exception as error:  # whatever marshmallow raises, so must the projection
        expected = type(error)
    try:
        got: Any = repr(projector(schema)(obj))
    except Exception as error:
        got = type(error)
    assert got == expected


def test_a_record_is_dumped_as_marshmallow_dumps_it() -> None:
    line = {"name": "Kue", "price": 25000, "kind": _Kind.B}
    rows = [
        _Row(),
        _Row(lines=[line, _Row(id="x", count=True)], first=line, also=[line], kind=None),
        _Row(id=12, count="4", tags=None, lines=None),  # not in wire form: through the field
        _Row(kind="a"),  # not a member: marshmallow fails, and so does the projection
    ]
    for row in rows:
        _same(_Record(), row)
        _same(_Record(), Shown(row, allowed_actions=["cancel"], count=9))
        _same(_Record(many=True), [row, row])
        _same(_Record(), vars(row))  # the same values as a dict
    project = projector(_Record())
    dumped = project(rows[1])
    assert dumped["kind"] is None
    assert dumped["lines"][0] == {"name": "Kue", "price": 25000, "kind": "b"}
    assert dumped["also"] == [dumped["first"]] and "absent" not in dumped


@dataclass
class _Later:
    z: int
    a: str


def test_json_is_compact_sorted_utf8_and_reads_as_before() -> None:
    data = {
        "b": 1,
        "a": "Kue lapis é",
        "when": dt.date(2026, 12, 6),
        "price": decimal.Decimal("1.50"),
        3: "non-string key",
    }
    body = jsonbodies.dumps(data)
    assert body.startswith(b'{"3":') and b'": ' not in body and b'", ' not in body
    assert "é".encode() in body  # UTF-8, not \\u00e9
    read = json.loads(body)
    assert read["price"] == "1.50"
    assert json.loads(jsonbodies.dumps({"huge": 2**80}))["huge"] == 2**80  # the stdlib's way
    assert read["when"] == "Sun, 06 Dec 2026 00:00:00 GMT"  # as Flask writes a date
    assert jsonbodies.dumps(_Later(z=1, a="b")) == b'{"a":"b","z":1}'  # as Flask: keys sorted
    small = {"b": [1, 2], "a": None}
    assert (
        jsonbodies.dumps(small) == json.dumps(small, sort_keys=True, separators=(",", ":")).encode()
    )


def test_a_cached_documents_etag_is_the_etag_of_its_data() -> None:
    document = {"id": "prd_1", "name": "Kue é", "price_idr": 25000}
    body, etag = encode_document(document)
    assert etag == jsonbodies.etag(document) == jsonbodies.etag(json.loads(body))
    assert etag != jsonbodies.etag({**document, "price_idr": 26000})


def test_responses_are_written_by_orjson(client: FlaskClient) -> None:
    response = client.get("/v1/categories")
    assert response.status_code == 200
    assert response.get_data().endswith(b"\n") and b'": ' not in response.get_data()
    assert response.json is not None


def test_what_is_encoded_takes_the_memory_of_its_length() -> None:
    """A kept document holds its bytes, not the encoder's buffer (orjson's is 4 KiB and up)."""
    document = {"id": "prd_1", "description": "x" * 300, "tags": ["kue"] * 20}
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [jsonbodies.dumps(document) for _ in range(200)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown / len(kept) < 2 * len(kept[0]), grown / len(kept)
