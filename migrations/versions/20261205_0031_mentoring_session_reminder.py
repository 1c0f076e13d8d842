"""mentoring_sessions.reminder_at: the day-before reminder, sent once by housekeeping

Revision ID: 0031_reminder
Revises: 0031_groups
Create Date: 2026-12-05 22:20:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_reminder"
down_revision: str | None = "0031_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "mentoring_sessions", sa.Column("reminder_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_mentoring_sessions_reminder_at", "mentoring_sessions", ["reminder_at"], unique=False
    )
    # Sessions already planned get their reminder a day before (plainly; new ones also keep
    # it out of the evening's quiet hours). Few rows: done here rather than in SQL that would
    # differ between SQLite and PostgreSQL.
    sessions = sa.table(
        "mentoring_sessions",
        sa.column("id", sa.String),
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("status", sa.String),
        sa.column("reminder_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    for session_id, starts_at in bind.execute(
        sa.select(sessions.c.id, sessions.c.starts_at).where(sessions.c.status == "scheduled")
    ):
        if isinstance(starts_at, str):
            starts_at = dt.datetime.fromisoformat(starts_at)
        if starts_at.tzinfo is None:
            starts_at = starts_at.replace(tzinfo=dt.UTC)
        due = starts_at - dt.timedelta(days=1)
        if due > now:
            stored = due.replace(tzinfo=None) if bind.dialect.name == "sqlite" else due
            bind.execute(
                sa.update(sessions).where(sessions.c.id == session_id).values(reminder_at=stored)
            )


def downgrade() -> None:
    op.drop_index("ix_mentoring_sessions_reminder_at", table_name="mentoring_sessions")
    with op.batch_alter_table("mentoring_sessions") as batch:
        batch.drop_column("reminder_at")
