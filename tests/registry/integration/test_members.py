"""Members over HTTP: join, read (audited), update, leave, erase, composition."""

from __future__ import annotations

from datetime import date

import pytest

from ishc_platform.clock import today
from tests.registry.conftest import DN, NATIONAL, VL, Registry

pytestmark = pytest.mark.integration


def test_join_read_and_the_composition_of_the_club(registry: Registry) -> None:
    club = registry.club()
    registry.member(club["id"], birth_year=1950, poverty_status="poor", is_volunteer=True)
    registry.member(
        club["id"],
        full_name="Lê Văn Hai",
        sex="male",
        birth_year=1990,
        poverty_status="none",
        ethnic_minority=True,
    )
    registry.member(
        club["id"],
        full_name="Phạm Thị Ba",
        birth_date="1966-12-31",
        birth_year=None,
        poverty_status="disadvantaged",
    )
    on = "2026-06-30"  # Phạm Thị Ba is 59 that day, 60 from 31 December
    composition = registry.http.get(
        f"/v1/clubs/{club['id']}", params={"as_of": on}, headers=VL
    ).json()["composition"]
    assert composition == {
        "on": on,
        "older_age": 60,
        "members": 3,
        "women": 2,
        "older": 1,
        "younger": 2,
        "poor": 1,
        "near_poor": 0,
        "disadvantaged": 1,
        "volunteers": 1,
        "ethnic_minority": 1,
    }
    at_55 = registry.http.get(
        f"/v1/clubs/{club['id']}", params={"as_of": on, "older_age": 55}, headers=VL
    ).json()["composition"]
    assert at_55["older"] == 2
    assert (
        registry.http.get(
            f"/v1/clubs/{club['id']}", params={"older_age": 10}, headers=VL
        ).status_code
        == 422
    )


def test_only_province_tokens_of_the_province_read_people_and_reads_are_audited(
    registry: Registry,
) -> None:
    club = registry.club()
    member = registry.member(club["id"])
    url = f"/v1/members/{member['id']}"
    assert registry.http.get(url, headers=NATIONAL).status_code == 403
    assert registry.http.get(url, headers=DN).status_code == 404
    assert registry.http.get(f"/v1/clubs/{club['id']}/members", headers=NATIONAL).status_code == 403
    assert registry.http.get(url, headers=VL).json()["full_name"] == "Nguyễn Thị Lan"
    listed = registry.http.get(
        f"/v1/clubs/{club['id']}/members", params={"q": "nguyen thi"}, headers=VL
    ).json()
    assert [m["id"] for m in listed["items"]] == [member["id"]]
    audit = registry.http.get("/v1/audit", headers=VL).json()["items"]
    assert [(a["action"], a["member_id"], a["count"]) for a in audit] == [
        ("list", None, 1),
        ("read", member["id"], 1),
    ]
    assert all(a["caller"] == "vinh-long-staff" for a in audit)
    assert registry.http.get("/v1/audit", params={"province": "86"}, headers=DN).status_code == 403
    assert registry.http.get("/v1/audit", headers=DN).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"birth_year": today().year + 1}, "birth_year"),
        ({"birth_year": today().year - 121}, "birth_year"),
        ({"birth_year": None, "birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_year": None}, "birth_year"),
        ({"sex": "x"}, "sex"),
        ({"poverty_status": "rich"}, "poverty_status"),
        ({"joined_on": "2999-01-01"}, "joined_on"),
        ({"birth_year": 1950, "birth_date": "1951-02-03"}, "birth_year"),
    ],
)
def test_bad_members_are_refused_and_change_nothing(
    registry: Registry, body: dict[str, object], field: str
) -> None:
    club = registry.club()
    base = {
        "full_name": "Võ Thị Tư",
        "sex": "female",
        "birth_year": 1950,
        "joined_on": "2020-01-01",
    }
    reply = registry.http.post(f"/v1/clubs/{club['id']}/members", json={**base, **body}, headers=VL)
    assert reply.status_code == 422, reply.text
    assert field in [e["field"] for e in reply.json()["errors"]]
    assert (
        registry.http.get(f"/v1/clubs/{club['id']}", headers=VL).json()["composition"]["members"]
        == 0
    )


def test_one_active_membership_per_person_in_a_province(registry: Registry) -> None:
    first = registry.club()
    second = registry.club(name="CLB Hòa Bình")
    member = registry.member(first["id"], external_id="CCCD-086150001234")
    elsewhere = registry.http.post(
        f"/v1/clubs/{second['id']}/members",
        headers=VL,
        json={
            "full_name": "Nguyễn Thị Lan",
            "sex": "female",
            "birth_year": 1952,
            "joined_on": "2024-01-01",
            "external_id": "CCCD-086150001234",
        },
    )
    assert elsewhere.status_code == 409
    assert elsewhere.json()["errors"][0]["club_id"] == first["id"]
    early = registry.http.post(
        f"/v1/members/{member['id']}/leave", headers=VL, json={"left_on": "2018-01-01"}
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "left_on"
    left = registry.http.post(
        f"/v1/members/{member['id']}/leave", headers=VL, json={"left_on": "2024-01-01"}
    )
    assert left.status_code == 200 and left.json()["left_on"] == "2024-01-01"
    again = registry.http.post(
        f"/v1/members/{member['id']}/leave", headers=VL, json={"left_on": "2024-02-01"}
    )
    assert again.status_code == 409
    moved = registry.member(second["id"], external_id="CCCD-086150001234", joined_on="2024-01-01")
    assert moved["club_id"] == second["id"]


def test_update_with_etag_and_erasure_keeps_the_anonymous_facts(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(
        club["id"], birth_date="1950-04-05", birth_year=None, external_id="VL-M-9"
    )
    url = f"/v1/members/{member['id']}"
    assert registry.http.patch(url, json={"is_volunteer": True}, headers=VL).status_code == 428
    updated = registry.http.patch(
        url,
        json={"is_volunteer": True, "birth_date": "1950-04-06"},
        headers={**VL, "If-Match": '"1"'},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["is_volunteer"] is True and updated.json()["version"] == 2
    erased = registry.http.post(f"{url}/erase", headers=VL).json()
    assert erased["erased"] is True and erased["full_name"] == ""
    assert erased["external_id"] is None and erased["birth_date"] is None
    assert (erased["birth_year"], erased["sex"], erased["is_volunteer"]) == (1950, "female", True)
    assert (
        registry.http.patch(
            url, json={"full_name": "X"}, headers={**VL, "If-Match": f'"{erased["version"]}"'}
        ).status_code
        == 409
    )
    actions = [
        a["action"]
        for a in registry.http.get(
            "/v1/audit", params={"member_id": member["id"]}, headers=VL
        ).json()["items"]
    ]
    assert actions == ["erase"]
    assert date.fromisoformat(erased["joined_on"]) == date(2019, 1, 10)
