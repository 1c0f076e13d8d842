"""Contact on WhatsApp and the leads it records."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import BaseSchema, Text, Timestamp


class ContactSchema(BaseSchema):
    """What the buyer asks about (optional) and a note to add to the message."""

    product_id = fields.String(validate=validate.Length(max=32), load_default=None)
    note = Text(max_length=500, load_default=None)


class ContactAnswerSchema(BaseSchema):
    """The seller's WhatsApp number and a wa.me link that opens the chat with the message."""

    whatsapp = fields.String(required=True, metadata={"example": "+6281287654301"})
    wa_me_url = fields.String(
        required=True, metadata={"example": "https://wa.me/6281287654301?text=Halo..."}
    )
    message = fields.String(required=True)
    lead_id = fields.String(required=True)


class LeadProductSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class LeadSchema(BaseSchema):
    """Someone asked for the business's number (about a product)."""

    id = fields.String(required=True)
    user_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Null for a visitor of a share page who was not signed in."},
    )
    user_name = fields.String(required=True, allow_none=True)
    product = fields.Nested(LeadProductSchema, allow_none=True, required=True)
    channel = fields.String(required=True)
    message = fields.String(required=True)
    created_at = Timestamp(required=True)
