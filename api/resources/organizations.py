"""Organisations and their members."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pages import page_response
from api.models import Membership, Organization, Role
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.organizations import (
    MemberCreateSchema,
    MembershipSchema,
    OrganizationCreateSchema,
    OrganizationPatchSchema,
    OrganizationQueryArgsSchema,
    OrganizationSchema,
)
from api.services import organizations as service
from api.services import research

blp = Blueprint(
    "organizations",
    __name__,
    url_prefix="/v1/organizations",
    description="CSR companies, universities and government offices, and their members.",
)


@blp.route("", methods=["GET"])
@blp.scope("catalogue:read")
@blp.arguments(OrganizationQueryArgsSchema, location="query")
@blp.response(200, page_of(OrganizationSchema))
def list_organizations(args: dict[str, Any]) -> tuple[Page[Organization], dict[str, str]]:
    """List organisations, filtered by kind, verification or name."""
    return page_response(service.list_organizations(db(), **args))


@blp.route("", methods=["POST"])
@blp.auth(Role.PARTNER, Role.MENTOR, Role.ADMIN)
@blp.etag
@blp.arguments(OrganizationCreateSchema)
@blp.response(201, OrganizationSchema)
def create_organization(data: dict[str, Any]) -> Organization:
    """Create an organisation you will administer; it starts unverified."""
    return service.create_organization(db(), actor=current_actor(), data=data)


@blp.route("/<string:organization_id>", methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.scope("catalogue:read")
@blp.etag
@blp.response(200, OrganizationSchema)
def get_organization(organization_id: str) -> Organization:
    """Read an organisation."""
    return service.get_organization(db(), actor=current_actor(), organization_id=organization_id)


@blp.route("/<string:organization_id>", methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(OrganizationPatchSchema)
@blp.response(200, OrganizationSchema)
def update_organization(changes: dict[str, Any], organization_id: str) -> Organization:
    """Change an organisation's name, description or website (its admins; send If-Match)."""
    organization = service.get_organization(
        db(), actor=current_actor(), organization_id=organization_id, action="edit"
    )
    blp.check_etag(organization, OrganizationSchema)
    return service.update_organization(db(), organization=organization, changes=changes)


@blp.action("/<string:organization_id>/verify", response=OrganizationSchema, roles=(Role.ADMIN,))
def verify_organization(organization_id: str) -> Organization:
    """Mark an organisation verified (platform admins)."""
    return service.verify_organization(db(), actor=current_actor(), organization_id=organization_id)


@blp.route("/<string:organization_id>/data-use-agreement", methods=["PUT"])
@blp.auth(Role.ADMIN)
@blp.response(200, OrganizationSchema)
def record_data_use_agreement(organization_id: str) -> Organization:
    """Mark a verified university as bound by a data-use agreement (admins)."""
    return research.set_agreement(
        db(), actor=current_actor(), organization_id=organization_id, signed=True
    )


@blp.route("/<string:organization_id>/data-use-agreement", methods=["DELETE"])
@blp.auth(Role.ADMIN)
@blp.response(200, OrganizationSchema)
def end_data_use_agreement(organization_id: str) -> Organization:
    """End the agreement: its members lose access to research exports at once."""
    return research.set_agreement(
        db(), actor=current_actor(), organization_id=organization_id, signed=False
    )


@blp.route("/<string:organization_id>/members", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(MembershipSchema))
def list_members(
    args: dict[str, Any], organization_id: str
) -> tuple[Page[Membership], dict[str, str]]:
    """List the members (for members of the organisation and platform admins)."""
    return page_response(
        service.list_members(db(), actor=current_actor(), organization_id=organization_id, **args)
    )


@blp.route("/<string:organization_id>/members", methods=["POST"])
@blp.auth()
@blp.arguments(MemberCreateSchema)
@blp.response(201, MembershipSchema)
def add_member(data: dict[str, Any], organization_id: str) -> Membership:
    """Add an existing account as a member (the organisation's admins)."""
    return service.add_member(
        db(),
        actor=current_actor(),
        organization_id=organization_id,
        email=data.get("email"),
        phone=data.get("phone"),
        role=data["role"],
    )


@blp.route("/<string:organization_id>/members/<string:user_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def remove_member(organization_id: str, user_id: str) -> None:
    """Remove a member (the organisation's admins; a member may leave)."""
    service.remove_member(
        db(), actor=current_actor(), organization_id=organization_id, user_id=user_id
    )
