"""All models, imported here so that Alembic and the app see one complete metadata."""

from api.models.accounts import AuthSession, LoginFailure, RefreshToken, Role, User
from api.models.businesses import Business, BusinessLicence, BusinessStatus, LicenceKind
from api.models.categories import Category
from api.models.idempotency import IdempotencyRecord
from api.models.leads import Lead
from api.models.organizations import MemberRole, Membership, Organization, OrganizationKind
from api.models.photos import Photo
from api.models.products import Availability, Product, ProductChange, ProductStatus
from api.models.regions import Region, RegionLevel

__all__ = [
    "AuthSession",
    "Availability",
    "Business",
    "BusinessLicence",
    "BusinessStatus",
    "Category",
    "IdempotencyRecord",
    "Lead",
    "LicenceKind",
    "LoginFailure",
    "MemberRole",
    "Membership",
    "Organization",
    "OrganizationKind",
    "Photo",
    "Product",
    "ProductChange",
    "ProductStatus",
    "RefreshToken",
    "Region",
    "RegionLevel",
    "Role",
    "User",
]
