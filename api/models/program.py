"""The empowerment program: staff scopes, programs, cohorts, rosters, graduate claims, check-ins."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow
from api.models.accounts import User
from api.models.regions import RegionCode
from api.models.types import str_enum


class StaffRegion(Base):
    """A region an admin or facilitator works in (with everything below it). An admin with
    none works everywhere; a facilitator with none, nowhere."""

    __tablename__ = "staff_regions"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT"), primary_key=True
    )


class Program(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "programs"
    id_prefix = "prg"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    organizer: Mapped[str] = mapped_column(String(200), default="")


class Cohort(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One class of a program: year, region, track, facilitators, graduation date."""

    __tablename__ = "cohorts"
    __table_args__ = (Index("ix_cohorts_program_id_year", "program_id", "year"),)
    id_prefix = "coh"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int]
    region_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    track: Mapped[str] = mapped_column(String(60), default="")
    graduated_on: Mapped[dt.date | None] = mapped_column(Date)
    facilitator_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)


class RosterEntry(IdMixin, Base):
    """A graduate as the program listed her: how claims are matched, by phone.

    A row may have no phone, or share one with other rows (a household's phone): such rows are
    valid and flagged (``phone_shared``); they are never matched by phone, only linked by a
    facilitator who met her (``program.link_graduate``), and count as graduates all the same.
    """

    __tablename__ = "roster_entries"
    __table_args__ = (Index("ix_roster_entries_phone", "phone"),)
    id_prefix = "ros"

    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    village_code: Mapped[str] = mapped_column(
        RegionCode, ForeignKey("regions.code", ondelete="RESTRICT")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ClaimStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class GraduateClaim(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An alumna says she graduated from a cohort; a facilitator or an admin decides."""

    __tablename__ = "graduate_claims"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)
    id_prefix = "clm"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    roster_entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("roster_entries.id", ondelete="SET NULL")
    )
    status: Mapped[ClaimStatus] = mapped_column(
        str_enum(ClaimStatus, "claim_status"), default=ClaimStatus.PENDING
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    cohort: Mapped[Cohort] = relationship(lazy="joined", innerjoin=True)

    @property
    def matched(self) -> bool:
        return self.roster_entry_id is not None


class RevenueBand(StrEnum):
    NONE = "none"
    UNDER_1M = "under_1m"
    FROM_1M_TO_5M = "1m_5m"
    FROM_5M_TO_15M = "5m_15m"
    OVER_15M = "over_15m"


class CheckIn(IdMixin, TimestampMixin, VersionedMixin, Base):
    """How a business did in one month; one per business per month (a second one updates it)."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("business_id", "month"),
        # The statistics' revenue medians read the last 12 months' revenues from it alone.
        Index(
            "ix_check_ins_month_revenue",
            "month",
            postgresql_include=["business_id", "revenue_idr"],
            postgresql_where=text("revenue_idr IS NOT NULL"),
            sqlite_where=text("revenue_idr IS NOT NULL"),
        ),
    )
    id_prefix = "chk"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    month: Mapped[dt.date] = mapped_column(Date)  # the first day of the month
    trading: Mapped[bool]
    revenue_idr: Mapped[int | None] = mapped_column(BigInteger)
    revenue_band: Mapped[RevenueBand | None] = mapped_column(str_enum(RevenueBand, "revenue_band"))
    orders: Mapped[int | None]
    workers: Mapped[int | None]
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    challenges: Mapped[str] = mapped_column(String(2000), default="")
    support_wanted: Mapped[str] = mapped_column(String(2000), default="")
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    on_behalf_of_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


NO_DAY = dt.date(1900, 1, 1)  # stats_facts.since of a cohort without a graduation day


class StatsFact(Base):
    """What the statistics need of one business measured from one of its owner's graduation
    days: the day 3, 6, 12 and 24 months after, whether it was known and still trading then
    (stored before that day too; counted once it has passed), its last trading check-in and its
    last order, its completed orders and the sponsorship it received. A business whose cohort
    has no graduation day has one row on ``NO_DAY`` (never known at a horizon). Derived data,
    kept by ``api.services.stats_facts`` in the transaction that changes what it derives from,
    so that the province's figures are sums over these rows."""

    __tablename__ = "stats_facts"

    business_id: Mapped[str] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    target_3m: Mapped[dt.date] = mapped_column(Date)
    known_3m: Mapped[bool]
    alive_3m: Mapped[bool]
    target_6m: Mapped[dt.date] = mapped_column(Date)
    known_6m: Mapped[bool]
    alive_6m: Mapped[bool]
    target_12m: Mapped[dt.date] = mapped_column(Date)
    known_12m: Mapped[bool]
    alive_12m: Mapped[bool]
    target_24m: Mapped[dt.date] = mapped_column(Date)
    known_24m: Mapped[bool]
    alive_24m: Mapped[bool]
    last_trading_month: Mapped[dt.date | None] = mapped_column(Date)
    last_order_at: Mapped[dt.datetime | None]
    orders_completed: Mapped[int]
    sponsorship_idr: Mapped[int] = mapped_column(BigInteger)  # confirmed disbursements
    # Her latest monthly revenue (the amount, and the band given or the amount's, as its rank
    # in ``RevenueBand``) and the month it was for: the medians are over businesses, one value
    # each, among those that reported in the last 12 months.
    revenue_month: Mapped[dt.date | None] = mapped_column(Date)
    revenue_idr: Mapped[int | None] = mapped_column(BigInteger)
    band_month: Mapped[dt.date | None] = mapped_column(Date)
    band_rank: Mapped[int | None] = mapped_column(SmallInteger)


class EarliestCohort:
    """Whether a row's cohort is the earliest (by graduation day, then id) of its business's or
    woman's cohorts of the same program, region or year: a group without filters is then the
    rows flagged for it, each once, with no grouping to do (``api.services.stats``)."""

    first_in_program: Mapped[bool] = mapped_column(default=True)
    first_in_region: Mapped[bool] = mapped_column(default=True)
    first_in_year: Mapped[bool] = mapped_column(default=True)


class StatsMember(EarliestCohort, Base):
    """A business in a cohort: the business of a woman whose claim to the cohort is verified,
    once per business and cohort, with the day the business was listed. Derived data, kept with
    ``StatsFact`` by ``api.services.stats_facts``, so that a group's population is one scan of
    this table joined to the cohorts (a few hundred rows), not the join of every claim with
    every business on each request."""

    __tablename__ = "stats_members"
    __table_args__ = (Index("ix_stats_members_cohort_id", "cohort_id"),)

    business_id: Mapped[str] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[str] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime]  # the business's, which never changes


class StatsGraduate(EarliestCohort, Base):
    """A verified graduate in a cohort, with whether it is her earliest cohort (by graduation
    day, then id) among her cohorts of the same program, region or year: a group's verified
    graduates without filters are a count of flagged rows, not a ``count(DISTINCT)`` over
    every claim. Derived data, kept with ``StatsMember`` by ``api.services.stats_facts``."""

    __tablename__ = "stats_graduates"
    __table_args__ = (Index("ix_stats_graduates_cohort_id", "cohort_id"),)

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[str] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )


class AssistGrant(IdMixin, Base):
    """An alumna lets a facilitator act for her until it expires or she revokes it."""

    __tablename__ = "assist_grants"
    __table_args__ = (
        Index("ix_assist_grants_alumna_id_facilitator_id", "alumna_id", "facilitator_id"),
    )
    id_prefix = "asg"

    alumna_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    facilitator_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


class AuditEntry(Base):
    """What staff did, and what was done for an alumna by someone assisting her. Append-only:
    the database refuses updates and deletes (migration 0015)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_actor_id", "actor_id"))

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(40))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    assisted_by_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
