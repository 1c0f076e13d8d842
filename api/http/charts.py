"""Statistics as pictures: SVG or PNG charts drawn on the server by matplotlib (Agg, with no
display and without pyplot's global state, so that threads may draw at once).

Charts are labelled in the reader's language, sized for a phone held upright (6 x 4.5 inches:
900 x 675 pixels as PNG) with large type, and drawn from what the JSON shows: a suppressed
group has no line or bar, only its name marked as hidden. SVG keeps its text as text (it can be
searched, read aloud and translated by the browser).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from flask import Response

from api.services.stats import Group
from api.services.stats_series import Curve, Series

SVG_TYPE = "image/svg+xml"
CHART_RESPONSES: list[dict[str, Any]] = [
    {
        "schema": {"type": "string", "description": "The chart as SVG (`format=svg`)."},
        "content_type": SVG_TYPE,
        "description": "A chart (`format=svg` or `format=png`), labelled in the reader's language.",
        "success": True,
    },
    {
        "schema": {"type": "string", "format": "binary", "description": "The chart as PNG."},
        "content_type": "image/png",
        "description": "A chart as PNG (`format=png`).",
        "success": True,
    },
]
WIDTH, HEIGHT, DPI = 6.0, 4.5, 150
MAX_LINES = 8
PALETTE = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8d6a9f", "#444")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "survival": "Still trading after graduation",
        "months_since": "Months since graduation",
        "still_trading": "Still trading",
        "series": "Active businesses by month",
        "series_one": "Businesses by month: {label}",
        "month": "Month",
        "businesses": "Businesses",
        "active": "Active",
        "at_risk": "At risk",
        "dormant": "Dormant",
        "regions": "Businesses started by region",
        "region": "Region",
        "by_cohort": "Businesses started by cohort",
        "by_program": "Businesses started by program",
        "by_year": "Businesses started by year",
        "cohort": "Cohort",
        "program": "Program",
        "year": "Year",
        "hidden": "hidden (under 5)",
        "nothing": "No figures to show",
        "ci": "95% confidence interval",
        "impact": "Sponsorship disbursed by region, {year}",
        "value_idr": "Value (Rp)",
        "mentoring": "Mentoring hours by mentor",
        "hours": "Hours",
        "mentor": "Mentor",
    },
    "id": {
        "survival": "Masih berusaha setelah lulus",
        "months_since": "Bulan sejak lulus",
        "still_trading": "Masih berusaha",
        "series": "Usaha aktif per bulan",
        "series_one": "Usaha per bulan: {label}",
        "month": "Bulan",
        "businesses": "Usaha",
        "active": "Aktif",
        "at_risk": "Berisiko",
        "dormant": "Tidak aktif",
        "regions": "Usaha dimulai per wilayah",
        "region": "Wilayah",
        "by_cohort": "Usaha dimulai per angkatan",
        "by_program": "Usaha dimulai per program",
        "by_year": "Usaha dimulai per tahun",
        "cohort": "Angkatan",
        "program": "Program",
        "year": "Tahun",
        "hidden": "disembunyikan (di bawah 5)",
        "nothing": "Tidak ada angka untuk ditampilkan",
        "ci": "Selang kepercayaan 95%",
        "impact": "Sponsor tersalurkan per wilayah, {year}",
        "value_idr": "Nilai (Rp)",
        "mentoring": "Jam pendampingan per mentor",
        "hours": "Jam",
        "mentor": "Mentor",
    },
}


def _figure() -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    return figure


def _style(axes: Any) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=10)


def _render(figure: Any, format: str, title: str, filename: str) -> Response:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "berdaya"}):
        metadata: dict[str, Any] = {"Title": title}
        if format == "svg":
            metadata["Date"] = None  # the same figures give the same bytes (and ETag)
        figure.savefig(buffer, format=format, metadata=metadata)
    mimetype = SVG_TYPE if format == "svg" else "image/png"
    return Response(
        buffer.getvalue(),
        mimetype=mimetype,
        headers={"Content-Disposition": f'inline; filename="{filename}.{format}"'},
    )


def _empty(axes: Any, text: dict[str, str]) -> None:
    axes.text(0.5, 0.5, text["nothing"], ha="center", va="center", transform=axes.transAxes)


def survival_chart(curves: Sequence[Curve], language: str, format: str) -> Response:
    """Kaplan-Meier steps with their 95% band, one per group shown (at most 8)."""
    from matplotlib.ticker import PercentFormatter

    text = TEXT[language]
    figure = _figure()
    axes = figure.add_subplot()
    _style(axes)
    drawn = 0
    for curve in curves:
        label = curve.label if not curve.suppressed else f"{curve.label}: {text['hidden']}"
        if curve.suppressed or not curve.points or drawn >= MAX_LINES:
            if curve.suppressed and drawn < MAX_LINES:
                axes.plot([], [], color="#bbbbbb", label=label)
            continue
        color = PALETTE[drawn % len(PALETTE)]
        months = [p["months"] for p in curve.points]
        axes.step(
            months,
            [p["survival"] for p in curve.points],
            where="post",
            color=color,
            linewidth=2,
            label=label,
        )
        axes.fill_between(
            months,
            [p["ci_low"] for p in curve.points],
            [p["ci_high"] for p in curve.points],
            step="post",
            color=color,
            alpha=0.15,
            linewidth=0,
        )
        drawn += 1
    if not drawn:
        _empty(axes, text)
    axes.set_ylim(0, 1.02)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_title(text["survival"], fontsize=14, fontweight="bold")
    axes.set_xlabel(text["months_since"], fontsize=12)
    axes.set_ylabel(text["still_trading"], fontsize=12)
    if curves:
        axes.legend(fontsize=9, loc="lower left", frameon=False)
    return _render(figure, format, text["survival"], "survival")


def series_chart(items: Sequence[Series], language: str, format: str) -> Response:
    """One group: its active, at-risk and dormant businesses stacked by month. Several: one
    line of active businesses each (at most 8)."""
    import datetime as dt

    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import MaxNLocator

    text = TEXT[language]
    figure = _figure()
    axes = figure.add_subplot()
    _style(axes)
    title = text["series"]
    shown = [s for s in items if any(not m["suppressed"] for m in s.months)]
    hidden = [s for s in items if s not in shown]

    def when(month: dt.date) -> dt.datetime:
        return dt.datetime(month.year, month.month, 15)  # noqa: DTZ001  (a calendar point)

    if len(items) == 1 and shown:
        only = shown[0]
        title = text["series_one"].format(label=only.label)
        months = [when(m["month"]) for m in only.months]
        layers = [[m[k] or 0 for m in only.months] for k in ("active", "at_risk", "dormant")]
        axes.stackplot(
            months,
            *layers,
            labels=[text["active"], text["at_risk"], text["dormant"]],
            colors=("#2e933c", "#edae49", "#d1495b"),
            alpha=0.85,
        )
    else:
        for i, s in enumerate(shown[:MAX_LINES]):
            axes.plot(
                [when(m["month"]) for m in s.months],
                [m["active"] for m in s.months],  # None: a suppressed month, a gap
                color=PALETTE[i % len(PALETTE)],
                linewidth=2,
                marker="o",
                markersize=3,
                label=s.label,
            )
    for s in hidden[: max(0, MAX_LINES - len(shown))]:
        axes.plot([], [], color="#bbbbbb", label=f"{s.label}: {text['hidden']}")
    if not shown:
        _empty(axes, text)
    locator = AutoDateLocator(maxticks=6)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title, fontsize=14, fontweight="bold")
    axes.set_xlabel(text["month"], fontsize=12)
    axes.set_ylabel(text["businesses"], fontsize=12)
    if items:
        axes.legend(fontsize=9, loc="upper left", frameon=False)
    return _render(figure, format, title, "monthly")


def _bars(
    rows: Sequence[tuple[str, float | None, str]],
    text: dict[str, str],
    *,
    title: str,
    x_label: str,
    y_label: str,
    format: str,
    filename: str,
    rupiah: bool = False,
) -> Response:
    """Horizontal bars, one per (label, value, note) in the order given, the first on top; a
    value of None (a hidden figure) keeps its label and note without a bar. ``rupiah``: the
    value axis in whole rupiah with Indonesian thousands separators (no "1e6")."""
    figure = _figure()
    figure.set_size_inches(WIDTH, max(HEIGHT, 0.32 * len(rows) + 1.5))
    axes = figure.add_subplot()
    _style(axes)
    axes.grid(True, axis="x", color="#dddddd")
    axes.grid(False, axis="y")
    ordered = list(reversed(rows))  # barh draws from the bottom
    bars = axes.barh(
        [label for label, _, _ in ordered],
        [value or 0 for _, value, _ in ordered],
        color="#1b6ca8",
    )
    for bar, (_, value, note) in zip(bars, ordered, strict=True):
        axes.annotate(
            note,
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="#777777" if value is None else "#222222",
        )
    if not rows:
        _empty(axes, text)
    if rupiah:
        from matplotlib.ticker import FuncFormatter

        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _thousands(int(v))))
    axes.set_title(title, fontsize=14, fontweight="bold")
    axes.set_xlabel(x_label, fontsize=12)
    axes.set_ylabel(y_label, fontsize=12)
    axes.margins(x=0.25)
    return _render(figure, format, title, filename)


def groups_chart(rows: Sequence[Group], group: str, language: str, format: str) -> Response:
    """Businesses started per region (or cohort, program, year), as horizontal bars, largest
    first; a suppressed group keeps its name with "hidden" instead of a bar."""
    text = TEXT[language]
    ordered = sorted(rows, key=lambda r: (r.suppressed, -(r.figures["businesses_started"] or 0)))
    return _bars(
        [
            (r.label, None, text["hidden"])
            if r.suppressed
            else (
                r.label,
                r.figures["businesses_started"] or 0,
                f"{r.figures['businesses_started']:,}",
            )
            for r in ordered
        ],
        text,
        title=text["regions" if group == "region" else f"by_{group}"],
        x_label=text["businesses"],
        y_label=text[group],
        format=format,
        filename=f"stats-{group}",
    )


def impact_chart(report: Any, language: str, format: str) -> Response:
    """The sponsor's value disbursed by the regency or city of the businesses, largest first
    (its own record: no business's figures, whatever her consent)."""
    text = TEXT[language]
    return _bars(
        [
            (r["region"]["name"] or r["region"]["code"], r["value_idr"], _rupiah(r["value_idr"]))
            for r in report.by_region
        ],
        text,
        title=text["impact"].format(year=report.year),
        x_label=text["value_idr"],
        y_label=text["region"],
        format=format,
        filename=f"impact-{report.year}",
        rupiah=True,
    )


def mentoring_chart(report: Any, language: str, format: str) -> Response:
    """Each mentor's or trainer's hours (sessions and training events) in the period, most
    first."""
    text = TEXT[language]
    mentors = sorted(report.mentors, key=lambda m: (-m.hours, m.name))
    return _bars(
        [(m.name, m.hours, f"{m.hours:g}") for m in mentors],
        text,
        title=text["mentoring"],
        x_label=text["hours"],
        y_label=text["mentor"],
        format=format,
        filename=f"mentoring-{report.from_date}-{report.to_date}",
    )


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _rupiah(value: int) -> str:
    return "Rp " + _thousands(value)
