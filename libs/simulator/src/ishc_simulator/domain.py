"""The world plan: a deterministic, realistic national history of clubs (pure, no I/O).

From a seed and a `WorldRequest` (provinces, the share of communes with a club,
the years of history, the end date, the scale), `plan_world` draws the world's
clubs as `ClubSketch`es, and `club_plan` draws everything one club did: its
members, board, meetings, activities, regulation and funds, contributions,
loans and their repayments, fees and expenses, consents, health checks,
exercise sessions, home-care visits and insurance cards.

Determinism: one `random.Random(seed)` draws the world and gives each club its
own seed, from which `club_plan` draws that club alone; never the global random,
never the clock. So the same seed and request give the same plan, and one club
is drawn without drawing the others (a national plan never sits in memory whole).

The shapes follow DOMAIN.md: 50–70 members; women, older people (60+) and poor,
near-poor or disadvantaged members 60–70% each, younger people 30–40%; about a
tenth of the clubs deliberately outside those bands; a board of 5 and at least 5
home-care volunteers for most; a meeting every month (a few missed), most
choosing a hardship case; income funds of 30–100 million VND lending at 0.6–1.0%
a month under every interest method; fees of 2,000–5,000 VND a month; health
checks twice a year and exercise three or four times a week for most clubs.

Scale: `small` keeps the day-to-day records (loans and repayments, fees,
expenses, checks, sessions, visits, insurance) to the window the indicators read
(the last 12 months and the default period up to the end date; fees the last
month), so a province can be simulated in minutes; `national` draws them over
the whole history, as a national deployment would hold them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from random import Random
from typing import Any

from ishc_contracts.finance_events import ContributionSource, FundKind, InterestMethod
from ishc_contracts.health_events import Beneficiary, CareTask, Checker
from ishc_contracts.people import DEFAULT_OLDER_AGE, age_on
from ishc_contracts.periods import twelve_months_start
from ishc_contracts.registry_events import ActivityArea, BoardPosition, PovertyStatus, Sex
from ishc_platform import admin_units
from ishc_simulator.names import person_name

REORGANISATION = date(2025, 7, 1)
"""The day the current map began: clubs founded before it may carry a legacy commune."""
FIRST_YEAR = 2000
BAND = (60, 70)  # women, older and poor members, % of members (DOMAIN.md)
SIZE = (50, 70)
VOLUNTEERS_MIN = 5
BOARD = (
    BoardPosition.CHAIR,
    BoardPosition.VICE_CHAIR,
    BoardPosition.MEMBER,
    BoardPosition.MEMBER,
    BoardPosition.MEMBER,
)
MILLION = 1_000_000


class Scale(StrEnum):
    SMALL = "small"  # day-to-day records only in the window the indicators read
    NATIONAL = "national"  # every record over the whole history


class Aspect(StrEnum):
    """What can put a club's composition outside DOMAIN.md's bands."""

    SIZE = "size"
    WOMEN = "women"
    OLDER = "older"
    POOR = "poor"


class Repaying(StrEnum):
    """How a borrower repays."""

    ON_TIME = "on_time"
    LATE = "late"  # some instalments weeks late
    DEFAULTED = "defaulted"  # stops paying; some such loans are written off


class Exercise(StrEnum):
    REGULAR = "regular"  # 3–4 sessions a week (most clubs)
    SPARSE = "sparse"  # 1–2 a week


class PlanRequestError(ValueError):
    """A request no world can be drawn from."""


# --- dates ------------------------------------------------------------------------


def add_months(on: date, months: int) -> date:
    """The same day `months` later, or that month's last day (as finance dates instalments)."""
    index = on.year * 12 + on.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(on.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def month_start(on: date) -> date:
    return on.replace(day=1)


def month_end(on: date) -> date:
    return on.replace(day=_month_length(on.year, on.month))


def default_period_start(as_of: date) -> date:
    """The first day of the month eleven months before `as_of` (reporting's default period)."""
    months = as_of.year * 12 + as_of.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


def months_required(
    founded_on: date, dissolved_on: date | None, period_start: date, as_of: date
) -> frozenset[tuple[int, int]]:
    """The calendar months a club had to meet in: whole months of the period in
    which it was active every day (docs/indicators.md, "Met every month")."""
    first_day = max(founded_on, period_start)
    last_day = as_of if dissolved_on is None else min(as_of, dissolved_on - timedelta(days=1))
    first = first_day.year * 12 + first_day.month - 1 + (first_day.day != 1)
    month_ends = (last_day + timedelta(days=1)).day == 1
    last = last_day.year * 12 + last_day.month - 1 - (not month_ends)
    return frozenset((m // 12, m % 12 + 1) for m in range(first, last + 1))


def _day_between(rng: Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


# --- the request ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorldRequest:
    """What world to draw: where, how dense, over which years, in how much detail."""

    provinces: tuple[str, ...]  # current 2-digit codes
    commune_share: float  # share of each province's communes with a club at `until`
    since: int  # the first year of history (clubs are founded from 1 January)
    until: date  # the end date: nothing is dated after it
    scale: Scale = Scale.SMALL

    def __post_init__(self) -> None:
        if not self.provinces:
            raise PlanRequestError("name at least one province")
        known = {p.code for p in admin_units.current_provinces()}
        unknown = sorted(set(self.provinces) - known)
        if unknown:
            raise PlanRequestError(f"not provinces of the current map: {', '.join(unknown)}")
        if len(set(self.provinces)) != len(self.provinces):
            raise PlanRequestError("a province is named twice")
        if not 0 < self.commune_share <= 1:
            raise PlanRequestError("commune_share is a share: more than 0, at most 1")
        if not FIRST_YEAR <= self.since <= self.until.year:
            raise PlanRequestError(
                f"since is a year from {FIRST_YEAR} to the end date's ({self.until.year})"
            )

    @property
    def start(self) -> date:
        return date(self.since, 1, 1)

    @property
    def detail_start(self) -> date:
        """From when day-to-day records are drawn: the whole history at national
        scale; at small scale the window the indicators read (the last 12 months
        and the default period, whichever starts first)."""
        if self.scale is Scale.NATIONAL:
            return self.start
        window = min(twelve_months_start(self.until), default_period_start(self.until))
        return max(self.start, window)


def all_provinces() -> tuple[str, ...]:
    """The 34 provinces of the current map."""
    return tuple(p.code for p in admin_units.current_provinces())


# --- the world: clubs as sketches -----------------------------------------------------


@dataclass(frozen=True)
class ClubSketch:
    """A club as the world draws it; `club_plan` draws the rest from `seed`."""

    key: str  # its external_id in every service
    seed: int
    province: str
    commune_code: str  # where it is at the end date
    founded_commune_code: str  # where it was founded (another one when it relocated)
    legacy_commune_code: str | None  # the pre-July-2025 commune it was registered with
    hamlet: str
    name: str
    founded_on: date
    dissolved_on: date | None
    relocated_on: date | None
    outside: tuple[Aspect, ...]  # composition deliberately outside the bands
    size: int  # members at the end (or at dissolution)
    board_seats: int  # 5, or fewer for an incomplete board
    volunteers: int
    funds: tuple[FundKind, ...]
    health: bool  # consents, checks, visits, insurance
    exercise: Exercise
    meeting_skip: float  # chance a month passes without a meeting

    def active_on(self, on: date) -> bool:
        return self.founded_on <= on and (self.dissolved_on is None or on < self.dissolved_on)

    def commune_on(self, on: date) -> str:
        if self.relocated_on is not None and on < self.relocated_on:
            return self.founded_commune_code
        return self.commune_code


@dataclass(frozen=True)
class WorldPlan:
    seed: int
    request: WorldRequest
    communes: dict[str, int]  # province -> communes on the current map
    clubs: tuple[ClubSketch, ...]

    def clubs_of(self, province: str) -> tuple[ClubSketch, ...]:
        return tuple(c for c in self.clubs if c.province == province)


def _clubs_per_commune(rng: Random) -> int:
    # 1648/QĐ-TTg asks for 1–3 clubs in each lowland commune.
    return rng.choices((1, 2, 3), weights=(50, 35, 15))[0]


def _founding_day(rng: Random, request: WorldRequest, latest: date) -> date:
    """Founded over the years since `since`, more each year (the national schemes grow)."""
    years = list(range(request.since, latest.year + 1))
    weights = []
    for year in years:
        last = min(date(year, 12, 31), latest)
        days = (last - date(year, 1, 1)).days + 1
        weights.append(max(days, 0) / 365 * (1 + 0.12 * (year - request.since)))
    year = rng.choices(years, weights=weights)[0]
    return _day_between(rng, date(year, 1, 1), min(date(year, 12, 31), latest))


def _legacy_commune(commune_code: str, founded_on: date) -> str | None:
    """The old commune of a club registered before the reorganisation, when its
    current commune came from exactly one (and the registry maps it back there)."""
    if founded_on >= REORGANISATION:
        return None
    sources = admin_units.legacy_sources_of_commune(commune_code)
    if len(sources) != 1:
        return None
    legacy = sources[0].code
    successors = {u.code for u in admin_units.successors_of_legacy_commune(legacy)}
    return legacy if commune_code in successors else None


def _hamlet(rng: Random, unit: admin_units.Unit) -> str:
    if unit.name.startswith("Phường"):
        kind = rng.choice(("Khóm", "Khu phố"))
    elif int(unit.province_code) >= 46:  # the south and the centre say ấp, the north thôn
        kind = "Ấp"
    else:
        kind = "Thôn"
    return f"{kind} {rng.randint(1, 12)}"


def _club_name(unit: admin_units.Unit, hamlet: str, number: int) -> str:
    place = unit.name.split(" ", 1)[1] if " " in unit.name else unit.name
    suffix = f" số {number}" if number > 1 else ""
    return f"CLB Liên thế hệ tự giúp nhau {place} {hamlet}{suffix}"


def _count(n: int, share: float, rng: Random, at_least_one: bool) -> int:
    """round(n × share), at least one when asked and n is not tiny; else by chance."""
    count = round(n * share)
    if count == 0 and n > 0 and ((at_least_one and n >= 10) or rng.random() < n * share):
        count = 1
    return min(count, n)


def plan_world(seed: int, request: WorldRequest) -> WorldPlan:
    """The world's clubs, deterministic in `seed` and `request`."""
    rng = Random(seed)
    until = request.until
    sketches: list[ClubSketch] = []
    communes_count: dict[str, int] = {}
    for province in sorted(request.provinces):
        communes = admin_units.communes_of_province(province, admin_units.Boundary.CURRENT)
        communes_count[province] = len(communes)
        hosts = sorted(
            rng.sample(communes, k=max(1, round(len(communes) * request.commune_share))),
            key=lambda u: u.code,
        )
        host_codes = {u.code for u in hosts}
        elsewhere = [u for u in communes if u.code not in host_codes] or hosts
        # (commune, number in it, dissolved?) for each club of the province
        slots: list[tuple[admin_units.Unit, int, bool]] = []
        for unit in hosts:
            slots.extend((unit, n, False) for n in range(1, _clubs_per_commune(rng) + 1))
        active = len(slots)
        # A few dissolved clubs besides, in communes that keep another club.
        long_enough = (until - request.start).days > 400
        for _ in range(_count(active, 0.03, rng, at_least_one=True) if long_enough else 0):
            unit = rng.choice(hosts)
            taken = sum(1 for u, _, _ in slots if u.code == unit.code)
            slots.append((unit, taken + 1, True))
        relocating = set(rng.sample(range(active), k=_count(active, 0.03, rng, True)))
        outside = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.10)))
        few_seats = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.06)))
        few_volunteers = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.05)))
        income_only = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.03)))
        no_funds = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.02))) - income_only
        no_health = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.04)))
        sparse = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.12)))
        skipping = set(rng.sample(range(len(slots)), k=round(len(slots) * 0.25)))
        for index, (unit, number, dissolves) in enumerate(slots):
            key = f"SIM{seed}-{province}-{index + 1:05d}"
            if dissolves:
                founded_on = _founding_day(rng, request, until - timedelta(days=400))
                dissolved_on: date | None = _day_between(
                    rng, founded_on + timedelta(days=365), until - timedelta(days=30)
                )
            else:
                founded_on = _founding_day(rng, request, until)
                dissolved_on = None
            relocated_on: date | None = None
            founded_unit = unit
            if index in relocating and (until - founded_on).days > 60:
                relocated_on = _day_between(
                    rng, founded_on + timedelta(days=30), until - timedelta(days=1)
                )
                founded_unit = rng.choice([u for u in elsewhere if u.code != unit.code] or hosts)
            hamlet = _hamlet(rng, founded_unit)
            aspects: tuple[Aspect, ...] = ()
            if index in outside:
                aspects = tuple(sorted(rng.sample(list(Aspect), k=rng.choice((1, 1, 2)))))
            if Aspect.SIZE in aspects:
                size = rng.choice((rng.randint(35, 49), rng.randint(71, 80)))
            else:
                size = rng.randint(*SIZE)
            funds = (
                ()
                if index in no_funds
                else (FundKind.INCOME,)
                if index in income_only
                else (FundKind.INCOME, FundKind.ACTIVITY)
            )
            sketches.append(
                ClubSketch(
                    key=key,
                    seed=rng.getrandbits(63),
                    province=province,
                    commune_code=unit.code,
                    founded_commune_code=founded_unit.code,
                    legacy_commune_code=_legacy_commune(founded_unit.code, founded_on),
                    hamlet=hamlet,
                    name=_club_name(founded_unit, hamlet, number),
                    founded_on=founded_on,
                    dissolved_on=dissolved_on,
                    relocated_on=relocated_on,
                    outside=aspects,
                    size=size,
                    board_seats=rng.choice((3, 4)) if index in few_seats else 5,
                    volunteers=rng.randint(2, 4) if index in few_volunteers else rng.randint(5, 12),
                    funds=funds,
                    health=index not in no_health,
                    exercise=Exercise.SPARSE if index in sparse else Exercise.REGULAR,
                    meeting_skip=0.12 if index in skipping else 0.0,
                )
            )
    return WorldPlan(seed=seed, request=request, communes=communes_count, clubs=tuple(sketches))


# --- one club's history -------------------------------------------------------------


@dataclass(frozen=True)
class MemberPlan:
    key: str
    full_name: str
    sex: Sex
    birth_year: int
    birth_date: date | None  # None: the person knows only the year
    poverty: PovertyStatus
    ethnic_minority: bool
    is_volunteer: bool
    joined_on: date
    left_on: date | None  # left of their own accord (a dissolution ends the rest)

    def member_on(self, on: date, dissolved_on: date | None) -> bool:
        end = self.left_on or dissolved_on
        return self.joined_on <= on and (end is None or on < end)

    def age_on(self, on: date) -> int:
        return age_on(self.birth_year, self.birth_date, on)


@dataclass(frozen=True)
class SeatPlan:
    position: BoardPosition
    member_key: str


@dataclass(frozen=True)
class MeetingPlan:
    key: str
    held_on: date
    attendance: int
    hardship_cases_chosen: int
    hardship_cases_supported: int
    plan_recorded: bool
    report_recorded: bool


@dataclass(frozen=True)
class ActivityPlan:
    key: str
    area: ActivityArea
    held_on: date
    participants: int


@dataclass(frozen=True)
class RegulationPlan:
    effective_on: date
    rate_min: str  # decimal strings, as finance takes them
    rate_max: str
    fee_min_vnd: int
    fee_max_vnd: int
    max_loan_vnd: int
    max_term_months: int
    methods: tuple[InterestMethod, ...]
    rounding_unit_vnd: int


@dataclass(frozen=True)
class FundPlan:
    key: str
    kind: FundKind
    opened_on: date


@dataclass(frozen=True)
class ContributionPlan:
    key: str
    fund: FundKind
    source: ContributionSource
    amount_vnd: int
    in_kind: bool
    received_on: date
    description: str


@dataclass(frozen=True)
class RepaymentPlan:
    key: str
    number: int  # the instalment it pays (its amount comes from finance's schedule)
    paid_on: date
    days_late: int


@dataclass(frozen=True)
class LoanPlan:
    key: str
    member_key: str
    principal_vnd: int
    monthly_rate: str
    term_months: int
    method: InterestMethod
    disbursed_on: date
    purpose: str
    repaying: Repaying
    repayments: tuple[RepaymentPlan, ...]
    written_off_on: date | None

    def due_on(self, number: int) -> date:
        return add_months(self.disbursed_on, number)

    def outstanding_on(self, on: date) -> bool:
        """Principal unpaid on `on`: disbursed, not written off, not every instalment paid."""
        if self.disbursed_on > on:
            return False
        if self.written_off_on is not None and self.written_off_on <= on:
            return False
        return sum(1 for r in self.repayments if r.paid_on <= on) < self.term_months


@dataclass(frozen=True)
class FeePlan:
    member_key: str
    month: str  # "YYYY-MM"
    amount_vnd: int
    paid_on: date


@dataclass(frozen=True)
class ExpensePlan:
    key: str
    amount_vnd: int
    purpose: str
    area: ActivityArea
    spent_on: date


@dataclass(frozen=True)
class ConsentPlan:
    member_key: str
    given_on: date


@dataclass(frozen=True)
class CheckPlan:
    key: str
    member_key: str
    checked_on: date
    checker: Checker
    checker_member_key: str | None
    values: tuple[tuple[str, int | str], ...]  # (field, value) as health takes them


@dataclass(frozen=True)
class SessionPlan:
    key: str
    held_on: date
    participants: int


@dataclass(frozen=True)
class CommunityPerson:
    key: str
    name: str


@dataclass(frozen=True)
class VisitPlan:
    key: str
    volunteer_key: str
    beneficiary: Beneficiary
    member_key: str | None
    community_person: CommunityPerson | None
    visited_on: date
    tasks: tuple[CareTask, ...]
    note: str | None


@dataclass(frozen=True)
class InsurancePlan:
    member_key: str
    valid_from: date
    valid_to: date
    card_number: str


@dataclass(frozen=True)
class ClubPlan:
    sketch: ClubSketch
    members: tuple[MemberPlan, ...]
    board_on: date
    board: tuple[SeatPlan, ...]
    meetings: tuple[MeetingPlan, ...]
    activities: tuple[ActivityPlan, ...]
    regulation: RegulationPlan | None
    funds: tuple[FundPlan, ...]
    contributions: tuple[ContributionPlan, ...]
    loans: tuple[LoanPlan, ...]
    fees: tuple[FeePlan, ...]
    expenses: tuple[ExpensePlan, ...]
    consents: tuple[ConsentPlan, ...]
    checks: tuple[CheckPlan, ...]
    sessions: tuple[SessionPlan, ...]
    visits: tuple[VisitPlan, ...]
    insurance: tuple[InsurancePlan, ...]

    @property
    def key(self) -> str:
        return self.sketch.key

    def members_on(self, on: date) -> list[MemberPlan]:
        if not self.sketch.active_on(on):
            return []
        return [m for m in self.members if m.member_on(on, self.sketch.dissolved_on)]


def _band_count(rng: Random, n: int, aspect: Aspect, outside: tuple[Aspect, ...]) -> int:
    """How many of n members are women (older, poor): inside 60–70%, or, for an
    aspect the club is drawn outside on, clearly below or above it."""
    low, high = (BAND[0] * n + 99) // 100, BAND[1] * n // 100
    if aspect not in outside:
        return rng.randint(low, high)
    if rng.random() < 0.5:
        return rng.randint(45 * n // 100, low - 1)
    return rng.randint(high + 1, max(high + 1, 80 * n // 100))


def _last_day(sketch: ClubSketch, until: date) -> date:
    """The club's last active day in the plan."""
    return until if sketch.dissolved_on is None else sketch.dissolved_on - timedelta(days=1)


def _members(rng: Random, sketch: ClubSketch, until: date) -> tuple[MemberPlan, ...]:
    n = sketch.size
    last = _last_day(sketch, until)
    women = set(rng.sample(range(n), k=_band_count(rng, n, Aspect.WOMEN, sketch.outside)))
    older = set(rng.sample(range(n), k=_band_count(rng, n, Aspect.OLDER, sketch.outside)))
    poor = set(rng.sample(range(n), k=_band_count(rng, n, Aspect.POOR, sketch.outside)))
    volunteers = set(rng.sample(range(n), k=min(sketch.volunteers, n)))
    minority_rate = rng.choice((0.0, 0.02, 0.05, 0.08, 0.12, 0.4))
    leavers = rng.randint(0, 3) if (last - sketch.founded_on).days > 120 else 0
    members: list[MemberPlan] = []
    for index in range(n + leavers):
        staying = index < n
        sex = (
            (Sex.FEMALE if index in women else Sex.MALE)
            if staying
            else (Sex.FEMALE if rng.random() < 0.65 else Sex.MALE)
        )
        is_older = index in older if staying else rng.random() < 0.65
        if (index in poor) if staying else rng.random() < 0.6:
            poverty = rng.choices(
                (PovertyStatus.POOR, PovertyStatus.NEAR_POOR, PovertyStatus.DISADVANTAGED),
                weights=(35, 35, 30),
            )[0]
        else:
            poverty = PovertyStatus.NONE
        founder = rng.random() < 0.7
        if staying:
            joined_on = sketch.founded_on if founder else _day_between(rng, sketch.founded_on, last)
            left_on = None
        else:
            joined_on = _day_between(rng, sketch.founded_on, last - timedelta(days=90))
            left_on = _day_between(rng, joined_on + timedelta(days=30), last)
        # Born early enough (or late enough) that the end date's age is never in
        # doubt, whether the birth date or only the year is known; adults on joining.
        if is_older:
            birth_year = rng.randint(until.year - 90, until.year - 61)
        else:
            latest = min(until.year - 22, joined_on.year - 18)
            birth_year = rng.randint(min(until.year - 58, latest), latest)
        year_only = rng.random() < (0.5 if is_older else 0.15)
        birth_date = (
            None
            if year_only
            else _day_between(rng, date(birth_year, 1, 1), date(birth_year, 12, 31))
        )
        members.append(
            MemberPlan(
                key=f"{sketch.key}-M{index + 1:03d}",
                full_name=person_name(rng, sex),
                sex=sex,
                birth_year=birth_year,
                birth_date=birth_date,
                poverty=poverty,
                ethnic_minority=rng.random() < minority_rate,
                is_volunteer=index in volunteers if staying else False,
                joined_on=joined_on,
                left_on=left_on,
            )
        )
    return tuple(members)


def _board(rng: Random, sketch: ClubSketch, members: Sequence[MemberPlan]) -> tuple[SeatPlan, ...]:
    founders = [m for m in members if m.joined_on == sketch.founded_on and m.left_on is None]
    holders = rng.sample(founders, k=min(sketch.board_seats, len(founders)))
    return tuple(SeatPlan(p, m.key) for p, m in zip(BOARD, holders, strict=False))


def _active_count(members: Sequence[MemberPlan], on: date, dissolved_on: date | None) -> int:
    return sum(1 for m in members if m.member_on(on, dissolved_on))


def _months(first: date, last: date) -> Iterator[date]:
    """The first day of every month from `first`'s to `last`'s."""
    current = month_start(first)
    while current <= last:
        yield current
        current = add_months(current, 1)


AREA_WEIGHTS: dict[ActivityArea, int] = {
    ActivityArea.SPIRITUAL_CULTURAL: 4,
    ActivityArea.LIFELONG_LEARNING: 3,
    ActivityArea.RIGHTS: 2,
    ActivityArea.HEALTH_CARE: 2,
    ActivityArea.SELF_HELP: 1,
    ActivityArea.HOME_CARE: 1,
    ActivityArea.INCOME_GENERATION: 1,
    ActivityArea.RESOURCE_MOBILISATION: 1,
}
_AREAS = tuple(AREA_WEIGHTS)
_AREA_WEIGHTS = tuple(AREA_WEIGHTS.values())


def _meetings_and_activities(
    rng: Random, sketch: ClubSketch, members: Sequence[MemberPlan], until: date
) -> tuple[tuple[MeetingPlan, ...], tuple[ActivityPlan, ...]]:
    last = _last_day(sketch, until)
    meetings: list[MeetingPlan] = []
    activities: list[ActivityPlan] = []
    for first_of_month in _months(sketch.founded_on, last):
        lo = max(first_of_month, sketch.founded_on)
        hi = min(month_end(first_of_month), last)
        if rng.random() >= sketch.meeting_skip:
            held_on = _day_between(rng, lo, hi)
            present = _active_count(members, held_on, sketch.dissolved_on)
            chosen = rng.choices((0, 1, 2), weights=(10, 75, 15))[0]
            meetings.append(
                MeetingPlan(
                    key=f"{sketch.key}-MT{held_on:%Y%m%d}",
                    held_on=held_on,
                    attendance=max(1, round(present * rng.uniform(0.6, 0.95))),
                    hardship_cases_chosen=chosen,
                    hardship_cases_supported=max(0, chosen - (rng.random() < 0.15)),
                    plan_recorded=rng.random() < 0.9,
                    report_recorded=rng.random() < 0.85,
                )
            )
        for _ in range((rng.random() < 0.85) + (rng.random() < 0.3)):
            held_on = _day_between(rng, lo, hi)
            present = _active_count(members, held_on, sketch.dissolved_on)
            activities.append(
                ActivityPlan(
                    key=f"{sketch.key}-A{len(activities) + 1:04d}",
                    area=rng.choices(_AREAS, weights=_AREA_WEIGHTS)[0],
                    held_on=held_on,
                    participants=max(1, min(present, rng.randint(10, 50))),
                )
            )
    return tuple(meetings), tuple(activities)


# --- finance ------------------------------------------------------------------------

LOAN_PURPOSES = (
    "Nuôi heo",
    "Nuôi gà",
    "Nuôi bò",
    "Trồng rau",
    "Trồng lúa",
    "Buôn bán nhỏ",
    "Mở quán tạp hóa",
    "Mua giống cây ăn trái",
    "Nuôi cá",
    "Làm bánh bán",
)
EXPENSE_PURPOSES: dict[ActivityArea, str] = {
    ActivityArea.HOME_CARE: "Thăm hỏi hội viên ốm",
    ActivityArea.HEALTH_CARE: "Mua máy đo huyết áp",
    ActivityArea.SELF_HELP: "Hỗ trợ gia đình khó khăn",
    ActivityArea.SPIRITUAL_CULTURAL: "Giao lưu văn nghệ",
    ActivityArea.LIFELONG_LEARNING: "Tập huấn kiến thức",
    ActivityArea.RIGHTS: "Tuyên truyền chính sách người cao tuổi",
    ActivityArea.INCOME_GENERATION: "Tập huấn chăn nuôi",
    ActivityArea.RESOURCE_MOBILISATION: "Tổ chức gây quỹ",
}
_METHODS = tuple(InterestMethod)


def _regulation(rng: Random, sketch: ClubSketch) -> RegulationPlan:
    # Every club draws two to four methods; over a world every method is in use.
    methods = tuple(sorted(rng.sample(_METHODS, k=rng.randint(2, 4))))
    return RegulationPlan(
        effective_on=sketch.founded_on,
        rate_min=rng.choice(("0.006", "0.007")),
        rate_max=rng.choice(("0.008", "0.009", "0.010")),
        fee_min_vnd=rng.choice((2000, 3000)),
        fee_max_vnd=rng.choice((4000, 5000)),
        max_loan_vnd=rng.choice((10, 15, 20, 30)) * MILLION,
        max_term_months=rng.choice((12, 18, 24, 36)),
        methods=methods,
        rounding_unit_vnd=1000 if rng.random() < 0.85 else 1,
    )


def _contributions(
    rng: Random, sketch: ClubSketch, funds: Sequence[FundPlan], until: date
) -> tuple[ContributionPlan, ...]:
    last = _last_day(sketch, until)
    found: list[ContributionPlan] = []

    def add(fund: FundPlan, source: ContributionSource, amount: int, on: date, what: str) -> None:
        in_kind = source is ContributionSource.INDIVIDUAL and what.startswith("Hiện vật")
        found.append(
            ContributionPlan(
                key=f"{sketch.key}-C{len(found) + 1:03d}",
                fund=fund.kind,
                source=source,
                amount_vnd=amount,
                in_kind=in_kind,
                received_on=on,
                description=what,
            )
        )

    for fund in funds:
        if fund.kind is FundKind.INCOME:
            # The starting capital: 30–100 million VND (DOMAIN.md, "Scale").
            source = rng.choice((ContributionSource.STATE_BUDGET, ContributionSource.ORGANISATION))
            add(fund, source, rng.randint(30, 100) * MILLION, fund.opened_on, "Vốn ban đầu")
        else:
            add(
                fund,
                ContributionSource.FUND_RAISING,
                rng.randint(2, 8) * 500_000,
                fund.opened_on,
                "Quyên góp thành lập quỹ",
            )
        anniversary = add_months(fund.opened_on, 12)
        while anniversary <= last:
            if rng.random() < 0.7:
                on = _day_between(rng, anniversary, min(add_months(anniversary, 1), last))
                if fund.kind is FundKind.INCOME:
                    source = rng.choice(
                        (
                            ContributionSource.GOLDEN_HEART_BOOK,
                            ContributionSource.FUND_RAISING,
                            ContributionSource.INDIVIDUAL,
                            ContributionSource.MEMBER_SAVINGS,
                        )
                    )
                    golden = source is ContributionSource.GOLDEN_HEART_BOOK
                    what = "Sổ Tấm lòng vàng" if golden else "Bổ sung vốn"
                    add(fund, source, rng.randint(2, 16) * 500_000, on, what)
                elif rng.random() < 0.25:
                    add(
                        fund,
                        ContributionSource.INDIVIDUAL,
                        rng.randint(2, 6) * 250_000,
                        on,
                        "Hiện vật: gạo, sữa",
                    )
                else:
                    add(
                        fund,
                        ContributionSource.INDIVIDUAL,
                        rng.randint(1, 6) * 500_000,
                        on,
                        "Mạnh thường quân ủng hộ",
                    )
            anniversary = add_months(anniversary, 12)
    return tuple(found)


def _repayments(
    rng: Random, key: str, disbursed_on: date, term: int, repaying: Repaying, last: date
) -> tuple[tuple[RepaymentPlan, ...], date | None]:
    """The repayments made by `last` and, for some defaulted loans, a write-off."""
    stop = rng.randint(0, term // 2) if repaying is Repaying.DEFAULTED else term
    paid: list[RepaymentPlan] = []
    previous = disbursed_on
    for number in range(1, stop + 1):
        due = add_months(disbursed_on, number)
        if repaying is Repaying.LATE and rng.random() < 0.4:
            target = due + timedelta(days=rng.randint(5, 75))
        else:
            target = due - timedelta(days=rng.randint(0, 3))
        # In date order (finance allocates them so), never before the disbursement.
        on = max(target, previous, disbursed_on + timedelta(days=1))
        if on > last:
            break
        paid.append(RepaymentPlan(f"{key}-R{number:02d}", number, on, max((on - due).days, 0)))
        previous = on
    written_off_on: date | None = None
    if repaying is Repaying.DEFAULTED and rng.random() < 0.5:
        from_day = max(previous, add_months(disbursed_on, stop + 1)) + timedelta(days=180)
        if from_day <= last:
            written_off_on = _day_between(rng, from_day, min(from_day + timedelta(days=180), last))
    return tuple(paid), written_off_on


def _loans(
    rng: Random,
    sketch: ClubSketch,
    members: Sequence[MemberPlan],
    regulation: RegulationPlan,
    funds: dict[FundKind, FundPlan],
    contributions: Sequence[ContributionPlan],
    request: WorldRequest,
) -> tuple[LoanPlan, ...]:
    if FundKind.INCOME not in funds or FundKind.ACTIVITY not in funds:
        return ()  # a loan's interest goes to the activity fund: both must be open
    last = _last_day(sketch, request.until)
    first = max(
        request.detail_start, funds[FundKind.INCOME].opened_on, funds[FundKind.ACTIVITY].opened_on
    ) + timedelta(days=1)
    if first > last:
        return ()
    borrowing = [m for m in members if m.left_on is None]
    share = rng.uniform(0.35, 0.75)  # of members borrowing each year
    rates = [
        f"{Decimal(r) / 1000:.3f}"
        for r in range(
            int(Decimal(regulation.rate_min) * 1000), int(Decimal(regulation.rate_max) * 1000) + 1
        )
    ]
    terms = [t for t in (6, 9, 12, 18, 24, 36) if t <= regulation.max_term_months]
    drawn: list[tuple[date, MemberPlan]] = []
    # Each twelve months back from the end, about `share` of the members borrow once.
    slice_end = last
    while slice_end >= first:
        slice_start = max(first, twelve_months_start(slice_end))
        days = (slice_end - slice_start).days + 1
        on_day = [
            _day_between(rng, slice_start, slice_end)
            for _ in range(round(len(borrowing) * share * days / 365))
        ]
        for day in sorted(on_day):
            eligible = [m for m in borrowing if m.joined_on < day]
            taken = {m.key for d, m in drawn if slice_start <= d <= slice_end}
            choices = [m for m in eligible if m.key not in taken]
            if choices:
                drawn.append((day, rng.choice(choices)))
        slice_end = slice_start - timedelta(days=1)
    drawn.sort(key=lambda item: (item[0], item[1].key))
    # Lend only what the fund holds on the day: cash contributed, less what every
    # earlier loan still owes of its principal. Finance checks the fund's cash on
    # every later day too; the posting order (by date) and this lower bound of
    # the principal repaid keep each loan inside it.
    capital = sorted(
        (c.received_on, c.amount_vnd)
        for c in contributions
        if c.fund is FundKind.INCOME and not c.in_kind
    )
    loans: list[LoanPlan] = []
    for day, member in drawn:
        cash = sum(a for on, a in capital if on <= day)
        out = sum(_principal_owed(loan, day, regulation.rounding_unit_vnd) for loan in loans)
        ceiling = min(cash - out, regulation.max_loan_vnd)
        wanted = rng.randint(2, 12) * 500_000
        principal = min(wanted, ceiling // 500_000 * 500_000)
        if principal < MILLION:
            continue
        key = f"{sketch.key}-L{len(loans) + 1:03d}"
        term = rng.choice(terms)
        repaying = rng.choices(list(Repaying), weights=(72, 18, 10))[0]
        repayments, written_off_on = _repayments(rng, key, day, term, repaying, last)
        loans.append(
            LoanPlan(
                key=key,
                member_key=member.key,
                principal_vnd=principal,
                monthly_rate=rng.choice(rates),
                term_months=term,
                method=rng.choice(regulation.methods),
                disbursed_on=day,
                purpose=rng.choice(LOAN_PURPOSES),
                repaying=repaying,
                repayments=repayments,
                written_off_on=written_off_on,
            )
        )
    return tuple(loans)


_EQUAL_PRINCIPAL = (InterestMethod.FLAT, InterestMethod.DECLINING_EQUAL_PRINCIPAL)


def _principal_owed(loan: LoanPlan, on: date, unit: int) -> int:
    """At least what the loan still owes of its principal on `on` (all of it when
    unsure): flat and declining-principal instalments repay the principal in equal
    parts rounded down to the club's unit, the last taking the rest; annuity and
    interest-only loans count as owed in full until their last instalment."""
    paid = sum(1 for r in loan.repayments if r.paid_on <= on)
    if paid >= loan.term_months:
        return 0
    if loan.method in _EQUAL_PRINCIPAL:
        part = loan.principal_vnd // loan.term_months // unit * unit
        return loan.principal_vnd - paid * part
    return loan.principal_vnd


def _fees_and_expenses(
    rng: Random,
    sketch: ClubSketch,
    members: Sequence[MemberPlan],
    regulation: RegulationPlan,
    funds: dict[FundKind, FundPlan],
    contributions: Sequence[ContributionPlan],
    request: WorldRequest,
) -> tuple[tuple[FeePlan, ...], tuple[ExpensePlan, ...]]:
    activity = funds.get(FundKind.ACTIVITY)
    if activity is None:
        return (), ()
    last = _last_day(sketch, request.until)
    first = max(activity.opened_on, request.detail_start)
    if first > last:
        return (), ()
    fee = rng.choice(
        [
            f
            for f in (2000, 3000, 4000, 5000)
            if regulation.fee_min_vnd <= f <= regulation.fee_max_vnd
        ]
    )
    months = list(_months(first, last))
    # Small scale: the last month's fees only. They are the largest volume of
    # all (one a member a month) and no check reads them, only the fee income.
    fee_months = months if request.scale is Scale.NATIONAL else months[-1:]
    fees: list[FeePlan] = []
    for first_of_month in fee_months:
        lo, hi = max(first_of_month, activity.opened_on), min(month_end(first_of_month), last)
        for member in members:
            end = member.left_on or sketch.dissolved_on
            start = max(lo, member.joined_on)
            stop = hi if end is None else min(hi, end - timedelta(days=1))
            if start <= stop and rng.random() < 0.85:
                fees.append(
                    FeePlan(
                        member.key, f"{first_of_month:%Y-%m}", fee, _day_between(rng, start, stop)
                    )
                )
    # Spend only what came in: cash gifts and fees by the day, less what was spent
    # (interest, which also comes in, is left out: a cautious reading).
    inflows = sorted(
        [
            (c.received_on, c.amount_vnd)
            for c in contributions
            if c.fund is FundKind.ACTIVITY and not c.in_kind
        ]
        + [(f.paid_on, f.amount_vnd) for f in fees]
    )
    expenses: list[ExpensePlan] = []
    spent = 0
    for first_of_month in months:
        if rng.random() >= 0.5:
            continue
        lo, hi = max(first_of_month, activity.opened_on), min(month_end(first_of_month), last)
        day = _day_between(rng, lo, hi)
        amount = rng.randint(4, 30) * 50_000
        if amount > sum(a for on, a in inflows if on <= day) - spent:
            continue
        spent += amount
        area = rng.choices(_AREAS, weights=_AREA_WEIGHTS)[0]
        expenses.append(
            ExpensePlan(
                f"{sketch.key}-E{len(expenses) + 1:03d}", amount, EXPENSE_PURPOSES[area], area, day
            )
        )
    return tuple(fees), tuple(expenses)


# --- health -------------------------------------------------------------------------

STATIONS = ("Trạm y tế xã", "Trạm y tế phường", "Trung tâm y tế", "Đoàn khám lưu động")
CARE_NOTES = (
    "Bà bị đau khớp gối, cần đưa đi khám.",
    "Ông ăn uống kém, cần theo dõi thêm.",
    "Đã nhắc uống thuốc huyết áp đúng giờ.",
    "Nhà dột, báo chi hội hỗ trợ sửa.",
)
_CARD_GROUPS = ("HT", "HN", "GD", "CB", "BT", "DT")


def _slots(first: date, last: date) -> Iterator[tuple[date, date]]:
    """Six-month spans back from `last` to `first` (the last two are the last 12 months)."""
    end = last
    while end >= first:
        start = max(first, add_months(end, -6) + timedelta(days=1))
        yield start, end
        end = start - timedelta(days=1)


def _check_values(rng: Random) -> tuple[tuple[str, int | str], ...]:
    systolic = rng.randint(100, 175)
    return (
        ("systolic_mmhg", systolic),
        ("diastolic_mmhg", min(systolic - 20, rng.randint(60, 100))),
        ("pulse_bpm", rng.randint(58, 96)),
        ("weight_kg", f"{rng.randint(380, 750) / 10:.1f}"),
        ("height_cm", f"{rng.randint(1420, 1720) / 10:.1f}"),
        ("glucose_mmol_l", f"{rng.randint(40, 95) / 10:.1f}"),
    )


def _health(
    rng: Random, sketch: ClubSketch, members: Sequence[MemberPlan], request: WorldRequest
) -> tuple[
    tuple[ConsentPlan, ...],
    tuple[CheckPlan, ...],
    tuple[SessionPlan, ...],
    tuple[VisitPlan, ...],
    tuple[InsurancePlan, ...],
]:
    last = _last_day(sketch, request.until)
    first = max(request.detail_start, sketch.founded_on)
    if not sketch.health or first > last:
        return (), (), (), (), ()
    dissolved_on = sketch.dissolved_on

    def member_until(member: MemberPlan) -> date:
        end = member.left_on or dissolved_on
        return last if end is None else min(last, end - timedelta(days=1))

    # Consent on joining, for most; only those whose membership reaches the window.
    consenting = [m for m in members if member_until(m) >= first and rng.random() < 0.94]
    consents = tuple(ConsentPlan(m.key, m.joined_on) for m in consenting)
    volunteers = [m for m in members if m.is_volunteer]

    def volunteer_on(day: date, besides: str | None = None) -> MemberPlan | None:
        present = [v for v in volunteers if v.member_on(day, dissolved_on) and v.key != besides]
        return rng.choice(present) if present else None

    checks: list[CheckPlan] = []
    for member in consenting:
        for lo, hi in _slots(max(first, member.joined_on), member_until(member)):
            if rng.random() >= 0.92:
                continue
            day = _day_between(rng, lo, hi)
            helper = volunteer_on(day, besides=member.key) if rng.random() < 0.25 else None
            checks.append(
                CheckPlan(
                    key=f"{member.key}-K{day:%Y%m%d}",
                    member_key=member.key,
                    checked_on=day,
                    checker=Checker.VOLUNTEER if helper else Checker.STATION,
                    checker_member_key=helper.key if helper else None,
                    values=_check_values(rng),
                )
            )
    checks.sort(key=lambda c: (c.checked_on, c.key))

    sessions: list[SessionPlan] = []
    weights = (0, 0, 10, 50, 40) if sketch.exercise is Exercise.REGULAR else (0, 50, 50)
    week = first
    while week <= last:
        days = [week + timedelta(days=d) for d in range(7) if week + timedelta(days=d) <= last]
        count = rng.choices(range(len(weights)), weights=weights)[0]
        for day in sorted(rng.sample(days, k=min(count, len(days)))):
            present = _active_count(members, day, dissolved_on)
            if present:
                low = max(1, present * 35 // 100)
                sessions.append(
                    SessionPlan(
                        f"{sketch.key}-S{day:%Y%m%d}",
                        day,
                        min(500, rng.randint(low, max(low, present * 80 // 100))),
                    )
                )
        week += timedelta(days=7)

    visits: list[VisitPlan] = []
    people = [
        CommunityPerson(f"{sketch.key}-P{n}", person_name(rng, rng.choice(list(Sex))))
        for n in range(1, rng.randint(2, 6) + 1)
    ]
    cared_members = [m for m in consenting if not m.is_volunteer]
    for first_of_month in _months(first, last):
        lo, hi = max(first_of_month, first), min(month_end(first_of_month), last)
        for _ in range(rng.randint(2, 5)):
            day = _day_between(rng, lo, hi)
            volunteer = volunteer_on(day)
            if volunteer is None:
                continue
            at_home = [m for m in cared_members if m.member_on(day, dissolved_on)]
            tasks = tuple(sorted(rng.sample(list(CareTask), k=rng.randint(1, 3))))
            note = rng.choice(CARE_NOTES) if rng.random() < 0.2 else None
            key = f"{sketch.key}-V{len(visits) + 1:04d}"
            if at_home and rng.random() < 0.4:
                visits.append(
                    VisitPlan(
                        key,
                        volunteer.key,
                        Beneficiary.MEMBER,
                        rng.choice(at_home).key,
                        None,
                        day,
                        tasks,
                        note,
                    )
                )
            else:
                visits.append(
                    VisitPlan(
                        key,
                        volunteer.key,
                        Beneficiary.COMMUNITY,
                        None,
                        rng.choice(people),
                        day,
                        tasks,
                        note,
                    )
                )
    visits.sort(key=lambda v: (v.visited_on, v.key))

    # BHYT cards for most members: a card a calendar year (small scale: the end
    # date's year). Health records cards for current members only.
    insurance: list[InsurancePlan] = []
    for member in members:
        if rng.random() >= 0.85 or member.left_on is not None or dissolved_on is not None:
            continue
        card = f"{rng.choice(_CARD_GROUPS)}{rng.randint(1, 5)}{rng.randint(0, 10**12 - 1):012d}"
        years = range(max(first.year, member.joined_on.year), last.year + 1)
        if request.scale is Scale.SMALL:
            years = range(last.year, last.year + 1)
        for year in years:
            valid_from = max(date(year, 1, 1), member.joined_on)
            if valid_from <= member_until(member):
                insurance.append(InsurancePlan(member.key, valid_from, date(year, 12, 31), card))
    return consents, tuple(checks), tuple(sessions), tuple(visits), tuple(insurance)


def club_members(world: WorldPlan, sketch: ClubSketch) -> tuple[MemberPlan, ...]:
    """The club's members alone: the first draw of its plan, so the same as `club_plan`'s."""
    return _members(Random(sketch.seed), sketch, world.request.until)


def club_plan(world: WorldPlan, sketch: ClubSketch) -> ClubPlan:
    """Everything one club did, drawn from its own seed (the same every time)."""
    rng = Random(sketch.seed)
    request = world.request
    members = _members(rng, sketch, request.until)
    board = _board(rng, sketch, members)
    meetings, activities = _meetings_and_activities(rng, sketch, members, request.until)
    regulation = _regulation(rng, sketch) if sketch.funds else None
    last = _last_day(sketch, request.until)
    funds = tuple(
        FundPlan(
            f"{sketch.key}-F{kind.value[0].upper()}",
            kind,
            min(last, sketch.founded_on + timedelta(days=rng.randint(0, 45))),
        )
        for kind in sketch.funds
    )
    by_kind = {f.kind: f for f in funds}
    contributions = _contributions(rng, sketch, funds, request.until)
    loans: tuple[LoanPlan, ...] = ()
    fees: tuple[FeePlan, ...] = ()
    expenses: tuple[ExpensePlan, ...] = ()
    if regulation is not None:
        loans = _loans(rng, sketch, members, regulation, by_kind, contributions, request)
        fees, expenses = _fees_and_expenses(
            rng, sketch, members, regulation, by_kind, contributions, request
        )
    consents, checks, sessions, visits, insurance = _health(rng, sketch, members, request)
    return ClubPlan(
        sketch=sketch,
        members=members,
        board_on=sketch.founded_on,
        board=board,
        meetings=meetings,
        activities=activities,
        regulation=regulation,
        funds=funds,
        contributions=contributions,
        loans=loans,
        fees=fees,
        expenses=expenses,
        consents=consents,
        checks=checks,
        sessions=sessions,
        visits=visits,
        insurance=insurance,
    )


def club_plans(world: WorldPlan, province: str | None = None) -> Iterator[ClubPlan]:
    """Every club's plan in turn (one at a time: a national world is large)."""
    for sketch in world.clubs:
        if province is None or sketch.province == province:
            yield club_plan(world, sketch)


# --- what the plan says the indicators will read ---------------------------------------


@dataclass
class Figures:
    """Counts of a set of clubs as of a date, as reporting defines them
    (docs/indicators.md): the plan's own answer to compare the services' with."""

    clubs: int = 0
    communes_with_club: int = 0
    new_clubs: int = 0
    members: int = 0
    new_members: int = 0
    women: int = 0
    older_members: int = 0
    young: int = 0
    poor: int = 0
    volunteers: int = 0
    ethnic_minority_members: int = 0
    borrowers: int = 0
    meetings: int = 0
    meetings_with_hardship_case: int = 0
    exercise_sessions: int = 0
    home_care_visits: int = 0
    members_checked_twice: int = 0
    members_insured: int = 0
    clubs_meeting: dict[str, int] = field(default_factory=dict)


COMPOSITION = ("size_ok", "women_ok", "older_ok", "young_ok")
CHECKS = (
    "size_ok",
    "women_ok",
    "older_ok",
    "young_ok",
    "board_ok",
    "volunteers_ok",
    "funds_ok",
    "meetings_ok",
    "exercise_ok",
    "well_managed",
)


def _in_band(part: int, whole: int, band: tuple[int, int]) -> bool:
    return whole > 0 and band[0] * whole <= part * 100 <= band[1] * whole


def club_checks(plan: ClubPlan, as_of: date, older_age: int = DEFAULT_OLDER_AGE) -> dict[str, bool]:
    """The quality checks of one active club on `as_of`, by the default plan's bands."""
    sketch = plan.sketch
    members = plan.members_on(as_of)
    n = len(members)
    older = sum(1 for m in members if m.age_on(as_of) >= older_age)
    period_start = default_period_start(as_of)
    required = months_required(sketch.founded_on, sketch.dissolved_on, period_start, as_of)
    met = {(m.held_on.year, m.held_on.month) for m in plan.meetings if m.held_on <= as_of}
    opened = {f.kind for f in plan.funds if f.opened_on <= as_of}
    first_day = max(sketch.founded_on, period_start)
    days_active = (as_of - first_day).days + 1
    sessions = sum(1 for s in plan.sessions if period_start <= s.held_on <= as_of)
    board_ok = plan.board_on <= as_of and len(plan.board) == len(BOARD)
    funds_ok = opened == {FundKind.INCOME, FundKind.ACTIVITY}
    meetings_ok = required <= met
    return {
        "size_ok": SIZE[0] <= n <= SIZE[1],
        "women_ok": _in_band(sum(1 for m in members if m.sex is Sex.FEMALE), n, BAND),
        "older_ok": _in_band(older, n, BAND),
        "young_ok": _in_band(n - older, n, (100 - BAND[1], 100 - BAND[0])),
        "board_ok": board_ok,
        "volunteers_ok": sum(1 for m in members if m.is_volunteer) >= VOLUNTEERS_MIN,
        "funds_ok": funds_ok,
        "meetings_ok": meetings_ok,
        "exercise_ok": days_active > 0 and sessions * 7 >= 3 * days_active,
        "well_managed": board_ok and funds_ok and meetings_ok,
    }


def figures(plans: Iterable[ClubPlan], as_of: date, older_age: int = DEFAULT_OLDER_AGE) -> Figures:
    """What reporting should read on `as_of` for these clubs (default period,
    current map): counts over the clubs active that day."""
    result = Figures(clubs_meeting=dict.fromkeys(CHECKS, 0))
    period_start = default_period_start(as_of)
    window_start = twelve_months_start(as_of)
    communes: set[str] = set()
    for plan in plans:
        sketch = plan.sketch
        if not sketch.active_on(as_of):
            continue
        result.clubs += 1
        communes.add(sketch.commune_on(as_of))
        result.new_clubs += sketch.founded_on >= period_start
        members = plan.members_on(as_of)
        keys = {m.key for m in members}
        result.members += len(members)
        result.new_members += sum(1 for m in members if m.joined_on >= period_start)
        result.women += sum(1 for m in members if m.sex is Sex.FEMALE)
        older = sum(1 for m in members if m.age_on(as_of) >= older_age)
        result.older_members += older
        result.young += len(members) - older
        result.poor += sum(1 for m in members if m.poverty is not PovertyStatus.NONE)
        result.volunteers += sum(1 for m in members if m.is_volunteer)
        result.ethnic_minority_members += sum(1 for m in members if m.ethnic_minority)
        result.borrowers += len(
            {
                loan.member_key
                for loan in plan.loans
                if loan.member_key in keys
                and loan.disbursed_on <= as_of
                and (loan.disbursed_on >= window_start or loan.outstanding_on(as_of))
            }
        )
        in_period = [m for m in plan.meetings if period_start <= m.held_on <= as_of]
        result.meetings += len(in_period)
        result.meetings_with_hardship_case += sum(
            1 for m in in_period if m.hardship_cases_chosen > 0
        )
        result.exercise_sessions += sum(
            1 for s in plan.sessions if period_start <= s.held_on <= as_of
        )
        result.home_care_visits += sum(
            1 for v in plan.visits if period_start <= v.visited_on <= as_of
        )
        checked = Counter(
            c.member_key for c in plan.checks if window_start <= c.checked_on <= as_of
        )
        result.members_checked_twice += sum(1 for k in keys if checked[k] >= 2)
        result.members_insured += len(
            {i.member_key for i in plan.insurance if i.valid_from <= as_of <= i.valid_to} & keys
        )
        for check, passed in club_checks(plan, as_of, older_age).items():
            result.clubs_meeting[check] += passed
    result.communes_with_club = len(communes)
    return result


# --- the plan in numbers --------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def summarize(world: WorldPlan) -> dict[str, Any]:
    """The plan's counts and shares (JSON-ready), drawn club by club."""
    request = world.request
    until = request.until
    by_year: Counter[int] = Counter()
    methods: Counter[str] = Counter()
    repaying: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    sizes: list[int] = []
    totals: Counter[str] = Counter()
    at_end = Figures(clubs_meeting=dict.fromkeys(CHECKS, 0))
    outside = 0
    for plan in club_plans(world):
        sketch = plan.sketch
        by_year[sketch.founded_on.year] += 1
        totals["dissolved"] += sketch.dissolved_on is not None
        totals["relocated"] += sketch.relocated_on is not None
        totals["legacy_commune"] += sketch.legacy_commune_code is not None
        totals["members"] += len(plan.members)
        totals["left"] += sum(1 for m in plan.members if m.left_on is not None)
        totals["birth_year_only"] += sum(1 for m in plan.members if m.birth_date is None)
        totals["meetings"] += len(plan.meetings)
        totals["meetings_with_hardship_case"] += sum(
            1 for m in plan.meetings if m.hardship_cases_chosen > 0
        )
        totals["activities"] += len(plan.activities)
        areas.update(a.area.value for a in plan.activities)
        totals["regulations"] += plan.regulation is not None
        totals["funds"] += len(plan.funds)
        totals["contributions"] += len(plan.contributions)
        totals["contributed_vnd"] += sum(c.amount_vnd for c in plan.contributions)
        totals["loans"] += len(plan.loans)
        totals["lent_vnd"] += sum(loan.principal_vnd for loan in plan.loans)
        methods.update(loan.method.value for loan in plan.loans)
        repaying.update(loan.repaying.value for loan in plan.loans)
        totals["repayments"] += sum(len(loan.repayments) for loan in plan.loans)
        totals["late_repayments"] += sum(
            1 for loan in plan.loans for r in loan.repayments if r.days_late > 0
        )
        totals["written_off"] += sum(1 for loan in plan.loans if loan.written_off_on)
        totals["fees"] += len(plan.fees)
        totals["expenses"] += len(plan.expenses)
        totals["consents"] += len(plan.consents)
        totals["health_checks"] += len(plan.checks)
        totals["exercise_sessions"] += len(plan.sessions)
        totals["home_care_visits"] += len(plan.visits)
        totals["insurance_cards"] += len(plan.insurance)
        totals["leaves"] += sum(1 for m in plan.members if m.left_on is not None)
        if sketch.active_on(until):
            sizes.append(len(plan.members_on(until)))
            checks = club_checks(plan, until)
            present = plan.members_on(until)
            poor = sum(1 for m in present if m.poverty is not PovertyStatus.NONE)
            poor_ok = _in_band(poor, len(present), BAND)
            totals["clubs_poor_in_band"] += poor_ok
            outside += not (poor_ok and all(checks[c] for c in COMPOSITION))
        one = figures([plan], until)
        for name in (
            "clubs",
            "members",
            "women",
            "older_members",
            "young",
            "poor",
            "volunteers",
            "ethnic_minority_members",
            "borrowers",
            "members_checked_twice",
            "members_insured",
            "exercise_sessions",
            "meetings",
        ):
            setattr(at_end, name, getattr(at_end, name) + getattr(one, name))
        for check, passed in one.clubs_meeting.items():
            at_end.clubs_meeting[check] += passed
    communes = sum(world.communes.values())
    active_communes = len({c.commune_on(until) for c in world.clubs if c.active_on(until)})
    clubs = at_end.clubs
    members = at_end.members
    requests = {
        "registry": len(request.provinces) * 2
        + totals["leaves"]
        + len(world.clubs)  # boards
        + totals["meetings"]
        + totals["activities"]
        + totals["relocated"]
        + totals["dissolved"],
        "finance": totals["regulations"]
        + totals["funds"]
        + totals["contributions"]
        + totals["loans"]
        + totals["repayments"]
        + totals["written_off"]
        + totals["fees"]
        + totals["expenses"],
        "health": totals["consents"]
        + totals["health_checks"]
        + totals["exercise_sessions"]
        + totals["home_care_visits"]
        + totals["insurance_cards"],
    }
    return {
        "seed": world.seed,
        "request": {
            "provinces": list(request.provinces),
            "commune_share": request.commune_share,
            "since": request.since,
            "until": until.isoformat(),
            "scale": request.scale.value,
            "detail_from": request.detail_start.isoformat(),
        },
        "communes": communes,
        "communes_with_club": active_communes,
        "coverage": _share(active_communes, communes),
        "clubs": {
            "drawn": len(world.clubs),
            "active_at_end": clubs,
            "dissolved": totals["dissolved"],
            "relocated": totals["relocated"],
            "with_legacy_commune": totals["legacy_commune"],
            "founded_by_year": {str(y): n for y, n in sorted(by_year.items())},
            "outside_bands_share": _share(outside, clubs),
            "size_50_70_share": _share(at_end.clubs_meeting["size_ok"], clubs),
            "poor_in_band_share": _share(totals["clubs_poor_in_band"], clubs),
            "board_complete_share": _share(at_end.clubs_meeting["board_ok"], clubs),
            "volunteers_ok_share": _share(at_end.clubs_meeting["volunteers_ok"], clubs),
            "both_funds_share": _share(at_end.clubs_meeting["funds_ok"], clubs),
            "met_every_month_share": _share(at_end.clubs_meeting["meetings_ok"], clubs),
            "exercise_ok_share": _share(at_end.clubs_meeting["exercise_ok"], clubs),
            "members_min": min(sizes, default=0),
            "members_max": max(sizes, default=0),
        },
        "members": {
            "drawn": totals["members"],
            "at_end": members,
            "left": totals["left"],
            "women_share": _share(at_end.women, members),
            "older_share": _share(at_end.older_members, members),
            "young_share": _share(at_end.young, members),
            "poor_share": _share(at_end.poor, members),
            "ethnic_minority_share": _share(at_end.ethnic_minority_members, members),
            "birth_year_only_share": _share(totals["birth_year_only"], totals["members"]),
            "volunteers": at_end.volunteers,
            "borrowers_share": _share(at_end.borrowers, members),
            "checked_twice_share": _share(at_end.members_checked_twice, members),
            "insured_share": _share(at_end.members_insured, members),
        },
        "registry": {
            "meetings": totals["meetings"],
            "meetings_with_hardship_case_share": _share(
                totals["meetings_with_hardship_case"], totals["meetings"]
            ),
            "activities": totals["activities"],
            "activities_by_area": dict(sorted(areas.items())),
        },
        "finance": {
            "regulations": totals["regulations"],
            "funds": totals["funds"],
            "contributions": totals["contributions"],
            "contributed_vnd": totals["contributed_vnd"],
            "loans": totals["loans"],
            "lent_vnd": totals["lent_vnd"],
            "loans_by_method": dict(sorted(methods.items())),
            "loans_by_repaying": dict(sorted(repaying.items())),
            "repayments": totals["repayments"],
            "late_repayments": totals["late_repayments"],
            "written_off": totals["written_off"],
            "fees": totals["fees"],
            "expenses": totals["expenses"],
        },
        "health": {
            "consents": totals["consents"],
            "health_checks": totals["health_checks"],
            "exercise_sessions": totals["exercise_sessions"],
            "home_care_visits": totals["home_care_visits"],
            "insurance_cards": totals["insurance_cards"],
        },
        "requests": {**requests, "total": sum(requests.values())},
    }
