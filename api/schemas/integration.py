"""API keys, the events feed and webhooks."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from api.db import utcnow
from api.models import DeliveryStatus
from api.pagination import MAX_LIMIT
from api.schemas.common import (
    AwareDateTime,
    BaseSchema,
    Flag,
    PageQueryArgsSchema,
    Text,
    Timestamp,
)
from api.services.api_keys import SCOPES
from api.services.events import TYPE_PATTERN

SCOPE_LIST = ", ".join(f"`{s}`" for s in SCOPES)


class UserRefSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ApiKeySchema(BaseSchema):
    """An app's key; the secret itself is shown only when it is made."""

    id = fields.String(required=True, metadata={"example": "key_01JD3XK5Q9V7W2M8N4P6R0S1T2"})
    name = fields.String(required=True)
    prefix = fields.String(
        required=True, metadata={"description": "The secret's first characters, to recognise it."}
    )
    scopes = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "revoked", "expired"]))
    created_by = fields.Nested(UserRefSchema, required=True)
    created_at = Timestamp(required=True)
    expires_at = Timestamp(allow_none=True, required=True)
    last_used_at = Timestamp(
        allow_none=True,
        required=True,
        metadata={"description": "Last successful use, to the minute."},
    )
    revoked_at = Timestamp(allow_none=True, required=True)


class ApiKeyCreatedSchema(ApiKeySchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "Send as `X-API-Key`. Shown this once: only a hash is kept.",
            "example": "bdk_4nQ...",
        },
    )


class ApiKeyCreateSchema(BaseSchema):
    """A new key: a name to recognise it by, its scopes, and when it should stop working."""

    name = Text(required=True, min_length=1, max_length=100)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(list(SCOPES))),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": f"One or more of {SCOPE_LIST}."},
    )
    expires_at = AwareDateTime(metadata={"description": "Optional; in the future."})

    @validates("expires_at")
    def _future(self, value: Any, **_kwargs: Any) -> None:
        if value <= utcnow():
            raise ValidationError("Must be in the future.")


class EventSubjectSchema(BaseSchema):
    type = fields.String(required=True, metadata={"example": "product"})
    id = fields.String(required=True)


class EventSchema(BaseSchema):
    """A state change. `id` is unique (deduplicate by it); `seq` orders the feed."""

    id = fields.String(required=True, metadata={"example": "evt_01JD3XK5Q9V7W2M8N4P6R0S1T2"})
    seq = fields.Integer(required=True, metadata={"description": "Pass as `after` to go on."})
    type = fields.String(required=True, metadata={"example": "product.published"})
    occurred_at = Timestamp(required=True)
    subject = fields.Nested(EventSubjectSchema, required=True)
    tombstone = fields.Boolean(
        required=True,
        metadata={"description": "The subject is gone for you: delete your copy of it."},
    )
    data = fields.Dict(required=True)


def _types(value: str) -> list[str]:
    types = [t.strip() for t in value.split(",") if t.strip()]
    if not types or len(types) > 30 or not all(TYPE_PATTERN.match(t) for t in types):
        raise ValidationError(
            "A comma-separated list of up to 30 types such as product.published or product.*"
        )
    return types


class EventTypesField(fields.String):
    """``product.published,order.*``: exact types or a subject's every type."""

    MAX_LENGTH = 1000

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"maxLength": self.MAX_LENGTH, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.MAX_LENGTH:
            raise ValidationError(f"At most {self.MAX_LENGTH} characters.")
        return _types(text)


class EventQueryArgsSchema(BaseSchema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**62),
        metadata={"description": "The `seq` of the last event you have; 0 from the oldest kept."},
    )
    types = EventTypesField(
        metadata={"description": "Comma-separated types; `product.*` matches a subject's all."}
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_LIMIT * 10),
        metadata={"description": "Events per page, 1-1000."},
    )


class EventPageSchema(BaseSchema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_after = fields.Integer(
        required=True,
        metadata={"description": "Pass as `after` next time (also when there was nothing new)."},
    )
    has_more = fields.Boolean(required=True, metadata={"description": "Ask again at once."})


class WebhookSchema(BaseSchema):
    """A subscription: matching events are POSTed, signed, to `url`."""

    id = fields.String(required=True, metadata={"example": "whk_01JD3XK5Q9V7W2M8N4P6R0S1T2"})
    organization_id = fields.String(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    disabled_at = Timestamp(allow_none=True, required=True)
    disabled_reason = fields.String(allow_none=True, required=True)
    failing_since = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": (
                "The signing secret (`whsec_` + base64), shown this once. Verify "
                "`webhook-signature` with it (Standard Webhooks)."
            )
        },
    )


def _event_types_field(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=[validate.Length(max=60), validate.Regexp(TYPE_PATTERN)]),
        validate=validate.Length(min=1, max=30),
        metadata={"description": "Types such as `product.published`, `order.*`, or `*`."},
        **kwargs,
    )


class WebhookCreateSchema(BaseSchema):
    organization_id = fields.String(
        required=True, validate=validate.Length(max=40), metadata={"description": "Whose."}
    )
    url = Text(required=True, max_length=500, metadata={"example": "https://example.id/hooks"})
    description = Text(load_default="", max_length=300)
    event_types = _event_types_field(required=True)


class WebhookPatchSchema(BaseSchema):
    url = Text(max_length=500)
    description = Text(max_length=300)
    event_types = _event_types_field()
    active = Flag(metadata={"description": "true re-enables a disabled webhook."})

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class WebhookQueryArgsSchema(PageQueryArgsSchema):
    organization_id = fields.String(validate=validate.Length(max=40))


class AttemptSchema(BaseSchema):
    attempted_at = Timestamp(required=True)
    status_code = fields.Integer(allow_none=True, required=True)
    error = fields.String(allow_none=True, required=True)
    duration_ms = fields.Integer(required=True)


class DeliverySchema(BaseSchema):
    """One event sent to one webhook, with every attempt."""

    id = fields.String(required=True, metadata={"example": "whd_01JD3XK5Q9V7W2M8N4P6R0S1T2"})
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.Enum(DeliveryStatus, by_value=True, required=True)
    attempt_count = fields.Integer(required=True)
    next_attempt_at = Timestamp(
        allow_none=True, required=True, metadata={"description": "While pending."}
    )
    last_status_code = fields.Integer(allow_none=True, required=True)
    last_error = fields.String(allow_none=True, required=True)
    redelivery_of_id = fields.String(allow_none=True, required=True)
    created_at = Timestamp(required=True)
    finished_at = Timestamp(allow_none=True, required=True)
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class DeliveryQueryArgsSchema(PageQueryArgsSchema):
    status = fields.Enum(DeliveryStatus, by_value=True)
