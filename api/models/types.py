"""Column types shared by models."""

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, mapped_column


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class RatedMixin:
    """Rating aggregates over visible reviews, kept exact by ``api.services.reviews``."""

    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def rating(self) -> dict[str, Any]:
        count = self.rating_count or 0
        average = round(self.rating_sum / count, 2) if count else None
        return {"average": average, "count": count}
