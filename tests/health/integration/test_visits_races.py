"""Club activities and insurance under concurrency, on PostgreSQL with real
concurrent transactions: twenty threads released together through the same
in-process app. The club's lock makes each check and its write one step: an
`external_id` of a session or a visit is taken once, and a member's cards never
overlap, whoever wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.health.conftest import VL, Health
from tests.health.integration.test_exercise_api import of_type, state

pytestmark = pytest.mark.integration
RACERS = 20


def race[R](call: Callable[[int], R], n: int = RACERS) -> list[R]:
    """Send n requests at once (threads released together) and return the replies."""
    barrier = threading.Barrier(n)

    def one(i: int) -> R:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def codes(replies: list[Any]) -> list[int]:
    return sorted(r.status_code for r in replies)


def test_a_sessions_external_id_is_taken_once(pg_health: Health) -> None:
    club = pg_health.club()
    for _ in range(RACERS):
        pg_health.member(club)
    replies = race(
        lambda i: pg_health.http.post(
            f"/v1/clubs/{club}/exercise-sessions",
            json={"held_on": "2026-11-30", "participants": i + 1, "external_id": "DS-RACE"},
            headers=VL,
        )
    )
    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    winner = next(r.json()["id"] for r in replies if r.status_code == 201)
    assert {r.json()["errors"][0]["existing_id"] for r in replies if r.status_code == 409} == {
        winner
    }
    assert state(pg_health)["exercise_session"] == [winner]
    assert len(of_type(pg_health.events(), "ishc.health.exercise.held.v1")) == 1


def test_a_visits_external_id_is_taken_once(pg_health: Health) -> None:
    club = pg_health.club()
    volunteer = pg_health.member(club, is_volunteer=True)
    replies = race(
        lambda i: pg_health.http.post(
            f"/v1/clubs/{club}/home-care-visits",
            json={
                "volunteer_id": volunteer,
                "beneficiary": "community",
                "community_person": {"name": f"Người thứ {i}"},
                "visited_on": "2026-11-30",
                "tasks": ["talking"],
                "external_id": "TN-RACE",
            },
            headers=VL,
        )
    )
    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    after = state(pg_health)
    # the losers' new community people went with their transactions
    assert len(after["home_care_visit"]) == 1 and len(after["community_person"]) == 1
    assert len(of_type(pg_health.events(), "ishc.health.visit.made.v1")) == 1


def test_a_members_cards_never_overlap(pg_health: Health) -> None:
    member = pg_health.member(pg_health.club())
    replies = race(
        lambda i: pg_health.http.post(
            f"/v1/members/{member}/insurance",
            json={"valid_from": f"2026-01-{i + 1:02d}", "valid_to": "2026-12-31"},
            headers=VL,
        )
    )
    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    assert len(state(pg_health)["insurance"]) == 1
    assert len(of_type(pg_health.events(), "ishc.health.insurance.recorded.v1")) == 1
