"""A club's exercise sessions (dưỡng sinh) over HTTP, on SQLite and PostgreSQL:
recording one, listing them, the sessions-a-week summary, and every bad input
refused with a problem naming its field and nothing changed.

The clock is pinned to 01/12/2026 in Vietnam (tests/conftest.py). The helpers at
the top are shared by the other `test_visits_*`, `test_insurance_*` and
`test_health_*` modules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text

from ishc_health.models import Consent
from ishc_platform.db import make_sync_engine
from tests.health.conftest import DN, DONG_NAI, NATIONAL, OPS, VL, Health

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
TODAY = date(2026, 12, 1)
TABLES = (
    "exercise_session",
    "community_person",
    "home_care_visit",
    "insurance",
    "consent",
    "health_check",
    "health_book_access",
    "outbox",
)


def ok(reply: Any, status: int = 201) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    return body


def refused(reply: Any, field: str, status: int = 422) -> dict[str, Any]:
    """The problem of a refused request, asserting it names `field`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(PROBLEM), reply.text
    problem: dict[str, Any] = reply.json()
    assert field in [e["field"] for e in problem.get("errors", [])], problem
    assert problem["status"] == status and problem["detail"]
    return problem


def denied(reply: Any, status: int) -> dict[str, Any]:
    """A 401, 403 or 404 problem (no field: it is about the caller or the record)."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(PROBLEM), reply.text
    problem: dict[str, Any] = reply.json()
    assert problem["status"] == status
    return problem


def state(health: Health) -> dict[str, Any]:
    """What a refused request must leave as it was: every health table's rows
    (counts and ids) and the outbox (the events)."""
    engine = make_sync_engine(health.database_url)
    try:
        with engine.connect() as connection:
            return {
                table: sorted(
                    str(row[0])
                    for row in connection.execute(
                        text(f"SELECT {'event_id' if table == 'outbox' else 'id'} FROM {table}")
                    )
                )
                for table in TABLES
            }
    finally:
        engine.dispose()


def give_consent(
    health: Health,
    member_id: str,
    club_id: str,
    scopes: str = "health_checks,home_care",
    given_on: date = date(2026, 1, 5),
    withdrawn_on: date | None = None,
) -> None:
    """A member's consent as the consent use case stores it (its own tests are the
    other half's; here it is only what a visit to a member needs)."""
    engine = make_sync_engine(health.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(Consent),
                [
                    {
                        "id": f"consent-{member_id}"[:36],
                        "member_id": member_id,
                        "club_id": club_id,
                        "given_on": given_on,
                        "purpose": "Theo dõi sức khỏe và chăm sóc tại nhà",
                        "scopes": scopes,
                        "recorded_by": "vinh-long-staff",
                        "withdrawn_on": withdrawn_on,
                        "withdrawn_by": "vinh-long-staff" if withdrawn_on else None,
                        "created_at": datetime(2026, 1, 5, 2, tzinfo=UTC),
                    }
                ],
            )
    finally:
        engine.dispose()


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def club_with_members(
    health: Health, count: int = 40, province: str = "86", **club: Any
) -> tuple[str, list[str]]:
    """A club (founded 15/03/2018 unless said) and `count` members who joined 10/01/2019."""
    club_id = health.club(province=province, **club)
    return club_id, [health.member(club_id, province=province) for _ in range(count)]


SESSION = {"held_on": "2026-11-30", "participants": 32}


def sessions_url(club_id: str) -> str:
    return f"/v1/clubs/{club_id}/exercise-sessions"


# -- success paths ---------------------------------------------------------------------


def test_a_session_is_recorded_with_its_event(health: Health) -> None:
    club, _ = club_with_members(health)
    reply = health.http.post(
        sessions_url(club), json={**SESSION, "external_id": "DS-2026-11-30"}, headers=VL
    )
    body = ok(reply)
    assert body == {
        "id": body["id"],
        "club_id": club,
        "province": "86",
        "held_on": "2026-11-30",
        "participants": 32,
        "external_id": "DS-2026-11-30",
    }
    assert reply.headers["location"] == f"/v1/clubs/{club}/exercise-sessions"
    events = of_type(health.events(), "ishc.health.exercise.held.v1")
    assert len(events) == 1
    event = events[0]
    assert (event["subject"], event["province"], event["sequence"]) == (club, "86", 1)
    assert event["data"] == {
        "session_id": body["id"],
        "club_id": club,
        "held_on": "2026-11-30",
        "participants": 32,
    }
    for headers in (VL, NATIONAL):
        listed = ok(health.http.get(sessions_url(club), headers=headers), 200)
        assert listed == {"items": [body], "next_cursor": None}


def test_the_summary_judges_three_sessions_a_week(health: Health) -> None:
    """Four whole weeks (02/11–29/11/2026) and twelve sessions: exactly 3 a week."""
    club, _ = club_with_members(health)
    for i in range(12):
        held_on = date(2026, 11, 2) + timedelta(days=2 * i + (i % 2))
        ok(
            health.http.post(
                sessions_url(club),
                json={"held_on": held_on.isoformat(), "participants": 20 + i},
                headers=VL,
            )
        )
    # one outside the period, which the summary leaves out
    ok(health.http.post(sessions_url(club), json={**SESSION, "held_on": "2026-11-30"}, headers=VL))
    period = {"from": "2026-11-02", "to": "2026-11-29"}
    for headers in (VL, NATIONAL):
        summary = ok(
            health.http.get(f"{sessions_url(club)}/summary", params=period, headers=headers), 200
        )
        assert summary == {
            "club_id": club,
            "province": "86",
            "date_from": "2026-11-02",
            "date_to": "2026-11-29",
            "active_from": "2026-11-02",
            "active_to": "2026-11-29",
            "days_active": 28,
            "weeks_active": "4.00",
            "sessions": 12,
            "participants": sum(20 + i for i in range(12)),
            "sessions_per_week": "3.00",
            "rule_per_week": 3,
            "meets_rule": True,
        }
    # November whole: 13 sessions over 30 days is 3.03 a week.
    month = ok(
        health.http.get(
            f"{sessions_url(club)}/summary",
            params={"from": "2026-11-01", "to": "2026-11-30"},
            headers=VL,
        ),
        200,
    )
    assert (month["sessions"], month["days_active"], month["weeks_active"]) == (13, 30, "4.29")
    assert month["sessions_per_week"] == "3.03" and month["meets_rule"] is True
    # by default: the 12 months ending today (02/12/2025–01/12/2026)
    default = ok(health.http.get(f"{sessions_url(club)}/summary", headers=VL), 200)
    assert (default["date_from"], default["date_to"]) == ("2025-12-02", "2026-12-01")
    assert default["days_active"] == 365 and default["sessions"] == 13
    assert default["sessions_per_week"] == "0.25" and default["meets_rule"] is False


def test_a_club_founded_mid_period_is_judged_on_the_weeks_it_existed(health: Health) -> None:
    club, _ = club_with_members(health, 10, founded_on=date(2026, 11, 17))
    for day in (17, 19, 21, 24, 26, 28):
        ok(
            health.http.post(
                sessions_url(club),
                json={"held_on": f"2026-11-{day}", "participants": 10},
                headers=VL,
            )
        )
    summary = ok(
        health.http.get(
            f"{sessions_url(club)}/summary",
            params={"from": "2026-11-01", "to": "2026-11-30"},
            headers=NATIONAL,
        ),
        200,
    )
    assert (summary["active_from"], summary["active_to"]) == ("2026-11-17", "2026-11-30")
    assert (summary["days_active"], summary["weeks_active"]) == (14, "2.00")
    assert (summary["sessions"], summary["sessions_per_week"], summary["meets_rule"]) == (
        6,
        "3.00",
        True,
    )
    before = ok(
        health.http.get(
            f"{sessions_url(club)}/summary",
            params={"from": "2026-10-01", "to": "2026-10-31"},
            headers=VL,
        ),
        200,
    )
    assert before["days_active"] == 0 and before["active_from"] is None
    assert before["sessions_per_week"] is None and before["meets_rule"] is None


def test_sessions_are_listed_in_date_order_page_by_page(health: Health) -> None:
    club, _ = club_with_members(health)
    days = ["2026-11-20", "2026-11-02", "2026-11-25", "2026-11-02", "2026-10-30"]
    ids = [
        ok(
            health.http.post(sessions_url(club), json={"held_on": d, "participants": 5}, headers=VL)
        )["id"]
        for d in days
    ]
    expected = [i for _, i in sorted(zip(days, ids, strict=True))]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(health.http.get(sessions_url(club), params=params, headers=NATIONAL), 200)
        seen += [s["id"] for s in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 3
    window = ok(
        health.http.get(
            sessions_url(club), params={"from": "2026-11-01", "to": "2026-11-20"}, headers=VL
        ),
        200,
    )
    assert [s["held_on"] for s in window["items"]] == ["2026-11-02", "2026-11-02", "2026-11-20"]


# -- bad input: refused, naming the field, nothing changed -------------------------------

BAD_SESSIONS: list[tuple[dict[str, Any], str]] = [
    ({"held_on": "2026-12-02"}, "held_on"),  # tomorrow in Vietnam (today in UTC is 30/11)
    ({"held_on": "2018-03-14"}, "held_on"),  # the day before the club was founded
    ({"held_on": "0001-01-01"}, "held_on"),
    ({"held_on": "9999-12-31"}, "held_on"),
    ({"held_on": "2026-02-30"}, "held_on"),
    ({"held_on": "30/11/2026"}, "held_on"),
    ({"held_on": None}, "held_on"),
    ({"participants": 0}, "participants"),
    ({"participants": -3}, "participants"),
    ({"participants": 1.5}, "participants"),
    ({"participants": 12.0}, "participants"),
    ({"participants": "12"}, "participants"),
    ({"participants": True}, "participants"),
    ({"participants": None}, "participants"),
    ({"participants": 10**30}, "participants"),
    ({"participants": 501}, "participants"),
    ({"participants": 41}, "participants"),  # the club has 40 active members
    ({"external_id": ""}, "external_id"),
    ({"external_id": "DS\x001"}, "external_id"),
    ({"external_id": "DS\t1"}, "external_id"),
    ({"external_id": "x" * 101}, "external_id"),
    ({"external_id": 17}, "external_id"),
    ({"weather": "mưa"}, "weather"),
]


def test_bad_sessions_are_refused_and_change_nothing(health: Health) -> None:
    club, _ = club_with_members(health)
    ok(health.http.post(sessions_url(club), json=SESSION, headers=VL))
    before = state(health)
    for change, field in BAD_SESSIONS:
        reply = health.http.post(sessions_url(club), json={**SESSION, **change}, headers=VL)
        refused(reply, field)
        assert state(health) == before, change


def test_participants_count_the_members_active_that_day(health: Health) -> None:
    club = health.club()
    for _ in range(3):
        health.member(club)
    health.member(club, joined_on=date(2026, 11, 30))  # a fourth from 30/11
    health.member(club, left_on=date(2026, 11, 30))  # counted until 29/11
    ok(health.http.post(sessions_url(club), json={**SESSION, "participants": 4}, headers=VL))
    ok(
        health.http.post(
            sessions_url(club), json={"held_on": "2026-11-29", "participants": 4}, headers=VL
        )
    )
    before = state(health)
    problem = refused(
        health.http.post(
            sessions_url(club), json={"held_on": "2026-11-29", "participants": 5}, headers=VL
        ),
        "participants",
    )
    assert problem["errors"][0]["active_members"] == 4
    assert "4 active members on 29/11/2026" in problem["detail"]
    assert state(health) == before


def test_a_dissolved_club_records_sessions_only_up_to_its_dissolution(health: Health) -> None:
    club, _ = club_with_members(health, 20, dissolved_on=date(2026, 6, 30))
    ok(
        health.http.post(
            sessions_url(club), json={"held_on": "2026-06-30", "participants": 9}, headers=VL
        )
    )
    before = state(health)
    problem = refused(
        health.http.post(
            sessions_url(club), json={"held_on": "2026-07-01", "participants": 9}, headers=VL
        ),
        "held_on",
    )
    assert "dissolved on 30/06/2026" in problem["detail"]
    assert state(health) == before


def test_an_external_id_is_taken_once_in_the_province(health: Health) -> None:
    club, _ = club_with_members(health)
    other, _ = club_with_members(health, 5)
    first = ok(
        health.http.post(sessions_url(club), json={**SESSION, "external_id": "DS-7"}, headers=VL)
    )
    before = state(health)
    for club_id in (club, other):
        problem = refused(
            health.http.post(
                sessions_url(club_id),
                json={"held_on": "2026-11-29", "participants": 3, "external_id": "DS-7"},
                headers=VL,
            ),
            "external_id",
            409,
        )
        assert problem["errors"][0]["existing_id"] == first["id"]
    assert state(health) == before
    # another province has its own keys
    dong_nai, _ = club_with_members(health, 5, province=DONG_NAI)
    ok(
        health.http.post(
            sessions_url(dong_nai),
            json={**SESSION, "participants": 3, "external_id": "DS-7"},
            headers=DN,
        )
    )


def test_an_idempotency_key_replays_or_refuses(health: Health) -> None:
    club, _ = club_with_members(health)
    headers = {**VL, "Idempotency-Key": "ds-2026-11-30-a"}
    first = ok(health.http.post(sessions_url(club), json=SESSION, headers=headers))
    again = health.http.post(sessions_url(club), json=SESSION, headers=headers)
    assert again.status_code == 201 and again.json() == first
    assert again.headers.get("idempotent-replayed") == "true"
    after_first = state(health)
    changed = health.http.post(
        sessions_url(club), json={**SESSION, "participants": 33}, headers=headers
    )
    refused(changed, "Idempotency-Key")
    assert state(health) == after_first
    assert len(after_first["exercise_session"]) == 1
    assert len(of_type(health.events(), "ishc.health.exercise.held.v1")) == 1


def test_who_may_record_and_read_sessions(health: Health) -> None:
    club, _ = club_with_members(health)
    ok(health.http.post(sessions_url(club), json=SESSION, headers=VL))
    before = state(health)
    denied(health.http.post(sessions_url(club), json=SESSION, headers=DN), 404)
    denied(health.http.post(sessions_url(club), json=SESSION, headers=NATIONAL), 403)
    denied(health.http.post(sessions_url(club), json=SESSION, headers=OPS), 403)
    denied(health.http.post(sessions_url(club), json=SESSION), 401)
    assert state(health) == before
    denied(health.http.get(sessions_url(club), headers=DN), 404)
    denied(health.http.get(f"{sessions_url(club)}/summary", headers=DN), 404)
    denied(health.http.get(sessions_url(club), headers=OPS), 403)
    unknown = "0190f5a2-0000-7000-8000-000000000000"
    denied(health.http.get(sessions_url(unknown), headers=NATIONAL), 404)
    denied(health.http.post(sessions_url(unknown), json=SESSION, headers=VL), 404)
    refused(health.http.get(sessions_url("x" * 37), headers=VL), "club_id")
    refused(health.http.get(sessions_url("a;b"), headers=VL), "club_id")


BAD_QUERIES: list[tuple[str, dict[str, Any], str]] = [
    ("", {"cursor": "garbage"}, "cursor"),
    ("", {"cursor": "eyJoZWxkX29uIjoiMjAyNi0xMy0wMSIsImFmdGVyIjoieCJ9"}, "cursor"),
    ("", {"cursor": "x" * 501}, "cursor"),
    ("", {"limit": 0}, "limit"),
    ("", {"limit": 501}, "limit"),
    ("", {"limit": 2.5}, "limit"),
    ("", {"from": "0001-01-01"}, "from"),
    ("", {"to": "2026-02-30"}, "to"),
    ("/summary", {"from": "2026-12-01", "to": "2026-11-01"}, "from"),
    ("/summary", {"to": "9999-12-31"}, "to"),
    ("/summary", {"from": "1899-12-31"}, "from"),
]


def test_bad_queries_are_refused_naming_the_parameter(health: Health) -> None:
    club, _ = club_with_members(health, 3)
    for suffix, params, field in BAD_QUERIES:
        refused(health.http.get(f"{sessions_url(club)}{suffix}", params=params, headers=VL), field)


def test_today_is_vietnams_date(health: Health) -> None:
    """At 01:30 on 01/12/2026 in Vietnam UTC still says 30/11: a session of today
    is fine, one of tomorrow is in the future."""
    club, _ = club_with_members(health, 5)
    ok(
        health.http.post(
            sessions_url(club), json={"held_on": "2026-12-01", "participants": 5}, headers=VL
        )
    )
    problem = refused(
        health.http.post(
            sessions_url(club), json={"held_on": "2026-12-02", "participants": 5}, headers=VL
        ),
        "held_on",
    )
    assert problem["detail"] == "held_on 02/12/2026 is in the future (today is 01/12/2026)"
