"""Trend charts as inline SVG, built from plain data (no I/O, no chart library).

A chart is a small line chart: a title, a few round ticks on each axis, one
line per series with a gap where a value is missing (or hidden from the
public), a legend when there are several series. It scales with its box
(`viewBox`, width 100%) and reads to a screen reader as an image with a title
and a description (`role="img"`); the page shows the same values in a table
beside it (`templates/_trends.html`). Every text is escaped here, since the
template inserts the markup as it is.

Dates read as the dashboard writes months: 11/2026 in Vietnamese, 2026-11 in
English; numbers as `report_layout.number_text` writes them (1.234,5 / 1,234.5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from ishc_reporting.domain.report_layout import day_text, number_text
from ishc_reporting.domain.small_cells import suppress_small_cells

# -- the data a trend is made of -------------------------------------------------------


@dataclass(frozen=True)
class CountPoint:
    """Clubs, members and coverage as of one date (a month's end, or the as-of date)."""

    on: date
    clubs: int
    members: int
    communes_with_club: int
    communes: int | None
    coverage: Decimal | None


@dataclass(frozen=True)
class SharePoint:
    """The quality shares (in percent, None where no club was assessed) as of one date."""

    on: date
    members: int
    shares: Mapping[str, Decimal | None]


@dataclass(frozen=True)
class TrendData:
    as_of: date
    counts: list[CountPoint] = field(default_factory=list)
    shares: list[SharePoint] = field(default_factory=list)


def month_points(first: date, as_of: date) -> list[date]:
    """Each month's last day from `first`'s month up to `as_of`, then `as_of`
    itself when it is no month's end (the page's date is the last point)."""
    days: list[date] = []
    index = first.year * 12 + first.month - 1
    while True:
        nxt = index + 1
        end = date(nxt // 12, nxt % 12 + 1, 1) - timedelta(days=1)
        if end > as_of:
            break
        days.append(end)
        index = nxt
    if (not days or days[-1] != as_of) and first <= as_of:
        days.append(as_of)
    return days


# -- the chart ----------------------------------------------------------------------------

# Narrow enough that a phone (360 px) shrinks the text by a third at most.
WIDTH, HEIGHT = 520, 250
LEFT, RIGHT, TOP, BOTTOM = 64, 30, 40, 46  # room for half a date label at each end
LEGEND_ROW = 18
COLOURS = ("#15803d", "#1d4ed8", "#b45309", "#7c3aed", "#be123c", "#0e7490")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")  # told apart without colour too
MARKERS_UP_TO = 36  # points drawn as dots (with a tooltip) up to this many


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Any]  # numbers; anything else (None, "< 5") is a gap


def month_text(day: date, lang: str) -> str:
    return day.strftime("%m/%Y") if lang == "vi" else day.strftime("%Y-%m")


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def nice_ticks(top: Decimal, count: int = 5) -> list[Decimal]:
    """Round ticks from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a
    power of ten, about `count` of them (0..1 when there is nothing to show)."""
    if top <= 0:
        return [Decimal(0), Decimal(1)]
    rough = float(top) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    step_d = Decimal(str(step)).normalize()
    if step_d == step_d.to_integral():
        step_d = step_d.quantize(Decimal(1))
    ticks = [Decimal(0)]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step_d)
    return ticks


def _index_ticks(n: int) -> list[int]:
    """Which points get a date under them: every one of a few, else five spread evenly."""
    if n <= 6:
        return list(range(n))
    return sorted({round(k * (n - 1) / 4) for k in range(5)})


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    days: Sequence[date],
    series: Sequence[Series],
    lang: str,
    unit: str = "",
    top: Decimal | None = None,
    empty_text: str = "",
) -> str:
    """An SVG line chart of `series` over `days` (one value per day each)."""
    # Two legend entries a row: a Vietnamese label is too long for four abreast.
    legend_rows = (len(series) + 1) // 2 if len(series) > 1 else 0
    height = HEIGHT + legend_rows * LEGEND_ROW
    plot_bottom = height - BOTTOM - legend_rows * LEGEND_ROW
    plot_w, plot_h = WIDTH - LEFT - RIGHT, plot_bottom - TOP
    t_id, d_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        # No xmlns: inline in HTML the parser gives it the SVG namespace, and the
        # page keeps no external address (not even a namespace's).
        f'<svg class="trend-chart" id="{escape(chart_id)}"'
        f' role="img" aria-labelledby="{escape(t_id)} {escape(d_id)}"'
        f' viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMidYMid meet"'
        ' font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{escape(t_id)}">{escape(title)}</title>',
        f'<desc id="{escape(d_id)}">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="600" fill="#1d2733">'
        f"{escape(title)}</text>",
    ]
    numbers = [[_number(v) for v in s.values] for s in series]
    known = [v for values in numbers for v in values if v is not None]
    if not days or not known:
        parts.append(
            f'<text x="{WIDTH / 2:.1f}" y="{(TOP + plot_bottom) / 2:.1f}" text-anchor="middle"'
            f' fill="#55606e">{escape(empty_text)}</text>'
        )
        parts.append("</svg>")
        return "".join(parts)
    ticks = nice_ticks(max(top if top is not None else Decimal(0), max(known)))
    y_max = ticks[-1]

    def y(value: Decimal) -> float:
        return plot_bottom - float(value / y_max) * plot_h

    n = len(days)

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    # Axes and ticks.
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"'
            f' stroke="{"#9aa3ad" if tick == 0 else "#e3e6ea"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#55606e">'
            f"{escape(number_text(tick, lang) + unit)}</text>"
        )
    for i in _index_ticks(n):
        tx = x(i)
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{plot_bottom}" y2="{plot_bottom + 4}"'
            ' stroke="#9aa3ad"/>'
        )
        # The first date starts at the axis, clear of the y axis' "0" beside it.
        anchor = "start" if i == 0 and n > 1 else "middle"
        parts.append(
            f'<text x="{tx:.1f}" y="{plot_bottom + 20}" text-anchor="{anchor}" fill="#55606e">'
            f"{escape(month_text(days[i], lang))}</text>"
        )
    # Lines, broken where a value is missing; dots (with their value) when few.
    for k, (s, values) in enumerate(zip(series, numbers, strict=True)):
        colour, dash = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        run: list[str] = []
        runs: list[list[str]] = []
        for i, v in enumerate(values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
        if run:
            runs.append(run)
        for r in runs:
            if len(r) > 1:
                parts.append(
                    f'<polyline points="{" ".join(r)}" fill="none" stroke="{colour}"'
                    f' stroke-width="2" stroke-linejoin="round"{dash_attr}/>'
                )
        for i, v in enumerate(values):
            if v is None:
                continue
            lonely = (i == 0 or values[i - 1] is None) and (i == n - 1 or values[i + 1] is None)
            if n <= MARKERS_UP_TO or lonely:
                tip = f"{s.label}, {month_text(days[i], lang)}: {number_text(v, lang)}{unit}"
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(tip)}</title></circle>"
                )
    for k, s in enumerate(series if legend_rows else ()):
        colour, dash = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        lx = LEFT + (k % 2) * plot_w / 2
        ly = plot_bottom + 40 + (k // 2) * LEGEND_ROW
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 22:.1f}" y1="{ly - 4}" y2="{ly - 4}"'
            f' stroke="{colour}" stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 27:.1f}" y="{ly}" fill="#1d2733">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def describe(
    title: str, days: Sequence[date], series: Sequence[Series], lang: str, unit: str = ""
) -> str:
    """A chart's description for a screen reader: the span, and each series'
    first and last known values."""
    if not days:
        return title
    words = TREND_LABELS[lang]
    span = f"{month_text(days[0], lang)} – {month_text(days[-1], lang)}"
    lines = [f"{title}, {span}."]
    for s in series:
        known = [(d, v) for d, v in zip(days, s.values, strict=True) if _number(v) is not None]
        if not known:
            continue
        (d0, v0), (d1, v1) = known[0], known[-1]
        lines.append(
            words["from_to"].format(
                label=s.label,
                first=f"{number_text(v0, lang)}{unit}",
                first_on=month_text(d0, lang),
                last=f"{number_text(v1, lang)}{unit}",
                last_on=month_text(d1, lang),
            )
        )
    return " ".join(lines)


# -- what the page shows ------------------------------------------------------------------

# The quality shares drawn (of `QUALITY_FLAGS`): a plan's composition, its
# meetings, and the two composite checks of 1336/QĐ-TTg.
CHARTED_FLAGS = ("size_ok", "meetings_ok", "well_managed", "full_activity")

TREND_LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "heading": "Xu hướng",
        "coverage": "Độ phủ: xã, phường có CLB (%)",
        "clubs": "Số CLB đang hoạt động",
        "members": "Số hội viên",
        "quality": "Chất lượng: % số CLB đạt (cuối mỗi năm)",
        "quality_monthly": "Chất lượng: % số CLB đạt (cuối mỗi tháng)",
        "table": "Bảng số liệu",
        "counts_caption": "Độ phủ, số CLB và hội viên cuối mỗi tháng",
        "month": "Tháng",
        "date": "Ngày",
        "communes_with_club": "Xã, phường có CLB",
        "coverage_short": "Độ phủ (%)",
        "clubs_short": "Số CLB",
        "members_short": "Hội viên",
        "no_data": "Chưa có dữ liệu.",
        "note": (
            "Số liệu tính đến cuối mỗi tháng (điểm cuối: ngày đang xem); "
            "chất lượng tính đến cuối mỗi năm (các tháng đang được tính)."
        ),
        "note_monthly": "Số liệu tính đến cuối mỗi tháng (điểm cuối: ngày đang xem).",
        "from_to": "{label}: {first} ({first_on}) đến {last} ({last_on}).",
        "size_ok": "Quy mô đạt chuẩn",
        "meetings_ok": "Sinh hoạt hằng tháng",
        "well_managed": "Quản lý tốt",
        "full_activity": "Đủ 8 hoạt động, quản lý tốt",
    },
    "en": {
        "heading": "Trends",
        "coverage": "Coverage: communes with a club (%)",
        "clubs": "Active clubs",
        "members": "Members",
        "quality": "Quality: % of clubs meeting it (at each year's end)",
        "quality_monthly": "Quality: % of clubs meeting it (at each month's end)",
        "table": "Data table",
        "counts_caption": "Coverage, clubs and members at each month's end",
        "month": "Month",
        "date": "Date",
        "communes_with_club": "Communes with a club",
        "coverage_short": "Coverage (%)",
        "clubs_short": "Clubs",
        "members_short": "Members",
        "no_data": "No data yet.",
        "note": (
            "Figures at each month's end (the last point is the page's date); "
            "quality at each year's end (the months are being measured)."
        ),
        "note_monthly": "Figures at each month's end (the last point is the page's date).",
        "from_to": "{label}: {first} ({first_on}) to {last} ({last_on}).",
        "size_ok": "Size within the band",
        "meetings_ok": "Met every month",
        "well_managed": "Well managed",
        "full_activity": "All 8 areas, well managed",
    },
}


def _point_text(day: date, as_of: date, lang: str) -> str:
    """A month's end reads as its month; the as-of date, when no month's end, as a day."""
    is_month_end = (day + timedelta(days=1)).day == 1
    return month_text(day, lang) if is_month_end or day != as_of else day_text(day, lang)


def trends_view(data: TrendData, lang: str, threshold: int | None = None) -> dict[str, Any]:
    """The charts and their tables for `_trends.html`. `threshold`: the public's
    small-cell threshold (`domain/small_cells.py`), None for a signed-in viewer."""
    words = dict(TREND_LABELS[lang])
    if [p.on for p in data.shares] == [p.on for p in data.counts]:
        # The snapshot job has measured every month's shares (ADR 0008).
        words["quality"], words["note"] = words["quality_monthly"], words["note_monthly"]
    counts: list[dict[str, Any]] = [
        {
            "on": p.on,
            "clubs": p.clubs,
            "members": p.members,
            "communes_with_club": p.communes_with_club,
            "communes": p.communes,
            "coverage": p.coverage,
        }
        for p in data.counts
    ]
    shares: list[dict[str, Any]] = [
        {"on": p.on, "members": p.members, "shares": dict(p.shares)} for p in data.shares
    ]
    if threshold is not None:
        counts = [suppress_small_cells(c, threshold) for c in counts]
        shares = [suppress_small_cells(s, threshold) for s in shares]
    days = [c["on"] for c in counts]
    share_days = [s["on"] for s in shares]
    charts = []
    specs: list[tuple[str, list[date], list[Series], str, Decimal | None]] = [
        ("coverage", days, [Series(words["coverage_short"], [c["coverage"] for c in counts])], "%",
         None),
        ("clubs", days, [Series(words["clubs_short"], [c["clubs"] for c in counts])], "", None),
        ("members", days, [Series(words["members_short"], [c["members"] for c in counts])], "",
         None),
        ("quality", share_days,
         [Series(words[f], [s["shares"].get(f) for s in shares]) for f in CHARTED_FLAGS], "%",
         Decimal(100)),
    ]  # fmt: skip
    for name, on, series, unit, top in specs:
        title = words[name]
        charts.append(
            {
                "name": name,
                "svg": line_chart(
                    chart_id=f"trend-{name}",
                    title=title,
                    description=describe(title, on, series, lang, unit),
                    days=on,
                    series=series,
                    lang=lang,
                    unit=unit,
                    top=top,
                    empty_text=words["no_data"],
                ),
            }
        )
    count_rows = [
        [
            _point_text(c["on"], data.as_of, lang),
            number_text(c["coverage"], lang),
            f"{number_text(c['communes_with_club'], lang)} / {number_text(c['communes'], lang)}",
            number_text(c["clubs"], lang),
            number_text(c["members"], lang),
        ]
        for c in counts
    ]
    share_rows = [
        [_point_text(s["on"], data.as_of, lang)]
        + [number_text(s["shares"].get(f), lang) for f in CHARTED_FLAGS]
        for s in shares
    ]
    return {
        "words": words,
        "empty": not counts,
        "charts": charts,
        "count_headers": [
            words["month"],
            words["coverage_short"],
            words["communes_with_club"],
            words["clubs_short"],
            words["members_short"],
        ],
        # Latest first: the table is read for the recent months.
        "count_rows": list(reversed(count_rows)),
        "share_headers": [words["date"]] + [words[f] for f in CHARTED_FLAGS],
        "share_rows": list(reversed(share_rows)),
    }
