"""Statistics over time: monthly series and survival curves, as JSON, spreadsheets or charts."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from flask import Response
from flask_smorest.utils import get_appcontext

from api.http import charts
from api.http.blueprint import Blueprint
from api.http.charts import CHART_RESPONSES
from api.http.context import current_actor, db, language, state
from api.http.export import CSV_RESPONSE, XLSX_RESPONSE, Column, table_response
from api.http.limits import limit
from api.schemas.stats import (
    HelpedQueryArgsSchema,
    HelpedSchema,
    SeriesQueryArgsSchema,
    SeriesSchema,
    SurvivalQueryArgsSchema,
    SurvivalSchema,
)
from api.services import regions, stats, stats_helped, stats_series
from api.services.stats_series import SERIES_FIGURES, Curve, Series

blp = Blueprint(
    "stats",
    __name__,
    scope="program",
    url_prefix="/v1/stats",
    description=(
        "Program statistics over time: monthly series and Kaplan-Meier survival curves per "
        "cohort, program, region or year; small groups suppressed for the public."
    ),
)
GROUP = "<any(cohort, program, region, year):group>"

GROUP_COLUMNS = (
    Column("key", "text", "Group", "Kelompok", "The group's key", "Kunci kelompok"),
    Column("label", "text", "Name", "Nama", "The group's name", "Nama kelompok"),
    Column("region_code", "text", "Region code", "Kode wilayah"),
    Column("region_name", "text", "Region", "Wilayah"),
)
SERIES_COLUMNS = (
    *GROUP_COLUMNS,
    Column("month", "month", "Month", "Bulan"),
    Column(
        "suppressed",
        "text",
        "Suppressed",
        "Disembunyikan",
        "yes: fewer than 5 businesses, figures hidden",
        "ya: kurang dari 5 usaha, angka disembunyikan",
    ),
    Column(
        "businesses",
        "int",
        "Businesses",
        "Usaha",
        "Listed by the month's end",
        "Terdaftar sampai akhir bulan",
    ),
    Column("active", "int", "Active", "Aktif", "Seen within 60 days", "Terlihat dalam 60 hari"),
    Column(
        "at_risk",
        "int",
        "At risk",
        "Berisiko",
        "Seen 60-120 days before",
        "Terlihat 60-120 hari sebelumnya",
    ),
    Column(
        "dormant",
        "int",
        "Dormant",
        "Tidak aktif",
        "Not seen for over 120 days",
        "Tidak terlihat lebih dari 120 hari",
    ),
    Column("check_ins", "int", "Check-ins", "Laporan bulanan"),
    Column("median_revenue_band", "text", "Median revenue band", "Median kelompok omzet"),
    Column(
        "orders",
        "int",
        "Orders",
        "Pesanan",
        "Completed orders placed in the month",
        "Pesanan selesai yang dibuat bulan itu",
    ),
    Column("orders_idr", "idr", "Orders (Rp)", "Pesanan (Rp)"),
    Column("off_platform_sales", "int", "Off-platform sales", "Penjualan di luar Berdaya"),
    Column("off_platform_idr", "idr", "Off-platform sales (Rp)", "Penjualan di luar Berdaya (Rp)"),
    Column("new_businesses", "int", "New businesses", "Usaha baru"),
)
SURVIVAL_COLUMNS = (
    *GROUP_COLUMNS,
    Column("months", "int", "Months since graduation", "Bulan sejak lulus"),
    Column(
        "at_risk",
        "int",
        "Followed",
        "Diikuti",
        "Still followed just before",
        "Masih diikuti tepat sebelumnya",
    ),
    Column("events", "int", "Stopped trading", "Berhenti berusaha"),
    Column(
        "censored",
        "int",
        "Censored",
        "Tersensor",
        "Followed no longer (still trading)",
        "Tidak diikuti lagi (masih berusaha)",
    ),
    Column(
        "survival",
        "share",
        "Still trading",
        "Masih berusaha",
        "Kaplan-Meier estimate",
        "Perkiraan Kaplan-Meier",
    ),
    Column("ci_low", "share", "95% CI low", "Batas bawah SK 95%"),
    Column("ci_high", "share", "95% CI high", "Batas atas SK 95%"),
)

HELPED_COLUMNS = (
    Column("key", "text", "Group", "Kelompok", "The group's key", "Kunci kelompok"),
    Column("label", "text", "Name", "Nama", "The group's name", "Nama kelompok"),
    Column(
        "exposure",
        "text",
        "Help",
        "Bantuan",
        "trained, mentored, sponsored (overlapping) or none",
        "trained (pelatihan), mentored (pendampingan), sponsored (sponsor) atau none (tidak ada)",
    ),
    Column(
        "suppressed",
        "text",
        "Suppressed",
        "Disembunyikan",
        "yes: fewer than 5 businesses, figures hidden",
        "ya: kurang dari 5 usaha, angka disembunyikan",
    ),
    Column("businesses", "int", "Businesses", "Usaha"),
    Column(
        "share_active", "share", "Active", "Aktif", "Seen within 60 days", "Terlihat dalam 60 hari"
    ),
    Column("survival_6m", "share", "Trading at 6 months", "Masih berusaha 6 bulan"),
    Column("survival_12m", "share", "Trading at 12 months", "Masih berusaha 12 bulan"),
)

SURVIVAL_FIGURES = ("months", "at_risk", "events", "censored", "survival", "ci_low", "ci_high")


def _names(codes: set[str | None]) -> dict[str, str]:
    return regions.names(db(), {c for c in codes if c})


def series_rows(items: list[Series]) -> list[list[Any]]:
    names = _names({s.region for s in items})
    return [
        [s.key, s.label, s.region or "", names.get(s.region or "", ""), m["month"], m["suppressed"]]
        + [m[f] for f in SERIES_FIGURES]
        for s in items
        for m in s.months
    ]


def survival_rows(curves: list[Curve]) -> list[list[Any]]:
    names = _names({c.region for c in curves})
    return [
        [c.key, c.label, c.region or "", names.get(c.region or "", "")]
        + [p[f] for f in SURVIVAL_FIGURES]
        for c in curves
        for p in c.points
    ]


def _cache_headers() -> dict[str, str]:
    seconds = state().settings.stats_cache_seconds
    public = current_actor().user is None and seconds
    return {"Cache-Control": f"public, max-age={seconds}" if public else "private, no-cache"}


def _answer(question: tuple[str, str], args: dict[str, Any], compute: Any) -> Any:
    """What ``compute`` answers; for the public, kept like the figures (``stats.answers``)."""
    actor = current_actor()
    key = (*question, tuple(sorted(args.items())))
    if actor.user is None:
        found = stats.answers.get(key)
        if found is not None:
            return found
    answer = compute(db(), actor=actor, group=question[1], **args)
    if actor.user is None:
        stats.answers.put(key, answer, state().settings.stats_cache_seconds)
    return answer


def _finish(response: Response) -> Response:
    """A file (CSV, workbook, chart) with the statistics' cache headers, and its ETag."""
    response.headers.update(_cache_headers())
    get_appcontext()["result_dump"] = hashlib.sha256(response.get_data()).hexdigest()
    return response


@blp.route(f"/{GROUP}/monthly", methods=["GET"])
@blp.in_transaction  # stats.roomy: memory for its sorts, for the transaction
@limit("rate_limit_stats")
@blp.auth(optional=True)
@blp.etag
@blp.arguments(SeriesQueryArgsSchema, location="query")
@blp.response(200, SeriesSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
@blp.alt_response(200, **CHART_RESPONSES[0])
@blp.alt_response(200, **CHART_RESPONSES[1])
def get_series(args: dict[str, Any], group: str) -> Any:
    """Per month, per group: businesses listed and of them active, at risk and dormant,
    check-ins and their median revenue band, orders, off-platform sales, new businesses; the
    region (code and name) on every row. Months with fewer than 5 businesses are suppressed
    except for admins in scope."""
    wanted = args.pop("format")
    items = _answer(("monthly", group), args, stats_series.series)
    if wanted in ("svg", "png"):
        return _finish(charts.series_chart(items, language(), wanted))
    if wanted in ("csv", "xlsx"):
        lang = language()
        return _finish(
            table_response(
                format=wanted,
                filename=f"stats-{group}-monthly",
                title="Usaha per bulan" if lang == "id" else "Businesses by month",
                columns=SERIES_COLUMNS,
                rows=series_rows(items),
                language=lang,
            )
        )
    body = [
        {
            "key": s.key,
            "label": s.label,
            "region": s.region,
            "months": [{**m, "region": s.region} for m in s.months],
        }
        for s in items
    ]
    return {"group": group, "items": body}, _cache_headers()


@blp.route(f"/{GROUP}/survival", methods=["GET"])
@blp.in_transaction  # stats.roomy: memory for its sorts, for the transaction
@limit("rate_limit_stats")
@blp.auth(optional=True)
@blp.etag
@blp.arguments(SurvivalQueryArgsSchema, location="query")
@blp.response(200, SurvivalSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
@blp.alt_response(200, **CHART_RESPONSES[0])
@blp.alt_response(200, **CHART_RESPONSES[1])
def get_survival(args: dict[str, Any], group: str) -> Any:
    """Kaplan-Meier estimates of "still trading" by months since graduation, per group, with
    censoring and 95% confidence intervals (Greenwood, log-log). Groups of fewer than 5
    businesses are suppressed, and the public sees each curve while 5 or more are followed."""
    wanted = args.pop("format")
    curves = _answer(("survival", group), args, stats_series.survival)
    if wanted in ("svg", "png"):
        return _finish(charts.survival_chart(curves, language(), wanted))
    if wanted in ("csv", "xlsx"):
        lang = language()
        return _finish(
            table_response(
                format=wanted,
                filename=f"stats-{group}-survival",
                title="Masih berusaha" if lang == "id" else "Still trading",
                columns=SURVIVAL_COLUMNS,
                rows=survival_rows(curves),
                language=lang,
            )
        )
    return {"group": group, "items": [asdict(c) for c in curves]}, _cache_headers()


@blp.route(f"/{GROUP}/what-helped", methods=["GET"])
@limit("rate_limit_stats")
@blp.auth(optional=True)
@blp.etag
@blp.arguments(HelpedQueryArgsSchema, location="query")
@blp.response(200, HelpedSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
@blp.alt_response(200, **CSV_RESPONSE)
@blp.alt_response(200, **XLSX_RESPONSE)
def get_what_helped(args: dict[str, Any], group: str) -> Any:
    """Per group, the businesses whose owners completed training, were mentored, were
    sponsored, or none of these: how many, the share active, and the share trading 6 and 12
    months after graduation. Rows of fewer than 5 businesses are suppressed. Association, not
    cause: the `note` says so in the reader's language."""
    wanted = args.pop("format")
    items = _answer(("what-helped", group), args, stats_helped.what_helped)
    lang = language()
    if wanted in ("csv", "xlsx"):
        rows = [
            [g.key, g.label, r.exposure, "yes" if r.suppressed else "no"]
            + [r.figures[f] for f in stats_helped.FIGURES]
            for g in items
            for r in g.rows
        ]
        return _finish(
            table_response(
                format=wanted,
                filename=f"stats-{group}-what-helped",
                title="Apa yang membantu" if lang == "id" else "What helped",
                columns=HELPED_COLUMNS,
                rows=rows,
                language=lang,
            )
        )
    body = [
        {
            "key": g.key,
            "label": g.label,
            "rows": [
                {"exposure": r.exposure, "suppressed": r.suppressed, **r.figures} for r in g.rows
            ],
        }
        for g in items
    ]
    return {"group": group, "note": stats_helped.note(lang), "items": body}, _cache_headers()
