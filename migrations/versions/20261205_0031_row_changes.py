"""Changes since: the rows of the lists apps cache that were written, in commit order

``row_changes`` is written at commit under the events' lock, so ``seq`` follows commit order
and a reader paging with ``updated_since`` never skips a row committed late.

Revision ID: 0031_changes
Revises: 0037
Create Date: 2026-12-05 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_changes"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "row_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("scope_id", sa.String(length=40), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_row_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_row_changes_kind_seq", "row_changes", ["kind", "seq"], unique=False)
    op.create_index("ix_row_changes_changed_at", "row_changes", ["changed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_row_changes_changed_at", table_name="row_changes")
    op.drop_index("ix_row_changes_kind_seq", table_name="row_changes")
    op.drop_table("row_changes")
