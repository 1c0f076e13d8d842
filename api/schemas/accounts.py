"""Registration, sign-in, tokens and the caller's own profile."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.models.accounts import SELF_SERVICE_ROLES, Role
from api.schemas.common import (
    BaseSchema,
    Email,
    Flag,
    PageQueryArgsSchema,
    Password,
    PhoneNumber,
    Text,
    Timestamp,
)

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
    phone_verified_at = Timestamp(
        allow_none=True,
        required=True,
        metadata={"description": "When she proved by a code that she holds the phone number."},
    )
    email_verified_at = Timestamp(allow_none=True, required=True)
    code_sign_in = Flag(
        required=True,
        metadata={"description": "She signs in by a code to her verified phone."},
    )
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class MePatchSchema(BaseSchema):
    """Fields the caller may change; role, ids and timestamps are not among them."""

    name = Text(min_length=1, max_length=100)
    email = Email(
        allow_none=True,
        metadata={
            "description": "A new address is stored once verified: a code is sent to it; enter "
            "it at POST /v1/me/email-verification/confirm. null removes the email."
        },
    )
    phone = PhoneNumber(
        allow_none=True,
        metadata={
            "description": "A new number is stored once verified: a code is sent to it; enter "
            "it at POST /v1/me/phone-verification/confirm. null removes the phone."
        },
    )
    locale = fields.String(validate=validate.OneOf(LOCALES))
    code_sign_in = Flag(
        metadata={"description": "Sign in by a code to the verified phone (needs one)."}
    )

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


def _code_field() -> fields.String:
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Regexp(r"^[0-9]{6}$", error="Six digits."),
        metadata={"description": "The six-digit code from the message.", "example": "123456"},
    )


class _ExactlyOne(BaseSchema):
    email = Email()
    phone = PhoneNumber()

    @validates_schema
    def _identity(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _one_of_email_phone(data, exactly=True)


class CodeSentSchema(BaseSchema):
    """The answer to a request for a code: the same whether or not an account exists."""

    channel = fields.String(
        required=True,
        validate=validate.OneOf(["sms", "email"]),
        metadata={"description": "Where a code goes, if one goes anywhere."},
    )
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds a code lives.", "example": 600}
    )


class RegisterConfirmSchema(_ExactlyOne):
    """The phone (or email) registered with, and the code sent to it."""

    code = _code_field()


class PasswordResetRequestSchema(_ExactlyOne):
    """The verified phone (or verified email) of the account."""


class PasswordResetSchema(_ExactlyOne):
    """The phone or email the code went to, the code, and the new password."""

    code = _code_field()
    new_password = Password(required=True)


class CodeSignInRequestSchema(BaseSchema):
    """The verified phone of an account that signs in by code."""

    phone = PhoneNumber(required=True)


class CodeSignInSchema(CodeSignInRequestSchema):
    """The phone and the code sent to it."""

    code = _code_field()


class PhoneVerificationRequestSchema(BaseSchema):
    """A new number to verify; without one, the account's current number."""

    phone = PhoneNumber()


class EmailVerificationRequestSchema(BaseSchema):
    """A new email address to verify; without one, the account's current address."""

    email = Email()


class VerificationCodeSchema(BaseSchema):
    """The code sent to the number or email address."""

    code = _code_field()


class RecoveryCreateSchema(BaseSchema):
    """Whose account, and her new number (without one, the code is handed to you)."""

    user_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    phone = PhoneNumber(
        metadata={"description": "Her new number: the code goes there and becomes her phone."}
    )


class RecoverySchema(BaseSchema):
    """A recovery started by a facilitator."""

    id = fields.String(required=True)
    user_id = fields.String(required=True)
    delivery = fields.String(
        required=True,
        validate=validate.OneOf(["sms", "facilitator"]),
        metadata={"description": "sms: sent to her new number; facilitator: in `code`."},
    )
    expires_at = Timestamp(required=True)
    code = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "The one-time reset code to give her in person (delivery "
            "facilitator); she enters it with her phone or email and a new password at "
            "POST /v1/auth/password-reset/confirm."
        },
    )


class OutboxMessageSchema(BaseSchema):
    """A message in the development outbox."""

    id = fields.String(required=True)
    channel = fields.String(required=True)
    recipient = fields.String(required=True)
    locale = fields.String(required=True)
    template = fields.String(required=True)
    body = fields.String(required=True)
    status = fields.String(required=True)
    created_at = Timestamp(required=True)


class OutboxQueryArgsSchema(PageQueryArgsSchema):
    """Filter the outbox by recipient."""

    recipient = fields.String(validate=validate.Length(max=254))
