"""The statistics' per-business facts (``stats_facts``) and an index of revenues by month

Survival at 3, 6, 12 and 24 months and the survival curves' last signs of trading were computed
by correlated lookups per business on every request (seconds at provincial scale). They depend
only on a business's own rows, so ``api.services.stats_facts`` keeps them in a table, in the
transaction that changes them; this migration fills it for the data already there.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_facts",
        sa.Column("business_id", sa.String(length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        *(
            column
            for months in (3, 6, 12, 24)
            for column in (
                sa.Column(f"target_{months}m", sa.Date(), nullable=False),
                sa.Column(f"known_{months}m", sa.Boolean(), nullable=False),
                sa.Column(f"alive_{months}m", sa.Boolean(), nullable=False),
            )
        ),
        sa.Column("last_trading_month", sa.Date(), nullable=True),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("orders_completed", sa.BigInteger(), nullable=False),
        sa.Column("sponsorship_idr", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_stats_facts_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("business_id", "since", name=op.f("pk_stats_facts")),
    )
    op.create_index(
        "ix_check_ins_month_revenue",
        "check_ins",
        ["month"],
        postgresql_include=["business_id", "revenue_idr"],
        postgresql_where=sa.text("revenue_idr IS NOT NULL"),
        sqlite_where=sa.text("revenue_idr IS NOT NULL"),
    )
    # The rows of the data already there are written by 0039 (with ``stats_members``), by the
    # code that keeps them from then on.


def downgrade() -> None:
    op.drop_index("ix_check_ins_month_revenue", table_name="check_ins")
    op.drop_table("stats_facts")
