"""A schema's dump of a document that is JSON already, without marshmallow's per-field work.

A compact list item (``ProductSummarySchema``, ``BusinessSummarySchema``) is picked from a
public document (``api.catalogue.reads``) whose values are in their wire form already. Dumping
one with marshmallow cost ~0.15 ms (fields resolved, values fetched through accessors, each
one serialized), a tenth of a search page whose documents were not cached. ``projector``
reads the schema once and gives a function that copies what needs no work and asks
marshmallow for the rest, so its result is what ``schema.dump`` gives (``tests/test_projection``):

- a plain ``String``, ``Integer``, ``Float`` or ``Boolean`` field whose value already has
  exactly that type (or is None) is copied, and a ``Raw`` field's value always is; any other
  value goes through the field, as a dump would;
- a ``Function`` field is its function of the document, as ``Function`` dumps it;
- a ``Nested`` field is projected by its own schema's projector (a list with ``many``);
- every other field (``Timestamp``, ``Method``, ...) is serialized by the field itself;
- a key the document lacks is left out, as a dump leaves it out;
- a schema with dump hooks (``pre_dump``, ``post_dump``), its own ``get_attribute`` or
  ``many``, a nested schema that nests itself, a nested value that is not a dict or list:
  marshmallow's own dump, whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

Projection = Callable[[dict[str, Any]], dict[str, Any]]

# The exact field classes (not subclasses: those may serialize differently) whose dump of a
# value of exactly these types (not subclasses: ``True`` is an ``int`` to Python, an enum
# member may be a ``str``) is the value itself; ``None`` is dumped as ``None`` by each.
_COPIED: dict[type[fields.Field], frozenset[type]] = {
    fields.String: frozenset({str}),
    fields.Integer: frozenset({int}),
    fields.Float: frozenset({float}),
    fields.Boolean: frozenset({bool}),
}


def projector(schema: Schema, _within: frozenset[type] = frozenset()) -> Projection:
    """The function that gives ``schema.dump(document)`` for a JSON-ready ``document``."""
    if not _projectable(schema) or type(schema) in _within:
        return schema.dump
    within = _within | {type(schema)}
    steps = [_step(schema, name, field, within) for name, field in schema.dump_fields.items()]

    def project(document: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for step in steps:
            step(document, out)
        return out

    return project


def _projectable(schema: Schema) -> bool:
    return (
        not schema._hooks[PRE_DUMP]
        and not schema._hooks[POST_DUMP]
        and type(schema).get_attribute is Schema.get_attribute
        and not schema.many
    )


def _step(
    schema: Schema, name: str, field: fields.Field, within: frozenset[type]
) -> Callable[[Any, dict[str, Any]], None]:
    key = field.data_key if field.data_key is not None else name
    attribute = field.attribute or name

    def through_field(document: Any, out: dict[str, Any]) -> None:
        value = field.serialize(name, document, accessor=schema.get_attribute)
        if value is not missing:
            out[key] = value

    if field.dump_default is not missing or "." in attribute:
        return through_field  # a default, a dotted path: marshmallow's own way
    if type(field) is fields.Raw:  # dumped as it is

        def raw(document: Any, out: dict[str, Any]) -> None:
            value = document.get(attribute, missing)
            if value is not missing:
                out[key] = value

        return raw
    copied = _COPIED.get(type(field))
    if copied is not None and not getattr(field, "as_string", False):
        kinds = copied

        def copy(document: Any, out: dict[str, Any]) -> None:
            value = document.get(attribute, missing)
            if value is missing:
                return
            if value is None or type(value) in kinds:
                out[key] = value
            else:
                through_field(document, out)

        return copy
    if type(field) is fields.Function and field.serialize_func is not None:
        function = field.serialize_func  # what ``Function`` dumps: the function of the document

        def call(document: Any, out: dict[str, Any]) -> None:
            value = function(document)
            if value is not missing:
                out[key] = value

        return call
    nests = field if type(field) is fields.Nested else None
    inner_schema = nests.schema if nests is not None else None
    if (
        nests is not None
        and isinstance(inner_schema, Schema)
        and nests.only is None
        and not nests.exclude
        and _projectable(inner_schema)
        and type(inner_schema) not in within
    ):
        inner = projector(inner_schema, within)
        many = bool(nests.many)

        def nested(document: Any, out: dict[str, Any]) -> None:
            value = document.get(attribute, missing)
            if value is missing:
                return
            if value is None:
                out[key] = None
            elif many and type(value) is list and all(type(item) is dict for item in value):
                out[key] = [inner(item) for item in value]
            elif not many and type(value) is dict:
                out[key] = inner(value)
            else:
                through_field(document, out)

        return nested

    return through_field
