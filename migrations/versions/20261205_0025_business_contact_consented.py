"""Businesses carry whether their owner consents to contact (``contact_consented``)

The public document says whether a buyer can contact a business (``contactable``: a WhatsApp
number and the owner's consent). The consent belongs to the owner; a copy on each of her
businesses keeps the public read one statement and lets the catalogue's change notifications
(triggers on ``businesses``) evict the documents when she gives or withdraws it.

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-05 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("businesses") as batch:
        batch.add_column(
            sa.Column("contact_consented", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE businesses SET contact_consented = TRUE WHERE owner_id IN ("
        " SELECT user_id FROM consents"
        " WHERE purpose = 'contact_reveal' AND revoked_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("businesses") as batch:
        batch.drop_column("contact_consented")
