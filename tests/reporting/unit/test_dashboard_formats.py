"""How the dashboard writes numbers, dates, progress and a plan's targets (no app,
no database). The words of a target are `domain/report_layout.py`'s, so the
reports read them the same."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ishc_reporting.adapters.live_feed import totals
from ishc_reporting.api.dashboard import (
    clock_text,
    day,
    number,
    page_date,
    plan_line,
    plans_view,
    status_word,
)
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.plans import default_plan_summary, progress, rollout_status


def test_numbers_dates_and_progress_as_written() -> None:
    assert number("19.26", "vi") == "19,26" and number("19.26", "en") == "19.26"
    assert number("0.80", "vi") == "0,80" and number("100.00", "en") == "100.00"
    assert number(1234567, "vi") == "1.234.567" and number(1234567, "en") == "1,234,567"
    assert number(None, "vi") == "—" and number("< 5", "vi") == "< 5"
    assert day("2026-01-31", "vi") == "31/01/2026" and day(date(2026, 1, 31), "en") == "2026-01-31"
    assert progress("19.26", "50") == 38 and progress("60", "50") == 100
    assert progress("1", "0.00") == 100 and progress(None, "50") is None
    assert progress("5", None) is None


def target(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "plan": "vinh-long-2016-2020",
        "indicator": "new_clubs",
        "from": "2017-01-01",
        "by": "2018-12-31",
        "target": "17",
        "target_max": None,
        "measured_on": "2018-06-30",
        "value": 12,
        "expected": 12,
        "status": "on_track",
        "gap": "5",
        "commune_category": None,
        "note": "P2 I.2 và II.3",
    }
    return {**base, **fields}


def test_a_target_reads_as_the_plan_wrote_it() -> None:
    assert layout.reading(target(), "vi") == "+17 CLB mới, 01/2017 – 12/2018: 12 đến nay"
    assert layout.reading(target(), "en") == "+17 new clubs, 2017-01 – 2018-12: 12 so far"
    ended = target(measured_on="2018-12-31", value=20, status="met", expected=None)
    assert layout.reading(ended, "vi") == "+17 CLB mới, 01/2017 – 12/2018: 20 (đo ngày 31/12/2018)"
    later = target(status="not_started", value=None, measured_on=None)
    assert layout.reading(later, "vi").endswith(": chưa bắt đầu")
    band = target(indicator="new_members_older_share", target="60", target_max="70", value="65.50")
    assert layout.reading(band, "vi") == "60 – 70%, 01/2017 – 12/2018: 65,50% đến nay"
    # A window of days, not of whole months, reads as days.
    assert layout.window_text("2020-11-04", "2025-12-31", "vi") == "04/11/2020 – 31/12/2025"
    assert layout.window_text(date(2021, 1, 1), date(2025, 12, 31), "en") == "2021-01 – 2025-12"


def test_targets_values_and_statuses_in_words() -> None:
    assert layout.target_text("coverage", "50", None, "vi") == "≥ 50%"
    assert layout.target_text("coverage", "19.26", None, "vi") == "≥ 19,26%"
    assert layout.target_text("funds_ok", "100", None, "en") == "100%"
    assert layout.target_text("communes_with_club", "55", None, "vi") == "≥ 55"
    assert layout.target_text("new_members", "3500", None, "vi") == "+3.500"
    assert layout.target_text("women_ok", "60", "70", "vi") == "60 – 70%"
    assert layout.value_text("coverage", "30.74", "vi") == "30,74%"
    assert layout.value_text("members", "< 5", "vi") == "< 5"
    assert layout.value_text("coverage", None, "vi") == "—"
    words = {s: layout.status_text(s, "vi") for s in layout.STATUSES}
    assert words == {
        "not_started": "chưa bắt đầu",
        "reached": "đạt",
        "on_track": "đúng tiến độ",
        "behind": "chậm tiến độ",
        "running": "đang thực hiện",
        "met": "đã đạt",
        "missed": "không đạt",
        "not_measured": "chưa đo được",
    }
    assert layout.status_text("behind", "en") == "behind" and layout.status_text(None, "vi") == "—"
    labels = {
        key: layout.target_label({"indicator": key}, "vi")
        for key in (
            "communes_with_club",
            "clubs_retained",
            "meetings_with_hardship_case_share",
            "well_managed",
            "full_activity",
        )
    }
    assert labels == {
        "communes_with_club": "Số xã, phường, thị trấn có CLB",
        "clubs_retained": "CLB giai đoạn trước duy trì hoạt động (%)",
        "meetings_with_hardship_case_share": (
            "Buổi sinh hoạt có chọn trường hợp khó khăn để giúp (%)"
        ),
        "well_managed": "CLB được quản lý tốt (%)",
        "full_activity": "CLB thực hiện đủ 8 hoạt động và được quản lý tốt (%)",
    }
    for key in ("new_members_older_share", "new_older_women_share", "poor_older_women"):
        assert layout.target_label({"indicator": key}, "vi") != key  # every one has its words
    lowland = layout.target_label({"indicator": "coverage", "commune_category": "lowland"}, "vi")
    assert lowland.endswith("xã, phường vùng đồng bằng")


def test_a_plans_territory_and_the_default_plan() -> None:
    old = {
        "boundary": "legacy",
        "province": "86",
        "name": "Tỉnh Vĩnh Long",
        "communes": 109,
        "communes_in_package": 102,
        "communes_note": "Kế hoạch tính trên 109 xã, phường, thị trấn ...",
    }
    assert layout.territory_text(old, "vi") == "Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn"
    nation = {"boundary": "current", "province": None, "name": None, "communes": 3321}
    assert layout.territory_text(nation, "vi") == "Toàn quốc (34 tỉnh, thành phố), 3.321 xã, phường"
    default = plan_line(default_plan_summary(), "vi")
    assert default.startswith(
        "Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định — "
    )
    assert "1336/QĐ-TTg" in default
    assert plan_line({"id": "p", "title": "Kế hoạch thử", "default": False}, "vi") == (
        "Kế hoạch: Kế hoạch thử"
    )

    plan = {
        "id": "vinh-long-2016-2020",
        "title": "Kế hoạch ... giai đoạn 2016 - 2020",
        "source": "Quyết định số 546/QĐ-UBND",
        "period_start": "2016-01-01",
        "period_end": "2020-12-31",
        "territory": old,
        "targets": [target(), target(status="behind", indicator="coverage", target="50")],
    }
    [shown] = plans_view([plan], "vi")
    assert shown["period"] == "01/01/2016 – 31/12/2020"
    assert shown["territory"] == "Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn"
    assert shown["communes_note"] == old["communes_note"]
    first, second = shown["targets"]
    assert first["reading"] == "+17 CLB mới, 01/2017 – 12/2018: 12 đến nay"
    assert (first["window"], first["value"], first["target"], first["expected"]) == (
        "01/2017 – 12/2018",
        "12",
        "+17",
        "12",
    )
    assert first["status_text"] == "đúng tiến độ" and first["status_class"] == "yes"
    assert second["status_text"] == "chậm tiến độ" and second["status_class"] == "no"


def test_one_rounding_convention_truncation() -> None:
    # The plans truncate (21 of 109 communes is 19,26%): so does every figure shown.
    assert number("19.266", "vi") == "19,26" and number(Decimal("19.269"), "en") == "19.26"
    assert number("0.999", "vi") == "0,99" and number("1.5", "vi") == "1,50"
    assert number(1234, "vi") == "1.234" and number("< 5", "vi") == "< 5"


def test_times_are_vietnams_and_dates_typed_as_people_write_them() -> None:
    assert clock_text("2026-11-30T18:30:00+00:00") == "01/12/2026 01:30"
    assert clock_text(datetime(2026, 11, 30, 18, 30)) == "01/12/2026 01:30"  # stored naive: UTC
    assert clock_text(None) == "—"
    assert page_date("30/06/2026") == date(2026, 6, 30) == page_date("2026-06-30")
    assert page_date("") is None


def plan(*statuses: str, indicator: str = "coverage") -> dict[str, Any]:
    return {"targets": [target(indicator=indicator, status=s) for s in statuses]}


def test_a_provinces_status_against_its_plans() -> None:
    assert rollout_status([]) == "no_plan"
    assert rollout_status([plan("on_track")]) == "on_track"
    assert rollout_status([plan("reached", "behind")]) == "behind"
    # Targets still open judge the province; an earlier phase missed does not.
    assert rollout_status([plan("missed", "on_track")]) == "on_track"
    assert rollout_status([plan("missed")]) == "behind"  # nothing open: the ended ones
    assert rollout_status([plan("not_started")]) == "not_started"
    assert rollout_status([plan("behind", indicator="board_ok")]) == "running"  # not rollout
    assert status_word("no_plan", "vi") == "chưa có kế hoạch"
    assert status_word("on_track", "en") == "on track"
    assert status_word("not_started", "vi") == "chưa bắt đầu"


def test_totals_are_counts_added_up_not_shares() -> None:
    rows = [
        {"communes": 124, "communes_with_club": 2, "clubs": 2, "members": 18, "coverage": "1.61"},
        {"communes": 126, "communes_with_club": 0, "clubs": 0, "members": 0, "coverage": "0.00"},
    ]
    total = totals(rows)
    assert total["coverage"] == Decimal("0.80")  # 2 of 250, not (1,61 + 0) / 2
    assert total["clubs"] == 2 and total["members"] == 18 and total["communes"] == 250
