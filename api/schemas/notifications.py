"""A user's notifications."""

from __future__ import annotations

from marshmallow import fields

from api.schemas.common import BaseSchema, PageQueryArgsSchema, Timestamp


class NotificationSubjectSchema(BaseSchema):
    type = fields.String(required=True, metadata={"example": "order"})
    id = fields.String(required=True)


class NotificationSchema(BaseSchema):
    """Something happened that concerns you; `type` names it (`order.accepted`, ...)."""

    id = fields.String(required=True, metadata={"example": "ntf_01M84..."})
    type = fields.String(required=True, attribute="event.type")
    event_id = fields.String(required=True, attribute="event.id")
    subject = fields.Nested(NotificationSubjectSchema, required=True)
    data = fields.Dict(required=True, attribute="event.data")
    read = fields.Boolean(required=True)
    read_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class NotificationQueryArgsSchema(PageQueryArgsSchema):
    unread = fields.Boolean(metadata={"description": "true: only unread; false: only read."})


class MarkedSchema(BaseSchema):
    marked = fields.Integer(required=True, metadata={"description": "How many were unread."})
