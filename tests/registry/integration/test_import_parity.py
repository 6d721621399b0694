"""An import and the API publish the same events for the same data: the import
registers and changes clubs and members through the API's own code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.registry.conftest import NHON_PHU, VL, Registry
from tests.registry.integration.test_imports import MEMBER_HEADERS, upload, xlsx

pytestmark = pytest.mark.integration
CLUB_HEADERS = ["Tên CLB", "Mã xã", "Mã xã cũ", "Ấp/Khóm", "Ngày thành lập", "Mã CLB"]


def _payload(events: list[dict[str, Any]], kind: str, subject: str) -> dict[str, Any]:
    """The last `kind` event of `subject`, without the ids that differ by design."""
    found = [
        e for e in events if e["type"] == f"ishc.registry.{kind}.v1" and e["subject"] == subject
    ]
    assert found, (kind, subject)
    data = dict(found[-1]["data"])
    return {k: v for k, v in data.items() if k not in {"club_id", "member_id"}}


def _club_id(registry: Registry, external_id: str) -> str:
    clubs = registry.http.get("/v1/clubs", headers=VL).json()["items"]
    return str(next(c["id"] for c in clubs if c["external_id"] == external_id))


def test_a_club_imported_or_registered_publishes_the_same_events(registry: Registry) -> None:
    by_api = registry.club(name="CLB Ấp Một", hamlet="Ấp 1", external_id="API-1")
    sheet: list[list[Any]] = [
        CLUB_HEADERS,
        ["CLB Ấp Một", int(NHON_PHU), None, "Ấp 1", datetime(2018, 3, 15), "IMP-1"],
    ]
    assert upload(registry, xlsx(sheet), "clubs").status_code == 200
    by_import = _club_id(registry, "IMP-1")

    events = registry.events()
    registered = _payload(events, "club.registered", by_import)
    assert registered == _payload(events, "club.registered", by_api["id"])
    assert registered["name"] == "CLB Ấp Một"  # clubs by import are not nameless

    renamed = registry.http.patch(
        f"/v1/clubs/{by_api['id']}", json={"name": "CLB Ấp Hai"}, headers={**VL, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    sheet[1][0] = "CLB Ấp Hai"
    rerun = upload(registry, xlsx(sheet), "clubs")
    assert rerun.status_code == 200 and rerun.json()["updated"] == 1, rerun.text

    events = registry.events()
    updated = _payload(events, "club.updated", by_import)
    assert updated == _payload(events, "club.updated", by_api["id"])
    assert updated["name"] == "CLB Ấp Hai"  # a rename by import reaches reporting


def test_a_member_imported_or_joined_publishes_the_same_events(registry: Registry) -> None:
    club = registry.club(external_id="VL-P")
    by_api = registry.member(
        club["id"],
        full_name="Nguyễn Thị Lan",
        birth_year=1952,
        poverty_status="near_poor",
        is_volunteer=True,
        ethnic_minority=True,
        joined_on="2019-01-10",
        external_id="M-API",
    )
    row: list[Any] = [
        1,
        "Nguyễn Thị Lan",
        "Nữ",
        1952,
        "Cận nghèo",
        "x",  # dân tộc thiểu số
        "x",
        "10/01/2019",
        "M-IMP",
        "VL-P",
    ]
    assert upload(registry, xlsx([MEMBER_HEADERS, row]), "members").status_code == 200
    listed = registry.http.get(f"/v1/clubs/{club['id']}/members", headers=VL).json()["items"]
    by_import = next(m["id"] for m in listed if m["external_id"] == "M-IMP")

    events = registry.events()
    joined = _payload(events, "member.joined", by_import)
    assert joined == _payload(events, "member.joined", by_api["id"])
    assert joined["ethnic_minority"] is True  # the flag takes the same path both ways

    changed = registry.http.patch(
        f"/v1/members/{by_api['id']}",
        json={"poverty_status": "poor"},
        headers={**VL, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    row[4] = "Hộ nghèo"
    rerun = upload(registry, xlsx([MEMBER_HEADERS, row]), "members")
    assert rerun.status_code == 200 and rerun.json()["updated"] == 1, rerun.text

    events = registry.events()
    updated = _payload(events, "member.updated", by_import)
    assert updated == _payload(events, "member.updated", by_api["id"])
    assert updated["poverty_status"] == "poor" and updated["ethnic_minority"] is True
