"""The dashboard's pages over the real app: languages, names as written,
progress against a plan, who sees what, sign-in when it is not public, and no
person's data anywhere."""

from __future__ import annotations

import asyncio
import re
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import today
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from tests.reporting.conftest import Registry, feeder

PLAN_FILES = Path(__file__).parents[3] / "services/reporting/plans"
SECRET = "d" * 48
NATIONAL = {"Authorization": f"Bearer {issue_token(SECRET, sub='vae', role=Role.NATIONAL)}"}
BIRTH_YEAR = 1937  # a year that no count on any page can be


@dataclass
class Loaded:
    client: TestClient
    club_id: str
    member_ids: list[str]


def start(tmp_path: Path, redis_url: str, public: bool) -> Loaded:
    """A reporting app over a database holding one club of twelve in Vĩnh Long
    (commune 29623, Xã Nhơn Phú), loaded before the app starts."""
    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade("reporting", url)
    registry = Registry()
    club = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    members = registry.members(club, "86", 12, joined_on=date(2021, 1, 1), birth_year=BIRTH_YEAR)

    async def load() -> None:
        db = Database(url)
        await feeder(db).apply_log(registry.log)
        await db.dispose()

    asyncio.run(load())
    settings = Settings(
        database_url=url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=f"test.{uuid.uuid4().hex[:10]}.",
        dashboard_public=public,
    )
    return Loaded(TestClient(create_app(settings)), club, members)


@pytest.fixture
def loaded(tmp_path: Path, redis_url: str) -> Iterator[Loaded]:
    state = start(tmp_path, redis_url, public=True)
    with state.client:
        yield state


@pytest.fixture
def public(loaded: Loaded) -> TestClient:
    return loaded.client


def row(html: str, code: str) -> str:
    return html.split(f'<tr data-code="{code}">')[1].split("</tr>")[0]


def test_the_national_table_in_vietnamese_and_english(public: TestClient) -> None:
    page = public.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert '<html lang="vi">' in html
    assert html.count('<tr data-code="') == 34
    assert "Tỉnh, thành phố" in html and "Độ phủ (%)" in html and "Hội viên" in html
    vinh_long = row(html, "86")
    assert "Tỉnh Vĩnh Long" in vinh_long
    assert '<span data-field="coverage">0,80</span>' in vinh_long  # 1 of 124 communes
    assert '<td data-field="members">12</td>' in vinh_long
    assert 'name="viewport"' in html and "/dashboard/static/live.js" in html
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html

    english = public.get("/dashboard", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "Coverage (%)" in english
    assert "Tỉnh Vĩnh Long" in english  # official names stay as written
    assert '<span data-field="coverage">0.80</span>' in row(english, "86")
    assert "Độ phủ" in public.get("/dashboard", params={"lang": "fr"}).text  # not an error

    legacy = public.get("/dashboard", params={"boundary": "legacy"}).text
    assert legacy.count('<tr data-code="') == 63
    assert "live.js" not in legacy  # the live feed is today's current map only
    past = public.get("/dashboard", params={"as_of": "2019-06-01"}).text
    assert '<span data-field="coverage">0,00</span>' in row(past, "86") and "live.js" not in past
    assert public.get("/dashboard", params={"as_of": ""}).status_code == 200  # a blank form field
    assert public.get("/dashboard", params={"as_of": "soon"}).status_code == 422


def test_links_keep_the_language_the_date_and_the_map(public: TestClient) -> None:
    html = public.get(
        "/dashboard", params={"lang": "en", "as_of": "2025-06-01", "boundary": "legacy"}
    ).text
    assert 'href="/dashboard/provinces/86?lang=en&amp;as_of=2025-06-01&amp;boundary=legacy"' in html
    switch = re.search(r'<a href="([^"]+)" hreflang="vi"', html)
    assert (
        switch and switch.group(1) == "/dashboard?lang=vi&amp;as_of=2025-06-01&amp;boundary=legacy"
    )


def test_progress_against_the_plans_coverage_target(public: TestClient) -> None:
    plan = {
        "id": "vinh-long-dashboard",
        "scope": "province",
        "province": "86",
        "title": "Kế hoạch thử",
        "period_start": str(today() - timedelta(days=365)),
        "period_end": str(today() + timedelta(days=365)),
        "targets": [{"indicator": "coverage", "value": "10", "by": str(today())}],
    }
    assert public.put(f"/v1/plans/{plan['id']}", json=plan, headers=NATIONAL).status_code == 201
    vinh_long = row(public.get("/dashboard").text, "86")
    assert '<td data-field="coverage_target">10</td>' in vinh_long
    assert '<td data-field="coverage_gap">9,20</td>' in vinh_long
    assert 'aria-valuenow="8"' in vinh_long and 'style="width: 8%"' in vinh_long  # 0.80 of 10
    assert 'role="progressbar"' not in row(public.get("/dashboard").text, "75")  # no plan there
    province = public.get("/dashboard/provinces/86").text
    assert "Kế hoạch thử" in province and 'aria-valuenow="8"' in province


def load_plan_file(client: TestClient, name: str) -> None:
    """A committed plan file, as `ishc-reporting plans load` stores it."""
    body = jsonable_encoder(tomllib.loads((PLAN_FILES / f"{name}.toml").read_text()))
    assert client.put(f"/v1/plans/{name}", json=body, headers=NATIONAL).status_code in (200, 201)


def target_row(html: str, indicator: str, nth: int = 0) -> str:
    return html.split(f'<tr data-indicator="{indicator}">')[nth + 1].split("</tr>")[0]


def cells(row_html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", row_html)


def test_the_province_page_shows_each_target_with_its_window_and_expected_value(
    public: TestClient,
) -> None:
    plan = {
        "id": "vinh-long-2025-2027",
        "scope": "province",
        "province": "86",
        "title": "Kế hoạch thử 2025 - 2027",
        "period_start": "2025-07-01",
        "period_end": "2027-12-31",
        "targets": [
            {"indicator": "new_clubs", "value": "10", "from": "2025-07-01", "by": "2026-12-31"},
            {"indicator": "coverage", "value": "10", "by": "2026-12-31"},
            {"indicator": "women_ok", "value": "60", "value_max": "70", "by": "2027-12-31"},
        ],
    }
    assert public.put(f"/v1/plans/{plan['id']}", json=plan, headers=NATIONAL).status_code == 201
    html = public.get("/dashboard/provinces/86", params={"as_of": "2026-06-30"}).text
    assert '<p class="meta" id="plan">Kế hoạch: Kế hoạch thử 2025 - 2027</p>' in html
    assert "Kế hoạch đang hiệu lực" in html and "Địa bàn đo chỉ tiêu: " in html
    assert "Tỉnh Vĩnh Long, 124 xã, phường" in html  # written on today's map: no "(cũ)"
    new_clubs = target_row(html, "new_clubs")
    # The club was founded in 2020, before the window: none new; 6 expected by now
    # on the straight path from 0 on 30/06/2025 to 10 on 31/12/2026 (365 of 549 days).
    assert "+10 CLB mới, 07/2025 – 12/2026: 0 đến nay" in new_clubs
    assert cells(new_clubs) == ["07/2025 – 12/2026", "0", "+10", "6", "chậm tiến độ"]
    coverage = target_row(html, "coverage")
    # From the 0.80% measured on the day before the plan (no baseline printed).
    assert cells(coverage) == ["07/2025 – 12/2026", "0,80%", "≥ 10%", "6,91%", "chậm tiến độ"]
    assert "Tỷ lệ xã, phường, thị trấn có CLB (%)" in coverage
    assert cells(target_row(html, "women_ok"))[2] == "60 – 70%"
    # The coverage card sets the province's coverage beside that target, with its bar.
    assert "Mục tiêu độ phủ: ≥ 10%, 07/2025 – 12/2026: 0,80% đến nay" in html
    assert 'aria-valuenow="8"' in html

    english = public.get("/dashboard/provinces/86", params={"as_of": "2026-06-30", "lang": "en"})
    row_en = target_row(english.text, "new_clubs")
    assert "+10 new clubs, 2025-07 – 2026-12: 0 so far" in row_en
    assert cells(row_en) == ["2025-07 – 2026-12", "0", "+10", "6", "behind"]
    assert "Expected by now" in english.text and "Window" in english.text
    ended = public.get("/dashboard/provinces/86", params={"as_of": "2027-06-30"}).text
    assert cells(target_row(ended, "new_clubs"))[-1] == "không đạt"
    assert "0 (đo ngày 31/12/2026)" in target_row(ended, "new_clubs")


def test_a_page_without_a_plan_in_force_says_the_default_applies(public: TestClient) -> None:
    html = public.get("/dashboard/provinces/75").text
    line = html.split('<p class="meta" id="plan">')[1].split("</p>")[0]
    assert line.startswith("Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định — ")
    assert "1336/QĐ-TTg" in line and "50 - 70 thành viên" in line
    assert "Không có kế hoạch nào đang hiệu lực vào ngày này." in html
    national = public.get("/dashboard").text
    assert "Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định" in national
    english = public.get("/dashboard/provinces/75", params={"lang": "en"}).text
    assert "No plan in force sets the composition of clubs: the default applies" in english


def test_the_old_plan_of_old_vinh_long_on_its_own_map_and_on_todays(public: TestClient) -> None:
    load_plan_file(public, "vinh-long-2016-2020")
    note = "Kế hoạch tính trên 109 xã, phường, thị trấn như văn bản kế hoạch ghi"
    old = public.get(
        "/dashboard/provinces/86", params={"boundary": "legacy", "as_of": "2020-06-30"}
    ).text
    line = old.split('<p class="meta" id="plan">')[1].split("</p>")[0]
    assert line.startswith("Kế hoạch: Kế hoạch thực hiện Đề án") and "2016 - 2020" in line
    card = old.split('<div class="cards">')[1].split("</div>")[0]
    assert "/ 109 xã, phường, thị trấn" in card  # the plan's own count of communes
    assert '<small class="communes-note">' + note in card  # under the coverage figure
    assert "Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn" in old
    first_phase = target_row(old, "new_clubs", 0)
    assert "+17 CLB mới, 01/2017 – 12/2018: 0 (đo ngày 31/12/2018)" in first_phase
    assert cells(first_phase)[-1] == "không đạt"
    second_phase = target_row(old, "new_clubs", 1)
    assert "+17 CLB mới, 01/2019 – 12/2020: 1 đến nay" in second_phase  # founded 01/01/2020
    assert cells(target_row(old, "communes_with_club"))[2] == "≥ 55"
    table = public.get("/dashboard", params={"boundary": "legacy", "as_of": "2020-06-30"}).text
    assert note in row(table, "86") and note not in row(table, "87")

    # On today's map the page is new Vĩnh Long (124 communes), judged by the
    # default; the old plan is still listed, measured over its old province.
    current = public.get("/dashboard/provinces/86", params={"as_of": "2020-06-30"}).text
    assert "Không có kế hoạch hiệu lực nêu cơ cấu CLB: áp dụng chuẩn mặc định" in current
    card = current.split('<div class="cards">')[1].split("</div>")[0]
    assert "/ 124 xã, phường" in card and note not in card
    assert "Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn" in current and note in current
    assert "+17 CLB mới, 01/2019 – 12/2020: 1 đến nay" in current


def test_the_national_page_shows_the_national_plans_in_force(public: TestClient) -> None:
    load_plan_file(public, "national-2021-2025")
    load_plan_file(public, "national-2025-2035")
    html = public.get("/dashboard", params={"as_of": "2025-09-01"}).text
    line = html.split('<p class="meta" id="plan">')[1].split("</p>")[0]
    assert line.startswith("Kế hoạch: Đề án nhân rộng mô hình Câu lạc bộ")
    plans = html.split('<section class="plans" id="plans">')[1]
    assert plans.count('<div class="plan"') == 2  # 1336 and 1648 overlap in Aug–Dec 2025
    assert "+3.000 CLB mới, 01/2021 – 12/2025: 0 đến nay" in plans
    assert "Toàn quốc (63 tỉnh, thành phố, địa giới trước 1/7/2025)" in plans
    assert "+6.000 CLB mới, 01/2025 – 12/2030" in plans
    assert "xã, phường vùng đồng bằng" in plans and "chưa đo được" in plans
    later = public.get("/dashboard", params={"as_of": "2026-06-30"}).text
    assert later.split('<section class="plans"')[1].count('<div class="plan"') == 1


def test_province_commune_and_club_pages(loaded: Loaded) -> None:
    public = loaded.client
    province = public.get("/dashboard/provinces/86").text
    assert "<h2>Tỉnh Vĩnh Long</h2>" in province
    assert ">Xã Nhơn Phú</a>" in province and "0,80" in province
    assert 'href="/dashboard/communes/29623?lang=vi"' in province
    assert province.count('href="/dashboard/communes/') == 124  # every commune, club or not

    commune = public.get("/dashboard/communes/29623").text
    assert "<h2>Xã Nhơn Phú</h2>" in commune and "CLB Nhơn Phú" in commune
    assert 'href="/dashboard/provinces/86?lang=vi">Tỉnh Vĩnh Long</a>' in commune
    assert "Ban chủ nhiệm" in commune  # the club's checks

    club = public.get(f"/dashboard/clubs/{loaded.club_id}", params={"lang": "en"}).text
    assert "Members" in club and "<b>12</b>" in club
    assert 'href="/dashboard/communes/29623?lang=en">Xã Nhơn Phú</a>' in club

    missing = public.get("/dashboard/provinces/99")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.text
    assert public.get("/dashboard/communes/00000").status_code == 404
    assert public.get(f"/dashboard/clubs/{uuid.uuid4()}").status_code == 404


def test_the_rollout_page_shows_live_and_quiet_provinces(public: TestClient) -> None:
    html = public.get("/dashboard/rollout").text
    assert html.count('<tr data-code="') == 34
    vinh_long = row(html, "86")
    assert "Đang hoạt động" in vinh_long and ">12<" in vinh_long
    assert "Chưa có dữ liệu" in row(html, "75")
    assert "Live" in public.get("/dashboard/rollout", params={"lang": "en"}).text


def test_no_persons_data_on_any_page(loaded: Loaded) -> None:
    public = loaded.client
    pages = [
        public.get(path, params={"lang": lang}).text
        for lang in ("vi", "en")
        for path in (
            "/dashboard",
            "/dashboard/provinces/86",
            "/dashboard/communes/29623",
            f"/dashboard/clubs/{loaded.club_id}",
            "/dashboard/rollout",
        )
    ]
    for html in pages:
        assert not any(member in html for member in loaded.member_ids)
        assert str(BIRTH_YEAR) not in html and "member_id" not in html and "birth" not in html


def test_static_assets_are_a_fixed_list(public: TestClient) -> None:
    script = public.get("/dashboard/static/live.js")
    assert script.status_code == 200 and 'new EventSource("/v1/live")' in script.text
    assert (
        public.get("/dashboard/static/dashboard.css").headers["content-type"].startswith("text/css")
    )
    assert public.get("/dashboard/static/..%2Fapp.py").status_code == 404
    assert public.get("/dashboard/static/app.py").status_code == 404


def test_a_stale_session_on_a_public_dashboard_is_dropped(public: TestClient) -> None:
    expired = issue_token(
        SECRET, sub="vl", role=Role.PROVINCE, provinces=["86"], lifetime=timedelta(seconds=-5)
    )
    public.cookies.set("ishc_session", expired)
    reply = public.get("/dashboard/provinces/75", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard/provinces/75"
    assert 'ishc_session=""' in reply.headers["set-cookie"]
    public.cookies.clear()
    assert public.get("/dashboard/provinces/75").status_code == 200  # public again


def test_when_not_public_a_token_is_needed_and_a_province_sees_its_own(
    tmp_path: Path, redis_url: str
) -> None:
    with start(tmp_path, redis_url, public=False).client as client:
        anonymous = client.get("/dashboard/provinces/86?lang=en", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == (
            "/dashboard/sign-in?lang=en&next=%2Fdashboard%2Fprovinces%2F86%3Flang%3Den"
        )
        form = client.get(anonymous.headers["location"]).text
        assert "Access token" in form and 'value="/dashboard/provinces/86?lang=en"' in form
        assert client.get("/v1/live").status_code == 401
        assert client.get("/dashboard/static/live.js").status_code == 200  # assets stay open

        ops = issue_token(SECRET, sub="ops", role=Role.OPS)
        refused = client.post("/dashboard/sign-in", data={"token": ops}, follow_redirects=False)
        assert refused.status_code == 401 and "không hợp lệ" in refused.text
        assert client.post("/dashboard/sign-in", data={"token": "nonsense"}).status_code == 401
        assert not client.cookies

        vinh_long = issue_token(SECRET, sub="vl", role=Role.PROVINCE, provinces=["86"])
        signed = client.post(
            "/dashboard/sign-in?lang=en",
            data={"token": f"  {vinh_long}\n", "next": "/dashboard/provinces/86?lang=en"},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        assert signed.headers["location"] == "/dashboard/provinces/86?lang=en"
        cookie = signed.headers["set-cookie"]
        assert "ishc_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Secure" not in cookie  # plain http here; https would make it Secure

        table = client.get("/dashboard").text
        assert table.count('<tr data-code="') == 1 and 'data-code="86"' in table
        assert "Tỉnh, thành phố được giao" in table and "Đăng xuất" in table
        assert "Xã Nhơn Phú" in client.get("/dashboard/provinces/86").text
        assert client.get("/dashboard/provinces/75").status_code == 404  # not a 403: no leak
        assert client.get("/dashboard/communes/26734").status_code == 404  # a Hà Nội commune

        out = client.post("/dashboard/sign-out?lang=en", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/dashboard?lang=en"
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_sign_in_goes_back_only_to_a_dashboard_page(tmp_path: Path, redis_url: str) -> None:
    with start(tmp_path, redis_url, public=False).client as client:
        national = issue_token(SECRET, sub="vae", role=Role.NATIONAL)
        for elsewhere in ("https://example.org/", "//example.org/dashboard", "/v1/plans"):
            reply = client.post(
                "/dashboard/sign-in",
                data={"token": national, "next": elsewhere},
                follow_redirects=False,
            )
            assert reply.headers["location"] == "/dashboard?lang=vi"
        assert client.get("/dashboard").text.count('<tr data-code="') == 34
