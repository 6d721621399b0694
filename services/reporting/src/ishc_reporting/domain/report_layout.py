"""What a report covers and how it reads (pure: periods, labels, rows).

Reports are due quarterly, semi-annually and annually (DOMAIN.md, "Who uses
it"). People read them in Vietnamese; English is on request. Province and
commune names stay as officially written in both.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from ishc_platform.validation import FieldError
from ishc_reporting.domain.indicators import QUALITY_FLAGS


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


def period_of(kind: PeriodKind, year: int, number: int | None) -> tuple[date, date]:
    """First and last day of Q1–Q4, H1–H2 or the year; a FieldError names the bad field."""
    if not 2000 <= year <= 2100:
        raise FieldError("year", "year must be between 2000 and 2100")
    if kind is PeriodKind.YEAR:
        if number not in (None, 1):
            raise FieldError("number", "a yearly report takes no number")
        return date(year, 1, 1), date(year, 12, 31)
    months = 3 if kind is PeriodKind.QUARTER else 6
    count = 12 // months
    if number is None or not 1 <= number <= count:
        raise FieldError("number", f"a {kind.value} is numbered 1 to {count}")
    start = date(year, (number - 1) * months + 1, 1)
    following = date(year + 1, 1, 1) if number == count else date(year, number * months + 1, 1)
    return start, following - timedelta(days=1)


_KIND_NAMES = {
    "vi": {PeriodKind.QUARTER: "QUÝ {n} NĂM {y}", PeriodKind.HALF: "6 THÁNG {half} NĂM {y}",
           PeriodKind.YEAR: "NĂM {y}"},
    "en": {PeriodKind.QUARTER: "Q{n} {y}", PeriodKind.HALF: "H{n} {y}", PeriodKind.YEAR: "{y}"},
}  # fmt: skip

TEXT = {
    "vi": {
        "report": "BÁO CÁO",
        "nation": "Toàn quốc",
        "period": "Kỳ báo cáo",
        "as_of": "Số liệu tính đến ngày",
        "boundary": "Địa giới",
        "current": "hiện hành (34 tỉnh, thành phố)",
        "legacy": "trước 1/7/2025 (63 tỉnh, thành phố)",
        "issued": "Ngày phát hành",
        "indicator": "Chỉ tiêu",
        "value": "Kết quả",
        "target": "Mục tiêu",
        "gap": "Còn thiếu",
        "communes": "Kết quả theo xã, phường",
        "code": "Mã",
        "name": "Tên đơn vị",
        "clubs": "Số CLB",
        "members": "Số hội viên",
        "has_club": "Có CLB",
        "yes": "Có",
        "no": "Không",
        "first_half": "ĐẦU",
        "second_half": "CUỐI",
    },
    "en": {
        "report": "Report",
        "nation": "Nation",
        "period": "Period",
        "as_of": "Figures as of",
        "boundary": "Map",
        "current": "current (34 provinces)",
        "legacy": "before 1 July 2025 (63 provinces)",
        "issued": "Issued",
        "indicator": "Indicator",
        "value": "Value",
        "target": "Target",
        "gap": "Gap",
        "communes": "By commune",
        "code": "Code",
        "name": "Name",
        "clubs": "Clubs",
        "members": "Members",
        "has_club": "Has a club",
        "yes": "Yes",
        "no": "No",
        "first_half": "",
        "second_half": "",
    },
}

INDICATORS: list[tuple[str, str, str]] = [
    ("coverage", "Tỷ lệ xã, phường có CLB (%)", "Communes with a club (%)"),
    ("communes_with_club", "Số xã, phường có CLB", "Communes with a club"),
    ("communes", "Tổng số xã, phường", "Communes"),
    ("clubs", "Số CLB đang hoạt động", "Active clubs"),
    ("new_clubs", "Số CLB thành lập mới trong kỳ", "New clubs in the period"),
    ("members", "Số hội viên", "Members"),
    ("new_members", "Hội viên mới trong kỳ", "New members in the period"),
    ("older_members", "Hội viên cao tuổi", "Older members"),
    ("women", "Hội viên nữ", "Women"),
    ("young", "Hội viên trẻ", "Younger members"),
    ("poor", "Hội viên nghèo, cận nghèo, khó khăn", "Poor, near-poor or disadvantaged"),
    ("volunteers", "Tình nguyện viên", "Volunteers"),
    ("hardship_cases_supported", "Lượt hỗ trợ trường hợp khó khăn", "Hardship cases supported"),
    ("activity_areas_covered", "Số lĩnh vực hoạt động (trên 8)", "Activity areas covered (of 8)"),
    ("borrowers", "Hội viên được vay vốn", "Members who borrow"),
    ("borrowers_share", "Tỷ lệ hội viên được vay vốn (%)", "Members who borrow (%)"),
    ("fund_balance_vnd", "Số dư quỹ bằng tiền (đồng)", "Fund balance in cash (VND)"),
    ("in_kind_vnd", "Giá trị hỗ trợ bằng hiện vật (đồng)", "Gifts in kind, value (VND)"),
    ("outstanding_principal_vnd", "Dư nợ gốc cho vay (đồng)", "Outstanding principal (VND)"),
    (
        "at_risk_principal_vnd",
        "Dư nợ gốc của khoản vay quá hạn trên 30 ngày (đồng)",
        "Principal of loans more than 30 days late (VND)",
    ),
    ("par30", "Tỷ lệ dư nợ có rủi ro PAR30 (%)", "Portfolio at risk, PAR30 (%)"),
    ("loans_outstanding", "Số khoản vay còn dư nợ", "Loans outstanding"),
    ("loans_at_risk", "Số khoản vay quá hạn trên 30 ngày", "Loans more than 30 days late"),
    (
        "interest_income_vnd",
        "Thu lãi cho vay trong kỳ (đồng)",
        "Interest income in the period (VND)",
    ),
    ("fee_income_vnd", "Thu hội phí trong kỳ (đồng)", "Fee income in the period (VND)"),
    (
        "members_checked_twice",
        "Hội viên được khám sức khỏe ít nhất 2 lần trong 12 tháng",
        "Members checked at least twice in 12 months",
    ),
    (
        "health_checks_ok",
        "Tỷ lệ hội viên được khám sức khỏe ít nhất 2 lần/năm (%)",
        "Members checked at least twice a year (%)",
    ),
    ("exercise_sessions", "Số buổi tập dưỡng sinh trong kỳ", "Exercise sessions in the period"),
    ("home_care_visits", "Lượt chăm sóc tại nhà trong kỳ", "Home-care visits in the period"),
    (
        "people_cared_for",
        "Số người được chăm sóc tại nhà trong kỳ",
        "People cared for at home in the period",
    ),
    (
        "members_insured",
        "Hội viên có thẻ bảo hiểm y tế còn hiệu lực",
        "Members with valid health insurance",
    ),
    (
        "insurance_coverage",
        "Tỷ lệ hội viên có bảo hiểm y tế (%)",
        "Members with health insurance (%)",
    ),
]
# A row whose plan target is named otherwise: the borrowers' target is their share
# (the count shows none); `health_checks_ok` is itself the share its target measures.
TARGET_OF = {"borrowers_share": "borrowers", "borrowers": ""}
SHARES: dict[str, tuple[str, str]] = {
    "size_ok": ("CLB đủ quy mô (%)", "Clubs of the right size (%)"),
    "women_ok": ("CLB đạt tỷ lệ nữ (%)", "Clubs with the share of women (%)"),
    "older_ok": ("CLB đạt tỷ lệ người cao tuổi (%)", "Clubs with the share of older people (%)"),
    "young_ok": ("CLB đạt tỷ lệ người trẻ (%)", "Clubs with the share of younger people (%)"),
    "poor_ok": ("CLB đạt tỷ lệ người khó khăn (%)", "Clubs with the share of disadvantaged (%)"),
    "board_ok": ("CLB có đủ Ban chủ nhiệm 5 người (%)", "Clubs with a full board of 5 (%)"),
    "volunteers_ok": ("CLB có ít nhất 5 tình nguyện viên (%)", "Clubs with 5+ volunteers (%)"),
    "funds_ok": (
        "CLB có đủ quỹ tăng thu nhập và quỹ hoạt động (%)",
        "Clubs with both an income fund and an activity fund (%)",
    ),
    "meetings_ok": ("CLB sinh hoạt đủ các tháng (%)", "Clubs that met every month (%)"),
    "exercise_ok": (
        "CLB tập dưỡng sinh bình quân ít nhất 3 buổi/tuần (%)",
        "Clubs exercising at least 3 times a week on average (%)",
    ),
}
assert set(SHARES) == set(QUALITY_FLAGS)


def period_name(kind: PeriodKind, year: int, number: int | None, lang: str) -> str:
    half = TEXT[lang]["first_half"] if number == 1 else TEXT[lang]["second_half"]
    return _KIND_NAMES[lang][kind].format(n=number, y=year, half=half).replace("  ", " ")


def title(kind: PeriodKind, year: int, number: int | None, place: str, lang: str) -> str:
    return f"{TEXT[lang]['report']} {period_name(kind, year, number, lang)} — {place}"


def indicator_rows(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    """(label, value, target, gap) for each indicator, then each quality share."""
    column = 1 if lang == "vi" else 2
    indicators, targets = figures["indicators"], figures.get("targets") or {}
    rows = []
    for entry in INDICATORS:
        key = entry[0]
        target = targets.get(TARGET_OF.get(key, key)) or {}
        rows.append([entry[column], indicators.get(key), target.get("target"), target.get("gap")])
    for key, labels in SHARES.items():
        target = targets.get(key) or {}
        value = (indicators.get("shares") or {}).get(key)
        rows.append([labels[column - 1], value, target.get("target"), target.get("gap")])
    return rows


def commune_rows(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    words = TEXT[lang]
    return [
        [
            c["code"],
            c["name"],
            c["clubs"],
            c["members"],
            words["yes"] if c["has_club"] else words["no"],
        ]
        for c in figures.get("communes", [])
    ]
