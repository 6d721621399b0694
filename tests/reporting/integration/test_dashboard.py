"""The dashboard's pages over the real app: languages, names as written,
progress against a plan, who sees what, sign-in when it is not public, and no
person's data anywhere."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import today
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from tests.reporting.conftest import Registry, feeder

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
