"""What a report covers and how it reads (pure: periods, labels, rows).

Reports are due quarterly, semi-annually and annually (DOMAIN.md, "Who uses
it"). People read them in Vietnamese; English is on request. Province and
commune names stay as officially written in both.

A report's figures are stored as issued, in one of three formats (`FORMAT`):

- format 1, before plans were measured on their own windows: the governing
  plan's `targets` as a dict beside the indicators, read as
  (label, value, target, gap) rows (`INDICATORS_V1`, `SHARES_V1`, frozen);
- format 2: the indicators alone (label, value), then a section per plan in
  force (`plans`), each target with its window, value, expected value and
  status, and the plan's territory;
- format 3: as format 2, and a national report also holds each province's main
  indicators (`by_province`, `PROVINCE_COLUMNS`).

The words a target is read with (its label, its window "01/2017 – 12/2018",
its target "60 – 70%", its status) are here too, so the dashboard and the
reports say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from ishc_platform.validation import FieldError
from ishc_reporting.domain.indicators import QUALITY_FLAGS
from ishc_reporting.domain.plans import SHARE_INDICATORS

FORMAT = 3  # the format of the figures a report stores when issued now


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
        "plan": "Kế hoạch",
        "plans": "Các kế hoạch đang hiệu lực",
        "no_plans": "Không có kế hoạch nào đang hiệu lực vào ngày này.",
        "default_plan": "Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định",
        "source": "Văn bản",
        "plan_period": "Thời gian thực hiện",
        "territory": "Địa bàn đo chỉ tiêu",
        "note": "Ghi chú",
        "window": "Thời hạn",
        "measured_on": "Ngày đo",
        "expected": "Cần đạt theo tiến độ",
        "status": "Tình trạng",
        "stated": "Căn cứ",
        "so_far": "đến nay",
        "measured": "đo ngày",
        "former": "(cũ)",
        "units_legacy": "xã, phường, thị trấn",
        "units_current": "xã, phường",
        "nation_legacy": "Toàn quốc (63 tỉnh, thành phố, địa giới trước 1/7/2025)",
        "nation_current": "Toàn quốc (34 tỉnh, thành phố)",
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
        "plan": "Plan",
        "plans": "Plans in force",
        "no_plans": "No plan is in force on this date.",
        "default_plan": "No plan in force sets the composition of clubs: the default applies",
        "source": "Issued as",
        "plan_period": "Period",
        "territory": "Measured over",
        "note": "Note",
        "window": "Window",
        "measured_on": "Measured on",
        "expected": "Expected by then",
        "status": "Status",
        "stated": "As the plan states it",
        "so_far": "so far",
        "measured": "on",
        "former": "(former, before 1 July 2025)",
        "units_legacy": "communes",
        "units_current": "communes",
        "nation_legacy": "Nation (63 provinces, map before 1 July 2025)",
        "nation_current": "Nation (34 provinces)",
    },
}

# -- the figures as stored before plans were measured on their own windows (format 1) --
# Frozen: a report issued then renders from these, row for row, as it did then.

INDICATORS_V1: list[tuple[str, str, str]] = [
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
TARGET_OF_V1 = {"borrowers_share": "borrowers", "borrowers": ""}
SHARES_V1: dict[str, tuple[str, str]] = {
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


# The rows of format 1 that come before the finance figures (format 2 rewrites them).
_BEFORE_FINANCE = frozenset(
    {
        "coverage",
        "communes_with_club",
        "communes",
        "clubs",
        "new_clubs",
        "members",
        "new_members",
        "older_members",
        "women",
        "young",
        "poor",
        "volunteers",
        "hardship_cases_supported",
        "activity_areas_covered",
    }
)


# -- the figures as stored now (format 2) ---------------------------------------------

INDICATORS: list[tuple[str, str, str]] = [
    ("coverage", "Tỷ lệ xã, phường có CLB (%)", "Communes with a club (%)"),
    ("communes_with_club", "Số xã, phường có CLB", "Communes with a club"),
    ("communes", "Tổng số xã, phường", "Communes"),
    ("provinces", "Số tỉnh, thành phố", "Provinces"),
    ("provinces_with_clubs", "Số tỉnh, thành phố có CLB", "Provinces with a club"),
    ("clubs", "Số CLB đang hoạt động", "Active clubs"),
    ("new_clubs", "Số CLB thành lập mới trong kỳ", "New clubs in the period"),
    ("members", "Số hội viên", "Members"),
    ("new_members", "Hội viên mới trong kỳ", "New members in the period"),
    (
        "new_older_members",
        "Người cao tuổi mới tham gia trong kỳ",
        "Older people who joined in the period",
    ),
    (
        "new_older_women",
        "Phụ nữ cao tuổi mới tham gia trong kỳ",
        "Older women who joined in the period",
    ),
    (
        "new_members_older_share",
        "Tỷ lệ người cao tuổi trong số hội viên mới (%)",
        "Older people among the new members (%)",
    ),
    (
        "new_older_women_share",
        "Tỷ lệ phụ nữ trong số người cao tuổi mới tham gia (%)",
        "Women among the older people who joined (%)",
    ),
    ("older_members", "Hội viên cao tuổi", "Older members"),
    ("women", "Hội viên nữ", "Women"),
    ("young", "Hội viên trẻ", "Younger members"),
    ("poor", "Hội viên nghèo, cận nghèo, khó khăn", "Poor, near-poor or disadvantaged"),
    (
        "poor_older_women",
        "Phụ nữ cao tuổi nghèo, cận nghèo, khó khăn",
        "Poor, near-poor or disadvantaged older women",
    ),
    ("ethnic_minority_members", "Hội viên người dân tộc thiểu số", "Ethnic minority members"),
    ("volunteers", "Tình nguyện viên", "Volunteers"),
    ("meetings", "Số buổi sinh hoạt trong kỳ", "Meetings in the period"),
    (
        "meetings_with_hardship_case",
        "Buổi sinh hoạt có chọn trường hợp khó khăn để giúp",
        "Meetings that chose a hardship case to help",
    ),
    (
        "meetings_with_hardship_case_share",
        "Buổi sinh hoạt có chọn trường hợp khó khăn để giúp (%)",
        "Meetings that chose a hardship case to help (%)",
    ),
    ("hardship_cases_supported", "Lượt hỗ trợ trường hợp khó khăn", "Hardship cases supported"),
    (
        "clubs_in_all_areas",
        "Số CLB hoạt động đủ 8 lĩnh vực trong 12 tháng",
        "Clubs active in all eight areas in 12 months",
    ),
    *(entry for entry in INDICATORS_V1 if entry[0] not in _BEFORE_FINANCE),
]
SHARES: dict[str, tuple[str, str]] = {
    **SHARES_V1,
    "well_managed": ("CLB được quản lý tốt (%)", "Well-managed clubs (%)"),
    "full_activity": (
        "CLB thực hiện đủ 8 hoạt động và được quản lý tốt (%)",
        "Clubs doing all eight activities and well managed (%)",
    ),
}
assert set(SHARES) == set(QUALITY_FLAGS)

# A plan's target, by its indicator (`domain/plans.TargetIndicator`, and the
# counts a plan may come to name).
TARGET_LABELS: dict[str, tuple[str, str]] = {
    "coverage": ("Tỷ lệ xã, phường, thị trấn có CLB (%)", "Communes with a club (%)"),
    "communes_with_club": ("Số xã, phường, thị trấn có CLB", "Communes with a club"),
    "provinces_with_clubs": ("Tỉnh, thành phố có CLB (%)", "Provinces with a club (%)"),
    "clubs": ("Số CLB đang hoạt động", "Active clubs"),
    "new_clubs": ("CLB thành lập mới", "New clubs"),
    "clubs_retained": (
        "CLB giai đoạn trước duy trì hoạt động (%)",
        "Clubs of the previous phase still active (%)",
    ),
    "members": ("Số hội viên", "Members"),
    "new_members": ("Hội viên mới", "New members"),
    "new_older_members": ("Người cao tuổi mới tham gia", "Older people who joined"),
    "new_members_older_share": (
        "Người cao tuổi trong số hội viên mới (%)",
        "Older people among the new members (%)",
    ),
    "new_older_women_share": (
        "Phụ nữ trong số người cao tuổi mới tham gia (%)",
        "Women among the older people who joined (%)",
    ),
    "poor_older_women": (
        "Phụ nữ cao tuổi nghèo, cận nghèo, khó khăn",
        "Poor, near-poor or disadvantaged older women",
    ),
    "ethnic_minority_members": ("Hội viên người dân tộc thiểu số", "Ethnic minority members"),
    "meetings_with_hardship_case_share": (
        "Buổi sinh hoạt có chọn trường hợp khó khăn để giúp (%)",
        "Meetings that chose a hardship case to help (%)",
    ),
    "borrowers": ("Hội viên được vay vốn (%)", "Members who borrow (%)"),
    "health_checks_ok": (
        "Hội viên được khám sức khỏe ít nhất 2 lần/năm (%)",
        "Members checked at least twice a year (%)",
    ),
    **SHARES,
}
# Counts from the start of a target's window, read as "+17 CLB mới".
WINDOW_COUNTS: dict[str, tuple[str, str]] = {
    "new_clubs": ("CLB mới", "new clubs"),
    "new_members": ("hội viên mới", "new members"),
    "new_older_members": ("người cao tuổi mới tham gia", "older people joining"),
}
SHARE_TARGETS = frozenset(str(i) for i in SHARE_INDICATORS)
CATEGORIES: dict[str, tuple[str, str]] = {
    "lowland": ("xã, phường vùng đồng bằng", "lowland communes"),
    "mountain_border_island": (
        "xã miền núi, biên giới, hải đảo",
        "mountain, border and island communes",
    ),
}
STATUSES: dict[str, tuple[str, str]] = {
    "not_started": ("chưa bắt đầu", "not started"),
    "reached": ("đạt", "reached"),
    "on_track": ("đúng tiến độ", "on track"),
    "behind": ("chậm tiến độ", "behind"),
    "running": ("đang thực hiện", "running"),
    "met": ("đã đạt", "met"),
    "missed": ("không đạt", "missed"),
    "not_measured": ("chưa đo được", "not measured"),
}
# Statuses of a target still running on the day asked for (its value is "so far").
RUNNING = frozenset({"reached", "on_track", "behind", "running"})


def period_name(kind: PeriodKind, year: int, number: int | None, lang: str) -> str:
    half = TEXT[lang]["first_half"] if number == 1 else TEXT[lang]["second_half"]
    return _KIND_NAMES[lang][kind].format(n=number, y=year, half=half).replace("  ", " ")


def title(kind: PeriodKind, year: int, number: int | None, place: str, lang: str) -> str:
    return f"{TEXT[lang]['report']} {period_name(kind, year, number, lang)} — {place}"


def figures_format(figures: Mapping[str, Any]) -> int:
    """The format a report's stored figures were issued in (see the module)."""
    stated = figures.get("format")
    if isinstance(stated, int):
        return stated
    return 2 if "plans" in figures else 1


def _column(lang: str) -> int:
    return 0 if lang == "vi" else 1


def indicator_rows(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    """Format 2: (label, value) for each indicator the figures hold, then each
    quality share. Format 1: (label, value, target, gap), as issued then."""
    if figures_format(figures) < 2:
        return _indicator_rows_v1(figures, lang)
    column = _column(lang)
    indicators = figures["indicators"]
    shares = indicators.get("shares") or {}
    rows: list[list[Any]] = [
        [entry[column + 1], indicators.get(entry[0])]
        for entry in INDICATORS
        if entry[0] in indicators
    ]
    rows += [[labels[column], shares.get(key)] for key, labels in SHARES.items()]
    return rows


def indicator_header(figures: dict[str, Any], lang: str) -> list[Any]:
    words = TEXT[lang]
    if figures_format(figures) < 2:
        return [words["indicator"], words["value"], words["target"], words["gap"]]
    return [words["indicator"], words["value"]]


def _indicator_rows_v1(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    """(label, value, target, gap) for each indicator, then each quality share."""
    column = 1 if lang == "vi" else 2
    indicators, targets = figures["indicators"], figures.get("targets") or {}
    rows = []
    for entry in INDICATORS_V1:
        key = entry[0]
        target = targets.get(TARGET_OF_V1.get(key, key)) or {}
        rows.append([entry[column], indicators.get(key), target.get("target"), target.get("gap")])
    for key, labels in SHARES_V1.items():
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


# -- how a plan and its targets read ------------------------------------------------


def number_text(value: Any, lang: str) -> str:
    """Vietnamese writes 1.234,5; English 1,234.5; nothing is a dash. The digits
    are the service's own (percentages already truncated to two decimals); a
    text that is no number ("< 5") stays as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,}" if amount == amount.to_integral() else f"{amount:,.2f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def day_text(value: Any, lang: str) -> str:
    """A calendar date as each language writes it: 23/11/2026 or 2026-11-23."""
    parsed = _date(value)
    if parsed is None:
        return "—"
    return parsed.strftime("%d/%m/%Y") if lang == "vi" else parsed.isoformat()


def window_text(start: Any, end: Any, lang: str) -> str:
    """A window as people write it: whole months as "01/2017 – 12/2018", else
    the days ("04/11/2020 – 31/12/2025"); English "2017-01 – 2018-12"."""
    first, last = _date(start), _date(end)
    if first is None or last is None:
        return f"{day_text(first, lang)} – {day_text(last, lang)}"
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        pattern = "%m/%Y" if lang == "vi" else "%Y-%m"
        return f"{first.strftime(pattern)} – {last.strftime(pattern)}"
    return f"{day_text(first, lang)} – {day_text(last, lang)}"


def _is_number(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        Decimal(str(value))
    except InvalidOperation:
        return False
    return True


def value_text(indicator: str, value: Any, lang: str) -> str:
    """A target's value (or expected value): shares with "%"."""
    text = number_text(value, lang)
    return f"{text}%" if indicator in SHARE_TARGETS and _is_number(value) else text


def target_text(indicator: str, target: Any, target_max: Any, lang: str) -> str:
    """What the plan asks: "+17" new clubs, "≥ 50%", a band "60 – 70%", "100%"."""
    unit = "%" if indicator in SHARE_TARGETS else ""
    low = number_text(target, lang)
    if target_max is not None and _is_number(target_max) and _is_number(target):
        if Decimal(str(target_max)) != Decimal(str(target)):
            return f"{low} – {number_text(target_max, lang)}{unit}"
        return f"{low}{unit}"
    if indicator in WINDOW_COUNTS:
        return f"+{low}"
    if unit and _is_number(target) and Decimal(str(target)) >= 100:
        return f"{low}{unit}"
    return f"≥ {low}{unit}"


def target_label(target: Mapping[str, Any], lang: str) -> str:
    """The indicator's label, and the kind of commune it is counted over, if any."""
    indicator = str(target.get("indicator"))
    labels = TARGET_LABELS.get(indicator)
    label = labels[_column(lang)] if labels else indicator
    category = target.get("commune_category")
    if category:
        kinds = CATEGORIES.get(str(category))
        label = f"{label} — {kinds[_column(lang)] if kinds else category}"
    return label


def status_text(status: Any, lang: str) -> str:
    words = STATUSES.get(str(status))
    return words[_column(lang)] if words else str(status or "—")


def reading(target: Mapping[str, Any], lang: str) -> str:
    """A target in one line, as people read it:
    "+17 CLB mới, 01/2017 – 12/2018: 12 đến nay"; once over,
    "+17 CLB mới, 01/2017 – 12/2018: 20 (đo ngày 31/12/2018)"."""
    words = TEXT[lang]
    indicator = str(target.get("indicator"))
    window = window_text(target.get("from"), target.get("by"), lang)
    if indicator in WINDOW_COUNTS and target.get("target_max") is None:
        unit = WINDOW_COUNTS[indicator][_column(lang)]
        head = f"+{number_text(target.get('target'), lang)} {unit}"
    else:
        head = target_text(indicator, target.get("target"), target.get("target_max"), lang)
    status = str(target.get("status"))
    value = target.get("value")
    if status == "not_started":
        tail = status_text(status, lang)
    elif value is None:
        tail = status_text("not_measured", lang) if status == "not_measured" else "—"
    elif status in RUNNING:
        tail = f"{value_text(indicator, value, lang)} {words['so_far']}"
    else:
        measured = day_text(target.get("measured_on"), lang)
        tail = f"{value_text(indicator, value, lang)} ({words['measured']} {measured})"
    return f"{head}, {window}: {tail}"


def territory_text(territory: Mapping[str, Any], lang: str) -> str:
    """Where a plan's targets are measured, with its one commune count:
    "Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn"."""
    words = TEXT[lang]
    legacy = territory.get("boundary") == "legacy"
    if territory.get("province") is None:
        place = words["nation_legacy" if legacy else "nation_current"]
    else:
        place = str(territory.get("name") or territory.get("province"))
        if legacy:
            place = f"{place} {words['former']}"
    units = words["units_legacy" if legacy else "units_current"]
    return f"{place}, {number_text(territory.get('communes'), lang)} {units}"


def governing_text(plan: Mapping[str, Any] | None, lang: str) -> str:
    """The plan whose bands judge a page's clubs; the default said as such."""
    if not plan:
        return "—"
    title_ = str(plan.get("title") or plan.get("id") or "")
    if plan.get("default"):
        return f"{TEXT[lang]['default_plan']} — {title_}"
    return title_


def plan_period_text(plan: Mapping[str, Any], lang: str) -> str:
    start, end = plan.get("period_start"), plan.get("period_end")
    if not start or not end:
        return "—"
    return f"{day_text(start, lang)} – {day_text(end, lang)}"


def target_header(lang: str) -> list[Any]:
    words = TEXT[lang]
    return [
        words["indicator"],
        words["window"],
        words["value"],
        words["measured_on"],
        words["target"],
        words["expected"],
        words["gap"],
        words["status"],
        words["stated"],
    ]


# The columns of `target_row` that hold figures (numbers in a workbook).
TARGET_FIGURES = (2, 5, 6)


def target_row(target: Mapping[str, Any], lang: str) -> list[Any]:
    """A target in a report: label, window, value, the day it was read, the
    target, the value expected by then, what is still to go, the status and
    where the plan states it."""
    indicator = str(target.get("indicator"))
    return [
        target_label(target, lang),
        window_text(target.get("from"), target.get("by"), lang),
        target.get("value"),
        day_text(target.get("measured_on"), lang) if target.get("measured_on") else None,
        target_text(indicator, target.get("target"), target.get("target_max"), lang),
        target.get("expected"),
        target.get("gap"),
        status_text(target.get("status"), lang),
        target.get("note"),
    ]


def heading_rows(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    """Format 2: the plan judging the clubs, and why coverage uses the plan's
    commune count, where it does."""
    if figures_format(figures) < 2:
        return []
    words = TEXT[lang]
    rows: list[list[Any]] = [[words["plan"], governing_text(figures.get("plan"), lang)]]
    if figures.get("communes_note"):
        rows.append([words["note"], figures["communes_note"]])
    return rows


def plan_sections(figures: dict[str, Any], lang: str) -> list[tuple[str, list[Any]]]:
    """Format 2: a section per plan in force, each row tagged "text", "header"
    or "target" (whose `TARGET_FIGURES` columns are figures)."""
    if figures_format(figures) < 2:
        return []
    words = TEXT[lang]
    plans = figures.get("plans") or []
    rows: list[tuple[str, list[Any]]] = [("text", []), ("title", [words["plans"]])]
    if not plans:
        rows.append(("text", [words["no_plans"]]))
    for plan in plans:
        territory = plan.get("territory") or {}
        rows += [("text", []), ("title", [words["plan"], plan.get("title")])]
        if plan.get("source"):
            rows.append(("text", [words["source"], plan["source"]]))
        rows.append(("text", [words["plan_period"], plan_period_text(plan, lang)]))
        if territory:
            rows.append(("text", [words["territory"], territory_text(territory, lang)]))
            if territory.get("communes_note"):
                rows.append(("text", [words["note"], territory["communes_note"]]))
        rows.append(("header", target_header(lang)))
        rows += [("target", target_row(t, lang)) for t in plan.get("targets") or []]
    return rows


# -- the report as an official document (Decree 30/2020/NĐ-CP) ----------------------
# The frame around the figures: issuing body and number (top left), the national
# motto and the place and date (top right), the title, the tables, the signature
# block. Both renderers (XLSX and PDF) draw this one description, so they agree.
# The frame is derived from the report's stored fields, so every report, in any
# format, is issued as a document; the rows inside are those of its format.

BODY_ABBREVIATION = {"nation": "TWH", "province": "HNCT"}  # "Số: …/BC-HNCT"

DOCUMENT_TEXT = {
    "vi": {
        "nation_body": "HỘI NGƯỜI CAO TUỔI VIỆT NAM",
        "province_body": "HỘI NGƯỜI CAO TUỔI {name}",
        "number": "Số: ……/BC-{abbr}",
        "motto": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "motto_2": "Độc lập - Tự do - Hạnh phúc",
        "nation_place": "Hà Nội",
        "subject": "Kết quả hoạt động Câu lạc bộ Liên thế hệ tự giúp nhau",
        "span": "(từ ngày {start} đến ngày {end})",
        "early": "Báo cáo lập trước khi hết kỳ: số liệu tính đến ngày {as_of}",
        "indicators": "CÁC CHỈ TIÊU",
        "by_province": "KẾT QUẢ THEO TỈNH, THÀNH PHỐ",
        "plans": "CÁC KẾ HOẠCH ĐANG HIỆU LỰC",
        "communes": "KẾT QUẢ THEO XÃ, PHƯỜNG",
        "province": "Tỉnh, thành phố",
        "total": "Toàn quốc",
        "unplaced": "CLB chưa xác định được tỉnh, thành phố",
        "recipients": "Nơi nhận:",
        "nation_recipients": "- Các tỉnh, thành Hội;|- Lưu: VT.",
        "province_recipients": (
            "- Trung ương Hội Người cao tuổi Việt Nam;|- Ủy ban nhân dân {name};|- Lưu: VT."
        ),
        "on_behalf": "TM. BAN CHẤP HÀNH",
        "signer": "CHỦ TỊCH",
        "sign_note": "(Ký, ghi rõ họ tên và đóng dấu)",
        "signer_name": "……………………………",
    },
    "en": {
        "nation_body": "VIETNAM ASSOCIATION OF THE ELDERLY",
        "province_body": "ASSOCIATION OF THE ELDERLY — {name}",
        "number": "No.: ……/BC-{abbr}",
        "motto": "SOCIALIST REPUBLIC OF VIETNAM",
        "motto_2": "Independence - Freedom - Happiness",
        "nation_place": "Hà Nội",
        "subject": "Intergenerational Self-Help Clubs: results",
        "span": "({start} – {end})",
        "early": "Issued before the period ended: figures as of {as_of}",
        "indicators": "INDICATORS",
        "by_province": "BY PROVINCE",
        "plans": "PLANS IN FORCE",
        "communes": "BY COMMUNE",
        "province": "Province",
        "total": "Nation",
        "unplaced": "Clubs not placed in a province",
        "recipients": "Recipients:",
        "nation_recipients": "- Provincial associations;|- Archive.",
        "province_recipients": (
            "- Vietnam Association of the Elderly;|- People's Committee, {name};|- Archive."
        ),
        "on_behalf": "ON BEHALF OF THE EXECUTIVE COMMITTEE",
        "signer": "CHAIR",
        "sign_note": "(Signature, full name and seal)",
        "signer_name": "……………………………",
    },
}

# The national report's per-province columns: (key, Vietnamese, English, kind);
# `well_managed` is read from the indicators' shares.
PROVINCE_COLUMNS: list[tuple[str, str, str, str]] = [
    ("communes", "Số xã, phường", "Communes", "int"),
    ("communes_with_club", "Xã, phường có CLB", "Communes with a club", "int"),
    ("coverage", "Tỷ lệ xã, phường có CLB (%)", "Communes with a club (%)", "dec"),
    ("clubs", "Số CLB", "Clubs", "int"),
    ("new_clubs", "CLB mới trong kỳ", "New clubs", "int"),
    ("members", "Số hội viên", "Members", "int"),
    ("new_members", "Hội viên mới trong kỳ", "New members", "int"),
    ("older_members", "Hội viên cao tuổi", "Older members", "int"),
    ("women", "Hội viên nữ", "Women", "int"),
    ("well_managed", "CLB được quản lý tốt (%)", "Well-managed clubs (%)", "dec"),
]

# How a cell reads: text, a count, a decimal (a share in percent, its label saying
# "(%)"), or a share that carries its "%" (a target's value).
CellKind = str  # "text" | "int" | "dec" | "pct"


@dataclass(frozen=True)
class DocTable:
    header: list[str]
    rows: list[list[Any]]
    kinds: list[list[CellKind]]  # a kind per cell
    widths: list[int]  # relative widths (characters)
    strong_rows: frozenset[int] = frozenset()  # totals


@dataclass(frozen=True)
class DocSection:
    title: str | None
    lines: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    table: DocTable | None = None


@dataclass(frozen=True)
class ReportDocument:
    issuer: list[str]
    number: str
    motto: list[str]
    place_date: str
    title: list[str]
    facts: list[tuple[str, str]]
    warning: str | None
    sections: list[DocSection]
    recipients_title: str
    recipients: list[str]
    signer: list[str]
    sign_note: str
    signer_name: str
    landscape: bool

    @property
    def columns(self) -> int:
        """The widest table's column count (at least 2: label and value)."""
        return max([2, *(len(s.table.header) for s in self.sections if s.table)])


@dataclass(frozen=True)
class ReportFrame:
    """What the frame is drawn from: the report's own stored fields."""

    scope: str
    province: str | None
    province_name: str | None  # official, on the report's map
    boundary: str
    kind: PeriodKind
    period_start: date
    period_end: date
    issued_on: date  # in Vietnam


def issued_early(issued_on: date, period_end: date) -> bool:
    """Issued on or before the period's last day: the period had not ended."""
    return issued_on <= period_end


def early_text(as_of: Any, lang: str) -> str:
    return DOCUMENT_TEXT[lang]["early"].format(as_of=day_text(as_of, lang))


def issuer_text(frame: ReportFrame, lang: str) -> str:
    words = DOCUMENT_TEXT[lang]
    if frame.scope == "nation":
        return words["nation_body"]
    name = frame.province_name or frame.province or ""
    return words["province_body"].format(name=name.upper() if lang == "vi" else name)


def place_of(frame: ReportFrame) -> str:
    """Where the document is issued: the province's name without "Tỉnh" or
    "Thành phố" ("Vĩnh Long", "Hà Nội"), but "Thành phố Hồ Chí Minh"."""
    if frame.scope == "nation" or not frame.province_name:
        return DOCUMENT_TEXT["vi"]["nation_place"]
    name = frame.province_name
    if name == "Thành phố Hồ Chí Minh":
        return name
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def place_date_text(place: str, day: date, lang: str) -> str:
    """Decree 30: "Vĩnh Long, ngày 05 tháng 01 năm 2027" (a 0 before days
    under 10 and months under 3); English "Vĩnh Long, 5 January 2027"."""
    if lang != "vi":
        return f"{place}, {day.day} {_MONTHS[day.month - 1]} {day.year}"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _kind_of(value: Any) -> CellKind:
    if isinstance(value, bool) or value is None:
        return "text"
    if isinstance(value, int):
        return "int"
    if _is_number(value):
        return "dec" if "." in str(value) else "int"
    return "text"


def cell_text(value: Any, kind: CellKind, lang: str) -> str:
    """A cell as printed (the PDF): numbers as each language writes them."""
    if value is None:
        return "—"  # not measured (a blank cell reads as forgotten on paper)
    if kind == "text":
        return str(value)
    text = number_text(value, lang)
    return f"{text}%" if kind == "pct" and _is_number(value) else text


def _indicator_table(figures: dict[str, Any], lang: str) -> DocTable:
    header = indicator_header(figures, lang)
    rows = indicator_rows(figures, lang)
    kinds = [["text", *(_kind_of(v) for v in row[1:])] for row in rows]
    return DocTable(header, rows, kinds, [48, *([14] * (len(header) - 1))])


def province_header(lang: str) -> list[str]:
    words = TEXT[lang]
    return [
        DOCUMENT_TEXT[lang]["province"],
        words["code"],
        *(c[1 if lang == "vi" else 2] for c in PROVINCE_COLUMNS),
    ]


def _province_figures(indicators: Mapping[str, Any]) -> list[Any]:
    shares = indicators.get("shares") or {}
    return [
        shares.get(key) if key == "well_managed" else indicators.get(key)
        for key, *_rest in PROVINCE_COLUMNS
    ]


def province_breakdown(indicators: Mapping[str, Any]) -> dict[str, Any]:
    """What a national report stores of one province: its main indicators."""
    kept = {key: indicators.get(key) for key, *_rest in PROVINCE_COLUMNS}
    kept["well_managed"] = (indicators.get("shares") or {}).get("well_managed")
    return kept


def province_rows(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    """Format 3, a national report: a row per province, then the nation's own
    figures (its coverage over every commune of the map, its clubs including
    any placed in no province)."""
    rows = [
        [p["name"], p["code"], *(p.get(key) for key, *_rest in PROVINCE_COLUMNS)]
        for p in figures.get("by_province") or []
    ]
    if rows:
        rows.append([DOCUMENT_TEXT[lang]["total"], "", *_province_figures(figures["indicators"])])
    return rows


def _province_table(figures: dict[str, Any], lang: str) -> DocTable | None:
    rows = province_rows(figures, lang)
    if not rows:
        return None
    kinds = [["text", "text", *(c[3] for c in PROVINCE_COLUMNS)] for _row in rows]
    widths = [26, 6, *([11] * len(PROVINCE_COLUMNS))]
    return DocTable(province_header(lang), rows, kinds, widths, frozenset({len(rows) - 1}))


def _target_kinds(target: Mapping[str, Any], row: list[Any]) -> list[CellKind]:
    share = str(target.get("indicator")) in SHARE_TARGETS
    return [
        ("pct" if share else _kind_of(v)) if i in TARGET_FIGURES and v is not None else "text"
        for i, v in enumerate(row)
    ]


def _plan_sections_doc(figures: dict[str, Any], lang: str) -> list[DocSection]:
    words = TEXT[lang]
    plans = figures.get("plans") or []
    empty = [("", words["no_plans"])] if not plans else []
    sections = [DocSection(DOCUMENT_TEXT[lang]["plans"], empty)]
    for plan in plans:
        territory = plan.get("territory") or {}
        lines = [(words["plan"], str(plan.get("title") or plan.get("id") or ""))]
        if plan.get("source"):
            lines.append((words["source"], str(plan["source"])))
        lines.append((words["plan_period"], plan_period_text(plan, lang)))
        if territory:
            lines.append((words["territory"], territory_text(territory, lang)))
            if territory.get("communes_note"):
                lines.append((words["note"], str(territory["communes_note"])))
        targets = plan.get("targets") or []
        rows = [target_row(t, lang) for t in targets]
        kinds = [_target_kinds(t, r) for t, r in zip(targets, rows, strict=True)]
        table = DocTable(target_header(lang), rows, kinds, [34, 16, 11, 11, 12, 11, 10, 13, 30])
        sections.append(DocSection(None, lines, table))
    return sections


def _commune_table(figures: dict[str, Any], lang: str) -> DocTable | None:
    rows = commune_rows(figures, lang)
    if not rows:
        return None
    words = TEXT[lang]
    header = [words["code"], words["name"], words["clubs"], words["members"], words["has_club"]]
    kinds = [["text", "text", "int", "int", "text"] for _row in rows]
    return DocTable(header, rows, kinds, [10, 40, 12, 14, 10])


def document(frame: ReportFrame, figures: dict[str, Any], lang: str) -> ReportDocument:
    """The report as a document, from its frame and its stored figures."""
    words, doc = TEXT[lang], DOCUMENT_TEXT[lang]
    place = words["nation"] if frame.scope == "nation" else (frame.province_name or "")
    year, number = figures.get("year", frame.period_start.year), figures.get("number")
    span = doc["span"].format(
        start=day_text(frame.period_start, lang), end=day_text(frame.period_end, lang)
    )
    facts = [
        (words["as_of"], day_text(figures.get("as_of"), lang)),
        (words["boundary"], words.get(frame.boundary, frame.boundary)),
        *((str(label), str(text)) for label, text in heading_rows(figures, lang)),
    ]
    numbered: list[DocSection] = [
        DocSection(doc["indicators"], [], _indicator_table(figures, lang))
    ]
    provinces = _province_table(figures, lang)
    if provinces is not None:
        unplaced = (figures["indicators"] or {}).get("unplaced")
        lines = [(doc["unplaced"], number_text(unplaced, lang))] if unplaced else []
        numbered.append(DocSection(doc["by_province"], lines, provinces))
    if figures_format(figures) >= 2:
        numbered += _plan_sections_doc(figures, lang)
    communes = _commune_table(figures, lang)
    if communes is not None:
        numbered.append(DocSection(doc["communes"], [], communes))
    sections, count = [], 0
    for section in numbered:  # "I. CÁC CHỈ TIÊU", "II. …"
        if section.title is not None:
            count += 1
            section = DocSection(f"{_ROMAN[count]}. {section.title}", section.lines, section.table)
        sections.append(section)
    # "Ủy ban nhân dân tỉnh Vĩnh Long": the unit's kind in lower case inside a phrase.
    name = (frame.province_name or "")[:1].lower() + (frame.province_name or "")[1:]
    recipients = doc["nation_recipients" if frame.scope == "nation" else "province_recipients"]
    warning = (
        early_text(figures.get("as_of"), lang)
        if issued_early(frame.issued_on, frame.period_end)
        else None
    )
    return ReportDocument(
        issuer=[issuer_text(frame, lang)],
        number=doc["number"].format(abbr=BODY_ABBREVIATION.get(frame.scope, "HNCT")),
        motto=[doc["motto"], doc["motto_2"]],
        place_date=place_date_text(place_of(frame), frame.issued_on, lang),
        title=[
            words["report"].upper(),
            doc["subject"],
            f"{period_name(frame.kind, year, number, lang)} — {place}",
            span,
        ],
        facts=facts,
        warning=warning,
        sections=sections,
        recipients_title=doc["recipients"],
        recipients=recipients.format(name=name).split("|"),
        signer=[doc["on_behalf"], doc["signer"]],
        sign_note=doc["sign_note"],
        signer_name=doc["signer_name"],
        landscape=max(len(s.table.header) for s in sections if s.table) > 5,
    )


_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def issue_key(
    scope: str,
    province: str | None,
    kind: str,
    start: date,
    boundary: str,
    as_of: date,
    interim: bool = False,
) -> str:
    """What makes two issues the same report: scope, province, period, map and
    the day the figures are taken at (the period's end once it is over; the
    issue day before that). A report issued before the period ended (`interim`,
    see `issued_early`) is not the final one, even on the period's last day."""
    day = f"interim:{as_of.isoformat()}" if interim else as_of.isoformat()
    return f"{scope}|{province or ''}|{kind}|{start.isoformat()}|{boundary}|{day}"
