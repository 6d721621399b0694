"""Consent and checks under concurrency, on PostgreSQL with real concurrent
transactions: threads released together by a barrier, each sending through the
same in-process app. Every write of a member's health data takes the club's lock
first, so one consent stands at a time, and a withdrawal and the checks racing
it are ordered: a check is recorded before the withdrawal or refused after it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.health.conftest import VL, Health
from tests.health.integration.test_consent_and_checks import (
    GOOD_CONSENT,
    give_consent,
    outbox,
    post_check,
    rows,
    world,
)

pytestmark = pytest.mark.integration
RACERS = 12


def race[R](call: Callable[[int], R], n: int = RACERS) -> list[R]:
    """Send n requests at once (threads released together) and return the replies."""
    barrier = threading.Barrier(n)

    def one(i: int) -> R:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_consents_leave_one_standing(pg_health: Health) -> None:
    w = world(pg_health)
    replies: list[httpx.Response] = race(
        lambda _: pg_health.http.post(
            f"/v1/members/{w.member}/consent", json=GOOD_CONSENT, headers=VL
        )
    )
    assert sorted(r.status_code for r in replies) == [201] + [409] * (RACERS - 1)
    winner = next(r.json()["id"] for r in replies if r.status_code == 201)
    assert all(
        r.json()["errors"][0]["existing_id"] == winner for r in replies if r.status_code == 409
    )
    assert rows(pg_health, "SELECT id FROM consent") == [(winner,)]
    assert [e["type"] for e in outbox(pg_health)] == ["consent.given"]


def test_a_withdrawal_and_the_checks_racing_it_are_ordered(pg_health: Health) -> None:
    w = world(pg_health)
    give_consent(pg_health, w.member)

    def send(i: int) -> httpx.Response:
        if i == 0:
            return pg_health.http.post(
                f"/v1/members/{w.member}/consent/withdraw",
                json={"withdrawn_on": "2026-11-25"},
                headers=VL,
            )
        return post_check(pg_health, w.member, checked_on="2026-11-20", pulse_bpm=60 + i)

    replies = race(send)
    assert replies[0].status_code == 200, replies[0].text
    recorded = [r for r in replies[1:] if r.status_code == 201]
    assert all(r.status_code in (201, 409) for r in replies[1:])
    events = outbox(pg_health)
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["type"] for e in events]
    assert kinds == ["consent.given"] + ["check.done"] * len(recorded) + ["consent.withdrawn"]
    assert len(rows(pg_health, "SELECT id FROM health_check")) == len(recorded)
