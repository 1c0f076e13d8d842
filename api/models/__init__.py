"""All models, imported here so that Alembic and the app see one complete metadata."""

from api.models.accounts import AuthSession, LoginFailure, RefreshToken, Role, User
from api.models.businesses import (
    ACTIVE_DAYS,
    DORMANT_DAYS,
    Business,
    BusinessLicence,
    BusinessStatus,
    LicenceKind,
)
from api.models.categories import Category
from api.models.events import Event, Notification
from api.models.idempotency import IdempotencyRecord
from api.models.leads import Lead
from api.models.mentoring import (
    Attendance,
    MentoringFormat,
    MentoringOffer,
    MentoringRequest,
    MentoringSession,
    OfferKind,
    OfferRegion,
    OfferStatus,
    OfferTopic,
    RequestStatus,
    SessionStatus,
    Topic,
)
from api.models.orders import DeliveryMethod, Order, OrderItem, OrderStatus, PaymentMethod
from api.models.organizations import MemberRole, Membership, Organization, OrganizationKind
from api.models.photos import Photo
from api.models.products import Availability, Product, ProductChange, ProductStatus
from api.models.program import (
    CheckIn,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    Program,
    RevenueBand,
    RosterEntry,
    StaffRegion,
)
from api.models.regions import Region, RegionLevel
from api.models.reviews import Review, ReviewReport
from api.models.sales import OffPlatformSale, SaleChannel
from api.models.sponsorship import (
    Disbursement,
    DisbursementStatus,
    Milestone,
    NeedKind,
    NeedStatus,
    SponsorConsent,
    Sponsorship,
    SponsorshipStatus,
    SupportKind,
    SupportNeed,
)

__all__ = [
    "ACTIVE_DAYS",
    "DORMANT_DAYS",
    "Attendance",
    "AuthSession",
    "Availability",
    "Business",
    "BusinessLicence",
    "BusinessStatus",
    "Category",
    "CheckIn",
    "ClaimStatus",
    "Cohort",
    "DeliveryMethod",
    "Disbursement",
    "DisbursementStatus",
    "Event",
    "GraduateClaim",
    "IdempotencyRecord",
    "Lead",
    "LicenceKind",
    "LoginFailure",
    "MemberRole",
    "Membership",
    "MentoringFormat",
    "MentoringOffer",
    "MentoringRequest",
    "MentoringSession",
    "Milestone",
    "NeedKind",
    "NeedStatus",
    "Notification",
    "OffPlatformSale",
    "OfferKind",
    "OfferRegion",
    "OfferStatus",
    "OfferTopic",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Organization",
    "OrganizationKind",
    "PaymentMethod",
    "Photo",
    "Product",
    "ProductChange",
    "ProductStatus",
    "Program",
    "RefreshToken",
    "Region",
    "RegionLevel",
    "RequestStatus",
    "RevenueBand",
    "Review",
    "ReviewReport",
    "Role",
    "RosterEntry",
    "SaleChannel",
    "SessionStatus",
    "SponsorConsent",
    "Sponsorship",
    "SponsorshipStatus",
    "StaffRegion",
    "SupportKind",
    "SupportNeed",
    "Topic",
    "User",
]
