"""What the bodies of regulations, funds, contributions, fees, expenses and
corrections accept (unit: no I/O): rates as decimal strings, strict whole VND,
months as "YYYY-MM", clean text; and the balances a fund answers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ishc_finance import schemas
from ishc_finance.domain.ledger import Account
from ishc_finance.models import Fund
from ishc_finance.service.funds import FundView

REGULATION: dict[str, Any] = {
    "effective_on": "2020-01-01",
    "rate_min": "0.006",
    "rate_max": "0.010",
    "fee_min_vnd": 2000,
    "fee_max_vnd": 5000,
    "max_loan_vnd": 20_000_000,
    "max_term_months": 24,
    "methods": ["flat"],
    "rounding_unit_vnd": 1000,
}


def fields_refused(model: type[BaseModel], body: dict[str, Any]) -> set[str]:
    try:
        model.model_validate_json(json.dumps(body))
    except ValidationError as error:
        return {".".join(str(p) for p in e["loc"]) for e in error.errors()}
    return set()


@pytest.mark.parametrize("text", ["0.006", "0.01", "0.0085", "1", "0", "0.000001"])
def test_a_rate_is_a_decimal_string(text: str) -> None:
    parsed = schemas.RegulationIn.model_validate_json(json.dumps({**REGULATION, "rate_min": text}))
    assert parsed.rate_min == Decimal(text)


@pytest.mark.parametrize(
    "bad",
    [
        0.006,
        6,
        "0.0000001",
        "1.5",
        "-0.006",
        "0,006",
        "NaN",
        "Infinity",
        "1e-3",
        " 0.006",
        True,
        None,
    ],
)
def test_a_rate_that_is_not_one(bad: Any) -> None:
    assert fields_refused(schemas.RegulationIn, {**REGULATION, "rate_min": bad}) == {"rate_min"}


@pytest.mark.parametrize("bad", [0, -1, 1.0, 1.5, "3000", True, False, None, 10**12 + 1, [3000]])
def test_an_amount_is_whole_vnd_above_zero(bad: Any) -> None:
    body = {"member_id": "m-1", "month": "2026-03", "amount_vnd": bad, "paid_on": "2026-03-05"}
    assert fields_refused(schemas.FeeIn, body) == {"amount_vnd"}
    expense = {"amount_vnd": bad, "purpose": "Trà", "area": "rights", "spent_on": "2026-03-05"}
    assert fields_refused(schemas.ExpenseIn, expense) == {"amount_vnd"}


@pytest.mark.parametrize(
    "month", ["2026-00", "2026-13", "2026-1", "26-03", "2026-03-01", "2101-01", ""]
)
def test_a_month_is_year_dash_month(month: str) -> None:
    body = {"member_id": "m-1", "month": month, "amount_vnd": 3000, "paid_on": "2026-03-05"}
    assert fields_refused(schemas.FeeIn, body) == {"month"}


def test_text_is_clean_and_bounded() -> None:
    base = {"amount_vnd": 1000, "area": "rights", "spent_on": "2026-03-05"}
    assert fields_refused(schemas.ExpenseIn, {**base, "purpose": "  Trà  "}) == set()
    parsed = schemas.ExpenseIn.model_validate({**base, "purpose": "  Tra\u0300  "})
    assert parsed.purpose == "Trà"  # trimmed and NFC
    for bad in ("", "   ", "a\x00b", "a\u202eb", "x" * 501):
        assert fields_refused(schemas.ExpenseIn, {**base, "purpose": bad}) == {"purpose"}
    for key in ("a\tb", "", "k" * 101):
        body = {
            "source": "individual",
            "amount_vnd": 1,
            "received_on": "2026-01-01",
            "external_id": key,
        }
        assert fields_refused(schemas.ContributionIn, body) == {"external_id"}


def test_unknown_fields_are_refused() -> None:
    assert fields_refused(
        schemas.FundIn, {"kind": "income", "opened_on": "2020-01-01", "x": 1}
    ) == {"x"}


def test_a_fund_answers_its_accounts_in_their_natural_sign() -> None:
    fund = Fund(id="f", club_id="c", kind="activity", opened_on=date(2020, 1, 15))
    ledger = {
        Account.CASH: 553_000,
        Account.GOODS_IN_KIND: 500_000,
        Account.EXPENSES: 450_000,
        Account.CONTRIBUTIONS: -1_000_000,
        Account.CONTRIBUTIONS_IN_KIND: -500_000,
        Account.FEE_INCOME: -3_000,
    }
    view = FundView(fund, "86", date(2026, 12, 1), ledger)
    assert view.natural(Account.CASH) == 553_000
    assert view.natural(Account.CONTRIBUTIONS) == 1_000_000
    assert view.natural(Account.FEE_INCOME) == 3_000
    assert view.natural(Account.INTEREST_INCOME) == 0
    assert view.trial_balance_vnd == 0
    broken = FundView(fund, "86", date(2026, 12, 1), {**ledger, Account.CASH: 553_001})
    assert broken.trial_balance_vnd == 1
