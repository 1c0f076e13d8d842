"""products.listed, and indexes for the public catalogue's read paths

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 08:49:47.941460
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in batch mode: on SQLite that copies the table and drops its full-text triggers.
    op.add_column(
        "products", sa.Column("listed", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index(
        "ix_products_listed_created_at", "products", ["listed", "created_at", "id"], unique=False
    )
    for level in ("regency", "district"):
        op.create_index(
            f"ix_businesses_status_{level}_code_name",
            "businesses",
            ["status", f"{level}_code", "name", "id"],
            unique=False,
        )
    # The products that are public now: published, not hidden, of an active visible business.
    op.execute(
        "UPDATE products SET listed = (status = 'published' AND hidden_at IS NULL AND EXISTS ("
        "SELECT 1 FROM businesses WHERE businesses.id = products.business_id"
        " AND businesses.status = 'active' AND businesses.hidden_at IS NULL))"
    )


def downgrade() -> None:
    for level in ("regency", "district"):
        op.drop_index(f"ix_businesses_status_{level}_code_name", table_name="businesses")
    op.drop_index("ix_products_listed_created_at", table_name="products")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("listed")
