"""product view counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 11:57:40.693155
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs, not batch mode: rebuilding products on SQLite would drop the FTS triggers.
    op.add_column(
        "products", sa.Column("view_count", sa.BigInteger(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("products", "view_count")  # SQLite 3.35+ drops columns in place
