"""Nothing personal leaves the platform by any door (issue 15; PDPL 91/2025/QH15):
registry, finance, health and reporting run as real processes, each on its own
PostgreSQL database, on one Redis, logging as in production (JSON, INFO), then
restarted once at DEBUG. Each round puts distinctive personal data through every
service: members' full names (with diacritics) and exact birth dates, through the
API and through CSV and XLSX imports; a renamed, a departed and an erased member;
loans whose purpose names the borrower, a write-off whose reason gives a phone
number; health checks with distinctive clinical values, home-care visits whose
notes give a phone number and an address, a community person's name, an
insurance card, a health-book read.

Then every door is read, and none holds a name, phone, address, exact birth date
(ISO, dd/mm/yyyy and the other forms of `tests.helpers.privacy.date_pattern`) or
clinical value:
- every entry of every stream, dead-letter streams too (a malformed entry is
  planted so there is one), raw bytes and decoded;
- every service's event log, whole (service token: member ids, still nothing
  personal) and in its public views (ops and national tokens), and the dead letters;
- every line every process wrote, at INFO and at DEBUG;
- the dashboard (national, each province with data, its communes and clubs, the
  rollout), `/v1/live`'s first events, and the reports as CSV, XLSX and PDF text;
- every GET route of every app's OpenAPI with a national token, path parameters
  filled with the ids the run made, and a national token's POST to every POST route
  with the personal bodies the province sent.
The scanners first find what they look for in planted samples, then in what the
province reads back of its own people (a clean scan means something); the test
prints how many entries of each kind it read. At DEBUG the services add no line of
their own (nothing logs below INFO, and they leave the standard library's loggers,
the database driver's among them, unconfigured), which the scan of those lines
would catch the day one does."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from faststream.redis.message import DATA_KEY
from faststream.redis.parser.binary import BinaryMessageFormatV1
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from ishc_contracts import personal_fields
from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import decode_entry
from ishc_platform.clock import set_clock_start
from tests.helpers.e2e import wait_for
from tests.helpers.privacy import Secrets, folded, unsealed
from tests.helpers.services import ServiceProcess

# Eight service starts: on a busy two-core machine one can take most of a minute.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
SECRET = "p" * 48
# 10:00 on 30/11/2026 in Vietnam.
CLOCK_START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
SERVICES = ("registry", "finance", "health", "reporting")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAFE_KEYS = frozenset({"timestamp", "duration_ms", "request_id", "dead_at", "time", "at"})
"""Leaves whose numbers are times and ids, not data."""
CLINICAL_FIELDS = re.compile(
    r"(?<![a-z])(systolic|diastolic|pulse_bpm|weight_kg|height_cm|glucose|bmi)(?![a-z])"
)
"""The clinical fields' names, as words ("submit" holds "bmi")."""


def token(role: Role, *provinces: str, sub: str = "privacy") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub=sub, role=role, provinces=provinces)}"
    }


@dataclass(frozen=True)
class Round:
    """One round's people and what is said of them, in one province."""

    province: str
    commune: str
    club: str
    hamlet: str
    members: tuple[tuple[str, str, date], ...]  # borrower, volunteer, visited, erased
    renamed: str
    csv_members: tuple[tuple[str, str, date], ...]
    xlsx_members: tuple[tuple[str, str, date], ...]
    community: str
    phones: tuple[str, str]
    address: str
    station: str
    card: str
    checks: tuple[dict[str, Any], dict[str, Any]]
    bmis: tuple[str, str]

    @property
    def note(self) -> str:
        return f"Con gái bà {self.community} gọi {self.phones[0]}, nhà {self.address}"

    @property
    def member_note(self) -> str:
        return f"Ông {self.members[2][0]} hay quên thuốc huyết áp"

    @property
    def purpose(self) -> str:
        return f"Nuôi heo cho {self.members[0][0]}"

    @property
    def write_off(self) -> str:
        return f"{self.members[1][0]} mất khả năng trả nợ, liên hệ {self.phones[1]}"

    @property
    def reasons(self) -> tuple[str, str]:
        return (f"Con gái {self.members[0][0]} xin xem sổ", f"Bản sao cho {self.members[0][0]}")

    def texts(self) -> tuple[str, ...]:
        names = [m[0] for m in self.members + self.csv_members + self.xlsx_members]
        return (
            *names,
            self.renamed,
            self.community,
            self.address,
            self.station,
            self.card,
            self.note,
            self.member_note,
            self.purpose,
            self.write_off,
            *self.reasons,
        )

    def dates(self) -> tuple[date, ...]:
        return tuple(m[2] for m in self.members + self.csv_members + self.xlsx_members)

    def numbers(self) -> set[str]:
        values = {str(v) for check in self.checks for k, v in check.items() if k != "checked_on"}
        return values | set(self.bmis)


# Clinical values no figure the run shows can equal: no province has that many
# communes on either map, and the dashboard's own text quotes none (it explains
# "21 of 109 communes", so 109 is no pulse here). BMIs: 57.3 kg / 1.469² m = 26.6,
# 58.1 → 26.9.
VINH_LONG = Round(
    province="86",
    commune="29623",
    club="CLB Liên thế hệ Hòa Lợi",
    hamlet="Ấp Hòa Lợi",
    members=(
        ("Trương Thị Bích Thoa", "female", date(1948, 7, 23)),
        ("Huỳnh Văn Tưởng", "male", date(1951, 11, 14)),
        ("Lâm Văn Sáu", "male", date(1939, 2, 27)),
        ("Võ Thị Ngọc Điệp", "female", date(1955, 9, 19)),
    ),
    renamed="Trương Thị Bích Thủy",
    csv_members=(
        ("Phạm Thị Xuân Lộc", "female", date(1944, 5, 16)),
        ("Đặng Văn Quới", "male", date(1950, 12, 29)),
    ),
    xlsx_members=(
        ("Lê Thị Mỹ Dung", "female", date(1946, 3, 25)),
        ("Nguyễn Văn Thạnh", "male", date(1958, 8, 17)),
    ),
    community="Dương Thị Tuyết Nhung",
    phones=("0913 482 756", "0387.215.649"),
    address="số 27 hẻm 4 ấp Mỹ Phước Tây",
    station="Trạm y tế xã Nhơn Phú Đông",
    card="HT2797924031877",
    checks=(
        {
            "checked_on": "2026-10-20",
            "systolic_mmhg": 223,
            "diastolic_mmhg": 131,
            "pulse_bpm": 107,
            "weight_kg": "57.3",
            "height_cm": "146.9",
            "glucose_mmol_l": "12.7",
        },
        {
            "checked_on": "2026-11-20",
            "systolic_mmhg": 211,
            "diastolic_mmhg": 133,
            "weight_kg": "58.1",
        },
    ),
    bmis=("26.6", "26.9"),
)
# BMIs: 71.9 kg / 1.583² m = 28.7, 73.4 → 29.3.
DONG_NAI = Round(
    province="75",
    commune="25195",
    club="CLB Liên thế hệ Tân Mai",
    hamlet="Khu phố Tân Mai 2",
    members=(
        ("Bùi Thị Kim Oanh", "female", date(1947, 10, 21)),
        ("Tạ Văn Lượm", "male", date(1953, 6, 28)),
        ("Châu Văn Bé Tư", "male", date(1941, 4, 15)),
        ("Quách Thị Đực", "female", date(1957, 1, 30)),
    ),
    renamed="Bùi Thị Kim Loan",
    csv_members=(
        ("Mai Thị Hồng Gấm", "female", date(1943, 7, 13)),
        ("Kha Văn Rớt", "male", date(1949, 9, 24)),
    ),
    xlsx_members=(
        ("Lý Thị Cẩm Giang", "female", date(1945, 12, 18)),
        ("Trịnh Văn Lành", "male", date(1952, 2, 26)),
    ),
    community="Hồ Thị Lụa",
    phones=("0975 318 264", "+84 708 563 912"),
    address="tổ 9 khu phố 3 hẻm 112/5 Bùi Văn Hòa",
    station="Trạm y tế phường Bình Phước",
    card="HT2757521098765",
    checks=(
        {
            "checked_on": "2026-10-21",
            "systolic_mmhg": 229,
            "diastolic_mmhg": 117,
            "pulse_bpm": 113,
            "weight_kg": "71.9",
            "height_cm": "158.3",
            "glucose_mmol_l": "13.9",
        },
        {
            "checked_on": "2026-11-21",
            "systolic_mmhg": 219,
            "diastolic_mmhg": 123,
            "weight_kg": "73.4",
        },
    ),
    bmis=("28.7", "29.3"),
)
ROUNDS = (VINH_LONG, DONG_NAI)
ALL = Secrets(
    texts=tuple(t for r in ROUNDS for t in r.texts()),
    dates=tuple(d for r in ROUNDS for d in r.dates()),
    phones=tuple(p for r in ROUNDS for p in r.phones),
    numbers=frozenset(n for r in ROUNDS for n in r.numbers()),
)


# -- the services -----------------------------------------------------------------------


@pytest.fixture
def databases(postgres_admin_url: str) -> Iterator[dict[str, str]]:
    """A PostgreSQL database per service, as deployed, kept across both rounds."""
    names = {s: f"ishc_privacy_{s}_{uuid.uuid4().hex[:8]}" for s in SERVICES}
    base = postgres_admin_url.rsplit("/", 1)[0]
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {service: f"{base}/{name}" for service, name in names.items()}
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def platform(
    tmp_path: Path, databases: dict[str, str], redis_url: str, prefix: str, level: str
) -> Iterator[dict[str, ServiceProcess]]:
    """The four services on their PostgreSQL databases (kept across rounds) and one Redis,
    logging JSON at `level` into `<service>-<level>.log`; finance, health and
    reporting backfill from their sources' event logs, as deployed. Each process's
    clock starts where the test's is when it starts (ServiceProcess), so the second
    round's services are not minutes behind the test's tokens."""
    env = {
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_REDIS_URL": redis_url,
        "ISHC_STREAM_PREFIX": prefix,
        "ISHC_RELAY_POLL_SECONDS": "2",
        "ISHC_CONSUMER_BLOCK_MS": "100",
        "ISHC_LOG_LEVEL": level,
        "ISHC_LOG_JSON": "true",
        "ISHC_BACKFILL_INTERVAL_SECONDS": "2",
        "ISHC_BACKFILL_GRACE_SECONDS": "1",
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
        "ISHC_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
    }
    processes: dict[str, ServiceProcess] = {}
    # Each process has its port once made, so each names the sources made before it.
    for name, sources in (
        ("registry", ()),
        ("finance", ("registry",)),
        ("health", ("registry",)),
        ("reporting", ("registry", "finance", "health")),
    ):
        own = {
            "ISHC_DATABASE_URL": databases[name],
            "ISHC_EVENT_SOURCES": ",".join(f"{s}={processes[s].url}" for s in sources),
        }
        processes[name] = ServiceProcess(
            name, {**env, **own}, tmp_path / f"{name}-{level.lower()}.log"
        )
    started: list[ServiceProcess] = []
    try:
        for process in processes.values():
            process.start(timeout=120)  # a busy two-core machine starts slowly
            started.append(process)
        yield processes
    finally:
        for process in started:
            process.stop()


@dataclass
class Made:
    """The ids a run made, to fill the routes' path parameters."""

    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, value: str) -> str:
        self.ids.setdefault(kind, []).append(value)
        return value


class Client:
    """One service over HTTP with a province token; every write is checked."""

    def __init__(self, url: str, province: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30, headers=token(Role.PROVINCE, province))
        self.keys = itertools.count()

    def post(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        reply = self.http.post(path, json=body, headers={"Idempotency-Key": f"p-{next(self.keys)}"})
        assert reply.status_code == status, (path, reply.text)
        return dict(reply.json())

    def until(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST once the service knows the club or member (its directory follows
        the registry's events)."""
        replies: list[httpx.Response] = []

        def attempt() -> int:
            replies.append(self.http.post(path, json=body))
            return replies[-1].status_code

        assert wait_for(attempt, 201, seconds=30) == 201, (path, replies[-1].text)
        return dict(replies[-1].json())

    def get(self, path: str, **params: Any) -> Any:
        reply = self.http.get(path, params=params)
        assert reply.status_code == 200, (path, reply.text)
        return reply


def sheet(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    page = book.active
    assert page is not None
    for row in rows:
        page.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_round(services: dict[str, ServiceProcess], r: Round, made: Made) -> None:
    """The round's workload through every service, as its province."""
    registry = Client(services["registry"].url, r.province)
    finance = Client(services["finance"].url, r.province)
    health = Client(services["health"].url, r.province)

    # -- registry: a club, members by the API and by CSV and XLSX, a board, a meeting
    club = made.add("club_id", registry.post("/v1/clubs", {
        "name": r.club, "commune_code": r.commune, "hamlet": r.hamlet,
        "founded_on": "2024-01-15", "external_id": f"PRIV-{r.province}",
    })["id"])  # fmt: skip
    made.add("commune", r.commune)
    made.add("province", r.province)
    members = [
        made.add("member_id", registry.post(f"/v1/clubs/{club}/members", {
            "full_name": name, "sex": sex, "birth_date": born.isoformat(),
            "poverty_status": "poor", "is_volunteer": n == 1, "joined_on": "2024-02-01",
            "external_id": f"{r.province}-{n}",
        })["id"])
        for n, (name, sex, born) in enumerate(r.members)
    ]  # fmt: skip
    header = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "Ngày tham gia", "Mã thành viên"]
    sex_vi = {"female": "Nữ", "male": "Nam"}
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(header)
    for n, (name, sex, born) in enumerate(r.csv_members):
        writer.writerow([n + 1, name, sex_vi[sex], born.strftime("%d/%m/%Y"), "01/02/2024",
                         f"{r.province}-csv-{n}"])  # fmt: skip
    workbook = sheet(
        [header]
        + [
            [n + 1, name, sex_vi[sex], datetime(born.year, born.month, born.day),
             datetime(2024, 2, 1), f"{r.province}-xlsx-{n}"]
            for n, (name, sex, born) in enumerate(r.xlsx_members)
        ]
    )  # fmt: skip
    for filename, content, media in (
        ("hoi-vien.csv", table.getvalue().encode(), "text/csv"),
        ("hoi-vien.xlsx", workbook, XLSX),
    ):
        reply = registry.http.post(
            "/v1/imports",
            data={"kind": "members", "club_id": club},
            files={"file": (filename, content, media)},
        )
        assert reply.status_code == 200 and reply.json()["created"] == 2, reply.text
    # A sheet with a phone column is refused whole, naming the column, not the cell.
    phoned = sheet([[*header, "Số điện thoại"], [1, r.renamed, "Nữ", "01/01/1950", "01/02/2024",
                                                 f"{r.province}-x", r.phones[0]]])  # fmt: skip
    reply = registry.http.post(
        "/v1/imports",
        data={"kind": "members", "club_id": club, "dry_run": "true"},
        files={"file": ("sdt.xlsx", phoned, XLSX)},
    )
    assert reply.status_code == 422, reply.text
    listed = registry.get(f"/v1/clubs/{club}/members", limit=500).json()["items"]
    assert len(listed) == 8
    for row in listed:
        if row["id"] not in members:
            made.add("member_id", row["id"])
    assert {row["birth_date"] for row in listed} == {d.isoformat() for d in r.dates()}
    reply = registry.http.put(f"/v1/clubs/{club}/board", json={
        "effective_on": "2024-03-01",
        "seats": [{"position": p, "member_id": m["id"]} for p, m in
                  zip(["chair", "vice_chair", "member", "member", "member"], listed, strict=False)],
    })  # fmt: skip
    assert reply.status_code == 200, reply.text
    registry.post(f"/v1/clubs/{club}/meetings", {"held_on": "2026-11-05", "attendance": 8,
                                                 "hardship_cases_chosen": 1})  # fmt: skip
    registry.post(f"/v1/clubs/{club}/activities",
                  {"area": "home_care", "held_on": "2026-11-06", "participants": 6})  # fmt: skip
    etag = registry.get(f"/v1/members/{members[0]}").headers["ETag"]
    reply = registry.http.patch(
        f"/v1/members/{members[0]}", json={"full_name": r.renamed}, headers={"If-Match": etag}
    )
    assert reply.status_code == 200, reply.text

    # -- finance: funds, a loan whose purpose names the borrower, a write-off -------------
    finance.until(f"/v1/clubs/{club}/regulations", {
        "effective_on": "2024-01-15", "rate_min": "0.006", "rate_max": "0.010",
        "fee_min_vnd": 2000, "fee_max_vnd": 5000, "max_loan_vnd": 20_000_000,
        "max_term_months": 24, "rounding_unit_vnd": 1000, "methods": ["flat"],
    })  # fmt: skip
    income = made.add("fund_id", finance.post(f"/v1/clubs/{club}/funds",
                      {"kind": "income", "opened_on": "2024-01-15"})["id"])  # fmt: skip
    activity = made.add("fund_id", finance.post(f"/v1/clubs/{club}/funds",
             {"kind": "activity", "opened_on": "2024-01-15"})["id"])  # fmt: skip
    finance.post(
        f"/v1/funds/{income}/contributions",
        {"source": "state_budget", "amount_vnd": 30_000_000, "received_on": "2024-02-05"},
    )
    loans = [
        made.add("loan_id", finance.until(f"/v1/funds/{income}/loans", {
            "member_id": member, "principal_vnd": 5_000_000, "monthly_rate": "0.008",
            "term_months": 12, "method": "flat", "disbursed_on": "2026-02-10",
            "purpose": r.purpose,
        })["id"])
        for member in members[:2]
    ]  # fmt: skip
    finance.post(
        f"/v1/loans/{loans[0]}/repayments", {"amount_vnd": 456_000, "paid_on": "2026-03-10"}
    )
    finance.post(f"/v1/loans/{loans[-1]}/write-off",
                 {"written_off_on": "2026-11-10", "reason": r.write_off}, 200)  # fmt: skip
    finance.post(f"/v1/funds/{activity}/fees",
                 {"member_id": members[1], "month": "2026-03", "amount_vnd": 3000,
                  "paid_on": "2026-03-05"})  # fmt: skip

    # -- health: consent, two checks, visits with notes, a card, the health book ----------
    consent = {"given_on": "2026-10-01", "purpose": "Khám sức khỏe định kỳ",
               "scopes": ["health_checks", "home_care"]}  # fmt: skip
    health.until(f"/v1/members/{members[0]}/consent", consent)
    health.post(f"/v1/members/{members[2]}/consent", consent)
    for n, check in enumerate(r.checks):
        extra = {"checker": "station", "station": r.station} if n == 0 else {
            "checker": "volunteer", "checker_member_id": members[1]}  # fmt: skip
        health.post(f"/v1/members/{members[0]}/health-checks", {**check, **extra})
    book = health.get(f"/v1/members/{members[0]}/health-book", reason=r.reasons[0]).json()
    assert [c["bmi"] for c in book["checks"]] == list(r.bmis)  # the numbers looked for
    health.get(f"/v1/members/{members[0]}/health-book", reason=r.reasons[0], format="html")
    health.get(f"/v1/members/{members[0]}/health-book/export", reason=r.reasons[1])
    health.post(f"/v1/clubs/{club}/exercise-sessions", {"held_on": "2026-11-07", "participants": 7})
    visits = f"/v1/clubs/{club}/home-care-visits"
    health.post(visits, {
        "volunteer_id": members[1], "beneficiary": "community",
        "community_person": {"name": r.community}, "visited_on": "2026-11-08",
        "tasks": ["talking", "clinic"], "note": r.note,
    })  # fmt: skip
    health.post(visits, {
        "volunteer_id": members[1], "beneficiary": "member", "beneficiary_member_id": members[2],
        "visited_on": "2026-11-09", "tasks": ["laundry"], "note": r.member_note,
    })  # fmt: skip
    health.post(
        f"/v1/members/{members[0]}/insurance",
        {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "card_number": r.card},
    )
    health.get("/v1/health-book-accesses", province=r.province)

    # The control: the province reads its people back, and the scanners find them
    # there, in the services' own output (so a clean scan below means something).
    members_text = registry.get(f"/v1/clubs/{club}/members", limit=500).text
    assert set(ALL.in_text(members_text)) >= {r.renamed, r.members[1][0], r.dates()[1].isoformat()}
    visits_text = health.get(visits).text
    assert set(ALL.in_text(visits_text)) >= {r.community, r.address, r.phones[0], r.note}
    assert ALL.numbers_in_leaves(book) >= {str(r.checks[0]["systolic_mmhg"]), r.bmis[0]}
    loans_text = finance.get(f"/v1/loans/{loans[-1]}").text
    assert r.purpose in ALL.in_text(loans_text)
    health.post(f"/v1/members/{members[2]}/consent/withdraw", {"withdrawn_on": "2026-11-25"}, 200)

    # -- registry again: one leaves, one is erased ---------------------------------------
    registry.post(f"/v1/members/{members[2]}/leave", {"left_on": "2026-11-26"}, 200)
    reply = registry.http.post(f"/v1/members/{members[3]}/erase")
    assert reply.status_code == 200, reply.text


# -- what the doors show ------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """One thing read: where from, its text, its JSON (whose leaves are scanned for
    numbers) or the words whose numbers are scanned (None: its numbers are not data,
    as in the API's own documentation and the metrics)."""

    where: str
    text: str
    parsed: Any = None
    words: str | None = ""


@dataclass
class Read:
    """Everything read, per kind."""

    kinds: dict[str, list[Document]] = field(default_factory=dict)

    def add(self, kind: str, document: Document) -> None:
        self.kinds.setdefault(kind, []).append(document)

    def counts(self) -> dict[str, int]:
        return {kind: len(documents) for kind, documents in self.kinds.items()}


TAG = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]*>", re.DOTALL)


def page_words(html: str) -> str:
    """A page's text without its tags (SVG coordinates and attributes are not data)."""
    return TAG.sub(" ", html)


def document(where: str, reply: httpx.Response) -> Document:
    """A response as text (JSON, CSV, XLSX cells, PDF text, HTML)."""
    media = reply.headers.get("content-type", "")
    if "spreadsheetml" in media:
        book = load_workbook(io.BytesIO(reply.content), read_only=True)
        cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                 for c in row if c is not None]  # fmt: skip
        return Document(where, "\n".join(cells), cells)
    if "pdf" in media:
        reader = PdfReader(io.BytesIO(reply.content))
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert text.strip(), where  # the PDF's text was read
        return Document(where, text, None, text)
    if "json" in media:
        return Document(where, reply.text, reply.json())
    if "html" in media:
        return Document(where, reply.text, None, page_words(reply.text))
    return Document(where, reply.text, None, reply.text)


def read_streams(client: redis.Redis, prefix: str, read: Read) -> None:
    keys: list[bytes] = client.keys(f"{prefix}*")  # type: ignore[assignment]
    for key in sorted(k.decode() for k in keys):
        if client.type(key) != b"stream":
            continue
        kind = "dead letters" if key.endswith(".dlq") else "stream entries"
        entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(key)  # type: ignore[assignment]
        for entry_id, fields in entries:
            raw = b"\n".join(k + b"=" + v for k, v in fields.items())
            try:
                envelope = json.loads(decode_entry(fields))
            except Exception:  # a planted malformed entry, or a dead letter's own fields
                envelope = {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}
            text = raw.decode("utf-8", "replace") + "\n" + json.dumps(envelope, ensure_ascii=False)
            read.add(kind, Document(f"{key} {entry_id.decode()}", text, envelope))


def read_event_logs(
    services: dict[str, ServiceProcess], prefix: str, read: Read
) -> dict[str, list[Any]]:
    """Every service's event log in its three views, and its dead letters (ops)."""
    whole: dict[str, list[Any]] = {}
    for name, process in services.items():
        for view, headers in (
            ("service", token(Role.SERVICE, sub="reporting")),
            ("ops", token(Role.OPS)),
            ("national", token(Role.NATIONAL)),
        ):
            after: str | None = None
            while True:
                params: dict[str, Any] = {"limit": 500, **({"after": after} if after else {})}
                reply = httpx.get(f"{process.url}/v1/events", params=params, headers=headers)
                assert reply.status_code == 200, reply.text
                page = reply.json()
                for event in page["items"]:
                    text = json.dumps(event, ensure_ascii=False)
                    read.add(f"event log ({view})", Document(f"{name} {event['id']}", text, event))
                    whole.setdefault(f"{name} {view}", []).append(event)
                if not (after := page["next_cursor"]):
                    break
        for source in ("registry", "finance", "health"):
            stream = f"{prefix}ishc.{source}"
            reply = httpx.get(
                f"{process.url}/v1/dead-letters", params={"stream": stream}, headers=token(Role.OPS)
            )
            assert reply.status_code in (200, 422), reply.text  # 422: not a stream it consumes
            for letter in reply.json().get("items", []):
                where = f"{name} {source} ops view"
                read.add("dead letters", Document(where, json.dumps(letter), letter))
    return whole


def read_pages(
    services: dict[str, ServiceProcess], made: Made, reports: list[str], read: Read
) -> None:
    reporting = services["reporting"].url
    for viewer, headers in (("public", {}), ("national", token(Role.NATIONAL))):
        paths = ["/dashboard", "/dashboard/rollout", "/dashboard?lang=en"]
        paths += [f"/dashboard/provinces/{p}" for p in made.ids["province"]]
        paths += [f"/dashboard/communes/{c}" for c in made.ids["commune"]]
        paths += [f"/dashboard/clubs/{c}" for c in made.ids["club_id"]]
        for path in paths:
            reply = httpx.get(reporting + path, headers=headers, timeout=30)
            assert reply.status_code == 200, (path, reply.text[:500])
            read.add("dashboard pages", document(f"{viewer} {path}", reply))
        # /v1/live: the snapshot and what follows, for a bounded time (after the
        # snapshot, only a change or a keep-alive comes).
        events = 0
        bounded = httpx.Timeout(30, read=3)
        with (
            contextlib.suppress(httpx.ReadTimeout),
            httpx.stream("GET", f"{reporting}/v1/live", headers=headers, timeout=bounded) as feed,
        ):
            deadline = time.monotonic() + 3
            for line in feed.iter_lines():
                if line.startswith("data: "):
                    events += 1
                    read.add("live events", Document(viewer, line, json.loads(line[6:])))
                if time.monotonic() > deadline:
                    break
        assert events >= 1, viewer
    national = token(Role.NATIONAL)
    for report in reports:
        for suffix in (".csv", ".xlsx", ".pdf", ""):
            for lang in ("vi", "en"):
                reply = httpx.get(f"{reporting}/v1/reports/{report}{suffix}",
                                  params={"lang": lang}, headers=national, timeout=30)  # fmt: skip
                assert reply.status_code == 200, reply.text
                read.add("report files", document(f"{report}{suffix} {lang}", reply))


PARAMETERS: dict[str, Callable[[Made, str], list[str]]] = {
    "club_id": lambda m, _: m.ids["club_id"],
    "member_id": lambda m, _: m.ids["member_id"],
    "fund_id": lambda m, _: m.ids["fund_id"],
    "loan_id": lambda m, _: m.ids["loan_id"],
    "report_id": lambda m, _: m.ids.get("report_id", []),
    "plan_id": lambda m, _: ["vinh-long-2026"],
    "kind": lambda m, _: ["clubs", "members"],
    "entry_id": lambda m, _: ["1700000000000-0"],
    "code": lambda m, path: m.ids["province" if "provinces" in path else "commune"],
}
EXTRA_QUERIES: dict[str, list[dict[str, str]]] = {
    "/v1/funds/{fund_id}/statement": [
        {"from": "2024-01-01", "format": f} for f in ("json", "xlsx", "html")
    ],
    "/v1/members/{member_id}/health-book": [
        {"reason": VINH_LONG.reasons[0]},
        {"reason": VINH_LONG.reasons[0], "format": "html"},
    ],
    "/v1/members/{member_id}/health-book/export": [{"reason": VINH_LONG.reasons[1]}],
    "/v1/funds/{fund_id}/portfolio": [{"as_of": "2026-11-30"}],
    "/v1/funds": [{"province": r.province} for r in ROUNDS],
    "/v1/portfolio": [{"province": r.province, "as_of": "2026-11-30"} for r in ROUNDS],
    "/v1/imports/templates/{kind}.xlsx": [{"province": r.province} for r in ROUNDS],
}


def fill(path: str, made: Made) -> list[str]:
    names = re.findall(r"{(\w+)}", path)
    choices = [PARAMETERS[n](made, path) for n in names]
    filled = []
    for values in itertools.product(*choices):
        concrete = path
        for name, value in zip(names, values, strict=True):
            concrete = concrete.replace(f"{{{name}}}", value)
        filled.append(concrete)
    return filled


def bodies(path: str, made: Made) -> list[tuple[str, dict[str, Any]]]:
    """The personal bodies a province sent, for a national token to send again."""
    r = VINH_LONG
    name, sex, born = r.members[0]
    member = {
        "full_name": name, "sex": sex, "birth_date": born.isoformat(), "joined_on": "2024-02-01",
    }  # fmt: skip
    check = {**r.checks[0], "checker": "station", "station": r.station}
    by_route: dict[str, dict[str, Any]] = {
        "/v1/clubs/{club_id}/members": member,
        "/v1/members/{member_id}/health-checks": check,
        "/v1/clubs/{club_id}/home-care-visits": {
            "volunteer_id": made.ids["member_id"][1], "beneficiary": "community",
            "community_person": {"name": r.community}, "visited_on": "2026-11-08",
            "tasks": ["talking"], "note": r.note,
        },
        "/v1/members/{member_id}/insurance": {
            "valid_from": "2026-01-01", "valid_to": "2026-12-31", "card_number": r.card,
        },
        "/v1/funds/{fund_id}/loans": {
            "member_id": made.ids["member_id"][0], "principal_vnd": 1_000_000,
            "monthly_rate": "0.008", "term_months": 12, "method": "flat",
            "disbursed_on": "2026-11-10", "purpose": r.purpose,
        },
        "/v1/loans/{loan_id}/write-off": {"written_off_on": "2026-11-10", "reason": r.write_off},
        "/v1/members/{member_id}/health-data/erase": {"reason": r.reasons[1]},
    }  # fmt: skip
    return [(p, by_route.get(path, {})) for p in fill(path, made)[:2]]


def walk_routes(services: dict[str, ServiceProcess], made: Made, read: Read) -> None:
    """Every GET route of every app with a national token; a national POST to every
    POST route."""
    national = token(Role.NATIONAL)
    for name, process in services.items():
        http = httpx.Client(base_url=process.url, headers=national, timeout=30)
        spec = http.get("/openapi.json").json()
        # The API's own documentation and metrics: text is scanned, numbers are not data.
        for extra in ("/openapi.json", "/docs", "/metrics", "/asyncapi.json"):
            reply = http.get(extra)
            assert reply.status_code == 200, (name, extra)
            where = f"{name} GET {extra} 200"
            read.add("national GET responses", Document(where, reply.text, words=None))
        for path, operations in spec["paths"].items():
            if "get" in operations:
                for concrete in fill(path, made):
                    for params in [{}, *EXTRA_QUERIES.get(path, [])]:
                        if path in ("/v1/live", "/asyncapi.json"):
                            continue  # read with the pages (for a bounded time), and above
                        reply = http.get(concrete, params=params)
                        assert reply.status_code < 500, (concrete, reply.text)
                        where = f"{name} GET {concrete} {params} {reply.status_code}"
                        read.add("national GET responses", document(where, reply))
            if "post" in operations:
                for concrete, body in bodies(path, made):
                    if path == "/v1/imports":
                        reply = http.post(concrete, data={"kind": "members"}, files={
                            "file": ("hv.csv", f"Họ và tên,Ngày sinh\n{VINH_LONG.members[0][0]},"
                                     "23/07/1948\n".encode(), "text/csv")})  # fmt: skip
                    else:
                        reply = http.post(concrete, json=body)
                    assert reply.status_code < 500, (concrete, reply.text)
                    where = f"{name} POST {concrete} {reply.status_code}"
                    read.add("national POST responses", document(where, reply))


def read_logs(tmp_path: Path, read: Read) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for path in sorted(tmp_path.glob("*.log")):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            parsed = None
            if line.startswith("{"):
                parsed = json.loads(line)
                lines.append({**parsed, "_file": path.name})
            read.add("log lines", Document(f"{path.name}:{number}", line, parsed, line))
    return lines


def plant_dead_letter(client: redis.Redis, prefix: str) -> None:
    """A registry event its consumers cannot read (no payload): each group moves it
    to the dead-letter stream, whose entries are then read too."""
    envelope = {
        "id": str(uuid.uuid4()), "type": "ishc.registry.member.joined.v1", "source": "registry",
        "time": CLOCK_START.isoformat(), "subject": str(uuid.uuid4()), "sequence": 1,
        "province": "86", "data": {},
    }  # fmt: skip
    message = asyncio.run(BinaryMessageFormatV1.encode(
        message=json.dumps(envelope).encode(), reply_to=None,
        headers={"content-type": "application/json"}, correlation_id="-",
    ))  # fmt: skip
    client.xadd(f"{prefix}ishc.registry", {DATA_KEY: message})


def settled(client: redis.Redis, prefix: str) -> bool:
    """Every group of every stream has read to its end and acknowledged it all."""
    keys: list[bytes] = client.keys(f"{prefix}ishc.*")  # type: ignore[assignment]
    for key in keys:
        if key.endswith(b".dlq"):
            continue
        last = client.xinfo_stream(key)["last-generated-id"]
        for group in client.xinfo_groups(key):
            if group["pending"] or group["last-delivered-id"] != last:
                return False
    return True


# -- the scan -----------------------------------------------------------------------------


def self_check() -> None:
    """The scanners find what they look for (a scan that cannot fail proves nothing)."""
    r = VINH_LONG
    samples = {
        json.dumps({"n": r.members[0][0]}): r.members[0][0],  # \\u escapes
        httpx.QueryParams({"q": r.members[1][0]}).__str__(): r.members[1][0],
        r.members[2][0].upper(): r.members[2][0],
        folded(r.community).lower(): r.community,
        "sinh ngày 23/07/1948": "1948-07-23",
        "sinh 23-7-1948.": "1948-07-23",
        '"birth_date": "1948-07-23"': "1948-07-23",
        "born 07/23/1948": "1948-07-23",
        "23 tháng 7 năm 1948": "1948-07-23",
        "July 23, 1948": "1948-07-23",
        "d=19480723&": "1948-07-23",
        "gọi 0913482756": r.phones[0],
        "tel:+84913482756": r.phones[0],
        "0913-482-756": r.phones[0],
        "0913%20482%20756": r.phones[0],
    }
    for text, expected in samples.items():
        hits = ALL.in_text(text)
        assert (expected in hits) if expected else not hits, (text, hits)
    # Near misses: a year alone, another date, the digits inside an id or an instant.
    for miss in ("birth_year 1948", "2026-07-23", "0190f5a2-1948-7000-8097-000000000723",
                 "123/07/19480", "90913482756"):  # fmt: skip
        assert not ALL.in_text(miss), miss
    assert ALL.numbers_in_leaves({"systolic_mmhg": 223, "x": "12.7 mmol/L"}) == {"223", "12.7"}
    assert ALL.numbers_in_text("<td>57,3</td>") == {"57.3"}
    assert ALL.numbers_in_leaves(
        {"id": "0190f5a2-4223-7000-8131-000000000223", "at": "2026-11-30T18:30:29.97Z",
         "share": "26.60", "duration_ms": 223}, SAFE_KEYS,
    ) == set()  # fmt: skip
    assert ALL.numbers_in_text("gAAAAABk_223-bmi") == set()  # read around sealed values
    assert CLINICAL_FIELDS.search('{"bmi": "26.6"}') and not CLINICAL_FIELDS.search('"submit"')


def around(text: str, needle: str) -> str:
    """Where `needle` is in `text`, to show in a failure."""
    at = text.find(needle)
    return repr(text[max(0, at - 60) : at + 60]) if at >= 0 else ""


def scan(read: Read) -> list[str]:
    """Each document holding a secret, a clinical value or a clinical field's name."""
    found: list[str] = []
    for kind, documents in read.kinds.items():
        # One pass over a kind's texts at once; document by document only on a hit.
        if ALL.in_text("\n\0".join(d.text for d in documents)):
            found += [
                f"{kind}: {d.where}: {hits}" for d in documents if (hits := ALL.in_text(d.text))
            ]
        for d in documents:
            if d.words is None:
                continue  # the API's documentation and the metrics: their numbers are not data
            values = (
                ALL.numbers_in_leaves(d.parsed, SAFE_KEYS)
                if d.parsed is not None
                else ALL.numbers_in_text(d.words)
            )
            for value in sorted(values):
                found.append(f"{kind}: {d.where}: clinical value {value} {around(d.text, value)}")
            if named := CLINICAL_FIELDS.search(unsealed(d.text).lower()):
                found.append(f"{kind}: {d.where}: clinical field {around(d.text, named[0])}")
    return found


def test_nothing_personal_leaves_the_platform(
    tmp_path: Path, databases: dict[str, str], redis_url: str
) -> None:
    started = time.monotonic()
    set_clock_start(CLOCK_START)  # this process's tokens are current on the services' clock
    self_check()
    prefix = f"e2e.privacy.{uuid.uuid4().hex[:8]}."
    client = redis.Redis.from_url(redis_url)
    made = Made()
    read = Read()
    try:
        with platform(tmp_path, databases, redis_url, prefix, "INFO") as services:
            run_round(services, VINH_LONG, made)
            plant_dead_letter(client, prefix)
            assert wait_for(lambda: settled(client, prefix), True, seconds=60)
        with platform(tmp_path, databases, redis_url, prefix, "DEBUG") as services:
            run_round(services, DONG_NAI, made)
            assert wait_for(lambda: settled(client, prefix), True, seconds=60)
            reporting = services["reporting"].url
            reports = []
            year = {"kind": "year", "year": 2026}
            issue = [(token(Role.NATIONAL), {"scope": "nation", **year})] + [
                (token(Role.PROVINCE, r.province),
                 {"scope": "province", "province": r.province, **year})
                for r in ROUNDS
            ]  # fmt: skip
            for headers, body in issue:
                reply = httpx.post(
                    f"{reporting}/v1/reports", json=body, headers=headers, timeout=60
                )
                assert reply.status_code == 201, reply.text
                reports.append(made.add("report_id", reply.json()["id"]))
            # What the run must show: its members counted, and its loans and checks.
            figures = httpx.get(f"{reporting}/v1/indicators/national",
                                headers=token(Role.NATIONAL)).json()  # fmt: skip
            assert figures["indicators"]["members"] == 14, figures  # 2 × 8, one left each
            whole = read_event_logs(services, prefix, read)
            read_pages(services, made, reports, read)
            walk_routes(services, made, read)
        read_streams(client, prefix, read)
    finally:
        for key in client.keys(f"{prefix}*"):
            client.delete(key)
    log_lines = read_logs(tmp_path, read)

    # The run happened as meant: the events are there, the logs saw every request.
    types = Counter(e["type"] for e in whole["health service"])
    assert types["ishc.health.check.done.v1"] == 4 and types["ishc.health.visit.made.v1"] == 4
    assert {e["subject"] for e in whole["registry service"]} >= set(made.ids["member_id"])

    # The public views leave out every attribute the contracts mark personal, which
    # the whole log (service token) carries.
    def personal(view: str) -> list[str]:
        return [
            f"{e['type']}: {sorted(personal_fields(e['type']) & set(e.get('data', {})))}"
            for name in SERVICES
            for e in whole.get(f"{name} {view}", [])
            if personal_fields(e["type"]) & set(e.get("data", {}))
        ]

    assert personal("service") and not personal("ops") and not personal("national")
    requests = Counter(
        int(line["status"]) for line in log_lines if line.get("event") == "http.request"
    )
    assert requests[201] >= 40 and not [s for s in requests if s >= 500], requests
    assert {line["_file"] for line in log_lines} >= {f"{s}-{lvl}.log" for s in SERVICES
                                                     for lvl in ("info", "debug")}  # fmt: skip
    # The planted entry: in the dead-letter stream (once per group), and in the ops view.
    letters = Counter(d.where.split()[-1] for d in read.kinds["dead letters"])
    assert letters["view"] >= 3 and sum(letters.values()) >= 6, letters
    counts = read.counts()
    leaks = scan(read)
    answered = Counter(
        (kind.split()[1], d.where.rsplit(maxsplit=1)[-1])
        for kind, documents in read.kinds.items()
        if kind.startswith("national")
        for d in documents
    )
    took = time.monotonic() - started
    print(f"\nprivacy scan, entries read: {json.dumps(counts, indent=1)}")
    print(f"privacy scan: {sum(counts.values())} entries in all, {took:.1f}s")
    print(f"privacy scan, national answers by status: {sorted(answered.items())}")
    assert not leaks, "\n".join(leaks[:40])
