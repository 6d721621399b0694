"""The events of regulations, funds, contributions, fees, expenses and corrections:
their types, subjects, sequences and payloads; nothing people typed (a purpose, a
description, a reason) reaches the stream or the log; the log's public view leaves
out which member paid a fee (ADR 0004)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ishc_platform.auth import Role, issue_token
from tests.finance.conftest import NATIONAL, OPS, SECRET, VL, Finance
from tests.finance.integration.test_funds_api import REGULATION, ok, pay_fee, setup_club

pytestmark = pytest.mark.integration
SERVICE = {"Authorization": f"Bearer {issue_token(SECRET, sub='reporting', role=Role.SERVICE)}"}
DESCRIPTION = "Ông Trần Văn Bí Mật tặng gạo"
PURPOSE = "Thăm bà Nguyễn Thị Riêng Tư ốm"
REASON = "Bà Lê Thị Kín nộp trùng"


def _scenario(finance: Finance) -> dict[str, Any]:
    club = setup_club(finance)
    http = finance.http
    gift = ok(
        http.post(
            f"/v1/funds/{club.activity}/contributions",
            json={
                "source": "individual",
                "amount_vnd": 250_000,
                "in_kind": True,
                "description": DESCRIPTION,
                "received_on": "2026-02-01",
            },
            headers=VL,
        )
    )
    cash = ok(
        http.post(
            f"/v1/funds/{club.activity}/contributions",
            json={"source": "state_budget", "amount_vnd": 600_000, "received_on": "2026-02-02"},
            headers=VL,
        )
    )
    fee = ok(pay_fee(finance, club.activity, club.member, "2026-02", amount=4000))
    expense = ok(
        http.post(
            f"/v1/funds/{club.activity}/expenses",
            json={
                "amount_vnd": 120_000,
                "purpose": PURPOSE,
                "area": "home_care",
                "spent_on": "2026-02-10",
            },
            headers=VL,
        )
    )
    reversal = ok(
        http.post(
            f"/v1/funds/{club.activity}/reversals",
            json={"reversed_id": fee["id"], "reason": REASON, "reversed_on": "2026-02-11"},
            headers=VL,
        )
    )
    return {
        "club": club,
        "gift": gift,
        "cash": cash,
        "fee": fee,
        "expense": expense,
        "reversal": reversal,
    }


def test_events_say_what_happened(finance: Finance) -> None:
    done = _scenario(finance)
    club = done["club"]
    events = finance.events()
    summary = [
        (e["type"].removeprefix("ishc.finance.").removesuffix(".v1"), e["subject"], e["sequence"])
        for e in events
    ]
    assert summary == [
        ("regulation.adopted", club.id, 1),
        ("fund.opened", club.income, 1),
        ("fund.opened", club.activity, 1),
        ("contribution.received", club.activity, 2),
        ("contribution.received", club.activity, 3),
        ("fee.paid", club.activity, 4),
        ("expense.recorded", club.activity, 5),
        ("entry.reversed", club.activity, 6),
    ]
    assert {e["province"] for e in events} == {"86"}
    data = [e["data"] for e in events]
    assert data[0] == {
        "regulation_id": data[0]["regulation_id"],
        "club_id": club.id,
        "version": 1,
        "effective_on": "2020-01-01",
        "rate_min": "0.006",
        "rate_max": "0.010",
        "fee_min_vnd": 2000,
        "fee_max_vnd": 5000,
        "max_loan_vnd": 20_000_000,
        "max_term_months": 24,
        "methods": ["declining_equal_principal", "flat"],
        "rounding_unit_vnd": 1000,
    }
    assert data[2] == {
        "fund_id": club.activity,
        "club_id": club.id,
        "kind": "activity",
        "opened_on": "2020-01-15",
    }
    assert data[3] == {
        "contribution_id": done["gift"]["id"],
        "fund_id": club.activity,
        "club_id": club.id,
        "source": "individual",
        "amount_vnd": 250_000,
        "in_kind": True,
        "received_on": "2026-02-01",
    }
    assert data[5] == {
        "fee_id": done["fee"]["id"],
        "fund_id": club.activity,
        "club_id": club.id,
        "member_id": club.member,
        "month": "2026-02-01",
        "paid_on": "2026-02-05",
        "amount_vnd": 4000,
    }
    assert data[6] == {
        "expense_id": done["expense"]["id"],
        "fund_id": club.activity,
        "club_id": club.id,
        "area": "home_care",
        "spent_on": "2026-02-10",
        "amount_vnd": 120_000,
    }
    assert data[7] == {
        "reversal_id": done["reversal"]["id"],
        "reversed_id": done["fee"]["id"],
        "kind": "fee",
        "fund_id": club.activity,
        "club_id": club.id,
        "reversed_on": "2026-02-11",
        "amount_vnd": 4000,
    }


def test_nothing_people_typed_reaches_the_stream_or_the_log(finance: Finance) -> None:
    _scenario(finance)
    raw = json.dumps(finance.events(), ensure_ascii=False)
    stream = finance.raw_stream()
    for headers in (NATIONAL, OPS, SERVICE):
        reply = finance.http.get("/v1/events", params={"limit": 500}, headers=headers)
        assert reply.status_code == 200, reply.text
        raw += json.dumps(reply.json(), ensure_ascii=False)
    for typed in (DESCRIPTION, PURPOSE, REASON, "Bí Mật", "Riêng Tư", "Kín"):
        assert typed not in raw
        assert typed.encode() not in stream
    for word in ("description", "purpose", "reason"):
        assert f'"{word}"' not in raw


def test_the_public_log_leaves_out_who_paid_a_fee(finance: Finance) -> None:
    done = _scenario(finance)
    member = done["club"].member
    finance.events()
    for headers in (NATIONAL, OPS):
        log = finance.http.get("/v1/events", params={"limit": 500}, headers=headers).json()
        paid = next(e for e in log["items"] if e["type"] == "ishc.finance.fee.paid.v1")
        assert "member_id" not in paid["data"]
        assert paid["data"]["amount_vnd"] == 4000 and paid["data"]["month"] == "2026-02-01"
        assert member not in str(log)
    whole = finance.http.get("/v1/events", params={"limit": 500}, headers=SERVICE).json()
    paid = next(e for e in whole["items"] if e["type"] == "ishc.finance.fee.paid.v1")
    assert paid["data"]["member_id"] == member
    assert finance.http.get("/v1/events", headers=VL).status_code == 403


def test_a_second_regulation_version_is_the_clubs_next_event(finance: Finance) -> None:
    club = setup_club(finance)
    ok(
        finance.http.post(
            f"/v1/clubs/{club.id}/regulations",
            json={**REGULATION, "effective_on": "2026-06-01", "fee_min_vnd": 3000},
            headers=VL,
        )
    )
    adopted = [e for e in finance.events() if e["subject"] == club.id]
    assert [(e["sequence"], e["data"]["version"]) for e in adopted] == [(1, 1), (2, 2)]
    assert adopted[1]["data"]["fee_min_vnd"] == 3000
