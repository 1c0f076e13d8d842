"""A certificate as a one-page PDF in Indonesian, with its verification code and a QR code of
the address where anyone can check it.

fpdf2 writes the PDF and segno encodes the QR code (drawn as vector squares, sharp at any
print size). The font is DejaVu Sans, which matplotlib (already a dependency, for charts)
ships: it covers every letter of Indonesian names, which the PDF core fonts do not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2 and segno are imported when a certificate is drawn, not with the app: fpdf2 brings
# fontTools and costs a worker about 50 MiB that no other request needs.

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@dataclass(frozen=True)
class CertificateText:
    """What the certificate states."""

    holder_name: str
    title: str
    hours: int
    held_on: dt.date
    issuer_name: str
    code: str
    verify_url: str


def date_id(day: dt.date) -> str:
    """``5 Desember 2026``."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def display_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: groups of four are easier to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@cache
def _font(name: str) -> str:
    return str(resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf" / name)


def render(text: CertificateText) -> bytes:
    """The PDF (A4 landscape)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Sertifikat {display_code(text.code)}")
    pdf.set_author(text.issuer_name)
    pdf.set_creator("Berdaya")
    pdf.set_creation_date(dt.datetime.combine(text.held_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_font("DejaVu", "", _font("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_draw_color(150, 40, 90)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_y(28)

    def line(size: float, value: str, *, bold: bool = False, height: float = 10) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, height, value, align="C", new_x="LMARGIN", new_y="NEXT")

    line(32, "SERTIFIKAT", bold=True, height=16)
    line(14, "Diberikan kepada")
    pdf.ln(2)
    line(26, text.holder_name, bold=True, height=13)
    pdf.ln(2)
    line(14, "atas keikutsertaan hingga selesai dalam pelatihan")
    line(20, text.title, bold=True, height=11)
    pdf.ln(2)
    line(14, f"{text.hours} jam, {date_id(text.held_on)}")
    line(14, f"Diselenggarakan oleh {text.issuer_name}")
    _qr(pdf, text.verify_url, x=22, y=140, size=45)
    pdf.set_xy(75, 150)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 8, "Kode verifikasi:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(75)
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, display_code(text.code), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(75)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        190, 6, f"Periksa keaslian sertifikat ini: pindai kode QR atau buka\n{text.verify_url}"
    )
    return bytes(pdf.output())


def _qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """The QR code of ``data`` as filled squares, with its quiet zone, ``size`` mm wide."""
    import segno

    qr = segno.make(data, error="m")
    rows = list(qr.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * module, y + r * module, module, module, style="F")
