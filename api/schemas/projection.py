"""A schema's dump without marshmallow's per-field machinery: the same result, less work.

Documents whose values are in their wire form already, or nearly, are dumped this way: a
compact list item (``ProductSummarySchema``, ``BusinessSummarySchema``) picked from a public
document (``api.catalogue.reads``), and a page of orders read without the ORM
(``api.services.orders.list_orders``). Dumping one with marshmallow cost ~0.15 ms (fields
resolved, values fetched through accessors, each one serialized). ``projector`` reads the
schema once and gives a function that copies what needs no work and asks marshmallow for the
rest, so its result is what marshmallow's ``Schema.dump`` gives (``tests/test_projection``):

- a value is read as marshmallow reads it: a ``dict``'s key (else its attribute), an
  object's attribute, anything else through the schema's ``get_attribute``;
- a plain ``String``, ``Integer``, ``Float`` or ``Boolean`` field whose value already has
  exactly that type (or is None) is copied, and a ``Raw`` field's value always is; an
  ``Enum`` by value gives a member's value; any other value goes through the field;
- a ``Function`` field is its function of the object, as ``Function`` dumps it;
- a ``Nested`` field (or a ``List`` of one) is projected by its own schema's projector;
- every other field (``Timestamp``, ``Method``, ...) is serialized by the field itself
  (``_serialize`` of the value read); a field with its own ``get_value`` or ``serialize``, a
  default or a dotted attribute entirely by marshmallow's ``serialize``;
- a key the object lacks is left out, as a dump leaves it out;
- a schema with dump hooks (``pre_dump``, ``post_dump``), its own ``get_attribute``, a
  schema nested in itself: marshmallow's own dump, whole.

Extending it to every response (ORM records through ``Shown``) was measured and dropped: it
saved 0-3% of a dump, whose cost is reading the records' attributes (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

Projection = Callable[[Any], Any]
Read = Callable[[str], Any]
Convert = Callable[[Any, Any], Any]  # (value, the object it was read from) -> its dump
Step = Callable[[Any, Read, dict[str, Any]], None]

# The exact field classes (not subclasses: those may serialize differently) whose dump of a
# value of exactly these types (not subclasses: ``True`` is an ``int`` to Python, an enum
# member may be a ``str``) is the value itself; ``None`` is dumped as ``None`` by each.
_COPIED: dict[type[fields.Field], frozenset[type]] = {
    fields.String: frozenset({str}),
    fields.Integer: frozenset({int}),
    fields.Float: frozenset({float}),
    fields.Boolean: frozenset({bool}),
}


def marshmallow_dump(schema: Schema) -> Projection:
    """marshmallow's own dump of ``schema`` (never a projection)."""

    def dump(obj: Any) -> Any:
        return Schema.dump(schema, obj)

    return dump


def projector(schema: Schema) -> Projection:
    """The function that gives marshmallow's ``schema.dump(obj)``, with less work."""
    one = _one(schema, frozenset())
    if one is None:
        return marshmallow_dump(schema)
    if not schema.many:
        return one
    each = one

    def project_many(objs: Any) -> Any:
        if objs is None:
            return Schema.dump(schema, objs)
        return [each(obj) for obj in objs]

    return project_many


def _one(schema: Schema, within: frozenset[type]) -> Projection | None:
    """One object's dump by ``schema`` (whatever its ``many``); None where only marshmallow's
    own dump will do (hooks, its own ``get_attribute``, a schema nested in itself)."""
    if (
        type(schema) in within
        or schema._hooks[PRE_DUMP]
        or schema._hooks[POST_DUMP]
        or type(schema).get_attribute is not Schema.get_attribute
    ):
        return None
    within = within | {type(schema)}
    steps = [_step(schema, name, field, within) for name, field in schema.dump_fields.items()]
    get_attribute = schema.get_attribute

    def project(obj: Any) -> dict[str, Any]:
        read: Read
        if type(obj) is dict:

            def read(attribute: str) -> Any:
                value = obj.get(attribute, missing)
                return getattr(obj, attribute, missing) if value is missing else value

        elif not hasattr(obj, "__getitem__"):

            def read(attribute: str) -> Any:
                return getattr(obj, attribute, missing)

        else:

            def read(attribute: str) -> Any:
                return get_attribute(obj, attribute, missing)

        out: dict[str, Any] = {}
        for step in steps:
            step(obj, read, out)
        return out

    return project


def _plain(field: fields.Field) -> bool:
    """Whether marshmallow's ``serialize`` of the field is ``_serialize`` of the value read."""
    return (
        field._CHECK_ATTRIBUTE
        and type(field).serialize is fields.Field.serialize
        and type(field).get_value is fields.Field.get_value
        and field.dump_default is missing
    )


def _step(schema: Schema, name: str, field: fields.Field, within: frozenset[type]) -> Step:
    key = field.data_key if field.data_key is not None else name
    attribute = field.attribute or name

    if type(field) is fields.Function and field.serialize_func is not None:
        function = field.serialize_func  # what ``Function`` dumps: the function of the object

        def call(obj: Any, _read: Read, out: dict[str, Any]) -> None:
            value = function(obj)
            if value is not missing:
                out[key] = value

        return call
    if not _plain(field) or "." in attribute:

        def through_field(obj: Any, _read: Read, out: dict[str, Any]) -> None:
            value = field.serialize(name, obj, accessor=schema.get_attribute)
            if value is not missing:
                out[key] = value

        return through_field
    convert = _converter(name, field, within)

    def read_and_convert(obj: Any, read: Read, out: dict[str, Any]) -> None:
        value = read(attribute)
        if value is not missing:
            out[key] = convert(value, obj)

    return read_and_convert


def _converter(name: str, field: fields.Field, within: frozenset[type]) -> Convert:
    """``field._serialize(value, name, obj)``, with less work where the result is known."""
    serialize = field._serialize

    def through(value: Any, obj: Any) -> Any:
        return serialize(value, name, obj)

    kind = type(field)
    if kind is fields.Raw:
        return lambda value, _obj: value
    copied = _COPIED.get(kind)
    if copied is not None and not getattr(field, "as_string", False):

        def copy(value: Any, obj: Any) -> Any:
            if value is None or type(value) in copied:
                return value
            return serialize(value, name, obj)

        return copy
    if (
        kind is fields.Enum and isinstance(field, fields.Enum) and field.by_value is True
    ):  # its inner field is Raw
        members = field.enum

        def member_value(value: Any, obj: Any) -> Any:
            if type(value) is members:
                return value.value
            return serialize(value, name, obj)

        return member_value
    if kind is fields.List and isinstance(field, fields.List):
        inner = _converter(name, field.inner, within)

        def each(value: Any, obj: Any) -> Any:
            if value is None:
                return None
            return [inner(one, obj) for one in value]

        return each
    if kind is fields.Nested and isinstance(field, fields.Nested):
        nested = field.schema  # with the field's only and exclude, as it dumps
        project = _one(nested, within)
        if project is not None:
            many = bool(nested.many or field.many)

            def nest(value: Any, _obj: Any) -> Any:
                if value is None:
                    return None
                if many:
                    return [project(one) for one in value]
                return project(value)

            return nest
    return through
