"""reviews: the photo's width and height, so reviews show photos in the products' shape

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in batch mode: plain ADD COLUMN on both databases. Photos added before this have no
    # recorded size (null); new ones do.
    op.add_column("reviews", sa.Column("photo_width", sa.BigInteger(), nullable=True))
    op.add_column("reviews", sa.Column("photo_height", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("photo_height")
        batch.drop_column("photo_width")
