"""Consent and health checks over HTTP, on SQLite and PostgreSQL: each route's
success with exact values and events, and each bad input answered by a precise
problem naming the field, with nothing changed (no row, no event).

The world: a club of Vĩnh Long founded 15/03/2018; a member who joined on
10/01/2019; a volunteer of the same club; today is 01/12/2026."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from ishc_platform.db import make_sync_engine
from tests.health.conftest import DN, NATIONAL, OPS, VINH_LONG, VL, Health

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
HEALTH_TABLES = (
    "consent",
    "health_check",
    "health_book_access",
    "insurance",
    "home_care_visit",
    "community_person",
    "exercise_session",
)
PURPOSE = "Khám sức khỏe định kỳ và lập sổ theo dõi sức khỏe"


def ok(reply: Any, status: int = 201) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    return body


def refused(reply: Any, field: str, status: int = 422) -> dict[str, Any]:
    """The problem of a refused request, asserting it names `field`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = reply.json()
    assert field in [e["field"] for e in problem.get("errors", [])], problem
    return problem


def denied(reply: Any, status: int) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(PROBLEM)


def rows(health: Health, query: str) -> list[tuple[Any, ...]]:
    engine = make_sync_engine(health.database_url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(query))]
    finally:
        engine.dispose()


def state(health: Health) -> dict[str, Any]:
    """Everything a refused request must leave as it was: the rows of every health
    table (each whole), and the events recorded (the outbox, without the relay's
    marks, which move as it publishes)."""
    found = {
        table: sorted(map(repr, rows(health, f"SELECT * FROM {table}"))) for table in HEALTH_TABLES
    }
    found["outbox"] = rows(
        health, "SELECT event_id, type, subject, sequence FROM outbox ORDER BY id"
    )
    return found


def outbox(health: Health) -> list[dict[str, Any]]:
    """The events recorded, in the order written: type, subject and payload."""
    found = rows(
        health, "SELECT type, subject, sequence, province, envelope FROM outbox ORDER BY id"
    )
    return [
        {
            "type": kind.removeprefix("ishc.health.").removesuffix(".v1"),
            "subject": subject,
            "sequence": sequence,
            "province": province,
            "data": json.loads(envelope)["data"],
        }
        for kind, subject, sequence, province, envelope in found
    ]


@dataclass(frozen=True)
class World:
    club: str
    member: str
    volunteer: str


def world(health: Health) -> World:
    club = health.club()
    return World(
        club=club,
        member=health.member(club),
        volunteer=health.member(club, is_volunteer=True),
    )


def give_consent(
    health: Health,
    member: str,
    given_on: str = "2025-01-02",
    scopes: tuple[str, ...] = ("health_checks",),
    headers: dict[str, str] = VL,
) -> dict[str, Any]:
    return ok(
        health.http.post(
            f"/v1/members/{member}/consent",
            json={"given_on": given_on, "purpose": PURPOSE, "scopes": list(scopes)},
            headers=headers,
        )
    )


def post_check(health: Health, member: str, headers: dict[str, str] = VL, **body: Any) -> Any:
    payload = {"checked_on": "2026-11-20", "checker": "station", **body}
    return health.http.post(f"/v1/members/{member}/health-checks", json=payload, headers=headers)


def record_check(health: Health, member: str, **body: Any) -> dict[str, Any]:
    return ok(post_check(health, member, **body))


# -- consent ---------------------------------------------------------------------------


def test_a_member_gives_withdraws_and_gives_again_their_consent(health: Health) -> None:
    w = world(health)
    given = give_consent(health, w.member, scopes=("home_care", "health_checks", "home_care"))
    assert given == {
        "id": given["id"],
        "member_id": w.member,
        "club_id": w.club,
        "province": VINH_LONG,
        "given_on": "2025-01-02",
        "purpose": PURPOSE,
        "scopes": ["health_checks", "home_care"],
        "recorded_by": "vinh-long-staff",
        "standing": True,
        "withdrawn_on": None,
        "withdrawn_by": None,
    }
    withdrawn = ok(
        health.http.post(
            f"/v1/members/{w.member}/consent/withdraw",
            json={"withdrawn_on": "2026-03-04"},
            headers=VL,
        ),
        200,
    )
    assert withdrawn == {
        **given,
        "standing": False,
        "withdrawn_on": "2026-03-04",
        "withdrawn_by": "vinh-long-staff",
    }
    again = give_consent(health, w.member, given_on="2026-03-05")
    assert again["scopes"] == ["health_checks"] and again["standing"] is True
    history = ok(health.http.get(f"/v1/members/{w.member}/consent", headers=VL), 200)
    assert [(c["id"], c["given_on"], c["withdrawn_on"]) for c in history["items"]] == [
        (given["id"], "2025-01-02", "2026-03-04"),
        (again["id"], "2026-03-05", None),
    ]
    assert history["next_cursor"] is None
    first = ok(health.http.get(f"/v1/members/{w.member}/consent?limit=1", headers=VL), 200)
    assert [c["id"] for c in first["items"]] == [given["id"]]
    rest = ok(
        health.http.get(
            f"/v1/members/{w.member}/consent?limit=1&cursor={first['next_cursor']}", headers=VL
        ),
        200,
    )
    assert [c["id"] for c in rest["items"]] == [again["id"]] and rest["next_cursor"] is None
    assert outbox(health) == [
        {
            "type": "consent.given",
            "subject": w.member,
            "sequence": 1,
            "province": VINH_LONG,
            "data": {
                "consent_id": given["id"],
                "member_id": w.member,
                "club_id": w.club,
                "given_on": "2025-01-02",
                "scopes": ["health_checks", "home_care"],
            },
        },
        {
            "type": "consent.withdrawn",
            "subject": w.member,
            "sequence": 2,
            "province": VINH_LONG,
            "data": {
                "consent_id": given["id"],
                "member_id": w.member,
                "club_id": w.club,
                "withdrawn_on": "2026-03-04",
            },
        },
        {
            "type": "consent.given",
            "subject": w.member,
            "sequence": 3,
            "province": VINH_LONG,
            "data": {
                "consent_id": again["id"],
                "member_id": w.member,
                "club_id": w.club,
                "given_on": "2026-03-05",
                "scopes": ["health_checks"],
            },
        },
    ]
    published = health.events()
    assert [e["type"] for e in published] == [
        "ishc.health.consent.given.v1",
        "ishc.health.consent.withdrawn.v1",
        "ishc.health.consent.given.v1",
    ]
    assert PURPOSE.encode() not in health.raw_stream()  # the purpose stays here


GOOD_CONSENT = {"given_on": "2025-01-02", "purpose": PURPOSE, "scopes": ["health_checks"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"given_on": "2026-12-02"}, "given_on"),  # tomorrow in Vietnam
        ({"given_on": "2019-01-09"}, "given_on"),  # the day before joining
        ({"given_on": "0001-01-01"}, "given_on"),
        ({"given_on": "2026-02-30"}, "given_on"),
        ({"given_on": None}, "given_on"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"purpose": "Khám\x00"}, "purpose"),
        ({"purpose": "Khám \u202esức khỏe"}, "purpose"),
        ({"purpose": "x" * 501}, "purpose"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes[0]"),
        ({"scopes": "health_checks"}, "scopes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_consent_is_refused_and_changes_nothing(
    health: Health, change: dict[str, Any], field: str
) -> None:
    w = world(health)
    before = state(health)
    reply = health.http.post(
        f"/v1/members/{w.member}/consent", json={**GOOD_CONSENT, **change}, headers=VL
    )
    refused(reply, field)
    assert state(health) == before


def test_consent_conflicts_and_dates_around_membership(health: Health) -> None:
    club = health.club()
    left = health.member(club, left_on=date(2026, 6, 30))
    stays = health.member(club)
    before = state(health)
    on_leaving = {**GOOD_CONSENT, "given_on": "2026-06-30"}
    refused(
        health.http.post(f"/v1/members/{left}/consent", json=on_leaving, headers=VL), "given_on"
    )
    assert state(health) == before
    ok(health.http.post(f"/v1/members/{left}/consent", json={**GOOD_CONSENT}, headers=VL))

    standing = give_consent(health, stays)
    before = state(health)
    problem = refused(
        health.http.post(f"/v1/members/{stays}/consent", json=GOOD_CONSENT, headers=VL),
        "member_id",
        409,
    )
    assert problem["errors"][0]["existing_id"] == standing["id"]
    assert state(health) == before
    withdraw = f"/v1/members/{stays}/consent/withdraw"
    record_check(health, stays, checked_on="2026-11-15", pulse_bpm=70)
    for body, field in [
        ({"withdrawn_on": "2026-12-02"}, "withdrawn_on"),
        ({"withdrawn_on": "2025-01-01"}, "withdrawn_on"),  # before it was given
        ({"withdrawn_on": "2026-11-14"}, "withdrawn_on"),  # before its last check
        ({}, "withdrawn_on"),
        ({"withdrawn_on": "2026-11-20", "reason": "x"}, "reason"),
    ]:
        before = state(health)
        refused(health.http.post(withdraw, json=body, headers=VL), field)
        assert state(health) == before
    ok(health.http.post(withdraw, json={"withdrawn_on": "2026-11-15"}, headers=VL), 200)
    before = state(health)
    refused(
        health.http.post(withdraw, json={"withdrawn_on": "2026-11-20"}, headers=VL),
        "member_id",
        409,
    )
    # a new consent is dated after the withdrawal
    refused(
        health.http.post(
            f"/v1/members/{stays}/consent",
            json={**GOOD_CONSENT, "given_on": "2026-11-15"},
            headers=VL,
        ),
        "given_on",
    )
    assert state(health) == before


def test_consent_is_for_province_tokens_of_the_member_s_province(health: Health) -> None:
    w = world(health)
    given = give_consent(health, w.member)
    before = state(health)
    url = f"/v1/members/{w.member}/consent"
    for headers, status in [(DN, 404), (NATIONAL, 403), (OPS, 403)]:
        denied(health.http.post(url, json=GOOD_CONSENT, headers=headers), status)
        denied(health.http.get(url, headers=headers), status)
        denied(
            health.http.post(
                f"{url}/withdraw", json={"withdrawn_on": "2026-11-01"}, headers=headers
            ),
            status,
        )
    denied(health.http.get(url), 401)
    missing = "0190f5a2-0000-7000-8000-000000000000"
    denied(health.http.get(f"/v1/members/{missing}/consent", headers=VL), 404)
    denied(health.http.get("/v1/members/not%20an%20id/consent", headers=VL), 422)
    refused(health.http.get(f"{url}?cursor=garbled", headers=VL), "cursor")
    assert state(health) == before
    assert ok(health.http.get(url, headers=VL), 200)["items"][0]["id"] == given["id"]


# -- health checks ---------------------------------------------------------------------

FULL = {
    "checked_on": "2026-11-20",
    "checker": "volunteer",
    "systolic_mmhg": 135,
    "diastolic_mmhg": 85,
    "pulse_bpm": 76,
    "weight_kg": 52.5,
    "height_cm": "155.0",
    "glucose_mmol_l": "6.1",
    "external_id": "KSK-2026-11-20-001",
}


def test_a_check_is_recorded_sealed_and_announced_without_its_values(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    reply = post_check(health, w.member, **FULL, checker_member_id=w.volunteer)
    done = ok(reply)
    assert done == {
        "id": done["id"],
        "member_id": w.member,
        "club_id": w.club,
        "province": VINH_LONG,
        "checked_on": "2026-11-20",
        "checker": "volunteer",
        "checker_member_id": w.volunteer,
        "erased": False,
        "external_id": "KSK-2026-11-20-001",
        "recorded_by": "vinh-long-staff",
    }
    assert reply.headers["location"] == f"/v1/members/{w.member}/health-book"
    stored = rows(health, "SELECT checked_on, checker, values_sealed, erased_at FROM health_check")
    assert len(stored) == 1 and stored[0][1] == "volunteer" and stored[0][3] is None
    assert str(stored[0][0]) == "2026-11-20"
    assert stored[0][2].startswith("gAAAAA")  # a Fernet token, not the values
    events = outbox(health)
    assert events[-1] == {
        "type": "check.done",
        "subject": w.member,
        "sequence": 2,
        "province": VINH_LONG,
        "data": {
            "check_id": done["id"],
            "member_id": w.member,
            "club_id": w.club,
            "checked_on": "2026-11-20",
            "checker": "volunteer",
        },
    }
    station = record_check(
        health, w.member, checked_on="2026-11-01", station="Trạm y tế xã Long Hồ", pulse_bpm=70
    )
    assert station["checker"] == "station" and station["checker_member_id"] is None
    listed = ok(health.http.get(f"/v1/members/{w.member}/health-checks", headers=VL), 200)
    assert [(c["id"], c["checked_on"]) for c in listed["items"]] == [
        (station["id"], "2026-11-01"),
        (done["id"], "2026-11-20"),
    ]
    assert all("systolic_mmhg" not in c for c in listed["items"])
    page = ok(health.http.get(f"/v1/members/{w.member}/health-checks?limit=1", headers=VL), 200)
    assert [c["id"] for c in page["items"]] == [station["id"]]
    rest = ok(
        health.http.get(
            f"/v1/members/{w.member}/health-checks?limit=1&cursor={page['next_cursor']}",
            headers=VL,
        ),
        200,
    )
    assert [c["id"] for c in rest["items"]] == [done["id"]] and rest["next_cursor"] is None


def test_the_bounds_of_every_range_are_accepted(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    for body in [
        {
            "systolic_mmhg": 260,
            "diastolic_mmhg": 160,
            "pulse_bpm": 220,
            "weight_kg": 250,
            "height_cm": 220,
            "glucose_mmol_l": "35.0",
        },
        {
            "systolic_mmhg": 60,
            "diastolic_mmhg": 30,
            "pulse_bpm": 30,
            "weight_kg": "20.0",
            "height_cm": 100.0,
            "glucose_mmol_l": 1,
        },
        {"systolic_mmhg": 61, "diastolic_mmhg": 60, "weight_kg": "61.70"},
        {},  # a check that measured nothing the book keeps still counts as a check
    ]:
        record_check(health, w.member, **body)
    assert len(rows(health, "SELECT id FROM health_check")) == 4


# (body change, field): each a 422 naming the field
BAD_CHECKS: list[tuple[dict[str, Any], str]] = [
    ({"systolic_mmhg": 20}, "systolic_mmhg"),
    ({"systolic_mmhg": 400}, "systolic_mmhg"),
    ({"systolic_mmhg": 59}, "systolic_mmhg"),
    ({"systolic_mmhg": 261}, "systolic_mmhg"),
    ({"systolic_mmhg": -120}, "systolic_mmhg"),
    ({"systolic_mmhg": 10**30}, "systolic_mmhg"),
    ({"systolic_mmhg": 120.5}, "systolic_mmhg"),  # a float where a whole number is expected
    ({"systolic_mmhg": 120.0}, "systolic_mmhg"),
    ({"systolic_mmhg": "120"}, "systolic_mmhg"),
    ({"systolic_mmhg": True}, "systolic_mmhg"),
    ({"diastolic_mmhg": 29}, "diastolic_mmhg"),
    ({"diastolic_mmhg": 161}, "diastolic_mmhg"),
    ({"systolic_mmhg": 120, "diastolic_mmhg": 120}, "diastolic_mmhg"),
    ({"systolic_mmhg": 120, "diastolic_mmhg": 130}, "diastolic_mmhg"),
    ({"pulse_bpm": 29}, "pulse_bpm"),
    ({"pulse_bpm": 221}, "pulse_bpm"),
    ({"weight_kg": 19.9}, "weight_kg"),
    ({"weight_kg": "250.1"}, "weight_kg"),
    ({"weight_kg": 61.75}, "weight_kg"),  # two decimals
    ({"weight_kg": "61,7"}, "weight_kg"),  # a decimal comma is for the printed page
    ({"weight_kg": "NaN"}, "weight_kg"),
    ({"weight_kg": "Infinity"}, "weight_kg"),
    ({"weight_kg": "1e2"}, "weight_kg"),
    ({"weight_kg": True}, "weight_kg"),
    ({"weight_kg": [61.7]}, "weight_kg"),
    ({"weight_kg": 1e308}, "weight_kg"),
    ({"weight_kg": 10**400}, "weight_kg"),
    ({"height_cm": 99.9}, "height_cm"),
    ({"height_cm": 220.1}, "height_cm"),
    ({"glucose_mmol_l": 0.9}, "glucose_mmol_l"),
    ({"glucose_mmol_l": "35.1"}, "glucose_mmol_l"),
    ({"glucose_mmol_l": "-5.0"}, "glucose_mmol_l"),
    ({"checked_on": "2026-12-02"}, "checked_on"),  # tomorrow in Vietnam (UTC says 30/11)
    ({"checked_on": "2019-01-09"}, "checked_on"),  # the day before the member joined
    ({"checked_on": "0001-01-01"}, "checked_on"),
    ({"checked_on": "9999-12-31"}, "checked_on"),
    ({"checked_on": 20261120}, "checked_on"),
    ({"checker": "doctor"}, "checker"),
    ({"checker": "volunteer"}, "checker_member_id"),  # who?
    ({"checker": "station", "checker_member_id": "VOLUNTEER"}, "checker_member_id"),
    ({"checker": "volunteer", "checker_member_id": "MEMBER"}, "checker_member_id"),  # no volunteer
    ({"checker": "volunteer", "checker_member_id": "OTHER"}, "checker_member_id"),  # other club
    ({"checker": "volunteer", "checker_member_id": "LATE"}, "checker_member_id"),  # joined later
    (
        {"checker": "volunteer", "checker_member_id": "0190f5a2-0000-7000-8000-000000000000"},
        "checker_member_id",
    ),
    ({"checker": "volunteer", "checker_member_id": "not an id"}, "checker_member_id"),
    ({"station": "Trạm\x00"}, "station"),
    ({"station": ""}, "station"),
    ({"station": "x" * 201}, "station"),
    ({"external_id": "KSK\t1"}, "external_id"),
    ({"bmi": "21.6"}, "bmi"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CHECKS)
def test_a_bad_check_is_refused_naming_the_field_and_changes_nothing(
    health: Health, change: dict[str, Any], field: str
) -> None:
    w = world(health)
    names = {
        "VOLUNTEER": w.volunteer,
        "MEMBER": health.member(w.club),
        "OTHER": health.member(health.club(), is_volunteer=True),
        "LATE": health.member(w.club, joined_on=date(2026, 11, 21), is_volunteer=True),
    }
    give_consent(health, w.member)
    body = {k: names.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    before = state(health)
    problem = refused(post_check(health, w.member, **body), field)
    assert problem["status"] == 422
    assert state(health) == before


def test_every_refused_value_is_named_in_one_problem(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    before = state(health)
    problem = refused(
        post_check(health, w.member, systolic_mmhg=400, pulse_bpm=10, weight_kg=19, height_cm=80),
        "systolic_mmhg",
    )
    assert [e["field"] for e in problem["errors"]] == [
        "systolic_mmhg",
        "pulse_bpm",
        "weight_kg",
        "height_cm",
    ]
    assert problem["errors"][0]["message"] == "systolic_mmhg must lie between 60 and 260 mmHg"
    assert state(health) == before


def test_a_check_needs_a_standing_consent_covering_it_and_a_member(health: Health) -> None:
    club = health.club()
    without = health.member(club)
    home_care_only = health.member(club)
    give_consent(health, home_care_only, scopes=("home_care",))
    later = health.member(club)
    give_consent(health, later, given_on="2026-11-21")
    withdrawn = health.member(club)
    give_consent(health, withdrawn)
    ok(
        health.http.post(
            f"/v1/members/{withdrawn}/consent/withdraw",
            json={"withdrawn_on": "2026-11-01"},
            headers=VL,
        ),
        200,
    )
    left = health.member(club, left_on=date(2026, 11, 20))
    give_consent(health, left)
    before = state(health)
    for member in (without, home_care_only, later, withdrawn, left):
        problem = refused(post_check(health, member, pulse_bpm=70), "member_id", 409)
        assert problem["status"] == 409
        assert state(health) == before
    assert (
        "left the club on 20/11/2026"
        in refused(post_check(health, left, pulse_bpm=70), "member_id", 409)["detail"]
    )
    # the day before leaving the member was one: a late record of that check is kept
    record_check(health, left, checked_on="2026-11-19", pulse_bpm=70)
    record_check(health, later, checked_on="2026-11-21", pulse_bpm=70)


def test_checks_are_for_province_tokens_of_the_member_s_province(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    record_check(health, w.member, pulse_bpm=70)
    before = state(health)
    url = f"/v1/members/{w.member}/health-checks"
    for headers, status in [(DN, 404), (NATIONAL, 403), (OPS, 403)]:
        denied(post_check(health, w.member, headers=headers, pulse_bpm=70), status)
        denied(health.http.get(url, headers=headers), status)
    denied(post_check(health, w.member, headers={}, pulse_bpm=70), 401)
    missing = "0190f5a2-0000-7000-8000-000000000000"
    denied(post_check(health, missing, pulse_bpm=70), 404)
    refused(health.http.get(f"{url}?cursor=eyJ4IjoxfQ", headers=VL), "cursor")
    refused(health.http.get(f"{url}?limit=501", headers=VL), "limit")
    assert state(health) == before


def test_an_idempotency_key_records_one_check_and_refuses_another_body(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    headers = {**VL, "Idempotency-Key": "tablet-7-check-42"}
    body = {**FULL, "checker": "station"}
    body.pop("external_id")
    first = ok(post_check(health, w.member, headers=headers, **body))
    again = post_check(health, w.member, headers=headers, **body)
    assert again.status_code == 201 and again.json() == first
    assert again.headers.get("idempotent-replayed") == "true"
    after = state(health)
    changed = post_check(health, w.member, headers=headers, **{**body, "systolic_mmhg": 136})
    refused(changed, "Idempotency-Key")
    assert state(health) == after
    assert len(rows(health, "SELECT id FROM health_check")) == 1
    assert [e["type"] for e in outbox(health)] == ["consent.given", "check.done"]
    # another province's token with the same key runs under its own authority: a 404
    denied(
        post_check(
            health, w.member, headers={**DN, "Idempotency-Key": "tablet-7-check-42"}, **body
        ),
        404,
    )
    assert state(health) == after


def test_an_external_id_is_a_check_s_once_in_a_province(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    first = record_check(health, w.member, external_id="KSK-1", pulse_bpm=70)
    before = state(health)
    problem = refused(
        post_check(health, w.member, external_id="KSK-1", pulse_bpm=72), "external_id", 409
    )
    assert problem["errors"][0]["existing_id"] == first["id"]
    assert state(health) == before
    other = health.member(health.club(province="75"), province="75")
    give_consent(health, other, headers=DN)
    ok(post_check(health, other, headers=DN, external_id="KSK-1", pulse_bpm=70))
