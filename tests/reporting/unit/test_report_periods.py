"""Report periods and titles, and what a report lists in each format its figures
were stored in (`domain/report_layout.py`, `adapters/report_files.py`), no database."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ishc_platform.validation import FieldError
from ishc_reporting.adapters.report_files import render_csv
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.indicators import QUALITY_FLAGS
from ishc_reporting.domain.report_layout import PeriodKind, period_of, title
from ishc_reporting.models import IssuedReport


def test_periods() -> None:
    assert period_of(PeriodKind.QUARTER, 2026, 2) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period_of(PeriodKind.QUARTER, 2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_of(PeriodKind.HALF, 2026, 2) == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_of(PeriodKind.YEAR, 2025, None) == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(FieldError) as bad:
        period_of(PeriodKind.QUARTER, 2026, 5)
    assert bad.value.field == "number"
    assert title(PeriodKind.HALF, 2026, 1, "Tỉnh Vĩnh Long", "vi") == (
        "BÁO CÁO 6 THÁNG ĐẦU NĂM 2026 — Tỉnh Vĩnh Long"
    )
    assert (
        title(PeriodKind.QUARTER, 2026, 2, "Tỉnh Vĩnh Long", "en")
        == "Report Q2 2026 — Tỉnh Vĩnh Long"
    )


# -- what a report lists, in each format it was stored in ------------------------------


TERRITORY = {
    "boundary": "legacy",
    "province": "86",
    "name": "Tỉnh Vĩnh Long",
    "communes": 109,
    "communes_in_package": 102,
    "communes_note": "Kế hoạch tính trên 109 xã, phường, thị trấn như văn bản kế hoạch ghi.",
}
NEW_CLUBS = {
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
    "note": "P2 I.2 và II.3: Năm 2017 - 2018 nhân rộng thêm 17 câu lạc bộ",
}


def report(content: dict[str, Any]) -> IssuedReport:
    return IssuedReport(
        id="r1",
        scope="province",
        province="86",
        period_kind="half",
        period_start=date(2018, 1, 1),
        period_end=date(2018, 6, 30),
        boundary="legacy",
        issued_at=datetime(2018, 7, 2, tzinfo=UTC),
        issued_by="t",
        content=json.dumps(content, ensure_ascii=False),
    )


def csv_rows(content: dict[str, Any], lang: str = "vi") -> list[list[str]]:
    text = render_csv(report(content), lang).decode()
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_shares_are_the_quality_flags() -> None:
    assert set(layout.SHARES) == set(QUALITY_FLAGS)
    assert layout.SHARES["well_managed"][0] == "CLB được quản lý tốt (%)"
    assert layout.SHARES["full_activity"][0] == (
        "CLB thực hiện đủ 8 hoạt động và được quản lý tốt (%)"
    )


def test_a_report_lists_the_indicators_then_each_plan_with_its_targets() -> None:
    content = {
        "format": 2,
        "year": 2018,
        "number": 1,
        "as_of": "2018-06-30",
        "plan": {"id": "vinh-long-2016-2020", "title": "Kế hoạch Vĩnh Long", "default": False},
        "communes_note": TERRITORY["communes_note"],
        "indicators": {
            "coverage": "0.91",
            "clubs": 1,
            "members": 12,
            "poor_older_women": 12,
            "clubs_in_all_areas": 0,
            "shares": {"well_managed": "0.00", "full_activity": "0.00"},
        },
        "plans": [
            {
                "id": "vinh-long-2016-2020",
                "title": "Kế hoạch Vĩnh Long",
                "source": "Quyết định số 546/QĐ-UBND",
                "period_start": "2016-01-01",
                "period_end": "2020-12-31",
                "territory": TERRITORY,
                "targets": [NEW_CLUBS],
            }
        ],
    }
    rows = csv_rows(content)
    labels = {r[0]: r[1:] for r in rows if r}
    assert labels["Kế hoạch"][0] == "Kế hoạch Vĩnh Long"  # the plan judging the clubs
    assert labels["Số hội viên"] == ["12"]  # a value, no target beside it
    assert labels["Phụ nữ cao tuổi nghèo, cận nghèo, khó khăn"] == ["12"]
    assert labels["CLB thực hiện đủ 8 hoạt động và được quản lý tốt (%)"] == ["0.00"]
    assert "Số tỉnh, thành phố" not in labels  # a province report holds no such figure
    assert ["Địa bàn đo chỉ tiêu", "Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn"] in rows
    assert ["Ghi chú", TERRITORY["communes_note"]] in rows
    assert [
        "CLB thành lập mới",
        "01/2017 – 12/2018",
        "12",
        "30/06/2018",
        "+17",
        "12",
        "5",
        "đúng tiến độ",
        NEW_CLUBS["note"],
    ] in rows
    english = csv_rows(content, "en")
    assert ["Measured over", "Tỉnh Vĩnh Long (former, before 1 July 2025), 109 communes"] in english
    new_clubs = next(r for r in english if r and r[0] == "New clubs")
    assert new_clubs[1:8] == ["2017-01 – 2018-12", "12", "2018-06-30", "+17", "12", "5", "on track"]

    without = csv_rows(
        {**content, "plans": [], "plan": {"id": "default", "title": "Chuẩn", "default": True}}
    )
    assert ["Các kế hoạch đang hiệu lực"] in without
    assert ["Không có kế hoạch nào đang hiệu lực vào ngày này."] in without
    assert [
        "Kế hoạch",
        "Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định — Chuẩn",
    ] in without


def test_a_report_issued_before_plans_had_windows_reads_as_it_did() -> None:
    """Format 1: the governing plan's `targets` as a dict, (label, value, target, gap)."""
    content = {
        "year": 2018,
        "number": 1,
        "as_of": "2018-06-30",
        "plan": {"id": "vl", "title": "KH"},
        "indicators": {
            "coverage": "0.80",
            "members": 50,
            "activity_areas_covered": 2,
            "shares": {"board_ok": "0.00"},
        },
        "targets": {
            "coverage": {"value": "0.80", "target": "50", "by": "2020-12-31", "gap": "49.20"},
            "board_ok": {"value": "0.00", "target": "100", "by": "2020-12-31", "gap": "100.00"},
        },
    }
    assert layout.figures_format(content) == 1
    rows = csv_rows(content)
    assert ["Chỉ tiêu", "Kết quả", "Mục tiêu", "Còn thiếu"] in rows
    labels = {r[0]: r[1:] for r in rows if r}
    assert labels["Tỷ lệ xã, phường có CLB (%)"] == ["0.80", "50", "49.20"]
    assert labels["Số lĩnh vực hoạt động (trên 8)"] == ["2", "", ""]
    assert labels["CLB có đủ Ban chủ nhiệm 5 người (%)"] == ["0.00", "100", "100.00"]
    # Nothing it did not hold: no plan section, no row of a later indicator or share.
    assert "Các kế hoạch đang hiệu lực" not in labels and "Kế hoạch" not in labels
    assert "CLB được quản lý tốt (%)" not in labels
    assert "Phụ nữ cao tuổi nghèo, cận nghèo, khó khăn" not in labels
