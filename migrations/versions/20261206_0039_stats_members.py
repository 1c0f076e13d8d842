"""The statistics' population as a table (``stats_members``) and each business's latest revenue

A group's population (the businesses of its verified graduates) was the join of every verified
claim with every business on every statistics request, ~130 ms of each statement at provincial
scale. ``api.services.stats_facts`` now keeps it as rows (business, cohort, listed on) with the
facts, in the transaction that changes them; this migration fills both for the data already
there. The facts gain each business's latest monthly revenue (amount, band, month): the
group's medians become one value per business, in the same pass as the other figures.

Revision ID: 0039
Revises: 0038_event_needs
Create Date: 2026-12-06 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0039"
down_revision: str | None = "0038_event_needs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_members",
        sa.Column("business_id", sa.String(length=32), nullable=False),
        sa.Column("cohort_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_in_program", sa.Boolean(), nullable=False),
        sa.Column("first_in_region", sa.Boolean(), nullable=False),
        sa.Column("first_in_year", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_stats_members_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_stats_members_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("business_id", "cohort_id", name=op.f("pk_stats_members")),
    )
    op.create_index("ix_stats_members_cohort_id", "stats_members", ["cohort_id"])
    op.create_table(
        "stats_graduates",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("cohort_id", sa.String(length=32), nullable=False),
        sa.Column("first_in_program", sa.Boolean(), nullable=False),
        sa.Column("first_in_region", sa.Boolean(), nullable=False),
        sa.Column("first_in_year", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_stats_graduates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_stats_graduates_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "cohort_id", name=op.f("pk_stats_graduates")),
    )
    op.create_index("ix_stats_graduates_cohort_id", "stats_graduates", ["cohort_id"])
    with op.batch_alter_table("stats_facts") as batch:
        batch.add_column(sa.Column("revenue_month", sa.Date(), nullable=True))
        batch.add_column(sa.Column("revenue_idr", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("band_month", sa.Date(), nullable=True))
        batch.add_column(sa.Column("band_rank", sa.SmallInteger(), nullable=True))
    from api.services import stats_facts

    with Session(bind=op.get_bind(), join_transaction_mode="create_savepoint") as session:
        stats_facts.refresh(session)
        stats_facts.refresh_graduates(session)
        session.commit()  # the savepoint; the migration's transaction commits it


def downgrade() -> None:
    with op.batch_alter_table("stats_facts") as batch:
        for name in ("band_rank", "band_month", "revenue_idr", "revenue_month"):
            batch.drop_column(name)
    op.drop_index("ix_stats_graduates_cohort_id", table_name="stats_graduates")
    op.drop_table("stats_graduates")
    op.drop_index("ix_stats_members_cohort_id", table_name="stats_members")
    op.drop_table("stats_members")
