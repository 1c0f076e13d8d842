"""Indonesian administrative regions (Kepmendagri codes): province to village."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base
from api.models.types import str_enum

# Bytewise order on PostgreSQL as on SQLite, and an index that serves prefix (LIKE '32.75.%')
# queries: a region filter at any level is a range scan.
RegionCode = String(13).with_variant(String(13, collation="C"), "postgresql")


class RegionLevel(StrEnum):
    """How deep a region is; the code's number of dotted parts says it."""

    PROVINCE = "province"
    REGENCY = "regency"  # kabupaten or kota
    DISTRICT = "district"  # kecamatan
    VILLAGE = "village"  # kelurahan or desa


LEVELS = (RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.DISTRICT, RegionLevel.VILLAGE)


class Region(Base):
    """One region; its parent is its code without the last dotted part."""

    __tablename__ = "regions"
    __table_args__ = (Index("ix_regions_parent_code_name", "parent_code", "name"),)

    code: Mapped[str] = mapped_column(RegionCode, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, "region_level"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(RegionCode)


def level_of(code: str) -> RegionLevel:
    """The level a code's shape gives (``32`` province ... ``32.75.11.1004`` village)."""
    return LEVELS[code.count(".")]


def parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def ancestors_of(code: str) -> list[str]:
    """The codes above this one, from the province down."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def kind_of(code: str) -> str:
    """kota or kabupaten for regencies, kelurahan or desa for villages, else the level."""
    level = level_of(code)
    last = code.rsplit(".", 1)[-1]
    if level == RegionLevel.REGENCY:
        return "kota" if int(last) >= 71 else "kabupaten"
    if level == RegionLevel.VILLAGE:
        return "kelurahan" if last.startswith("1") else "desa"
    return "provinsi" if level == RegionLevel.PROVINCE else "kecamatan"
