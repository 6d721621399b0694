"""The board, meetings and activities over HTTP."""

from __future__ import annotations

import pytest

from tests.registry.conftest import NATIONAL, VL, Registry

pytestmark = pytest.mark.integration


def seats(ids: list[str]) -> list[dict[str, str]]:
    positions = ["chair", "vice_chair", "member", "member", "member"]
    return [{"position": p, "member_id": m} for p, m in zip(positions, ids, strict=False)]


def test_a_full_board_of_current_members_with_history(registry: Registry) -> None:
    club = registry.club()
    ids = [registry.member(club["id"], full_name=f"Thành viên {n}")["id"] for n in range(7)]
    url = f"/v1/clubs/{club['id']}/board"
    first = registry.http.put(
        url, headers=VL, json={"effective_on": "2024-01-01", "seats": seats(ids[:5])}
    )
    assert first.status_code == 200 and first.json()["complete"] is True
    registry.http.post(f"/v1/members/{ids[0]}/leave", headers=VL, json={"left_on": "2025-01-01"})
    after = registry.http.get(url, headers=NATIONAL).json()
    assert after["complete"] is False and len(after["seats"]) == 4
    second = registry.http.put(
        url, headers=VL, json={"effective_on": "2025-02-01", "seats": seats([ids[5], *ids[1:5]])}
    )
    assert second.json()["complete"] is True
    history = registry.http.get(url, params={"history": True}, headers=VL).json()["history"]
    assert len(history) == 10
    assert sum(1 for s in history if s["to_on"] is None) == 5


@pytest.mark.parametrize("case", ["sixth", "non_member", "two_chairs", "twice"])
def test_impossible_boards_are_refused(registry: Registry, case: str) -> None:
    club = registry.club()
    other = registry.club(name="CLB Khác")
    ids = [registry.member(club["id"], full_name=f"TV {n}")["id"] for n in range(6)]
    outsider = registry.member(other["id"], full_name="Người ngoài")["id"]
    proposed = seats(ids[:5])
    if case == "sixth":
        proposed.append({"position": "member", "member_id": ids[5]})
    elif case == "non_member":
        proposed[4]["member_id"] = outsider
    elif case == "two_chairs":
        proposed[1]["position"] = "chair"
    else:
        proposed[4]["member_id"] = ids[0]
    reply = registry.http.put(
        f"/v1/clubs/{club['id']}/board",
        headers=VL,
        json={"effective_on": "2024-01-01", "seats": proposed},
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["field"].startswith("seats")
    assert registry.http.get(f"/v1/clubs/{club['id']}/board", headers=VL).json()["seats"] == []


def test_meetings_and_activities(registry: Registry) -> None:
    club = registry.club()
    meeting = registry.http.post(
        f"/v1/clubs/{club['id']}/meetings",
        headers=VL,
        json={
            "held_on": "2026-05-05",
            "attendance": 48,
            "hardship_cases_chosen": 2,
            "hardship_cases_supported": 2,
            "plan_recorded": True,
            "report_recorded": True,
        },
    )
    assert meeting.status_code == 201, meeting.text
    future = registry.http.post(
        f"/v1/clubs/{club['id']}/meetings",
        headers=VL,
        json={"held_on": "2999-01-01", "attendance": 1},
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "held_on"
    too_many = registry.http.post(
        f"/v1/clubs/{club['id']}/meetings",
        headers=VL,
        json={
            "held_on": "2026-05-05",
            "attendance": 1,
            "hardship_cases_chosen": 1,
            "hardship_cases_supported": 2,
        },
    )
    assert too_many.status_code == 422
    activity = registry.http.post(
        f"/v1/clubs/{club['id']}/activities",
        headers=VL,
        json={"area": "spiritual_cultural", "held_on": "2026-05-06", "participants": 30},
    )
    assert activity.status_code == 201
    unknown = registry.http.post(
        f"/v1/clubs/{club['id']}/activities",
        headers=VL,
        json={"area": "karaoke", "held_on": "2026-05-06", "participants": 30},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "area"
    listed = registry.http.get(f"/v1/clubs/{club['id']}/meetings", headers=NATIONAL).json()
    assert [m["attendance"] for m in listed["items"]] == [48]
    assert (
        len(registry.http.get(f"/v1/clubs/{club['id']}/activities", headers=VL).json()["items"])
        == 1
    )
