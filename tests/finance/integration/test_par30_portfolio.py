"""Arrears and PAR30 as of any date, worked by hand (SQLite and PostgreSQL).

PAR30 (CGAP/SEEP) is the whole unpaid principal of the loans with an instalment
more than 30 days late, over the gross outstanding principal. A past date ignores
the repayments, write-offs and closings that came after it.

Loan A: 10,000,000 VND flat at 0.8% over 12 months from 10/03/2026 (913,333 a
month: 833,333 principal and 80,000 interest). Its first payment, on 10/04, is
one đồng short (913,332), and it catches up on 20/05 (913,334), then stops
paying; it is written off on 01/07.
Loan B: 2,000,000 VND flat at 0.8% over 4 months to another member (516,000 a
month: 500,000 + 16,000), paid on time on 10/04 and 10/05, and in full
(1,032,000) on 10/06."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.finance.conftest import DN, DONG_NAI, NATIONAL, VL, Finance
from tests.finance.integration.loans_support import (
    check_books,
    club_with_funds,
    lend,
    repay,
)

pytestmark = pytest.mark.integration


def portfolio(finance: Finance, fund_id: str, on: str, headers: dict[str, str] = VL) -> Any:
    reply = finance.http.get(
        f"/v1/funds/{fund_id}/portfolio", params={"as_of": on}, headers=headers
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def figures(body: dict[str, Any]) -> tuple[Any, ...]:
    """(loans active, gross outstanding, at risk, ratio, loans at risk, loans in
    arrears, amount late, principal late)."""
    return (
        body["loans_active"],
        body["gross_outstanding_vnd"],
        body["par30"]["at_risk_vnd"],
        body["par30"]["ratio"],
        body["par30"]["loans_at_risk"],
        body["arrears"]["loans_in_arrears"],
        body["arrears"]["amount_late_vnd"],
        body["arrears"]["principal_late_vnd"],
    )


def test_par30_as_of_several_dates(finance: Finance) -> None:
    club = club_with_funds(finance)
    second = finance.member(club.club_id)
    a = lend(finance, club)
    b = lend(finance, club, member_id=second, principal_vnd=2_000_000, term_months=4)
    assert [(i["principal_vnd"], i["interest_vnd"]) for i in b["schedule"]] == [
        (500_000, 16_000)
    ] * 4
    repay(finance, club, a["id"], 913_332, date(2026, 4, 10))
    repay(finance, club, b["id"], 516_000, date(2026, 4, 10))
    repay(finance, club, b["id"], 516_000, date(2026, 5, 10))
    repay(finance, club, a["id"], 913_334, date(2026, 5, 20))
    closing = repay(finance, club, b["id"], 1_032_000, date(2026, 6, 10))
    assert closing["loan_status"] == "closed"
    written = finance.http.post(
        f"/v1/loans/{a['id']}/write-off",
        json={"written_off_on": "2026-07-01", "reason": "Bỏ đi nơi khác"},
        headers=VL,
    )
    assert written.status_code == 200, written.text
    check_books(finance, club)
    fund = club.income

    # Before any loan: nothing outstanding, no ratio.
    assert figures(portfolio(finance, fund, "2026-03-09")) == (0, 0, 0, None, 0, 0, 0, 0)
    # The day of disbursement: 12,000,000 out, nothing due yet.
    assert figures(portfolio(finance, fund, "2026-03-10")) == (
        2, 12_000_000, 0, "0.000000", 0, 0, 0, 0,
    )  # fmt: skip
    # 10/04: A's first instalment is due today, not late; A paid 833,332 of its
    # principal, B 500,000.
    assert figures(portfolio(finance, fund, "2026-04-10")) == (
        2, 10_666_668, 0, "0.000000", 0, 0, 0, 0,
    )  # fmt: skip
    # 10/05, day 30 of the one đồng: late, not yet at risk. A owes 9,166,668, B
    # 1,000,000 (its payment of today counts).
    assert figures(portfolio(finance, fund, "2026-05-10")) == (
        2, 10_166_668, 0, "0.000000", 0, 1, 1, 1,
    )  # fmt: skip
    # 11/05, day 31: one đồng late puts all of A's 9,166,668 at risk:
    # 9,166,668 / 10,166,668 = 0.9016393… → 0.901639. Instalment 2 (913,333) is a
    # day late too: 913,334 late, of which 833,334 principal.
    assert figures(portfolio(finance, fund, "2026-05-11")) == (
        2, 10_166_668, 9_166_668, "0.901639", 1, 1, 913_334, 833_334,
    )  # fmt: skip
    # 20/05: A caught up (1 + 913,333): 8,333,334 and 1,000,000 outstanding.
    assert figures(portfolio(finance, fund, "2026-05-20")) == (
        2, 9_333_334, 0, "0.000000", 0, 0, 0, 0,
    )  # fmt: skip
    # 10/06: B is closed today and leaves the portfolio; A's third instalment is due
    # today. 11/06: a day late.
    assert figures(portfolio(finance, fund, "2026-06-10")) == (
        1, 8_333_334, 0, "0.000000", 0, 0, 0, 0,
    )  # fmt: skip
    assert figures(portfolio(finance, fund, "2026-06-11")) == (
        1, 8_333_334, 0, "0.000000", 0, 1, 913_333, 833_333,
    )  # fmt: skip
    # 30/06: 20 days late, the day before the write-off.
    assert figures(portfolio(finance, fund, "2026-06-30")) == (
        1, 8_333_334, 0, "0.000000", 0, 1, 913_333, 833_333,
    )  # fmt: skip
    # 01/07: written off, out of the portfolio; so today too.
    empty = (0, 0, 0, None, 0, 0, 0, 0)
    assert figures(portfolio(finance, fund, "2026-07-01")) == empty
    today = finance.http.get(f"/v1/funds/{fund}/portfolio", headers=VL).json()
    assert today["as_of"] == "2026-12-01" and figures(today) == empty

    # The loan's own view agrees, and counts day 30 and day 31 the same way.
    def arrears(on: str) -> Any:
        body = finance.http.get(f"/v1/loans/{a['id']}", params={"as_of": on}, headers=VL)
        return body.json()["arrears"]

    assert arrears("2026-05-10") == {
        "days_late": 30,
        "amount_late_vnd": 1,
        "principal_late_vnd": 1,
        "at_risk": False,
    }
    assert arrears("2026-05-11") == {
        "days_late": 31,
        "amount_late_vnd": 913_334,
        "principal_late_vnd": 833_334,
        "at_risk": True,
    }
    # After the write-off the loan is out of arrears: it is no longer owed.
    assert arrears("2026-07-01")["days_late"] == 0


def test_the_portfolio_of_a_province_counts_its_clubs_only(finance: Finance) -> None:
    vl_one = club_with_funds(finance)
    vl_two = club_with_funds(finance)
    dn = club_with_funds(finance, province=DONG_NAI)
    lend(finance, vl_one)  # 10,000,000, nothing paid: at risk from 11/05
    lend(finance, vl_two, principal_vnd=3_000_000, method="declining_equal_principal")
    lend(finance, dn, principal_vnd=5_000_000)

    def province(on: str, headers: dict[str, str], code: str | None = None) -> Any:
        params = {"as_of": on, **({"province": code} if code else {})}
        reply = finance.http.get("/v1/portfolio", params=params, headers=headers)
        assert reply.status_code == 200, reply.text
        return reply.json()

    vinh_long = province("2026-05-11", VL)
    assert vinh_long["provinces"] == ["86"]
    # Both Vĩnh Long loans are 31 days late on their first instalment.
    assert (
        vinh_long["loans_active"],
        vinh_long["gross_outstanding_vnd"],
        vinh_long["par30"]["at_risk_vnd"],
        vinh_long["par30"]["ratio"],
        vinh_long["par30"]["loans_at_risk"],
    ) == (2, 13_000_000, 13_000_000, "1.000000", 2)
    assert province("2026-05-11", NATIONAL, "86") == vinh_long
    # Day 30 of the first instalments: late, none at risk.
    assert province("2026-05-10", VL)["par30"]["at_risk_vnd"] == 0
    dong_nai = province("2026-05-11", DN)
    assert (dong_nai["provinces"], dong_nai["gross_outstanding_vnd"]) == (["75"], 5_000_000)
    # A national reader sees the figures of any one fund, and no person in them.
    one = portfolio(finance, vl_one.income, "2026-05-11", NATIONAL)
    assert figures(one) == (1, 10_000_000, 10_000_000, "1.000000", 1, 1, 1_826_666, 1_666_666)
    assert vl_one.member not in str(one)
