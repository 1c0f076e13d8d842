"""Organisations and memberships."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.models import MemberRole, OrganizationKind
from api.schemas.common import (
    BaseSchema,
    Email,
    PageQueryArgsSchema,
    PhoneNumber,
    Text,
    Timestamp,
    sort_field,
)
from api.services.organizations import SORTS


class OrganizationSchema(BaseSchema):
    """A CSR company, university or government office."""

    id = fields.String(metadata={"example": "org_01JD3XK5Q9V7W2M8N4P6R0S1T2"}, required=True)
    name = fields.String(required=True)
    kind = fields.Enum(OrganizationKind, by_value=True, required=True)
    description = fields.String(required=True)
    website = fields.String(allow_none=True, required=True)
    verified = fields.Boolean(required=True)
    verified_at = Timestamp(allow_none=True, required=True)
    data_use_agreement_at = Timestamp(
        allow_none=True,
        required=True,
        metadata={"description": "Set by an admin: its members may read research exports."},
    )
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class OrganizationCreateSchema(BaseSchema):
    """A new organisation; it stays unverified until a platform admin verifies it."""

    name = Text(required=True, min_length=2, max_length=150)
    kind = fields.Enum(OrganizationKind, by_value=True, required=True)
    description = Text(load_default="", max_length=2000)
    website = fields.URL(
        schemes={"http", "https"}, validate=validate.Length(max=300), allow_none=True
    )


class OrganizationPatchSchema(BaseSchema):
    """Editable fields; kind and verification are not among them."""

    name = Text(min_length=2, max_length=150)
    description = Text(max_length=2000)
    website = fields.URL(
        schemes={"http", "https"}, validate=validate.Length(max=300), allow_none=True
    )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class OrganizationQueryArgsSchema(PageQueryArgsSchema):
    """Filters and order of the organisation list."""

    kind = fields.Enum(OrganizationKind, by_value=True)
    verified = fields.Boolean()
    q = Text(max_length=100, metadata={"description": "Part of the name, any case."})
    sort = sort_field(SORTS, "name")


class MembershipSchema(BaseSchema):
    """A member of an organisation."""

    user_id = fields.String(required=True)
    name = fields.String(attribute="user.name", required=True)
    role = fields.Enum(MemberRole, by_value=True, required=True)
    created_at = Timestamp(required=True)


class MyMembershipSchema(BaseSchema):
    """An organisation you belong to, and your role there."""

    organization = fields.Nested(OrganizationSchema, required=True)
    role = fields.Enum(MemberRole, by_value=True, required=True)
    created_at = Timestamp(required=True)


class MemberCreateSchema(BaseSchema):
    """Add an existing account by its email or phone number."""

    email = Email()
    phone = PhoneNumber()
    role = fields.Enum(MemberRole, by_value=True, load_default=MemberRole.MEMBER)

    @validates_schema
    def _identity(self, data: dict[str, Any], **_kwargs: Any) -> None:
        given = [f for f in ("email", "phone") if data.get(f)]
        if len(given) != 1:
            raise ValidationError("Give either an email or a phone number.", "email")
