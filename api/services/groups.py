"""Business groups (kelompok usaha, KUB, koperasi): members with roles, invitations she
accepts or declines, the businesses the group owns, the equipment it received, and who the
women of a business are (counted once, alone or in a group).

Roles: the ketua invites and removes members and hands roles out; the officers (ketua,
sekretaris, bendahara) edit the group's businesses, their products and needs, record sales and
equipment; every active member reads the group. Invitation: invited -> active (she accepts) or
declined (she declines); active -> left (herself) or removed (by the ketua), taking the
businesses she brought in with her. The ketua hands her role over before she leaves (the role
moves; she becomes anggota).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from api import phones
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    OFFICERS,
    Business,
    BusinessGroup,
    GroupEquipment,
    GroupMember,
    GroupMemberStatus,
    GroupRole,
    RegionLevel,
    Role,
    Sponsorship,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services import events, regions
from api.services.authz import Actor, authorize
from api.services.shown import Shown

GROUP_SORTS = sort_options(BusinessGroup, created_at=["created_at"])
MEMBER_SORTS = sort_options(GroupMember, created_at=["created_at"])
EQUIPMENT_SORTS = sort_options(GroupEquipment, received_on=["received_on", "created_at"])
MAX_MEMBERS = 200
# After she declines (or an invitation to her is withdrawn), the group waits this long before
# inviting her again: each invitation notifies her.
INVITATION_COOLDOWN = dt.timedelta(days=7)
ACTIVE, INVITED = GroupMemberStatus.ACTIVE, GroupMemberStatus.INVITED


# -- who is what in a group (also read by the ownership rules) ---------------------------------


def role_of(session: Session, group_id: str, user_id: str | None) -> GroupRole | None:
    """Her role in the group while she is an active member."""
    if user_id is None:
        return None
    return session.scalar(
        select(GroupMember.role).where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            GroupMember.status == ACTIVE,
        )
    )


def is_officer(session: Session, group_id: str, user_id: str | None) -> bool:
    return role_of(session, group_id, user_id) in OFFICERS


def is_member_or_invited(session: Session, group_id: str, user_id: str | None) -> bool:
    if user_id is None:
        return False
    found = session.scalar(
        select(GroupMember.id).where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            GroupMember.status.in_((ACTIVE, INVITED)),
        )
    )
    return found is not None


def women_of(session: Session, business_ids: Iterable[str]) -> set[str]:
    """The women behind these businesses, each once: their owners, and the active members of
    the groups that own any of them."""
    ids = list(set(business_ids))
    if not ids:
        return set()
    owners = session.execute(
        select(Business.owner_id, Business.group_id).where(Business.id.in_(ids))
    ).all()
    women = {owner for owner, _ in owners}
    group_ids = {group for _, group in owners if group}
    return women | members_of(session, group_ids)


def members_of(session: Session, group_ids: Iterable[str]) -> set[str]:
    """The active members of these groups, each once."""
    ids = list(set(group_ids))
    if not ids:
        return set()
    return set(
        session.scalars(
            select(GroupMember.user_id).where(
                GroupMember.group_id.in_(ids), GroupMember.status == ACTIVE
            )
        )
    )


def _event(
    session: Session,
    type: str,
    subject: Any,
    actor: Actor,
    group: BusinessGroup,
    notify: Iterable[str | None] = (),
    **data: Any,
) -> None:
    events.record(
        session,
        type=type,
        subject=subject,
        actor=actor,
        data={"group_id": group.id, "group": group.name, **data},
        notify=notify,
    )


def _officers(group: BusinessGroup) -> list[str]:
    return [m.user_id for m in group.members if m.status == ACTIVE and m.role in OFFICERS]


# -- groups ------------------------------------------------------------------------------------


def create_group(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> BusinessGroup:
    """An alumna starts a group; she is its ketua."""
    user = actor.require_user()
    values = dict(data)
    regions.require_region(
        session, values["village_code"], field="village_code", level=RegionLevel.VILLAGE
    )
    group = BusinessGroup(**values, created_by_id=user.id)
    now = utcnow()
    group.members.append(
        GroupMember(
            user_id=user.id, role=GroupRole.KETUA, status=ACTIVE, invited_at=now, joined_at=now
        )
    )
    session.add(group)
    session.flush()
    _event(session, "business_group.created", group, actor, group, kind=group.kind.value)
    return group


def get_group(
    session: Session, *, actor: Actor, group_id: str, action: str = "view"
) -> BusinessGroup:
    group = session.get(BusinessGroup, group_id)
    if group is None:
        raise NotFound()
    return authorize(actor, action, group)


def list_groups(
    session: Session, *, actor: Actor, limit: int, cursor: str | None = None
) -> Page[BusinessGroup]:
    """Her groups (active or invited); staff: the groups of their regions."""
    user = actor.require_user()
    mine = select(GroupMember.group_id).where(
        GroupMember.user_id == user.id, GroupMember.status.in_((ACTIVE, INVITED))
    )
    condition: ColumnElement[bool] = BusinessGroup.id.in_(mine)
    if actor.is_staff:
        scope = (
            BusinessGroup.id.is_not(None)
            if actor.regions is None
            else regions.within_any(BusinessGroup.village_code, actor.regions)
        )
        condition = or_(condition, scope)
    stmt = select(BusinessGroup).where(condition)
    return paginate(
        session,
        stmt,
        model=BusinessGroup,
        sort="-created_at",
        options=GROUP_SORTS,
        limit=limit,
        cursor=cursor,
    )


def update_group(
    session: Session, *, actor: Actor, group: BusinessGroup, changes: Mapping[str, Any]
) -> BusinessGroup:
    values = dict(changes)
    code = values.get("village_code")
    if code:
        regions.require_region(session, code, field="village_code", level=RegionLevel.VILLAGE)
    for name, value in values.items():
        setattr(group, name, value)
    session.flush()
    _event(session, "business_group.updated", group, actor, group, fields=sorted(values))
    return group


def business_ids(session: Session, group_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Business.id).where(Business.group_id == group_id).order_by(Business.id)
        )
    )


# -- members -----------------------------------------------------------------------------------


def list_members(
    session: Session, *, actor: Actor, group_id: str, limit: int, cursor: str | None = None
) -> Page[GroupMember]:
    group = get_group(session, actor=actor, group_id=group_id)
    stmt = select(GroupMember).where(GroupMember.group_id == group.id)
    return paginate(
        session,
        stmt,
        model=GroupMember,
        sort="created_at",
        options=MEMBER_SORTS,
        limit=limit,
        cursor=cursor,
    )


def _invitee(session: Session, data: Mapping[str, Any]) -> User:
    """The alumna invited, by her account id or her phone number."""
    user: User | None = None
    if data.get("user_id"):
        user = session.get(User, data["user_id"])
        field = "user_id"
    else:
        number = phones.parse(data.get("phone") or "")
        field = "phone"
        if number is None:
            raise ValidationFailed(errors={"phone": ["Not a phone number."]})
        user = session.scalar(select(User).where(User.phone == phones.e164(number)))
    if user is None or user.role != Role.ALUMNA or user.erased_at is not None:
        raise ValidationFailed(errors={field: ["No alumna has this account."]})
    return user


def invite(
    session: Session, *, actor: Actor, group_id: str, data: Mapping[str, Any]
) -> GroupMember:
    """The ketua invites an alumna (by phone or account id) with a role; she decides."""
    group = get_group(session, actor=actor, group_id=group_id, action="manage_members")
    if data["role"] == GroupRole.KETUA:
        raise ValidationFailed(errors={"role": ["Hand the ketua role over to an active member."]})
    user = _invitee(session, data)
    member = session.scalar(
        select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.user_id == user.id)
    )
    if member is not None and member.status in (ACTIVE, INVITED):
        raise Conflict("already_in_group", params={"status": member.status.value})
    if member is not None and member.ended_at is not None and _turned_away(member):
        until = member.ended_at + INVITATION_COOLDOWN
        if utcnow() < until:
            raise Conflict("invitation_cooldown", params={"until": until.date().isoformat()})
    if sum(1 for m in group.members if m.status in (ACTIVE, INVITED)) >= MAX_MEMBERS:
        raise Conflict("group_full", params={"limit": MAX_MEMBERS})
    now = utcnow()
    if member is None:
        member = GroupMember(group_id=group.id, user_id=user.id)
        group.members.append(member)
    member.role, member.status, member.invited_by_id = data["role"], INVITED, actor.user_id
    member.invited_at, member.joined_at, member.ended_at = now, None, None
    session.flush()
    _event(
        session,
        "business_group_member.invited",
        member,
        actor,
        group,
        notify=(user.id,),
        role=member.role.value,
        user_id=_known(member),
    )
    return member


def _known(member: GroupMember) -> str | None:
    """Her account id for the group's events, once she accepted (as the member rows show)."""
    return member.user_id if member.joined_at is not None else None


def _turned_away(member: GroupMember) -> bool:
    """She declined, or the invitation to her was withdrawn (never accepted)."""
    return member.ended_at is not None and member.joined_at is None


def _member(session: Session, group: BusinessGroup, member_id: str) -> GroupMember:
    member = session.get(GroupMember, member_id)
    if member is None or member.group_id != group.id:
        raise NotFound()
    return member


def respond(
    session: Session, *, actor: Actor, group_id: str, member_id: str, accept: bool
) -> GroupMember:
    """The invited woman accepts or declines; nobody else may."""
    group = get_group(session, actor=actor, group_id=group_id)
    member = _member(session, group, member_id)
    if member.user_id != actor.user_id:
        raise Forbidden("not_your_invitation")
    if member.status != INVITED:
        raise Conflict("not_invited", params={"status": member.status.value})
    now = utcnow()
    if accept:
        member.status, member.joined_at = ACTIVE, now
    else:
        member.status, member.ended_at = GroupMemberStatus.DECLINED, now
    session.flush()
    what = "joined" if accept else "declined"
    _event(
        session,
        f"business_group_member.{what}",
        member,
        actor,
        group,
        notify=(member.invited_by_id, *_officers(group)),
        user_id=_known(member),
    )
    return member


def remove_member(session: Session, *, actor: Actor, group_id: str, member_id: str) -> GroupMember:
    """The ketua removes a member (or withdraws an invitation); a member leaves herself."""
    group = get_group(session, actor=actor, group_id=group_id)
    member = _member(session, group, member_id)
    herself = member.user_id == actor.user_id
    if not herself:
        authorize(actor, "manage_members", group)
    if member.status not in (ACTIVE, INVITED):
        raise Conflict("not_member", params={"status": member.status.value})
    if member.role == GroupRole.KETUA and member.status == ACTIVE:
        raise Conflict("ketua_must_hand_over")
    status = GroupMemberStatus.LEFT if herself else GroupMemberStatus.REMOVED
    _end(session, group, member, status, keeps_businesses=True)
    _event(
        session,
        "business_group_member.left" if herself else "business_group_member.removed",
        member,
        actor,
        group,
        notify=(member.user_id, *_officers(group)),
        user_id=_known(member),
    )
    return member


def _end(
    session: Session,
    group: BusinessGroup,
    member: GroupMember,
    status: GroupMemberStatus,
    *,
    keeps_businesses: bool = False,
) -> None:
    """She is out. When she leaves or is removed (``keeps_businesses``), the businesses she is
    on record for leave the group with her: she brought each in herself (``add_business`` takes
    only a business of the officer adding it, and the group creates none), so the ketua does
    not take them by removing her; their sponsorships stay with the business. When she is
    erased, they pass to the group's ketua so the group's business lives on."""
    member.status, member.ended_at = status, utcnow()
    ketua = next(
        (m for m in group.members if m.status == ACTIVE and m.role == GroupRole.KETUA), None
    )
    if keeps_businesses or (ketua is not None and ketua.user_id != member.user_id):
        for business in session.scalars(
            select(Business).where(
                Business.group_id == group.id, Business.owner_id == member.user_id
            )
        ):
            if keeps_businesses:
                business.group_id = None
            elif ketua is not None:
                business.owner_id = ketua.user_id
    session.flush()


def change_role(
    session: Session, *, actor: Actor, group_id: str, member_id: str, role: GroupRole
) -> GroupMember:
    """The ketua gives an active member a role; giving away ``ketua`` makes her anggota."""
    group = get_group(session, actor=actor, group_id=group_id, action="manage_members")
    member = _member(session, group, member_id)
    if member.status != ACTIVE:
        raise Conflict("not_member", params={"status": member.status.value})
    if member.role == GroupRole.KETUA:
        raise Conflict("ketua_must_hand_over")
    if role == GroupRole.KETUA:
        for other in group.members:
            if other.status == ACTIVE and other.role == GroupRole.KETUA:
                other.role = GroupRole.ANGGOTA
    member.role = role
    session.flush()
    _event(
        session,
        "business_group_member.role_changed",
        member,
        actor,
        group,
        notify=(member.user_id,),
        role=role.value,
        user_id=member.user_id,
    )
    return member


# -- the group's businesses and equipment --------------------------------------------------------


def add_business(
    session: Session, *, actor: Actor, group_id: str, business_id: str
) -> BusinessGroup:
    """An officer puts a business she owns into the group: its officers now edit it too."""
    group = get_group(session, actor=actor, group_id=group_id, action="record")
    business = session.get(Business, business_id)
    if business is None or business.owner_id != actor.user_id:
        raise ValidationFailed(errors={"business_id": ["Not a business of yours."]})
    if business.group_id is not None and business.group_id != group.id:
        raise Conflict("business_in_another_group")
    business.group_id = group.id
    session.flush()
    _event(
        session,
        "business_group.business_added",
        group,
        actor,
        group,
        notify=_officers(group),
        business_id=business.id,
    )
    return group


def record_equipment(
    session: Session, *, actor: Actor, group_id: str, data: Mapping[str, Any]
) -> GroupEquipment:
    group = get_group(session, actor=actor, group_id=group_id, action="record")
    values = dict(data)
    if values.get("sponsorship_id"):
        sponsorship = session.get(Sponsorship, values["sponsorship_id"])
        if sponsorship is None or sponsorship.group_id != group.id:
            raise ValidationFailed(errors={"sponsorship_id": ["Not a sponsorship of this group."]})
    if values["received_on"] > utcnow().date():
        raise ValidationFailed(errors={"received_on": ["Must not be in the future."]})
    item = GroupEquipment(**values, group_id=group.id, recorded_by_id=actor.user_id)
    session.add(item)
    session.flush()
    _event(
        session,
        "business_group.equipment_recorded",
        group,
        actor,
        group,
        notify=_officers(group),
        equipment_id=item.id,
        quantity=item.quantity,
    )
    return item


def list_equipment(
    session: Session, *, actor: Actor, group_id: str, limit: int, cursor: str | None = None
) -> Page[GroupEquipment]:
    group = get_group(session, actor=actor, group_id=group_id)
    stmt = select(GroupEquipment).where(GroupEquipment.group_id == group.id)
    return paginate(
        session,
        stmt,
        model=GroupEquipment,
        sort="-received_on",
        options=EQUIPMENT_SORTS,
        limit=limit,
        cursor=cursor,
    )


# -- erasure --------------------------------------------------------------------------------------


def before_erasure(session: Session, user_id: str) -> None:
    """Her memberships end; a ketua's role passes to the longest-standing officer (else member)
    and the group's businesses she was on record for pass with it, so the group and its
    businesses live on without her. A group she was alone in keeps her businesses, erased as
    hers are."""
    memberships = session.scalars(
        select(GroupMember).where(
            GroupMember.user_id == user_id, GroupMember.status.in_((ACTIVE, INVITED))
        )
    ).all()
    for member in memberships:
        group = session.get(BusinessGroup, member.group_id)
        if group is None:
            continue
        if member.role == GroupRole.KETUA and member.status == ACTIVE:
            others = [m for m in group.members if m.status == ACTIVE and m.user_id != user_id]
            others.sort(key=lambda m: (m.role not in OFFICERS, m.joined_at or m.created_at))
            if others:
                others[0].role = GroupRole.KETUA
                member.role = GroupRole.ANGGOTA
        _end(session, group, member, GroupMemberStatus.LEFT)


def shown(session: Session, actor: Actor, group: BusinessGroup) -> Shown[BusinessGroup]:
    """The group as the caller sees it: her own role and status, what she may do now."""
    mine = next((m for m in group.members if m.user_id == actor.user_id), None)
    actions: list[str] = []
    if mine is not None and mine.status == INVITED:
        actions += ["accept", "decline"]
    if mine is not None and mine.status == ACTIVE:
        if mine.role == GroupRole.KETUA:
            actions += ["edit", "invite", "remove_member", "change_role"]
        else:
            actions.append("leave")
        if mine.role in OFFICERS:
            actions += ["add_business", "record_equipment", "post_need"]
    current = mine is not None and mine.status in (ACTIVE, INVITED)
    return Shown(
        group,
        allowed_actions=actions,
        members_count=sum(1 for m in group.members if m.status == ACTIVE),
        my_role=mine.role if mine is not None and current else None,
        my_status=mine.status if mine is not None else None,
        business_ids=business_ids(session, group.id),
    )
