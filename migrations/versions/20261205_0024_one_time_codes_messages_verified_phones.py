"""one-time codes, messages, verified phones, roster rows with shared or no phones

Messages are the outbox of the embedded messaging provider; one-time codes are kept as keyed
hashes. Existing phones and emails start unverified (their owners verify them by code).
Roster rows may have no phone, or share one (flagged ``phone_shared``): the unique constraint
on (cohort, phone) goes; a downgrade deletes rows without a phone and fails on shared ones.

Revision ID: 0024
Revises: 0026
Create Date: 2026-12-05 01:20:11.599251
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "messages",
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "whatsapp",
                "email",
                name="message_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=2), nullable=False),
        sa.Column("template", sa.String(length=50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("secret", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_messages_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_user_id"), ["user_id"], unique=False)

    op.create_table(
        "one_time_codes",
        sa.Column(
            "purpose",
            sa.Enum(
                "register",
                "verify_phone",
                "verify_email",
                "password_reset",
                "sign_in",
                name="code_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("destination", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("issued_by_id", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_one_time_codes_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_one_time_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_codes")),
    )
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_one_time_codes_purpose_destination", ["purpose", "destination"], unique=False
        )
        batch_op.create_index("ix_one_time_codes_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_one_time_codes_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("code_sign_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_shared", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column("phone", existing_type=sa.VARCHAR(length=20), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_roster_entries_cohort_id_phone"), type_="unique")


def downgrade() -> None:
    op.execute("DELETE FROM roster_entries WHERE phone IS NULL")
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_roster_entries_cohort_id_phone"), ["cohort_id", "phone"]
        )
        batch_op.alter_column("phone", existing_type=sa.VARCHAR(length=20), nullable=False)
        batch_op.drop_column("phone_shared")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("code_sign_in")
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("phone_verified_at")

    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_codes_user_id"))
        batch_op.drop_index("ix_one_time_codes_purpose_destination")
        batch_op.drop_index("ix_one_time_codes_expires_at")

    op.drop_table("one_time_codes")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_user_id"))
        batch_op.drop_index("ix_messages_created_at")

    op.drop_table("messages")
