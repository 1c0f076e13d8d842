"""The bilingual product taxonomy."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, TimestampMixin


class Category(IdMixin, TimestampMixin, Base):
    """A category of what graduates make, named in Indonesian and English."""

    __tablename__ = "categories"
    id_prefix = "cat"

    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_id: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
