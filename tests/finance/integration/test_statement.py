"""A fund's public statement (công khai tài chính) over HTTP: JSON, XLSX and a
printable HTML page, in Vietnamese, over a period crossing 29/02/2024 and a month
end; no member in it; thousands of entries in a few statements.

The activity fund of a club of Vĩnh Long (Xã Nhơn Phú), hand-computed:

    31/01/2024  contribution, state budget           + 1,000,000   (before the period)
    28/02/2024  a member's fee for February               + 3,000   1,003,000
    29/02/2024  expense, health care                    − 200,000     803,000
    29/02/2024  a gift in kind (individual), 500,000      (goods)     803,000
    01/03/2024  contribution, Golden Heart book         + 250,000   1,053,000
    15/03/2024  correction: the fee reversed              − 3,000   1,050,000
    31/03/2024  expense, home care                       − 50,000   1,000,000
    01/04/2024  contribution, organisation               + 70,000   (after the period)
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert

from ishc_finance.adapters.statement_files import AMOUNT_FORMAT
from ishc_finance.models import Contribution, Expense, LedgerEntry, LedgerLine
from ishc_platform.db import make_sync_engine
from tests.finance.conftest import DN, NATIONAL, OPS, VL, Finance
from tests.finance.integration.test_funds_api import Club, contribute, ok, pay_fee, setup_club

pytestmark = pytest.mark.integration
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
PERIOD = {"from": "2024-02-28", "to": "2024-03-31"}


def _leap_year_fund(finance: Finance) -> tuple[Club, dict[str, Any]]:
    club = setup_club(finance)
    http = finance.http
    fund = club.activity
    contribute(finance, fund, 1_000_000, "2024-01-31", source="state_budget")
    fee = ok(pay_fee(finance, fund, club.member, "2024-02", paid_on="2024-02-28"))

    def spend(amount: int, area: str, on: str) -> dict[str, Any]:
        body = {"amount_vnd": amount, "purpose": HOSTILE, "area": area, "spent_on": on}
        return ok(http.post(f"/v1/funds/{fund}/expenses", json=body, headers=VL))

    health = spend(200_000, "health_care", "2024-02-29")
    gift = contribute(
        finance, fund, 500_000, "2024-02-29", source="individual", in_kind=True, description=HOSTILE
    )
    heart = contribute(finance, fund, 250_000, "2024-03-01", description=HOSTILE)
    reversal = ok(
        http.post(
            f"/v1/funds/{fund}/reversals",
            json={"reversed_id": fee["id"], "reason": HOSTILE, "reversed_on": "2024-03-15"},
            headers=VL,
        )
    )
    home = spend(50_000, "home_care", "2024-03-31")
    contribute(finance, fund, 70_000, "2024-04-01", source="organisation")
    ids = {
        "fee": fee["id"],
        "health": health["id"],
        "gift": gift["id"],
        "heart": heart["id"],
        "reversal": reversal["id"],
        "home": home["id"],
    }
    return club, ids


def test_the_statement_over_a_leap_day_and_a_month_end(finance: Finance) -> None:
    club, ids = _leap_year_fund(finance)
    reply = finance.http.get(f"/v1/funds/{club.activity}/statement", params=PERIOD, headers=VL)
    statement = ok(reply, 200)
    assert statement["fund_id"] == club.activity and statement["kind"] == "activity"
    assert (statement["date_from"], statement["date_to"]) == ("2024-02-28", "2024-03-31")
    assert statement["opening_balance_vnd"] == 1_000_000
    assert [
        (
            e["on"],
            e["kind"],
            e["note"],
            e["inflow_vnd"],
            e["outflow_vnd"],
            e["balance_vnd"],
            e["in_kind_vnd"],
        )
        for e in statement["entries"]
    ] == [
        ("2024-02-28", "fee", None, 3_000, 0, 1_003_000, 0),
        ("2024-02-29", "expense", "health_care", 0, 200_000, 803_000, 0),
        ("2024-02-29", "contribution_in_kind", "individual", 0, 0, 803_000, 500_000),
        ("2024-03-01", "contribution", "golden_heart_book", 250_000, 0, 1_053_000, 0),
        ("2024-03-15", "reversal", "fee", 0, 3_000, 1_050_000, 0),
        ("2024-03-31", "expense", "home_care", 0, 50_000, 1_000_000, 0),
    ]
    assert [e["reference_id"] for e in statement["entries"]] == [
        ids["fee"],
        ids["health"],
        ids["gift"],
        ids["heart"],
        ids["reversal"],
        ids["home"],
    ]
    assert statement["total_inflow_vnd"] == 253_000
    assert statement["total_outflow_vnd"] == 253_000
    assert statement["closing_balance_vnd"] == 1_000_000
    assert statement["total_in_kind_vnd"] == 500_000
    assert club.member not in reply.text and "script" not in reply.text

    leap_day = ok(
        finance.http.get(
            f"/v1/funds/{club.activity}/statement",
            params={"from": "2024-02-29", "to": "2024-02-29"},
            headers=NATIONAL,
        ),
        200,
    )
    assert leap_day["opening_balance_vnd"] == 1_003_000
    assert [e["kind"] for e in leap_day["entries"]] == ["expense", "contribution_in_kind"]
    assert leap_day["closing_balance_vnd"] == 803_000
    march = ok(
        finance.http.get(
            f"/v1/funds/{club.activity}/statement",
            params={"from": "2024-03-01", "to": "2024-03-31"},
            headers=VL,
        ),
        200,
    )
    assert march["opening_balance_vnd"] == 803_000 and march["closing_balance_vnd"] == 1_000_000
    assert len(march["entries"]) == 3


def test_the_statement_defaults_to_this_month_until_today(finance: Finance) -> None:
    club = setup_club(finance)
    contribute(finance, club.activity, 40_000, "2026-11-30")
    contribute(finance, club.activity, 2_000, "2026-12-01")  # today in Vietnam
    statement = ok(finance.http.get(f"/v1/funds/{club.activity}/statement", headers=VL), 200)
    assert (statement["date_from"], statement["date_to"]) == ("2026-12-01", "2026-12-01")
    assert statement["opening_balance_vnd"] == 40_000
    assert [e["inflow_vnd"] for e in statement["entries"]] == [2_000]
    assert statement["closing_balance_vnd"] == 42_000
    empty = ok(
        finance.http.get(
            f"/v1/funds/{club.income}/statement", params={"from": "2006-12-01"}, headers=VL
        ),
        200,
    )
    assert empty["entries"] == [] and empty["opening_balance_vnd"] == 0
    assert empty["closing_balance_vnd"] == 0


def test_the_statement_as_a_vietnamese_workbook(finance: Finance) -> None:
    club, _ = _leap_year_fund(finance)
    reply = finance.http.get(
        f"/v1/funds/{club.activity}/statement",
        params={**PERIOD, "format": "xlsx"},
        headers=NATIONAL,
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == XLSX
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == (
        "Công khai tài chính - Quỹ hoạt động - 28-02-2024 đến 31-03-2024.xlsx"
    )
    assert all(ord(c) < 128 for c in disposition)
    sheet = load_workbook(io.BytesIO(reply.content)).active
    assert sheet is not None
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "CÔNG KHAI TÀI CHÍNH"
    assert cells[1][0] == "Quỹ hoạt động"
    assert cells[2][0] == "Câu lạc bộ liên thế hệ tự giúp nhau: Xã Nhơn Phú, Tỉnh Vĩnh Long"
    assert cells[3][0] == f"Mã câu lạc bộ: {club.id}"
    assert cells[4][0] == "Từ ngày 28/02/2024 đến ngày 31/03/2024"
    header = cells.index(["Ngày", "Nội dung", "Thu", "Chi", "Tồn quỹ"])
    body = cells[header + 1 : header + 10]
    assert body == [
        [None, "Tồn quỹ đầu kỳ", None, None, 1_000_000],
        [datetime(2024, 2, 28), "Thu hội phí", 3_000, None, 1_003_000],
        [datetime(2024, 2, 29), "Chi hoạt động – chăm sóc sức khỏe", None, 200_000, 803_000],
        [
            datetime(2024, 2, 29),
            "Nhận hiện vật – cá nhân hảo tâm (hiện vật trị giá 500.000 đ, không tính vào tồn quỹ)",
            None,
            None,
            803_000,
        ],
        [datetime(2024, 3, 1), "Nhận đóng góp – Sổ Tấm lòng vàng", 250_000, None, 1_053_000],
        [datetime(2024, 3, 15), "Điều chỉnh: hủy khoản hội phí ghi nhầm", None, 3_000, 1_050_000],
        [datetime(2024, 3, 31), "Chi hoạt động – chăm sóc tại nhà", None, 50_000, 1_000_000],
        [None, "Cộng phát sinh trong kỳ", 253_000, 253_000, None],
        [None, "Tồn quỹ cuối kỳ", None, None, 1_000_000],
    ]
    row = header + 3  # 29/02: the dates and amounts show as people write them
    assert sheet.cell(row=row, column=1).number_format == "DD/MM/YYYY"
    assert sheet.cell(row=row, column=4).number_format == AMOUNT_FORMAT
    everything = _all_text(reply.content)
    assert club.member not in everything
    assert "<script" not in everything and "alert" not in everything


def _all_text(xlsx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_the_statement_as_a_printable_page(finance: Finance) -> None:
    club, ids = _leap_year_fund(finance)
    reply = finance.http.get(
        f"/v1/funds/{club.activity}/statement", params={**PERIOD, "format": "html"}, headers=VL
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-disposition"].startswith("inline; ")
    page = reply.text
    assert page.startswith("<!DOCTYPE html>") and '<html lang="vi">' in page
    for expected in (
        "<h1>CÔNG KHAI TÀI CHÍNH</h1>",
        "<h2>Quỹ hoạt động</h2>",
        "Xã Nhơn Phú, Tỉnh Vĩnh Long",
        "Từ ngày 28/02/2024 đến ngày 31/03/2024",
        '<th scope="col">Tồn quỹ</th>',
        "Tồn quỹ đầu kỳ",
        "29/02/2024",
        "1.003.000 đ",
        "1.000.000 đ",
        "253.000 đ",
        "Chi hoạt động – chăm sóc sức khỏe",
        "Lập ngày 01 tháng 12 năm 2026",
        "@media print",
    ):
        assert expected in page, expected
    # nothing people typed is on the page (it could name someone), let alone as markup
    assert "<script" not in page and "onerror" not in page and "alert" not in page
    assert club.member not in page and ids["fee"] not in page


def test_the_statement_is_read_by_national_and_own_province_only(finance: Finance) -> None:
    club = setup_club(finance)
    url = f"/v1/funds/{club.activity}/statement"
    for fmt in ("json", "xlsx", "html"):
        assert finance.http.get(url, params={"format": fmt}, headers=NATIONAL).status_code == 200
        assert finance.http.get(url, params={"format": fmt}, headers=DN).status_code == 404
        assert finance.http.get(url, params={"format": fmt}, headers=OPS).status_code == 403
        assert finance.http.get(url, params={"format": fmt}).status_code == 401


def _bulk_entries(finance: Finance, club: Club, n: int) -> None:
    """n entries straight into the ledger (as n requests would put them, faster):
    alternately a contribution of 10,000 and an expense of 4,000, one a day."""
    start = date(2012, 1, 1)
    now = datetime.now(UTC)
    contributions, expenses, entries, lines = [], [], [], []
    for i in range(n):
        on = start + timedelta(days=i)
        record_id, entry_id = str(uuid.uuid4()), str(uuid.uuid4())
        if i % 2 == 0:
            kind, amount = "contribution", 10_000
            contributions.append(
                {
                    "id": record_id,
                    "fund_id": club.activity,
                    "club_id": club.id,
                    "source": "fund_raising",
                    "amount_vnd": amount,
                    "in_kind": False,
                    "received_on": on,
                    "created_at": now,
                }
            )
            pair = (("cash", amount), ("contributions", -amount))
        else:
            kind, amount = "expense", 4_000
            expenses.append(
                {
                    "id": record_id,
                    "fund_id": club.activity,
                    "club_id": club.id,
                    "area": "rights",
                    "purpose": "x",
                    "spent_on": on,
                    "amount_vnd": amount,
                    "created_at": now,
                }
            )
            pair = (("expenses", amount), ("cash", -amount))
        entries.append(
            {
                "id": entry_id,
                "club_id": club.id,
                "entry_on": on,
                "kind": kind,
                "reference_id": record_id,
                "created_at": now,
            }
        )
        for account, value in pair:
            lines.append(
                {
                    "entry_id": entry_id,
                    "fund_id": club.activity,
                    "account": account,
                    "entry_on": on,
                    "amount_vnd": value,
                }
            )
    engine = make_sync_engine(finance.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(Contribution), contributions)
            connection.execute(insert(Expense), expenses)
            connection.execute(insert(LedgerEntry), entries)
            connection.execute(insert(LedgerLine), lines)
    finally:
        engine.dispose()


def test_five_thousand_entries_in_a_few_statements(finance: Finance) -> None:
    club = setup_club(finance)
    _bulk_entries(finance, club, 5_000)  # 12/01/2012 .. 08/09/2025
    engine = finance.http.app.state.db.engine.sync_engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.monotonic()
        reply = finance.http.get(
            f"/v1/funds/{club.activity}/statement",
            params={"from": "2012-01-01", "to": "2026-11-30"},
            headers=VL,
        )
        json_seconds = time.monotonic() - started
        asked = len(statements)
        files = {
            fmt: finance.http.get(
                f"/v1/funds/{club.activity}/statement",
                params={"from": "2012-01-01", "to": "2026-11-30", "format": fmt},
                headers=VL,
            )
            for fmt in ("xlsx", "html")
        }
    finally:
        event.remove(engine, "before_cursor_execute", count)
    statement = ok(reply, 200)
    assert len(statement["entries"]) == 5_000
    assert statement["total_inflow_vnd"] == 2_500 * 10_000
    assert statement["total_outflow_vnd"] == 2_500 * 4_000
    assert statement["closing_balance_vnd"] == 2_500 * 6_000
    assert statement["entries"][-1]["balance_vnd"] == 15_000_000
    assert statement["entries"][1]["note"] == "rights"
    # a handful of statements (the caller's club and fund, the opening, the lines),
    # whatever the number of entries; never one per entry
    assert asked <= 8, json.dumps(statements, indent=1)
    assert json_seconds < 10
    for fmt, answer in files.items():
        assert answer.status_code == 200, (fmt, answer.text[:300])
    sheet = load_workbook(io.BytesIO(files["xlsx"].content), read_only=True).active
    assert sheet is not None and sheet.max_row >= 5_000 + 9
    assert files["html"].text.count("<tr") == 5_000 + 4  # header, opening, totals, closing


def test_a_loan_shows_on_the_income_fund_and_its_interest_on_the_activity_fund(
    finance: Finance,
) -> None:
    """5,000,000 VND lent flat at 0.8% over 10 months; the first instalment paid back:
    500,000 principal into the income fund, 40,000 interest into the activity fund."""
    club = setup_club(finance)
    contribute(finance, club.income, 10_000_000, "2026-01-01", source="state_budget")
    loan = ok(
        finance.http.post(
            f"/v1/funds/{club.income}/loans",
            json={
                "member_id": club.member,
                "principal_vnd": 5_000_000,
                "monthly_rate": "0.008",
                "term_months": 10,
                "method": "flat",
                "disbursed_on": "2026-01-10",
            },
            headers=VL,
        )
    )
    ok(
        finance.http.post(
            f"/v1/loans/{loan['id']}/repayments",
            json={"amount_vnd": 540_000, "paid_on": "2026-02-10"},
            headers=VL,
        )
    )
    period = {"from": "2026-01-01", "to": "2026-02-28"}
    income = ok(
        finance.http.get(f"/v1/funds/{club.income}/statement", params=period, headers=NATIONAL),
        200,
    )
    assert [
        (e["on"], e["kind"], e["inflow_vnd"], e["outflow_vnd"], e["balance_vnd"])
        for e in income["entries"]
    ] == [
        ("2026-01-01", "contribution", 10_000_000, 0, 10_000_000),
        ("2026-01-10", "loan_disbursed", 0, 5_000_000, 5_000_000),
        ("2026-02-10", "repayment_principal", 500_000, 0, 5_500_000),
    ]
    activity = ok(
        finance.http.get(f"/v1/funds/{club.activity}/statement", params=period, headers=NATIONAL),
        200,
    )
    assert [(e["kind"], e["inflow_vnd"], e["balance_vnd"]) for e in activity["entries"]] == [
        ("interest", 40_000, 40_000)
    ]
    page = finance.http.get(
        f"/v1/funds/{club.income}/statement", params={**period, "format": "html"}, headers=VL
    ).text
    assert "Giải ngân cho vay" in page and "Thu nợ gốc cho vay" in page
    assert club.member not in page and loan["id"] not in page
    fund = ok(finance.http.get(f"/v1/funds/{club.income}", headers=NATIONAL), 200)
    assert fund["balances"]["loans_receivable_vnd"] == 4_500_000
    assert fund["balances"]["cash_vnd"] == 5_500_000
    assert fund["trial_balance_vnd"] == 0
    interest = ok(finance.http.get(f"/v1/funds/{club.activity}", headers=NATIONAL), 200)
    assert interest["balances"]["interest_income_vnd"] == 40_000
