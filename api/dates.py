"""Dates as the program lives them: Western Indonesia Time (WIB, UTC+7, no daylight saving,
so no tzdata is needed), calendar months, and month arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt

from api.db import utcnow

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def today() -> dt.date:
    """Today in WIB."""
    return utcnow().astimezone(WIB).date()


def this_month() -> dt.date:
    """The first day of this month in WIB."""
    return today().replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), the month's last day where it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rfc3339(value: dt.datetime | None) -> str | None:
    """A timestamp on the wire: RFC 3339 in UTC with ``Z``, millisecond precision."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
