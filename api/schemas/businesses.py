"""Businesses: what the owner writes, what she sees, and what the public sees."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from api.models import BusinessStatus, LicenceKind
from api.schemas.common import (
    BaseSchema,
    Date,
    Flag,
    PageQueryArgsSchema,
    PhoneNumber,
    RatingSchema,
    Text,
    Timestamp,
    UpdatedSinceQueryArgsSchema,
    href,
    sort_field,
)
from api.schemas.photos import PhotoSchema, thumbnail_url
from api.schemas.references import CategoryFilter, Place, PlaceSchema, RegionFilter
from api.services.businesses import SORTS
from api.services.regions import CODE_PATTERN

# Marketing channels and the hosts their links may point at.
CHANNEL_HOSTS = {
    "instagram": ("instagram.com",),
    "tiktok": ("tiktok.com",),
    "facebook": ("facebook.com", "fb.com", "fb.me"),
    "shopee": ("shopee.co.id", "shopee.com"),
    "tokopedia": ("tokopedia.com", "tokopedia.link"),
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM, 24-hour.")


class ChannelLink(fields.URL):
    """An https link to one platform (a typo'd or foreign host is refused)."""

    def __init__(self, platform: str, **kwargs: Any) -> None:
        self.hosts = CHANNEL_HOSTS[platform]
        super().__init__(
            schemes={"https"},
            validate=validate.Length(max=300),
            allow_none=True,
            metadata={"example": f"https://{self.hosts[0]}/tokobusiti"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        url = super()._deserialize(value, attr, data, **kwargs)
        host = (urlsplit(url).hostname or "").lower()
        if not any(host == h or host.endswith("." + h) for h in self.hosts):
            raise ValidationError(f"Must be a link to {' or '.join(self.hosts)}.")
        return url


class ChannelsSchema(BaseSchema):
    """Where else the business sells; links only to the platforms named."""

    instagram = ChannelLink("instagram")
    tiktok = ChannelLink("tiktok")
    facebook = ChannelLink("facebook")
    shopee = ChannelLink("shopee")
    tokopedia = ChannelLink("tokopedia")


class OpeningHoursSchema(BaseSchema):
    """Opening time on one day of the week (several entries per day are allowed)."""

    day = fields.String(required=True, validate=validate.OneOf(DAYS))
    opens = fields.String(required=True, validate=TIME, metadata={"example": "08:00"})
    closes = fields.String(required=True, validate=TIME, metadata={"example": "17:00"})

    @validates_schema
    def _order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["opens"] >= data["closes"]:
            raise ValidationError("Must be after opens.", "closes")


class LicenceSchema(BaseSchema):
    """A licence or certificate: NIB, P-IRT, halal or BPOM."""

    kind = fields.Enum(LicenceKind, by_value=True, required=True)
    number = Text(required=True, min_length=3, max_length=60)
    issued_on = Date(allow_none=True, load_default=None)
    expires_on = Date(allow_none=True, load_default=None)

    @validates_schema
    def _dates(self, data: dict[str, Any], **_kwargs: Any) -> None:
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and issued > dt.datetime.now(dt.UTC).date():
            raise ValidationError("Cannot be in the future.", "issued_on")
        if issued and expires and expires <= issued:
            raise ValidationError("Must be after issued_on.", "expires_on")


class BusinessWriteSchema(BaseSchema):
    """Fields an owner writes; status, owner, slug and verification are not among them."""

    name = Text(min_length=3, max_length=100, metadata={"example": "Kue Basah Bu Siti"})
    description = Text(max_length=2000)
    category_id = fields.String(validate=validate.Length(max=32))
    village_code = fields.String(
        validate=validate.Regexp(CODE_PATTERN, error="Not a region code."),
        metadata={"example": "32.75.11.1004", "description": "The village (kelurahan or desa)."},
    )
    address = Text(max_length=300, allow_none=True, metadata={"description": "Private."})
    whatsapp = PhoneNumber(
        mobile_only=True, allow_none=True, metadata={"description": "Private; revealed by contact."}
    )
    contact_consent = Flag(
        load_only=True,
        metadata={
            "description": "true: you consent to your WhatsApp number being shown to signed-in "
            "buyers who tap Contact (the `contact_reveal` consent of `/v1/me/consents`, for all "
            "your businesses); false withdraws it. Only you, not a facilitator, can send it."
        },
    )
    channels = fields.Nested(ChannelsSchema)
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), validate=validate.Length(max=21))
    founded_on = Date(allow_none=True)
    licences = fields.List(fields.Nested(LicenceSchema), validate=validate.Length(max=10))

    @validates("founded_on")
    def _not_future(self, value: dt.date | None, **_kwargs: Any) -> None:
        if value and value > dt.datetime.now(dt.UTC).date():
            raise ValidationError("Cannot be in the future.")


class BusinessCreateSchema(BusinessWriteSchema):
    """A new business; it starts as a draft only its owner sees."""

    name = Text(required=True, min_length=3, max_length=100)
    category_id = fields.String(required=True, validate=validate.Length(max=32))
    village_code = fields.String(
        required=True, validate=validate.Regexp(CODE_PATTERN, error="Not a region code.")
    )
    description = Text(max_length=2000, load_default="")
    channels = fields.Nested(ChannelsSchema, load_default=dict)
    opening_hours = fields.List(
        fields.Nested(OpeningHoursSchema), validate=validate.Length(max=21), load_default=list
    )
    licences = fields.List(
        fields.Nested(LicenceSchema), validate=validate.Length(max=10), load_default=list
    )


class BusinessPatchSchema(BusinessWriteSchema):
    """Changes to a business; `licences`, when given, replaces the whole list."""

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class CategoryRefSchema(BaseSchema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)


class BusinessPrivateSchema(BaseSchema):
    """What only the owner (and admins) see."""

    village = Place(required=True)
    address = fields.String(allow_none=True, required=True)
    whatsapp = fields.String(allow_none=True, required=True)
    contact_missing = fields.List(
        fields.String(metadata={"enum": ["whatsapp", "contact_consent"]}),
        required=True,
        metadata={
            "description": "What stops buyers contacting you (empty: they can): `whatsapp`, "
            "no number; `contact_consent`, send `contact_consent: true` (or give the "
            "`contact_reveal` consent)."
        },
    )


ACTIVITY_STATUS = {
    "enum": ["active", "at_risk", "dormant", "closed"],
    "description": "active: a check-in, order or listing change in the last 60 days; "
    "at_risk: 60-120 days; dormant: over 120; closed: declared.",
}


class BusinessSchema(BaseSchema):
    """A business. `private` is null unless the caller owns it (or is an admin)."""

    id = fields.String(required=True, metadata={"example": "bus_01M84..."})
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.Nested(CategoryRefSchema, required=True)
    district = Place(required=True)
    regency = Place(required=True)
    channels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), required=True)
    founded_on = Date(allow_none=True, required=True)
    licences = fields.List(fields.Nested(LicenceSchema), required=True)
    photos = fields.List(fields.Nested(PhotoSchema), required=True)
    status = fields.Enum(BusinessStatus, by_value=True, required=True)
    verified_graduate = fields.Boolean(required=True)
    contactable = fields.Boolean(
        required=True,
        metadata={
            "description": "Whether `POST /v1/businesses/{id}/contact` can answer with a number "
            "(the owner gave one and consented to it being shown)."
        },
    )
    activity_status = fields.String(required=True, metadata=ACTIVITY_STATUS)
    rating = fields.Nested(RatingSchema, required=True)
    private = fields.Method("private_part", required=True, allow_none=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)

    def private_part(self, business: Any) -> dict[str, Any] | None:
        if not getattr(business, "show_private", False):
            return None
        dumped: dict[str, Any] = BusinessPrivateSchema().dump(business)
        return dumped


class BusinessSummarySchema(BaseSchema):
    """A business as a list row shows it (the default in lists; `view=full` for `Business`)."""

    id = fields.String(required=True, metadata={"example": "bus_01M84..."})
    name = fields.String(required=True)
    category = fields.Nested(CategoryRefSchema, required=True)
    district = fields.Nested(PlaceSchema, required=True)
    thumbnail_url = thumbnail_url()
    verified_graduate = fields.Boolean(required=True)
    activity_status = fields.String(required=True, metadata=ACTIVITY_STATUS)
    rating = fields.Nested(RatingSchema, required=True)
    href = href("businesses")


class BusinessQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    """Filters of the public business list."""

    category = CategoryFilter()
    region = RegionFilter()
    verified_graduate = fields.Boolean()
    q = Text(min_length=1, max_length=100, metadata={"description": "Part of the name."})
    sort = sort_field(SORTS, "name")


class MyBusinessQueryArgsSchema(PageQueryArgsSchema):
    """Filters of the caller's own businesses."""

    status = fields.Enum(BusinessStatus, by_value=True)
    sort = sort_field(SORTS, "created_at")
