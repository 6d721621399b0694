"""Small groups that could identify people are hidden from public views: counts
of 1–4 people read "< 5", counts whose complement in the group is 1–4 are
bounded instead, and shares computed from fewer than 5 people are hidden.
Signed-in viewers and the authenticated API keep exact figures."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.adapters.live_feed import LiveFeed
from ishc_reporting.app import create_app
from tests.reporting.conftest import Registry, feeder

SECRET = "s" * 48
NATIONAL = {"Authorization": f"Bearer {issue_token(SECRET, sub='vae', role=Role.NATIONAL)}"}
NOTE_VI = "Số dưới 5 người được ẩn để bảo vệ thông tin cá nhân"
NOTE_EN = "Counts under 5 people are hidden to protect personal data"
DONG_NAI_COMMUNE = "25195"  # Phường Bình Phước, Đồng Nai (75)


# -- the dashboard and the live feed ------------------------------------------------------


@dataclass
class Small:
    client: TestClient
    url: str
    one: str  # a one-member club
    twelve: str  # twelve members, three of them young men


def start(tmp_path: Path, redis_url: str) -> Small:
    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade("reporting", url)
    registry = Registry()
    one = registry.club("29623", date(2020, 1, 1), name="CLB Một Người")
    registry.members(one, "86", 1, joined_on=date(2021, 1, 1), volunteer=True)
    twelve = registry.club("29410", date(2020, 1, 1), name="CLB Hòa Minh")
    registry.members(twelve, "86", 9, joined_on=date(2021, 1, 1), birth_year=1940)
    registry.members(
        twelve, "86", 3, joined_on=date(2021, 1, 1), sex="male", birth_year=2000, poverty="none"
    )
    pair = registry.club(DONG_NAI_COMMUNE, date(2020, 1, 1), name="CLB Bình Phước")
    registry.members(pair, "75", 2, joined_on=date(2021, 1, 1))

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
        dashboard_public=True,
    )
    return Small(TestClient(create_app(settings)), url, one, twelve)


@pytest.fixture
def small(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Small]:
    monkeypatch.delenv("ISHC_SMALL_CELL_THRESHOLD", raising=False)
    state = start(tmp_path, redis_url)
    with state.client:
        yield state


def row(html: str, code: str) -> str:
    return html.split(f'<tr data-code="{code}">')[1].split("</tr>")[0]


def cards(html: str) -> str:
    return html.split('<div class="cards">')[1].split("</div>\n<")[0]


def test_a_one_member_club_is_not_shown_to_the_public(small: Small) -> None:
    public = small.client
    club = public.get(f"/dashboard/clubs/{small.one}").text
    assert "CLB Một Người" in club and NOTE_VI in club
    assert "<b>1</b>" not in cards(club) and "<b>&lt; 5</b>" in club
    # The checks of its people (women, older, poor…) are hidden; the board's is not.
    checks = club.split("<tbody>")[1].split("</tbody>")[0]
    assert checks.count('<td class="">—</td>') == 6 and "Không" in checks

    english = public.get(f"/dashboard/clubs/{small.one}", params={"lang": "en"}).text
    assert NOTE_EN in english and "<b>&lt; 5</b>" in english

    commune = public.get("/dashboard/communes/29623").text
    club_row_html = commune.split("CLB Một Người</a></th>")[1].split("</tr>")[0]
    assert "<td>1</td>" not in club_row_html and "<td>&lt; 5</td>" in club_row_html
    assert "Hội viên<b>&lt; 5</b>" in cards(commune) and "Số CLB<b>1</b>" in cards(commune)

    twelve = public.get(f"/dashboard/clubs/{small.twelve}").text
    assert "<b>12</b>" in twelve  # members
    assert "Người trẻ: &lt; 5" in twelve  # three young men
    assert "<b>&gt; 7</b>" in twelve  # women, older and poor: 9 of 12 would give the 3 away

    province = public.get("/dashboard/provinces/86").text
    assert NOTE_VI in province
    assert "<b>13</b>" in cards(province)  # the province's members, exact
    hoa_minh = province.split(">Xã Hòa Minh</a></th>")[1].split("</tr>")[0]
    assert "<td>12</td>" in hoa_minh
    nhon_phu = province.split(">Xã Nhơn Phú</a></th>")[1].split("</tr>")[0]
    assert "<td>&lt; 5</td>" in nhon_phu and "<td>1</td>" in nhon_phu  # one club, fewer than 5

    table = public.get("/dashboard").text
    assert NOTE_VI in table
    assert '<td data-field="members">13</td>' in row(table, "86")
    dong_nai = row(table, "75")
    assert '<td data-field="members">&lt; 5</td>' in dong_nai
    assert '<td data-field="clubs">1</td>' in dong_nai
    assert '<td data-field="women_ok">—</td>' in dong_nai  # a share of 2 people
    assert '<td data-field="board_ok">0,00</td>' in dong_nai  # a share of clubs' boards
    assert '<td data-field="members">0</td>' in row(table, "01")  # zero stays 0

    rollout = public.get("/dashboard/rollout").text
    assert "<td>&lt; 5</td>" in row(rollout, "75") and "<td>13</td>" in row(rollout, "86")


def test_signed_in_viewers_and_the_api_keep_exact_figures(small: Small) -> None:
    client = small.client
    club = client.get(f"/dashboard/clubs/{small.one}", headers=NATIONAL).text
    assert "<b>1</b>" in club and NOTE_VI not in club and "&lt; 5" not in club
    table = client.get("/dashboard", headers=NATIONAL).text
    assert '<td data-field="members">2</td>' in row(table, "75")
    api = client.get(f"/v1/indicators/clubs/{small.one}", headers=NATIONAL).json()
    assert api["indicators"]["members"] == 1 and api["indicators"]["women"] == 1
    provinces = client.get("/v1/indicators/provinces", headers=NATIONAL).json()
    dong_nai = next(p for p in provinces["provinces"] if p["code"] == "75")
    assert dong_nai["indicators"]["members"] == 2
    assert dong_nai["indicators"]["shares"]["women_ok"] == "0.00"


def test_the_public_live_feed_hides_small_cells(small: Small) -> None:
    async def snapshots() -> tuple[dict[str, Any], dict[str, Any]]:
        db = Database(small.url)
        feed = LiveFeed(db)
        try:
            await feed._poll()
            everyone = lambda code: True  # noqa: E731
            return feed.snapshot(everyone), feed.snapshot(everyone, exact=True)
        finally:
            await db.dispose()

    public, exact = asyncio.run(snapshots())
    rows = {r["code"]: r for r in public["provinces"]}
    assert rows["75"]["members"] == "< 5" and rows["75"]["clubs"] == 1
    assert rows["75"]["shares"]["women_ok"] is None and rows["86"]["members"] == 13
    assert rows["01"]["members"] == 0
    assert {r["code"]: r for r in exact["provinces"]}["75"]["members"] == 2


def target_row(html: str, indicator: str) -> str:
    return html.split(f'<tr data-indicator="{indicator}">')[1].split("</tr>")[0]


def test_a_plans_targets_about_few_people_are_hidden_from_the_public(small: Small) -> None:
    client = small.client
    for code, plan_id in (("75", "dong-nai-test"), ("86", "vinh-long-test")):
        plan = {
            "id": plan_id,
            "scope": "province",
            "province": code,
            "title": "Kế hoạch thử",
            "period_start": "2025-07-01",
            "period_end": "2027-12-31",
            "targets": [
                {"indicator": "members", "value": "100", "by": "2026-12-31"},
                {"indicator": "borrowers", "value": "50", "by": "2026-12-31"},
                {"indicator": "women_ok", "value": "60", "value_max": "70", "by": "2026-12-31"},
                {"indicator": "funds_ok", "value": "100", "by": "2026-12-31"},
            ],
        }
        reply = client.put(f"/v1/plans/{plan_id}", json=plan, headers=NATIONAL)
        assert reply.status_code == 201
    day = {"as_of": "2026-06-30"}

    # Đồng Nai: two members. Their count reads "< 5", with nothing that gives it away.
    public = client.get("/dashboard/provinces/75", params=day).text
    members = target_row(public, "members")
    assert "<td>&lt; 5</td>" in members and "<td>2</td>" not in members
    assert members.count("<td>—</td>") == 1  # the expected number, drawn from those two
    borrowers = target_row(public, "borrowers")  # a share of two members
    assert "<td>—</td><td>≥ 50%</td><td>—</td>" in borrowers and "0,00%" not in borrowers
    assert "0,00%" not in target_row(public, "women_ok")  # clubs judged on two members
    assert "<td>0,00%</td>" in target_row(public, "funds_ok")  # the clubs' funds: no one's
    signed_in = client.get("/dashboard/provinces/75", params=day, headers=NATIONAL).text
    assert "<td>2</td>" in target_row(signed_in, "members")
    assert "<td>0,00%</td>" in target_row(signed_in, "borrowers")

    # Vĩnh Long: thirteen members, none borrowing, on the plan's own map and day: shown.
    vinh_long = client.get("/dashboard/provinces/86", params=day).text
    assert "<td>13</td>" in target_row(vinh_long, "members")
    assert "<td>0,00%</td>" in target_row(vinh_long, "borrowers")


def test_the_threshold_is_configurable(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISHC_SMALL_CELL_THRESHOLD", "3")
    with start(tmp_path, redis_url).client as client:
        table = client.get("/dashboard").text
        assert "Số dưới 3 người được ẩn" in table
        assert '<td data-field="members">&lt; 3</td>' in row(table, "75")
        twelve = client.get(f"/dashboard/clubs/{small_twelve(client)}").text
        assert "Người trẻ: 3" in twelve  # three is not under three


def small_twelve(client: TestClient) -> str:
    commune = client.get("/v1/indicators/communes/29410", headers=NATIONAL).json()
    club_id: str = commune["clubs"][0]["club_id"]
    return club_id
