"""The program: programs and cohorts, roster import, graduate claims and their verification,
monthly check-ins, and the follow-up list of businesses at risk or dormant.

Staff work in regions (``Actor.regions``): an admin or facilitator sees and acts on cohorts,
claims and businesses in them only; out of scope looks like not found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from api import phones, rosters
from api.dates import add_months, this_month
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    ACTIVE_DAYS,
    DORMANT_DAYS,
    Business,
    BusinessStatus,
    CheckIn,
    CheckInPrompt,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    Message,
    Outreach,
    OutreachOutcome,
    Program,
    Region,
    RegionLevel,
    Role,
    RosterEntry,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services import assist, businesses, events, mentoring, regions, sponsorship
from api.services.authz import Actor, can

COHORT_SORTS = sort_options(Cohort, year=["year", "name"], created_at=["created_at"])
CLAIM_SORTS = sort_options(GraduateClaim, created_at=["created_at"])
CHECK_IN_SORTS = sort_options(CheckIn, month=["month"])
MESSAGES_SHOWN = 5
FOLLOW_UP_SORTS = sort_options(Business, last_activity_at=["last_activity_at"])
MAX_ROSTER_ROWS = 5000


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden("role_not_allowed", params={"roles": "admin, facilitator"})


# -- programs and cohorts ---------------------------------------------------------------------


def create_program(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Program:
    if session.scalar(select(Program.id).where(Program.name == data["name"])):
        raise Conflict("program_exists")
    program = Program(**data)
    session.add(program)
    session.flush()
    events.record(session, type="program.created", subject=program, actor=actor)
    return program


def list_programs(session: Session) -> list[Program]:
    return list(session.scalars(select(Program).order_by(Program.name)))


def get_program(session: Session, program_id: str) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound()
    return program


def _facilitators(session: Session, ids: Sequence[str]) -> list[str]:
    found = set(
        session.scalars(select(User.id).where(User.id.in_(ids), User.role == Role.FACILITATOR))
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            errors={"facilitator_ids": [f"Not facilitators: {', '.join(missing)}"]}
        )
    return list(dict.fromkeys(ids))


def create_cohort(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Cohort:
    """An admin creates a cohort in her regions."""
    values = dict(data)
    get_program(session, values["program_id"])
    regions.require_region(session, values["region_code"], field="region_code")
    if not actor.covers(values["region_code"]):
        raise Forbidden("out_of_scope")
    values["facilitator_ids"] = _facilitators(session, values.get("facilitator_ids", []))
    cohort = Cohort(**values)
    session.add(cohort)
    session.flush()
    events.record(session, type="cohort.created", subject=cohort, actor=actor)
    return cohort


def get_cohort(session: Session, *, actor: Actor, cohort_id: str) -> Cohort:
    """Cohorts are public facts; staff outside the cohort's regions still read them."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound()
    return cohort


def manages(actor: Actor, cohort: Cohort) -> bool:
    """Its facilitators, and admins whose regions hold the cohort's region."""
    if actor.role == Role.FACILITATOR and actor.user_id in cohort.facilitator_ids:
        return True
    return actor.admin_over(cohort.region_code)


def _managed_cohort(session: Session, actor: Actor, cohort_id: str) -> Cohort:
    cohort = get_cohort(session, actor=actor, cohort_id=cohort_id)
    if not manages(actor, cohort):
        raise NotFound() if not actor.is_staff else Forbidden("out_of_scope")
    return cohort


def update_cohort(
    session: Session, *, actor: Actor, cohort: Cohort, changes: Mapping[str, Any]
) -> Cohort:
    if not actor.admin_over(cohort.region_code):
        raise Forbidden("out_of_scope")
    values = dict(changes)
    if "facilitator_ids" in values:
        values["facilitator_ids"] = _facilitators(session, values["facilitator_ids"])
    if "region_code" in values:
        regions.require_region(session, values["region_code"], field="region_code")
        if not actor.covers(values["region_code"]):
            raise Forbidden("out_of_scope")
    for name, value in values.items():
        setattr(cohort, name, value)
    session.flush()
    events.record(session, type="cohort.updated", subject=cohort, actor=actor)
    return cohort


def list_cohorts(
    session: Session,
    *,
    program: str | None = None,
    year: int | None = None,
    region: str | None = None,
    limit: int,
    cursor: str | None = None,
    sort: str = "-year",
) -> Page[Cohort]:
    stmt = select(Cohort)
    if program:
        stmt = stmt.where(Cohort.program_id == program)
    if year:
        stmt = stmt.where(Cohort.year == year)
    if region:
        stmt = stmt.where(regions.within(Cohort.region_code, region))
    return paginate(
        session, stmt, model=Cohort, sort=sort, options=COHORT_SORTS, limit=limit, cursor=cursor
    )


# -- roster import ----------------------------------------------------------------------------


@dataclass
class RosterReport:
    """What an import found: every invalid row, duplicate and flagged row, by line number
    (header = 1)."""

    dry_run: bool
    rows: int = 0
    valid: int = 0
    created: int = 0
    invalid: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # Valid rows to look at: no phone, or a phone another row has (a household's phone).
    flagged: list[dict[str, Any]] = field(default_factory=list)


def _person(name: str, phone: str | None, village: str) -> tuple[str, str]:
    """Who a roster row is, for duplicates: her name and phone (or village, without one)."""
    return " ".join(name.casefold().split()), phone or "village:" + village


def _phone(raw: str) -> str | None:
    """An Indonesian number in E.164, or None (rosters list Indonesian numbers only)."""
    number = phones.parse(raw)
    return phones.e164(number) if number is not None and phones.is_indonesian(number) else None


def import_roster(
    session: Session,
    *,
    actor: Actor,
    cohort_id: str,
    data: bytes,
    dry_run: bool,
    progress: Any = None,
    as_operator: bool = False,
) -> RosterReport:
    """Read a roster (CSV or .xlsx: name, phone, village_code). A dry run writes nothing; a
    real run writes the valid new rows only when no row is invalid (all or nothing), skipping
    duplicates."""
    # The CLI runs as the operator, who may import into any cohort.
    cohort = (
        get_cohort(session, actor=actor, cohort_id=cohort_id)
        if as_operator
        else _managed_cohort(session, actor, cohort_id)
    )
    report = RosterReport(dry_run=dry_run)
    existing = list(session.scalars(select(RosterEntry).where(RosterEntry.cohort_id == cohort.id)))
    known = {_person(e.name, e.phone, e.village_code) for e in existing}
    phone_rows: dict[str, list[RosterEntry]] = {}
    for entry in existing:
        if entry.phone:
            phone_rows.setdefault(entry.phone, []).append(entry)
    villages: dict[str, bool] = {}
    seen: dict[tuple[str, str], int] = {}
    first_line: dict[str, int] = {}
    fresh: list[RosterEntry] = []
    shared_stored: list[RosterEntry] = []
    fresh_shared: list[RosterEntry] = []
    for line, row in rosters.read_rows(data, ("name", "phone", "village_code")):
        report.rows += 1
        if report.rows > MAX_ROSTER_ROWS:
            raise ValidationFailed(errors={"file": [f"At most {MAX_ROSTER_ROWS} rows at once."]})
        errors: dict[str, list[str]] = {}
        if not 1 <= len(row.get("name", "")) <= 100:
            errors["name"] = ["Required, at most 100 characters."]
        raw_phone = row.get("phone", "")
        phone = _phone(raw_phone) if raw_phone else None
        if raw_phone and phone is None:
            errors["phone"] = ["Not an Indonesian phone number."]
        code = row.get("village_code", "")
        if code not in villages:
            region = session.get(Region, code) if regions.CODE_PATTERN.match(code) else None
            villages[code] = region is not None and region.level == RegionLevel.VILLAGE
        if not villages[code]:
            errors["village_code"] = ["Not a village code."]
        if errors:
            report.invalid.append({"line": line, "errors": errors})
            continue
        person = _person(row["name"], phone, code)
        if person in seen:
            report.duplicates.append({"line": line, "phone": phone, "same_as_line": seen[person]})
            continue
        seen[person] = line
        if person in known:
            report.duplicates.append({"line": line, "phone": phone, "already_in_roster": True})
            continue
        report.valid += 1
        entry = RosterEntry(cohort_id=cohort.id, name=row["name"], phone=phone, village_code=code)
        if phone is None:
            report.flagged.append({"line": line, "flag": "missing_phone"})
        elif phone_rows.get(phone):
            for other in phone_rows[phone]:
                # Rows already stored are flagged only when this import is written.
                (shared_stored if other in existing else fresh_shared).append(other)
            entry.phone_shared = True
            flag: dict[str, Any] = {"line": line, "flag": "shared_phone", "phone": phone}
            if phone in first_line:
                flag["same_as_line"] = first_line[phone]
            else:
                flag["already_in_roster"] = True
            report.flagged.append(flag)
        if phone:
            phone_rows.setdefault(phone, []).append(entry)
            first_line.setdefault(phone, line)
        fresh.append(entry)
        if progress and report.rows % 500 == 0:
            progress(report.rows)
    if dry_run:
        return report
    if report.invalid:
        raise ValidationFailed(
            "roster_invalid",
            params={"count": len(report.invalid)},
            extra={"invalid": report.invalid[:100], "duplicates": report.duplicates[:100]},
        )
    for entry in (*shared_stored, *fresh_shared):
        entry.phone_shared = True
    session.add_all(fresh)
    session.flush()
    report.created = len(fresh)
    events.record(
        session,
        type="cohort.roster_imported",
        subject=cohort,
        actor=actor,
        data={"created": report.created, "duplicates": len(report.duplicates)},
    )
    return report


def list_roster(
    session: Session, *, actor: Actor, cohort_id: str, limit: int, cursor: str | None = None
) -> Page[RosterEntry]:
    cohort = _managed_cohort(session, actor, cohort_id)
    stmt = select(RosterEntry).where(RosterEntry.cohort_id == cohort.id)
    return paginate(
        session,
        stmt,
        model=RosterEntry,
        sort="created_at",
        options=sort_options(RosterEntry, created_at=["created_at"]),
        limit=limit,
        cursor=cursor,
    )


# -- graduate claims --------------------------------------------------------------------------


def claim(session: Session, *, actor: Actor, cohort_id: str, note: str = "") -> GraduateClaim:
    """An alumna claims she graduated from a cohort; her phone is matched against its roster."""
    alumna = actor.require_user()
    cohort = get_cohort(session, actor=actor, cohort_id=cohort_id)
    if session.scalar(
        select(GraduateClaim.id).where(
            GraduateClaim.user_id == alumna.id, GraduateClaim.cohort_id == cohort.id
        )
    ):
        raise Conflict("already_claimed")
    entry = None
    if alumna.phone and alumna.phone_verified_at is not None:
        entry = session.scalar(
            select(RosterEntry).where(
                RosterEntry.cohort_id == cohort.id,
                RosterEntry.phone == alumna.phone,
                RosterEntry.phone_shared.is_(False),
            )
        )
    made = GraduateClaim(
        user_id=alumna.id,
        cohort_id=cohort.id,
        roster_entry_id=entry.id if entry else None,
        note=note,
    )
    session.add(made)
    session.flush()
    events.record(
        session,
        type="graduate_claim.made",
        subject=made,
        actor=actor,
        data={"cohort_id": cohort.id, "matched": entry is not None},
        notify=cohort.facilitator_ids,
    )
    return made


def roster_matches(session: Session, *, actor: Actor) -> list[Cohort]:
    """Cohorts whose roster lists the caller's phone: where she can claim with a match."""
    user = actor.require_user()
    if not user.phone:
        return []
    if user.phone_verified_at is None:
        raise Forbidden("phone_not_verified")
    return list(
        session.scalars(
            select(Cohort)
            .join(RosterEntry, RosterEntry.cohort_id == Cohort.id)
            .where(RosterEntry.phone == user.phone, RosterEntry.phone_shared.is_(False))
            .order_by(Cohort.year.desc())
        )
    )


def get_claim(session: Session, *, actor: Actor, claim_id: str) -> GraduateClaim:
    found = session.get(GraduateClaim, claim_id)
    if found is None or not (found.user_id == actor.user_id or manages(actor, found.cohort)):
        raise NotFound()
    return found


def decide(
    session: Session, *, actor: Actor, claim_id: str, verify: bool, reason: str | None = None
) -> GraduateClaim:
    """The cohort's facilitator or an admin in scope verifies or rejects a claim. Verification
    sets ``verified_graduate`` on all her businesses (and on those she starts later)."""
    found = get_claim(session, actor=actor, claim_id=claim_id)
    if not manages(actor, found.cohort):
        raise Forbidden("out_of_scope")
    if found.status != ClaimStatus.PENDING:
        raise Conflict("claim_decided", params={"status": found.status.value})
    found.status = ClaimStatus.VERIFIED if verify else ClaimStatus.REJECTED
    found.decided_by_id, found.decided_at, found.reason = actor.user_id, utcnow(), reason
    session.flush()
    if verify:
        session.execute(
            update(Business)
            .where(Business.owner_id == found.user_id)
            .values(verified_graduate=True)
        )
    events.record(
        session,
        type=f"graduate_claim.{found.status.value}",
        subject=found,
        actor=actor,
        data={"cohort_id": found.cohort_id, "reason": reason},
        notify=(found.user_id,),
    )
    return found


CLAIM_FIRST = "She has not claimed this cohort: she says she graduated from it first."


def link_graduate(
    session: Session, *, actor: Actor, cohort_id: str, entry_id: str, user_id: str
) -> GraduateClaim:
    """A facilitator (or admin) of the cohort who met her links her roster row to her account:
    for rows without a phone of her own, or with a household's phone. Her claim to the cohort
    (she makes it: the link never makes one, or any facilitator could make any woman his
    graduate and then recover her account) is verified."""
    cohort = _managed_cohort(session, actor, cohort_id)
    entry = session.get(RosterEntry, entry_id)
    if entry is None or entry.cohort_id != cohort.id:
        raise NotFound()
    user = session.get(User, user_id)
    if user is None or user.erased_at is not None or user.role != Role.ALUMNA:
        raise ValidationFailed(errors={"user_id": ["Not an alumna's account."]})
    taken = session.scalar(
        select(GraduateClaim.user_id).where(GraduateClaim.roster_entry_id == entry.id)
    )
    if taken is not None and taken != user.id:
        raise Conflict("roster_entry_linked")
    found = session.scalar(
        select(GraduateClaim).where(
            GraduateClaim.user_id == user.id, GraduateClaim.cohort_id == cohort.id
        )
    )
    if found is None:
        raise ValidationFailed(errors={"user_id": [CLAIM_FIRST]})
    found.roster_entry_id = entry.id
    found.status = ClaimStatus.VERIFIED
    found.decided_by_id, found.decided_at, found.reason = actor.user_id, utcnow(), None
    session.flush()
    session.execute(
        update(Business).where(Business.owner_id == user.id).values(verified_graduate=True)
    )
    events.record(
        session,
        type="graduate_claim.linked",
        subject=found,
        actor=actor,
        data={"cohort_id": cohort.id, "roster_entry_id": entry.id, "user_id": user.id},
        notify=(user.id,),
    )
    return found


def list_claims(
    session: Session,
    *,
    actor: Actor,
    cohort: str | None = None,
    status: Sequence[ClaimStatus] | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[GraduateClaim]:
    """Staff: claims of cohorts they manage. Others: their own claims."""
    user = actor.require_user()
    stmt = select(GraduateClaim)
    if actor.is_staff:
        # Cohorts are few: the ones this staff member manages are found in Python (facilitators
        # are a JSON list, which the two databases cannot search alike).
        managed = [c.id for c in session.scalars(select(Cohort)) if manages(actor, c)]
        stmt = stmt.where(GraduateClaim.cohort_id.in_(managed))
    else:
        stmt = stmt.where(GraduateClaim.user_id == user.id)
    if cohort:
        stmt = stmt.where(GraduateClaim.cohort_id == cohort)
    if status:
        stmt = stmt.where(GraduateClaim.status.in_(status))
    return paginate(
        session,
        stmt,
        model=GraduateClaim,
        sort="-created_at",
        options=CLAIM_SORTS,
        limit=limit,
        cursor=cursor,
    )


# -- check-ins ------------------------------------------------------------------------------


def facilitates(session: Session, actor: Actor, owner_id: str) -> bool:
    """Whether the actor facilitates a cohort the owner is a verified graduate of."""
    if actor.role != Role.FACILITATOR or actor.user_id is None:
        return False
    cohorts = session.scalars(
        select(Cohort)
        .join(GraduateClaim, GraduateClaim.cohort_id == Cohort.id)
        .where(GraduateClaim.user_id == owner_id, GraduateClaim.status == ClaimStatus.VERIFIED)
    )
    return any(actor.user_id in c.facilitator_ids for c in cohorts)


def record_check_in(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> tuple[CheckIn, bool]:
    """The month's check-in, by the owner or her facilitator; a second one that month updates
    it. Returns the check-in and whether it was new."""
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound()
    owner = actor.user_id == business.owner_id
    if not (owner or facilitates(session, actor, business.owner_id)):
        businesses.get_business(session, actor=actor, business_id=business_id)  # 404 if hidden
        raise Forbidden("not_your_business")
    values = dict(data)
    month = values.pop("month", None) or this_month()
    if month > this_month():
        raise ValidationFailed(errors={"month": ["Not a month in the future."]})
    if (
        values.get("revenue_idr") is None
        and values.get("revenue_band") is None
        and values.get("trading")
    ):
        raise ValidationFailed(errors={"revenue_idr": ["Give revenue_idr or revenue_band."]})
    existing = session.scalar(
        select(CheckIn).where(CheckIn.business_id == business.id, CheckIn.month == month)
    )
    created = existing is None
    check_in = existing or CheckIn(business_id=business.id, month=month)
    for name, value in values.items():
        setattr(check_in, name, value)
    helper = actor.assisted_by.id if actor.assisted_by else None
    check_in.recorded_by_id = helper or actor.user_id
    check_in.on_behalf_of_id = business.owner_id if (helper or not owner) else None
    if created:
        session.add(check_in)
    session.flush()
    businesses.touch(session, business.id)
    events.record(
        session,
        type="check_in.recorded" if created else "check_in.updated",
        subject=check_in,
        actor=actor,
        data={
            "business_id": business.id,
            "month": month.isoformat(),
            "trading": check_in.trading,
            "on_behalf_of": check_in.on_behalf_of_id,
        },
        notify=() if owner else (business.owner_id,),
    )
    return check_in, created


def list_check_ins(
    session: Session, *, actor: Actor, business_id: str, limit: int, cursor: str | None = None
) -> Page[CheckIn]:
    business = businesses.get_business(session, actor=actor, business_id=business_id)
    if not (
        can(actor, "view_figures", business)
        or facilitates(session, actor, business.owner_id)
        or actor.covers(business.village_code)
    ):
        raise Forbidden()
    stmt = select(CheckIn).where(CheckIn.business_id == business.id)
    return paginate(
        session,
        stmt,
        model=CheckIn,
        sort="-month",
        options=CHECK_IN_SORTS,
        limit=limit,
        cursor=cursor,
    )


# -- follow-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpItem:
    """A business to follow up, with what a facilitator needs to act: who to call, where, which
    cohort she graduated from, and what she said at her last check-in."""

    business: Business
    owner: User
    cohort: Cohort | None
    last_check_in: CheckIn | None
    # Why she is on the list: quiet (no activity), unanswered (no reply to the monthly
    # question after a reminder), help ("Butuh bantuan"), support_wanted (in a check-in).
    reason: str = "quiet"
    check_in_prompt: CheckInPrompt | None = None
    messages: list[Message] = field(default_factory=list)
    last_outreach: Outreach | None = None


def follow_up(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    region: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[FollowUpItem]:
    """Her caseload: businesses at risk or dormant in the caller's regions, and those whose
    owner did not answer the monthly question after a reminder, asked for help, or wrote what
    support she wants in a recent check-in; longest quiet first."""
    _require_staff(actor)
    now = utcnow()
    since = add_months(this_month(), -1)
    asking = select(CheckInPrompt.business_id).where(
        CheckInPrompt.month >= since, CheckInPrompt.stage.in_(("unanswered", "help"))
    )
    wanting = select(CheckIn.business_id).where(
        CheckIn.month >= since, CheckIn.support_wanted != ""
    )
    stmt = select(Business).where(
        Business.status != BusinessStatus.CLOSED,
        or_(
            Business.last_activity_at < now - dt.timedelta(days=ACTIVE_DAYS),
            Business.id.in_(asking),
            Business.id.in_(wanting),
        ),
    )
    if status == "dormant":
        stmt = stmt.where(Business.last_activity_at < now - dt.timedelta(days=DORMANT_DAYS))
    elif status == "at_risk":
        stmt = stmt.where(Business.last_activity_at >= now - dt.timedelta(days=DORMANT_DAYS))
    if actor.regions is not None:
        scope = regions.within_any(Business.village_code, actor.regions)
        mine = _facilitated_owners(session, actor)
        stmt = stmt.where(or_(scope, Business.owner_id.in_(mine)) if mine is not None else scope)
    if region:
        stmt = stmt.where(regions.within(Business.village_code, region))
    page = paginate(
        session,
        stmt,
        model=Business,
        sort="last_activity_at",
        options=FOLLOW_UP_SORTS,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=_follow_up_items(session, page.items), next_cursor=page.next_cursor)


def _facilitated_owners(session: Session, actor: Actor) -> Any:
    """For a facilitator: the verified graduates of the cohorts she facilitates (her caseload
    reaches them wherever they live); None for others."""
    if actor.role != Role.FACILITATOR:
        return None
    cohort_ids = [
        c.id for c in session.scalars(select(Cohort)) if actor.user_id in c.facilitator_ids
    ]
    return (
        select(GraduateClaim.user_id)
        .where(
            GraduateClaim.cohort_id.in_(cohort_ids),
            GraduateClaim.status == ClaimStatus.VERIFIED,
        )
        .scalar_subquery()
    )


def _follow_up_items(session: Session, found: Sequence[Business]) -> list[FollowUpItem]:
    """The page's owners, cohorts and last check-ins in three queries, not three per row."""
    owner_ids = {b.owner_id for b in found}
    business_ids = [b.id for b in found]
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(owner_ids)))}
    # Her cohort: a verified claim first, then a pending one; the latest of each.
    cohorts: dict[str, Cohort] = {}
    claims = session.execute(
        select(GraduateClaim.user_id, Cohort)
        .join(Cohort, Cohort.id == GraduateClaim.cohort_id)
        .where(
            GraduateClaim.user_id.in_(owner_ids),
            GraduateClaim.status.in_([ClaimStatus.VERIFIED, ClaimStatus.PENDING]),
        )
        .order_by(
            (GraduateClaim.status == ClaimStatus.VERIFIED).desc(),
            GraduateClaim.created_at.desc(),
        )
    ).all()
    for user_id, cohort in claims:
        cohorts.setdefault(user_id, cohort)
    latest = (
        select(CheckIn.business_id, func.max(CheckIn.month).label("month"))
        .where(CheckIn.business_id.in_(business_ids))
        .group_by(CheckIn.business_id)
        .subquery()
    )
    check_ins = {
        c.business_id: c
        for c in session.scalars(
            select(CheckIn).join(
                latest,
                (CheckIn.business_id == latest.c.business_id) & (CheckIn.month == latest.c.month),
            )
        )
    }
    prompts: dict[str, CheckInPrompt] = {}
    for prompt in session.scalars(
        select(CheckInPrompt)
        .where(CheckInPrompt.business_id.in_(business_ids))
        .order_by(CheckInPrompt.month.desc())
    ):
        prompts.setdefault(prompt.business_id, prompt)
    sent: dict[str, list[Message]] = {}
    for message in session.scalars(
        select(Message)
        .where(Message.business_id.in_(business_ids))
        .order_by(Message.created_at.desc(), Message.id.desc())
    ):
        if len(sent.setdefault(message.business_id or "", [])) < MESSAGES_SHOWN:
            sent[message.business_id or ""].append(message)
    outreach: dict[str, Outreach] = {}
    for done in session.scalars(
        select(Outreach)
        .where(Outreach.business_id.in_(business_ids))
        .order_by(Outreach.created_at.desc())
    ):
        outreach.setdefault(done.business_id, done)
    since = add_months(this_month(), -1)

    def reason(b: Business) -> str:
        prompt, check_in = prompts.get(b.id), check_ins.get(b.id)
        if prompt is not None and prompt.month >= since and prompt.stage in ("help", "unanswered"):
            return prompt.stage
        if check_in is not None and check_in.month >= since and check_in.support_wanted:
            return "support_wanted"
        return "quiet"

    return [
        FollowUpItem(
            business=b,
            owner=owners[b.owner_id],
            cohort=cohorts.get(b.owner_id),
            last_check_in=check_ins.get(b.id),
            reason=reason(b),
            check_in_prompt=prompts.get(b.id),
            messages=sent.get(b.id, []),
            last_outreach=outreach.get(b.id),
        )
        for b in found
    ]


# -- outreach --------------------------------------------------------------------------------


def _caseload_business(session: Session, actor: Actor, business_id: str) -> Business:
    """A business on the caller's side of the world: in her regions (admins), or of a graduate
    of a cohort she facilitates (facilitators)."""
    _require_staff(actor)
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound()
    if actor.role == Role.FACILITATOR and facilitates(session, actor, business.owner_id):
        return business
    if actor.covers(business.village_code):
        return business
    raise NotFound()


def record_outreach(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> Outreach:
    """What a facilitator did about a business on her caseload: called, visited, no answer,
    moved, closed, referred; with a note and the date she will try next."""
    business = _caseload_business(session, actor, business_id)
    done = Outreach(
        business_id=business.id,
        facilitator_id=actor.user_id,
        outcome=data["outcome"],
        note=data.get("note", ""),
        next_on=data.get("next_on"),
    )
    session.add(done)
    session.flush()
    events.record(
        session,
        type="outreach.recorded",
        subject=done,
        actor=actor,
        data={"business_id": business.id, "outcome": done.outcome.value},
    )
    return done


def outreach_report(session: Session, *, actor: Actor, month: dt.date) -> dict[str, Any]:
    """A facilitator's month: outreach done by outcome, the businesses she reached that checked
    in afterwards that month (reactivated), and referrals."""
    _require_staff(actor)
    user_id = actor.user_id
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
    end_day = add_months(month, 1)
    end = dt.datetime(end_day.year, end_day.month, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
    rows = session.scalars(
        select(Outreach).where(
            Outreach.facilitator_id == user_id,
            Outreach.created_at >= start,
            Outreach.created_at < end,
        )
    ).all()
    by_outcome = {o.value: 0 for o in OutreachOutcome}
    for row in rows:
        by_outcome[row.outcome.value] += 1
    reached = {row.business_id for row in rows}
    reactivated = 0
    if reached:
        first = {b: min(r.created_at for r in rows if r.business_id == b) for b in reached}
        for check_in in session.scalars(
            select(CheckIn).where(CheckIn.business_id.in_(reached), CheckIn.month == month)
        ):
            if check_in.trading and check_in.updated_at >= first[check_in.business_id]:
                reactivated += 1
    return {
        "facilitator_id": user_id,
        "month": month,
        "outreach": len(rows),
        "by_outcome": by_outcome,
        "businesses_reached": len(reached),
        "businesses_reactivated": reactivated,
        "referrals": by_outcome["referred"],
    }


def refer(
    session: Session, *, actor: Actor, business_id: str, data: Mapping[str, Any]
) -> tuple[Outreach, Any]:
    """Turn a caseload item into a mentoring request or a support need on her behalf, in one
    call: her facilitator acts as her (assisted: the event and the audit log name both), when
    she asked for help (a "Butuh bantuan" reply, support wanted in a check-in of this or last
    month) or gave her an assist grant; the outreach is recorded as ``referred``."""
    if actor.role != Role.FACILITATOR or actor.user is None:
        raise Forbidden()
    business = session.get(Business, business_id)
    if business is None or not facilitates(session, actor, business.owner_id):
        raise NotFound()
    owner = session.get(User, business.owner_id)
    assert owner is not None
    since = add_months(this_month(), -1)
    asked = session.scalar(
        select(CheckInPrompt.id).where(
            CheckInPrompt.business_id == business.id,
            CheckInPrompt.month >= since,
            CheckInPrompt.answer == "help",
        )
    ) or session.scalar(
        select(CheckIn.id).where(
            CheckIn.business_id == business.id,
            CheckIn.month >= since,
            CheckIn.support_wanted != "",
        )
    )
    if asked is None:
        # Without her ask, only her grant lets the facilitator act for her (403 otherwise).
        her = assist.acting_for(session, facilitator=actor, alumna_id=owner.id)
    else:
        her = assist.as_her(owner, facilitator=actor.user)
    kind = data["kind"]
    made: Any
    if kind == "mentoring_request":
        if not data.get("mentoring_request"):
            raise ValidationFailed(errors={"mentoring_request": ["Describe the request."]})
        made = mentoring.create_request(
            session, actor=her, data={**data["mentoring_request"], "business_id": business.id}
        )
    else:
        if not data.get("support_need"):
            raise ValidationFailed(errors={"support_need": ["Describe the need."]})
        made = sponsorship.create_need(
            session, actor=her, business_id=business.id, data=data["support_need"]
        )
    done = record_outreach(
        session,
        actor=actor,
        business_id=business.id,
        data={"outcome": OutreachOutcome.REFERRED, "note": data.get("note", "")},
    )
    return done, made
