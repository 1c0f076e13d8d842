"""Needs and sponsorships for a training event's seats: ``target_type`` gains
``training_event`` with its foreign key ``event_id`` (one more arm of ``one_target``), and a
need states how many ``seats`` it asks for.

Revision ID: 0038_event_needs
Revises: 0031_changes
Create Date: 2026-12-05 23:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

KINDS = ("business", "group", "cohort", "training_event")
COLUMNS = ("business_id", "group_id", "cohort_id", "event_id")

revision: str = "0038_event_needs"
down_revision: str | None = "0031_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _one_target(kinds: Sequence[str]) -> str:
    """Exactly the foreign key of ``target_type`` is set (as ``api.models.one_target``)."""
    columns = COLUMNS[: len(kinds)]
    return " OR ".join(
        f"(target_type = '{kind}' AND "
        + " AND ".join(
            f"{column} IS {'NOT ' if c == i else ''}NULL" for c, column in enumerate(columns)
        )
        + ")"
        for i, kind in enumerate(kinds)
    )


def _kinds(kinds: Sequence[str]) -> str:
    return "target_type IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _checks(batch_op: Any, table: str, kinds: Sequence[str]) -> None:
    """``target_type``: its length (the longest kind) and both checks, for these kinds."""
    batch_op.alter_column(
        "target_type",
        existing_type=sa.String(length=max(map(len, KINDS))),
        type_=sa.String(length=max(map(len, kinds))),
        existing_nullable=False,
        existing_server_default="business",
    )
    batch_op.drop_constraint(batch_op.f(f"ck_{table}_one_target"), type_="check")
    batch_op.drop_constraint(batch_op.f(f"ck_{table}_sponsor_target_type"), type_="check")
    batch_op.create_check_constraint("one_target", _one_target(kinds))
    batch_op.create_check_constraint("sponsor_target_type", _kinds(kinds))


def upgrade() -> None:
    with op.batch_alter_table("support_needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("seats", sa.BigInteger(), nullable=True))
        _checks(batch_op, "support_needs", KINDS)
        batch_op.create_check_constraint("seats_positive", "seats IS NULL OR seats > 0")
        batch_op.create_index("ix_support_needs_event_id", ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_support_needs_event_id_training_events"),
            "training_events",
            ["event_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("sponsorships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=32), nullable=True))
        _checks(batch_op, "sponsorships", KINDS)
        batch_op.create_index(
            "ix_sponsorships_event_id_status", ["event_id", "status"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sponsorships_event_id_training_events"),
            "training_events",
            ["event_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    op.execute("DELETE FROM sponsorships WHERE target_type = 'training_event'")
    with op.batch_alter_table("sponsorships", schema=None) as batch_op:
        _checks(batch_op, "sponsorships", KINDS[:3])
        batch_op.drop_constraint(
            batch_op.f("fk_sponsorships_event_id_training_events"), type_="foreignkey"
        )
        batch_op.drop_index("ix_sponsorships_event_id_status")
        batch_op.drop_column("event_id")

    op.execute("DELETE FROM support_needs WHERE target_type = 'training_event'")
    with op.batch_alter_table("support_needs", schema=None) as batch_op:
        _checks(batch_op, "support_needs", KINDS[:3])
        batch_op.drop_constraint(batch_op.f("ck_support_needs_seats_positive"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_support_needs_event_id_training_events"), type_="foreignkey"
        )
        batch_op.drop_index("ix_support_needs_event_id")
        batch_op.drop_column("seats")
        batch_op.drop_column("event_id")
