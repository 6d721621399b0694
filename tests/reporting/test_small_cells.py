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
from ishc_reporting.app import create_app
from ishc_reporting.domain.small_cells import suppress_small_cells
from ishc_reporting.live import LiveFeed
from tests.reporting.conftest import Registry, feeder

SECRET = "s" * 48
NATIONAL = {"Authorization": f"Bearer {issue_token(SECRET, sub='vae', role=Role.NATIONAL)}"}
NOTE_VI = "Số dưới 5 người được ẩn để bảo vệ thông tin cá nhân"
NOTE_EN = "Counts under 5 people are hidden to protect personal data"
DONG_NAI_COMMUNE = "25195"  # Phường Bình Phước, Đồng Nai (75)


# -- the pure rule ----------------------------------------------------------------------


def club_row(**counts: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "club_id": "c1",
        "name": "CLB",
        "members": 0,
        "women": 0,
        "older": 0,
        "young": 0,
        "poor": 0,
        "volunteers": 0,
        "new_members": 0,
        "hardship_cases_supported": 0,
        "months_required": 12,
        "months_met": 3,
        "checks": {
            "size_ok": False,
            "women_ok": True,
            "older_ok": True,
            "young_ok": False,
            "poor_ok": True,
            "board_ok": True,
            "volunteers_ok": False,
            "meetings_ok": False,
        },
    }
    row.update(counts)
    return row


def test_counts_of_one_to_four_people_read_under_the_threshold() -> None:
    one = club_row(members=1, women=1, older=1, poor=1, volunteers=1, new_members=1)
    shown = suppress_small_cells(one, 5)
    for key in ("members", "women", "older", "poor", "volunteers", "new_members"):
        assert shown[key] == "< 5", key
    assert shown["young"] == 0 and shown["hardship_cases_supported"] == 0  # zero stays 0
    assert shown["months_required"] == 12 and shown["months_met"] == 3  # not people
    # Checks computed from the people of a one-member club are hidden; the club's own are not.
    assert shown["checks"]["women_ok"] is None and shown["checks"]["size_ok"] is None
    assert shown["checks"]["board_ok"] is True and shown["checks"]["meetings_ok"] is False
    assert one["members"] == 1  # the input is left as it was

    five = suppress_small_cells(club_row(members=5, women=5, older=5, poor=5), 5)
    assert five["members"] == 5 and five["women"] == 5 and five["checks"]["women_ok"] is True


def test_a_count_whose_complement_is_small_is_bounded() -> None:
    # 12 members of whom 3 young: "older 9" would give the young away (12 − 9).
    shown = suppress_small_cells(club_row(members=12, women=10, older=9, young=3, poor=12), 5)
    assert shown["members"] == 12 and shown["young"] == "< 5"
    assert shown["older"] == "> 7" and shown["women"] == "> 7"  # 8 to 11: 1 to 4 others
    assert shown["poor"] == 12  # nobody outside the group: nothing to give away
    assert shown["checks"]["women_ok"] is True  # a share over 12 people stays


def test_groups_hide_shares_and_targets_built_on_few_people() -> None:
    province = {
        "code": "75",
        "indicators": {
            "coverage": "0.50",
            "communes": 95,
            "communes_with_club": 1,
            "clubs": 1,
            "new_clubs": 1,
            "members": 2,
            "older_members": 2,
            "women": 0,
            "young": 0,
            "shares": {"women_ok": "0.00", "board_ok": "100.00", "meetings_ok": "0.00"},
            "clubs_meeting": {"women_ok": 0, "board_ok": 1},
        },
        "targets": {
            "members": {"value": 2, "target": "100", "by": "2026-12-31", "gap": "98"},
            "women_ok": {"value": "0.00", "target": "80", "by": "2026-12-31", "gap": "80"},
            "clubs": {"value": 1, "target": "10", "by": "2026-12-31", "gap": "9"},
        },
        "communes": [{"code": "25195", "clubs": 1, "members": 2, "has_club": True}],
    }
    shown = suppress_small_cells(province, 5)
    ind = shown["indicators"]
    assert ind["members"] == "< 5" and ind["older_members"] == "< 5" and ind["women"] == 0
    assert ind["clubs"] == 1 and ind["communes_with_club"] == 1 and ind["coverage"] == "0.50"
    assert ind["shares"] == {"women_ok": None, "board_ok": "100.00", "meetings_ok": "0.00"}
    assert ind["clubs_meeting"] == {"women_ok": None, "board_ok": 1}
    assert shown["targets"]["members"] == {
        "value": "< 5",
        "target": "100",
        "by": "2026-12-31",
        "gap": None,
    }
    assert shown["targets"]["women_ok"]["value"] is None
    assert shown["targets"]["women_ok"]["gap"] is None
    assert shown["targets"]["clubs"]["value"] == 1
    assert shown["communes"][0]["members"] == "< 5" and shown["communes"][0]["clubs"] == 1
    assert suppress_small_cells(province, 2)["indicators"]["members"] == 2  # configurable


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
