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
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import today
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.adapters.live_feed import LiveFeed
from ishc_reporting.app import create_app
from tests.reporting.conftest import Registry, feeder, loaded_client

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
    assert '<td data-field="coverage_target" title="Kế hoạch thử">10</td>' in vinh_long
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


# -- are we on track? the national page, the province page, the controls ----------

TODAY = date(2026, 12, 1)  # Vietnam's date on the pinned test clock (tests/conftest.py)


def on_track_plans(client: TestClient) -> None:
    """Vĩnh Long on track (2 of 124 communes, 1,61%, against 1,37% expected by
    now on the path from 0 to 3% in 2026-27), Hà Nội behind (no club, 10% by the
    end of 2027), the 2025-2035 national scheme; every other province no plan."""
    provinces = (("86", "Kế hoạch Vĩnh Long thử", "3"), ("01", "Kế hoạch Hà Nội thử", "10"))
    for code, title, value in provinces:
        plan = {
            "id": f"test-{code}-2026-2027",
            "scope": "province",
            "province": code,
            "title": title,
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
            "baseline": {"as_of": "2025-12-31", "coverage_percent": "0"},
            "targets": [{"indicator": "coverage", "value": value, "by": "2027-12-31"}],
        }
        reply = client.put(f"/v1/plans/{plan['id']}", json=plan, headers=NATIONAL)
        assert reply.status_code == 201, reply.text
    load_plan_file(client, "national-2025-2035")


@pytest.fixture
def national(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[TestClient]:
    """Two clubs in Vĩnh Long, 12 and 6 members, in two communes (on SQLite
    and on PostgreSQL), with the plans above."""
    registry = Registry()
    first = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(first, "86", 12, joined_on=date(2021, 1, 1))
    second = registry.club("29410", date(2021, 1, 1), name="CLB Hòa Minh")
    registry.members(second, "86", 6, joined_on=date(2021, 1, 1))
    with loaded_client(database_url, redis_url, SECRET, registry=registry) as client:
        on_track_plans(client)
        yield client


def cell(row_html: str, field: str) -> str:
    found = re.search(rf'data-field="{field}"[^>]*>([^<]*)<', row_html)
    assert found, field
    return found.group(1)


def test_the_national_summary_against_the_national_plans(national: TestClient) -> None:
    assert today() == TODAY
    html = national.get("/dashboard").text
    summary = html.split('<section class="summary" id="summary"')[1].split("</section>")[0]
    assert html.index('id="summary"') < html.index('<table id="provinces"')  # the nation first
    clubs = summary.split('data-headline="clubs"')[1].split('data-headline="members"')[0]
    assert '<b data-total="clubs">2</b>' in clubs
    # The plan by its name, never its slug; the target, its window, the value
    # expected by now (0 on 31/12/2024 to 6.000 on 31/12/2030: 700 of 2.191 days).
    visible = re.sub(r"<[^>]+>", " ", html.split("<main>")[1])
    assert "Đề án nhân rộng" in clubs and "national-2025-2035" not in visible
    assert "None" not in visible  # a status hidden from the public reads as a dash
    assert "+6.000 · Thời hạn 01/2025 – 12/2030" in clubs
    assert "Cần đạt đến nay: 1.916" in clubs and "chậm tiến độ" in clubs
    coverage = summary.split('data-headline="coverage"')[1].split('data-headline="clubs"')[0]
    assert '<b data-total="coverage">0,06</b>' in coverage  # 2 of 3.321 communes, truncated
    assert "2 / 3.321 xã, phường có CLB" in coverage
    assert "≥ 80% · Thời hạn" in coverage and "Cần đạt đến nay" in coverage
    assert "vùng đồng bằng" not in coverage  # kinds of commune: in the plan's own section
    assert coverage.count('<div class="target-plan">') == 1  # the plan named once
    members = summary.split('data-headline="members"')[1]
    assert '<b data-total="members">18</b>' in members and "Người cao tuổi mới tham gia" in members
    english = national.get("/dashboard", params={"lang": "en"}).text
    assert "The nation against its plans" in english and "Expected by now: 1,916" in english


def test_each_province_has_its_status_and_the_table_its_totals(national: TestClient) -> None:
    html = national.get("/dashboard").text
    vinh_long, ha_noi, dong_nai = row(html, "86"), row(html, "01"), row(html, "75")
    assert cell(vinh_long, "status") == "đúng tiến độ" and 'class="status yes"' in vinh_long
    assert cell(vinh_long, "coverage") == "1,61" and cell(vinh_long, "coverage_target") == "3"
    # 335 of 730 days of the way from 0 to 3%: 1,3767 truncated, as the plans print it.
    assert cell(vinh_long, "coverage_expected") == "1,37"
    assert cell(vinh_long, "coverage_target_by") == "31/12/2027"
    assert 'aria-valuenow="53"' in vinh_long  # 1,61 of 3
    assert cell(ha_noi, "status") == "chậm tiến độ" and 'class="status no"' in ha_noi
    assert cell(dong_nai, "status") == "chưa có kế hoạch"
    assert 'role="progressbar"' not in dong_nai
    # Every column sorts: a button in each header, with aria-sort.
    head = html.split('<table id="provinces"')[1].split("</thead>")[0]
    # 9 key columns, then 12 quality, 5 finance and health ones (shown on demand).
    assert head.count('aria-sort="none"><button type="button" data-sort-type=') == 9 + 12 + 5
    assert '<input type="checkbox" id="more-columns" class="more-toggle">' in html
    assert '<script src="/dashboard/static/sort.js" defer></script>' in html
    assert national.get("/dashboard/static/sort.js").status_code == 200
    # The totals: the nation's own figures (2 of 3.321 communes), not a sum of shares.
    total = html.split('<tr class="total" id="total">')[1].split("</tr>")[0]
    assert "Toàn quốc" in total and cell(total, "coverage") == "0,06"
    assert cell(total, "clubs") == "2" and cell(total, "members") == "18"
    assert "80" in total and "31/12/2030" in total  # the national coverage target
    assert html.index('<tr class="total" id="total">') > html.index(row(html, "86"))
    english = row(national.get("/dashboard", params={"lang": "en"}).text, "01")
    assert cell(english, "status") == "behind"


def test_the_province_page_lists_communes_with_clubs_first(national: TestClient) -> None:
    html = national.get("/dashboard/provinces/86").text
    assert 'id="status" data-status="on_track">đúng tiến độ' in html
    table = html.split('<table id="commune-table"')[1].split("</table>")[0]
    communes = re.findall(r'<tr data-commune="(\d+)">', table)
    assert len(communes) == 124 and set(communes[:2]) == {"29623", "29410"}
    nhon_phu = table.split('<tr data-commune="29623">')[1].split("</tr>")[0]
    # The quality shares the national table shows per province, here per commune.
    assert cell(nhon_phu, "board_ok") == "0,00" and cell(nhon_phu, "funds_ok") == "0,00"
    assert cell(nhon_phu, "size_ok") == "—"  # the plan states no size band: not assessed
    no_club = table.split(f'<tr data-commune="{communes[-1]}">')[1].split("</tr>")[0]
    assert cell(no_club, "board_ok") == "—"
    head = table.split("</thead>")[0]
    assert "Ban chủ nhiệm" in head and "Đủ 2 quỹ" in head
    assert 'input type="search" id="commune-filter"' in html
    assert "/dashboard/static/filter.js" in html

    only = national.get("/dashboard/provinces/86", params={"with_club": "1"}).text
    table = only.split('<table id="commune-table"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-commune="(\d+)">', table) == communes[:2]
    assert 'name="with_club" value="1" checked' in only
    # The date and map controls keep the filter; the filter form keeps the date and map.
    controls = only.split('<form class="filters" id="controls"')[1].split("</form>")[0]
    assert '<input type="hidden" name="with_club" value="1">' in controls
    past = national.get(
        "/dashboard/provinces/86", params={"with_club": "1", "as_of": "2020-06-01"}
    ).text
    filters = past.split('id="commune-filters"')[1].split("</form>")[0]
    assert 'name="as_of" value="2020-06-01"' in filters
    table = past.split('<table id="commune-table"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-commune="(\d+)">', table) == ["29623"]  # Hòa Minh came in 2021
    too_long = national.get("/dashboard/provinces/86", params={"with_club": "x" * 20})
    assert too_long.status_code == 422


def test_past_pages_are_not_live_and_times_are_vietnams(national: TestClient) -> None:
    today_page = national.get("/dashboard").text
    assert "/dashboard/static/live.js" in today_page
    assert f'data-live data-as-of="{TODAY}" data-boundary="current"' in today_page
    # 01:30 in Vietnam on the pinned clock (18:30 UTC the day before), labelled so.
    assert re.search(r'<time id="updated"[^>]*>01:3\d:\d\d</time> \(giờ Việt Nam\)', today_page)
    assert "Tính đến ngày 01/12/2026" in today_page

    past = national.get("/dashboard", params={"as_of": "2026-06-30"}).text
    assert "live.js" not in past and "data-live" not in past
    assert "Trang này không tự cập nhật" in past
    assert "Tính đến ngày 30/06/2026" in past
    assert 'name="as_of" id="as-of" value="30/06/2026"' in past
    assert '<input type="date" id="as-of-picker"' in past  # its calendar fills the field
    assert '<script src="/dashboard/static/datepicker.js" defer>' in past
    # The field writes the date as people do, and is read back the same.
    typed = national.get("/dashboard", params={"as_of": "30/06/2026"}).text
    assert "Tính đến ngày 30/06/2026" in typed and "live.js" not in typed
    assert national.get("/dashboard", params={"as_of": "31/02/2026"}).status_code == 422
    legacy = national.get("/dashboard", params={"boundary": "legacy"}).text
    assert "live.js" not in legacy and "data-live" not in legacy
    assert "Trang này không tự cập nhật" in legacy

    # The rounding convention is stated once per page, in its footer.
    for path in ("/dashboard", "/dashboard/provinces/86", "/dashboard/rollout"):
        page = national.get(path).text
        assert page.count("cắt bớt") == 1 and 'id="conventions"' in page
    # Times are Vietnam's: the rollout's last data, labelled "giờ Việt Nam".
    rollout = national.get("/dashboard/rollout").text
    assert "Dữ liệu gần nhất (giờ Việt Nam)" in rollout and "(UTC)" not in rollout
    assert re.search(r"<td>\d\d/\d\d/\d{4} \d\d:\d\d</td>", row(rollout, "86"))
    # The rollout as of a past day: that day's clubs and members (Hòa Minh came
    # in 2021, every member joined in 2021).
    then = row(national.get("/dashboard/rollout", params={"as_of": "2020-06-01"}).text, "86")
    assert re.findall(r"<td>(\d+)</td>", then)[:2] == ["1", "0"]
    assert re.findall(r"<td>(\d+)</td>", row(rollout, "86"))[:2] == ["2", "18"]


def test_every_page_has_the_date_and_map_controls_and_links_keep_them(
    national: TestClient,
) -> None:
    commune = national.get("/dashboard/communes/29623").text
    club_id = re.search(r'href="/dashboard/clubs/([0-9a-f-]+)\?', commune)
    assert club_id
    asked = {"as_of": "2026-06-30", "boundary": "legacy", "lang": "en"}
    for path in (
        "/dashboard",
        "/dashboard/provinces/86",
        "/dashboard/communes/29623",
        f"/dashboard/clubs/{club_id.group(1)}",
        "/dashboard/rollout",
    ):
        params = dict(asked)
        if "communes" in path or "clubs" in path:
            params["boundary"] = "current"  # the commune's code is of the current map
        reply = national.get(path, params=params)
        assert reply.status_code == 200, path
        controls = reply.text.split('<form class="filters" id="controls"')[1].split("</form>")[0]
        assert f'action="{path}"' in controls
        assert 'name="as_of" id="as-of" value="2026-06-30"' in controls  # English: yyyy-mm-dd
        assert f'<option value="{params["boundary"]}" selected>' in controls
        # Every link to a page of figures keeps the date and the map.
        for link in re.findall(r'href="(/dashboard[^"]*)"', reply.text.split("<main>")[1]):
            if link.startswith(("/dashboard/static", "/dashboard/sign-in")):
                continue
            if "as_of=" not in link:  # only "today" drops the date, on purpose
                assert link == f"{path}?lang=en" + (
                    "&amp;boundary=legacy" if params["boundary"] == "legacy" else ""
                ), link
                continue
            assert "as_of=2026-06-30" in link, link
            assert ("boundary=legacy" in link) == (params["boundary"] == "legacy"), link
    assert national.get("/dashboard/rollout", params={"as_of": "never"}).status_code == 422
    assert national.get("/dashboard/rollout", params={"boundary": "x"}).status_code == 422


def test_plans_are_named_not_slugged(national: TestClient) -> None:
    rollout = national.get("/dashboard/rollout").text
    vinh_long = row(rollout, "86")
    assert "Kế hoạch Vĩnh Long thử" in vinh_long and "test-86-2026-2027" not in vinh_long
    # The rollout says, too, where each province stands against its plan.
    assert 'data-status="on_track">đúng tiến độ' in vinh_long
    assert 'data-status="behind">chậm tiến độ' in row(rollout, "01")
    assert 'data-status="no_plan">chưa có kế hoạch' in row(rollout, "75")
    html = national.get("/dashboard").text
    assert 'title="Kế hoạch Vĩnh Long thử"' in row(html, "86")
    visible = re.sub(r"<[^>]+>", " ", html.split("<main>")[1])
    assert "test-86" not in visible and "national-2025" not in visible
    # Past a plan's start the table still names the plan by its title.
    assert "Kế hoạch Hà Nội thử" in national.get("/dashboard/provinces/01").text


def test_the_live_feed_says_which_day_and_map_its_figures_are_of(
    national: TestClient, database_url: str
) -> None:
    """What a page checks before taking the feed's figures (static/live.js)."""

    async def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        db = Database(database_url)
        feed = LiveFeed(db)
        try:
            await feed._poll()
            return (
                feed.snapshot(lambda code: True),
                feed.total(lambda code: code in ("86", "01")),
                feed.total(lambda code: True, exact=True),
            )
        finally:
            await db.dispose()

    # In the app's own event loop: today's cache is shared by the process, and
    # its lock belongs to one loop (a second loop waiting on it hung, at times).
    snapshot, two, everyone = national.portal.call(read)
    assert snapshot["as_of"] == str(TODAY) and snapshot["boundary"] == "current"
    assert re.fullmatch(r"01:3\d:\d\d", snapshot["at"])  # Vietnam's time
    vinh_long = next(r for r in snapshot["provinces"] if r["code"] == "86")
    assert vinh_long["status"] == "on_track" and vinh_long["coverage_expected"] == "1.37"
    # The totals line a viewer's page shows: counts added up, coverage recomputed.
    assert everyone == {
        "coverage": "0.06",
        "communes": 3321,
        "communes_with_club": 2,
        "clubs": 2,
        "members": 18,
    }
    assert two["communes"] == 124 + 126 and two["coverage"] == "0.80"
