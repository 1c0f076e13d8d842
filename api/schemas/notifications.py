"""A user's notifications."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from api.http.context import language
from api.i18n import notification_text
from api.schemas.common import BaseSchema, PageQueryArgsSchema, Timestamp


class NotificationSubjectSchema(BaseSchema):
    type = fields.String(required=True, metadata={"example": "order"})
    id = fields.String(required=True)


class NotificationSchema(BaseSchema):
    """Something happened that concerns you; `type` names it (`order.accepted`, ...)."""

    id = fields.String(required=True, metadata={"example": "ntf_01M84..."})
    title = fields.Method(
        "_title",
        required=True,
        metadata={
            "type": "string",
            "description": "What happened, in the reader's language (Accept-Language).",
            "example": "Pesanan diterima",
        },
    )
    text = fields.Method(
        "_text",
        required=True,
        metadata={
            "type": "string",
            "description": "One sentence to show her, in the reader's language.",
            "example": "Penjual menerima pesanan Anda.",
        },
    )
    type = fields.String(required=True, attribute="event.type")
    event_id = fields.String(required=True, attribute="event.id")
    subject = fields.Nested(NotificationSubjectSchema, required=True)
    data = fields.Dict(required=True, attribute="event.data")
    read = fields.Boolean(required=True)
    read_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)

    def _title(self, notification: Any) -> str:
        event = notification.event
        return notification_text(event.type, event.data, language())[0]

    def _text(self, notification: Any) -> str:
        event = notification.event
        return notification_text(event.type, event.data, language())[1]


class NotificationQueryArgsSchema(PageQueryArgsSchema):
    unread = fields.Boolean(metadata={"description": "true: only unread; false: only read."})


class MarkedSchema(BaseSchema):
    marked = fields.Integer(required=True, metadata={"description": "How many were unread."})
