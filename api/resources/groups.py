"""Business groups (kelompok usaha, KUB, koperasi): members, roles, invitations, the
group's businesses and equipment."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pages import page_response
from api.models import BusinessGroup, GroupEquipment, GroupMember, Role
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.groups import (
    EquipmentCreateSchema,
    EquipmentSchema,
    GroupBusinessSchema,
    GroupCreateSchema,
    GroupPatchSchema,
    GroupSchema,
    InvitationCreateSchema,
    MemberSchema,
    RoleChangeSchema,
)
from api.services import groups as service
from api.services.shown import Shown

GROUP = "/business-groups/<string:group_id>"
MEMBER = f"{GROUP}/members/<string:member_id>"
blp = Blueprint(
    "groups",
    __name__,
    scope=None,
    url_prefix="/v1",
    description=(
        "Business groups: a ketua and members (sekretaris, bendahara, anggota) who accept "
        "their invitation; the officers (ketua, sekretaris, bendahara) edit the group's "
        "businesses and record its sales and equipment."
    ),
)


def _shown(group: BusinessGroup) -> Shown[BusinessGroup]:
    return service.shown(db(), current_actor(), group)


@blp.route("/business-groups", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.etag
@blp.arguments(GroupCreateSchema)
@blp.response(201, GroupSchema)
def create_business_group(data: dict[str, Any]) -> Shown[BusinessGroup]:
    """Start a group; you are its ketua."""
    return _shown(service.create_group(db(), actor=current_actor(), data=data))


@blp.route("/business-groups", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(GroupSchema))
def list_business_groups(
    args: dict[str, Any],
) -> tuple[Page[Shown[BusinessGroup]], dict[str, str]]:
    """Your groups (and invitations); staff: the groups where they work."""
    page = service.list_groups(db(), actor=current_actor(), **args)
    return page_response(Page([_shown(g) for g in page.items], page.next_cursor))


@blp.route(GROUP, methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, GroupSchema)
def get_business_group(group_id: str) -> Shown[BusinessGroup]:
    """Read a group (its members, women invited, and staff where it is)."""
    return _shown(service.get_group(db(), actor=current_actor(), group_id=group_id))


@blp.route(GROUP, methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(GroupPatchSchema)
@blp.response(200, GroupSchema)
def update_business_group(changes: dict[str, Any], group_id: str) -> Shown[BusinessGroup]:
    """Change the group (its ketua, admins where it is; send If-Match)."""
    actor = current_actor()
    group = service.get_group(db(), actor=actor, group_id=group_id, action="edit")
    blp.check_etag(_shown(group), GroupSchema)
    return _shown(service.update_group(db(), actor=actor, group=group, changes=changes))


@blp.route(f"{GROUP}/members", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(MemberSchema))
def list_business_group_members(
    args: dict[str, Any], group_id: str
) -> tuple[Page[GroupMember], dict[str, str]]:
    """Members, invitations and former members, with their roles."""
    return page_response(
        service.list_members(db(), actor=current_actor(), group_id=group_id, **args)
    )


@blp.route(f"{GROUP}/members", methods=["POST"])
@blp.auth(Role.ALUMNA)
@blp.arguments(InvitationCreateSchema)
@blp.response(201, MemberSchema)
@blp.alt_response(409, response="CONFLICT")
def invite_business_group_member(data: dict[str, Any], group_id: str) -> GroupMember:
    """The ketua invites an alumna by phone or account id; she accepts or declines."""
    return service.invite(db(), actor=current_actor(), group_id=group_id, data=data)


@blp.action(f"{MEMBER}/accept", response=MemberSchema)
def accept_business_group_invitation(group_id: str, member_id: str) -> GroupMember:
    """The invited woman joins."""
    return service.respond(
        db(), actor=current_actor(), group_id=group_id, member_id=member_id, accept=True
    )


@blp.action(f"{MEMBER}/decline", response=MemberSchema)
def decline_business_group_invitation(group_id: str, member_id: str) -> GroupMember:
    """The invited woman says no."""
    return service.respond(
        db(), actor=current_actor(), group_id=group_id, member_id=member_id, accept=False
    )


@blp.action(f"{MEMBER}/role", body=RoleChangeSchema, response=MemberSchema)
def change_business_group_role(data: dict[str, Any], group_id: str, member_id: str) -> GroupMember:
    """The ketua gives an active member a role (handing `ketua` over makes her anggota)."""
    return service.change_role(
        db(), actor=current_actor(), group_id=group_id, member_id=member_id, role=data["role"]
    )


@blp.route(MEMBER, methods=["DELETE"])
@blp.auth()
@blp.response(200, MemberSchema)
@blp.alt_response(409, response="CONFLICT")
def remove_business_group_member(group_id: str, member_id: str) -> GroupMember:
    """The ketua removes a member or withdraws an invitation; a member leaves herself."""
    return service.remove_member(
        db(), actor=current_actor(), group_id=group_id, member_id=member_id
    )


@blp.action(f"{GROUP}/businesses", body=GroupBusinessSchema, response=GroupSchema)
def add_business_to_group(data: dict[str, Any], group_id: str) -> Shown[BusinessGroup]:
    """An officer puts a business she owns into the group: its officers edit it too."""
    return _shown(
        service.add_business(
            db(), actor=current_actor(), group_id=group_id, business_id=data["business_id"]
        )
    )


@blp.route(f"{GROUP}/equipment", methods=["POST"])
@blp.auth()
@blp.arguments(EquipmentCreateSchema)
@blp.response(201, EquipmentSchema)
def record_business_group_equipment(data: dict[str, Any], group_id: str) -> GroupEquipment:
    """An officer records equipment the group received or bought."""
    return service.record_equipment(db(), actor=current_actor(), group_id=group_id, data=data)


@blp.route(f"{GROUP}/equipment", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(EquipmentSchema))
def list_business_group_equipment(
    args: dict[str, Any], group_id: str
) -> tuple[Page[GroupEquipment], dict[str, str]]:
    """The group's equipment, latest first (its members and staff)."""
    return page_response(
        service.list_equipment(db(), actor=current_actor(), group_id=group_id, **args)
    )
