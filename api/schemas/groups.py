"""Business groups: the group, its members and roles, invitations, equipment."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.models import GroupKind, GroupMemberStatus, GroupRole
from api.schemas.common import BaseSchema, Date, Text, Timestamp
from api.schemas.mentoring import PersonRefSchema
from api.schemas.references import Place
from api.services.regions import CODE_PATTERN

ID_LENGTH = validate.Length(min=1, max=32)


class GroupWriteSchema(BaseSchema):
    name = Text(min_length=3, max_length=120)
    kind = fields.Enum(
        GroupKind,
        by_value=True,
        metadata={"description": "`kelompok_usaha`, `kub` (Kelompok Usaha Bersama) or `koperasi`."},
    )
    description = Text(max_length=2000)
    village_code = fields.String(validate=validate.Regexp(CODE_PATTERN, error="Not a region code."))


class GroupCreateSchema(GroupWriteSchema):
    """A new group; you are its ketua."""

    name = Text(min_length=3, max_length=120, required=True)
    kind = fields.Enum(GroupKind, by_value=True, required=True)
    description = Text(max_length=2000, load_default="")
    village_code = fields.String(
        required=True, validate=validate.Regexp(CODE_PATTERN, error="Not a region code.")
    )


class GroupPatchSchema(GroupWriteSchema):
    """Changes to the group (its ketua; send If-Match)."""

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class MemberSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "gmb_01M84..."})
    user = fields.Nested(
        PersonRefSchema,
        attribute="shown_user",
        allow_none=True,
        required=True,
        metadata={"description": "Who she is; `null` until she accepts an invitation."},
    )
    phone = fields.String(
        attribute="shown_phone",
        allow_none=True,
        required=True,
        metadata={
            "description": "Her phone number masked (`0821****5504`) until she accepts; "
            "`null` once she has (or when she has no phone).",
            "example": "0821****5504",
        },
    )
    role = fields.Enum(GroupRole, by_value=True, required=True)
    status = fields.Enum(GroupMemberStatus, by_value=True, required=True)
    invited_at = Timestamp(allow_none=True, required=True)
    joined_at = Timestamp(allow_none=True, required=True)
    ended_at = Timestamp(allow_none=True, required=True)


class GroupSchema(BaseSchema):
    """A group as its members and staff see it."""

    id = fields.String(required=True, metadata={"example": "grp_01M84..."})
    name = fields.String(required=True)
    kind = fields.Enum(GroupKind, by_value=True, required=True)
    description = fields.String(required=True)
    village = Place(attribute="village_code", required=True)
    members_count = fields.Integer(required=True, metadata={"description": "Active members."})
    my_role = fields.Enum(GroupRole, by_value=True, allow_none=True, required=True)
    my_status = fields.Enum(GroupMemberStatus, by_value=True, allow_none=True, required=True)
    business_ids = fields.List(fields.String(), required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class InvitationCreateSchema(BaseSchema):
    """Whom to invite (her phone number or account id) and with which role."""

    phone = fields.String(validate=validate.Length(min=6, max=32))
    user_id = fields.String(validate=ID_LENGTH)
    role = fields.Enum(
        GroupRole,
        by_value=True,
        load_default=GroupRole.ANGGOTA,
        metadata={"description": "`sekretaris`, `bendahara` or `anggota` (default)."},
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if bool(data.get("phone")) == bool(data.get("user_id")):
            raise ValidationError("Give `phone` or `user_id`.", "_schema")


class RoleChangeSchema(BaseSchema):
    role = fields.Enum(GroupRole, by_value=True, required=True)


class GroupBusinessSchema(BaseSchema):
    business_id = fields.String(required=True, validate=ID_LENGTH)


class EquipmentCreateSchema(BaseSchema):
    name = Text(min_length=2, max_length=120, required=True)
    quantity = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=10_000)
    )
    value_idr = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000_000_000)
    )
    received_on = Date(required=True)
    source = Text(max_length=200, load_default="")
    sponsorship_id = fields.String(allow_none=True, validate=ID_LENGTH)


class EquipmentSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "geq_01M84..."})
    group_id = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    value_idr = fields.Integer(allow_none=True, required=True)
    received_on = Date(required=True)
    source = fields.String(required=True)
    sponsorship_id = fields.String(allow_none=True, required=True)
    created_at = Timestamp(required=True)
