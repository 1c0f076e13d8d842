"""Reading a roster file: CSV as Excel saves it in any locale, or an .xlsx workbook.

CSV may be comma-, semicolon- (Excel in an Indonesian locale: the decimal separator is the
comma, so lists use ";") or tab-separated, with or without a UTF-8 byte order mark; the
separator is the one that makes the header name every wanted column. An .xlsx file (a ZIP,
read with openpyxl in read-only mode, values not formulas) is read from its first sheet. Every
problem is a ValidationFailed on ``file`` that says what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import NoReturn

from api.errors import ValidationFailed

SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
# Lines read at most, empty ones included (a workbook can hold a million formatted empty rows).
MAX_LINES = 20_000
XLSX_MAGIC = b"PK\x03\x04"

Row = dict[str, str]


def read_rows(data: bytes, wanted: Sequence[str]) -> Iterator[tuple[int, Row]]:
    """(line number, row keyed by lower-case header) for every non-empty row after the header;
    raises ValidationFailed on ``file`` when the file or its header cannot be used."""
    table = _xlsx(data) if data.startswith(XLSX_MAGIC) else _csv(data, wanted)
    header: list[str] | None = None
    for line, cells in table:
        if line > MAX_LINES:
            _refuse(f"At most {MAX_LINES} lines, empty ones included; remove the empty rows.")
        if header is None:
            header = [c.strip().lower() for c in cells]
            _check_header(header, wanted, cells)
            continue
        if not any(c.strip() for c in cells):
            continue
        yield (
            line,
            {
                name: (cells[i] if i < len(cells) else "").strip()
                for i, name in enumerate(header)
                if name
            },
        )
    if header is None:
        _refuse("The file is empty; the first row must name: " + ", ".join(wanted) + ".")


def _refuse(message: str) -> NoReturn:
    raise ValidationFailed(errors={"file": [message]})


def _check_header(header: list[str], wanted: Sequence[str], cells: Sequence[str]) -> None:
    missing = [w for w in wanted if w not in header]
    if not missing:
        return
    if len(header) == 1:
        _refuse(
            f"The header is one column ({cells[0][:80]!r}): separate the columns with commas or "
            "semicolons (Excel: save as CSV), or upload the .xlsx file; it must name: "
            + ", ".join(wanted)
            + "."
        )
    _refuse(f"The header must name: {', '.join(wanted)} (missing: {', '.join(missing)}).")


def _csv(data: bytes, wanted: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(
            "Not UTF-8 text: in Excel choose 'CSV UTF-8 (comma delimited)', or upload the .xlsx."
        )
    first = text.split("\n", 1)[0]
    separator = ","
    for candidate in SEPARATORS:
        names = [c.strip().lower() for c in next(csv.reader([first], delimiter=candidate), [])]
        if all(w in names for w in wanted):
            separator = candidate
            break
    else:
        # No separator gives the wanted header: name the most likely one in the message.
        counts = {c: first.count(c) for c in SEPARATORS}
        separator = max(counts, key=lambda c: counts[c]) if any(counts.values()) else ","
    rows = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        for cells in rows:
            yield rows.line_num, cells
    except csv.Error as error:
        _refuse(f"Line {rows.line_num} is not valid CSV ({error}).")


def _xlsx(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        _refuse("Not a readable .xlsx workbook (Excel 2007 or later); or upload a CSV.")
    try:
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell(v) for v in values]
    finally:
        book.close()


def _cell(value: object) -> str:
    """A cell as the text Excel shows: 81234567890 (a phone typed as a number) without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
