"""`GET /v1/reconciliation/clubs` (ishc_platform.reconciliation), served by the
registry in-process on SQLite and PostgreSQL: each club's tallies, paged with
one `as_of` carried by the cursor, filtered by province; readable by ops and
service tokens only; a garbled cursor or an `as_of` without its offset is a
422 naming the parameter. (Finance's and health's tallies, and reporting's
comparison, run in tests/reporting/integration/test_reconciliation.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from ishc_contracts.tallies import REGISTRY_TALLIES
from ishc_platform.auth import Role
from ishc_platform.clock import utcnow
from ishc_platform.pagination import encode_cursor
from ishc_platform.reconciliation import PATH
from tests.registry.conftest import DN, NATIONAL, OPS, VL, Registry, bearer, open_registry

pytestmark = pytest.mark.integration
SERVICE = bearer(Role.SERVICE, sub="reporting")
DONG_NAI = "75"
BINH_PHUOC = "25195"  # Phường Bình Phước, Đồng Nai


@pytest.fixture
def registry(database_url: str, redis_url: str) -> Iterator[Registry]:
    with open_registry(database_url, redis_url) as opened:
        yield opened


def load(registry: Registry) -> dict[str, dict[str, int]]:
    """Three clubs of Vĩnh Long, with what each holds, as the tallies should say."""
    expected: dict[str, dict[str, int]] = {}
    for n in range(3):
        club_id = registry.club(name=f"CLB {n}")["id"]
        members = [registry.member(club_id, full_name=f"Hội viên {k}")["id"] for k in range(n + 1)]
        for k in range(n):
            reply = registry.http.post(
                f"/v1/clubs/{club_id}/meetings",
                headers=VL,
                json={
                    "held_on": f"2026-0{k + 1}-15",
                    "attendance": 10 + k,
                    "hardship_cases_chosen": 1,
                    "hardship_cases_supported": k,
                },
            )
            assert reply.status_code == 201, reply.text
        reply = registry.http.post(
            f"/v1/clubs/{club_id}/activities",
            headers=VL,
            json={"area": "rights", "held_on": "2026-03-01", "participants": 7},
        )
        assert reply.status_code == 201, reply.text
        if n == 2:
            left = registry.http.post(
                f"/v1/members/{members[0]}/leave", headers=VL, json={"left_on": "2026-06-30"}
            )
            assert left.status_code == 200, left.text
        expected[club_id] = {
            "clubs": 1,
            "dissolved": 0,
            "members": n + 1,
            "members_active": n + (0 if n == 2 else 1),
            "meetings": n,
            "meeting_attendance": sum(10 + k for k in range(n)),
            "hardship_cases_supported": sum(range(n)),
            "activities": 1,
            "activity_participants": 7,
        }
    return expected


def read_all(registry: Registry, **params: str | int) -> tuple[list[dict[str, object]], int]:
    items: list[dict[str, object]] = []
    pages, cursor = 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        reply = registry.http.get(PATH, params=query, headers=OPS)
        assert reply.status_code == 200, reply.text
        page = reply.json()
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            return items, pages


def test_tallies_per_club_paged_under_one_as_of(registry: Registry) -> None:
    expected = load(registry)
    items, pages = read_all(registry, limit=2)
    assert pages == 2  # three clubs, two a page
    assert {i["club_id"]: i["counts"] for i in items} == expected
    assert {i["province"] for i in items} == {"86"}
    assert [i["club_id"] for i in items] == sorted(expected)

    # A club created after the first page's as_of is not on the next page: the
    # cursor carries the instant.
    first = registry.http.get(PATH, params={"limit": 1}, headers=OPS).json()
    later = registry.club(name="CLB mới")["id"]
    rest, cursor = [], first["next_cursor"]
    while cursor:
        page = registry.http.get(PATH, params={"limit": 1, "cursor": cursor}, headers=OPS).json()
        assert page["as_of"] == first["as_of"]
        rest += [i["club_id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert later not in rest and len(rest) == 2
    assert later in [i["club_id"] for i in read_all(registry)[0]]  # a new listing sees it

    # as_of before anything was created counts nothing (the filter can exclude).
    before = (utcnow() - timedelta(days=1)).isoformat()
    assert read_all(registry, as_of=before)[0] == []

    # The province filter: one club in Đồng Nai, four in Vĩnh Long.
    dong_nai = registry.http.post(
        "/v1/clubs", headers=DN, json={"name": "CLB Bình Phước", "commune_code": BINH_PHUOC,
                                       "founded_on": "2020-01-01"},
    )  # fmt: skip
    assert dong_nai.status_code == 201, dong_nai.text
    [only] = read_all(registry, province=DONG_NAI)[0]
    assert (only["club_id"], only["province"]) == (dong_nai.json()["id"], DONG_NAI)
    assert len(read_all(registry, province="86")[0]) == 4


def test_a_dissolved_club_tallies_its_dissolution(registry: Registry) -> None:
    club_id = registry.club()["id"]
    registry.member(club_id)
    reply = registry.http.post(
        f"/v1/clubs/{club_id}/dissolve",
        headers=VL,
        json={"dissolved_on": "2026-10-01", "reason": "Sáp nhập"},
    )
    assert reply.status_code == 200, reply.text
    [item] = read_all(registry)[0]
    assert item["counts"]["dissolved"] == 1  # type: ignore[index]
    assert item["counts"]["members_active"] == 0  # type: ignore[index]  # memberships end


def test_only_ops_and_service_tokens_read_tallies(registry: Registry) -> None:
    registry.club()
    assert registry.http.get(PATH).status_code == 401
    assert registry.http.get(PATH, headers={"Authorization": "Bearer nope"}).status_code == 401
    for headers in (VL, NATIONAL):
        reply = registry.http.get(PATH, headers=headers)
        assert reply.status_code == 403, reply.text
        assert reply.headers["content-type"].startswith("application/problem+json")
    for headers in (OPS, SERVICE):
        reply = registry.http.get(PATH, headers=headers)
        assert reply.status_code == 200, reply.text
        assert len(reply.json()["items"]) == 1


BAD_INPUT: list[tuple[dict[str, str], str]] = [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": encode_cursor({"after": "x"})}, "cursor"),  # no as_of in it
    ({"cursor": encode_cursor({"after": "x", "as_of": "yesterday"})}, "cursor"),
    ({"cursor": encode_cursor({"after": "x", "as_of": "2026-11-30T00:00:00"})}, "cursor"),
    ({"as_of": "2026-11-30T10:00:00"}, "as_of"),  # no offset
    ({"as_of": "soon"}, "as_of"),
    ({"as_of": "0001-01-01T00:00:00+01:00"}, "as_of"),  # before year 1 in UTC
    ({"cursor": encode_cursor({"after": "x", "as_of": "0001-01-01T00:00:00+01:00"})}, "cursor"),
    ({"province": "8"}, "province"),
    ({"limit": "501"}, "limit"),
    (
        {
            "cursor": encode_cursor({"after": "x", "as_of": "2026-11-30T00:00:00+00:00"}),
            "as_of": "2026-11-29T00:00:00+00:00",  # not the cursor's
        },
        "as_of",
    ),
]


def test_bad_input_is_a_422_naming_the_parameter(registry: Registry) -> None:
    for params, field in BAD_INPUT:
        reply = registry.http.get(PATH, params=params, headers=OPS)
        assert reply.status_code == 422, (params, reply.text)
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in reply.json()["errors"]] == [field], params
    # The same cursor with its own as_of, or none, is fine: the check above can pass.
    as_of = "2026-11-30T00:00:00+00:00"
    cursor = encode_cursor({"after": "x", "as_of": as_of})
    for params in ({"cursor": cursor}, {"cursor": cursor, "as_of": as_of}):
        assert registry.http.get(PATH, params=params, headers=OPS).status_code == 200


def test_the_openapi_names_every_tally(registry: Registry) -> None:
    document = registry.http.get("/openapi.json").json()
    operation = document["paths"][PATH]["get"]
    assert {"401", "403", "422"} <= set(operation["responses"])
    counts = document["components"]["schemas"]["RegistryTallyCounts"]
    assert set(counts["required"]) == set(REGISTRY_TALLIES)
    assert len(REGISTRY_TALLIES) == 9  # the registry's nine, as docs/operations.md lists
