"""What helped: survival and activity of the businesses of a group (cohort, program, region,
year) by what their owners had: completed training, mentoring, sponsorship, or none of these.

A business counts under ``trained`` when its owner holds a certificate of a completed training
event that was not revoked; ``mentored`` when she completed a mentoring; ``sponsored`` when the
business had a sponsorship that started (active or completed); ``none`` when none of the three.
The first three overlap (a woman both trained and mentored counts in both). Activity and
survival are those of ``api.services.stats``, on the same population.

Rows of fewer than ``MIN_GROUP`` businesses are suppressed, as in every statistic. Because the
group's total is public (``/v1/stats/{group}``), a suppressed ``none`` row could be recovered as
the total less the one exposure row when only one kind of help occurs in the group: that row is
suppressed too.

The comparison shows association, not cause: women who chose training may differ from those
who did not. Every answer says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    ACTIVE_DAYS,
    Business,
    BusinessStatus,
    CertificateStatus,
    CheckIn,
    Cohort,
    MentoringRequest,
    Order,
    Program,
    RequestStatus,
    Sponsorship,
    SponsorshipStatus,
    TrainingCertificate,
)
from api.services import regions, stats
from api.services.authz import Actor

EXPOSURES = ("trained", "mentored", "sponsored", "none")
HORIZONS = (6, 12)
FIGURES = ("businesses", "share_active", *(f"survival_{m}m" for m in HORIZONS))
NOTE = {
    "en": "These figures show association, not cause: women who took up training, mentoring "
    "or sponsorship may differ from those who did not in ways the figures do not see. Groups "
    "of fewer than 5 businesses are not shown.",
    "id": "Angka ini menunjukkan keterkaitan, bukan sebab-akibat: perempuan yang mengikuti "
    "pelatihan, pendampingan atau sponsor bisa berbeda dari yang tidak, dengan cara yang tidak "
    "terlihat di angka ini. Kelompok dengan kurang dari 5 usaha tidak ditampilkan.",
}


@dataclass
class Row:
    exposure: str
    suppressed: bool = False
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class HelpedGroup:
    key: str
    label: str
    rows: list[Row]


def _exposures(pop: Any) -> dict[str, ColumnElement[bool]]:
    """What the owner of each business of ``pop`` had (correlated to ``pop`` joined to
    ``Business``)."""
    trained = exists().where(
        TrainingCertificate.user_id == Business.owner_id,
        TrainingCertificate.status != CertificateStatus.REVOKED,
    )
    mentored = exists().where(
        MentoringRequest.alumna_id == Business.owner_id,
        MentoringRequest.status == RequestStatus.COMPLETED,
    )
    sponsored = exists().where(
        Sponsorship.business_id == pop.c.business_id,
        Sponsorship.status.in_((SponsorshipStatus.ACTIVE, SponsorshipStatus.COMPLETED)),
    )
    return {
        "trained": trained,
        "mentored": mentored,
        "sponsored": sponsored,
        "none": and_(not_(trained), not_(mentored), not_(sponsored)),
    }


def _tagged(pop: Any) -> Any:
    """(key, exposure, business...) once per exposure a business has."""
    parts = [
        select(pop, literal(name).label("exposure"))
        .join(Business, Business.id == pop.c.business_id)
        .where(condition)
        for name, condition in _exposures(pop).items()
    ]
    return union_all(*parts).cte("tagged")


def what_helped(
    session: Session,
    *,
    actor: Actor,
    group: str,
    program: str | None = None,
    year: int | None = None,
    region: str | None = None,
    today: dt.date | None = None,
) -> list[HelpedGroup]:
    today = today or utcnow().date()
    where = stats.cohort_filter(program, year, region)
    groups, days = _groups(session, group, where)
    if not groups:
        return []
    pop = stats.population(stats.group_key(group), where)
    tagged = _tagged(pop)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for key, exposure, count, active in session.execute(
        select(
            tagged.c.key,
            tagged.c.exposure,
            func.count(),
            func.sum(case((_is_active(tagged), 1), else_=0)),
        ).group_by(tagged.c.key, tagged.c.exposure)
    ):
        found[(key, exposure)] = {
            "businesses": int(count),
            "share_active": round(int(active or 0) / int(count), 4) if count else None,
        }
    h = stats.horizons(days, today)
    if h is not None:
        known, alive = _survival_terms(tagged, h)
        for key, exposure, months, existing, alive_n in session.execute(
            select(
                tagged.c.key,
                tagged.c.exposure,
                h.c.months,
                func.sum(case((known, 1), else_=0)),
                func.sum(case((alive, 1), else_=0)),
            )
            .join(h, h.c.since == tagged.c.since)
            .where(h.c.months.in_(HORIZONS))
            .group_by(tagged.c.key, tagged.c.exposure, h.c.months)
        ):
            existing = int(existing or 0)
            share = round(int(alive_n or 0) / existing, 4) if existing else None
            found.setdefault((key, exposure), {})[f"survival_{months}m"] = share
    return [_group(actor, item, found) for item in groups.values()]


def _group(
    actor: Actor, item: stats.Group, found: dict[tuple[str, str], dict[str, Any]]
) -> HelpedGroup:
    rows = []
    for exposure in EXPOSURES:
        figures = {name: found.get((item.key, exposure), {}).get(name) for name in FIGURES}
        count = int(figures["businesses"] or 0)
        figures["businesses"] = count
        rows.append(Row(exposure, count < stats.MIN_GROUP, figures))
    by = {r.exposure: r for r in rows}
    helped = [r for r in rows if r.exposure != "none" and r.figures["businesses"]]
    if by["none"].suppressed and len(helped) == 1:
        helped[0].suppressed = True  # total - this row would give the suppressed "none"
    if not (actor.is_admin and all(actor.covers(c.region_code) for c in item.cohorts)):
        for row in rows:
            if row.suppressed:
                row.figures = dict.fromkeys(FIGURES)
    else:
        for row in rows:
            row.suppressed = False
    return HelpedGroup(item.key, item.label, rows)


def _groups(
    session: Session, group: str, where: list[ColumnElement[bool]]
) -> tuple[dict[str, stats.Group], set[dt.date]]:
    """The groups of the cohorts chosen, labelled as ``stats.compute`` labels them, and the
    cohorts' graduation days."""
    rows = session.execute(
        select(Cohort, Program.name)
        .join(Program, Program.id == Cohort.program_id)
        .where(*where)
        .order_by(Cohort.year, Cohort.name, Cohort.id)
    ).all()
    groups: dict[str, stats.Group] = {}
    for cohort, program_name in rows:
        key, label = stats._label(group, cohort, program_name)
        groups.setdefault(key, stats.Group(key, label)).cohorts.append(cohort)
    if group == "region" and groups:
        named = regions.names(session, groups)
        for item in groups.values():
            item.label = named.get(item.key, item.key)
    return groups, {c.graduated_on for c, _ in rows if c.graduated_on is not None}


# The two definitions below are those of ``stats._figures`` (active; survival at a horizon).
# At the merge with stats_facts (migration 0031 on main), survival reads the facts' flags
# (``known_Nm``/``alive_Nm`` joined on business and graduation day) as ``stats._figures``
# does there; these two then go.


def _is_active(pop: Any) -> ColumnElement[bool]:
    active_since = utcnow() - dt.timedelta(days=ACTIVE_DAYS)
    return and_(
        pop.c.status != BusinessStatus.CLOSED,
        or_(pop.c.last_activity_at.is_(None), pop.c.last_activity_at > active_since),
    )


def _survival_terms(pop: Any, h: Any) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Whether a business was known to exist by the horizon, and whether it was trading then
    (a trading check-in that month or the one before, or an order in the 60 days before)."""
    reported_by_then = exists().where(
        CheckIn.business_id == pop.c.business_id, CheckIn.month <= h.c.target
    )
    known = not_(and_(pop.c.created_at >= h.c.next_day, not_(reported_by_then)))
    traded = exists().where(
        CheckIn.business_id == pop.c.business_id,
        CheckIn.trading.is_(True),
        or_(CheckIn.month == h.c.this_month, CheckIn.month == h.c.last_month),
    )
    ordered = exists().where(
        Order.business_id == pop.c.business_id,
        Order.created_at >= h.c.orders_from,
        Order.created_at < h.c.next_day,
    )
    return known, and_(known, or_(traded, ordered))


def note(language: str) -> str:
    return NOTE.get(language, NOTE["en"])
