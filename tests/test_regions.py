"""Regions: the full official list loads fast on both databases and browses by code."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from api.models import Region, RegionLevel
from api.services.regions import load_regions
from tests.helpers import assert_problem, counted

ROOT = Path(__file__).resolve().parent.parent


def test_every_row_of_the_official_list_is_there(db_session: Session) -> None:
    counts = dict(
        db_session.execute(select(Region.level, func.count()).group_by(Region.level)).all()
    )
    assert counts == {
        RegionLevel.PROVINCE: 38,
        RegionLevel.REGENCY: 514,
        RegionLevel.DISTRICT: 7285,
        RegionLevel.VILLAGE: 83762,
    }
    village = db_session.get(Region, "32.75.11.1004")
    assert village is not None
    assert (village.name, village.kind, village.parent_code) == (
        "Mustikasari",
        "kelurahan",
        "32.75.11",
    )
    bekasi = db_session.get(Region, "32.75")
    assert bekasi is not None and bekasi.kind == "kota"
    assert db_session.get(Region, "32.16") is not None  # Kabupaten Bekasi
    assert db_session.get(Region, "32.16").kind == "kabupaten"  # type: ignore[union-attr]


def test_loading_again_is_fast_and_changes_nothing(connection: Connection) -> None:
    lines: list[str] = []
    started = time.monotonic()
    total = load_regions(connection, echo=lines.append)
    assert total == 91_599
    assert time.monotonic() - started < 20
    assert lines[0].startswith("regions: read 91,599 rows") and "in the database" in lines[-1]


def test_a_malformed_file_is_refused(connection: Connection, tmp_path: Path) -> None:
    bad = tmp_path / "regions.csv"
    bad.write_text("code,name\n32,Jawa Barat\n32.x,Broken\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"regions\.csv:3:"):
        load_regions(connection, path=bad, echo=lambda _: None)


def test_the_licence_travels_with_the_data() -> None:
    assert "MIT License" in (ROOT / "data" / "regions.LICENSE").read_text(encoding="utf-8")
    assert "regions.LICENSE" in (ROOT / "data" / "README.md").read_text(encoding="utf-8")


def test_children_of_a_city_and_districts_below_a_province(client: FlaskClient) -> None:
    response = client.get("/v1/regions?parent=32.75&limit=100")
    assert response.status_code == 200
    districts = response.json["items"]
    assert len(districts) == 12 and {d["level"] for d in districts} == {"district"}
    assert "Mustikajaya" in {d["name"] for d in districts}
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    below = client.get("/v1/regions?parent=32&level=village&q=mustika&limit=100").json["items"]
    names = {(v["code"], v["name"]) for v in below}
    assert ("32.75.11.1004", "Mustikasari") in names
    assert all(v["code"].startswith("32.") and v["level"] == "village" for v in below)
    provinces = client.get("/v1/regions?level=province&limit=100").json["items"]
    assert len(provinces) == 38 and provinces[0]["code"] == "11"


def test_region_detail_has_its_ancestors(client: FlaskClient) -> None:
    response = client.get("/v1/regions/32.75.11.1004")
    assert response.status_code == 200 and response.headers["ETag"]
    body = response.json
    assert body["name"] == "Mustikasari"
    assert [(a["code"], a["name"]) for a in body["ancestors"]] == [
        ("32", "Jawa Barat"),
        ("32.75", "Kota Bekasi"),
        ("32.75.11", "Mustikajaya"),
    ]
    cached = client.get(
        "/v1/regions/32.75.11.1004", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_unknown_and_malformed_codes(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/regions/99.99"), 404)
    assert_problem(client.get("/v1/regions/32.75.11.1004.1"), 404)
    assert_problem(client.get("/v1/regions/%00"), 404)
    assert "parent" in assert_problem(client.get("/v1/regions?parent=abc"), 422)["errors"]
    assert "level" in assert_problem(client.get("/v1/regions?level=planet"), 422)["errors"]


def test_region_pages_walk_in_code_order(client: FlaskClient, app: Flask) -> None:
    seen: list[str] = []
    url = "/v1/regions?parent=32.75.11&limit=3"
    while url:
        assert len(seen) < 1000, "paging does not advance"
        body = client.get(url).json
        seen += [r["code"] for r in body["items"]]
        url = (
            f"/v1/regions?parent=32.75.11&limit=3&cursor={body['next_cursor']}"
            if body["next_cursor"]
            else ""
        )
    assert seen == sorted(seen) and len(seen) == len(set(seen)) >= 4


def test_a_region_filter_is_looked_up_once_and_an_unknown_one_each_time(
    app: Flask, client: FlaskClient
) -> None:
    """Browsing a region checks that it exists: the official list changes only with a load
    (and a restart), so a code found once is not asked for again; an unknown one is, and
    stays a 422."""
    code = "32.04.27"  # a district of Kabupaten Bandung
    assert client.get(f"/v1/businesses?region={code}").status_code == 200
    with counted(app) as again:
        assert client.get(f"/v1/businesses?region={code}").status_code == 200
    assert not any("FROM regions" in s for s in again)
    for _ in range(2):
        with counted(app) as unknown:
            assert_problem(client.get("/v1/businesses?region=32.99.99"), 422)
        assert any("FROM regions" in s for s in unknown)
