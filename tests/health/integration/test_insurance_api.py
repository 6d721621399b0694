"""A member's health insurance (BHYT) over HTTP, on SQLite and PostgreSQL: a card
recorded with its validity (the number sealed, answered masked), the history and
whether the member is covered today, and every bad input refused naming its
field with nothing changed. Today is 01/12/2026."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.health.conftest import DN, DONG_NAI, NATIONAL, OPS, VL, Health
from tests.health.integration.test_exercise_api import denied, of_type, ok, refused, state
from tests.health.integration.test_visits_api import database_text

pytestmark = pytest.mark.integration
CARD = "HT2797924000123"
MASKED = "HT2•••••••••123"
INSURANCE_TYPE = "ishc.health.insurance.recorded.v1"
CARD_2026 = {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "card_number": CARD}


def insurance_url(member_id: str) -> str:
    return f"/v1/members/{member_id}/insurance"


def test_a_card_is_recorded_sealed_and_answered_masked(health: Health) -> None:
    club = health.club()
    member = health.member(club)
    reply = health.http.post(insurance_url(member), json=CARD_2026, headers=VL)
    card = ok(reply)
    assert card == {
        "id": card["id"],
        "member_id": member,
        "club_id": club,
        "province": "86",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "card_number_masked": MASKED,
        "covers_today": True,
    }
    assert reply.headers["location"] == f"/v1/members/{member}/insurance"
    assert CARD not in reply.text
    (event,) = of_type(health.events(), INSURANCE_TYPE)
    assert (event["subject"], event["province"]) == (member, "86")
    assert event["data"] == {
        "insurance_id": card["id"],
        "member_id": member,
        "club_id": club,
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }
    assert CARD not in database_text(health) and CARD.encode() not in health.raw_stream()


def test_the_history_says_whether_the_member_is_covered_today(health: Health) -> None:
    club = health.club()
    member = health.member(club)
    old = ok(
        health.http.post(
            insurance_url(member),
            json={"valid_from": "2025-01-01", "valid_to": "2025-12-31"},
            headers=VL,
        )
    )
    assert old["card_number_masked"] is None and old["covers_today"] is False
    history = ok(health.http.get(insurance_url(member), headers=VL), 200)
    assert (history["covered_today"], history["as_of"], history["member_id"]) == (
        False,
        "2026-12-01",
        member,
    )
    current = ok(
        health.http.post(
            insurance_url(member),
            json={**CARD_2026, "card_number": "ht 2 79 7924000123"},  # typed with spaces
            headers=VL,
        )
    )
    renewal = ok(
        health.http.post(
            insurance_url(member),
            json={"valid_from": "2027-01-01", "valid_to": "2027-12-31", "card_number": CARD},
            headers=VL,
        )
    )
    assert renewal["covers_today"] is False
    history = ok(health.http.get(insurance_url(member), headers=VL), 200)
    assert history["covered_today"] is True and history["next_cursor"] is None
    assert [
        (c["id"], c["valid_from"], c["card_number_masked"], c["covers_today"])
        for c in history["items"]
    ] == [
        (old["id"], "2025-01-01", None, False),
        (current["id"], "2026-01-01", MASKED, True),
        (renewal["id"], "2027-01-01", MASKED, False),
    ]
    first = ok(health.http.get(insurance_url(member), params={"limit": 2}, headers=VL), 200)
    assert [c["id"] for c in first["items"]] == [old["id"], current["id"]]
    assert first["covered_today"] is True  # over every card, not only the page's
    rest = ok(
        health.http.get(
            insurance_url(member), params={"limit": 2, "cursor": first["next_cursor"]}, headers=VL
        ),
        200,
    )
    assert [c["id"] for c in rest["items"]] == [renewal["id"]] and rest["next_cursor"] is None
    assert len(of_type(health.events(), INSURANCE_TYPE)) == 3


def test_a_card_ending_yesterday_does_not_cover_today(health: Health) -> None:
    club = health.club()
    member = health.member(club)
    ok(
        health.http.post(
            insurance_url(member),
            json={"valid_from": "2025-12-01", "valid_to": "2026-11-30"},
            headers=VL,
        )
    )
    assert ok(health.http.get(insurance_url(member), headers=VL), 200)["covered_today"] is False
    ok(
        health.http.post(
            insurance_url(member),
            json={"valid_from": "2026-12-01", "valid_to": "2026-12-01"},
            headers=VL,
        )
    )
    assert ok(health.http.get(insurance_url(member), headers=VL), 200)["covered_today"] is True


BAD_CARDS: list[tuple[dict[str, Any], str, int]] = [
    ({"valid_to": "2025-12-31"}, "valid_to", 422),
    ({"valid_from": "0001-01-01"}, "valid_from", 422),
    ({"valid_to": "9999-12-31"}, "valid_to", 422),
    ({"valid_from": "2026-02-29"}, "valid_from", 422),
    ({"valid_from": None}, "valid_from", 422),
    ({"card_number": "HT279792400012"}, "card_number", 422),
    ({"card_number": "HT27979240001234"}, "card_number", 422),
    ({"card_number": "H32797924000123"}, "card_number", 422),
    ({"card_number": "HT2797924000I23"}, "card_number", 422),
    ({"card_number": "HT2797924000123\x00"}, "card_number", 422),
    ({"card_number": "x" * 41}, "card_number", 422),
    ({"card_number": 2797924000123}, "card_number", 422),
    ({"insurer": "BHXH"}, "insurer", 422),
    # overlaps the card already held (2026-01-01..2026-12-31)
    ({"valid_from": "2026-12-31", "valid_to": "2027-12-30"}, "valid_from", 409),
    ({"valid_from": "2025-06-01", "valid_to": "2026-01-01"}, "valid_from", 409),
]


def test_bad_cards_are_refused_and_change_nothing(health: Health) -> None:
    club = health.club()
    member = health.member(club)
    held = ok(health.http.post(insurance_url(member), json=CARD_2026, headers=VL))
    before = state(health)
    for change, field, status in BAD_CARDS:
        reply = health.http.post(insurance_url(member), json={**CARD_2026, **change}, headers=VL)
        problem = refused(reply, field, status)
        assert CARD not in reply.text, change
        if status == 409:
            assert problem["errors"][0]["existing_id"] == held["id"]
            assert "01/01/2026–31/12/2026" in problem["detail"]
        assert state(health) == before, change


def test_a_member_who_left_gets_no_new_card(health: Health) -> None:
    club = health.club()
    left = health.member(club, left_on=date(2026, 11, 15))
    before = state(health)
    problem = refused(
        health.http.post(insurance_url(left), json=CARD_2026, headers=VL), "member_id", 409
    )
    assert "left the club on 15/11/2026" in problem["detail"]
    assert state(health) == before


def test_an_idempotency_key_replays_or_refuses(health: Health) -> None:
    club = health.club()
    member = health.member(club)
    headers = {**VL, "Idempotency-Key": "bhyt-2026-member-1"}
    first = ok(health.http.post(insurance_url(member), json=CARD_2026, headers=headers))
    again = health.http.post(insurance_url(member), json=CARD_2026, headers=headers)
    assert again.status_code == 201 and again.json() == first
    assert again.headers.get("idempotent-replayed") == "true"
    after_first = state(health)
    assert len(after_first["insurance"]) == 1
    changed = health.http.post(
        insurance_url(member), json={**CARD_2026, "valid_to": "2026-06-30"}, headers=headers
    )
    refused(changed, "Idempotency-Key")
    assert state(health) == after_first
    assert len(of_type(health.events(), INSURANCE_TYPE)) == 1
    assert CARD not in database_text(health)  # nor in the stored answer


def test_insurance_is_for_province_tokens_of_the_members_province(health: Health) -> None:
    club = health.club()
    member = health.member(club)
    ok(health.http.post(insurance_url(member), json=CARD_2026, headers=VL))
    before = state(health)
    renewal = {"valid_from": "2027-01-01", "valid_to": "2027-12-31"}
    denied(health.http.post(insurance_url(member), json=renewal, headers=DN), 404)
    denied(health.http.post(insurance_url(member), json=renewal, headers=NATIONAL), 403)
    denied(health.http.post(insurance_url(member), json=renewal, headers=OPS), 403)
    denied(health.http.post(insurance_url(member), json=renewal), 401)
    assert state(health) == before
    denied(health.http.get(insurance_url(member), headers=DN), 404)
    denied(health.http.get(insurance_url(member), headers=NATIONAL), 403)
    denied(health.http.get(insurance_url(member), headers=OPS), 403)
    unknown = "0190f5a2-0000-7000-8000-000000000000"
    denied(health.http.get(insurance_url(unknown), headers=VL), 404)
    refused(health.http.get(insurance_url("a;b"), headers=VL), "member_id")
    # Đồng Nai's own member is Đồng Nai's.
    theirs = health.member(health.club(province=DONG_NAI), province=DONG_NAI)
    ok(health.http.post(insurance_url(theirs), json=CARD_2026, headers=DN))
    denied(health.http.get(insurance_url(theirs), headers=VL), 404)


def test_bad_history_queries_name_the_parameter(health: Health) -> None:
    member = health.member(health.club())
    for params, field in (
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "eyJ2YWxpZF9mcm9tIjoieCIsImFmdGVyIjoieSJ9"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
    ):
        refused(health.http.get(insurance_url(member), params=params, headers=VL), field)
