"""The dashboard's pages over the real app: languages, names as written,
who sees what, sign-in when it is not public, and no person's data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.api.dashboard import number
from ishc_reporting.app import create_app
from tests.reporting.conftest import Registry, feeder

SECRET = "d" * 48


def make_client(tmp_path: Path, redis_url: str, public: bool) -> TestClient:
    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade("reporting", url)
    registry = Registry()
    club = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(club, "86", 12, joined_on=date(2021, 1, 1))

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
    client = TestClient(create_app(settings))
    client.club_id = club  # type: ignore[attr-defined]
    return client


@pytest.fixture
def public(tmp_path: Path, redis_url: str) -> Iterator[TestClient]:
    with make_client(tmp_path, redis_url, public=True) as client:
        yield client


def test_the_national_table_in_vietnamese_and_english(public: TestClient) -> None:
    page = public.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.count('<tr data-code="') == 34
    assert "Tỉnh, thành phố" in html and "Độ phủ (%)" in html
    assert "Tỉnh Vĩnh Long" in html
    assert 'name="viewport"' in html and "/dashboard/static/live.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    english = public.get("/dashboard", params={"lang": "en"}).text
    assert "Coverage (%)" in english and "Tỉnh Vĩnh Long" in english  # names stay as written
    legacy = public.get("/dashboard", params={"boundary": "legacy"}).text
    assert legacy.count('<tr data-code="') == 63


def test_province_commune_and_club_pages(public: TestClient) -> None:
    province = public.get("/dashboard/provinces/86").text
    assert "Xã Nhơn Phú" in province and "0,80" in province  # 1 of 124 communes
    commune = public.get("/dashboard/communes/29623").text
    assert "CLB Nhơn Phú" in commune
    club = public.get(f"/dashboard/clubs/{public.club_id}", params={"lang": "en"}).text  # type: ignore[attr-defined]
    assert "Members" in club and ">12<" in club
    assert public.get("/dashboard/provinces/99").status_code == 404


def test_the_rollout_page_shows_live_and_quiet_provinces(public: TestClient) -> None:
    html = public.get("/dashboard/rollout").text
    assert html.count('<tr data-code="') == 34
    vinh_long = html.split('<tr data-code="86">')[1].split("</tr>")[0]
    assert "Đang hoạt động" in vinh_long and ">12<" in vinh_long
    dong_nai = html.split('<tr data-code="75">')[1].split("</tr>")[0]
    assert "Chưa có dữ liệu" in dong_nai
    assert "Live" in public.get("/dashboard/rollout", params={"lang": "en"}).text


def test_no_persons_data_on_any_page(public: TestClient) -> None:
    pages = [
        public.get("/dashboard").text,
        public.get("/dashboard/provinces/86").text,
        public.get("/dashboard/communes/29623").text,
        public.get(f"/dashboard/clubs/{public.club_id}").text,  # type: ignore[attr-defined]
    ]
    for html in pages:
        assert "member_id" not in html and "birth" not in html


def test_static_assets_are_a_fixed_list(public: TestClient) -> None:
    assert public.get("/dashboard/static/live.js").status_code == 200
    assert public.get("/dashboard/static/dashboard.css").status_code == 200
    assert public.get("/dashboard/static/..%2Fapp.py").status_code == 404
    assert public.get("/dashboard/static/app.py").status_code == 404


def test_when_not_public_a_token_is_needed_and_a_province_sees_its_own(
    tmp_path: Path, redis_url: str
) -> None:
    with make_client(tmp_path, redis_url, public=False) as client:
        anonymous = client.get("/dashboard", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/dashboard/sign-in")
        assert client.get("/v1/live").status_code == 401
        ops = issue_token(SECRET, sub="ops", role=Role.OPS)
        refused = client.post("/dashboard/sign-in", data={"token": ops}, follow_redirects=False)
        assert refused.status_code == 401
        assert client.post("/dashboard/sign-in", data={"token": "nonsense"}).status_code == 401
        vinh_long = issue_token(SECRET, sub="vl", role=Role.PROVINCE, provinces=["86"])
        signed = client.post(
            "/dashboard/sign-in", data={"token": vinh_long}, follow_redirects=False
        )
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "ishc_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        table = client.get("/dashboard").text
        assert table.count('<tr data-code="') == 1 and 'data-code="86"' in table
        assert client.get("/dashboard/provinces/75").status_code == 404
        client.post("/dashboard/sign-out")
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_numbers_are_written_as_each_language_writes_them() -> None:
    assert number("19.26", "vi") == "19,26"
    assert number("19.26", "en") == "19.26"
    assert number(1234567, "vi") == "1.234.567"
    assert number(1234567, "en") == "1,234,567"
    assert number(None, "vi") == "—"
