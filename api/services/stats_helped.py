"""What helped: survival and activity of the businesses of a group (cohort, program, region,
year) by what their owners had: completed training, mentoring, sponsorship, or none of these.

A business counts under ``trained`` when its owner holds a certificate of a completed training
event that was not revoked; ``mentored`` when she completed a mentoring; ``sponsored`` when the
business had a sponsorship that started (active or completed); ``none`` when none of the three.
The first three overlap (a woman both trained and mentored counts in both). Activity and
survival are those of ``api.services.stats``, on the same population, counted by the same code
(``stats.activity_sums``: the "active" condition and the survival flags of ``stats_facts``).

Rows of fewer than ``MIN_GROUP`` businesses are suppressed, as in every statistic. Because the
group's total is public (``/v1/stats/{group}``), a suppressed ``none`` row could be recovered as
the total less the one exposure row when only one kind of help occurs in the group: that row is
suppressed too. Likewise a published ``none`` would give away the businesses with any help
(the total less ``none``): when they are fewer than ``MIN_GROUP`` (so every helped row is
suppressed), ``none`` is suppressed as well.

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
    exists,
    func,
    literal,
    not_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Business,
    CertificateStatus,
    Cohort,
    MentoringRequest,
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
    groups = _groups(session, group, where)
    if not groups:
        return []
    tagged = _tagged(stats.population(group, where))
    pop = stats.population(group, where, activity=False)
    totals: dict[str, int] = {
        key: int(count)
        for key, count in session.execute(
            select(pop.c.key, func.count(func.distinct(pop.c.business_id))).group_by(pop.c.key)
        )
    }
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for key, exposure, *sums in session.execute(
        stats.with_facts(
            select(tagged.c.key, tagged.c.exposure, *stats.activity_sums(tagged, today, HORIZONS)),
            tagged,
        ).group_by(tagged.c.key, tagged.c.exposure)
    ):
        found[(key, exposure)] = stats.activity_shares(sums, HORIZONS)
    return [_group(actor, item, found, totals.get(item.key, 0)) for item in groups.values()]


def _group(
    actor: Actor, item: stats.Group, found: dict[tuple[str, str], dict[str, Any]], total: int
) -> HelpedGroup:
    rows = []
    for exposure in EXPOSURES:
        figures = {name: found.get((item.key, exposure), {}).get(name) for name in FIGURES}
        count = int(figures["businesses"] or 0)
        figures["businesses"] = count
        rows.append(Row(exposure, count < stats.MIN_GROUP, figures))
    by = {r.exposure: r for r in rows}
    helped = [r for r in rows if r.exposure != "none" and r.figures["businesses"]]
    if 0 < total - by["none"].figures["businesses"] < stats.MIN_GROUP:
        # Fewer than 5 businesses had any help, so every helped row is suppressed; the public
        # total less a published "none" would give their number (and the only one's) away.
        by["none"].suppressed = True
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
) -> dict[str, stats.Group]:
    """The groups of the cohorts chosen, labelled as ``stats.compute`` labels them."""
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
    return groups


def note(language: str) -> str:
    return NOTE.get(language, NOTE["en"])
