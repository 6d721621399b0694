"""The dashboard: server-rendered HTML over the indicators, updated live.

Aggregates only, never a person's data: every page renders what the service's
indicator functions return, which are counts and shares. Open to read unless
`ISHC_DASHBOARD_PUBLIC=false`; then a page without a token sends the browser to
the sign-in form, which keeps the token in an HttpOnly session cookie (the
browser's EventSource for `/v1/live` cannot send a header). Vietnamese by
default, `?lang=en` for English; official unit names stay as written. The CSS
and JS are small files of this package, served from a fixed list (no CDN).

Each page says which plan judges its clubs (or that the stated default does,
no plan being in force), and lists the plans in force about it, each target
read as the plan wrote it ("+17 CLB mới, 01/2017 – 12/2018: 12 đến nay")
with the value expected by now and its status, measured over the plan's own
territory (a pre-2025 plan over its old province, on any map). The words are
`domain/report_layout.py`'s, so the reports read the same.

The national page answers "are we on track?": the nation's coverage, clubs
and members first, each beside the national plans' targets (window, value
expected by now, status); then a line per province with its status against its
own plans (on track, behind, no plan; `domain/plans.rollout_status`), its bar, and
a totals line of the nation's own figures. The key columns fit 1366 px; the
quality, finance and health columns open on demand. Every page of figures has
the date and map controls (kept by every link), states the one way figures are
written (dd/mm/yyyy, Vietnam's time, shares truncated to two decimals) in its
footer, and sorts its tables (static/sort.js). Only today's page on the current
map is live, and live.js takes the feed's figures only when they are of the
page's own day and map.

The public sees figures with small cells suppressed (`domain/small_cells.py`:
"< 5" for 1–4 people, shares of fewer than 5 people hidden); signed-in national
and province viewers see them exact. Every response of these routes, errors
and redirects included, carries `PAGE_HEADERS` (`DashboardRoute`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller, Role, bearer_token, verify_token
from ishc_platform.clock import VIETNAM, as_utc, today, vietnam_now
from ishc_platform.deps import SessionDep
from ishc_platform.errors import Problem, invalid, not_found, problem_response
from ishc_platform.validation import EARLIEST_DATE, LATEST_DATE, date_in_range
from ishc_reporting import queries
from ishc_reporting.adapters.live_feed import coverage_target, summary, totals
from ishc_reporting.api.live import SESSION_COOKIE, dashboard_viewer
from ishc_reporting.domain import placement
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.indicators import QUALITY_FLAGS
from ishc_reporting.domain.plans import national_plans, plans_in_force, progress, rollout_status
from ishc_reporting.domain.small_cells import suppress_small_cells
from ishc_reporting.queries.indicators import plans_progress_unchecked
from ishc_reporting.queries.trends import page_trends
from ishc_reporting.schemas import jsonable
from ishc_reporting.service import indicators, policy
from ishc_reporting.service import plans as plan_service
from ishc_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)
PACKAGE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=PACKAGE / "templates")
FIGURE_PAGES = {"index.html", "province.html", "commune.html", "club.html", "rollout.html"}
STATIC = {
    "dashboard.css": "text/css; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
    "sort.js": "text/javascript; charset=utf-8",
    "datepicker.js": "text/javascript; charset=utf-8",
    "filter.js": "text/javascript; charset=utf-8",
}
# Where the sign-in form may send the browser back to: a dashboard page, nowhere else.
SAFE_NEXT = re.compile(r"^/dashboard(/[\w.\-/]*)?(\?[\w.\-=&%+]*)?$")
# No inline script and nothing from elsewhere; inline style only for the bars' widths.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class DashboardRoute(APIRoute):
    """A dashboard route whose every response carries `PAGE_HEADERS`, however it
    ends: a page, a redirect, an asset, a 422 for a bad parameter (an error
    page naming it), a problem (a bad bearer header), or an unexpected error
    (logged, then an error page). Headers a route set itself are kept (an
    asset's Cache-Control)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except RequestValidationError as exc:
                fields = [_field(error.get("loc", ())) for error in exc.errors()]
                response = _invalid_page(request, fields)
            except Problem as problem:
                if problem.status == 422:
                    fields = [e.get("field", "") for e in problem.errors or []]
                    response = _invalid_page(request, fields)
                else:
                    response = problem_response(problem, request)
            except StarletteHTTPException as exc:  # a malformed form body, say
                detail = exc.detail if isinstance(exc.detail, str) else "bad request"
                headers = dict(exc.headers) if exc.headers else None
                refused = Problem(exc.status_code, detail, headers=headers)
                response = problem_response(refused, request)
            except Exception as exc:
                log.exception("dashboard.unhandled", route=self.path, error=type(exc).__name__)
                response = _failure_page(request)
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded


router = APIRouter(include_in_schema=False, route_class=DashboardRoute)

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "CLB Liên thế hệ tự giúp nhau",
        "nation": "Toàn quốc: 34 tỉnh, thành phố",
        "nation_legacy": "Toàn quốc: 63 tỉnh, thành phố (địa giới trước 1/7/2025)",
        "other_language": "English",
        "sign_in": "Đăng nhập",
        "sign_out": "Đăng xuất",
        "token_label": "Mã truy cập (token) do Hội Người cao tuổi cấp",
        "bad_token": "Mã truy cập không hợp lệ hoặc đã hết hạn.",
        "as_of": "Tính đến ngày",
        "pick_date": "Chọn ngày trên lịch",
        "boundary_label": "Địa giới",
        "current": "hiện hành",
        "legacy": "trước 1/7/2025",
        "updated": "Cập nhật lúc",
        "province": "Tỉnh, thành phố",
        "commune": "Xã, phường",
        "communes": "xã, phường",
        "club": "Câu lạc bộ",
        "coverage": "Độ phủ (%)",
        "target": "Mục tiêu",
        "gap": "Còn thiếu",
        "by": "Đến ngày",
        "value": "Hiện tại",
        "indicator": "Chỉ tiêu",
        "plan": "Kế hoạch",
        "clubs": "Số CLB",
        "new_clubs": "CLB mới",
        "members": "Hội viên",
        "new_members": "Hội viên mới",
        "new_older_members": "Người cao tuổi mới tham gia",
        "older_members": "Người cao tuổi",
        "women": "Nữ",
        "young": "Người trẻ",
        "poor": "Nghèo, cận nghèo, khó khăn",
        "volunteers": "Tình nguyện viên",
        "meetings": "Tháng có sinh hoạt",
        "quality": "Chất lượng",
        "share_of_clubs": "% số CLB đạt",
        "size_ok": "Quy mô",
        "women_ok": "Tỷ lệ nữ",
        "older_ok": "Tỷ lệ NCT",
        "young_ok": "Tỷ lệ trẻ",
        "poor_ok": "Tỷ lệ khó khăn",
        "board_ok": "Ban chủ nhiệm",
        "volunteers_ok": "≥ 5 TNV",
        "funds_ok": "Đủ 2 quỹ",
        "meetings_ok": "Sinh hoạt hằng tháng",
        "finance": "Quỹ và cho vay",
        "borrowers": "Hội viên được vay vốn",
        "borrowers_share": "Được vay vốn (%)",
        "fund_balance_vnd": "Số dư quỹ (đồng)",
        "in_kind_vnd": "Hiện vật (đồng)",
        "outstanding_principal_vnd": "Dư nợ gốc (đồng)",
        "par30": "PAR30 (%)",
        "loans_outstanding": "Khoản vay còn dư nợ",
        "interest_income_vnd": "Thu lãi trong kỳ (đồng)",
        "fee_income_vnd": "Thu hội phí trong kỳ (đồng)",
        "finance_note": (
            "Được vay vốn: % hội viên đang có dư nợ hoặc được vay trong 12 tháng; "
            "PAR30: % dư nợ gốc của các khoản vay quá hạn trên 30 ngày."
        ),
        "exercise_ok": "Dưỡng sinh ≥ 3 buổi/tuần",
        "health": "Sức khỏe và chăm sóc tại nhà",
        "members_checked_twice": "Hội viên khám sức khỏe ≥ 2 lần/12 tháng",
        "health_checks_ok": "Khám sức khỏe ≥ 2 lần/năm (%)",
        "exercise_sessions": "Buổi tập dưỡng sinh trong kỳ",
        "home_care_visits": "Lượt chăm sóc tại nhà trong kỳ",
        "people_cared_for": "Người được chăm sóc tại nhà",
        "members_insured": "Hội viên có BHYT còn hạn",
        "insurance_coverage": "Có BHYT (%)",
        "health_note": (
            "Khám sức khỏe: % hội viên được khám ít nhất 2 lần trong 12 tháng; "
            "Có BHYT: % hội viên có thẻ bảo hiểm y tế còn hạn; "
            "Dưỡng sinh: % CLB tập bình quân ít nhất 3 buổi mỗi tuần hoạt động."
        ),
        "has_club": "Có CLB",
        "yes": "Có",
        "no": "Không",
        "no_clubs": "Chưa có câu lạc bộ.",
        "founded_on": "Thành lập",
        "dissolved_on": "Giải thể",
        "not_active": "Câu lạc bộ không hoạt động vào ngày này.",
        "shares_note": "Các cột chất lượng: % số CLB đang hoạt động đạt tiêu chí.",
        "rollout": "Tiến độ triển khai theo tỉnh",
        "plans": "Kế hoạch",
        "last_data": "Dữ liệu gần nhất (giờ Việt Nam)",
        "reporting_rate": "Tỷ lệ báo cáo tháng trước (%)",
        "reporting_note": (
            "Tỷ lệ báo cáo: % CLB đang hoạt động có buổi sinh hoạt được ghi nhận trong tháng trước."
        ),
        "status": "Tình trạng",
        "live": "Đang hoạt động",
        "quiet": "Chưa có dữ liệu",
        "not_found": "Không tìm thấy",
        "forbidden": "Không có quyền xem",
        "your_provinces": "Tỉnh, thành phố được giao",
        "show": "Xem",
        "nation_link": "Toàn quốc",
        "progress": "Đạt so với mục tiêu",
        "offline": "mất kết nối, đang thử lại",
        "not_found_text": "Không có trang này, hoặc bạn không được xem.",
        "forbidden_text": "Mã truy cập này không dùng được cho bảng số liệu.",
        "back": "Về trang chính",
        "invalid": "Yêu cầu không hợp lệ",
        "invalid_text": "Kiểm tra lại: {fields}.",
        "failure": "Có lỗi xảy ra",
        "failure_text": "Trang này chưa hiển thị được; lỗi đã được ghi lại.",
        "small_cells": "Số dưới {n} người được ẩn để bảo vệ thông tin cá nhân.",
        "well_managed": "CLB được quản lý tốt (%)",
        "full_activity": "CLB thực hiện đủ 8 hoạt động và được quản lý tốt (%)",
        "activities": "Hoạt động và đối tượng ưu tiên",
        "meetings_held": "Buổi sinh hoạt trong kỳ",
        "meetings_with_hardship_case": "Buổi sinh hoạt có chọn trường hợp khó khăn để giúp",
        "meetings_with_hardship_case_share": (
            "Buổi sinh hoạt có chọn trường hợp khó khăn để giúp (%)"
        ),
        "clubs_in_all_areas": "CLB hoạt động đủ 8 lĩnh vực trong 12 tháng",
        "poor_older_women": "Phụ nữ cao tuổi nghèo, cận nghèo, khó khăn",
        "ethnic_minority_members": "Hội viên người dân tộc thiểu số",
        "new_older_women": "Phụ nữ cao tuổi mới tham gia",
        "new_members_older_share": "Người cao tuổi trong số hội viên mới (%)",
        "new_older_women_share": "Phụ nữ trong số người cao tuổi mới tham gia (%)",
        "plans_in_force": "Kế hoạch đang hiệu lực",
        "no_plans": "Không có kế hoạch nào đang hiệu lực vào ngày này.",
        "default_plan": "Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định",
        "plan_source": "Văn bản",
        "plan_period": "Thời gian thực hiện",
        "territory": "Địa bàn đo chỉ tiêu",
        "window": "Thời hạn",
        "expected": "Cần đạt đến nay",
        "target_of": "Mục tiêu độ phủ",
        "reading": "Theo kế hoạch",
        "result": "Kết quả",
        "communes_legacy": "xã, phường, thị trấn",
        "on_track": "đúng tiến độ",
        "behind": "chậm tiến độ",
        "no_plan": "chưa có kế hoạch",
        "nation_summary": "Toàn quốc so với kế hoạch",
        "nation_total": "Toàn quốc",
        "provinces_total": "Các tỉnh được giao",
        "communes_with_club": "xã, phường có CLB",
        "no_national_plan": "Không có đề án quốc gia nào đang hiệu lực vào ngày này.",
        "vietnam_time": "giờ Việt Nam",
        "not_live": (
            "Trang này không tự cập nhật: chỉ số liệu hôm nay theo địa giới hiện hành "
            "được cập nhật trực tiếp."
        ),
        "today": "Hôm nay",
        "coverage_target": "Mục tiêu độ phủ (%)",
        "expected_coverage": "Cần đạt đến nay (%)",
        "more_columns": "Hiện thêm các cột chất lượng, tài chính, sức khỏe",
        "status_note": (
            "Tình trạng: so với các chỉ tiêu về độ phủ, số CLB và hội viên của kế hoạch "
            "đang hiệu lực của tỉnh (chậm tiến độ nếu có chỉ tiêu chậm so với mức cần đạt đến nay)."
        ),
        "sort_by": "Sắp xếp theo",
        "filter_communes": "Lọc theo tên xã, phường",
        "only_with_club": "Chỉ xã, phường có CLB",
        "communes_shown": "Xã, phường",
        "conventions": (
            "Cách ghi số liệu: ngày dd/mm/yyyy; giờ Việt Nam (UTC+7); dấu phẩy thập phân; "
            "tỷ lệ (%) cắt bớt còn 2 chữ số thập phân, không làm tròn, như các kế hoạch ghi "
            "(21 trên 109 xã là 19,26%)."
        ),
        "rollout_map_note": "Tiến độ triển khai tính theo địa giới hiện hành (34 tỉnh, thành phố).",
        "plan_status": "So với kế hoạch",
    },
    "en": {
        "title": "Intergenerational Self-Help Clubs",
        "nation": "Nation: 34 provinces",
        "nation_legacy": "Nation: 63 provinces (map before 1 July 2025)",
        "other_language": "Tiếng Việt",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "token_label": "Access token issued by the Elderly Association",
        "bad_token": "The token is not valid or has expired.",
        "as_of": "As of",
        "pick_date": "Pick a day on the calendar",
        "boundary_label": "Map",
        "current": "current",
        "legacy": "before 1 July 2025",
        "updated": "Updated at",
        "province": "Province",
        "commune": "Commune",
        "communes": "communes",
        "club": "Club",
        "coverage": "Coverage (%)",
        "target": "Target",
        "gap": "Gap",
        "by": "By",
        "value": "Now",
        "indicator": "Indicator",
        "plan": "Plan",
        "clubs": "Clubs",
        "new_clubs": "New clubs",
        "members": "Members",
        "new_members": "New members",
        "new_older_members": "New older members",
        "older_members": "Older people",
        "women": "Women",
        "young": "Younger people",
        "poor": "Poor, near-poor, disadvantaged",
        "volunteers": "Volunteers",
        "meetings": "Months with a meeting",
        "quality": "Quality",
        "share_of_clubs": "% of clubs meeting it",
        "size_ok": "Size",
        "women_ok": "Women",
        "older_ok": "Older",
        "young_ok": "Younger",
        "poor_ok": "Disadvantaged",
        "board_ok": "Board",
        "volunteers_ok": "≥ 5 volunteers",
        "funds_ok": "Both funds",
        "meetings_ok": "Met monthly",
        "finance": "Funds and loans",
        "borrowers": "Members who borrow",
        "borrowers_share": "Borrowers (%)",
        "fund_balance_vnd": "Fund balance (VND)",
        "in_kind_vnd": "In kind (VND)",
        "outstanding_principal_vnd": "Outstanding principal (VND)",
        "par30": "PAR30 (%)",
        "loans_outstanding": "Loans outstanding",
        "interest_income_vnd": "Interest in the period (VND)",
        "fee_income_vnd": "Fees in the period (VND)",
        "finance_note": (
            "Borrowers: % of members with a loan outstanding or taken in the last 12 months; "
            "PAR30: % of outstanding principal in loans more than 30 days late."
        ),
        "exercise_ok": "Exercise ≥ 3 a week",
        "health": "Health and home care",
        "members_checked_twice": "Members checked twice in 12 months",
        "health_checks_ok": "Checked twice a year (%)",
        "exercise_sessions": "Exercise sessions in the period",
        "home_care_visits": "Home-care visits in the period",
        "people_cared_for": "People cared for at home",
        "members_insured": "Members with valid insurance",
        "insurance_coverage": "Insured (%)",
        "health_note": (
            "Checked: % of members with at least 2 health checks in the last 12 months; "
            "Insured: % of members with a valid health insurance card; "
            "Exercise: % of clubs averaging at least 3 sessions a week while active."
        ),
        "has_club": "Has a club",
        "yes": "Yes",
        "no": "No",
        "no_clubs": "No club yet.",
        "founded_on": "Founded",
        "dissolved_on": "Dissolved",
        "not_active": "The club was not active on that date.",
        "shares_note": "Quality columns: % of active clubs meeting the criterion.",
        "rollout": "Rollout by province",
        "plans": "Plans",
        "last_data": "Last data (Vietnam time)",
        "reporting_rate": "Reporting rate last month (%)",
        "reporting_note": (
            "Reporting rate: % of active clubs with a meeting recorded for last month."
        ),
        "status": "Status",
        "live": "Live",
        "quiet": "No data yet",
        "not_found": "Not found",
        "forbidden": "Not allowed",
        "your_provinces": "Your provinces",
        "show": "Show",
        "nation_link": "Nation",
        "progress": "Progress towards the target",
        "offline": "connection lost, retrying",
        "not_found_text": "There is no such page, or it is not yours to see.",
        "forbidden_text": "This token cannot be used for the dashboard.",
        "back": "Back to the main page",
        "invalid": "Invalid request",
        "invalid_text": "Please check: {fields}.",
        "failure": "Something went wrong",
        "failure_text": "This page could not be shown; the error has been logged.",
        "small_cells": "Counts under {n} people are hidden to protect personal data.",
        "well_managed": "Well-managed clubs (%)",
        "full_activity": "All eight activities and well managed (%)",
        "activities": "Activities and priority groups",
        "meetings_held": "Meetings in the period",
        "meetings_with_hardship_case": "Meetings that chose a hardship case to help",
        "meetings_with_hardship_case_share": "Meetings that chose a hardship case to help (%)",
        "clubs_in_all_areas": "Clubs active in all eight areas in 12 months",
        "poor_older_women": "Poor or disadvantaged older women",
        "ethnic_minority_members": "Ethnic minority members",
        "new_older_women": "Older women who joined",
        "new_members_older_share": "Older people among the new members (%)",
        "new_older_women_share": "Women among the older people who joined (%)",
        "plans_in_force": "Plans in force",
        "no_plans": "No plan is in force on this date.",
        "default_plan": "No plan in force sets the composition of clubs: the default applies",
        "plan_source": "Issued as",
        "plan_period": "Period",
        "territory": "Measured over",
        "window": "Window",
        "expected": "Expected by now",
        "target_of": "Coverage target",
        "reading": "As the plan reads",
        "result": "Value",
        "communes_legacy": "communes",
        "on_track": "on track",
        "behind": "behind",
        "no_plan": "no plan",
        "nation_summary": "The nation against its plans",
        "nation_total": "Nation",
        "provinces_total": "Your provinces",
        "communes_with_club": "communes with a club",
        "no_national_plan": "No national scheme is in force on this date.",
        "vietnam_time": "Vietnam time",
        "not_live": (
            "This page does not update itself: only today's figures on the current map update live."
        ),
        "today": "Today",
        "coverage_target": "Coverage target (%)",
        "expected_coverage": "Expected by now (%)",
        "more_columns": "Show the quality, finance and health columns",
        "status_note": (
            "Status: against the coverage, clubs and members targets of the province's plans "
            "in force (behind when a target is below the value expected by now)."
        ),
        "sort_by": "Sort by",
        "filter_communes": "Filter communes by name",
        "only_with_club": "Only communes with a club",
        "communes_shown": "Communes",
        "conventions": (
            "How figures are written: dates as dd/mm/yyyy in Vietnamese (yyyy-mm-dd in English); "
            "Vietnam time (UTC+7); percentages truncated to two decimals, never rounded, as "
            "the plans print them (21 of 109 communes is 19.26%)."
        ),
        "rollout_map_note": "Rollout is counted on the current map (34 provinces).",
        "plan_status": "Against its plan",
    },
}


def cut(value: Any) -> Any:
    """Two decimals at most, truncated as the plans print them (19.266…% reads
    19.26), never rounded; anything that is no such number stays as it is."""
    if isinstance(value, (Decimal, float, str)) and not isinstance(value, bool):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return value
        exponent = amount.as_tuple().exponent
        if amount.is_finite() and isinstance(exponent, int) and exponent < -2:
            return amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return value


def cut_figures(target: dict[str, Any]) -> dict[str, Any]:
    """A target with its figures cut (`cut`), for the layout's words."""
    return {**target, **{k: cut(target.get(k)) for k in ("value", "expected", "target")}}


def number(value: Any, lang: str) -> str:
    """Vietnamese writes 1.234,5; English 1,234.5; nothing is a dash. One
    convention, stated once on every page (its footer): two decimals at most,
    truncated (`cut`); the service's shares already are, and anything finer is
    cut here rather than rounded by the format."""
    return layout.number_text(cut(value), lang)


def clock_text(instant: Any) -> str:
    """An instant as Vietnam's wall clock reads it: 01/12/2026 08:30 (the label
    says "giờ Việt Nam"); a stored naive time is UTC."""
    if not instant:
        return "—"
    moment = instant if isinstance(instant, datetime) else datetime.fromisoformat(str(instant))
    return as_utc(moment).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def status_word(status: str | None, lang: str) -> str:
    """A province's rollout status in words: on track, behind, no plan, or a
    target's own status (not started, not measured)."""
    words = LABELS[lang]
    if status in ("on_track", "behind", "no_plan"):
        return words[status]
    return layout.status_text(status, lang)


def status_class(status: str | None) -> str:
    return "yes" if status in GOOD else "no" if status in BAD else "none"


def day(value: Any, lang: str) -> str:
    """A calendar date as each language writes it: 23/11/2026 or 2026-11-23."""
    return layout.day_text(value, lang)


# Statuses shown as good news, and as bad.
GOOD = frozenset({"reached", "on_track", "met"})
BAD = frozenset({"behind", "missed"})


def plan_line(plan: dict[str, Any] | None, lang: str) -> str:
    """The plan judging a page's clubs ("Kế hoạch: …"), or the stated default
    said as such ("Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định — …").
    """
    if not plan or plan.get("default"):
        return layout.governing_text(plan, lang)
    return f"{LABELS[lang]['plan']}: {layout.governing_text(plan, lang)}"


def plans_view(plans: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each plan in force as a page shows it: its heading, the territory its
    targets are measured over, and a row per target in words."""
    shown = []
    for plan in plans:
        territory = plan.get("territory") or {}
        rows = []
        for target in plan.get("targets") or []:
            indicator = str(target.get("indicator"))
            status = str(target.get("status") or "")
            rows.append(
                {
                    "indicator": indicator,
                    "label": layout.target_label(target, lang),
                    "reading": layout.reading(cut_figures(target), lang),
                    "window": layout.window_text(target.get("from"), target.get("by"), lang),
                    "value": layout.value_text(indicator, cut(target.get("value")), lang),
                    "measured_on": day(target.get("measured_on"), lang),
                    "target": layout.target_text(
                        indicator, target.get("target"), target.get("target_max"), lang
                    ),
                    "expected": layout.value_text(indicator, cut(target.get("expected")), lang),
                    "status": status,
                    "status_text": layout.status_text(status, lang),
                    "status_class": "yes" if status in GOOD else "no" if status in BAD else "",
                    "note": target.get("note") or "",
                }
            )
        shown.append(
            {
                "id": plan.get("id"),
                "title": plan.get("title"),
                "source": plan.get("source"),
                "period": layout.plan_period_text(plan, lang),
                "territory": layout.territory_text(territory, lang) if territory else None,
                "communes_note": territory.get("communes_note"),
                "targets": rows,
            }
        )
    return shown


def coverage_view(plans: list[dict[str, Any]], lang: str) -> dict[str, Any] | None:
    """The coverage target a province's coverage is set beside (its first plan
    in force that has one), the value that plan measures, and the bar."""
    found = coverage_target(plans)
    if found is None:
        return None
    plan, target = found
    return {
        "plan": plan.get("title"),
        "reading": layout.reading(cut_figures(target), lang),
        "bar": bar(target.get("value"), target.get("target")),
    }


templates.env.filters["num"] = number
templates.env.filters["day"] = day
templates.env.filters["clock"] = clock_text
templates.env.globals["status_word"] = status_word
templates.env.globals["status_class"] = status_class


# -- what every page takes -------------------------------------------------------


def page_lang(lang: Annotated[str | None, Query(max_length=8)] = None) -> str:
    """`?lang=en` for English; anything else is Vietnamese, so a typo is no error page."""
    return "en" if lang == "en" else "vi"


def page_date(as_of: Annotated[str | None, Query(max_length=10)] = None) -> date | None:
    """The date to count as of, 2026-06-30 (the date picker's) or 30/06/2026 (typed
    where a browser has no picker); empty (the field left blank) means today.
    Bounded as every date of the platform is (a year-1 date is a 422, not a 500)."""
    if not as_of:
        return None
    try:
        if re.fullmatch(r"\d{2}/\d{2}/\d{4}", as_of):  # typed as people write it, 30/06/2026
            return date_in_range(datetime.strptime(as_of, "%d/%m/%Y").date())
        return date_in_range(date.fromisoformat(as_of))
    except ValueError:
        raise invalid(
            "as_of",
            f"as_of is a date, dd/mm/yyyy or YYYY-MM-DD, from {EARLIEST_DATE:%d/%m/%Y}"
            f" to {LATEST_DATE:%d/%m/%Y}",
        ) from None


Lang = Annotated[str, Depends(page_lang)]
AsOf = Annotated[date | None, Depends(page_date)]


def _gate(request: Request) -> Caller | RedirectResponse | None:
    """The viewer (None: the public), or where a browser goes instead of a bare 401.

    A session cookie that no longer verifies (expired, or a secret rotated out)
    is dropped on the way: on a public dashboard the page then simply shows
    again; otherwise the browser lands on the sign-in form, which brings it back
    here. A bad bearer header is an API client's mistake and gets the problem.
    """
    try:
        return dashboard_viewer(request)
    except Problem as problem:
        if problem.status not in (401, 403) or bearer_token(request) is not None:
            raise
        from_cookie = SESSION_COOKIE in request.cookies
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if from_cookie and request.app.state.settings.dashboard_public:
            target = here
        else:
            lang = page_lang(request.query_params.get("lang"))
            target = f"/dashboard/sign-in?{urlencode({'lang': lang, 'next': here})}"
        response = RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)
        if from_cookie:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response


# A signed-in viewer reads through the use cases, which check the token; the
# public reads every province's aggregates unchecked (small cells hidden by `_shown`).


def _threshold(request: Request) -> int:
    """The small-cell threshold, read once per app (`ISHC_SMALL_CELL_THRESHOLD`)."""
    settings: ReportingSettings | None = getattr(request.app.state, "reporting_settings", None)
    if settings is None:
        settings = request.app.state.reporting_settings = ReportingSettings()
    return settings.small_cell_threshold


def _shown(request: Request, viewer: Caller | None, figures: dict[str, Any]) -> dict[str, Any]:
    """What this viewer may see of the figures: exact when signed in, else
    without small cells. Every page takes its figures through here."""
    data: dict[str, Any] = jsonable(figures)
    return data if viewer is not None else suppress_small_cells(data, _threshold(request))


def _linker(keep: dict[str, str]) -> Callable[..., str]:
    """`href(path)` in templates: a link that keeps the language, date and map."""

    def href(path: str, **changes: str) -> str:
        params = {k: v for k, v in {**keep, **changes}.items() if v}
        return f"{path}?{urlencode(params)}" if params else path

    return href


def _keep(lang: str, as_of: date | None = None, boundary: Boundary | None = None) -> dict[str, str]:
    keep = {"lang": lang}
    if as_of is not None:
        keep["as_of"] = as_of.isoformat()
    if boundary is not None and boundary is not Boundary.CURRENT:
        keep["boundary"] = boundary.value
    return keep


def _page(
    request: Request,
    template: str,
    viewer: Caller | None,
    heading: str,
    keep: dict[str, str],
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = keep["lang"]
    other = "en" if lang == "vi" else "vi"
    href = _linker(keep)
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "other_lang": other,
            "href": href,
            "switch_url": href(request.url.path, lang=other),
            "t": LABELS[lang],
            "viewer": viewer,
            "heading": heading,
            "flags": QUALITY_FLAGS,
            # The date and map controls of every page of figures, in a form that
            # reloads the same page (links keep both through `href`).
            "picked": {
                "action": request.url.path,
                "as_of": keep.get("as_of") or today().isoformat(),
                "boundary": keep.get("boundary", Boundary.CURRENT.value),
                "min": EARLIEST_DATE.isoformat(),
                "max": LATEST_DATE.isoformat(),
                "today_url": href(request.url.path, as_of=""),
            }
            if template in FIGURE_PAGES
            else None,
            # The public sees figures without small cells, and is told so.
            "small_cells": _threshold(request)
            if viewer is None and template in FIGURE_PAGES
            else None,
            **context,
        },
        status_code=status_code,
        headers=PAGE_HEADERS,
    )


def _error(
    request: Request, viewer: Caller | None, keep: dict[str, str], problem: Problem
) -> HTMLResponse:
    t = LABELS[keep["lang"]]
    if problem.status == 404:
        heading, text = t["not_found"], t["not_found_text"]
    else:
        heading, text = t["forbidden"], t["forbidden_text"]
    return _page(request, "error.html", viewer, heading, keep, problem.status, text=text)


def _field(loc: Any) -> str:
    # ("query", "as_of") -> "as_of"; ("body", "token") -> "token"
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header", "cookie")]
    return ".".join(parts)


def _viewer_quietly(request: Request) -> Caller | None:
    try:
        return dashboard_viewer(request)
    except Problem:
        return None


def _invalid_page(request: Request, fields: list[str]) -> HTMLResponse:
    """A 422 as a page that names the fields to correct."""
    lang = page_lang(request.query_params.get("lang"))
    t = LABELS[lang]
    names = ", ".join(sorted({f for f in fields if f})) or "?"
    text = t["invalid_text"].format(fields=names)
    viewer = _viewer_quietly(request)
    return _page(request, "error.html", viewer, t["invalid"], _keep(lang), 422, text=text)


def _failure_page(request: Request) -> HTMLResponse:
    lang = page_lang(request.query_params.get("lang"))
    t = LABELS[lang]
    return _page(
        request, "error.html", None, t["failure"], _keep(lang), 500, text=t["failure_text"]
    )


# -- pages -----------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
async def national_table(
    request: Request,
    session: SessionDep,
    lang: Lang,
    as_of: AsOf = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    """The nation against its plans first, then every province the viewer may
    see with its status against its own plan; live when it is today's map."""
    viewer = _gate(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    q = queries.make_query(as_of, boundary, None, None)
    if viewer is None:
        table = await queries.province_table_unchecked(session, q)
    else:
        table = await indicators.province_table(session, viewer, q)
    rows = [province_row(_shown(request, viewer, summary(row))) for row in table["provinces"]]
    nation = await _nation(request, session, viewer, q)
    if nation is not None:
        national_plans_ = nation["plans"]
        figures = nation["indicators"]
    else:  # a province's viewer: the national plans, and the sum of their provinces
        national_plans_ = (await _national_plans(request, session, viewer, q))["plans"]
        figures = totals_of(rows)
    total = total_row(figures, national_plans_)
    t = LABELS[lang]
    if viewer is not None and viewer.role is Role.PROVINCE:
        heading = t["your_provinces"]
    else:
        heading = t["nation"] if boundary is Boundary.CURRENT else t["nation_legacy"]
    return _page(
        request,
        "index.html",
        viewer,
        heading,
        _keep(lang, as_of, boundary),
        rows=rows,
        total=total,
        total_label=t["nation_total"] if nation is not None else t["provinces_total"],
        headlines=headline_view(figures, national_plans_, lang),
        plan_line=plan_line(jsonable(table.get("national_plan")), lang),
        plans=plans_view(national_plans_, lang),
        as_of=q.as_of,
        boundary=boundary.value,
        live=boundary is Boundary.CURRENT and q.as_of == today(),
        updated=vietnam_now().strftime("%H:%M:%S"),
        # live.js writes a status the feed sends in the page's words.
        status_words=json.dumps({s: status_word(s, lang) for s in STATUSES}, ensure_ascii=False),
        # The nation's trend, for whoever may read the nation (not a province's viewer).
        trends=None
        if nation is None
        else await page_trends(session, q, None, lang, None if viewer else _threshold(request)),
    )


# Every status a province's line can carry (`domain/plans.rollout_status`).
STATUSES = (
    "on_track",
    "behind",
    "no_plan",
    "not_started",
    "running",
    "not_measured",
    "reached",
    "met",
    "missed",
)


def bar(value: Any, target: Any) -> int | None:
    """`progress`, or no bar where the public sees a count hidden ("< 5")."""
    try:
        return progress(value, target)
    except InvalidOperation:
        return None


def province_row(line: dict[str, Any]) -> dict[str, Any]:
    """A province's line of the table (`live_feed.summary`, as the viewer may
    see it) with its bar: the plan's own coverage towards its target."""
    return {**line, "progress": bar(line["coverage_measured"], line["coverage_target"])}


def totals_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A province viewer's totals over their provinces (signed in: exact
    counts), as the live feed adds them up; no quality shares."""
    return {**jsonable(totals(rows)), "shares": {}}


def total_row(figures: dict[str, Any], plans: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's last line: the nation's own figures (its coverage is its
    communes with a club over all its communes), against the national plans'
    coverage target and their status, as a province's line reads."""
    found = coverage_target(plans)
    plan, target = found if found else ({}, {})
    return {
        **figures,
        "status": rollout_status(plans),
        "coverage_plan_title": plan.get("title"),
        "coverage_target": target.get("target"),
        "coverage_target_by": target.get("by"),
        "coverage_expected": target.get("expected"),
        "coverage_measured": target.get("value"),
        "coverage_gap": target.get("gap"),
        "progress": bar(target.get("value"), target.get("target")),
    }


# The nation's headline figures, each with the national targets about it.
HEADLINES: tuple[tuple[str, frozenset[str]], ...] = (
    ("coverage", frozenset({"coverage", "communes_with_club", "provinces_with_clubs"})),
    ("clubs", frozenset({"clubs", "new_clubs", "clubs_retained"})),
    (
        "members",
        frozenset(
            {
                "members",
                "new_members",
                "new_older_members",
                "new_members_older_share",
                "new_older_women_share",
            }
        ),
    ),
)


def headline_view(
    figures: dict[str, Any], plans: list[dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """Coverage, clubs and members, each with every target of the national plans
    in force about it: the plan by name, the target and its window, the value the
    plan measures, the value expected by now, the status and a bar."""
    cards = []
    for key, about in HEADLINES:
        targets = []
        for plan in plans:
            for target in plan.get("targets") or []:
                indicator = str(target.get("indicator"))
                # A kind of commune is not measured (no list of which is which):
                # the plan's own section below says so; the headline keeps to the whole.
                if indicator not in about or target.get("commune_category"):
                    continue
                status = str(target.get("status") or "")
                targets.append(
                    {
                        "plan": plan.get("title"),
                        "indicator": indicator,
                        "label": layout.target_label(target, lang),
                        "target": layout.target_text(
                            indicator, target.get("target"), target.get("target_max"), lang
                        ),
                        "window": layout.window_text(target.get("from"), target.get("by"), lang),
                        "value": layout.value_text(indicator, cut(target.get("value")), lang),
                        "expected": layout.value_text(indicator, cut(target.get("expected")), lang),
                        "status": status,
                        "status_text": layout.status_text(status, lang),
                        "status_class": status_class(status),
                        "bar": bar(target.get("value"), target.get("target")),
                    }
                )
        cards.append({"key": key, "value": figures.get(key), "targets": targets})
    return cards


async def _nation(
    request: Request, session: SessionDep, viewer: Caller | None, q: queries.Query
) -> dict[str, Any] | None:
    """The nation's figures and plans, for the public and a national viewer
    (None for a province's viewer, who reads only their provinces)."""
    if viewer is None:
        figures = await queries.national_unchecked(session, q)
    elif viewer.role is Role.NATIONAL:
        figures = await indicators.national(session, viewer, q)
    else:
        return None
    return _shown(request, viewer, figures)


async def _national_plans(
    request: Request, session: SessionDep, viewer: Caller | None, q: queries.Query
) -> dict[str, Any]:
    """The national plans in force on the page's date, each measured over its own
    window and territory (a national plan is any reader's to read)."""
    in_force = national_plans(plans_in_force(await queries.load_plans(session), q.as_of))
    if viewer is None:
        measured = await plans_progress_unchecked(session, in_force, q.as_of)
    else:
        measured = [
            await plan_service.plan_progress(session, viewer, plan.id, q.as_of) for plan in in_force
        ]
    figures = {"scope": "nation", "boundary": q.boundary.value, "as_of": q.as_of}
    return _shown(request, viewer, {**figures, "plans": measured})


@router.get("/dashboard/provinces/{code}", response_class=HTMLResponse)
async def province_page(
    request: Request,
    session: SessionDep,
    code: str,
    lang: Lang,
    as_of: AsOf = None,
    boundary: Boundary = Boundary.CURRENT,
    with_club: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """A province's indicators, the plans in force about it with their targets,
    and its communes with their clubs, members and quality shares: those with a
    club first, then the rest (`?with_club=1`: only those with a club)."""
    viewer = _gate(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    keep = _keep(lang, as_of, boundary)
    q = queries.make_query(as_of, boundary, None, None)
    try:
        if viewer is not None:  # the check `indicators.province_detail` makes
            policy.ensure_province_visible(viewer, code, q.boundary, "province")
        detail = await queries.province_page_unchecked(session, code, q)
    except Problem as problem:
        return _error(request, viewer, keep, problem)
    data = _shown(request, viewer, detail)
    only_with_club = bool(with_club) and with_club not in ("0", "false", "off")
    communes = [c for c in data["communes"] if c["has_club"]]
    if not only_with_club:
        communes += [c for c in data["communes"] if not c["has_club"]]
    return _page(
        request,
        "province.html",
        viewer,
        data["name"],
        keep,
        data=data,
        ind=data["indicators"],
        plan_line=plan_line(data.get("plan"), lang),
        plans=plans_view(data.get("plans") or [], lang),
        coverage=coverage_view(data.get("plans") or [], lang),
        status=rollout_status(data.get("plans") or []),
        communes=communes,
        communes_total=len(data["communes"]),
        only_with_club=only_with_club,
        extra_fields={"with_club": "1"} if only_with_club else {},
        trends=await page_trends(session, q, code, lang, None if viewer else _threshold(request)),
    )


@router.get("/dashboard/communes/{code}", response_class=HTMLResponse)
async def commune_page(
    request: Request,
    session: SessionDep,
    code: str,
    lang: Lang,
    as_of: AsOf = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    """A commune's clubs, each with the quality checks it passes or fails."""
    viewer = _gate(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    keep = _keep(lang, as_of, boundary)
    q = queries.make_query(as_of, boundary, None, None)
    try:
        if viewer is None:
            detail = await queries.commune_detail_unchecked(session, code, q)
        else:
            detail = await indicators.commune_detail(session, viewer, code, q)
    except Problem as problem:
        return _error(request, viewer, keep, problem)
    data = _shown(request, viewer, detail)
    unit = placement.province_unit(data["province"], boundary)
    return _page(
        request,
        "commune.html",
        viewer,
        data["name"],
        keep,
        data=data,
        ind=data["indicators"],
        province_name=unit.name if unit else data["province"],
    )


@router.get("/dashboard/clubs/{club_id}", response_class=HTMLResponse)
async def club_page(
    request: Request,
    session: SessionDep,
    club_id: Annotated[str, PathParam(max_length=36)],
    lang: Lang,
    as_of: AsOf = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    """One club's counts and checks (never its members)."""
    viewer = _gate(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    keep = _keep(lang, as_of, boundary)
    q = queries.make_query(as_of, boundary, None, None)
    try:
        if viewer is None:
            detail = await queries.club_detail_unchecked(session, club_id, q)
        else:
            detail = await indicators.club_detail(session, viewer, club_id, q)
    except Problem as problem:
        return _error(request, viewer, keep, problem)
    data = _shown(request, viewer, detail)
    place = data.get("place") or {}
    province = placement.province_unit(place.get("province") or "", boundary)
    commune = placement.commune_unit(place.get("commune") or "", boundary)
    return _page(
        request,
        "club.html",
        viewer,
        data["name"] or club_id,
        keep,
        data=data,
        province=province,
        commune=commune,
    )


@router.get("/dashboard/rollout", response_class=HTMLResponse)
async def rollout_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    as_of: AsOf = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    """Which provinces are live and which have gone quiet, as of a day. The
    rollout is counted on the current map; the map asked for is kept in links."""
    viewer = _gate(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    on = as_of or today()
    # The province list `indicators.rollout` reads for this viewer.
    provinces = None if viewer is None else policy.readable_provinces(viewer)
    figures = await queries.rollout_on_unchecked(session, on, provinces)
    # Beside each province's data, its status against its plans that day.
    q = queries.make_query(on, Boundary.CURRENT, None, None)
    if viewer is None:
        table = await queries.province_table_unchecked(session, q)
    else:
        table = await indicators.province_table(session, viewer, q)
    statuses = {r["code"]: rollout_status(r.get("plans") or []) for r in table["provinces"]}
    for row in figures["provinces"]:
        row["plan_status"] = statuses.get(row["code"], "no_plan")
    data = _shown(request, viewer, figures)
    keep = _keep(lang, as_of, boundary)
    return _page(
        request,
        "rollout.html",
        viewer,
        LABELS[lang]["rollout"],
        keep,
        data=data,
        boundary=boundary.value,
    )


# -- signing in and out ------------------------------------------------------------


def _next(value: str | None, lang: str) -> str:
    """Back to the page that asked for a sign-in, if it is a dashboard page."""
    if value and SAFE_NEXT.match(value):
        return value
    return f"/dashboard?lang={lang}"


@router.get("/dashboard/sign-in", response_class=HTMLResponse)
async def sign_in_form(
    request: Request,
    lang: Lang,
    back: Annotated[str | None, Query(alias="next", max_length=500)] = None,
) -> Response:
    keep = _keep(lang)
    return _page(
        request, "sign_in.html", None, LABELS[lang]["sign_in"], keep, back=_next(back, lang)
    )


@router.post("/dashboard/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=4000)],
    lang: Lang,
    back: Annotated[str | None, Form(alias="next", max_length=500)] = None,
) -> Response:
    """A national or province token, pasted in, becomes an HttpOnly session cookie."""
    token = token.strip()
    try:
        caller: Caller | None = verify_token(token, request.app.state.settings.jwt_secret_list)
    except Problem:
        caller = None
    if caller is None or caller.role not in (Role.NATIONAL, Role.PROVINCE):
        t = LABELS[lang]
        return _page(
            request,
            "sign_in.html",
            None,
            t["sign_in"],
            _keep(lang),
            status_code=401,
            error=t["bad_token"],
            back=_next(back, lang),
        )
    response = RedirectResponse(_next(back, lang), status_code=303, headers=PAGE_HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/dashboard/sign-out")
async def sign_out(lang: Lang) -> Response:
    response = RedirectResponse(f"/dashboard?lang={lang}", status_code=303, headers=PAGE_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dashboard/static/{name}")
async def static_file(name: str) -> Response:
    """The vendored CSS and JS; a fixed list, so nothing else on disk is reachable."""
    if name not in STATIC:
        raise Problem(404, "not found", kind="not-found")
    return FileResponse(
        PACKAGE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/dashboard/{rest:path}", response_class=HTMLResponse)
async def unknown_page(request: Request, lang: Lang) -> Response:
    """Any other address under /dashboard: the not-found page, with the page headers."""
    return _error(request, _viewer_quietly(request), _keep(lang), not_found("page"))
