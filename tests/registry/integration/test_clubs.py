"""Clubs over HTTP: register, read, update with ETags, relocate, dissolve, list."""

from __future__ import annotations

import pytest

from tests.registry.conftest import DN, NATIONAL, NHON_PHU, OPS, VL, Registry

pytestmark = pytest.mark.integration


def test_register_and_read_a_club(registry: Registry) -> None:
    club = registry.club(hamlet="Ấp 3", external_id="VL-CLB-001")
    assert club["province"] == "86" and club["commune_code"] == NHON_PHU
    assert club["status"] == "active" and club["version"] == 1
    read = registry.http.get(f"/v1/clubs/{club['id']}", headers=VL)
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    assert read.json()["composition"]["members"] == 0
    assert registry.http.get(f"/v1/clubs/{club['id']}", headers=NATIONAL).status_code == 200


def test_a_legacy_code_with_one_successor_is_mapped_and_kept(registry: Registry) -> None:
    club = registry.club(commune_code=None, legacy_commune_code="29632")  # old Xã Nhơn Phú
    assert (club["commune_code"], club["legacy_commune_code"]) == (NHON_PHU, "29632")


def test_a_split_legacy_code_needs_one_of_its_successors(registry: Registry) -> None:
    body = {"name": "CLB Ngãi Tứ", "legacy_commune_code": "29764", "founded_on": "2015-01-01"}
    missing = registry.http.post("/v1/clubs", json=body, headers=VL)
    assert missing.status_code == 422
    error = missing.json()["errors"][0]
    assert error["field"] == "commune_code"
    assert {s["code"] for s in error["successors"]} == {"29767", "29770"}
    wrong = registry.http.post("/v1/clubs", json={**body, "commune_code": NHON_PHU}, headers=VL)
    assert wrong.status_code == 422 and "not a successor" in wrong.json()["detail"]
    right = registry.http.post("/v1/clubs", json={**body, "commune_code": "29770"}, headers=VL)
    assert right.status_code == 201 and right.json()["legacy_commune_code"] == "29764"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"commune_code": "99999"}, "commune_code", "not a current commune"),
        ({"commune_code": None, "legacy_commune_code": "01651"}, "commune_code", "no successor"),
        (
            {"commune_code": None, "legacy_commune_code": "00000"},
            "legacy_commune_code",
            "pre-July-2025",
        ),
        ({"commune_code": "2962"}, "commune_code", "pattern"),
        ({"founded_on": "2099-01-01"}, "founded_on", "future"),
        ({"name": "  "}, "name", "at least 1"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_bad_clubs_are_refused_and_change_nothing(
    registry: Registry, body: dict[str, object], field: str, words: str
) -> None:
    base = {"name": "CLB", "commune_code": NHON_PHU, "founded_on": "2018-01-01"}
    reply = registry.http.post("/v1/clubs", json={**base, **body}, headers=VL)
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    errors = reply.json()["errors"]
    assert errors[0]["field"] == field and words in errors[0]["message"]
    assert registry.http.get("/v1/clubs", headers=VL).json()["items"] == []
    assert registry.events(settle=0.3) == []


def test_a_duplicate_external_id_in_the_province_is_a_conflict(registry: Registry) -> None:
    registry.club(external_id="VL-1")
    again = registry.http.post(
        "/v1/clubs",
        headers=VL,
        json={
            "name": "Another",
            "commune_code": NHON_PHU,
            "founded_on": "2019-01-01",
            "external_id": "VL-1",
        },
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "external_id"


def test_tokens_of_other_provinces_and_roles(registry: Registry) -> None:
    club = registry.club()
    assert registry.http.get(f"/v1/clubs/{club['id']}", headers=DN).status_code == 404
    assert registry.http.get(f"/v1/clubs/{club['id']}", headers=OPS).status_code == 403
    assert registry.http.get("/v1/clubs", params={"province": "86"}, headers=DN).status_code == 403
    assert registry.http.get("/v1/clubs", headers=DN).json()["items"] == []
    elsewhere = registry.http.post(
        "/v1/clubs",
        headers=DN,
        json={"name": "CLB", "commune_code": NHON_PHU, "founded_on": "2019-01-01"},
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["errors"][0]["field"] == "commune_code"
    national_write = registry.http.post(
        "/v1/clubs",
        headers=NATIONAL,
        json={"name": "CLB", "commune_code": NHON_PHU, "founded_on": "2019-01-01"},
    )
    assert national_write.status_code == 403
    assert (
        registry.http.post(
            f"/v1/clubs/{club['id']}/dissolve",
            headers=DN,
            json={"dissolved_on": "2025-01-01", "reason": "x"},
        ).status_code
        == 404
    )
    assert registry.http.get("/v1/clubs").status_code == 401


def test_update_needs_the_current_etag(registry: Registry) -> None:
    club = registry.club()
    url = f"/v1/clubs/{club['id']}"
    assert registry.http.patch(url, json={"name": "Mới"}, headers=VL).status_code == 428
    stale = registry.http.patch(url, json={"name": "Mới"}, headers={**VL, "If-Match": '"7"'})
    assert stale.status_code == 412
    ok = registry.http.patch(url, json={"name": "CLB Mới"}, headers={**VL, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"' and ok.json()["name"] == "CLB Mới"
    again = registry.http.patch(url, json={"name": "Khác"}, headers={**VL, "If-Match": '"1"'})
    assert again.status_code == 412


def test_relocate_and_dissolve(registry: Registry) -> None:
    club = registry.club()
    moved = registry.http.post(
        f"/v1/clubs/{club['id']}/relocate",
        headers=VL,
        json={"commune_code": "29770", "relocated_on": "2025-08-01"},
    )
    assert moved.status_code == 200 and moved.json()["commune_code"] == "29770"
    early = registry.http.post(
        f"/v1/clubs/{club['id']}/dissolve",
        headers=VL,
        json={"dissolved_on": "2001-01-01", "reason": "x"},
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "dissolved_on"
    done = registry.http.post(
        f"/v1/clubs/{club['id']}/dissolve",
        headers=VL,
        json={"dissolved_on": "2026-06-30", "reason": "merged"},
    )
    assert done.status_code == 200 and done.json()["status"] == "dissolved"
    twice = registry.http.post(
        f"/v1/clubs/{club['id']}/dissolve",
        headers=VL,
        json={"dissolved_on": "2026-06-30", "reason": "merged"},
    )
    assert twice.status_code == 409
    joining = registry.http.post(
        f"/v1/clubs/{club['id']}/members",
        headers=VL,
        json={
            "full_name": "Trần Văn Ba",
            "sex": "male",
            "birth_year": 1950,
            "joined_on": "2026-07-01",
        },
    )
    assert joining.status_code == 409
    assert registry.http.get(f"/v1/clubs/{club['id']}", headers=VL).json()["status"] == "dissolved"


def test_lists_filter_search_without_accents_and_paginate(registry: Registry) -> None:
    names = ["CLB Nguyễn Thị Định", "CLB Hòa Bình", "CLB Đồng Tâm", "CLB Nhơn Phú"]
    for name in names:
        registry.club(name=name)
    found = registry.http.get("/v1/clubs", params={"q": "nguyen thi dinh"}, headers=VL).json()
    assert [c["name"] for c in found["items"]] == ["CLB Nguyễn Thị Định"]
    assert (
        len(registry.http.get("/v1/clubs", params={"q": "dong tam"}, headers=VL).json()["items"])
        == 1
    )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = registry.http.get("/v1/clubs", params=params, headers=NATIONAL).json()
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(names)
    by_commune = registry.http.get(
        "/v1/clubs", params={"commune_code": NHON_PHU, "status": "active"}, headers=VL
    ).json()
    assert len(by_commune["items"]) == 4
    bad = registry.http.get("/v1/clubs", params={"cursor": "junk"}, headers=VL)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_idempotency_key_on_registration(registry: Registry) -> None:
    body = {"name": "CLB Một Lần", "commune_code": NHON_PHU, "founded_on": "2018-01-01"}
    headers = {**VL, "Idempotency-Key": "import-2026-05-01-row-7"}
    first = registry.http.post("/v1/clubs", json=body, headers=headers)
    again = registry.http.post("/v1/clubs", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    changed = registry.http.post("/v1/clubs", json={**body, "name": "Khác"}, headers=headers)
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(registry.http.get("/v1/clubs", headers=VL).json()["items"]) == 1
    assert [e["type"] for e in registry.events()] == ["ishc.registry.club.registered.v1"]
