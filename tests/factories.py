"""factory_boy factories for the models; bound to the test's session by the fixtures."""

from __future__ import annotations

import factory
from argon2 import PasswordHasher, profiles
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Availability,
    Business,
    BusinessStatus,
    Category,
    Consent,
    ConsentPurpose,
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
    Product,
    ProductStatus,
    Role,
    User,
)

PASSWORD = "correct horse battery"
_PASSWORD_HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)
_session: Session | None = None


def bind(session: Session | None) -> None:
    global _session
    _session = session


def _current_session() -> Session:
    assert _session is not None, "use the db_session fixture"
    return _session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = _current_session
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    name = factory.Faker("name", locale="id_ID")
    email = factory.Sequence(lambda n: f"user{n}@example.id")
    phone = factory.Sequence(lambda n: f"+62812{n:08d}")
    role = Role.BUYER
    password_hash = _PASSWORD_HASH
    # New accounts default to Indonesian; the suite's users read English (the messages its
    # assertions name) unless a test says otherwise.
    locale = "en"
    # Accounts as they are once registered: the phone (or email) proved by a code.
    phone_verified_at = factory.LazyAttribute(lambda u: utcnow() if u.phone else None)
    email_verified_at = factory.LazyAttribute(lambda u: utcnow() if u.email else None)


class OrganizationFactory(BaseFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisasi {n:03d}")
    kind = OrganizationKind.CSR_COMPANY
    description = "Program CSR untuk UMKM perempuan."


def member_of(
    organization: Organization, user: User, role: MemberRole = MemberRole.MEMBER
) -> Membership:
    """Make the user a member of the organisation."""
    membership = Membership(organization_id=organization.id, user_id=user.id, role=role)
    session = _current_session()
    session.add(membership)
    session.flush()
    return membership


class BusinessFactory(BaseFactory):
    class Meta:
        model = Business

    owner_id = factory.LazyFunction(lambda: UserFactory(role=Role.ALUMNA).id)
    name = factory.Sequence(lambda n: f"Usaha Ibu {n:03d}")
    slug = factory.Sequence(lambda n: f"usaha-ibu-{n:03d}")
    description = "Kue basah dan camilan rumahan."
    category_id = factory.LazyFunction(lambda: _category("snacks-cakes"))
    village_code = "32.75.11.1004"  # Mustikasari, Mustikajaya, Kota Bekasi
    district_code = factory.LazyAttribute(lambda o: o.village_code.rsplit(".", 1)[0])
    regency_code = factory.LazyAttribute(lambda o: o.village_code.rsplit(".", 2)[0])
    address = "Jl. Mustika Raya No. 12, RT 03/RW 05"
    whatsapp = "+6281287654301"
    status = BusinessStatus.ACTIVE

    @factory.post_generation
    def contact_consent(self, create: bool, extracted: bool | None, **_kwargs: object) -> None:
        """An owner who gives a WhatsApp number has consented to its reveal, unless the test
        says ``contact_consent=False``."""
        if create and extracted is not False and self.whatsapp:
            consent_to_contact(self.owner_id)


def consent_to_contact(user_id: str) -> Consent:
    session = _current_session()
    found = session.scalar(
        select(Consent).where(
            Consent.user_id == user_id,
            Consent.purpose == ConsentPurpose.CONTACT_REVEAL,
            Consent.revoked_at.is_(None),
        )
    )
    if found is None:
        found = Consent(
            user_id=user_id, purpose=ConsentPurpose.CONTACT_REVEAL, notice_version="2026-12"
        )
        session.add(found)
        session.flush()
    for business in session.scalars(select(Business).where(Business.owner_id == user_id)):
        business.contact_consented = True  # her businesses carry her consent
    session.flush()
    return found


def _category(slug: str) -> str:
    category_id = _current_session().scalar(select(Category.id).where(Category.slug == slug))
    assert category_id is not None
    return category_id


class ProductFactory(BaseFactory):
    class Meta:
        model = Product

    business = factory.SubFactory(BusinessFactory)
    business_id = factory.LazyAttribute(lambda o: o.business.id)
    name = factory.Sequence(lambda n: f"Kue lapis {n:03d}")
    slug = factory.Sequence(lambda n: f"kue-lapis-{n:03d}")
    description = "Kue lapis legit buatan rumah, tanpa pengawet."
    category_id = factory.LazyFunction(lambda: _category("traditional-cakes"))
    price_idr = 25_000
    unit = "loyang"
    availability = Availability.IN_STOCK
    stock = 10
    status = ProductStatus.PUBLISHED
