"""Fields and base schemas every resource uses."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from api import phones
from api.dates import rfc3339
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT

NUL_MESSAGE = "Text must not contain NUL characters."


def _nul_errors(value: Any) -> Any:
    """The error tree for NUL characters anywhere in the input (PostgreSQL cannot store them)."""
    if isinstance(value, str):
        return [NUL_MESSAGE] if "\x00" in value else None
    if isinstance(value, Mapping):
        found = {str(k): e for k, v in value.items() if (e := _nul_errors(v)) or "\x00" in str(k)}
        return {k: (e or [NUL_MESSAGE]) for k, e in found.items()} or None
    if isinstance(value, list):
        found_list = {i: e for i, v in enumerate(value) if (e := _nul_errors(v))}
        return found_list or None
    return None


class BaseSchema(Schema):
    """Unknown fields are refused (422 naming them), never silently dropped; so is NUL text."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_nul(self, data: Any, **_kwargs: Any) -> Any:
        errors = _nul_errors(data)
        if errors:
            raise ValidationError(errors if isinstance(errors, dict) else {"_schema": errors})
        return data


class Text(fields.String):
    """A string with surrounding whitespace removed and a documented maximum length."""

    def __init__(self, *, max_length: int, min_length: int = 0, **kwargs: Any) -> None:
        validators = list(kwargs.pop("validate", []))
        validators.append(validate.Length(min=min_length, max=max_length))
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        return result.strip() if isinstance(result, str) else result


class Flag(fields.Boolean):
    """A JSON true or false, nothing else (marshmallow's Boolean also takes 0, "yes"...);
    query strings keep fields.Boolean, where "true" is the only way to say it."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Email(fields.Email):
    """An email address, stored lower-case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(max=254), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        result = super()._deserialize(value, attr, data, **kwargs)
        return result.lower() if isinstance(result, str) else result


class PhoneNumber(fields.String):
    """A phone number in local (0812...) or international (+62 812...) form; E.164 out."""

    default_error_messages = {"invalid_phone": "Not a valid phone number."}

    def __init__(self, *, mobile_only: bool = False, **kwargs: Any) -> None:
        self.mobile_only = mobile_only
        metadata = {"example": "+6281234567890", **kwargs.pop("metadata", {})}
        validators = [*kwargs.pop("validate", []), validate.Length(max=32)]
        super().__init__(metadata=metadata, validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        number = phones.parse(super()._deserialize(value, attr, data, **kwargs))
        if number is None:
            raise self.make_error("invalid_phone")
        if self.mobile_only and not phones.is_indonesian_mobile(number):
            raise ValidationError("Not an Indonesian mobile number.")
        return phones.e164(number)


class Timestamp(fields.DateTime):
    """RFC 3339 in UTC with ``Z``, millisecond precision."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return rfc3339(value)


class Password(fields.String):
    """A password: 8 to 128 characters, never echoed back."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_only=True,
            validate=validate.Length(
                min=8, max=128, error="Password must be at least 8 characters."
            ),
            **kwargs,
        )


class PageQueryArgsSchema(BaseSchema):
    """``limit`` and ``cursor``, common to every list."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Page size, 1-{MAX_LIMIT}."},
    )
    cursor = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "Opaque cursor from the previous page's `next_cursor`."},
    )


class UpdatedSinceQueryArgsSchema(BaseSchema):
    """``updated_since``: the one definition of delta sync, for every list apps cache."""

    updated_since = fields.AwareDateTime(
        format="iso",
        metadata={
            "description": "RFC 3339. Only what changed at or after this time, oldest change "
            "first (`sort` does not apply): the rows still in the list in `items`, and in "
            "`deleted` the ids that left it (deleted, unpublished, hidden, or no longer "
            "matching the filters): remove them from your copy. Page with `next_cursor` as "
            "usual; after the last page, send its `updated_until` as `updated_since` next "
            "time (changes at that instant, or committed late, may come again; none is "
            "missed). Changes are kept as long as events (`EVENT_RETENTION_DAYS`, 90 days); "
            "an app away longer reads the list again. Example: `2026-12-01T08:00:00Z`.",
        },
    )


def report_format(chart: str) -> fields.String:
    """A report's ``format``: JSON, a spreadsheet, or ``chart`` as a picture."""
    return fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv", "xlsx", "svg", "png"]),
        metadata={
            "description": "`csv` (or `Accept: text/csv`) or `xlsx` for a spreadsheet; `svg` or "
            f"`png` for {chart} (labelled in the reader's language, `Accept-Language`)."
        },
    )


class TombstoneSchema(Schema):
    """An id that left the list: delete your copy."""

    id = fields.String(required=True)
    changed_at = Timestamp(required=True)


def sort_field(options: dict[str, Any], default: str) -> fields.String:
    """The ``sort`` query parameter, limited to the list's documented keys."""
    return fields.String(
        load_default=default,
        validate=validate.OneOf(sorted(options)),
        metadata={"description": "Sort key; `-` in front for descending."},
    )


_page_schemas: dict[tuple[type[Schema], type[Schema] | None, bool], type[Schema]] = {}


def href(collection: str) -> fields.Function:
    """A compact list item's link to its whole document (``/v1/<collection>/<id>``)."""
    return fields.Function(
        lambda document: f"/v1/{collection}/{document['id']}",
        required=True,
        metadata={
            "type": "string",
            "description": "The path of the whole document (a list gives it with `view=full`).",
            "example": f"/v1/{collection}/...",
        },
    )


def value_of(enum: type[Enum]) -> fields.String:
    """A compact item's copy of an enum field of the whole document (already its value)."""
    return fields.String(required=True, metadata={"enum": [member.value for member in enum]})


class Either(fields.Raw):
    """A value that is one of ``schemas`` (documented as ``oneOf``; dumped as it is)."""

    def __init__(self, *schemas: type[Schema], **kwargs: Any) -> None:
        self.schemas = schemas
        super().__init__(**kwargs)


def page_of(
    item_schema: type[Schema], *, compact: type[Schema] | None = None, changes: bool = False
) -> type[Schema]:
    """The schema of one page of ``item_schema``: ``{"items": [...], "next_cursor": ...}``.
    With ``compact``, the items are compact by default and whole with ``view=full``
    (``api.http.representation``): the page documents both, and its ``full_page`` dumps.
    With ``changes``, the list takes ``updated_since``, whose pages add ``deleted`` and
    ``updated_until``."""
    key = (item_schema, compact, changes)
    if key not in _page_schemas:
        suffix = "ChangesPageSchema" if changes else "PageSchema"
        name = (compact or item_schema).__name__.removesuffix("Schema") + suffix
        items: fields.Field = fields.List(fields.Nested(item_schema), required=True)
        attrs: dict[str, Any] = {}
        if compact is not None:
            items = fields.List(Either(compact, item_schema), required=True)
            attrs = {
                "full_page": page_of(item_schema, changes=changes),
                "compact_schema": compact,
            }
        attrs["items"] = items
        attrs["next_cursor"] = fields.String(
            allow_none=True,
            required=True,
            metadata={"description": "Pass as `cursor` for the next page; null at the end."},
        )
        if changes:
            attrs["deleted"] = fields.List(
                fields.Nested(TombstoneSchema),
                metadata={"description": "With `updated_since`: ids that left the list."},
            )
            attrs["updated_until"] = Timestamp(
                allow_none=True,
                metadata={
                    "description": "With `updated_since`: the last change this page covers; "
                    "send it as `updated_since` after the last page."
                },
            )
        _page_schemas[key] = type(name, (Schema,), attrs)
    return _page_schemas[key]


class ProblemSchema(Schema):
    """An RFC 9457 problem (application/problem+json)."""

    type = fields.String(metadata={"description": "A URI naming the problem type."})
    title = fields.String(metadata={"description": "Short summary, in the requested language."})
    status = fields.Integer(metadata={"description": "The HTTP status code.", "format": "int32"})
    detail = fields.String(metadata={"description": "What happened, in the requested language."})
    code = fields.String(
        metadata={"description": "Stable machine-readable code, for example `validation_failed`."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "A field's path (`name`, `licences.0.kind`, `region_codes.1`) to a "
            "list of messages (validation problems), in the caller's language."
        },
    )
    request_id = fields.String(metadata={"description": "Quote this when reporting a problem."})
    # Extension members (RFC 9457 section 3.2) of some problem types.
    status_now = fields.String(
        metadata={"description": "`invalid_transition`: the resource's status now."}
    )
    allowed_actions = fields.List(
        fields.String(),
        metadata={"description": "`invalid_transition`: the actions its status allows."},
    )
    product_id = fields.String(
        metadata={"description": "`insufficient_stock`: the product there is too little of."}
    )
    available = fields.Integer(
        metadata={"description": "`insufficient_stock`: how many are left.", "format": "int32"}
    )
    invalid = fields.List(
        fields.Dict(), metadata={"description": "`roster_invalid`: the invalid rows, by line."}
    )
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "`batch_item_refused`: what became of each item of the batch, in the "
            "order sent (`index`, `product_id`, `status`, `etag`, `problem`)."
        },
    )
    duplicates = fields.List(
        fields.Dict(), metadata={"description": "`roster_invalid`: the duplicate rows."}
    )
    open_orders = fields.List(
        fields.String(), metadata={"description": "`erasure_blocked`: orders still open."}
    )
    open_sponsorships = fields.List(
        fields.String(), metadata={"description": "`erasure_blocked`: sponsorships still open."}
    )
    open_mentoring = fields.List(
        fields.String(), metadata={"description": "`erasure_blocked`: mentoring still open."}
    )


class RatingSchema(BaseSchema):
    """Average stars (1-5, two decimals) and the number of visible reviews."""

    average = fields.Float(allow_none=True, required=True, metadata={"example": 4.67})
    count = fields.Integer(required=True)


class ReasonSchema(BaseSchema):
    """Why (shown to the other party)."""

    reason = Text(min_length=3, max_length=500, required=True)


# Dates far outside the program's life are typos, and years near 1 or 9999 overflow time
# zone arithmetic; every date and time field of the API keeps to these years.
YEARS = (1900, 2200)


def _check_year(field: fields.Field, value: Any) -> Any:
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValidationError(f"The year must be between {YEARS[0]} and {YEARS[1]}.")
    return value


class Date(fields.Date):
    """An ISO 8601 date (``2026-11-23``) between the years 1900 and 2200."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return _check_year(self, super()._deserialize(value, attr, data, **kwargs))


class AwareDateTime(fields.AwareDateTime):
    """An RFC 3339 time with its offset (``2026-11-23T09:00:00+07:00``), years 1900-2200."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return _check_year(self, super()._deserialize(value, attr, data, **kwargs))


class OptionalReasonSchema(BaseSchema):
    """Why, if you want to say (shown to the other party)."""

    reason = Text(min_length=3, max_length=500)


class MonthField(fields.String):
    """A calendar month, ``YYYY-MM``; loads as the month's first day, dumps a date's month."""

    PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"example": "2026-11", "pattern": self.PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.match(self.PATTERN, text):
            raise ValidationError("Not a month (YYYY-MM).")
        return dt.date(int(text[:4]), int(text[5:7]), 1)
