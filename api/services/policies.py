"""The ownership rules of every model, in one file (imported once by the app factory)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session

import api.services.sponsorship.targets as targets
from api.catalogue.listing import business_is_public, product_is_public
from api.models import (
    Business,
    BusinessGroup,
    Course,
    CourseEnrolment,
    CourseStatus,
    GroupRole,
    GroupSession,
    MemberRole,
    Membership,
    MentoringOffer,
    MentoringRequest,
    OfferStatus,
    Order,
    Organization,
    Product,
    RequestStatus,
    Review,
    Role,
    SessionStatus,
    Sponsorship,
    SupportNeed,
    TrainingCertificate,
    TrainingEvent,
    TrainingRegistration,
    User,
)
from api.services import groups
from api.services.authz import Actor, rule
from api.services.sponsorship.consents import consented_for
from api.services.training.common import is_organizer, runs


def membership_of(actor: Actor, organization: Organization) -> Membership | None:
    """The actor's membership of the organisation, if any."""
    session = object_session(organization)
    if actor.user_id is None or session is None:
        return None
    return session.get(Membership, (organization.id, actor.user_id))


@rule(User, "view", "edit")
def _own_account(actor: Actor, user: User) -> bool:
    return actor.user_id == user.id


@rule(Organization, "view")
def _organization_public(actor: Actor, organization: Organization) -> bool:
    return True


@rule(Organization, "edit", "manage_members")
def _organization_admins(actor: Actor, organization: Organization) -> bool:
    if actor.is_admin:
        return True
    membership = membership_of(actor, organization)
    return membership is not None and membership.role == MemberRole.ADMIN


@rule(Organization, "manage_keys")
def _organization_member_admins(actor: Actor, organization: Organization) -> bool:
    """Keys and webhooks act as the member who makes them: only the organisation's admins."""
    membership = membership_of(actor, organization)
    return membership is not None and membership.role == MemberRole.ADMIN


@rule(Organization, "view_members")
def _organization_members(actor: Actor, organization: Organization) -> bool:
    return actor.is_admin or membership_of(actor, organization) is not None


@rule(Organization, "verify")
def _platform_admins(actor: Actor, organization: Organization) -> bool:
    return actor.is_admin


@rule(Business, "view")
def _business_public_when_active(actor: Actor, business: Business) -> bool:
    return business_is_public(business) or _business_owner(actor, business)


@rule(Business, "edit")
def _business_owner(actor: Actor, business: Business) -> bool:
    # Admins act on businesses in their regions only; out of scope looks like not found.
    if actor.admin_over(business.village_code):
        return True
    if actor.user_id is None:
        return False
    if actor.user_id == business.owner_id:
        return True
    # A group's business: its officers edit it as its owner does.
    session = object_session(business)
    return (
        business.group_id is not None
        and session is not None
        and groups.is_officer(session, business.group_id, actor.user_id)
    )


@rule(BusinessGroup, "view")
def _group_members_and_staff(actor: Actor, group: BusinessGroup) -> bool:
    """Its members (and women invited), and staff working where it is."""
    if actor.covers(group.village_code):
        return True
    session = object_session(group)
    return session is not None and groups.is_member_or_invited(session, group.id, actor.user_id)


@rule(BusinessGroup, "edit")
def _group_ketua_or_admin(actor: Actor, group: BusinessGroup) -> bool:
    return actor.admin_over(group.village_code) or _group_ketua(actor, group)


@rule(BusinessGroup, "manage_members")
def _group_ketua(actor: Actor, group: BusinessGroup) -> bool:
    session = object_session(group)
    return session is not None and groups.role_of(session, group.id, actor.user_id) == (
        GroupRole.KETUA
    )


@rule(BusinessGroup, "record")
def _group_officers(actor: Actor, group: BusinessGroup) -> bool:
    session = object_session(group)
    return session is not None and groups.is_officer(session, group.id, actor.user_id)


@rule(Product, "view")
def _product_public_when_published(actor: Actor, product: Product) -> bool:
    return product_is_public(product) or _business_owner(actor, product.business)


@rule(Product, "edit")
def _product_owner(actor: Actor, product: Product) -> bool:
    return _business_owner(actor, product.business)


@rule(Order, "view")
def _order_parties(actor: Actor, order: Order) -> bool:
    return actor.admin_over(order.business.village_code) or (
        actor.user_id is not None and actor.user_id in (order.buyer_id, order.business.owner_id)
    )


@rule(Review, "view")
def _review_visible(actor: Actor, review: Review) -> bool:
    return (
        not review.hidden
        or _review_moderators(actor, review)
        or (actor.user_id is not None and actor.user_id == review.author_id)
    )


@rule(Review, "edit")
def _review_author(actor: Actor, review: Review) -> bool:
    return actor.user_id is not None and actor.user_id == review.author_id


@rule(Review, "reply")
def _review_seller(actor: Actor, review: Review) -> bool:
    session = object_session(review)
    business = session.get(Business, review.business_id) if session else None
    return business is not None and actor.user_id == business.owner_id


@rule(Review, "moderate")
def _review_moderators(actor: Actor, review: Review) -> bool:
    if not actor.is_admin:
        return False
    session = object_session(review)
    business = session.get(Business, review.business_id) if session else None
    return business is not None and actor.admin_over(business.village_code)


@rule(Business, "view_figures")
def _business_figures(actor: Actor, business: Business) -> bool:
    """Her figures: the owner, admins, and members of organisations she consented to (now)."""
    if _business_owner(actor, business):
        return True
    session = object_session(business)
    return session is not None and consented_for(session, business.id, actor.user_id)


@rule(MentoringOffer, "view")
def _offer_public_while_active(actor: Actor, offer: MentoringOffer) -> bool:
    return offer.status == OfferStatus.ACTIVE or _offer_owner(actor, offer)


@rule(MentoringOffer, "edit")
def _offer_owner(actor: Actor, offer: MentoringOffer) -> bool:
    return actor.is_admin or (actor.user_id is not None and actor.user_id == offer.mentor_id)


@rule(MentoringRequest, "view")
def _request_parties_or_mentors_while_open(actor: Actor, request: MentoringRequest) -> bool:
    if actor.user_id is not None and actor.user_id in (request.alumna_id, request.mentor_id):
        return True
    if actor.is_admin:
        return actor.admin_over(request.region_code) or actor.regions is None
    return actor.role == Role.MENTOR and request.status == RequestStatus.OPEN


@rule(SupportNeed, "view")
def _need_public_while_business_active(actor: Actor, need: SupportNeed) -> bool:
    """A business's need while the business is public; a group's or a cohort's: listed for
    sponsors like any need (it names the target and its region, nobody's personal data)."""
    if need.business is not None:
        return _business_public_when_active(actor, need.business)
    return True


@rule(SupportNeed, "edit")
def _need_owner(actor: Actor, need: SupportNeed) -> bool:
    if need.business is not None:
        return _business_owner(actor, need.business)
    return targets.is_recipient(actor, need)


@rule(Sponsorship, "view")
def _sponsorship_parties(actor: Actor, sponsorship: Sponsorship) -> bool:
    if actor.user_id is None:
        return False
    session = object_session(sponsorship)
    if session is None:
        return False
    if actor.admin_over(targets.region_of(session, sponsorship)):
        return True
    if targets.is_recipient(actor, sponsorship) or targets.is_member(actor, sponsorship):
        return True
    return session.get(Membership, (sponsorship.organization_id, actor.user_id)) is not None


@rule(GroupSession, "view")
def _group_session_people(actor: Actor, meeting: GroupSession) -> bool:
    """Its mentor, her university, its attendees and admins; any alumna while it is open."""
    if actor.user_id is None:
        return False
    if actor.is_admin or _group_session_mentor(actor, meeting):
        return True
    if any(a.alumna_id == actor.user_id for a in meeting.attendees):
        return True
    if (
        actor.role == Role.ALUMNA
        and meeting.open_registration
        and meeting.status == SessionStatus.SCHEDULED
    ):
        return True
    session = object_session(meeting)
    return session is not None and (
        session.get(Membership, (meeting.organization_id, actor.user_id)) is not None
    )


@rule(Course, "view")
def _course_public_when_published(actor: Actor, course: Course) -> bool:
    """Published courses for everyone; others for the publisher, admins and (archived) the
    alumnae enrolled in it."""
    if course.status == CourseStatus.PUBLISHED or _course_publisher(actor, course):
        return True
    session = object_session(course)
    return (
        course.status == CourseStatus.ARCHIVED
        and actor.user_id is not None
        and session is not None
        and session.scalar(
            select(CourseEnrolment.id).where(
                CourseEnrolment.course_id == course.id, CourseEnrolment.user_id == actor.user_id
            )
        )
        is not None
    )


@rule(Course, "edit")
def _course_publisher(actor: Actor, course: Course) -> bool:
    """Members of the publishing organisation, and platform admins (moderation)."""
    if actor.is_admin:
        return True
    session = object_session(course)
    return (
        actor.user_id is not None
        and session is not None
        and session.get(Membership, (course.organization_id, actor.user_id)) is not None
    )


@rule(GroupSession, "edit")
def _group_session_mentor(actor: Actor, meeting: GroupSession) -> bool:
    return actor.is_admin or (actor.user_id is not None and actor.user_id == meeting.mentor_id)


@rule(TrainingEvent, "view")
def _training_event_public(actor: Actor, event: TrainingEvent) -> bool:
    return True  # published when made; cancelled and completed ones stay readable


@rule(TrainingEvent, "manage")
def _training_event_organizer(actor: Actor, event: TrainingEvent) -> bool:
    return is_organizer(actor, event)


@rule(TrainingEvent, "run")
def _training_event_runners(actor: Actor, event: TrainingEvent) -> bool:
    """Its organiser and trainers: attendance, completion, who registered."""
    return runs(actor, event)


@rule(TrainingRegistration, "view")
def _registration_parties(actor: Actor, registration: TrainingRegistration) -> bool:
    return _registrant(actor, registration) or runs(actor, registration.event)


@rule(TrainingRegistration, "cancel")
def _registrant(actor: Actor, registration: TrainingRegistration) -> bool:
    return actor.user_id is not None and actor.user_id == registration.user_id


@rule(TrainingCertificate, "view")
def _certificate_parties(actor: Actor, certificate: TrainingCertificate) -> bool:
    if actor.user_id is not None and actor.user_id == certificate.user_id:
        return True
    return runs(actor, certificate.event)


@rule(TrainingCertificate, "revoke")
def _certificate_issuer(actor: Actor, certificate: TrainingCertificate) -> bool:
    return is_organizer(actor, certificate.event)
