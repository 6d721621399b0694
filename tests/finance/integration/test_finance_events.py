"""The events of loans: each operation's type, subject (the loan), province,
sequence and payload, on the outbox and on the stream; no purpose, reason or name
on the stream; and the event log's public view (national and ops tokens) without
the borrower's id."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from ishc_platform.auth import Role, issue_token
from tests.finance.conftest import NATIONAL, OPS, SECRET, VL, Finance
from tests.finance.integration.loans_support import club_with_funds, lend, repay

pytestmark = pytest.mark.integration

SERVICE = {"Authorization": f"Bearer {issue_token(SECRET, sub='reporting', role=Role.SERVICE)}"}
PURPOSE = "Mua bò giống cho bà Nguyễn Thị Tư"
REASON = "Bà Nguyễn Thị Tư qua đời, gia đình không còn khả năng trả"


def loan_events(finance: Finance, loan_id: str) -> list[dict[str, Any]]:
    return [e for e in finance.events() if e["subject"] == loan_id]


def test_each_loan_operation_publishes_its_event(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, purpose=PURPOSE)
    paid = repay(finance, club, loan["id"], 1_000_000, date(2026, 4, 10))
    written = finance.http.post(
        f"/v1/loans/{loan['id']}/write-off",
        json={"written_off_on": "2026-05-01", "reason": REASON},
        headers=VL,
    )
    assert written.status_code == 200, written.text
    recovered = finance.http.post(
        f"/v1/loans/{loan['id']}/recoveries",
        json={"amount_vnd": 500_000, "recovered_on": "2026-06-01"},
        headers=VL,
    )
    assert recovered.status_code == 201, recovered.text

    events = loan_events(finance, loan["id"])
    assert [e["type"] for e in events] == [
        "ishc.finance.loan.disbursed.v1",
        "ishc.finance.repayment.received.v1",
        "ishc.finance.loan.written_off.v1",
        "ishc.finance.loan.recovered.v1",
    ]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert {e["province"] for e in events} == {"86"}
    assert {e["source"] for e in events} == {"/ishc/finance"}
    ids = {"loan_id": loan["id"], "fund_id": club.income, "club_id": club.club_id}
    assert events[0]["data"] == {
        **ids,
        "member_id": club.member,
        "principal_vnd": 10_000_000,
        "monthly_rate": "0.008",
        "term_months": 12,
        "method": "flat",
        "disbursed_on": "2026-03-10",
        "schedule": [
            {
                "number": i["number"],
                "due_on": i["due_on"],
                "principal_vnd": i["principal_vnd"],
                "interest_vnd": i["interest_vnd"],
            }
            for i in loan["schedule"]
        ],
    }
    assert events[0]["data"]["schedule"][0] == {
        "number": 1,
        "due_on": "2026-04-10",
        "principal_vnd": 833_333,
        "interest_vnd": 80_000,
    }
    assert events[1]["data"] == {
        **ids,
        "repayment_id": paid["id"],
        "activity_fund_id": club.activity,
        "paid_on": "2026-04-10",
        "amount_vnd": 1_000_000,
        "principal_vnd": 840_000,
        "interest_vnd": 160_000,
        "allocations": [
            {"number": 1, "principal_vnd": 833_333, "interest_vnd": 80_000},
            {"number": 2, "principal_vnd": 6_667, "interest_vnd": 80_000},
        ],
        "settles_loan": False,
    }
    # 10,000,000 less the 840,000 repaid.
    assert events[2]["data"] == {**ids, "written_off_on": "2026-05-01", "principal_vnd": 9_160_000}
    assert events[3]["data"] == {
        **ids,
        "recovery_id": recovered.json()["id"],
        "recovered_on": "2026-06-01",
        "amount_vnd": 500_000,
    }

    # What people typed stays in the finance service.
    raw = finance.raw_stream()
    for text in (PURPOSE, REASON, "Nguyễn"):
        assert text.encode() not in raw
        assert json.dumps(text).strip('"').encode() not in raw  # nor \u-escaped


def test_an_early_settlement_says_so(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, method="declining_equal_principal")
    # 15 of the 31 days to 10/04: 10,000,000 × 0.008 × 15 / 31 = 38,709.7 → 38,710.
    settled = repay(finance, club, loan["id"], 10_038_710, date(2026, 3, 25), settle=True)
    [_, event] = loan_events(finance, loan["id"])
    assert event["type"] == "ishc.finance.repayment.received.v1"
    assert (event["sequence"], event["subject"]) == (2, loan["id"])
    assert event["data"]["repayment_id"] == settled["id"]
    assert event["data"]["settles_loan"] is True
    assert (event["data"]["principal_vnd"], event["data"]["interest_vnd"]) == (10_000_000, 38_710)
    assert event["data"]["allocations"] == (
        [{"number": 1, "principal_vnd": 833_333, "interest_vnd": 38_710}]
        + [{"number": k, "principal_vnd": 833_333, "interest_vnd": 0} for k in range(2, 12)]
        + [{"number": 12, "principal_vnd": 833_337, "interest_vnd": 0}]
    )


def test_the_public_event_log_leaves_out_the_borrower(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club)
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    finance.events()  # the relay has published them

    def disbursed(headers: dict[str, str]) -> dict[str, Any]:
        reply = finance.http.get("/v1/events", params={"limit": 500}, headers=headers)
        assert reply.status_code == 200, reply.text
        [found] = [e for e in reply.json()["items"] if e["type"].endswith("loan.disbursed.v1")]
        return dict(found["data"])

    for public in (NATIONAL, OPS):
        data = disbursed(public)
        assert "member_id" not in data
        assert data["loan_id"] == loan["id"] and data["principal_vnd"] == 10_000_000
        log = finance.http.get("/v1/events", params={"limit": 500}, headers=public).text
        assert club.member not in log
    assert disbursed(SERVICE)["member_id"] == club.member
    # Province tokens read loans through the API, not the log.
    assert finance.http.get("/v1/events", headers=VL).status_code == 403
