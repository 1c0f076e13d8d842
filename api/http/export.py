"""Reports as JSON by default, or CSV when asked (``format=csv`` or ``Accept: text/csv``)."""

from __future__ import annotations

import csv
import io
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


def csv_response(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """The rows (the first is the header) as a CSV download."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
