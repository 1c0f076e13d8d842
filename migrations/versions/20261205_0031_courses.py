"""courses: modules, attachments, enrolments and progress

Courses of verified organisations (draft, published, archived) with modules in order, the
modules' attachments (files in the storage; sizes in bytes kept here), and the alumnae's
enrolments and the modules they marked done. Issue 24, item 1.

Revision ID: 0031_courses
Revises: 0031
Create Date: 2026-12-05 22:06:07.672569
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_courses"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column(
            "topic",
            sa.Enum(
                "entrepreneurship",
                "bookkeeping",
                "digital_marketing",
                "product_photography",
                "packaging_branding",
                "pricing_costing",
                "licensing",
                "online_marketplaces",
                "production_quality",
                "legal_basics",
                name="mentoring_topic",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "level",
            sa.Enum(
                "beginner",
                "intermediate",
                "advanced",
                name="course_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "archived",
                name="course_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_courses_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_courses_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_courses_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_courses_status_published_at", ["status", "published_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_courses_topic"), ["topic"], unique=False)

    op.create_table(
        "course_enrolments",
        sa.Column("course_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_enrolments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_course_enrolments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_enrolments")),
        sa.UniqueConstraint(
            "course_id", "user_id", name=op.f("uq_course_enrolments_course_id_user_id")
        ),
    )
    with op.batch_alter_table("course_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_enrolments_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_course_enrolments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "course_modules",
        sa.Column("course_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=20000), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_modules_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_modules")),
    )
    with op.batch_alter_table("course_modules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_course_modules_course_id_position", ["course_id", "position"], unique=False
        )

    op.create_table(
        "course_attachments",
        sa.Column("module_id", sa.String(length=32), nullable=False),
        sa.Column("course_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pdf",
                "image",
                "audio",
                name="attachment_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sizes", sa.JSON(), nullable=False),
        sa.Column("width", sa.BigInteger(), nullable=True),
        sa.Column("height", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_attachments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["course_modules.id"],
            name=op.f("fk_course_attachments_module_id_course_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_attachments")),
    )
    with op.batch_alter_table("course_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_attachments_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_attachments_module_id"), ["module_id"], unique=False
        )

    op.create_table(
        "course_module_progress",
        sa.Column("enrolment_id", sa.String(length=32), nullable=False),
        sa.Column("module_id", sa.String(length=32), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["course_enrolments.id"],
            name=op.f("fk_course_module_progress_enrolment_id_course_enrolments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["course_modules.id"],
            name=op.f("fk_course_module_progress_module_id_course_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "enrolment_id", "module_id", name=op.f("pk_course_module_progress")
        ),
    )
    with op.batch_alter_table("course_module_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_module_progress_module_id"), ["module_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("course_module_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_module_progress_module_id"))

    op.drop_table("course_module_progress")
    with op.batch_alter_table("course_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_attachments_module_id"))
        batch_op.drop_index(batch_op.f("ix_course_attachments_course_id"))

    op.drop_table("course_attachments")
    with op.batch_alter_table("course_modules", schema=None) as batch_op:
        batch_op.drop_index("ix_course_modules_course_id_position")

    op.drop_table("course_modules")
    with op.batch_alter_table("course_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_enrolments_user_id"))
        batch_op.drop_index(batch_op.f("ix_course_enrolments_course_id"))

    op.drop_table("course_enrolments")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_topic"))
        batch_op.drop_index("ix_courses_status_published_at")
        batch_op.drop_index(batch_op.f("ix_courses_organization_id"))

    op.drop_table("courses")
