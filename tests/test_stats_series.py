"""Monthly series and survival curves: independent counts, a textbook Kaplan-Meier example,
suppression, region names on every row, and the same figures as CSV and as a workbook."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.dates import add_months
from api.db import utcnow
from api.models import Business, CheckIn, Cohort, GraduateClaim, Order, OrderStatus
from api.services.stats_series import kaplan_meier, months_between
from tests.stats_world import seed

# Freireich et al. (1963), 6-MP arm, weeks in remission (negative: censored), the textbook
# example of Kleinbaum & Klein, "Survival Analysis" (ch. 2).
SIX_MP = [6, 6, 6, -6, 7, -9, 10, -10, -11, 13, 16, -17, -19, -20, 22, 23, -25, -32, -32, -34, -35]
EXPECTED = {  # weeks: (survival, ci_low, ci_high), as R's survfit(conf.type = "log-log") prints
    6: (0.857, 0.620, 0.952),
    7: (0.807, 0.563, 0.923),
    10: (0.753, 0.503, 0.889),
    13: (0.690, 0.432, 0.849),
    16: (0.627, 0.368, 0.805),
    22: (0.538, 0.268, 0.747),
    23: (0.448, 0.188, 0.680),
}


def test_kaplan_meier_gives_the_textbook_table() -> None:
    points = kaplan_meier([abs(t) for t in SIX_MP], [t > 0 for t in SIX_MP])
    by_time = {p["months"]: p for p in points}
    for time, (survival, low, high) in EXPECTED.items():
        point = by_time[time]
        assert point["survival"] == pytest.approx(survival, abs=5e-4), time
        assert point["ci_low"] == pytest.approx(low, abs=5e-4), time
        assert point["ci_high"] == pytest.approx(high, abs=5e-4), time
    assert by_time[6]["at_risk"] == 21 and by_time[6]["censored"] == 1
    assert by_time[35]["survival"] == by_time[23]["survival"]  # censored, no drop
    assert points[0] == {
        "months": 0,
        "at_risk": 21,
        "events": 0,
        "censored": 0,
        "survival": 1.0,
        "ci_low": 1.0,
        "ci_high": 1.0,
    }


def test_months_between_counts_whole_months() -> None:
    assert months_between(dt.date(2025, 1, 15), dt.date(2025, 4, 14)) == 2
    assert months_between(dt.date(2025, 1, 15), dt.date(2025, 4, 15)) == 3


def test_the_monthly_series_counts_what_happened(client: FlaskClient, db_session: Session) -> None:
    program = seed(db_session, name="Sekoper Bulanan", size=30)
    cohorts = list(db_session.scalars(select(Cohort).where(Cohort.program_id == program.id)))
    first = cohorts[0]
    owners = select(GraduateClaim.user_id).where(GraduateClaim.cohort_id == first.id)
    businesses = list(db_session.scalars(select(Business).where(Business.owner_id.in_(owners))))
    ids = [b.id for b in businesses]
    month = add_months(utcnow().date().replace(day=1), -2)
    end = dt.datetime.combine(add_months(month, 1), dt.time(), dt.UTC)
    body = client.get(
        f"/v1/stats/cohort/monthly?program={program.id}&from={month:%Y-%m}&to={month:%Y-%m}"
    ).json
    row = {s["key"]: s for s in body["items"]}[first.id]["months"][0]
    assert row["month"] == f"{month:%Y-%m}"
    assert row["region"] == {"code": "32.75", "name": "Kota Bekasi"}
    assert row["businesses"] == sum(1 for b in businesses if b.created_at < end)
    assert row["check_ins"] == db_session.scalar(
        select(func.count(CheckIn.id)).where(CheckIn.business_id.in_(ids), CheckIn.month == month)
    )
    start = dt.datetime.combine(month, dt.time(), dt.UTC)
    completed = [
        o
        for o in db_session.scalars(select(Order).where(Order.business_id.in_(ids)))
        if o.status == OrderStatus.COMPLETED and start <= o.created_at < end
    ]
    assert row["orders"] == len(completed)
    assert row["active"] + row["at_risk"] + row["dormant"] == row["businesses"]
    assert row["suppressed"] is False
    # The young cohort, the month before it graduated (no business yet): suppressed.
    before = add_months(month, -3)
    earlier = client.get(
        f"/v1/stats/cohort/monthly?program={program.id}&from={before:%Y-%m}&to={before:%Y-%m}"
    ).json
    young = {s["key"]: s for s in earlier["items"]}[cohorts[3].id]["months"][0]
    assert young["suppressed"] is True and young["businesses"] is None


def test_survival_curves_follow_and_censor(client: FlaskClient, db_session: Session) -> None:
    program = seed(db_session, name="Sekoper Bertahan", size=40)
    body = client.get(f"/v1/stats/year/survival?program={program.id}").json
    assert body["group"] == "year"
    shown = [c for c in body["items"] if not c["suppressed"]]
    assert shown
    for curve in shown:
        assert curve["region"]["code"] in ("32", "32.75", "32.71") and curve["region"]["name"]
        survival = [p["survival"] for p in curve["points"]]
        assert survival == sorted(survival, reverse=True) and survival[0] == 1.0
        assert all(p["ci_low"] <= p["survival"] <= p["ci_high"] for p in curve["points"])
        assert all(p["at_risk"] >= 5 for p in curve["points"])
        assert curve["businesses"] >= 5


def test_series_as_csv_and_as_a_workbook(client: FlaskClient, db_session: Session) -> None:
    program = seed(db_session, name="Sekoper Lembar", size=20)
    cohort = db_session.scalars(select(Cohort).where(Cohort.program_id == program.id)).first()
    assert cohort is not None
    cohort.name = '=HYPERLINK("http://x")'
    db_session.flush()
    url = f"/v1/stats/cohort/monthly?program={program.id}&from=2025-01&to=2025-03"
    table = list(csv.reader(io.StringIO(client.get(url + "&format=csv").get_data(as_text=True))))
    assert table[0][:5] == ["Group", "Name", "Region code", "Region", "Month"]
    assert any(r[1] == '\'=HYPERLINK("http://x")' and r[4] == "2025-01" for r in table[1:])
    response = client.get(url + "&format=xlsx", headers={"Accept-Language": "id"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet, about = book.worksheets
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Kelompok", "Nama", "Kode wilayah", "Wilayah", "Bulan"]
    rows = list(sheet.iter_rows(min_row=2))
    named = [r for r in rows if r[1].value == '\'=HYPERLINK("http://x")']
    assert named and named[0][3].value == "Kota Bekasi"
    month = named[0][4]
    assert month.value.date() == dt.date(2025, 1, 1) and month.number_format == "yyyy-mm"
    shown = [r for r in rows if r[5].value is False]
    assert shown
    idr = shown[0][header.index("Pesanan (Rp)")]
    assert isinstance(idr.value, int) and idr.number_format == '"Rp" #,##0'
    assert about.title == "Kolom"
    assert [c.value for c in about[1]] == ["Kolom", "Nama data", "Keterangan"]
    assert about.max_row == len(header) + 1


@pytest.mark.parametrize("format", ["json", "csv", "xlsx", "svg", "png"])
def test_every_form_of_a_curve_has_an_etag(
    client: FlaskClient, db_session: Session, format: str
) -> None:
    program = seed(db_session, name="Sekoper Tanda", size=10)
    url = f"/v1/stats/year/survival?program={program.id}&format={format}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
