"""Charts as pictures, opened in headless Chromium as a reader's phone would: each kind (survival
curves, the monthly series, businesses by region, the impact and mentoring reports) as SVG and
PNG decodes, carries its title and axes in the reader's language, and hides what the JSON
hides.

``BERDAYA_CHART_SCREENSHOTS=docs/img`` also saves a screenshot of each chart there (the ones
docs/statistics.md shows)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from api.models import Role
from tests.conftest import Auth
from tests.helpers import CHROMIUM, browser_available
from tests.stats_world import seed
from tests.worlds import YEAR, report_charts_world

CHARTS = {  # kind: (path, Indonesian title, x axis, y axis)
    "survival": (
        "/v1/stats/year/survival",
        "Masih berusaha setelah lulus",
        "Bulan sejak lulus",
        "Masih berusaha",
    ),
    "monthly": ("/v1/stats/region/monthly", "Usaha aktif per bulan", "Bulan", "Usaha"),
    "regions": ("/v1/stats/region", "Usaha dimulai per wilayah", "Usaha", "Wilayah"),
}
REPORT_CHARTS = {  # kind: (Indonesian title, x axis, y axis, a bar's label)
    "impact": (f"Sponsor tersalurkan per wilayah, {YEAR}", "Nilai (Rp)", "Wilayah", "Kota Bekasi"),
    "mentoring": ("Jam pendampingan per mentor", "Jam", "Mentor", "Dr. Grafik 2"),
}


def test_each_chart_is_an_image_in_the_readers_language(
    client: FlaskClient, db_session: Session
) -> None:
    program = seed(db_session, name="Sekoper Gambar", size=40)
    for kind, (path, title, x_axis, y_axis) in CHARTS.items():
        svg = client.get(
            f"{path}?program={program.id}&format=svg", headers={"Accept-Language": "id"}
        )
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml", kind
        text = svg.get_data(as_text=True)
        assert all(f">{words}<" in text for words in (title, x_axis, y_axis)), kind
        png = client.get(
            f"{path}?program={program.id}&format=png", headers={"Accept-Language": "en"}
        )
        assert png.status_code == 200 and png.mimetype == "image/png", kind
        image = Image.open(io.BytesIO(png.data))
        assert image.size[0] == 900 and image.size[1] >= 675, kind
        assert image.info["Title"] != title and image.info["Title"], kind  # English
    # A small region is named as hidden, without its figure.
    few = seed(db_session, name="Sekoper Sedikit", size=3, seed=9)
    svg = client.get(f"/v1/stats/region?program={few.id}&format=svg").get_data(as_text=True)
    assert "hidden (under 5)" in svg


def test_the_reports_charts_are_images_for_those_who_may_read_the_reports(
    client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    reports = report_charts_world(auth, db_session)
    for kind, (title, x_axis, y_axis, bar) in REPORT_CHARTS.items():
        url, headers = reports[kind]
        svg = client.get(f"{url}&format=svg", headers={**headers, "Accept-Language": "id"})
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml", kind
        text = svg.get_data(as_text=True)
        assert all(f">{words}<" in text for words in (title, x_axis, y_axis, bar)), kind
        png = client.get(f"{url}&format=png", headers={**headers, "Accept-Language": "en"})
        assert png.status_code == 200 and png.mimetype == "image/png", kind
        image = Image.open(io.BytesIO(png.data))
        assert image.size[0] == 900 and image.info["Title"] != title, kind
        # The same refusals as the JSON: nobody else draws another's report.
        _, stranger = auth.as_role(Role.PARTNER)
        assert client.get(f"{url}&format=svg", headers=stranger).status_code == 403, kind
        assert client.get(f"{url}&format=png").status_code == 401, kind
    svg = client.get(reports["impact"][0] + "&format=svg", headers=reports["impact"][1])
    assert "Rp 7.500.000" in svg.get_data(as_text=True)


def test_chromium_shows_each_chart_with_its_title_and_axes(
    live_server: str, db_session: Session, tmp_path: Path, auth: Auth
) -> None:
    browser_available()
    from playwright.sync_api import sync_playwright

    program = seed(db_session, name="Sekoper Layar", size=60)
    reports = report_charts_world(auth, db_session)
    pictures = {
        kind: (f"{path}?program={program.id}&", title, x_axis, y_axis, {})
        for kind, (path, title, x_axis, y_axis) in CHARTS.items()
    }
    for kind, (title, x_axis, y_axis, _) in REPORT_CHARTS.items():
        url, headers = reports[kind]
        pictures[kind] = (f"{url}&", title, x_axis, y_axis, headers)
    keep = os.environ.get("BERDAYA_CHART_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            # A phone held upright, set to Indonesian.
            page = browser.new_page(locale="id-ID", viewport={"width": 412, "height": 915})
            for kind, (path, title, x_axis, y_axis, headers) in pictures.items():
                page.set_extra_http_headers(headers)
                url = f"{live_server}{path}"
                response = page.goto(url + "format=svg")
                assert response is not None and response.status == 200, kind
                words = page.evaluate(
                    "() => Array.from(document.querySelectorAll('text'), t => t.textContent)"
                )
                assert {title, x_axis, y_axis} <= set(words), (kind, words)
                box = page.evaluate(
                    "() => { const b = document.querySelector('svg').getBBox();"
                    " return [b.width, b.height]; }"
                )
                assert box[0] > 300 and box[1] > 200, kind
                shown = page.goto(url + "format=png")  # the image, as a browser shows one
                assert shown is not None and shown.status == 200, kind
                width = page.locator("img").evaluate(
                    "img => img.decode().then(() => img.naturalWidth)"
                )
                assert width == 900, kind
                page.locator("img").evaluate("img => { img.style.width = '100%'; }")
                shot = page.locator("img").screenshot()
                assert Image.open(io.BytesIO(shot)).size[0] == 412
                (tmp_path / f"{kind}.png").write_bytes(shot)
                if keep:
                    Path(keep, f"chart-{kind}.png").write_bytes(shot)
        finally:
            browser.close()


@pytest.mark.parametrize("format", ["svg", "png"])
def test_a_chart_of_nothing_says_so(client: FlaskClient, format: str) -> None:
    response = client.get(f"/v1/stats/year/survival?year=2199&format={format}")
    assert response.status_code == 200
    if format == "svg":
        assert "No figures to show" in response.get_data(as_text=True)
