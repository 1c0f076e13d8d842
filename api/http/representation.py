"""What a GET sends, decided once for every operation by ``Blueprint.response``:

- ``view``: a list whose page schema has a compact item schema (``page_of(Item,
  compact=ItemSummary)``) sends compact items by default (what a list row shows, with ``href``
  to the whole document) and the whole documents with ``view=full``;
- ``fields``: any read or list sends only the fields named (comma-separated, dotted paths into
  nested objects: ``fields=name,price_idr,business.name``); on a list they select from each
  item, ``next_cursor`` always stays. A name the representation does not have is a 422
  naming it. The ETag, where the operation has one, is computed on what was sent.

The compact item is its schema dumped from the whole document as dumped (a dict), so one
document gives both views whichever way it was read (the ORM, ``api.catalogue.reads``, the
catalogue cache).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, g, request
from marshmallow import Schema, fields

from api.errors import ValidationFailed

FIELDS = "fields"
VIEW = "view"
VIEWS = ("compact", "full")
MAX_FIELDS_LENGTH = 1000
MAX_FIELDS = 50

FIELDS_PARAMETER = {
    "name": FIELDS,
    "in": "query",
    "required": False,
    "description": (
        "Send only these fields of the JSON answer: comma-separated names, dotted paths for "
        "nested objects (`name,price_idr,business.name`); files and CSV are sent whole. On a "
        "list they select from each item (of the view "
        "in force) and `next_cursor` stays. An unknown name is a 422 naming it. The ETag is "
        "that of what is sent: use one from a whole read for `If-Match`."
    ),
    "schema": {
        "type": "string",
        "maxLength": MAX_FIELDS_LENGTH,
        "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)*(,[a-z0-9_]+(\.[a-z0-9_]+)*)*$",
    },
    # No example: Swagger UI's "Try it out" would send it, and on a document without those
    # fields (the readiness check, say) that is a 422. The description gives one instead.
}

VIEW_PARAMETER = {
    "name": VIEW,
    "in": "query",
    "required": False,
    "description": (
        "`compact` (the default): what a list row shows, with `href` to the whole document; "
        "`full`: the whole documents, as a read of each gives them (then the items follow the "
        "operation's full schema, named in the items' `oneOf`)."
    ),
    "schema": {"type": "string", "enum": list(VIEWS), "default": "compact"},
}


@dataclass(frozen=True)
class Asked:
    """What the caller asked for: the whole documents or not, and which fields (None: all)."""

    full: bool
    fields: dict[str, Any] | None  # a tree: name -> subtree, or None for the whole value


@dataclass(frozen=True)
class Shape:
    """What an operation's 200 response may be: one document, or a page of items; a page may
    have a compact view."""

    schema: Schema  # the whole response (a full page, when a page)
    item: Schema | None  # a page's item (full)
    compact: Schema | None  # a page's compact item

    @classmethod
    def of(cls, schema: Any) -> Shape | None:
        if not isinstance(schema, Schema):
            return None
        full_page = getattr(schema, "full_page", None)
        if full_page is not None:  # a page with a compact view (``page_of(..., compact=)``)
            page = full_page()
            compact = getattr(schema, "compact_schema")()  # noqa: B009 (set by page_of)
            return cls(page, page.fields["items"].inner.schema, compact)
        items = schema.fields.get("items")
        if isinstance(items, fields.List) and isinstance(items.inner, fields.Nested):
            return cls(schema, items.inner.schema, None)
        return cls(schema, None, None)

    def asked(self) -> Asked:
        """The caller's ``view`` and ``fields``, checked (422 naming the parameter)."""
        # ``view`` is this module's only where the list has a compact view (elsewhere an
        # operation may have a ``view`` of its own, or refuse it as an unknown parameter).
        view = request.args.get(VIEW) if self.compact is not None else None
        if view is not None and view not in VIEWS:
            raise ValidationFailed(errors={VIEW: ["Must be one of: compact, full."]})
        full = self.compact is None or view == "full"
        raw = request.args.get(FIELDS)
        if raw is None:
            return Asked(full, None)
        target = self.item if self.item is not None else self.schema
        if full is False and self.compact is not None:
            target = self.compact
        return Asked(full, _tree(target, raw))

    def reshapes(self, body: Any, asked: Asked) -> bool:
        """Whether the view's answer is sent otherwise than dumped whole (not a ``Response``)."""
        if isinstance(body, Response):
            return False
        return self.compact is not None or asked.fields is not None

    def send(self, data: Any, asked: Asked) -> Any:
        """The dumped (whole) response as the caller asked for it."""
        if self.item is None:
            return data if asked.fields is None else project(data, asked.fields)
        if not asked.full and self.compact is not None:
            data = {**data, "items": self.compact.dump(data["items"], many=True)}
        return data if asked.fields is None else self.pick(data, asked.fields)

    def pick(self, data: Any, tree: Mapping[str, Any]) -> Any:
        """The fields of ``tree`` of a document, or of each item of a page."""
        if self.item is None:
            return project(data, tree)
        return {**data, "items": [project(item, tree) for item in data["items"]]}


def takes_view(view_function: Any) -> bool:
    """Whether the operation served by ``view_function`` has a compact view (``view``)."""
    return bool(getattr(view_function, "has_views", False))


def current() -> Asked:
    """The current request's choice (``Blueprint.response`` records it before the view runs)."""
    asked: Asked | None = g.get("asked")
    return asked if asked is not None else Asked(True, None)


def project(data: Any, tree: Mapping[str, Any]) -> Any:
    """``data`` with only the fields of ``tree`` (each list element alike)."""
    if isinstance(data, list):
        return [project(element, tree) for element in data]
    if not isinstance(data, dict):
        return data
    return {
        name: data[name] if sub is None else project(data[name], sub)
        for name, sub in tree.items()
        if name in data
    }


def _tree(schema: Schema, raw: str) -> dict[str, Any]:
    if len(raw) > MAX_FIELDS_LENGTH:
        raise ValidationFailed(errors={FIELDS: [f"At most {MAX_FIELDS_LENGTH} characters."]})
    paths = [p.strip() for p in raw.split(",") if p.strip()]
    if not paths or len(paths) > MAX_FIELDS:
        raise ValidationFailed(errors={FIELDS: [f"Name 1 to {MAX_FIELDS} fields."]})
    unknown = [path for path in paths if not _known(schema, path.split("."))]
    if unknown:
        raise ValidationFailed(errors={FIELDS: [f"Unknown field: {p}." for p in unknown]})
    tree: dict[str, Any] = {}
    for path in sorted(paths, key=lambda p: p.count(".")):
        node: dict[str, Any] | None = tree
        *parents, last = path.split(".")
        for name in parents:
            if node is None:
                break
            if name in node and node[name] is None:
                node = None  # the whole parent is sent already
                break
            node = node.setdefault(name, {})
        if node is not None:
            node[last] = None
    return tree


def _known(schema: Schema, parts: list[str]) -> bool:
    by_key = {f.data_key or name: f for name, f in schema.dump_fields.items()}
    field = by_key.get(parts[0])
    if field is None:
        return False
    if len(parts) == 1:
        return True
    inner = field.inner if isinstance(field, fields.List) else field
    if isinstance(inner, fields.Nested):
        return _known(inner.schema, parts[1:])
    # Free-form objects (photo URLs by size, an owner's figures): any key below them.
    return isinstance(inner, fields.Dict | fields.Raw | fields.Method | fields.Function)
