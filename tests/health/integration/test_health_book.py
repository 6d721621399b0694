"""The health book over HTTP, on SQLite and PostgreSQL: JSON with exact flags, BMI,
trends and the twice-a-year count at its boundaries (the 12-month edge and
29 February); the printable page in Vietnamese; the member's export; the audit
of every read; what a withdrawn consent hides (from all but an auditor); erasure.

The world of the book: a member of a Vĩnh Long club who consented on 02/01/2025,
checked four times (hand-computed in `EXPECTED`); today is 01/12/2026, so the
twelve months run from 02/12/2025."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import set_clock_start
from ishc_platform.db import make_sync_engine
from tests.health.conftest import (
    DN,
    NATIONAL,
    OPS,
    SECRET,
    VINH_LONG,
    VL,
    Health,
    bearer,
)
from tests.health.integration.test_consent_and_checks import (
    denied,
    give_consent,
    ok,
    record_check,
    refused,
    rows,
    state,
    world,
)

pytestmark = pytest.mark.integration

AUDITOR = {
    "Authorization": "Bearer "
    + issue_token(
        SECRET, sub="thanh-tra-so-y-te", role=Role.PROVINCE, provinces=["86"], auditor=True
    )
}
REASON = "Tình nguyện viên xem trước buổi thăm"
STATION = "Trạm y tế xã Long Hồ"

CHECKS: list[dict[str, Any]] = [
    {
        "checked_on": "2025-06-10",
        "checker": "station",
        "station": STATION,
        "systolic_mmhg": 128,
        "diastolic_mmhg": 82,
        "pulse_bpm": 76,
        "weight_kg": 52,
        "height_cm": "155.0",
        "glucose_mmol_l": 5.6,
    },
    {
        "checked_on": "2025-12-01",
        "checker": "volunteer",
        "systolic_mmhg": 145,
        "diastolic_mmhg": 88,
        "pulse_bpm": 80,
        "weight_kg": "55.3",
    },
    {
        "checked_on": "2025-12-02",
        "checker": "station",
        "systolic_mmhg": 138,
        "diastolic_mmhg": 92,
        "weight_kg": 61.7,
        "height_cm": 158,
        "glucose_mmol_l": "7.9",
    },
    {"checked_on": "2026-12-01", "checker": "station", "pulse_bpm": 80, "weight_kg": "61.70"},
]
NOTHING = {
    "systolic_mmhg": None,
    "diastolic_mmhg": None,
    "pulse_bpm": None,
    "weight_kg": None,
    "height_cm": None,
    "glucose_mmol_l": None,
}


def expected(ids: list[str], volunteer: str) -> list[dict[str, Any]]:
    """The book's checks, hand-computed: BMI 52/1.55² = 21.64 → 21.6 (normal);
    55.3/1.55² = 23.02 → 23.0 (overweight, the height carried from 10/06/2025);
    61.7/1.58² = 24.72 → 24.7 (overweight)."""
    return [
        {
            "id": ids[0],
            "checked_on": "2025-06-10",
            "checker": "station",
            "checker_member_id": None,
            "station": STATION,
            "erased": False,
            "values": {
                **NOTHING,
                "systolic_mmhg": 128,
                "diastolic_mmhg": 82,
                "pulse_bpm": 76,
                "weight_kg": "52.0",
                "height_cm": "155.0",
                "glucose_mmol_l": "5.6",
            },
            "bmi": "21.6",
            "flags": {"blood_pressure": "normal", "bmi": "normal", "glucose": "normal"},
            "trend": {},
        },
        {
            "id": ids[1],
            "checked_on": "2025-12-01",
            "checker": "volunteer",
            "checker_member_id": volunteer,
            "station": None,
            "erased": False,
            "values": {
                **NOTHING,
                "systolic_mmhg": 145,
                "diastolic_mmhg": 88,
                "pulse_bpm": 80,
                "weight_kg": "55.3",
            },
            "bmi": "23.0",
            "flags": {"blood_pressure": "high", "bmi": "overweight", "glucose": None},
            "trend": {
                "systolic_mmhg": {"direction": "up", "difference": 17, "since": "2025-06-10"},
                "diastolic_mmhg": {"direction": "up", "difference": 6, "since": "2025-06-10"},
                "pulse_bpm": {"direction": "up", "difference": 4, "since": "2025-06-10"},
                "weight_kg": {"direction": "up", "difference": "3.3", "since": "2025-06-10"},
            },
        },
        {
            "id": ids[2],
            "checked_on": "2025-12-02",
            "checker": "station",
            "checker_member_id": None,
            "station": None,
            "erased": False,
            "values": {
                **NOTHING,
                "systolic_mmhg": 138,
                "diastolic_mmhg": 92,
                "weight_kg": "61.7",
                "height_cm": "158.0",
                "glucose_mmol_l": "7.9",
            },
            "bmi": "24.7",
            "flags": {"blood_pressure": "high", "bmi": "overweight", "glucose": "high"},
            "trend": {
                "systolic_mmhg": {"direction": "down", "difference": -7, "since": "2025-12-01"},
                "diastolic_mmhg": {"direction": "up", "difference": 4, "since": "2025-12-01"},
                "weight_kg": {"direction": "up", "difference": "6.4", "since": "2025-12-01"},
                "height_cm": {"direction": "up", "difference": "3.0", "since": "2025-06-10"},
                "glucose_mmol_l": {"direction": "up", "difference": "2.3", "since": "2025-06-10"},
            },
        },
        {
            "id": ids[3],
            "checked_on": "2026-12-01",
            "checker": "station",
            "checker_member_id": None,
            "station": None,
            "erased": False,
            "values": {**NOTHING, "pulse_bpm": 80, "weight_kg": "61.7"},
            "bmi": "24.7",
            "flags": {"blood_pressure": None, "bmi": "overweight", "glucose": None},
            "trend": {
                "pulse_bpm": {"direction": "same", "difference": 0, "since": "2025-12-01"},
                "weight_kg": {"direction": "same", "difference": "0.0", "since": "2025-12-02"},
            },
        },
    ]


def booked(health: Health) -> tuple[Any, list[str]]:
    """The world, with the member's consent and four checks (recorded out of order)."""
    w = world(health)
    give_consent(health, w.member, scopes=("health_checks", "home_care"))
    ids: dict[int, str] = {}
    for index in (3, 0, 2, 1):
        body = dict(CHECKS[index])
        if body["checker"] == "volunteer":
            body["checker_member_id"] = w.volunteer
        ids[index] = record_check(health, w.member, **body)["id"]
    return w, [ids[i] for i in range(4)]


def book(health: Health, member: str, headers: dict[str, str] = VL, **query: str) -> Any:
    params = {"reason": REASON, **query}
    return health.http.get(f"/v1/members/{member}/health-book", params=params, headers=headers)


def accesses(health: Health) -> list[tuple[Any, ...]]:
    return rows(
        health,
        "SELECT member_id, province, accessed_by, role, action, reason FROM health_book_access "
        "ORDER BY id",
    )


def test_the_book_shows_values_flags_trends_and_the_twice_a_year_rule(health: Health) -> None:
    w, ids = booked(health)
    found = ok(book(health, w.member), 200)
    assert found == {
        "member_id": w.member,
        "club_id": w.club,
        "province": VINH_LONG,
        "as_of": "2026-12-01",
        "consent": {
            "state": "standing",
            "given_on": "2025-01-02",
            "withdrawn_on": None,
            "scopes": ["health_checks", "home_care"],
        },
        "hidden": False,
        "audit_view": False,
        "checks": expected(ids, w.volunteer),
        # 01/12/2025 is a day too early; 02/12/2025 and today count
        "twice_a_year": {
            "window_from": "2025-12-02",
            "window_to": "2026-12-01",
            "checks": 2,
            "required": 2,
            "met": True,
        },
    }
    assert accesses(health) == [
        (w.member, VINH_LONG, "vinh-long-staff", "province", "read", REASON)
    ]


def test_the_twice_a_year_rule_across_29_february(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    set_clock_start(datetime(2028, 2, 28, 18, 30, tzinfo=UTC))  # 01:30 on 29/02/2028 in Vietnam
    token = bearer(Role.PROVINCE, VINH_LONG)
    for on in ("2027-02-28", "2027-03-01", "2028-02-29"):
        ok(
            health.http.post(
                f"/v1/members/{w.member}/health-checks",
                json={"checked_on": on, "checker": "station", "pulse_bpm": 70},
                headers=token,
            )
        )
    leap = ok(book(health, w.member, token), 200)["twice_a_year"]
    assert leap == {
        "window_from": "2027-03-01",
        "window_to": "2028-02-29",
        "checks": 2,
        "required": 2,
        "met": True,
    }
    set_clock_start(datetime(2029, 2, 27, 18, 30, tzinfo=UTC))  # 28/02/2029 in Vietnam
    token = bearer(Role.PROVINCE, VINH_LONG)
    later = ok(book(health, w.member, token), 200)["twice_a_year"]
    assert later == {
        "window_from": "2028-02-29",
        "window_to": "2029-02-28",
        "checks": 1,
        "required": 2,
        "met": False,
    }


def test_the_printable_page_is_in_vietnamese_and_escaped(health: Health) -> None:
    w = world(health)
    give_consent(health, w.member)
    ids = [
        record_check(health, w.member, **{**CHECKS[0], "station": "<script>alert(1)</script>"})[
            "id"
        ],
        record_check(health, w.member, **{**CHECKS[2]})["id"],
    ]
    reply = book(health, w.member, format="html")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-disposition"].startswith("inline; filename=")
    assert reply.headers["cache-control"] == "no-store"
    html = reply.text
    for words in [
        "SỔ THEO DÕI SỨC KHỎE",
        "Mã thành viên: " + w.member,
        "Đồng ý cho xử lý dữ liệu sức khỏe từ ngày 02/01/2025",
        "10/06/2025",
        "02/12/2025",
        "Huyết áp (mmHg)",
        "Cân nặng (kg)",
        "Đường huyết (mmol/L)",
        "128/82",
        "138/92",
        ">52,0<",
        ">155,0<",
        ">61,7<",
        ">158,0<",
        ">7,9<",
        ">21,6<",
        ">24,7<",
        "Huyết áp bình thường; Cân nặng bình thường; Đường huyết bình thường",
        "Huyết áp cao; Thừa cân; Đường huyết cao",
        "Cân nặng tăng 9,7 kg (so với 10/06/2025)",
        "Huyết áp tâm thu tăng 10 mmHg (so với 10/06/2025)",
        "Đường huyết tăng 2,3 mmol/L (so với 10/06/2025)",
        "Số lần khám trong 12 tháng (từ 02/12/2025 đến 01/12/2026): 1",
        "chưa đạt yêu cầu khám ít nhất 2 lần/năm",
        "In ngày 01 tháng 12 năm 2026",
        "Trạm y tế: &lt;script&gt;alert(1)&lt;/script&gt;",
    ]:
        assert words in html, words
    assert "<script>" not in html
    assert "61.7" not in html  # decimal commas only
    assert len(ids) == 2
    assert accesses(health) == [
        (w.member, VINH_LONG, "vinh-long-staff", "province", "print", REASON)
    ]


def test_the_member_s_own_copy_is_a_json_file(health: Health) -> None:
    w, ids = booked(health)
    reply = health.http.get(
        f"/v1/members/{w.member}/health-book/export",
        params={"reason": "Thành viên yêu cầu"},
        headers=VL,
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/json"
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="So_theo_doi_suc_khoe_-_')
    assert "filename*=UTF-8''S%E1%BB%95%20theo%20d%C3%B5i" in disposition
    assert disposition.endswith(".json")
    copy = json.loads(reply.content)
    assert copy["exported_by"] == "vinh-long-staff"
    assert copy["exported_at"].startswith("2026-11-30T18:30")
    assert [(c["given_on"], c["purpose"], c["standing"]) for c in copy["consents"]] == [
        ("2025-01-02", "Khám sức khỏe định kỳ và lập sổ theo dõi sức khỏe", True)
    ]
    assert copy["book"]["checks"] == expected(ids, w.volunteer)
    assert copy["book"]["twice_a_year"]["checks"] == 2
    assert accesses(health) == [
        (w.member, VINH_LONG, "vinh-long-staff", "province", "export", "Thành viên yêu cầu")
    ]


@pytest.mark.parametrize(
    ("reason", "route"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("Xem\x00", ""),
        ("x" * 501, ""),
        (None, "/export"),
        ("", "/export"),
        (None, "?format=html"),
    ],
)
def test_a_read_without_a_reason_is_refused_and_not_audited(
    health: Health, reason: str | None, route: str
) -> None:
    w, _ = booked(health)
    before = state(health)
    path, _, query = route.partition("?")
    params = dict(p.split("=") for p in query.split("&") if p)
    if reason is not None:
        params["reason"] = reason
    reply = health.http.get(f"/v1/members/{w.member}/health-book{path}", params=params, headers=VL)
    refused(reply, "reason")
    assert state(health) == before


def test_the_book_is_for_province_tokens_of_the_member_s_province(health: Health) -> None:
    w, _ = booked(health)
    before = state(health)
    for path in ("health-book", "health-book/export", "health-book?format=html"):
        url = f"/v1/members/{w.member}/{path}"
        for headers, status in [(DN, 404), (NATIONAL, 403), (OPS, 403), ({}, 401)]:
            denied(health.http.get(url, params={"reason": REASON}, headers=headers), status)
    missing = "0190f5a2-0000-7000-8000-000000000000"
    denied(book(health, missing), 404)
    refused(book(health, w.member, format="pdf"), "format")
    assert state(health) == before  # nothing answered, nothing audited


def test_the_province_queries_the_audit_of_every_read(health: Health) -> None:
    w, _ = booked(health)
    other = world(health)
    give_consent(health, other.member)
    ok(book(health, w.member), 200)
    assert book(health, w.member, format="html").status_code == 200
    ok(book(health, other.member, reason="Kiểm tra định kỳ"), 200)
    health.http.get(
        f"/v1/members/{w.member}/health-book/export", params={"reason": "Bản sao"}, headers=VL
    )
    dong_nai = health.member(health.club(province="75"), province="75")
    give_consent(health, dong_nai, headers=DN)
    ok(book(health, dong_nai, DN), 200)

    audit = ok(health.http.get("/v1/health-book-accesses", headers=VL), 200)
    assert [(a["member_id"], a["action"], a["reason"]) for a in audit["items"]] == [
        (w.member, "export", "Bản sao"),
        (other.member, "read", "Kiểm tra định kỳ"),
        (w.member, "print", REASON),
        (w.member, "read", REASON),
    ]
    first = audit["items"][0]
    assert first["accessed_by"] == "vinh-long-staff" and first["role"] == "province"
    assert first["province"] == VINH_LONG and first["club_id"] == w.club
    assert first["at"].startswith("2026-11-30T18:30")
    mine = ok(
        health.http.get(f"/v1/health-book-accesses?province=86&member_id={w.member}", headers=VL),
        200,
    )
    assert [a["action"] for a in mine["items"]] == ["export", "print", "read"]
    page = ok(health.http.get("/v1/health-book-accesses?limit=3", headers=VL), 200)
    rest = ok(
        health.http.get(
            f"/v1/health-book-accesses?limit=3&cursor={page['next_cursor']}", headers=VL
        ),
        200,
    )
    assert [a["id"] for a in page["items"] + rest["items"]] == [a["id"] for a in audit["items"]]
    assert rest["next_cursor"] is None
    # days in Vietnam: today is 01/12/2026 there (30/11 in UTC)
    today = ok(
        health.http.get("/v1/health-book-accesses?from=2026-12-01&to=2026-12-01", headers=VL), 200
    )
    assert len(today["items"]) == 4
    yesterday = ok(health.http.get("/v1/health-book-accesses?to=2026-11-30", headers=VL), 200)
    assert yesterday["items"] == []
    theirs = ok(health.http.get("/v1/health-book-accesses", headers=DN), 200)
    assert [(a["member_id"], a["accessed_by"]) for a in theirs["items"]] == [
        (dong_nai, "dong-nai-staff")
    ]
    denied(health.http.get("/v1/health-book-accesses?province=86", headers=DN), 403)
    denied(health.http.get("/v1/health-book-accesses", headers=NATIONAL), 403)
    denied(health.http.get("/v1/health-book-accesses", headers=OPS), 403)
    refused(health.http.get("/v1/health-book-accesses?cursor=garbled", headers=VL), "cursor")
    refused(
        health.http.get("/v1/health-book-accesses?from=2026-12-01&to=2026-11-01", headers=VL),
        "from",
    )
    refused(health.http.get("/v1/health-book-accesses?from=0001-01-01", headers=VL), "from")
    refused(health.http.get("/v1/health-book-accesses?province=8", headers=VL), "province")
    refused(health.http.get("/v1/health-book-accesses?member_id=a%20b", headers=VL), "member_id")


def test_a_withdrawn_consent_hides_the_checks_from_all_but_an_auditor(health: Health) -> None:
    w, ids = booked(health)
    ok(
        health.http.post(
            f"/v1/members/{w.member}/consent/withdraw",
            json={"withdrawn_on": "2026-12-01"},
            headers=VL,
        ),
        200,
    )
    hidden = ok(book(health, w.member), 200)
    assert hidden == {
        "member_id": w.member,
        "club_id": w.club,
        "province": VINH_LONG,
        "as_of": "2026-12-01",
        "consent": {
            "state": "withdrawn",
            "given_on": "2025-01-02",
            "withdrawn_on": "2026-12-01",
            "scopes": ["health_checks", "home_care"],
        },
        "hidden": True,
        "audit_view": False,
        "checks": [],
        "twice_a_year": None,
    }
    page = book(health, w.member, format="html").text
    assert "Đã rút lại sự đồng ý cho xử lý dữ liệu sức khỏe ngày 01/12/2026" in page
    assert "các lần khám không được hiển thị" in page
    assert "128/82" not in page and "61,7" not in page
    listed = ok(health.http.get(f"/v1/members/{w.member}/health-checks", headers=VL), 200)
    assert listed["items"] == []
    # new checks are refused
    refused(
        health.http.post(
            f"/v1/members/{w.member}/health-checks",
            json={"checked_on": "2026-12-01", "checker": "station", "pulse_bpm": 70},
            headers=VL,
        ),
        "member_id",
        409,
    )
    # an auditor sees everything, and the audit says an auditor read it
    seen = ok(book(health, w.member, AUDITOR), 200)
    assert seen["hidden"] is False and seen["audit_view"] is True
    assert seen["checks"] == expected(ids, w.volunteer)
    assert "Bản xem của thanh tra" in book(health, w.member, AUDITOR, format="html").text
    audited = ok(health.http.get(f"/v1/members/{w.member}/health-checks", headers=AUDITOR), 200)
    assert [c["id"] for c in audited["items"]] == ids
    assert accesses(health)[-2:] == [
        (w.member, VINH_LONG, "thanh-tra-so-y-te", "auditor", "read", REASON),
        (w.member, VINH_LONG, "thanh-tra-so-y-te", "auditor", "print", REASON),
    ]
    # the export, too, holds no check but an auditor's
    copy = json.loads(
        health.http.get(
            f"/v1/members/{w.member}/health-book/export", params={"reason": "x"}, headers=VL
        ).content
    )
    assert copy["book"]["checks"] == [] and len(copy["consents"]) == 1
    # a later consent shows only what was recorded under it
    set_clock_start(datetime(2026, 12, 2, 18, 30, tzinfo=UTC))  # 03/12/2026 in Vietnam
    token = bearer(Role.PROVINCE, VINH_LONG)
    give_consent(health, w.member, given_on="2026-12-02", headers=token)
    fresh = record_check(
        health, w.member, headers=token, checked_on="2026-12-03", systolic_mmhg=150
    )
    again = ok(book(health, w.member, token), 200)
    assert again["consent"]["state"] == "standing" and again["hidden"] is True
    assert [(c["id"], c["values"]["systolic_mmhg"], c["trend"]) for c in again["checks"]] == [
        (fresh["id"], 150, {})
    ]
    assert again["twice_a_year"]["checks"] == 1


def test_erasure_removes_the_values_and_keeps_the_dates(health: Health) -> None:
    w, ids = booked(health)
    sealer_token = rows(health, "SELECT values_sealed FROM health_check")[0][0]
    insert = (
        "INSERT INTO insurance (id, member_id, club_id, valid_from, valid_to, card_sealed, "
        "created_at) VALUES ('ins-1', '{m}', '{c}', '2026-01-01', '2026-12-31', '{t}', "
        "'2026-01-01 00:00:00')"
    )
    visit = (
        "INSERT INTO home_care_visit (id, club_id, volunteer_id, beneficiary, beneficiary_id, "
        "visited_on, tasks, note_sealed, created_at) VALUES ('{i}', '{c}', '{v}', '{b}', "
        "'{m}', '2026-11-01', 'talking', '{t}', '2026-11-01 00:00:00')"
    )
    _execute(health, insert.format(m=w.member, c=w.club, t=sealer_token))
    _execute(
        health,
        visit.format(i="v-1", c=w.club, v=w.volunteer, b="member", m=w.member, t=sealer_token),
    )
    _execute(
        health,
        visit.format(i="v-2", c=w.club, v=w.member, b="member", m=w.volunteer, t=sealer_token),
    )  # the member visits someone: not theirs
    events_before = rows(health, "SELECT event_id FROM outbox ORDER BY id")
    done = ok(
        health.http.post(
            f"/v1/members/{w.member}/health-data/erase",
            json={"reason": "Thành viên yêu cầu xóa dữ liệu"},
            headers=VL,
        ),
        200,
    )
    assert done == {
        "member_id": w.member,
        "club_id": w.club,
        "province": VINH_LONG,
        "checks_kept": 4,
        "checks_erased": 4,
        "insurance_cards_erased": 1,
        "visit_notes_erased": 1,
    }
    stored = rows(health, "SELECT values_sealed, erased_at, checked_on FROM health_check")
    assert all(v is None and at is not None for v, at, _ in stored)
    assert sorted(str(on) for *_, on in stored) == [c["checked_on"] for c in CHECKS]
    assert rows(health, "SELECT card_sealed FROM insurance") == [(None,)]
    assert sorted(rows(health, "SELECT id, note_sealed IS NULL FROM home_care_visit")) == [
        ("v-1", True),
        ("v-2", False),
    ]
    assert rows(health, "SELECT event_id FROM outbox ORDER BY id") == events_before
    erased = ok(book(health, w.member), 200)
    assert [
        (c["id"], c["checked_on"], c["erased"], c["values"], c["bmi"], c["station"], c["trend"])
        for c in erased["checks"]
    ] == [
        (i, c["checked_on"], True, None, None, None, {}) for i, c in zip(ids, CHECKS, strict=True)
    ]
    assert all(
        c["flags"] == {"blood_pressure": None, "bmi": None, "glucose": None}
        for c in erased["checks"]
    )
    assert erased["twice_a_year"]["checks"] == 2  # the checks happened
    assert (
        "Đã xóa số liệu theo yêu cầu của thành viên" in book(health, w.member, format="html").text
    )
    listed = ok(health.http.get(f"/v1/members/{w.member}/health-checks", headers=VL), 200)
    assert [c["erased"] for c in listed["items"]] == [True] * 4
    # again: nothing more to erase, and the request is audited again
    again = ok(
        health.http.post(
            f"/v1/members/{w.member}/health-data/erase", json={"reason": "Lần hai"}, headers=VL
        ),
        200,
    )
    assert (
        again["checks_kept"],
        again["checks_erased"],
        again["insurance_cards_erased"],
        again["visit_notes_erased"],
    ) == (4, 0, 0, 0)
    assert [a[4:] for a in accesses(health) if a[4] == "erase"] == [
        ("erase", "Thành viên yêu cầu xóa dữ liệu"),
        ("erase", "Lần hai"),
    ]


def test_erasure_is_for_province_tokens_and_needs_a_reason(health: Health) -> None:
    w, _ = booked(health)
    before = state(health)
    url = f"/v1/members/{w.member}/health-data/erase"
    for headers, status in [(DN, 404), (NATIONAL, 403), (OPS, 403), ({}, 401)]:
        denied(health.http.post(url, json={"reason": "x"}, headers=headers), status)
    for body, field in [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "a\x00"}, "reason"),
        ({"reason": "x", "all": True}, "all"),
    ]:
        refused(health.http.post(url, json=body, headers=VL), field)
    assert state(health) == before


def _execute(health: Health, statement: str) -> None:
    engine = make_sync_engine(health.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
