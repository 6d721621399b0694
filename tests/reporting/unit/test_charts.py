"""The trend charts (`domain/charts.py`): SVG markup from plain data, every text
escaped, round ticks, gaps, an empty series and a single point; the month
points a trend is read at; and the page's view with small cells hidden."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from ishc_reporting.domain.charts import (
    CountPoint,
    Series,
    SharePoint,
    TrendData,
    line_chart,
    month_points,
    nice_ticks,
    trends_view,
)

SVG = ""  # inline in HTML: no namespace declared
DAYS = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 15)]


def chart(series: list[Series], days: list[date] = DAYS, **kw: object) -> str:
    args: dict[str, object] = {
        "chart_id": "trend-test",
        "title": "Số CLB",
        "description": "Mô tả",
        "days": days,
        "series": series,
        "lang": "vi",
        "empty_text": "Chưa có dữ liệu.",
    }
    args.update(kw)
    return line_chart(**args)  # type: ignore[arg-type]


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_a_chart_is_accessible_responsive_svg_with_month_labels() -> None:
    svg = chart([Series("CLB", [1200, 1500, None, 3000])])
    root = ET.fromstring(svg)  # well-formed
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert root.get("viewBox") == "0 0 520 250"
    assert root.get("aria-labelledby") == "trend-test-title trend-test-desc"
    assert root.find(f"{SVG}title").text == "Số CLB"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Mô tả"  # type: ignore[union-attr]
    labels = texts(svg)
    # Months as mm/yyyy, the leap month included; ticks with Vietnamese thousands.
    assert {"01/2024", "02/2024", "03/2024", "04/2024"} <= set(labels)
    assert {"0", "1.000", "2.000", "3.000"} <= set(labels)
    # A gap where a value is missing: the line breaks, the lonely point is a dot.
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert len(root.findall(f"{SVG}circle")) == 3
    english = chart([Series("Clubs", [1200, 1500, None, 3000])], lang="en")
    assert {"2024-01", "2024-04", "1,000", "3,000"} <= set(texts(english))


def test_every_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & "CLB"'
    svg = chart(
        [Series(evil, [Decimal("1.5"), Decimal("2.25")]), Series("b", [1, 2])],
        days=DAYS[:2],
        title=evil,
        description=evil,
        chart_id='x" onload="y',
        unit="%",
    )
    assert "<script>" not in svg and 'onload="y"' not in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]
    assert evil in texts(svg)  # the legend, read back unescaped
    tips = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert f"{evil}, 01/2024: 1,50%" in tips  # decimal comma, the unit


def test_ticks_are_round_and_cover_the_top() -> None:
    assert nice_ticks(Decimal(3000)) == [Decimal(n) for n in (0, 1000, 2000, 3000)]
    assert nice_ticks(Decimal(100)) == [Decimal(n) for n in (0, 25, 50, 75, 100)]
    assert nice_ticks(Decimal("2.41")) == [Decimal(n) for n in (0, 1, 2, 3)]
    assert nice_ticks(Decimal("0.3")) == [Decimal(n) for n in ("0", "0.1", "0.2", "0.3")]
    assert nice_ticks(Decimal(7)) == [Decimal(n) for n in (0, 2, 4, 6, 8)]
    assert nice_ticks(Decimal(0)) == [Decimal(0), Decimal(1)]
    for top in (Decimal(1), Decimal(13), Decimal(168085), Decimal("0.3")):
        ticks = nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and 2 <= len(ticks) <= 7
        steps = {b - a for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1


def test_an_empty_series_says_so() -> None:
    for svg in (
        chart([Series("CLB", [])], days=[]),
        chart([Series("CLB", [None, "< 5"])], days=DAYS[:2]),
    ):
        root = ET.fromstring(svg)
        assert "Chưa có dữ liệu." in texts(svg)
        assert not root.findall(f"{SVG}polyline") and not root.findall(f"{SVG}circle")


def test_one_point_is_a_dot_in_the_middle() -> None:
    svg = chart([Series("CLB", [5])], days=[date(2026, 12, 1)])
    root = ET.fromstring(svg)
    [dot] = root.findall(f"{SVG}circle")
    assert float(dot.get("cx", "0")) == 64 + (520 - 64 - 30) / 2
    assert not root.findall(f"{SVG}polyline")
    assert "12/2026" in texts(svg)


def test_several_series_get_a_legend_and_distinct_strokes() -> None:
    svg = chart([Series("A", [1, 2, 3, 4]), Series("B", [4, 3, 2, 1])], unit="%")
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len({(p.get("stroke"), p.get("stroke-dasharray")) for p in lines}) == 2
    assert {"A", "B"} <= set(texts(svg))
    assert root.get("viewBox") == "0 0 520 268"  # a row for the legend


def test_month_points_end_at_the_as_of_date() -> None:
    assert month_points(date(2023, 12, 15), date(2024, 3, 10)) == [
        date(2023, 12, 31),
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 10),
    ]
    assert month_points(date(2024, 1, 1), date(2024, 2, 29)) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
    ]
    assert month_points(date(2026, 12, 1), date(2026, 12, 1)) == [date(2026, 12, 1)]
    assert month_points(date(2027, 1, 1), date(2026, 12, 1)) == []


def view_data() -> TrendData:
    counts = [
        CountPoint(date(2026, 10, 31), 1, 3, 1, 124, Decimal("0.80")),
        CountPoint(date(2026, 11, 30), 2, 40, 2, 124, Decimal("1.61")),
        CountPoint(date(2026, 12, 1), 2, 41, 2, 124, Decimal("1.61")),
    ]
    shares = [
        SharePoint(date(2025, 12, 31), 3, {"size_ok": Decimal(0), "meetings_ok": Decimal(100)}),
        SharePoint(date(2026, 12, 1), 41, {"size_ok": Decimal(50), "meetings_ok": Decimal(50)}),
    ]
    return TrendData(date(2026, 12, 1), counts, shares)


def test_the_view_has_four_charts_and_their_tables_latest_first() -> None:
    view = trends_view(view_data(), "vi")
    assert [c["name"] for c in view["charts"]] == ["coverage", "clubs", "members", "quality"]
    assert view["count_rows"][0] == ["01/12/2026", "1,61", "2 / 124", "2", "41"]
    assert view["count_rows"][1][0] == "11/2026" and view["count_rows"][-1][4] == "3"
    assert view["share_rows"][0][:3] == ["01/12/2026", "50", "50"]
    english = trends_view(view_data(), "en")
    assert english["count_rows"][0] == ["2026-12-01", "1.61", "2 / 124", "2", "41"]
    assert english["words"]["heading"] == "Trends"


def test_the_public_sees_no_small_counts_of_people() -> None:
    view = trends_view(view_data(), "vi", threshold=5)
    assert view["count_rows"][-1][4] == "< 5"  # 3 members in October
    assert view["share_rows"][-1][1:3] == ["—", "100"]  # size is of people; meetings stay
    members = next(c for c in view["charts"] if c["name"] == "members")["svg"]
    assert len(re.findall("<circle", members)) == 2  # the hidden month is a gap
