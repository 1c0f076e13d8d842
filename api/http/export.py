"""Reports as JSON by default, or CSV when asked (``format=csv`` or ``Accept: text/csv``).

Every CSV the API writes goes through ``csv_response``, which neutralises text that a
spreadsheet would run as a formula (OWASP's rule: a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'``); numbers are written as they are.
Excel splits an unquoted CSV line at the locale's list separator, which is ``;`` where the
decimal mark is a comma (Indonesia among them), and a tab-separated import splits at tabs: a
formula start after a ``;`` or a tab inside a text gets the same ``'``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, request

# For ``Blueprint.alt_response(200, **CSV_RESPONSE)``: the same report as a CSV download.
CSV_RESPONSE: dict[str, Any] = {
    "schema": {"type": "string", "description": "The report as CSV, a header row first."},
    "content_type": "text/csv",
    "description": "The report as JSON, or as CSV with `format=csv` or `Accept: text/csv`.",
    "success": True,
}


def wants_csv(format: str | None) -> bool:
    if format == "csv":
        return True
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


# What makes a spreadsheet read a cell as a formula (or hide the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start another cell inside a text: after a ";" (the list separator of
# comma-decimal locales) or a tab. A "," needs nothing: the csv module quotes a text holding one.
EMBEDDED_START = re.compile(r"([;\t])(?=[=+\-@\t\r])")


def safe_cell(value: Any) -> Any:
    """Text that would start a formula, at its start or after an embedded separator,
    prefixed with ``'`` there so it is shown as text."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return EMBEDDED_START.sub(r"\1'", value)


def csv_response(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """The rows (the first is the header) as a CSV download, formulas neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([safe_cell(cell) for cell in row] for row in rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
