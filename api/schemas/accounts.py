"""Registration, sign-in, tokens and the caller's own profile."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.models.accounts import SELF_SERVICE_ROLES, Role
from api.schemas.common import BaseSchema, Email, Password, PhoneNumber, Text, Timestamp

LOCALES = ("id", "en")


def _one_of_email_phone(data: dict[str, Any], *, exactly: bool) -> None:
    given = [f for f in ("email", "phone") if data.get(f)]
    if not given:
        raise ValidationError("Give an email or a phone number.", "email")
    if exactly and len(given) > 1:
        raise ValidationError("Give either an email or a phone number, not both.", "phone")


class RegisterSchema(BaseSchema):
    """A new account. An email or a phone number (or both) identifies it at sign-in."""

    email = Email()
    phone = PhoneNumber()
    password = Password(required=True)
    name = Text(required=True, min_length=1, max_length=100)
    role = fields.String(
        required=True,
        validate=validate.OneOf([r.value for r in SELF_SERVICE_ROLES]),
        metadata={"description": "Admins are not self-registered; an operator creates them."},
    )
    locale = fields.String(load_default="id", validate=validate.OneOf(LOCALES))

    @validates_schema
    def _identity(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _one_of_email_phone(data, exactly=False)


class LoginSchema(BaseSchema):
    """Sign in with an email or a phone number, and the password."""

    email = Email()
    phone = PhoneNumber()
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=128)
    )

    @validates_schema
    def _identity(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _one_of_email_phone(data, exactly=True)


class RefreshSchema(BaseSchema):
    """A refresh token to rotate."""

    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(BaseSchema):
    """An access token for requests and a single-use refresh token to get the next one."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds until the access token expires."}
    )


class MeSchema(BaseSchema):
    """The caller's own account."""

    id = fields.String(
        dump_only=True, metadata={"example": "usr_01JD3XK5Q9V7W2M8N4P6R0S1T2"}, required=True
    )
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, metadata={"example": "+6281234567890"}, required=True)
    name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    locale = fields.String(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class MePatchSchema(BaseSchema):
    """Fields the caller may change; role, ids and timestamps are not among them."""

    name = Text(min_length=1, max_length=100)
    email = Email(allow_none=True)
    phone = PhoneNumber(allow_none=True)
    locale = fields.String(validate=validate.OneOf(LOCALES))

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class PasswordChangeSchema(BaseSchema):
    """The current password and the new one."""

    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=128)
    )
    new_password = Password(required=True)
