"""Every change puts exactly one event of the right type on `ishc.registry`,
and no member's name reaches a stream entry or a log line."""

from __future__ import annotations

import json

import pytest

from tests.registry.conftest import VL, Registry

pytestmark = pytest.mark.integration
NAMES = ["Nguyễn Thị Lan", "Trần Văn Bảy", "Lê Thị Hồng"]


def _forms(name: str) -> list[bytes]:
    return [name.encode(), json.dumps(name).strip('"').encode(), name.split()[-1].encode()]


def test_each_change_publishes_one_event_and_no_names(
    registry: Registry, capfd: pytest.CaptureFixture[str]
) -> None:
    http = registry.http
    club = registry.club(name="CLB Liên thế hệ Ấp Mới")
    members = [
        registry.member(club["id"], full_name=n, external_id=f"VL-{i}") for i, n in enumerate(NAMES)
    ]
    expected = ["club.registered"] + ["member.joined"] * 3

    http.patch(
        f"/v1/clubs/{club['id']}", json={"hamlet": "Ấp 2"}, headers={**VL, "If-Match": '"1"'}
    )
    http.post(
        f"/v1/clubs/{club['id']}/relocate",
        json={"commune_code": "29770", "relocated_on": "2025-09-01"},
        headers=VL,
    )
    http.patch(
        f"/v1/members/{members[0]['id']}",
        json={"full_name": "Nguyễn Thị Lan Anh"},
        headers={**VL, "If-Match": '"1"'},
    )
    http.get(f"/v1/members/{members[1]['id']}", headers=VL)  # reads publish nothing
    http.put(
        f"/v1/clubs/{club['id']}/board",
        headers=VL,
        json={
            "effective_on": "2025-01-01",
            "seats": [{"position": "chair", "member_id": members[2]["id"]}],
        },
    )
    http.post(
        f"/v1/clubs/{club['id']}/meetings",
        headers=VL,
        json={"held_on": "2026-01-05", "attendance": 3},
    )
    http.post(
        f"/v1/clubs/{club['id']}/activities",
        headers=VL,
        json={"area": "home_care", "held_on": "2026-01-06", "participants": 2},
    )
    http.post(f"/v1/members/{members[1]['id']}/leave", headers=VL, json={"left_on": "2026-02-01"})
    http.post(f"/v1/members/{members[2]['id']}/leave", headers=VL, json={"left_on": "2026-02-01"})
    http.post(
        f"/v1/clubs/{club['id']}/dissolve",
        headers=VL,
        json={"dissolved_on": "2026-03-01", "reason": "Bà Lê Thị Hồng chuyển đi"},
    )
    expected += [
        "club.updated",
        "club.relocated",
        "member.updated",
        "board.changed",
        "meeting.held",
        "activity.held",
        "member.left",
        "member.left",
        "board.changed",  # the chair left: her seat ends with her
        "club.dissolved",
        "member.left",  # dissolution ends the membership still active
    ]

    events = registry.events()
    assert [
        e["type"].removeprefix("ishc.registry.").removesuffix(".v1") for e in events
    ] == expected
    assert all(e["province"] == "86" for e in events)
    left_chair = events[-3]["data"]
    assert left_chair["seats"] == [] and left_chair["complete"] is False
    joined = events[1]["data"]
    assert set(joined) == {
        "member_id",
        "club_id",
        "sex",
        "birth_year",
        "poverty_status",
        "is_volunteer",
        "ethnic_minority",  # the flag, never the ethnicity (ADR 0007)
        "joined_on",
    }

    raw = registry.raw_stream()
    logs = capfd.readouterr().out.encode()
    for name in [*NAMES, "Nguyễn Thị Lan Anh"]:
        for form in _forms(name):
            assert form not in raw, f"{form!r} is on the stream"
            assert form not in logs, f"{form!r} is in the logs"
    assert b"VL-0" not in raw  # the person's key stays in the registry too
    assert "chuyển đi".encode() not in raw
