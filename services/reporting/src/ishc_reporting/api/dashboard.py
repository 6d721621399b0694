"""The dashboard: server-rendered HTML over the indicators, updated live.

Aggregates only, never a person's data. Open to read unless
`ISHC_DASHBOARD_PUBLIC=false`; then a page without a token sends the browser to
the sign-in form, which keeps the token in an HttpOnly session cookie (the
browser's EventSource for `/v1/live` cannot send a header). Vietnamese by
default, `?lang=en` for English; official unit names stay as written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller, Role, verify_token
from ishc_platform.deps import SessionDep
from ishc_platform.errors import Problem
from ishc_reporting import service
from ishc_reporting.api.live import SESSION_COOKIE, dashboard_viewer
from ishc_reporting.domain import placement
from ishc_reporting.domain.indicators import QUALITY_FLAGS
from ishc_reporting.live import NATION, summary

router = APIRouter(include_in_schema=False)
PACKAGE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=PACKAGE / "templates")
STATIC = {"dashboard.css": "text/css", "live.js": "text/javascript"}
Lang = Annotated[Literal["vi", "en"], Query()]

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
        "meetings_ok": "Sinh hoạt hằng tháng",
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
        "last_data": "Dữ liệu gần nhất (UTC)",
        "reporting_rate": "Tỷ lệ báo cáo tháng trước (%)",
        "reporting_note": (
            "Tỷ lệ báo cáo: % CLB đang hoạt động có buổi sinh hoạt được ghi nhận trong tháng trước."
        ),
        "status": "Tình trạng",
        "live": "Đang hoạt động",
        "quiet": "Chưa có dữ liệu",
        "not_found": "Không tìm thấy",
        "forbidden": "Không có quyền xem",
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
        "meetings_ok": "Met monthly",
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
        "last_data": "Last data (UTC)",
        "reporting_rate": "Reporting rate last month (%)",
        "reporting_note": (
            "Reporting rate: % of active clubs with a meeting recorded for last month."
        ),
        "status": "Status",
        "live": "Live",
        "quiet": "No data yet",
        "not_found": "Not found",
        "forbidden": "Not allowed",
    },
}


def number(value: Any, lang: str) -> str:
    """Vietnamese writes 1.234,5; English 1,234.5; nothing is a dash."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,}" if amount == amount.to_integral() else f"{amount:,.2f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


templates.env.filters["num"] = number


def _viewer(request: Request) -> Caller | RedirectResponse | None:
    """The viewer, or a redirect to the sign-in form when one is needed."""
    try:
        return dashboard_viewer(request)
    except Problem as problem:
        if problem.status == 401:
            lang = request.query_params.get("lang", "vi")
            return RedirectResponse(f"/dashboard/sign-in?lang={lang}", status_code=303)
        raise


def _reader(viewer: Caller | None) -> Caller:
    # A public viewer reads aggregates as the nation does.
    return viewer if viewer is not None else NATION


def _page(
    request: Request,
    template: str,
    lang: str,
    viewer: Caller | None,
    heading: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    other = "en" if lang == "vi" else "vi"
    params = {**request.query_params, "lang": other}
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "other_lang": other,
            "switch_url": f"{request.url.path}?{urlencode(params)}",
            "t": LABELS[lang],
            "viewer": viewer,
            "heading": heading,
            "flags": QUALITY_FLAGS,
            **context,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


def _error(request: Request, lang: str, viewer: Caller | None, problem: Problem) -> HTMLResponse:
    t = LABELS[lang]
    heading = t["not_found"] if problem.status == 404 else t["forbidden"]
    return _page(
        request, "error.html", lang, viewer, heading, problem.status, detail=problem.detail
    )


@router.get("/dashboard", response_class=HTMLResponse)
async def national_table(
    request: Request,
    session: SessionDep,
    lang: Lang = "vi",
    as_of: date | None = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    viewer = _viewer(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    q = service.make_query(as_of, boundary, None, None)
    table = await service.province_table(session, _reader(viewer), q)
    rows = []
    for row in table["provinces"]:
        line = service.jsonable(summary(row))
        target, value = line["coverage_target"], line["coverage"]
        progress = 0
        if target not in (None, "0") and value is not None:
            progress = min(100, int(Decimal(value) * 100 / Decimal(target)))
        rows.append({**line, "progress": progress})
    t = LABELS[lang]
    heading = t["nation"] if boundary is Boundary.CURRENT else t["nation_legacy"]
    live = boundary is Boundary.CURRENT and as_of in (None, q.as_of)
    return _page(
        request,
        "index.html",
        lang,
        viewer,
        heading,
        rows=rows,
        as_of=q.as_of,
        boundary=boundary.value,
        live=live,
    )


@router.get("/dashboard/provinces/{code}", response_class=HTMLResponse)
async def province_page(
    request: Request,
    session: SessionDep,
    code: str,
    lang: Lang = "vi",
    as_of: date | None = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    viewer = _viewer(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    q = service.make_query(as_of, boundary, None, None)
    try:
        data = service.jsonable(await service.province_detail(session, _reader(viewer), code, q))
    except Problem as problem:
        return _error(request, lang, viewer, problem)
    return _page(
        request, "province.html", lang, viewer, data["name"], data=data, ind=data["indicators"]
    )


@router.get("/dashboard/communes/{code}", response_class=HTMLResponse)
async def commune_page(
    request: Request,
    session: SessionDep,
    code: str,
    lang: Lang = "vi",
    as_of: date | None = None,
    boundary: Boundary = Boundary.CURRENT,
) -> Response:
    viewer = _viewer(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    q = service.make_query(as_of, boundary, None, None)
    try:
        data = service.jsonable(await service.commune_detail(session, _reader(viewer), code, q))
    except Problem as problem:
        return _error(request, lang, viewer, problem)
    unit = placement.province_unit(data["province"], boundary)
    return _page(
        request,
        "commune.html",
        lang,
        viewer,
        data["name"],
        data=data,
        province_name=unit.name if unit else data["province"],
    )


@router.get("/dashboard/clubs/{club_id}", response_class=HTMLResponse)
async def club_page(
    request: Request, session: SessionDep, club_id: str, lang: Lang = "vi"
) -> Response:
    viewer = _viewer(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    q = service.make_query(None, Boundary.CURRENT, None, None)
    try:
        data = service.jsonable(await service.club_detail(session, _reader(viewer), club_id, q))
    except Problem as problem:
        return _error(request, lang, viewer, problem)
    return _page(request, "club.html", lang, viewer, data["name"] or club_id, data=data)


@router.get("/dashboard/rollout", response_class=HTMLResponse)
async def rollout_page(request: Request, session: SessionDep, lang: Lang = "vi") -> Response:
    """Which provinces are live and which have gone quiet."""
    viewer = _viewer(request)
    if isinstance(viewer, RedirectResponse):
        return viewer
    data = service.jsonable(await service.rollout(session, _reader(viewer)))
    return _page(request, "rollout.html", lang, viewer, LABELS[lang]["rollout"], data=data)


@router.get("/dashboard/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, lang: Lang = "vi") -> Response:
    return _page(request, "sign_in.html", lang, None, LABELS[lang]["sign_in"])


@router.post("/dashboard/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request, token: Annotated[str, Form(max_length=4000)], lang: Lang = "vi"
) -> Response:
    token = token.strip()
    try:
        caller = verify_token(token, request.app.state.settings.jwt_secret_list)
    except Problem:
        caller = None
    if caller is None or caller.role not in (Role.NATIONAL, Role.PROVINCE):
        return _page(
            request,
            "sign_in.html",
            lang,
            None,
            LABELS[lang]["sign_in"],
            status_code=401,
            error=LABELS[lang]["bad_token"],
        )
    response = RedirectResponse(f"/dashboard?lang={lang}", status_code=303)
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
async def sign_out() -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dashboard/static/{name}")
async def static_file(name: str) -> Response:
    if name not in STATIC:  # a fixed list: nothing else on disk is reachable
        raise Problem(404, "not found", kind="not-found")
    return FileResponse(
        PACKAGE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=300"},
    )
