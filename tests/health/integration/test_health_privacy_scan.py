"""Nothing personal leaves the health service by a side door (issue 11; PDPL
91/2025/QH15): a full run through every health route with distinctive clinical
values, names, notes, reasons and a card number, then a scan of every stream
entry, every event-log entry (whole, with a service token, and the public view,
with a national token) and every log line the app wrote during the run (its
structlog lines, anything else on stdout or stderr, and the standard library's
log records), finding none of them. The database, dumped, holds none of the names,
notes, card numbers or clinical values either (they are sealed; the audit keeps
its reasons by design, so reasons are looked for everywhere but there)."""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from typing import Any
from urllib.parse import quote_plus

import pytest
import structlog

from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import decode_entry
from tests.health.conftest import NATIONAL, OPS, SECRET, VL, Health
from tests.health.integration.test_exercise_api import ok
from tests.health.integration.test_health_access_matrix import MATRIX
from tests.health.integration.test_visits_api import database_text
from tests.helpers.privacy import NUMBER_TOKEN, SEALED, leaks, numbers_in, unsealed

pytestmark = pytest.mark.integration
SERVICE = {"Authorization": f"Bearer {issue_token(SECRET, sub='reporting', role=Role.SERVICE)}"}

# What must never leave: text a person wrote or is, and clinical values.
NAME = "Trần Thị Bích Hạnh"
NOTE = "đau khớp gối"
MEMBER_NOTE = "Ông Sáu hay quên uống thuốc huyết áp"
CARD = "HT2797924000123"
STATION = "Trạm y tế xã Tân Ngãi"
READ_REASON = "Con gái bà Năm xin xem sổ"
EXPORT_REASON = "Bản sao cho bà Năm theo quyền truy cập"
ERASE_REASON = "Bà Năm yêu cầu xóa dữ liệu sức khỏe"
TEXTS = (NAME, NOTE, MEMBER_NOTE, CARD, STATION)
REASONS = (READ_REASON, EXPORT_REASON, ERASE_REASON)
VALUES = {
    "systolic_mmhg": 187,
    "diastolic_mmhg": 112,
    "pulse_bpm": 97,
    "weight_kg": "63.7",
    "height_cm": "151.3",
    "glucose_mmol_l": "8.9",
}
SECOND = {"systolic_mmhg": 173, "diastolic_mmhg": 104, "weight_kg": "64.9"}
NUMBERS = {"187", "112", "97", "63.7", "151.3", "8.9", "27.8", "173", "104", "64.9", "28.4"}
"""The values, and the BMIs (63.7 kg / 1.513 m² = 27.8; 64.9 / 1.513² = 28.4)."""
FIELD_NAMES = ("systolic", "diastolic", "pulse_bpm", "weight_kg", "height_cm", "glucose", "bmi")
SAFE_LOG_KEYS = {"timestamp", "duration_ms", "request_id"}
"""Log fields whose numbers are times and ids, not data."""


def run_everything(health: Health) -> dict[str, str]:
    """Every health route, with the distinctive values; POSTs with Idempotency-Keys
    (their answers are stored) and each sent twice."""
    http = health.http
    club = health.club()
    volunteer = health.member(club, is_volunteer=True)
    nam = health.member(club)  # bà Năm: consent, checks, the book, insurance, erasure
    sau = health.member(club)  # ông Sáu: visited at home, then withdraws consent
    keys = iter(range(1000))

    def post(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        headers = {**VL, "Idempotency-Key": f"privacy-{next(keys)}"}
        first = ok(http.post(path, json=body, headers=headers), status)
        assert ok(http.post(path, json=body, headers=headers), status) == first
        return first

    consent = {"given_on": "2026-11-02", "purpose": "Khám sức khỏe định kỳ và chăm sóc tại nhà"}
    for member in (nam, sau):
        post(f"/v1/members/{member}/consent", {**consent, "scopes": ["health_checks", "home_care"]})
    post(
        f"/v1/members/{nam}/health-checks",
        {"checked_on": "2026-11-20", "checker": "station", "station": STATION, **VALUES},
    )
    post(
        f"/v1/members/{nam}/health-checks",
        {"checked_on": "2026-11-30", "checker": "volunteer", "checker_member_id": volunteer}
        | SECOND,
    )
    # refused: the diastolic at or above the systolic (a 422 names the field)
    refused = http.post(
        f"/v1/members/{nam}/health-checks",
        json={
            "checked_on": "2026-11-30",
            "checker": "station",
            "systolic_mmhg": 187,
            "diastolic_mmhg": 187,
        },
        headers=VL,
    )
    assert refused.status_code == 422, refused.text
    ok(http.get(f"/v1/members/{nam}/health-checks", headers=VL), 200)
    ok(http.get(f"/v1/members/{nam}/consent", headers=VL), 200)
    book = ok(
        http.get(f"/v1/members/{nam}/health-book", params={"reason": READ_REASON}, headers=VL), 200
    )
    assert book["checks"][0]["values"]["systolic_mmhg"] == 187  # the province reads them
    assert book["checks"][0]["bmi"] == "27.8" and book["checks"][1]["bmi"] == "28.4"
    page = http.get(
        f"/v1/members/{nam}/health-book",
        params={"reason": READ_REASON, "format": "html"},
        headers=VL,
    )
    assert page.status_code == 200 and "187" in page.text
    ok(
        http.get(
            f"/v1/members/{nam}/health-book/export", params={"reason": EXPORT_REASON}, headers=VL
        ),
        200,
    )

    sessions = f"/v1/clubs/{club}/exercise-sessions"
    post(sessions, {"held_on": "2026-11-30", "participants": 3, "external_id": "DS-30"})
    ok(http.get(sessions, headers=NATIONAL), 200)
    ok(http.get(f"{sessions}/summary", headers=NATIONAL), 200)

    visits = f"/v1/clubs/{club}/home-care-visits"
    person = post(
        visits,
        {
            "volunteer_id": volunteer,
            "beneficiary": "community",
            "community_person": {"name": NAME},
            "visited_on": "2026-11-28",
            "tasks": ["talking", "clinic"],
            "note": f"Bà bị {NOTE}, cần đưa đi khám.",
        },
    )["community_person_id"]
    post(
        visits,
        {
            "volunteer_id": volunteer,
            "beneficiary": "community",
            "community_person_id": person,
            "visited_on": "2026-11-30",
            "tasks": ["cooking"],
        },
    )
    post(
        visits,
        {
            "volunteer_id": volunteer,
            "beneficiary": "member",
            "beneficiary_member_id": sau,
            "visited_on": "2026-11-29",
            "tasks": ["laundry"],
            "note": MEMBER_NOTE,
        },
    )
    bad_visit = http.post(
        visits,
        json={
            "volunteer_id": sau,  # not a volunteer
            "beneficiary": "community",
            "community_person": {"name": NAME},
            "visited_on": "2026-11-30",
            "tasks": ["talking"],
            "note": NOTE,
        },
        headers=VL,
    )
    assert bad_visit.status_code == 422, bad_visit.text
    listed = ok(http.get(visits, headers=VL), 200)
    assert {v["community_person_name"] for v in listed["items"]} == {NAME, None}
    ok(http.get(f"{visits}/summary", headers=NATIONAL), 200)

    insurance = f"/v1/members/{nam}/insurance"
    post(insurance, {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "card_number": CARD})
    assert ok(http.get(insurance, headers=VL), 200)["items"][0]["card_number_masked"] == (
        "HT2•••••••••123"
    )

    post(f"/v1/members/{sau}/consent/withdraw", {"withdrawn_on": "2026-11-30"}, 200)
    ok(http.get("/v1/health-book-accesses", params={"province": "86"}, headers=VL), 200)
    post(f"/v1/members/{nam}/health-data/erase", {"reason": ERASE_REASON}, 200)
    return {"club": club, "nam": nam, "sau": sau, "person": person}


def test_no_clinical_value_name_note_or_reason_leaves_the_service(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, health: Health
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("ishc.privacy-scan").debug("capture check")
    # The app's structlog lines, rendered by its own processors, into a buffer: its
    # PrintLogger holds the stdout of the moment the app started, which pytest's
    # capture swaps (and closes) between a test's phases.
    written = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(written))
    ids = run_everything(health)

    # -- the stream ---------------------------------------------------------------------
    envelopes = health.events()
    assert Counter(e["type"] for e in envelopes) == {
        "ishc.health.consent.given.v1": 2,
        "ishc.health.check.done.v1": 2,
        "ishc.health.exercise.held.v1": 1,
        "ishc.health.visit.made.v1": 3,
        "ishc.health.insurance.recorded.v1": 1,
        "ishc.health.consent.withdrawn.v1": 1,
    }
    raw = health.raw_stream().decode("utf-8", errors="replace")
    decoded = [json.loads(decode_entry(f)) for _, f in health.redis.xrange(health.stream)]
    assert len(decoded) == len(envelopes) == 10

    # -- the event log, whole and public ------------------------------------------------
    logs: dict[str, list[dict[str, Any]]] = {}
    for name, headers in (("service", SERVICE), ("national", NATIONAL), ("ops", OPS)):
        reply = ok(health.http.get("/v1/events", params={"limit": 500}, headers=headers), 200)
        logs[name] = reply["items"]
        assert len(logs[name]) == len(envelopes), name
    # The service token reads who was checked and visited; the public view leaves
    # out the payload's people (a consent's, check's or card's subject is still the
    # member's id, as for every aggregate).
    whole = json.dumps(logs["service"], ensure_ascii=False)
    assert ids["nam"] in whole and ids["person"] in whole
    public = json.dumps(logs["national"], ensure_ascii=False)
    assert ids["person"] not in public and ids["sau"] in public
    people = {"member_id", "volunteer_id", "beneficiary_id"}
    assert not [e["type"] for e in logs["national"] + logs["ops"] if people & set(e["data"])]

    # -- the log lines ------------------------------------------------------------------
    captured = capfd.readouterr()
    out, err = written.getvalue() + captured.out, captured.err
    app_records = [r for r in caplog.records if not r.name.startswith("httpx")]  # not the test's
    logged = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in app_records)
    # At DEBUG, aiosqlite logs the sealed values it writes: ciphertext, by design.
    assert SEALED.search(logged) or not health.database_url.startswith("sqlite")
    records = unsealed(logged)
    # At DEBUG the database driver (aiosqlite) logs each statement's parameters: the
    # audit's reasons are stored in clear by design, so they show there; everything
    # sealed (names, notes, cards, values) does not. From INFO up, not even reasons.
    informed = "\n".join(r.getMessage() for r in app_records if r.levelno >= logging.INFO)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    requests = {
        (line["method"], line["route"]) for line in lines if line.get("event") == "http.request"
    }
    # The capture saw the run: a line for every route of the service, none a 500.
    assert MATRIX.keys() <= requests, sorted(MATRIX.keys() - requests)
    assert not [line for line in lines if line.get("status", 0) >= 500]

    # -- the scan -----------------------------------------------------------------------
    # The scanners find what they look for (a scan that cannot fail proves nothing).
    assert "capture check" in records
    assert leaks(f"GET /x?reason={quote_plus(READ_REASON)}", REASONS) == [READ_REASON]
    assert leaks(json.dumps({"n": NAME}), TEXTS) == [NAME]
    near_misses = {"id": "0190f5a2-4187-7000-8097-000000000187", "at": "2026-11-30T18:30:29.97Z"}
    assert NUMBERS & numbers_in([{"weight_kg": 63.7, **near_misses}]) == {"63.7"}
    assert numbers_in({"duration_ms": 187}, SAFE_LOG_KEYS) == set()
    documents = {
        "stream": raw,
        "decoded stream": json.dumps(decoded, ensure_ascii=False),
        "service log": whole,
        "public log": public,
        "ops log": json.dumps(logs["ops"], ensure_ascii=False),
        "stdout": out,
        "stderr": err,
        "log records from INFO": informed,
    }
    for where, text in documents.items():
        assert not leaks(text, TEXTS + REASONS), where
        lowered = text.lower()
        assert not [f for f in FIELD_NAMES if f in lowered], where
    assert not leaks(records, TEXTS), "debug log records"
    assert not [f for f in FIELD_NAMES if f in records.lower()], "debug log records"
    for where, parsed in (
        ("stream", decoded),
        ("service log", logs["service"]),
        ("public log", logs["national"]),
        ("stdout", lines),
    ):
        assert not NUMBERS & numbers_in(parsed, SAFE_LOG_KEYS), where
    for line in (err + records).splitlines():
        assert not NUMBERS & set(NUMBER_TOKEN.findall(line)), line

    # -- at rest --------------------------------------------------------------------------
    dump = unsealed(database_text(health))
    assert not leaks(dump, TEXTS), "the database holds a name, note, card or station in clear"
    assert not [f for f in FIELD_NAMES if f in dump.lower()]
