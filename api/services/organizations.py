"""Organisations and their members."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.models import MemberRole, Membership, Organization, OrganizationKind, Role, User
from api.pagination import Page, paginate, sort_options
from api.services.authz import Actor, authorize

# Which user roles may belong to which kind of organisation.
MEMBER_ROLES: dict[OrganizationKind, frozenset[Role]] = {
    OrganizationKind.CSR_COMPANY: frozenset({Role.PARTNER}),
    OrganizationKind.UNIVERSITY: frozenset({Role.MENTOR}),
    OrganizationKind.GOVERNMENT_OFFICE: frozenset({Role.ADMIN}),
}

SORTS = sort_options(Organization, name=["name"], created_at=["created_at"])
MEMBER_SORTS = sort_options(Membership, tiebreak="user_id", created_at=["created_at"])


def list_organizations(
    session: Session,
    *,
    kind: OrganizationKind | None = None,
    verified: bool | None = None,
    q: str | None = None,
    sort: str = "name",
    limit: int,
    cursor: str | None = None,
) -> Page[Organization]:
    """Organisations, filtered by kind, verification and a name fragment."""
    stmt = select(Organization)
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    if verified is not None:
        stmt = stmt.where(
            Organization.verified_at.is_not(None)
            if verified
            else Organization.verified_at.is_(None)
        )
    if q:
        stmt = stmt.where(func.lower(Organization.name).contains(q.lower(), autoescape=True))
    return paginate(
        session, stmt, model=Organization, sort=sort, options=SORTS, limit=limit, cursor=cursor
    )


def get_organization(
    session: Session, *, actor: Actor, organization_id: str, action: str = "view"
) -> Organization:
    """The organisation, if the actor may do the action on it."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    return authorize(actor, action, organization)


def create_organization(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Organization:
    """Create an unverified organisation; its creator becomes its first admin."""
    user = actor.require_user()
    kind = OrganizationKind(data["kind"])
    joins = user.role in MEMBER_ROLES[kind]
    if not joins and not actor.is_admin:
        raise ValidationFailed(
            errors={"kind": [f"A {user.role.value} cannot create a {kind.value} organisation."]}
        )
    organization = Organization(**data, created_by_id=user.id)
    session.add(organization)
    session.flush()
    if joins:
        session.add(
            Membership(organization_id=organization.id, user_id=user.id, role=MemberRole.ADMIN)
        )
        session.flush()
    return organization


def update_organization(
    session: Session, *, organization: Organization, changes: Mapping[str, Any]
) -> Organization:
    """Apply changes to an organisation the caller was authorised to edit."""
    for field, value in changes.items():
        setattr(organization, field, value)
    session.flush()
    return organization


def verify_organization(session: Session, *, actor: Actor, organization_id: str) -> Organization:
    """Mark an organisation verified (platform admins)."""
    organization = get_organization(
        session, actor=actor, organization_id=organization_id, action="verify"
    )
    if organization.verified:
        raise Conflict("already_verified")
    organization.verified_at = utcnow()
    organization.verified_by_id = actor.user_id
    session.flush()
    return organization


def list_members(
    session: Session, *, actor: Actor, organization_id: str, limit: int, cursor: str | None = None
) -> Page[Membership]:
    """The members of an organisation (for its members and platform admins)."""
    get_organization(session, actor=actor, organization_id=organization_id, action="view_members")
    stmt = select(Membership).where(Membership.organization_id == organization_id)
    return paginate(
        session,
        stmt,
        model=Membership,
        sort="created_at",
        options=MEMBER_SORTS,
        limit=limit,
        cursor=cursor,
    )


def my_memberships(
    session: Session, *, actor: Actor, limit: int, cursor: str | None = None
) -> Page[Membership]:
    """The organisations the caller belongs to, with her role in each."""
    user = actor.require_user()
    return paginate(
        session,
        select(Membership).where(Membership.user_id == user.id),
        model=Membership,
        sort="created_at",
        options=MEMBER_SORTS,
        limit=limit,
        cursor=cursor,
    )


def add_member(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    email: str | None,
    phone: str | None,
    role: MemberRole,
) -> Membership:
    """Add an existing user, found by email or phone, whose role fits the organisation."""
    organization = get_organization(
        session, actor=actor, organization_id=organization_id, action="manage_members"
    )
    # Only a verified organisation adds people, and it learns nothing about accounts that
    # cannot join: unknown and unsuitable ones get the same answer.
    if not organization.verified and not actor.is_admin:
        raise Conflict("organization_not_verified")
    field = "email" if email else "phone"
    column = User.email if email else User.phone
    user = session.scalar(select(User).where(column == (email or phone)))
    if user is None or user.role not in MEMBER_ROLES[organization.kind]:
        allowed = " or ".join(sorted(r.value for r in MEMBER_ROLES[organization.kind]))
        raise ValidationFailed(
            errors={field: [f"No {allowed} account with this {field} can be added."]}
        )
    if session.get(Membership, (organization.id, user.id)) is not None:
        raise Conflict("already_member")
    membership = Membership(organization_id=organization.id, user_id=user.id, role=role, user=user)
    session.add(membership)
    session.flush()
    return membership


def remove_member(session: Session, *, actor: Actor, organization_id: str, user_id: str) -> None:
    """Remove a member (organisation admins; members may leave); the last admin stays."""
    organization = get_organization(
        session, actor=actor, organization_id=organization_id, action="view_members"
    )
    # Serialise membership changes of one organisation: two admins leaving at once must not
    # both see "another admin remains".
    session.refresh(organization, with_for_update=True)
    membership = session.get(Membership, (organization.id, user_id))
    if membership is None:
        raise NotFound()
    if user_id != actor.user_id:
        authorize(actor, "manage_members", organization)
    if membership.role == MemberRole.ADMIN:
        admins = session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.organization_id == organization.id,
                Membership.role == MemberRole.ADMIN,
            )
        )
        if (admins or 0) <= 1:
            raise Conflict("last_admin")
    session.delete(membership)
    session.flush()


def verified_membership(
    session: Session, user_id: str, kind: OrganizationKind
) -> Organization | None:
    """The verified organisation of this kind the user belongs to (the oldest, if several)."""
    return session.scalar(
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == user_id,
            Organization.kind == kind,
            Organization.verified_at.is_not(None),
        )
        .order_by(Organization.created_at)
        .limit(1)
    )
