"""Finance's OpenAPI, fuzzed under every role, stateless and stateful
(tests/fuzz/harness.py says how), over a club of the directory with a regulation,
both funds, money in them and a loan, loaded through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ishc_finance.app import create_app
from tests.fuzz.harness import (
    Target,
    check_every_operation,
    check_sequences,
    directory_rows,
    roles,
    running,
    settings_for,
)

pytestmark = pytest.mark.integration


def load(target: Target, database_url: str) -> None:
    club_id, member_id = directory_rows(database_url)
    province = roles()["province"]
    target.created(
        f"/v1/clubs/{club_id}/regulations",
        {
            "effective_on": "2024-01-01",
            "rate_min": "0.006",
            "rate_max": "0.010",
            "fee_min_vnd": 2000,
            "fee_max_vnd": 5000,
            "max_loan_vnd": 20_000_000,
            "max_term_months": 24,
            "methods": ["flat", "declining_equal_principal"],
            "rounding_unit_vnd": 1,
        },
        province,
    )
    income = target.created(
        f"/v1/clubs/{club_id}/funds", {"kind": "income", "opened_on": "2025-01-02"}, province
    )
    target.created(
        f"/v1/clubs/{club_id}/funds", {"kind": "activity", "opened_on": "2025-01-02"}, province
    )
    target.created(
        f"/v1/funds/{income['id']}/contributions",
        {"source": "organisation", "amount_vnd": 50_000_000, "received_on": "2025-01-10"},
        province,
    )
    loan = target.created(
        f"/v1/funds/{income['id']}/loans",
        {
            "member_id": member_id,
            "principal_vnd": 10_000_000,
            "monthly_rate": "0.008",
            "term_months": 12,
            "method": "flat",
            "disbursed_on": "2026-03-10",
        },
        province,
    )
    target.ids.update(
        club_id=club_id, member_id=member_id, fund_id=income["id"], loan_id=loan["id"]
    )


@pytest.fixture(scope="module")
def finance(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp("fuzz-finance")
    database_url = f"sqlite:///{folder}/finance.db"
    settings = settings_for(database_url, redis_url)
    with running("finance", create_app(settings), settings, redis_url) as target:
        load(target, database_url)
        yield target


def test_every_operation_under_every_role(finance: Target) -> None:
    check_every_operation(finance)


def test_sequences_follow_the_links(finance: Target) -> None:
    check_sequences(finance)
