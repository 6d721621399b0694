"""Finance events applied to the projection (SQLite and PostgreSQL), then the
finance indicators read back and compared with values worked out by hand:
borrowers, both funds, PAR30, cash and incomes, as of today and of past dates,
on both maps; delivered twice, out of order, and reversed."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from ishc_contracts import new_event_id
from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.models import PRINCIPAL_REPAID, AllocationFact, MoneyFlow, MoneyMonth
from ishc_reporting.service import indicators as service
from ishc_reporting.service import plans
from tests.reporting.conftest import NATIONAL, Finance, Registry, feeder, finance_feeder

JUNE_30 = date(2026, 6, 30)
M = 1_000_000


class World:
    """Two clubs of Vĩnh Long (86) and their money, worked out by hand below.

    Club A (Nhơn Phú, 29623): 10 members since 2019; m9 leaves on 1 April 2026.
      Funds: income (2019-01-01), activity (2019-02-01).
      Loans (principal, disbursed, instalments of principal + interest, monthly):
      - L1 m0: 12 M, 2026-01-15, 12 × (1 M + 120,000) from 2026-02-15; #1–#3 paid
        on time, #4 (due 15 May) short of 20,000 interest, #5 unpaid: 46 days late
        on 30 June, so its whole 8 M outstanding is at risk.
      - L2 m1: 6 M, 2026-03-01, 6 × (1 M + 60,000) from 2026-04-01; #1–#2 paid,
        #3 (due 1 June) unpaid: 29 days late on 30 June, 31 on 2 July.
      - L3 m2: 2.4 M, 2024-03-01, 12 × (200,000 + 24,000); #1–#9 paid, settled
        on 2025-01-10 (#10 in full, #11–#12 principal only).
      - L4 m3: 3 M, 2025-08-01, 6 × (500,000 + 30,000); #1–#3 paid, settled on
        2025-12-01 (#4 in full, #5–#6 principal only).
      - L5 m4: 5 M, 2025-01-01, 10 × (500,000 + 50,000); nothing paid; written
        off on 2026-02-01; 1 M recovered on 2026-04-01.
      - L6 m0 (a second loan): 1 M, 2026-05-01, 2 × (500,000 + 10,000); #1 paid.
      - L7 m9: 2 M, 2026-02-01, 2 × (1 M + 20,000); both paid (not settled: paid off).
      Contributions: 30 M cash (2019-01-05), 10 M cash (2026-03-01), 4 M in kind
      (2025-09-01); 1 M cash (2026-02-01) reversed on 2026-02-10; 500,000 in kind
      (2026-01-20) reversed on 2026-01-25.
      Fees: m0–m8 pay 5,000 for June 2025 and for each month January–June 2026;
      one March fee reversed on 2026-03-20.
      Expenses: 200,000 (2026-03-10, health care); 100,000 (2026-04-10) reversed
      on 2026-04-15.
    Club B (Hòa Minh, 29410): 4 members; an income fund only (2020-01-01) with
      2 M in cash (2020-01-01); b0 borrows 1 M on 2026-06-01, one instalment due
      2026-07-01.
    """

    def __init__(self, registry: Registry, finance: Finance) -> None:
        self.registry, self.finance = registry, finance
        r, f = registry, finance
        a = self.a = r.club("29623", date(2018, 3, 15), name="CLB Nhơn Phú")
        m = self.members_a = r.members(a, "86", 10, joined_on=date(2019, 1, 10))
        r.leave(m[9], a, "86", date(2026, 4, 1))
        income = self.income_a = f.fund(a, "86", "income", date(2019, 1, 1))
        activity = self.activity_a = f.fund(a, "86", "activity", date(2019, 2, 1))

        self.l1 = f.lend(income, a, "86", m[0], 12 * M, date(2026, 1, 15), 12, 120_000)
        f.pay_instalments(self.l1, 1, 2, 3)
        f.repay(self.l1, date(2026, 5, 15), [(4, M, 100_000)])
        self.l2 = f.lend(income, a, "86", m[1], 6 * M, date(2026, 3, 1), 6, 60_000)
        f.pay_instalments(self.l2, 1, 2)
        self.l3 = f.lend(income, a, "86", m[2], 2_400_000, date(2024, 3, 1), 12, 24_000)
        f.pay_instalments(self.l3, *range(1, 10))
        f.repay(
            self.l3,
            date(2025, 1, 10),
            [(10, 200_000, 24_000), (11, 200_000, 0), (12, 200_000, 0)],
            settles=True,
        )
        self.l4 = f.lend(income, a, "86", m[3], 3 * M, date(2025, 8, 1), 6, 30_000)
        f.pay_instalments(self.l4, 1, 2, 3)
        f.repay(
            self.l4,
            date(2025, 12, 1),
            [(4, 500_000, 30_000), (5, 500_000, 0), (6, 500_000, 0)],
            settles=True,
        )
        self.l5 = f.lend(income, a, "86", m[4], 5 * M, date(2025, 1, 1), 10, 50_000)
        f.write_off(self.l5, date(2026, 2, 1), 5 * M)
        f.recover(self.l5, date(2026, 4, 1), M)
        self.l6 = f.lend(income, a, "86", m[0], M, date(2026, 5, 1), 2, 10_000)
        f.pay_instalments(self.l6, 1)
        self.l7 = f.lend(income, a, "86", m[9], 2 * M, date(2026, 2, 1), 2, 20_000)
        f.pay_instalments(self.l7, 1, 2)

        f.contribute(income, a, "86", 30 * M, date(2019, 1, 5))
        f.contribute(income, a, "86", 10 * M, date(2026, 3, 1))
        f.contribute(income, a, "86", 4 * M, date(2025, 9, 1), in_kind=True)
        wrong = f.contribute(income, a, "86", M, date(2026, 2, 1))
        f.reverse(wrong, "contribution", income, a, "86", M, date(2026, 2, 10))
        gift = f.contribute(activity, a, "86", 500_000, date(2026, 1, 20), in_kind=True)
        f.reverse(gift, "contribution", activity, a, "86", 500_000, date(2026, 1, 25))
        for member in m[:9]:
            f.fee(activity, a, "86", member, date(2025, 6, 1), 5_000)
            for month in range(1, 7):
                fee = f.fee(activity, a, "86", member, date(2026, month, 1), 5_000)
                if month == 3 and member == m[0]:
                    f.reverse(fee, "fee", activity, a, "86", 5_000, date(2026, 3, 20))
        f.expense(activity, a, "86", 200_000, date(2026, 3, 10), "health_care")
        spent = f.expense(activity, a, "86", 100_000, date(2026, 4, 10), "self_help")
        f.reverse(spent, "expense", activity, a, "86", 100_000, date(2026, 4, 15))

        b = self.b = r.club("29410", date(2020, 1, 1), name="CLB Hòa Minh")
        members_b = r.members(b, "86", 4, joined_on=date(2020, 1, 1))
        income_b = f.fund(b, "86", "income", date(2020, 1, 1))
        f.contribute(income_b, b, "86", 2 * M, date(2020, 1, 1))
        self.b_loan = f.lend(income_b, b, "86", members_b[0], M, date(2026, 6, 1), 1, 10_000)


async def apply(db: Database, world: World, batch_size: int = 100) -> None:
    await feeder(db).apply_log(world.registry.log)
    await finance_feeder(db, batch_size).apply_log(world.finance.log)


async def province(db: Database, on: date, boundary: Boundary = Boundary.CURRENT) -> Any:
    async with db.sessions() as session:
        q = service.make_query(on, boundary, None, None)
        return await service.province_detail(session, NATIONAL, "86", q)


async def club(db: Database, club_id: str, on: date) -> dict[str, Any]:
    async with db.sessions() as session:
        q = service.make_query(on, Boundary.CURRENT, None, None)
        detail = await service.club_detail(session, NATIONAL, club_id, q)
    row: dict[str, Any] = detail["indicators"]
    return row


FINANCE_KEYS = (
    "borrowers",
    "borrowers_share",
    "fund_balance_vnd",
    "in_kind_vnd",
    "outstanding_principal_vnd",
    "at_risk_principal_vnd",
    "par30",
    "loans_outstanding",
    "loans_at_risk",
    "interest_income_vnd",
    "fee_income_vnd",
)


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in FINANCE_KEYS},
        "funds_ok": (row.get("checks") or row.get("shares") or {}).get("funds_ok"),
        "areas": row.get("activity_areas"),
    }


# Club A on 30 June 2026, by hand.
A_INTEREST_UP_TO_JUNE = (
    3 * 120_000 + 100_000  # L1
    + 2 * 60_000  # L2
    + 10 * 24_000  # L3
    + 4 * 30_000  # L4
    + 10_000  # L6
    + 2 * 20_000  # L7
)  # fmt: skip
A_INTEREST_IN_PERIOD = A_INTEREST_UP_TO_JUNE - 10 * 24_000  # L3's was all before July 2025
A_REPAID = 4 * M + 2 * M + 2_400_000 + 3 * M + 500_000 + 2 * M
A_LENT = 12 * M + 6 * M + 2_400_000 + 3 * M + 5 * M + M + 2 * M
A_FEES_UP_TO_JUNE = 9 * 5_000 + 9 * 6 * 5_000 - 5_000
A_CASH_JUNE = (
    30 * M + 10 * M + M - M  # contributions in cash, one reversed
    + A_INTEREST_UP_TO_JUNE
    + A_FEES_UP_TO_JUNE
    - 200_000 - 100_000 + 100_000  # expenses, one reversed
    + M  # recovered on L5
    + A_REPAID
    - A_LENT
)  # fmt: skip


async def test_finance_indicators_match_the_hand_worked_values(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    await apply(reporting_db, world)
    assert A_CASH_JUNE == 24_600_000

    a = await club(reporting_db, world.a, JUNE_30)
    assert a["members"] == 9  # m9 left in April
    assert figures(a) == {
        "borrowers": 3,  # m0 (two loans, once), m1, m3 (L4 disbursed in the 12 months)
        "borrowers_share": Decimal("33.33"),
        "fund_balance_vnd": 24_600_000,
        "in_kind_vnd": 4 * M,  # the cow, not cash; the reversed gift is gone
        "outstanding_principal_vnd": 8 * M + 4 * M + 500_000,  # L1, L2, L6
        "at_risk_principal_vnd": 8 * M,  # L1 wholly, for a 20,000 VND shortfall
        "par30": Decimal("64.00"),
        "loans_outstanding": 3,
        "loans_at_risk": 1,
        "interest_income_vnd": A_INTEREST_IN_PERIOD,
        "fee_income_vnd": 9 * 6 * 5_000 - 5_000,
        "funds_ok": True,
        "areas": ["income_generation", "resource_mobilisation"],
    }
    assert "member_id" not in str(a)

    b = await club(reporting_db, world.b, JUNE_30)
    assert figures(b) == {
        "borrowers": 1,
        "borrowers_share": Decimal("25.00"),
        "fund_balance_vnd": 2 * M - M,
        "in_kind_vnd": 0,
        "outstanding_principal_vnd": M,
        "at_risk_principal_vnd": 0,
        "par30": Decimal("0.00"),
        "loans_outstanding": 1,
        "loans_at_risk": 0,
        "interest_income_vnd": 0,
        "fee_income_vnd": 0,
        "funds_ok": False,  # no activity fund
        "areas": ["income_generation"],  # its contribution is from 2020
    }

    detail = await province(reporting_db, JUNE_30)
    ind = detail["indicators"]
    assert ind["clubs"] == 2 and ind["members"] == 13
    assert ind["borrowers"] == 4
    assert ind["borrowers_share"] == Decimal("30.76")  # 4 / 13, the sum over the sum
    assert ind["outstanding_principal_vnd"] == 13_500_000
    assert ind["at_risk_principal_vnd"] == 8 * M
    assert ind["par30"] == Decimal("59.25")  # 8 / 13.5
    assert ind["fund_balance_vnd"] == 24_600_000 + M
    assert ind["in_kind_vnd"] == 4 * M
    assert ind["interest_income_vnd"] == A_INTEREST_IN_PERIOD
    assert ind["fee_income_vnd"] == 265_000
    assert ind["clubs_meeting"]["funds_ok"] == 1
    assert ind["shares"]["funds_ok"] == Decimal("50.00")
    assert ind["clubs_in_all_areas"] == 0  # areas are per club: none has all eight

    commune = next(c for c in detail["communes"] if c["code"] == "29623")
    assert commune["clubs"] == 1


async def test_as_of_a_past_date_later_events_are_ignored(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    await apply(reporting_db, world)
    a = await club(reporting_db, world.a, date(2025, 12, 31))
    assert a["members"] == 10
    assert figures(a) == {
        # m3 (L4, settled) and m4 (L5, disbursed on the window's first day); m2's
        # loan was disbursed before 2025 and settled in January.
        "borrowers": 2,
        "borrowers_share": Decimal("20.00"),
        "fund_balance_vnd": 30 * M
        + 10 * 24_000
        + 4 * 30_000
        + 9 * 5_000
        + (2_400_000 + 3 * M)
        - (2_400_000 + 3 * M + 5 * M),
        "in_kind_vnd": 4 * M,
        "outstanding_principal_vnd": 5 * M,  # L5 only, nothing paid: at risk
        "at_risk_principal_vnd": 5 * M,
        "par30": Decimal("100.00"),
        "loans_outstanding": 1,
        "loans_at_risk": 1,
        "interest_income_vnd": 24_000 + 4 * 30_000,  # since 2025-01-01
        "fee_income_vnd": 9 * 5_000,
        "funds_ok": True,
        "areas": ["income_generation", "resource_mobilisation"],
    }
    # Before any fund was opened, and before the first loan.
    early = await club(reporting_db, world.a, date(2018, 12, 31))
    assert figures(early)["funds_ok"] is False and early["fund_balance_vnd"] == 0
    assert early["par30"] is None and early["borrowers_share"] is None  # no members yet
    # The day L5 was written off it leaves the portfolio; the recovery is cash.
    off = await club(reporting_db, world.a, date(2026, 2, 1))
    assert off["outstanding_principal_vnd"] == 12 * M + 2 * M  # L1, and L7 lent that day
    assert off["par30"] == Decimal("0.00")


async def test_par30_counts_a_loan_from_its_31st_day_late(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    await apply(reporting_db, world)
    thirtieth = await club(reporting_db, world.a, date(2026, 7, 1))  # L2's #3: 30 days late
    assert thirtieth["at_risk_principal_vnd"] == 8 * M and thirtieth["loans_at_risk"] == 1
    later = await club(reporting_db, world.a, date(2026, 7, 2))  # 31 days: L2 at risk too
    assert later["at_risk_principal_vnd"] == 8 * M + 4 * M and later["loans_at_risk"] == 2
    assert later["par30"] == Decimal("96.00")  # 12 of 12.5 M


async def test_both_maps_and_the_nation_count_the_same_money(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    await apply(reporting_db, world)
    async with reporting_db.sessions() as session:
        current = await service.national(
            session, NATIONAL, service.make_query(JUNE_30, Boundary.CURRENT, None, None)
        )
        legacy = await service.national(
            session, NATIONAL, service.make_query(JUNE_30, Boundary.LEGACY, None, None)
        )
        table = await service.province_table(
            session, NATIONAL, service.make_query(JUNE_30, Boundary.LEGACY, None, None)
        )
    for figures_ in (current["indicators"], legacy["indicators"]):
        assert figures_["borrowers"] == 4 and figures_["par30"] == Decimal("59.25")
        assert figures_["fund_balance_vnd"] == 24_600_000 + M
    old = [r["indicators"] for r in table["provinces"] if r["indicators"]["clubs"]]
    assert sum(i["outstanding_principal_vnd"] for i in old) == 13_500_000
    assert sum(i["borrowers"] for i in old) == 4


async def test_each_event_counts_once_however_often_it_is_delivered(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    await apply(reporting_db, world)
    once = figures(await club(reporting_db, world.a, JUNE_30))
    # The same envelopes again (the inbox skips them) ...
    await finance_feeder(reporting_db).apply_log(finance.log)
    # ... and the same facts re-sent under new envelope ids, as a relay crash would.
    resent = [{**e, "id": str(new_event_id())} for e in finance.log]
    applied = await finance_feeder(reporting_db, batch_size=13).apply_log(resent)
    assert applied == len(finance.log)
    assert figures(await club(reporting_db, world.a, JUNE_30)) == once


async def test_out_of_order_delivery_converges(
    reporting_db: Database, registry: Registry, finance: Finance, database_url: str
) -> None:
    world = World(registry, finance)
    shuffled = list(finance.log)
    random.Random(7).shuffle(shuffled)
    await feeder(reporting_db).apply_log(registry.log)
    await finance_feeder(reporting_db, batch_size=5).apply_log(shuffled)
    expected = {
        "borrowers": 3,
        "fund_balance_vnd": 24_600_000,
        "in_kind_vnd": 4 * M,
        "outstanding_principal_vnd": 12_500_000,
        "par30": Decimal("64.00"),
    }
    a = await club(reporting_db, world.a, JUNE_30)
    assert {k: a[k] for k in expected} == expected


async def test_a_repayment_before_its_loan_waits_for_it(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    a = registry.club("29623", date(2018, 3, 15))
    (member,) = registry.members(a, "86", 1, joined_on=date(2019, 1, 1))
    income = finance.fund(a, "86", "income", date(2019, 1, 1))
    loan = finance.lend(income, a, "86", member, 3 * M, date(2026, 1, 1), 3, 30_000)
    finance.pay_instalments(loan, 1)
    finance.repay(loan, date(2026, 3, 1), [(2, M, 30_000), (3, M, 0)], settles=True)
    disbursement, first, settlement = finance.log[1:]
    await feeder(reporting_db).apply_log(registry.log)
    await finance_feeder(reporting_db).apply_log([finance.log[0], settlement, first])
    early = await club(reporting_db, a, date(2026, 2, 15))
    assert early["outstanding_principal_vnd"] == 0 and early["borrowers"] == 0  # no loan yet
    await finance_feeder(reporting_db).apply_log([disbursement])
    then = await club(reporting_db, a, date(2026, 2, 15))
    assert then["outstanding_principal_vnd"] == 2 * M and then["borrowers"] == 1
    settled = await club(reporting_db, a, date(2026, 3, 1))
    assert settled["outstanding_principal_vnd"] == 0 and settled["loans_outstanding"] == 0
    assert settled["fund_balance_vnd"] == 3 * M + 60_000 - 3 * M


async def test_a_reversal_undoes_its_flow_from_its_date(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    a = registry.club("29623", date(2018, 3, 15))
    registry.members(a, "86", 5, joined_on=date(2019, 1, 1))
    activity = finance.fund(a, "86", "activity", date(2019, 1, 1))
    cash = finance.contribute(activity, a, "86", 700_000, date(2026, 5, 1))
    gift = finance.contribute(activity, a, "86", 300_000, date(2026, 5, 1), in_kind=True)
    finance.reverse(cash, "contribution", activity, a, "86", 700_000, date(2026, 5, 20))
    finance.reverse(gift, "contribution", activity, a, "86", 300_000, date(2026, 5, 20))
    contribution, gift_event, cash_reversal, gift_reversal = finance.log[1:]
    await feeder(reporting_db).apply_log(registry.log)
    # The gift's reversal arrives before the gift: once the gift is in, it counts
    # against the gifts in kind, not the cash.
    await finance_feeder(reporting_db).apply_log(
        [finance.log[0], gift_reversal, contribution, cash_reversal]
    )
    await finance_feeder(reporting_db).apply_log([gift_event])
    before = await club(reporting_db, a, date(2026, 5, 19))
    assert (before["fund_balance_vnd"], before["in_kind_vnd"]) == (700_000, 300_000)
    assert "resource_mobilisation" in before["activity_areas"]
    after = await club(reporting_db, a, date(2026, 5, 20))
    assert (after["fund_balance_vnd"], after["in_kind_vnd"]) == (0, 0)
    assert "resource_mobilisation" not in after["activity_areas"]  # recorded in error


async def test_plan_targets_for_borrowers_and_both_funds_are_measured(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    await apply(reporting_db, world)
    doc = PlanDoc.model_validate(
        {
            "id": "vinh-long-2026",
            "scope": "province",
            "province": "86",
            "title": "Kế hoạch 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "targets": [
                {"indicator": "borrowers", "value": "50", "by": "2026-12-31"},
                {"indicator": "funds_ok", "value": "100", "by": "2026-12-31"},
            ],
        }
    )
    async with reporting_db.sessions() as session:
        await plans.put_plan(session, NATIONAL, doc)
    (measured,) = (await province(reporting_db, JUNE_30))["plans"]
    targets = {t["indicator"]: t for t in measured["targets"]}
    assert {k: targets["borrowers"][k] for k in ("value", "target", "by", "gap")} == {
        "value": Decimal("30.76"),
        "target": Decimal("50"),
        "by": date(2026, 12, 31),
        "gap": Decimal("19.24"),
    }
    assert targets["funds_ok"]["value"] == Decimal("50.00")
    assert targets["funds_ok"]["gap"] == Decimal("50.00")


async def test_a_period_and_a_date_inside_months(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    # Sums by month for the whole months, the facts for the parts of months.
    world = World(registry, finance)
    await apply(reporting_db, world)
    async with reporting_db.sessions() as session:
        q = service.make_query(date(2026, 5, 20), Boundary.CURRENT, date(2026, 3, 15), None)
        a = (await service.club_detail(session, NATIONAL, world.a, q))["indicators"]
    assert a["interest_income_vnd"] == (
        120_000 + 120_000 + 100_000  # L1 #2 (15 March), #3, #4
        + 60_000 + 60_000  # L2 #1, #2
        + 20_000  # L7 #2 (its #1 on 1 March is before the period)
    )  # fmt: skip
    assert (
        a["fee_income_vnd"] == 9 * 2 * 5_000 - 5_000
    )  # April, May; the March fee reversed on 20 March
    assert a["fund_balance_vnd"] == (
        30 * M + 10 * M + M - M  # contributions in cash
        + (460_000 + 120_000 + 240_000 + 120_000 + 40_000)  # interest by 20 May
        + (45_000 + 9 * 5 * 5_000 - 5_000)  # fees
        - 200_000  # expenses
        + M  # recovered
        + (4 * M + 2 * M + 2_400_000 + 3 * M + 2 * M)  # principal repaid
        - A_LENT
    )  # fmt: skip


async def test_the_sums_by_month_equal_the_facts_however_delivered(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    world = World(registry, finance)
    shuffled = list(finance.log)
    random.Random(3).shuffle(shuffled)
    resent = [{**e, "id": str(new_event_id())} for e in shuffled[::3]]
    await feeder(reporting_db).apply_log(registry.log)
    await finance_feeder(reporting_db, batch_size=4).apply_log(shuffled + resent)
    await finance_feeder(reporting_db).apply_log(finance.log)  # again: the inbox skips them
    async with reporting_db.sessions() as session:
        kept = {
            (r.club_id, r.counts_as, r.month): r.amount
            for r in (await session.exec(select(MoneyMonth))).all()
            if r.amount
        }
        facts: dict[tuple[str, str, date], int] = defaultdict(int)
        for flow in (await session.exec(select(MoneyFlow))).all():
            facts[(flow.club_id, flow.counts_as, flow.booked_on.replace(day=1))] += flow.amount
        for paid in (await session.exec(select(AllocationFact))).all():
            facts[(paid.club_id, PRINCIPAL_REPAID, paid.paid_on.replace(day=1))] += paid.principal
    assert kept == {k: v for k, v in facts.items() if v}
    # The January gift in kind and its reversal (which may have come first) net to
    # nothing, and nothing of it is left on the cash.
    assert (world.a, "contribution", date(2026, 1, 1)) not in kept
    assert (world.a, "contribution_in_kind", date(2026, 1, 1)) not in kept
    assert kept[(world.a, "contribution_in_kind", date(2025, 9, 1))] == 4 * M


async def test_a_reversal_missed_by_a_race_is_set_right_by_the_next_batch(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    # Two replicas apply a gift and its reversal at the same moment, neither
    # seeing the other's: the reversal stays counted as cash until a batch sweeps.
    a = registry.club("29623", date(2018, 3, 15))
    registry.members(a, "86", 5, joined_on=date(2019, 1, 1))
    activity = finance.fund(a, "86", "activity", date(2019, 1, 1))
    gift = finance.contribute(activity, a, "86", 300_000, date(2026, 4, 1), in_kind=True)
    finance.reverse(gift, "contribution", activity, a, "86", 300_000, date(2026, 5, 20))
    opened, _gift_event, reversal = finance.log
    await feeder(reporting_db).apply_log(registry.log)
    await finance_feeder(reporting_db).apply_log([opened, reversal])
    async with reporting_db.sessions() as session:  # the other replica's batch, as it wrote it
        session.add(
            MoneyFlow(
                ref_id=gift,
                fund_id=activity,
                club_id=a,
                kind="contribution_in_kind",
                counts_as="contribution_in_kind",
                amount=300_000,
                booked_on=date(2026, 4, 1),
            )
        )
        session.add(
            MoneyMonth(
                club_id=a, counts_as="contribution_in_kind", month=date(2026, 4, 1), amount=300_000
            )
        )
        await session.commit()
    before = await club(reporting_db, a, JUNE_30)
    assert (before["fund_balance_vnd"], before["in_kind_vnd"]) == (-300_000, 300_000)
    member = registry.log[-1]["subject"]
    finance.fee(activity, a, "86", member, date(2026, 6, 1), 5_000)  # any later batch
    await finance_feeder(reporting_db).apply_log(finance.log[-1:])
    after = await club(reporting_db, a, JUNE_30)
    assert (after["fund_balance_vnd"], after["in_kind_vnd"]) == (5_000, 0)
