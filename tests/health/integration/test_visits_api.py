"""Volunteers' home-care visits over HTTP, on SQLite and PostgreSQL: a visit to a
person of the community (named once, sealed) and to a member (with consent), the
club's list with names and notes for its province, the counts for everyone who
reads counts, and every bad input refused naming its field with nothing changed.

The world: a Vĩnh Long club founded 15/03/2018 with a volunteer, a member who is
not one, and a member cared for who consented to home care; today is 01/12/2026."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from ishc_platform.db import make_sync_engine
from tests.health.conftest import DN, DONG_NAI, NATIONAL, OPS, VL, Health
from tests.health.integration.test_exercise_api import (
    denied,
    give_consent,
    of_type,
    ok,
    refused,
    state,
)

pytestmark = pytest.mark.integration
NAME = "Trần Thị Bích Hạnh"
NOTE = "Bà bị đau khớp gối, cần đưa đi khám."
VISIT_TYPE = "ishc.health.visit.made.v1"


@dataclass(frozen=True)
class World:
    club: str
    volunteer: str
    member: str  # consented to home care
    plain: str  # a member who is no volunteer
    other_club: str
    other_volunteer: str  # a volunteer of another Vĩnh Long club


@pytest.fixture
def world(health: Health) -> World:
    club = health.club()
    volunteer = health.member(club, is_volunteer=True)
    member = health.member(club)
    give_consent(health, member, club)
    plain = health.member(club)
    other_club = health.club()
    other_volunteer = health.member(other_club, is_volunteer=True)
    return World(club, volunteer, member, plain, other_club, other_volunteer)


def visits_url(club_id: str) -> str:
    return f"/v1/clubs/{club_id}/home-care-visits"


def community_visit(world: World, **change: Any) -> dict[str, Any]:
    return {
        "volunteer_id": world.volunteer,
        "beneficiary": "community",
        "community_person": {"name": NAME},
        "visited_on": "2026-11-28",
        "tasks": ["talking", "cooking"],
        "note": NOTE,
        **change,
    }


def member_visit(world: World, **change: Any) -> dict[str, Any]:
    return {
        "volunteer_id": world.volunteer,
        "beneficiary": "member",
        "beneficiary_member_id": world.member,
        "visited_on": "2026-11-29",
        "tasks": ["laundry", "housework"],
        **change,
    }


def database_text(health: Health) -> str:
    """Every row of every table, as text: what a dump would show."""
    engine = make_sync_engine(health.database_url)
    try:
        with engine.connect() as connection:
            if health.database_url.startswith("sqlite"):
                query = "SELECT name FROM sqlite_master WHERE type = 'table'"
            else:
                query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            tables = [row[0] for row in connection.execute(text(query))]
            return "\n".join(
                repr(tuple(row))
                for table in tables
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
    finally:
        engine.dispose()


# -- success paths ---------------------------------------------------------------------


def test_a_community_person_is_named_once_and_visited_again(health: Health, world: World) -> None:
    reply = health.http.post(visits_url(world.club), json=community_visit(world), headers=VL)
    first = ok(reply)
    person = first["community_person_id"]
    assert first == {
        "id": first["id"],
        "club_id": world.club,
        "province": "86",
        "volunteer_id": world.volunteer,
        "beneficiary": "community",
        "beneficiary_member_id": None,
        "community_person_id": person,
        "visited_on": "2026-11-28",
        "tasks": ["talking", "cooking"],
        "has_note": True,
        "external_id": None,
    }
    assert reply.headers["location"] == f"/v1/clubs/{world.club}/home-care-visits"
    assert NAME not in reply.text and "khớp gối" not in reply.text
    second = ok(
        health.http.post(
            visits_url(world.club),
            json={
                "volunteer_id": world.volunteer,
                "beneficiary": "community",
                "community_person_id": person,
                "visited_on": "2026-11-30",
                "tasks": ["clinic", "talking", "clinic"],
            },
            headers=VL,
        )
    )
    assert second["community_person_id"] == person
    assert second["tasks"] == ["talking", "clinic"] and second["has_note"] is False

    events = of_type(health.events(), VISIT_TYPE)
    assert [(e["subject"], e["province"], e["sequence"]) for e in events] == [
        (world.club, "86", 1),
        (world.club, "86", 2),
    ]
    assert events[0]["data"] == {
        "visit_id": first["id"],
        "club_id": world.club,
        "volunteer_id": world.volunteer,
        "beneficiary": "community",
        "beneficiary_id": person,
        "visited_on": "2026-11-28",
        "tasks": ["talking", "cooking"],
    }
    assert events[1]["data"]["beneficiary_id"] == person

    listed = ok(health.http.get(visits_url(world.club), headers=VL), 200)
    assert listed["next_cursor"] is None
    assert [
        (v["id"], v["community_person_name"], v["note"], v["tasks"]) for v in listed["items"]
    ] == [
        (first["id"], NAME, NOTE, ["talking", "cooking"]),
        (second["id"], NAME, None, ["talking", "clinic"]),
    ]
    # At rest the name and the note are sealed: a dump shows neither.
    dump = database_text(health)
    assert NAME not in dump and "khớp gối" not in dump and person in dump


def test_a_member_with_consent_is_visited(health: Health, world: World) -> None:
    reply = health.http.post(
        visits_url(world.club), json=member_visit(world, external_id="TN-29-11"), headers=VL
    )
    visit = ok(reply)
    assert visit == {
        "id": visit["id"],
        "club_id": world.club,
        "province": "86",
        "volunteer_id": world.volunteer,
        "beneficiary": "member",
        "beneficiary_member_id": world.member,
        "community_person_id": None,
        "visited_on": "2026-11-29",
        "tasks": ["laundry", "housework"],
        "has_note": False,
        "external_id": "TN-29-11",
    }
    (event,) = of_type(health.events(), VISIT_TYPE)
    assert event["data"]["beneficiary"] == "member"
    assert event["data"]["beneficiary_id"] == world.member
    listed = ok(health.http.get(visits_url(world.club), headers=VL), 200)
    assert listed["items"] == [{**visit, "community_person_name": None, "note": None}]
    assert state(health)["community_person"] == []


def test_the_summary_counts_visits_people_and_tasks(health: Health, world: World) -> None:
    first = ok(health.http.post(visits_url(world.club), json=community_visit(world), headers=VL))
    person = first["community_person_id"]
    ok(
        health.http.post(
            visits_url(world.club),
            json={
                "volunteer_id": world.volunteer,
                "beneficiary": "community",
                "community_person_id": person,
                "visited_on": "2026-11-30",
                "tasks": ["clinic"],
            },
            headers=VL,
        )
    )
    ok(health.http.post(visits_url(world.club), json=member_visit(world), headers=VL))
    second_volunteer = health.member(world.club, is_volunteer=True)
    ok(
        health.http.post(
            visits_url(world.club),
            json=member_visit(world, volunteer_id=second_volunteer, visited_on="2026-10-15"),
            headers=VL,
        )
    )
    expected = {
        "club_id": world.club,
        "province": "86",
        "date_from": "2025-12-02",
        "date_to": "2026-12-01",
        "visits": 4,
        "people_cared_for": 2,
        "members_cared_for": 1,
        "community_people_cared_for": 1,
        "volunteers": 2,
        "by_task": {
            "talking": 1,
            "cooking": 1,
            "laundry": 2,
            "housework": 2,
            "clinic": 1,
            "other": 0,
        },
    }
    for headers in (VL, NATIONAL):
        summary = ok(health.http.get(f"{visits_url(world.club)}/summary", headers=headers), 200)
        assert summary == expected
    november = ok(
        health.http.get(
            f"{visits_url(world.club)}/summary",
            params={"from": "2026-11-01", "to": "2026-11-30"},
            headers=NATIONAL,
        ),
        200,
    )
    assert (november["visits"], november["people_cared_for"], november["volunteers"]) == (3, 2, 1)
    assert NAME not in str(november)


def test_visits_are_listed_page_by_page(health: Health, world: World) -> None:
    days = ["2026-11-20", "2026-11-02", "2026-11-25"]
    ids = [
        ok(
            health.http.post(
                visits_url(world.club), json=member_visit(world, visited_on=d), headers=VL
            )
        )["id"]
        for d in days
    ]
    first = ok(health.http.get(visits_url(world.club), params={"limit": 2}, headers=VL), 200)
    assert [v["visited_on"] for v in first["items"]] == ["2026-11-02", "2026-11-20"]
    rest = ok(
        health.http.get(
            visits_url(world.club),
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=VL,
        ),
        200,
    )
    assert [v["id"] for v in rest["items"]] == [ids[2]] and rest["next_cursor"] is None
    window = ok(
        health.http.get(visits_url(world.club), params={"to": "2026-11-19"}, headers=VL), 200
    )
    assert [v["id"] for v in window["items"]] == [ids[1]]
    refused(
        health.http.get(visits_url(world.club), params={"cursor": "bm90IG91cnM"}, headers=VL),
        "cursor",
    )


# -- who visits whom -------------------------------------------------------------------


def test_a_visit_by_a_non_volunteer_or_another_clubs_volunteer_is_refused(
    health: Health, world: World
) -> None:
    dong_nai = health.club(province=DONG_NAI)
    far_volunteer = health.member(dong_nai, province=DONG_NAI, is_volunteer=True)
    left = health.member(world.club, is_volunteer=True, left_on=date(2026, 11, 1))
    ok(health.http.post(visits_url(world.club), json=member_visit(world), headers=VL))
    before = state(health)
    cases = [
        (world.plain, "not a home-care volunteer"),
        (world.other_volunteer, "not a member of this club"),
        (far_volunteer, "not a member of this club"),
        ("0190f5a2-0000-7000-8000-000000000000", "not a member of this club"),
        (left, "was not a member of the club on 28/11/2026"),
    ]
    for volunteer, words in cases:
        for body in (
            community_visit(world, volunteer_id=volunteer),
            member_visit(world, volunteer_id=volunteer, visited_on="2026-11-28"),
        ):
            problem = refused(
                health.http.post(visits_url(world.club), json=body, headers=VL), "volunteer_id"
            )
            assert words in problem["detail"], problem
            assert state(health) == before


def test_a_member_cared_for_is_of_the_club_and_consented(health: Health, world: World) -> None:
    no_consent = health.member(world.club)
    withdrawn = health.member(world.club)
    give_consent(health, withdrawn, world.club, withdrawn_on=date(2026, 11, 1))
    checks_only = health.member(world.club)
    give_consent(health, checks_only, world.club, scopes="health_checks")
    left = health.member(world.club, left_on=date(2026, 11, 1))
    give_consent(health, left, world.club)
    other = health.member(world.other_club)
    give_consent(health, other, world.other_club)
    before = state(health)
    cases = [
        (no_consent, "no standing consent covering home care"),
        (withdrawn, "no standing consent covering home care"),
        (checks_only, "no standing consent covering home care"),
        (left, "not a member on 29/11/2026"),
        (other, "not a member of this club"),
        (world.volunteer, "does not visit themself"),
    ]
    for member, words in cases:
        problem = refused(
            health.http.post(
                visits_url(world.club),
                json=member_visit(world, beneficiary_member_id=member),
                headers=VL,
            ),
            "beneficiary_member_id",
        )
        assert words in problem["detail"], problem
        assert state(health) == before


def test_a_community_person_of_another_club_is_not_this_clubs(health: Health, world: World) -> None:
    theirs = ok(
        health.http.post(
            visits_url(world.other_club),
            json=community_visit(world, volunteer_id=world.other_volunteer),
            headers=VL,
        )
    )
    before = state(health)
    body = community_visit(world, community_person_id=theirs["community_person_id"])
    del body["community_person"]
    refused(health.http.post(visits_url(world.club), json=body, headers=VL), "community_person_id")
    assert state(health) == before


# -- bad input: refused, naming the field, nothing changed -------------------------------

BAD_VISITS: list[tuple[str, dict[str, Any], str]] = [
    ("community", {"visited_on": "2026-12-02"}, "visited_on"),  # the future in Vietnam
    ("community", {"visited_on": "2018-03-14"}, "visited_on"),  # before the club
    ("community", {"visited_on": "0001-01-01"}, "visited_on"),
    ("community", {"visited_on": "2026-02-29"}, "visited_on"),
    ("community", {"visited_on": 20261128}, "visited_on"),
    ("community", {"tasks": []}, "tasks"),
    ("community", {"tasks": ["dancing"]}, "tasks[0]"),
    ("community", {"tasks": "talking"}, "tasks"),
    ("community", {"tasks": ["talking"] * 13}, "tasks"),
    ("community", {"note": ""}, "note"),
    ("community", {"note": "x" * 501}, "note"),
    ("community", {"note": "đau\x00"}, "note"),
    ("community", {"note": "đau \u202egối"}, "note"),
    ("community", {"community_person": {"name": ""}}, "community_person.name"),
    ("community", {"community_person": {"name": "  "}}, "community_person.name"),
    ("community", {"community_person": {"name": "x" * 201}}, "community_person.name"),
    (
        "community",
        {"community_person": {"name": "Hạnh", "phone": "0909"}},
        "community_person.phone",
    ),
    ("community", {"community_person": "Hạnh"}, "community_person"),
    ("community", {"community_person": None}, "community_person"),
    ("community", {"community_person_id": "x"}, "community_person_id"),  # and a new person
    ("community", {"beneficiary_member_id": "m"}, "beneficiary_member_id"),
    ("community", {"beneficiary": "neighbour"}, "beneficiary"),
    ("community", {"volunteer_id": "not an id"}, "volunteer_id"),
    ("community", {"volunteer_id": 7}, "volunteer_id"),
    ("community", {"external_id": "TN\x00"}, "external_id"),
    ("community", {"colour": "red"}, "colour"),
    ("member", {"beneficiary_member_id": None}, "beneficiary_member_id"),
    ("member", {"community_person": {"name": NAME}}, "community_person"),
    ("member", {"beneficiary_member_id": "../etc"}, "beneficiary_member_id"),
    ("member", {"visited_on": "2026-12-02"}, "visited_on"),
]


def test_bad_visits_are_refused_and_change_nothing(health: Health, world: World) -> None:
    ok(health.http.post(visits_url(world.club), json=member_visit(world), headers=VL))
    before = state(health)
    for kind, change, field in BAD_VISITS:
        body = (community_visit if kind == "community" else member_visit)(world, **change)
        reply = health.http.post(visits_url(world.club), json=body, headers=VL)
        refused(reply, field)
        assert state(health) == before, (kind, change)


def test_an_external_id_is_taken_once_in_the_province(health: Health, world: World) -> None:
    first = ok(
        health.http.post(
            visits_url(world.club), json=member_visit(world, external_id="TN-1"), headers=VL
        )
    )
    before = state(health)
    problem = refused(
        health.http.post(
            visits_url(world.club),
            json=community_visit(world, external_id="TN-1"),
            headers=VL,
        ),
        "external_id",
        409,
    )
    assert problem["errors"][0]["existing_id"] == first["id"]
    assert state(health) == before


def test_an_idempotency_key_replays_or_refuses(health: Health, world: World) -> None:
    headers = {**VL, "Idempotency-Key": "visit-2026-11-28-hanh"}
    body = community_visit(world)
    first = ok(health.http.post(visits_url(world.club), json=body, headers=headers))
    again = health.http.post(visits_url(world.club), json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first
    assert again.headers.get("idempotent-replayed") == "true"
    after_first = state(health)
    assert len(after_first["home_care_visit"]) == 1
    assert len(after_first["community_person"]) == 1
    changed = health.http.post(
        visits_url(world.club), json={**body, "tasks": ["laundry"]}, headers=headers
    )
    refused(changed, "Idempotency-Key")
    assert state(health) == after_first
    assert len(of_type(health.events(), VISIT_TYPE)) == 1
    # The stored answer, like every row, holds neither the name nor the note.
    dump = database_text(health)
    assert NAME not in dump and "khớp gối" not in dump


def test_who_may_record_read_and_count_visits(health: Health, world: World) -> None:
    ok(health.http.post(visits_url(world.club), json=member_visit(world), headers=VL))
    before = state(health)
    body = community_visit(world)
    denied(health.http.post(visits_url(world.club), json=body, headers=DN), 404)
    denied(health.http.post(visits_url(world.club), json=body, headers=NATIONAL), 403)
    denied(health.http.post(visits_url(world.club), json=body, headers=OPS), 403)
    denied(health.http.post(visits_url(world.club), json=body), 401)
    assert state(health) == before
    denied(health.http.get(visits_url(world.club), headers=NATIONAL), 403)
    denied(health.http.get(visits_url(world.club), headers=OPS), 403)
    denied(health.http.get(visits_url(world.club), headers=DN), 404)
    denied(health.http.get(f"{visits_url(world.club)}/summary", headers=DN), 404)
    denied(health.http.get(f"{visits_url(world.club)}/summary", headers=OPS), 403)
    assert (
        ok(health.http.get(f"{visits_url(world.club)}/summary", headers=NATIONAL), 200)["visits"]
        == 1
    )
