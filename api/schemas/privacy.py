"""Personal-data rights: consents, and the export of everything held about a user."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from api.models import ConsentPurpose
from api.schemas.accounts import MeSchema, OutboxMessageSchema
from api.schemas.businesses import BusinessSchema
from api.schemas.common import BaseSchema, Timestamp
from api.schemas.contact import LeadSchema
from api.schemas.courses import EnrolmentExportSchema
from api.schemas.integration import ApiKeySchema, WebhookSchema
from api.schemas.mentoring import OfferSchema, RequestSchema, SessionSchema
from api.schemas.notifications import NotificationSchema
from api.schemas.orders import OrderSchema
from api.schemas.organizations import MyMembershipSchema
from api.schemas.photos import PhotoSchema
from api.schemas.products import ProductSchema
from api.schemas.program import AssistGrantSchema, AuditEntrySchema, CheckInSchema, ClaimSchema
from api.schemas.reach import (
    CheckInPromptSchema,
    InboundMessageSchema,
    MessagingPreferenceSchema,
    OutreachSchema,
)
from api.schemas.reviews import ReportSchema, ReviewSchema
from api.schemas.sales import SaleSchema
from api.schemas.sponsorship import ConsentSchema, NeedSchema, SponsorshipSchema
from api.schemas.training_events import (
    TrainingCertificateSchema,
    TrainingRegistrationRecordSchema,
)
from api.services.consents import NOTICES


class ConsentGiveSchema(BaseSchema):
    """The purpose you consent to; the notice you were shown is recorded with it."""

    purpose = fields.Enum(ConsentPurpose, by_value=True, required=True)


class ConsentRecordSchema(BaseSchema):
    """A consent for one purpose: when given, with which notice, and when withdrawn."""

    id = fields.String(required=True, metadata={"example": "cst_01JD3XK5Q9V7W2M8N4P6R0S1T2"})
    purpose = fields.Enum(ConsentPurpose, by_value=True, required=True)
    notice_version = fields.String(required=True, metadata={"example": "2026-12"})
    notice = fields.Method("notice_text", required=True)
    granted_at = Timestamp(required=True)
    revoked_at = Timestamp(allow_none=True, required=True)

    def notice_text(self, consent: Any) -> str:
        return NOTICES[consent.purpose][1]


class ConsentRecordListSchema(BaseSchema):
    items = fields.List(fields.Nested(ConsentRecordSchema), required=True)


class SessionExportSchema(BaseSchema):
    """One sign-in of yours."""

    id = fields.String(required=True)
    created_at = Timestamp(required=True)
    last_refreshed_at = Timestamp(allow_none=True, required=True)
    revoked_at = Timestamp(allow_none=True, required=True)
    user_agent = fields.String(allow_none=True, required=True)


class GroupSessionExportSchema(BaseSchema):
    """A workshop you led."""

    id = fields.String(required=True)
    offer_id = fields.String(required=True)
    title = fields.String(required=True)
    starts_at = Timestamp(required=True)
    duration_minutes = fields.Integer(required=True)
    status = fields.String(required=True)
    place = fields.String(allow_none=True, required=True)
    link = fields.String(allow_none=True, required=True)
    agenda = fields.String(required=True)
    notes = fields.String(allow_none=True, required=True)


class AttendeeExportSchema(BaseSchema):
    """A workshop you were invited to or attended."""

    session_id = fields.String(required=True)
    status = fields.String(required=True)
    attended = fields.Boolean(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class MembershipExportSchema(BaseSchema):
    """Your place in a business group."""

    group_id = fields.String(required=True)
    role = fields.String(required=True)
    status = fields.String(required=True)
    invited_at = Timestamp(allow_none=True, required=True)
    joined_at = Timestamp(allow_none=True, required=True)
    ended_at = Timestamp(allow_none=True, required=True)


def _many(schema: type[BaseSchema]) -> fields.List:
    return fields.List(fields.Nested(schema), required=True)


class PersonalDataExportSchema(BaseSchema):
    """Everything Berdaya holds about you, part by part (UU PDP 27/2022, art. 7 and 32)."""

    generated_at = Timestamp(required=True)
    user_id = fields.String(required=True)
    account = fields.Nested(MeSchema, required=True)
    sessions = _many(SessionExportSchema)
    consents = _many(ConsentRecordSchema)
    memberships = _many(MyMembershipSchema)
    assist_grants = _many(AssistGrantSchema)
    notifications = _many(NotificationSchema)
    messages = _many(OutboxMessageSchema)
    messaging_preferences = _many(MessagingPreferenceSchema)
    inbound_messages = _many(InboundMessageSchema)
    check_in_prompts = _many(CheckInPromptSchema)
    outreach = _many(OutreachSchema)
    businesses = _many(BusinessSchema)
    photos = _many(PhotoSchema)
    products = _many(ProductSchema)
    orders_placed = _many(OrderSchema)
    orders_received = _many(OrderSchema)
    reviews_written = _many(ReviewSchema)
    reviews_received = _many(ReviewSchema)
    reports_filed = _many(ReportSchema)
    leads_made = _many(LeadSchema)
    leads_received = _many(LeadSchema)
    mentoring_offers = _many(OfferSchema)
    mentoring_requests = _many(RequestSchema)
    mentoring_requests_taken = _many(RequestSchema)
    mentoring_sessions = _many(SessionSchema)
    course_enrolments = _many(EnrolmentExportSchema)
    group_sessions_led = _many(GroupSessionExportSchema)
    group_sessions_attended = _many(AttendeeExportSchema)
    group_memberships = _many(MembershipExportSchema)
    graduate_claims = _many(ClaimSchema)
    check_ins = _many(CheckInSchema)
    sales = _many(SaleSchema)
    support_needs = _many(NeedSchema)
    sponsorships = _many(SponsorshipSchema)
    sponsor_consents = _many(ConsentSchema)
    training_registrations = _many(TrainingRegistrationRecordSchema)
    training_certificates = _many(TrainingCertificateSchema)
    api_keys = _many(ApiKeySchema)
    webhooks = _many(WebhookSchema)
    audit = _many(AuditEntrySchema)
