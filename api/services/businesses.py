"""Graduates' businesses: creation, editing, lifecycle, public and owner listings."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from api.catalogue import cache as catalogue_cache
from api.catalogue import changes as catalogue_changes
from api.catalogue.listing import shown_sql
from api.db import utcnow
from api.errors import NotFound, ValidationFailed
from api.models import (
    Business,
    BusinessLicence,
    BusinessStatus,
    ClaimStatus,
    Consent,
    ConsentPurpose,
    GraduateClaim,
    RegionLevel,
)
from api.pagination import Page, paginate, sort_options
from api.services import categories, changes, consents, regions
from api.services.authz import Actor, authorize, can
from api.services.lifecycle import Lifecycle
from api.services.shown import Shown

ACTIVE, DRAFT, PAUSED, CLOSED = (
    BusinessStatus.ACTIVE,
    BusinessStatus.DRAFT,
    BusinessStatus.PAUSED,
    BusinessStatus.CLOSED,
)
LIFECYCLE: Lifecycle[BusinessStatus] = Lifecycle(
    {
        "activate": (frozenset({DRAFT, PAUSED, CLOSED}), ACTIVE),
        "pause": (frozenset({ACTIVE}), PAUSED),
        "close": (frozenset({DRAFT, ACTIVE, PAUSED}), CLOSED),
    }
)
SORTS = sort_options(Business, name=["name"], created_at=["created_at"])


def slugify(text: str) -> str:
    """ASCII words joined by hyphens ("Kue Bu Siti" -> "kue-bu-siti")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "usaha"


def create_business(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Business:
    """Create a draft business owned by the caller."""
    owner = actor.require_user()
    values = dict(data)
    licences = values.pop("licences", [])
    consent = values.pop("contact_consent", None)
    _check_references(session, values)
    business = Business(
        **values,
        owner_id=owner.id,
        contact_consented=_contact_consented(session, owner.id),
        verified_graduate=_is_verified_graduate(session, owner.id),
        slug=f"{slugify(values['name'])}-{secrets.token_hex(3)}",
        licences=_licences(licences),
    )
    session.add(business)
    session.flush()
    _set_contact_consent(session, actor, business, consent)
    catalogue_changes.announce(session, business, None, actor=actor)
    return business


def _contact_consented(session: Session, user_id: str) -> bool:
    return (
        session.scalar(
            select(Consent.id).where(
                Consent.user_id == user_id,
                Consent.purpose == ConsentPurpose.CONTACT_REVEAL,
                Consent.revoked_at.is_(None),
            )
        )
        is not None
    )


def _set_contact_consent(
    session: Session, actor: Actor, business: Business, consent: bool | None
) -> None:
    """``contact_consent`` given with the business: the owner gives (true) or withdraws
    (false) her contact_reveal consent in the same request; only she can, not a facilitator."""
    if consent is None or consent == business.contact_consented:
        return
    if actor.assisted_by is not None or actor.user_id != business.owner_id:
        raise ValidationFailed(
            errors={"contact_consent": ["Only the owner herself can give or withdraw it."]}
        )
    if consent:
        consents.give_consent(session, actor=actor, purpose=ConsentPurpose.CONTACT_REVEAL)
    else:
        given = consents.active_consent(session, business.owner_id, ConsentPurpose.CONTACT_REVEAL)
        if given is not None:
            consents.withdraw_consent(session, actor=actor, consent_id=given.id)


def _is_verified_graduate(session: Session, user_id: str) -> bool:
    return bool(
        session.scalar(
            select(GraduateClaim.id).where(
                GraduateClaim.user_id == user_id, GraduateClaim.status == ClaimStatus.VERIFIED
            )
        )
    )


def touch(session: Session, business_id: str) -> None:
    """Note activity (a check-in, an order, a listing change): it keeps the business active."""
    # The row the session holds is noted as it is, not read again: given with this execution
    # only (an option of the statement would stay with it in SQLAlchemy's statement cache).
    loaded = session.identity_map.get(identity_key(Business, business_id))
    session.execute(
        update(Business)
        .where(Business.id == business_id)
        .values(last_activity_at=utcnow())
        # Its document shows the activity; its products' documents and search do not.
        .execution_options(
            **{
                catalogue_cache.KEYS_OPTION: [catalogue_cache.business_only_key(business_id)],
                changes.NOT_FOR_PRODUCTS: True,
            }
        ),
        execution_options={changes.ROWS: [loaded]} if loaded is not None else {},
    )


# What a business's document shows besides its own row, loaded for a page of businesses in two
# statements. A business loaded for anything else (the seller of a product or an order, a check
# of who owns it) does not read them, so the mapper loads them only when they are touched.
DOCUMENT = (selectinload(Business.photos), selectinload(Business.licences))


def get_business(
    session: Session, *, actor: Actor, business_id: str, action: str = "view"
) -> Business:
    """The business, if the actor may do the action (a draft is 404 to strangers)."""
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound()
    return authorize(actor, action, business)


def update_business(
    session: Session, *, actor: Actor, business: Business, changes: Mapping[str, Any]
) -> Business:
    """Apply changes the caller was authorised to make; licences are replaced as a list."""
    seen = catalogue_changes.snapshot(business)
    values = dict(changes)
    _set_contact_consent(session, actor, business, values.pop("contact_consent", None))
    if "licences" in values:
        business.licences = _licences(values.pop("licences"))
    _check_references(session, values)
    for field, value in values.items():
        setattr(business, field, value)
    session.flush()
    catalogue_changes.announce(session, business, seen, actor=actor)
    # Reload the related rows whose keys changed (category, regions) for the response.
    session.expire(business, ["category", "village", "district", "regency"])
    return business


def change_status(session: Session, *, actor: Actor, business_id: str, action: str) -> Business:
    """Activate, pause or close a business (its owner or an admin)."""
    business = get_business(session, actor=actor, business_id=business_id, action="edit")
    seen = catalogue_changes.snapshot(business)
    LIFECYCLE.apply(business, action)
    session.flush()
    catalogue_changes.announce(session, business, seen, actor=actor)
    return business


def list_public(
    session: Session,
    *,
    category: str | None = None,
    region: str | None = None,
    verified_graduate: bool | None = None,
    q: str | None = None,
    sort: str = "name",
    limit: int,
    cursor: str | None = None,
    load: Callable[[list[str]], list[Any]] | None = None,
    updated_since: dt.datetime | None = None,
    user_id: str | None = None,
) -> Page[Any]:
    """Active businesses, filtered by category (with its descendants), region at any level.

    With ``load``, the page's ids are found first and ``load`` gives its items (the public
    documents, ``api.catalogue.reads``, read without the ORM or from the worker's cache);
    without, the items are ``Business`` objects."""
    stmt = select(Business).where(shown_sql(Business))
    if load is None:
        stmt = stmt.options(*DOCUMENT)
    if category:
        stmt = stmt.where(Business.category_id.in_(categories.with_descendants(session, category)))
    if region:
        stmt = stmt.where(in_region(region))
    if verified_graduate is not None:
        stmt = stmt.where(Business.verified_graduate.is_(verified_graduate))
    if q:
        stmt = stmt.where(Business.name.ilike(f"%{_escape_like(q)}%", escape="\\"))
    public: dict[str, Any] = {} if load is None else {"two_phase": True, "load": load}
    return changes.paginate_changes(
        session,
        stmt,
        model=Business,
        since=updated_since,
        user_id=user_id,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
        **public,
    )


def in_region(code: str) -> Any:
    """A business lies in the region, as an equality on the code of the region's level where
    there is one: the indexes on (status, that code) answer it with the planner's estimate of
    how many lie there (the village code compared as a prefix would be estimated at every
    business, and a catalogue search would walk its sort index past most of them). A village
    has nothing below it; the province compares the village code as a prefix."""
    level = code.count(".")
    if level == 1:
        return Business.regency_code == code
    if level == 2:
        return Business.district_code == code
    if level == 3:
        return Business.village_code == code
    return regions.within(Business.village_code, code)


def list_owned(
    session: Session,
    *,
    actor: Actor,
    status: BusinessStatus | None = None,
    sort: str = "created_at",
    limit: int,
    cursor: str | None = None,
    load: Callable[[list[str]], list[Any]] | None = None,
) -> Page[Any]:
    """The caller's own businesses, in every status. ``load`` reads the page's items without
    the ORM (given the page's ids, found first; it returns the items in that order); without
    it the page holds ``Business`` objects (the reference)."""
    stmt = select(Business).where(Business.owner_id == actor.require_user().id).options(*DOCUMENT)
    if status is not None:
        stmt = stmt.where(Business.status == status)
    return paginate(
        session,
        stmt,
        model=Business,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
        two_phase=load is not None,
        load=load,
    )


def shows_private(actor: Actor, business: Business) -> bool:
    """Whether the caller sees the owner's view (address, WhatsApp number, village)."""
    return can(actor, "edit", business)


def shown(actor: Actor, business: Business) -> Shown[Business]:
    """The business as ``actor`` sees it: with its private part for its owner (and staff in
    scope), without it for everyone else."""
    return Shown(business, allowed_actions=[], show_private=shows_private(actor, business))


def shown_page(actor: Actor, page: Page[Business]) -> Page[Shown[Business]]:
    return changes.with_items(page, [shown(actor, b) for b in page.items])


def _check_references(session: Session, values: dict[str, Any]) -> None:
    """Refuse unknown categories and regions (422), and derive the district and regency."""
    if "category_id" in values:
        categories.require_category(session, values["category_id"])
    if "village_code" in values:
        village = regions.require_region(
            session, values["village_code"], field="village_code", level=RegionLevel.VILLAGE
        )
        values["district_code"] = village.parent_code
        values["regency_code"] = village.code.rsplit(".", 2)[0]


def _licences(items: list[dict[str, Any]]) -> list[BusinessLicence]:
    """Licence rows in the order they are read back (by kind)."""
    return [BusinessLicence(**item) for item in sorted(items, key=lambda i: i["kind"].value)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
