"""What a need or a sponsorship is for (``TargetType``): a business, a business group, a
cohort or a training event (its seats); who decides for each (its recipients), who may see it,
and which women it reaches.

Recipients: a business's owner and, for a group's business, the group's officers; a group's
officers (ketua, sekretaris, bendahara); a cohort's facilitators and admins where it is; a
training event's organisers (``training.common.is_organizer``: its organiser, its
organisation's admins, admins where it is). A new kind of target adds one arm to each function
here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from api.errors import ValidationFailed
from api.models import (
    TARGET_COLUMNS,
    Business,
    BusinessGroup,
    BusinessStatus,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    GroupMember,
    GroupMemberStatus,
    MemberRole,
    Membership,
    RegistrationStatus,
    Sponsorship,
    SupportNeed,
    TargetType,
    TrainingEvent,
    TrainingEventStatus,
    TrainingRegistration,
)
from api.services import groups
from api.services.authz import Actor
from api.services.training.common import is_organizer

Targeted = SupportNeed | Sponsorship
Target = Business | BusinessGroup | Cohort | TrainingEvent


def resolve(session: Session, target_type: TargetType, target_id: str, field: str) -> Target:
    """The target, or a 422 naming ``field``: an active business, a group, a cohort, a
    scheduled training event."""
    if target_type == TargetType.BUSINESS:
        business = session.get(Business, target_id)
        if business is None or business.status != BusinessStatus.ACTIVE:
            raise ValidationFailed(errors={field: ["Not an active business."]})
        return business
    if target_type == TargetType.GROUP:
        group = session.get(BusinessGroup, target_id)
        if group is None or not groups.members_of(session, [group.id]):
            raise ValidationFailed(errors={field: ["Not a business group."]})
        return group
    if target_type == TargetType.TRAINING_EVENT:
        event = session.get(TrainingEvent, target_id)
        if event is None or event.status != TrainingEventStatus.SCHEDULED:
            raise ValidationFailed(errors={field: ["Not a scheduled training event."]})
        return event
    cohort = session.get(Cohort, target_id)
    if cohort is None:
        raise ValidationFailed(errors={field: ["Not a cohort."]})
    return cohort


def columns(target_type: TargetType, target_id: str) -> dict[str, Any]:
    """The model's columns for this target."""
    return {"target_type": target_type, TARGET_COLUMNS[target_type]: target_id}


def region_of(session: Session, item: Targeted) -> str | None:
    """Where the target is (a village, a cohort's region, the first region an event serves;
    none for an event that serves every region: organisations have no region)."""
    if item.business is not None:
        return item.business.village_code
    if item.group_id is not None:
        group = session.get(BusinessGroup, item.group_id)
        return group.village_code if group else None
    if item.event_id is not None:
        event = session.get(TrainingEvent, item.event_id)
        return event.region_codes[0] if event and event.region_codes else None
    cohort = session.get(Cohort, item.cohort_id) if item.cohort_id else None
    return cohort.region_code if cohort else None


def recipients(session: Session, item: Targeted) -> list[str]:
    """Who decides for the target (and is told)."""
    if item.business is not None:
        found = [item.business.owner_id]
        if item.business.group_id:
            found += sorted(_officers(session, item.business.group_id))
        return found
    if item.group_id is not None:
        return sorted(_officers(session, item.group_id))
    if item.event_id is not None:
        return _organizers(session, item.event_id)
    cohort = session.get(Cohort, item.cohort_id) if item.cohort_id else None
    return list(cohort.facilitator_ids) if cohort else []


def _organizers(session: Session, event_id: str) -> list[str]:
    """An event's organiser and its organisation's admins (platform admins decide too, but are
    not told of every event's sponsorship)."""
    event = session.get(TrainingEvent, event_id)
    if event is None:
        return []
    found = {event.organizer_id} if event.organizer_id else set()
    if event.organization_id:
        found |= set(
            session.scalars(
                select(Membership.user_id).where(
                    Membership.organization_id == event.organization_id,
                    Membership.role == MemberRole.ADMIN,
                )
            )
        )
    return sorted(found)


def _officers(session: Session, group_id: str) -> set[str]:
    return {
        m for m in groups.members_of(session, [group_id]) if groups.is_officer(session, group_id, m)
    }


def is_recipient(actor: Actor, item: Targeted) -> bool:
    session = object_session(item)
    if actor.user_id is None or session is None:
        return False
    if item.target_type == TargetType.COHORT and actor.admin_over(region_of(session, item)):
        return True
    if item.event_id is not None:
        event = session.get(TrainingEvent, item.event_id)
        return event is not None and is_organizer(actor, event)
    return actor.user_id in recipients(session, item)


def is_member(actor: Actor, item: Targeted) -> bool:
    """A member of the group it is for (she sees it; its officers decide)."""
    session = object_session(item)
    if actor.user_id is None or session is None or item.group_id is None:
        return False
    return groups.role_of(session, item.group_id, actor.user_id) is not None


def women_reached(session: Session, items: list[Targeted]) -> set[str]:
    """The women behind these targets, each once: a business's owner (and its group's
    members), a group's members, a cohort's verified graduates, a training event's women with a
    confirmed seat or recorded attendance."""
    business_ids = [i.business_id for i in items if i.business_id]
    group_ids = [i.group_id for i in items if i.group_id]
    cohort_ids = [i.cohort_id for i in items if i.cohort_id]
    event_ids = [i.event_id for i in items if i.event_id]
    women = groups.women_of(session, business_ids) | groups.members_of(session, group_ids)
    if event_ids:
        women |= set(
            session.scalars(
                select(TrainingRegistration.user_id).where(
                    TrainingRegistration.event_id.in_(event_ids),
                    (TrainingRegistration.status == RegistrationStatus.CONFIRMED)
                    | TrainingRegistration.attended.is_(True),
                )
            )
        )
    if cohort_ids:
        women |= set(
            session.scalars(
                select(GraduateClaim.user_id).where(
                    GraduateClaim.cohort_id.in_(cohort_ids),
                    GraduateClaim.status == ClaimStatus.VERIFIED,
                )
            )
        )
    return women


def businesses_of(session: Session, women: set[str]) -> list[Business]:
    """The businesses of these women: those they own and those of their groups."""
    if not women:
        return []
    group_ids = select(GroupMember.group_id).where(
        GroupMember.user_id.in_(women), GroupMember.status == GroupMemberStatus.ACTIVE
    )
    return list(
        session.scalars(
            select(Business)
            .where((Business.owner_id.in_(women)) | (Business.group_id.in_(group_ids)))
            .order_by(Business.name, Business.id)
        ).unique()
    )


def women_reached_by_business(session: Session, business: Business) -> set[str]:
    return groups.women_of(session, [business.id])
