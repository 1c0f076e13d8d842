"""Reports as JSON by default, or CSV or an Excel workbook when asked (``format=csv`` /
``format=xlsx`` or the ``Accept`` header).

Every CSV the API writes goes through ``csv_response``, which neutralises text that a
spreadsheet would run as a formula (OWASP's rule: a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'``); numbers are written as they are.
Excel splits an unquoted CSV line at the locale's list separator, which is ``;`` where the
decimal mark is a comma (Indonesia among them), and a tab-separated import splits at tabs: a
formula start after a ``;`` or a tab inside a text gets the same ``'``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# For ``Blueprint.alt_response(200, **XLSX_RESPONSE)``: the same report as an Excel workbook.
XLSX_RESPONSE: dict[str, Any] = {
    "schema": {"type": "string", "format": "binary", "description": "The report as .xlsx."},
    "content_type": XLSX_TYPE,
    "description": "The report as an Excel workbook with `format=xlsx`: a header row in the "
    "reader's language, typed columns, and a second sheet describing the columns.",
    "success": True,
}
NUMBER_FORMATS = {
    "int": "#,##0",
    "idr": '"Rp" #,##0',
    "share": "0.0%",
    "float": "0.0000",
    "month": "yyyy-mm",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    """A column of an exported table: its field name, its kind (``text``, ``int``, ``idr``,
    ``share``, ``float``, ``month``, ``date``, ``datetime``, ``bool``), and its header and
    meaning in English and Indonesian."""

    name: str
    kind: str = "text"
    en: str = ""
    id: str = ""
    about_en: str = ""
    about_id: str = ""

    def header(self, language: str) -> str:
        text = self.id if language == "id" else self.en
        return text or self.name.replace("_", " ").capitalize()

    def about(self, language: str) -> str:
        return (self.about_id if language == "id" else self.about_en) or self.header(language)


def guess_column(name: str) -> Column:
    """A column known only by its field name: Rupiah if it ends in ``_idr``, a share if it
    starts with ``share_`` or ``survival_``, else whatever its values are."""
    if name.endswith("_idr"):
        return Column(name, "idr")
    if name.startswith(("share_", "survival_")):
        return Column(name, "share")
    return Column(name, "auto")


def csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "month" and isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return safe_cell(value)


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, (int, float, dt.date)):
        return value
    if kind in ("month", "date") and isinstance(value, str):
        try:  # YYYY-MM or YYYY-MM-DD written as text
            return dt.date.fromisoformat(value if len(value) > 7 else value + "-01")
        except ValueError:
            pass
    return safe_cell(str(value))  # the same rule as CSV: text never runs as a formula


def xlsx_bytes(
    title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], language: str
) -> bytes:
    """A workbook: the table under a header row in ``language`` (frozen, filterable), each
    cell typed (numbers as numbers, Rupiah with its format, months and dates as dates, text
    with formulas neutralised), and a sheet describing the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_name(title)
    sheet.append([safe_cell(c.header(language)) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for row in rows:
        count += 1
        sheet.append([_xlsx_value(v, c.kind) for v, c in zip(row, columns, strict=True)])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = NUMBER_FORMATS.get(column.kind)
        if fmt is None and column.kind == "auto":
            fmt = _format_of(sheet, index, count)
        if fmt:
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=count + 1, min_col=index, max_col=index
            ):
                if cell.value is not None and not isinstance(cell.value, str):
                    cell.number_format = fmt
        sheet.column_dimensions[letter].width = max(10, min(40, len(column.header(language)) + 2))
    sheet.freeze_panes = "A2"
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    about = book.create_sheet("Kolom" if language == "id" else "Columns")
    about.append(
        ["Kolom", "Nama data", "Keterangan"] if language == "id" else ["Column", "Field", "Meaning"]
    )
    for cell in about[1]:
        cell.font = Font(bold=True)
    for column in columns:
        about.append(
            [safe_cell(column.header(language)), column.name, safe_cell(column.about(language))]
        )
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 28
    about.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return _reproducible(buffer.getvalue())


FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can state
_STAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)")


def _reproducible(data: bytes) -> bytes:
    """The same figures give the same bytes, so the same ETag (and a 304): openpyxl stamps the
    document's created/modified properties and every zip entry with the time of saving."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _STAMPS.sub(rb"\g<1>1980-01-01T00:00:00Z\2", body)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, body)
    return out.getvalue()


def _format_of(sheet: Any, index: int, count: int) -> str | None:
    for (cell,) in sheet.iter_rows(min_row=2, max_row=count + 1, min_col=index, max_col=index):
        value = cell.value
        if isinstance(value, dt.datetime):
            return NUMBER_FORMATS["datetime"]
        if isinstance(value, dt.date):
            return NUMBER_FORMATS["date"]
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return NUMBER_FORMATS["int"]
        if isinstance(value, float):
            return NUMBER_FORMATS["float"]
    return None


def _sheet_name(title: str) -> str:
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1"


def table_response(
    *,
    format: str,
    filename: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    language: str,
    csv_header: Sequence[str] | None = None,
) -> Response:
    """The table as CSV (``format == "csv"``) or as an Excel workbook (``"xlsx"``); one rule
    for formulas in both. The CSV header is ``csv_header`` (field names, stable for scripts)
    or the headers in ``language``."""
    if format == "xlsx":
        return Response(
            xlsx_bytes(title, columns, rows, language),
            mimetype=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    header = list(csv_header) if csv_header is not None else [c.header(language) for c in columns]
    body = [[csv_cell(v, c.kind) for v, c in zip(row, columns, strict=True)] for row in rows]
    return csv_response([header, *body], f"{filename}.csv")


def wanted_table(format: str | None) -> str | None:
    """``csv`` or ``xlsx`` when the request asks for a spreadsheet (by ``format`` or Accept)."""
    if format in ("csv", "xlsx"):
        return format
    if format in (None, "json"):
        best = request.accept_mimetypes.best_match(["application/json", "text/csv", XLSX_TYPE])
        return {"text/csv": "csv", XLSX_TYPE: "xlsx"}.get(best or "")
    return None


# Headers of the reports' columns in each language (English, Indonesian), by field name; a
# field not named here is shown as its name in words.
HEADERS: dict[str, tuple[str, str]] = {
    "cohort": ("Cohort", "Angkatan"),
    "program": ("Program", "Program"),
    "region": ("Region", "Wilayah"),
    "year": ("Year", "Tahun"),
    "label": ("Name", "Nama"),
    "suppressed": ("Suppressed (under 5)", "Disembunyikan (di bawah 5)"),
    "graduates": ("Graduates", "Lulusan"),
    "verified_graduates": ("Verified graduates", "Lulusan terverifikasi"),
    "businesses_started": ("Businesses started", "Usaha dimulai"),
    "share_active": ("Share active", "Porsi aktif"),
    "survival_3m": ("Trading after 3 months", "Berusaha setelah 3 bulan"),
    "survival_6m": ("Trading after 6 months", "Berusaha setelah 6 bulan"),
    "survival_12m": ("Trading after 12 months", "Berusaha setelah 12 bulan"),
    "survival_24m": ("Trading after 24 months", "Berusaha setelah 24 bulan"),
    "median_monthly_revenue_idr": ("Median monthly revenue (Rp)", "Median omzet bulanan (Rp)"),
    "median_revenue_band": ("Median revenue band", "Median kelompok omzet"),
    "products_listed": ("Products listed", "Produk terdaftar"),
    "orders": ("Orders", "Pesanan"),
    "mentoring_completed": ("Mentorings completed", "Pendampingan selesai"),
    "sponsorship_value_idr": ("Sponsorship (Rp)", "Sponsor (Rp)"),
    "business_id": ("Business id", "Id usaha"),
    "business": ("Business", "Usaha"),
    "regency": ("Regency/city", "Kabupaten/kota"),
    "value_received_idr": ("Value received (Rp)", "Nilai diterima (Rp)"),
    "consented": ("Consented", "Setuju"),
    "first_disbursement_on": ("First disbursement", "Penyaluran pertama"),
    "products_before": ("Products before", "Produk sebelum"),
    "products_after": ("Products after", "Produk sesudah"),
    "orders_before": ("Orders before", "Pesanan sebelum"),
    "orders_after": ("Orders after", "Pesanan sesudah"),
    "sales_before_idr": ("Sales before (Rp)", "Penjualan sebelum (Rp)"),
    "sales_after_idr": ("Sales after (Rp)", "Penjualan sesudah (Rp)"),
    "activity_status": ("Activity", "Keaktifan"),
}


def header_column(name: str) -> Column:
    """A report's column from its field name: its kind guessed, its headers from ``HEADERS``."""
    column = guess_column(name)
    en, id_ = HEADERS.get(name, ("", ""))
    return Column(name, column.kind, en, id_)


def report_response(
    rows: Sequence[Sequence[Any]], *, format: str, filename: str, title: str, language: str
) -> Response:
    """A report's rows (field names first) as CSV, as before, or as a workbook with headers
    in the reader's language; ``filename`` without its extension."""
    header, *body = rows
    columns = [header_column(str(name)) for name in header]
    if format == "csv":
        return csv_response(rows, f"{filename}.csv")
    return table_response(
        format=format,
        filename=filename,
        title=title,
        columns=columns,
        rows=body,
        language=language,
    )
