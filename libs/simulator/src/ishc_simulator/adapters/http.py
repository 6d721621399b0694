"""Drive a world plan into the real services over HTTP.

In dependency order: the registry first (clubs, then members in bulk through its
spreadsheet import, then boards, meetings, activities, leavers, relocations and
dissolutions); then finance and health side by side, each of which learns the
clubs and members from the registry's events, so a request about a club or
member it does not know yet is retried with a bounded backoff.

A rerun with the same seed and request does not duplicate anything: every POST
carries an `Idempotency-Key` derived from its path and body (replayed for 24
hours), every record that has one carries the plan's key as `external_id` (a
409 naming the record that holds it reads as "already there"), imports send only
the rows the registry lacks, and what has no key (regulations, boards, leaving,
relocating, dissolving) is read first.

Tokens are issued here from `ISHC_JWT_SECRETS`' first secret: a province token
per province, which is what the three services take for writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from openpyxl import Workbook
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ishc_contracts.finance_events import FundKind
from ishc_contracts.health_events import Beneficiary, Checker
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import utcnow
from ishc_simulator.domain import (
    ClubPlan,
    ClubSketch,
    LoanPlan,
    MemberPlan,
    WorldPlan,
    club_members,
    club_plan,
)

SUBJECT = "ishc-simulator"
TOKEN_LIFETIME = timedelta(hours=12)
IMPORT_ROWS = 5_000  # rows a file: well under the registry's 20,000 rows and 5 MB
PAGE = 500  # the APIs' largest page
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Fields whose 422 means "this service has not learned that member yet".
MEMBER_FIELDS = frozenset(
    {"member_id", "volunteer_id", "beneficiary_member_id", "checker_member_id"}
)
CLUB_COLUMNS = (
    "name",
    "commune_code",
    "legacy_commune_code",
    "hamlet",
    "founded_on",
    "external_id",
)
MEMBER_COLUMNS = (
    "full_name",
    "sex",
    "birth_year",
    "birth_date",
    "poverty_status",
    "ethnic_minority",
    "is_volunteer",
    "joined_on",
    "external_id",
    "club",
)


class SimulationError(RuntimeError):
    """A service refused what the plan asked (or never learned what it needed)."""


@dataclass(frozen=True)
class Services:
    registry: str
    finance: str
    health: str


@dataclass(frozen=True)
class RunOptions:
    concurrency: int = 4  # clubs in flight per stage
    learn_seconds: float = 120.0  # how long finance or health may take to learn a record
    timeout_seconds: float = 60.0  # one HTTP request


@dataclass
class RunReport:
    """What a run did: records created, records found already there, by kind."""

    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)  # by service
    seconds: dict[str, float] = field(default_factory=dict)  # by stage

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": dict(sorted(self.created.items())),
            "existing": dict(sorted(self.existing.items())),
            "requests": dict(sorted(self.requests.items())),
            "seconds": {k: round(v, 1) for k, v in self.seconds.items()},
        }


class Tokens:
    """Province tokens signed with the platform's secret, reissued well before they expire."""

    def __init__(self, secret: str, subject: str = SUBJECT) -> None:
        if not secret:
            raise SimulationError("no token secret: set ISHC_JWT_SECRETS")
        self._secret = secret
        self._subject = subject
        self._issued: dict[str, tuple[datetime, str]] = {}

    def headers(self, province: str) -> dict[str, str]:
        now = utcnow()
        issued = self._issued.get(province)
        if issued is None or now - issued[0] > TOKEN_LIFETIME / 2:
            token = issue_token(
                self._secret,
                sub=self._subject,
                role=Role.PROVINCE,
                provinces=[province],
                lifetime=TOKEN_LIFETIME,
            )
            issued = (now, token)
            self._issued[province] = issued
        return {"Authorization": f"Bearer {issued[1]}"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    existing: bool = False  # a 409 named the record already holding this key

    @property
    def id(self) -> str:
        return str(self.body["id"])


def idempotency_key(path: str, content: bytes) -> str:
    """The same request, the same key: a rerun within the TTL replays the answer."""
    digest = hashlib.sha256(path.encode() + b"\n" + content).hexdigest()
    return f"sim-{digest[:48]}"


def _problem_errors(body: Any) -> list[dict[str, Any]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _retry_after(reply: httpx.Response) -> float:
    try:
        return min(max(float(reply.headers.get("Retry-After", "1")), 0.1), 30.0)
    except ValueError:
        return 1.0


class Api:
    """One service over HTTP, with the simulator's retry rules.

    Retried until `learn_seconds` pass: 429 (after its Retry-After), 5xx and lost
    connections, a 409 "in progress" of an idempotency key, and, where `learning`,
    a 404 or a 422 about a member (the service has not yet applied the registry's
    event). A 409 naming `existing_id` answers `Reply(existing=True)`; anything
    else that is not 2xx raises `SimulationError`.
    """

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        tokens: Tokens,
        options: RunOptions,
        report: RunReport,
    ) -> None:
        self.name = name
        self.client = client
        self.tokens = tokens
        self.options = options
        self.report = report

    async def send(
        self,
        method: str,
        path: str,
        province: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
        learning: bool = False,
    ) -> Reply:
        content = b""
        if body is not None:
            content = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
        headers = dict(self.tokens.headers(province))
        if method == "POST":
            fingerprint = content
            if files:
                fingerprint = b"".join(f[1] for f in files.values()) + repr(data).encode()
            headers["Idempotency-Key"] = idempotency_key(path, fingerprint)
        if body is not None:
            headers["Content-Type"] = "application/json"
        deadline = time.monotonic() + self.options.learn_seconds
        pause = 0.1
        while True:
            headers.update(self.tokens.headers(province))
            self.report.requests[self.name] += 1
            try:
                reply = await self.client.request(
                    method,
                    path,
                    content=content if body is not None else None,
                    params=params,
                    files=files,
                    data=data,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    raise SimulationError(f"{method} {self.name} {path}: {exc!r}") from exc
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
                continue
            answer = _json(reply)
            status = reply.status_code
            if 200 <= status < 300:
                # A replayed Idempotency-Key answers what the first request did.
                replayed = reply.headers.get("idempotent-replayed") == "true"
                return Reply(status, answer, existing=replayed)
            retry = status == 429 or status >= 500
            if status == 409 and isinstance(answer, dict):
                if answer.get("type", "").endswith("idempotency-key-in-progress"):
                    retry = True
                for error in _problem_errors(answer):
                    if "existing_id" in error:
                        return Reply(status, {"id": error["existing_id"]}, existing=True)
            if learning and (
                status == 404
                or (
                    status == 422
                    and any(e.get("field") in MEMBER_FIELDS for e in _problem_errors(answer))
                )
            ):
                retry = True
            if not retry or time.monotonic() > deadline:
                raise SimulationError(
                    f"{method} {self.name} {path} answered {status}: "
                    f"{json.dumps(answer, ensure_ascii=False)[:1500]}"
                )
            await asyncio.sleep(_retry_after(reply) if status == 429 else pause)
            pause = min(pause * 2, 2.0)

    async def post(self, path: str, province: str, body: dict[str, Any], **kw: Any) -> Reply:
        return await self.send("POST", path, province, body=body, **kw)

    async def get(self, path: str, province: str, **kw: Any) -> Any:
        return (await self.send("GET", path, province, **kw)).body

    async def get_all(
        self, path: str, province: str, params: dict[str, Any], **kw: Any
    ) -> list[dict[str, Any]]:
        """Every page of a listing."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            page = await self.get(path, province, params=query, **kw)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def _json(reply: httpx.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return reply.text


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# --- spreadsheets ----------------------------------------------------------------------


def sheet(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An XLSX with the API's field names as headers (the import reads those too)."""
    book = Workbook(write_only=True)
    page = book.create_sheet("Rows")
    page.append(list(columns))
    for row in rows:
        page.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def club_row(sketch: ClubSketch) -> tuple[object, ...]:
    """As registered: where it was founded (a relocation moves it later)."""
    return (
        sketch.name,
        sketch.founded_commune_code,
        sketch.legacy_commune_code,
        sketch.hamlet,
        sketch.founded_on,
        sketch.key,
    )


def member_row(member: MemberPlan, club_key: str) -> tuple[object, ...]:
    return (
        member.full_name,
        member.sex.value,
        None if member.birth_date else member.birth_year,
        member.birth_date,
        member.poverty.value,
        "x" if member.ethnic_minority else None,
        "x" if member.is_volunteer else None,
        member.joined_on,
        member.key,
        club_key,
    )


def _chunks[T](items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the run ---------------------------------------------------------------------------


@dataclass
class ClubIds:
    """A club's ids in the services, as the registry gave them."""

    id: str
    status: str
    commune_code: str
    members: dict[str, str] = field(default_factory=dict)  # member key -> id
    left: set[str] = field(default_factory=set)  # member keys already left


class _Stage:
    """One progress bar: clubs done, and the requests so far."""

    def __init__(self, progress: Progress, name: str, total: int, report: RunReport) -> None:
        self.progress = progress
        self.report = report
        self.service = name
        self.task: TaskID = progress.add_task(name, total=total, requests=0)

    def club_done(self) -> None:
        self.progress.update(self.task, advance=1, requests=self.report.requests[self.service])


def progress_bar(disable: bool = False) -> Progress:
    return Progress(  # on stderr: stdout carries the run's JSON report
        TextColumn("[bold]{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("clubs · {task.fields[requests]} requests"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=disable,
    )


class Simulation:
    """One run of a world plan against the three services."""

    def __init__(
        self,
        world: WorldPlan,
        services: Services,
        tokens: Tokens,
        options: RunOptions | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.world = world
        self.services = services
        self.tokens = tokens
        self.options = options or RunOptions()
        self.progress = progress or progress_bar(disable=True)
        self.report = RunReport()
        self.ids: dict[str, ClubIds] = {}

    async def run(self) -> RunReport:
        limits = httpx.Limits(max_connections=self.options.concurrency * 2 + 2)
        timeout = httpx.Timeout(self.options.timeout_seconds)

        def client(url: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)

        async with (
            client(self.services.registry) as registry,
            client(self.services.finance) as finance,
            client(self.services.health) as health,
        ):
            self.registry = Api("registry", registry, self.tokens, self.options, self.report)
            self.finance = Api("finance", finance, self.tokens, self.options, self.report)
            self.health = Api("health", health, self.tokens, self.options, self.report)
            with self.progress:
                await self._timed("registry", self._registry_stage())
                # Finance and health both learn from the registry, not from each other.
                await asyncio.gather(
                    self._timed("finance", self._finance_stage()),
                    self._timed("health", self._health_stage()),
                )
        return self.report

    async def _timed(self, stage: str, work: Awaitable[None]) -> None:
        started = time.monotonic()
        await work
        self.report.seconds[stage] = time.monotonic() - started

    async def _each_club(
        self,
        stage: _Stage,
        sketches: Sequence[ClubSketch],
        work: Callable[[ClubSketch], Awaitable[None]],
    ) -> None:
        """`work` for every club, `concurrency` at a time; the first failure stops the stage."""
        gate = asyncio.Semaphore(self.options.concurrency)

        async def one(sketch: ClubSketch) -> None:
            async with gate:
                await work(sketch)
                stage.club_done()

        try:
            async with asyncio.TaskGroup() as group:
                for sketch in sketches:
                    group.create_task(one(sketch))
        except* SimulationError as failed:
            raise failed.exceptions[0] from None

    def _count(self, kind: str, reply: Reply) -> None:
        (self.report.existing if reply.existing else self.report.created)[kind] += 1

    # -- registry -----------------------------------------------------------------------

    async def _registry_stage(self) -> None:
        clubs = self.world.clubs
        stage = _Stage(self.progress, "registry", len(clubs), self.report)
        for province in self.world.request.provinces:
            await self._import_clubs(province)
            await self._import_members(province)
        await self._each_club(stage, clubs, self._registry_club)

    async def _list_clubs(self, province: str) -> dict[str, ClubIds]:
        found = await self.registry.get_all("/v1/clubs", province, {"province": province})
        return {
            c["external_id"]: ClubIds(c["id"], c["status"], c["commune_code"])
            for c in found
            if c.get("external_id")
        }

    async def _import(
        self, province: str, kind: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None:
        for chunk in _chunks(rows, IMPORT_ROWS):
            content = sheet(columns, chunk)
            reply = await self.registry.send(
                "POST",
                "/v1/imports",
                province,
                files={"file": (f"ishc-simulator-{kind}.xlsx", content, XLSX)},
                data={"kind": kind},
            )
            self.report.created[kind] += int(reply.body["created"])

    async def _import_clubs(self, province: str) -> None:
        known = await self._list_clubs(province)
        missing = [club_row(s) for s in self.world.clubs_of(province) if s.key not in known]
        self.report.existing["clubs"] += len(self.world.clubs_of(province)) - len(missing)
        if missing:
            await self._import(province, "clubs", CLUB_COLUMNS, missing)
            known = await self._list_clubs(province)
        for sketch in self.world.clubs_of(province):
            if sketch.key not in known:
                raise SimulationError(f"the registry does not list club {sketch.key} after import")
            self.ids[sketch.key] = known[sketch.key]

    async def _list_members(self, sketch: ClubSketch) -> None:
        club = self.ids[sketch.key]
        found = await self.registry.get_all(
            f"/v1/clubs/{club.id}/members", sketch.province, {"status": "all"}
        )
        for member in found:
            if member.get("external_id"):
                club.members[member["external_id"]] = member["id"]
                if member.get("left_on"):
                    club.left.add(member["external_id"])

    async def _import_members(self, province: str) -> None:
        sketches = self.world.clubs_of(province)
        gate = asyncio.Semaphore(self.options.concurrency)

        async def listed(sketch: ClubSketch) -> None:
            async with gate:
                await self._list_members(sketch)

        await asyncio.gather(*(listed(s) for s in sketches))
        missing: list[tuple[object, ...]] = []
        for sketch in sketches:
            known = self.ids[sketch.key].members
            members = club_members(self.world, sketch)
            missing.extend(member_row(m, sketch.key) for m in members if m.key not in known)
            self.report.existing["members"] += sum(1 for m in members if m.key in known)
        if missing:
            await self._import(province, "members", MEMBER_COLUMNS, missing)
            await asyncio.gather(*(listed(s) for s in sketches))

    async def _registry_club(self, sketch: ClubSketch) -> None:
        club = self.ids[sketch.key]
        if club.status == "dissolved":
            return  # dissolving is the last thing the registry stage does to a club
        plan = club_plan(self.world, sketch)
        province, base = sketch.province, f"/v1/clubs/{club.id}"
        board = await self.registry.get(f"{base}/board", province)
        wanted = sorted((s.position.value, club.members[s.member_key]) for s in plan.board)
        held = sorted((s["position"], s["member_id"]) for s in board["seats"])
        if held != wanted:
            seats = [
                {"position": s.position.value, "member_id": club.members[s.member_key]}
                for s in plan.board
            ]
            reply = await self.registry.send(
                "PUT",
                f"{base}/board",
                province,
                body={"effective_on": plan.board_on.isoformat(), "seats": seats},
            )
            self._count("boards", reply)
        records: list[tuple[str, str, dict[str, Any]]] = []
        for meeting in plan.meetings:
            body = {
                "held_on": meeting.held_on.isoformat(),
                "attendance": meeting.attendance,
                "hardship_cases_chosen": meeting.hardship_cases_chosen,
                "hardship_cases_supported": meeting.hardship_cases_supported,
                "plan_recorded": meeting.plan_recorded,
                "report_recorded": meeting.report_recorded,
                "external_id": meeting.key,
            }
            records.append(("meetings", f"{base}/meetings", body))
        for activity in plan.activities:
            body = {
                "area": activity.area.value,
                "held_on": activity.held_on.isoformat(),
                "participants": activity.participants,
                "external_id": activity.key,
            }
            records.append(("activities", f"{base}/activities", body))
        for member in plan.members:
            if member.left_on is not None and member.key not in club.left:
                path = f"/v1/members/{club.members[member.key]}/leave"
                records.append(("leaves", path, {"left_on": member.left_on.isoformat()}))
        await self._post_all(self.registry, province, records, learning=False)
        # Then moving and dissolving, which the records above predate.
        if sketch.relocated_on is not None and club.commune_code != sketch.commune_code:
            body = {"commune_code": sketch.commune_code, "relocated_on": _iso(sketch.relocated_on)}
            self._count("relocations", await self.registry.post(f"{base}/relocate", province, body))
        if sketch.dissolved_on is not None:
            body = {
                "dissolved_on": sketch.dissolved_on.isoformat(),
                "reason": "Không đủ hội viên duy trì sinh hoạt",
            }
            self._count(
                "dissolutions", await self.registry.post(f"{base}/dissolve", province, body)
            )

    # -- finance ------------------------------------------------------------------------

    async def _finance_stage(self) -> None:
        clubs = [s for s in self.world.clubs if s.funds]
        stage = _Stage(self.progress, "finance", len(clubs), self.report)
        await self._each_club(stage, clubs, self._finance_club)

    async def _finance_club(self, sketch: ClubSketch) -> None:
        plan = club_plan(self.world, sketch)
        regulation = plan.regulation
        if regulation is None:
            return
        club = self.ids[sketch.key]
        province, base = sketch.province, f"/v1/clubs/{club.id}"
        post, member = self.finance.post, club.members
        # Finance knows the club once the registry's events reach it: until then, 404.
        adopted = await self.finance.get(f"{base}/regulations", province, learning=True)
        if not adopted["items"]:
            body = {
                "effective_on": regulation.effective_on.isoformat(),
                "rate_min": regulation.rate_min,
                "rate_max": regulation.rate_max,
                "fee_min_vnd": regulation.fee_min_vnd,
                "fee_max_vnd": regulation.fee_max_vnd,
                "max_loan_vnd": regulation.max_loan_vnd,
                "max_term_months": regulation.max_term_months,
                "methods": [m.value for m in regulation.methods],
                "rounding_unit_vnd": regulation.rounding_unit_vnd,
            }
            self._count(
                "regulations", await post(f"{base}/regulations", province, body, learning=True)
            )
        funds: dict[FundKind, str] = {}
        for fund in plan.funds:
            body = {
                "kind": fund.kind.value,
                "opened_on": fund.opened_on.isoformat(),
                "external_id": fund.key,
            }
            reply = await post(f"{base}/funds", province, body, learning=True)
            self._count("funds", reply)
            funds[fund.kind] = reply.id
        loans: dict[str, _Loan] = {}  # by the plan's key

        async def lend(loan: LoanPlan) -> None:
            body = {
                "member_id": member[loan.member_key],
                "principal_vnd": loan.principal_vnd,
                "monthly_rate": loan.monthly_rate,
                "term_months": loan.term_months,
                "method": loan.method.value,
                "disbursed_on": loan.disbursed_on.isoformat(),
                "purpose": loan.purpose,
                "external_id": loan.key,
            }
            reply = await post(
                f"/v1/funds/{funds[FundKind.INCOME]}/loans", province, body, learning=True
            )
            self._count("loans", reply)
            answer, repaid = reply.body, set[str]()
            if reply.existing:
                # A rerun: finance refuses a repayment dated before the loan's last
                # one, or on a closed loan, before it looks at the key; so read
                # what the loan already holds and send only the rest.
                answer = await self.finance.get(f"/v1/loans/{reply.id}", province)
                done = await self.finance.get_all(f"/v1/loans/{reply.id}/repayments", province, {})
                repaid = {r["external_id"] for r in done if r.get("external_id")}
            loans[loan.key] = _Loan(
                id=reply.id,
                # What each instalment asks comes from finance's own schedule.
                amounts={i["number"]: i["amount_vnd"] for i in answer["schedule"]},
                repaid=repaid,
                written_off=answer.get("written_off_on") is not None,
            )

        # Money in before money out on the same day, every day in order: finance
        # checks a fund's cash on the day of each payment out and every day after.
        operations: list[tuple[date, int, str, Callable[[], Awaitable[Reply]]]] = []

        def later(on: date, rank: int, kind: str, call: Callable[[], Awaitable[Reply]]) -> None:
            operations.append((on, rank, kind, call))

        for c in plan.contributions:
            body = {
                "source": c.source.value,
                "amount_vnd": c.amount_vnd,
                "in_kind": c.in_kind,
                "description": c.description,
                "received_on": c.received_on.isoformat(),
                "external_id": c.key,
            }
            path = f"/v1/funds/{funds[c.fund]}/contributions"
            later(c.received_on, 0, "contributions", _bind(post, path, province, body))
        for fee in plan.fees:
            body = {
                "member_id": member[fee.member_key],
                "month": fee.month,
                "amount_vnd": fee.amount_vnd,
                "paid_on": fee.paid_on.isoformat(),
            }
            path = f"/v1/funds/{funds[FundKind.ACTIVITY]}/fees"
            later(fee.paid_on, 1, "fees", _bind(post, path, province, body, learning=True))
        for loan in plan.loans:
            for repayment in loan.repayments:
                later(
                    repayment.paid_on,
                    2,
                    "repayments",
                    _repay(
                        self.finance,
                        province,
                        loans,
                        loan.key,
                        repayment.number,
                        repayment.paid_on,
                        repayment.key,
                    ),
                )
            later(loan.disbursed_on, 3, "", _as_reply(lend, loan))
            if loan.written_off_on is not None:
                write_off = _write_off(self.finance, province, loans, loan.key, loan.written_off_on)
                later(loan.written_off_on, 5, "write_offs", write_off)
        for e in plan.expenses:
            body = {
                "amount_vnd": e.amount_vnd,
                "purpose": e.purpose,
                "area": e.area.value,
                "spent_on": e.spent_on.isoformat(),
                "external_id": e.key,
            }
            path = f"/v1/funds/{funds[FundKind.ACTIVITY]}/expenses"
            later(e.spent_on, 4, "expenses", _bind(post, path, province, body))
        operations.sort(key=lambda op: (op[0], op[1]))
        for _, _, kind, call in operations:
            reply = await call()
            if kind:
                self._count(kind, reply)

    # -- health -------------------------------------------------------------------------

    async def _health_stage(self) -> None:
        clubs = [s for s in self.world.clubs if s.health]
        stage = _Stage(self.progress, "health", len(clubs), self.report)
        await self._each_club(stage, clubs, self._health_club)

    async def _health_club(self, sketch: ClubSketch) -> None:
        plan = club_plan(self.world, sketch)
        club = self.ids[sketch.key]
        province, member = sketch.province, club.members
        body: dict[str, Any]
        consents: list[tuple[str, str, dict[str, Any]]] = []
        for consent in plan.consents:
            body = {
                "given_on": consent.given_on.isoformat(),
                "purpose": "Khám sức khỏe định kỳ, sổ theo dõi sức khỏe và chăm sóc tại nhà",
                "scopes": ["health_checks", "home_care"],
            }
            consents.append(("consents", f"/v1/members/{member[consent.member_key]}/consent", body))
        # Consent first: a check, or a visit to a member, needs it.
        await self._post_all(self.health, province, consents)
        records: list[tuple[str, str, dict[str, Any]]] = []
        for card in plan.insurance:
            body = {
                "valid_from": card.valid_from.isoformat(),
                "valid_to": card.valid_to.isoformat(),
                "card_number": card.card_number,
            }
            records.append(("insurance", f"/v1/members/{member[card.member_key]}/insurance", body))
        for check in plan.checks:
            body = {
                "checked_on": check.checked_on.isoformat(),
                "checker": check.checker.value,
                "external_id": check.key,
                **dict(check.values),
            }
            if check.checker is Checker.VOLUNTEER and check.checker_member_key:
                body["checker_member_id"] = member[check.checker_member_key]
            else:
                body["station"] = "Trạm y tế xã"
            path = f"/v1/members/{member[check.member_key]}/health-checks"
            records.append(("health_checks", path, body))
        for session in plan.sessions:
            body = {
                "held_on": session.held_on.isoformat(),
                "participants": session.participants,
                "external_id": session.key,
            }
            records.append(("exercise_sessions", f"/v1/clubs/{club.id}/exercise-sessions", body))
        await self._post_all(self.health, province, records)
        await self._visits(plan, club)

    async def _post_all(
        self,
        api: Api,
        province: str,
        posts: Sequence[tuple[str, str, dict[str, Any]]],
        learning: bool = True,
    ) -> None:
        """Records that do not depend on one another, `concurrency` at a time."""
        gate = asyncio.Semaphore(self.options.concurrency)

        async def one(kind: str, path: str, body: dict[str, Any]) -> None:
            async with gate:
                self._count(kind, await api.post(path, province, body, learning=learning))

        async with asyncio.TaskGroup() as group:
            for kind, path, body in posts:
                group.create_task(one(kind, path, body))

    async def _visits(self, plan: ClubPlan, club: ClubIds) -> None:
        province = plan.sketch.province
        path = f"/v1/clubs/{club.id}/home-care-visits"
        people: dict[str, str] = {}  # community person key -> id, from their first visit
        listed: dict[str, str] | None = None  # visit id -> community person id (a rerun)
        for visit in plan.visits:
            body: dict[str, Any] = {
                "volunteer_id": club.members[visit.volunteer_key],
                "beneficiary": visit.beneficiary.value,
                "visited_on": visit.visited_on.isoformat(),
                "tasks": [t.value for t in visit.tasks],
                "external_id": visit.key,
            }
            if visit.note:
                body["note"] = visit.note
            person = visit.community_person
            if visit.beneficiary is Beneficiary.MEMBER and visit.member_key:
                body["beneficiary_member_id"] = club.members[visit.member_key]
            elif person is not None and person.key in people:
                body["community_person_id"] = people[person.key]
            elif person is not None:
                body["community_person"] = {"name": person.name}
            reply = await self.health.post(path, province, body, learning=True)
            self._count("home_care_visits", reply)
            if person is not None and person.key not in people:
                if "community_person_id" in reply.body:
                    people[person.key] = reply.body["community_person_id"]
                else:  # a 409 naming the visit a rerun made: read it back
                    if listed is None:
                        visits = await self.health.get_all(path, province, {})
                        listed = {v["id"]: v["community_person_id"] for v in visits}
                    people[person.key] = listed[reply.id]


def _bind(
    post: Callable[..., Awaitable[Reply]],
    path: str,
    province: str,
    body: dict[str, Any],
    **kw: Any,
) -> Callable[[], Awaitable[Reply]]:
    async def call() -> Reply:
        return await post(path, province, body, **kw)

    return call


def _as_reply(
    work: Callable[[LoanPlan], Awaitable[None]], loan: LoanPlan
) -> Callable[[], Awaitable[Reply]]:
    async def call() -> Reply:
        await work(loan)
        return Reply(201, None)

    return call


@dataclass
class _Loan:
    """A loan as finance holds it, for its repayments and write-off."""

    id: str
    amounts: dict[int, int]  # what each instalment asks
    repaid: set[str]  # keys of repayments already recorded (a rerun)
    written_off: bool


def _repay(
    finance: Api,
    province: str,
    loans: dict[str, _Loan],
    loan_key: str,
    number: int,
    paid_on: date,
    key: str,
) -> Callable[[], Awaitable[Reply]]:
    async def call() -> Reply:
        loan = loans[loan_key]
        if key in loan.repaid:
            return Reply(200, {"id": key}, existing=True)
        body = {
            "amount_vnd": loan.amounts[number],
            "paid_on": paid_on.isoformat(),
            "external_id": key,
        }
        return await finance.post(f"/v1/loans/{loan.id}/repayments", province, body)

    return call


def _write_off(
    finance: Api, province: str, loans: dict[str, _Loan], loan_key: str, on: date
) -> Callable[[], Awaitable[Reply]]:
    async def call() -> Reply:
        loan = loans[loan_key]
        if loan.written_off:
            return Reply(200, {"id": loan.id}, existing=True)
        body = {"written_off_on": on.isoformat(), "reason": "Hội viên mất khả năng trả nợ"}
        return await finance.post(f"/v1/loans/{loan.id}/write-off", province, body)

    return call


async def simulate(
    world: WorldPlan,
    services: Services,
    secret: str,
    options: RunOptions | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Drive `world` into the services; what was created and what was already there."""
    return await Simulation(world, services, Tokens(secret), options, progress).run()


async def put_plans(
    reporting: str, secret: str, plans: Sequence[dict[str, Any]], timeout_seconds: float = 30.0
) -> list[str]:
    """Create or replace each plan through reporting's `PUT /v1/plans/{id}` with a
    national token; the ids stored, in order. A refusal stops with the service's reason."""
    token = issue_token(secret, sub=SUBJECT, role=Role.NATIONAL, lifetime=timedelta(hours=1))
    stored: list[str] = []
    async with httpx.AsyncClient(
        base_url=reporting,
        timeout=timeout_seconds,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        for plan in plans:
            plan_id = str(plan.get("id", ""))
            reply = await client.put(
                f"/v1/plans/{quote(plan_id, safe='')}",
                content=json.dumps(plan, default=str, ensure_ascii=False),
                headers={"Content-Type": "application/json"},
            )
            if not reply.is_success:
                raise SimulationError(f"plan {plan_id!r}: {reply.status_code} {reply.text[:500]}")
            stored.append(plan_id)
    return stored
