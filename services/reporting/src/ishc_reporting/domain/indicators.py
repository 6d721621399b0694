"""The indicator formulas of DOMAIN.md, as plain functions over plain data.

A club's facts as of a date come in (`ClubFacts`); each club is judged against
its plan's bands (`judge`), and judged clubs roll up per commune, province and
nation (`roll_up`). Conventions (DOMAIN.md): a club counts from its founding to
its dissolution (`dissolved_on` is its first day no longer active); shares of
clubs are over clubs active at the as-of date, each club judged on its own.

- **The last 12 months** (`twelve_months_start`): from the day after the same
  date a year before up to the date, both included (02/12/2025–01/12/2026;
  01/03/2027–29/02/2028). One rule for members checked twice, borrowers and
  activity areas; the query period (`default_period_start`) is another thing.
- **Met every month** (`months_required`): a meeting in each calendar month the
  club had to meet in, that is a month (1) on every day of which the club was
  active, (2) lying wholly inside the period and (3) over by the as-of date.
  So the founding month counts only for a club founded on its 1st, the month
  of dissolution only when `dissolved_on` is the 1st of the next month, and
  the current month only when the as-of date is its last day. A meeting in a
  month not required still counts among the months met.
- **Activity areas** (`twelve_month_areas`): over the last 12 months up to the
  as-of date, not the period. A recorded activity counts for its own area;
  besides it (`Proxy`), a loan disbursed or a repayment received stands for
  income generation, a health check or an exercise session for health care, a
  home-care visit for home care, a meeting that chose at least one hardship
  case for self-help, a contribution (cash or in kind) for resource mobilisation.
- **Well managed**: board complete, both funds open, met every month.
  **Full activity**: active in all eight areas in the last 12 months and well
  managed. Both are checks of each club, rolled up as the share of active
  clubs passing them: areas are never pooled across clubs.
- **Hardship cases at meetings** (Vĩnh Long P2 II.4: each regular meeting
  chooses at least one hardship case to help): meetings of the period, and of
  them those that chose at least one.

The finance facts and their formulas (cash, borrowers, PAR30's roll-up) are in
`domain/finance.py`, the health ones (checks, exercise, home care, insurance)
in `domain/health.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from ishc_contracts.loans import PortfolioAtRisk
from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_contracts.periods import twelve_months_start
from ishc_contracts.registry_events import ActivityArea
from ishc_reporting.domain.finance import NO_FINANCE, NO_PORTFOLIO, ClubFinance, combined
from ishc_reporting.domain.health import NO_HEALTH, ClubHealth, exercise_ok

ALL_AREAS: frozenset[str] = frozenset(area.value for area in ActivityArea)
ACTIVITY_AREAS = len(ALL_AREAS)  # eight
HARDSHIP_CASES_A_MEETING = 1  # Vĩnh Long P2 II.4: at least one case chosen at each meeting


class Proxy(StrEnum):
    """An event that stands for an activity of an area (DOMAIN.md, "Active in all
    eight areas"), where no activity was recorded with its area."""

    LOAN_DISBURSED = "loan_disbursed"
    REPAYMENT_RECEIVED = "repayment_received"
    HEALTH_CHECK = "health_check"
    EXERCISE_SESSION = "exercise_session"
    HOME_CARE_VISIT = "home_care_visit"
    HARDSHIP_CASE_CHOSEN = "hardship_case_chosen"  # a meeting that chose at least one
    CONTRIBUTION = "contribution"  # in cash or in kind


PROXY_AREAS: Mapping[Proxy, ActivityArea] = MappingProxyType(
    {
        Proxy.LOAN_DISBURSED: ActivityArea.INCOME_GENERATION,
        Proxy.REPAYMENT_RECEIVED: ActivityArea.INCOME_GENERATION,
        Proxy.HEALTH_CHECK: ActivityArea.HEALTH_CARE,
        Proxy.EXERCISE_SESSION: ActivityArea.HEALTH_CARE,
        Proxy.HOME_CARE_VISIT: ActivityArea.HOME_CARE,
        Proxy.HARDSHIP_CASE_CHOSEN: ActivityArea.SELF_HELP,
        Proxy.CONTRIBUTION: ActivityArea.RESOURCE_MOBILISATION,
    }
)

# What shows a club active in an area: an activity recorded with it, or a proxy.
type Evidence = ActivityArea | Proxy


def area_of(evidence: Evidence) -> ActivityArea:
    """The area a recorded activity or a proxy counts for."""
    return evidence if isinstance(evidence, ActivityArea) else PROXY_AREAS[evidence]


def in_twelve_months(day: date, on: date) -> bool:
    """Whether `day` lies in the last 12 months up to `on`, both ends included."""
    return twelve_months_start(on) <= day <= on


def twelve_month_areas(evidence: Iterable[tuple[Evidence, date]], on: date) -> frozenset[str]:
    """The areas a club was active in over the last 12 months up to `on`, from
    its recorded activities and proxies, each with its date."""
    return frozenset(area_of(kind).value for kind, day in evidence if in_twelve_months(day, on))


def chose_hardship_case(hardship_cases_chosen: int) -> bool:
    """Whether a meeting did what Vĩnh Long P2 II.4 asks: chose at least one case."""
    return hardship_cases_chosen >= HARDSHIP_CASES_A_MEETING


Band = tuple[Decimal, Decimal] | None  # None: the plan sets no such band


@dataclass(frozen=True)
class Bands:
    """A club's composition targets (inclusive), as a plan sets them.

    The defaults are the stated default plan's (`plans.DEFAULT_PLAN_TITLE`), used
    where no plan is in force: the national scheme's composition (1336/QĐ-TTg,
    "as in the Đồng Nai plan"): 50–70 members; women and older people (from 60)
    60–70% each; younger people 30–40%; no share of poor members (the scheme
    states none, and borrowing Vĩnh Long's would blend two plans). A plan's bands
    replace them, and a band the plan does not state is not assessed under it
    (Vĩnh Long asks for 70%+ older members and says nothing of younger ones, so
    holding it to 30–40% younger would be wrong).
    """

    size: tuple[int, int] | None = (50, 70)
    women_percent: Band = (Decimal(60), Decimal(70))
    older_percent: Band = (Decimal(60), Decimal(70))
    young_percent: Band = (Decimal(30), Decimal(40))
    poor_percent: Band = None
    volunteers_min: int = 5
    board_size: int = 5
    older_age: int = DEFAULT_OLDER_AGE


DEFAULT_BANDS = Bands()


@dataclass(frozen=True)
class ClubFacts:
    """What the projection knows of one active club as of a date."""

    club_id: str
    members: int = 0
    women: int = 0
    older: int = 0
    poor: int = 0  # poor, near-poor or otherwise disadvantaged
    volunteers: int = 0
    poor_older_women: int = 0  # women, older and poor or disadvantaged: both plans' priority
    ethnic_minority_members: int = 0
    new_members: int = 0  # joined in the period and still members at the date
    new_older_members: int = 0
    new_older_women: int = 0  # of them, older women
    founded_in_period: bool = False
    board_complete: bool = False
    months_required: frozenset[tuple[int, int]] = frozenset()
    months_met: frozenset[tuple[int, int]] = frozenset()  # any month with a meeting
    meetings: int = 0  # in the period
    meetings_with_hardship_case: int = 0  # of them, those that chose at least one case
    activity_areas: frozenset[str] = frozenset()  # over the last 12 months, not the period
    hardship_cases_supported: int = 0
    finance: ClubFinance = NO_FINANCE
    health: ClubHealth = NO_HEALTH
    days_active: int = 0  # days of the period the club was active, up to the date

    @property
    def young(self) -> int:
        return self.members - self.older

    @property
    def in_all_areas(self) -> bool:
        """Active in all eight areas in the last 12 months."""
        return self.activity_areas >= ALL_AREAS


@dataclass(frozen=True)
class ClubQuality:
    """Each check passed or failed; None when the plan sets no such band."""

    size_ok: bool | None
    women_ok: bool | None
    older_ok: bool | None
    young_ok: bool | None
    poor_ok: bool | None
    board_ok: bool
    volunteers_ok: bool
    funds_ok: bool  # an income fund and an activity fund, both open
    meetings_ok: bool
    exercise_ok: bool | None  # 3+ sessions a week; None: active no day of the period
    well_managed: bool  # board complete, both funds open, met every month
    full_activity: bool  # all eight areas in the last 12 months, and well managed


QUALITY_FLAGS = tuple(ClubQuality.__dataclass_fields__)


def percent(part: int, whole: int) -> Decimal | None:
    """part ÷ whole in percent, truncated to two decimals as the provinces
    print it (21 of 109 communes reads 19.26); None when whole is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _in_band(part: int, whole: int, band: Band) -> bool | None:
    # Compared exactly (part * 100 against bounds * whole), never on a rounded share.
    if band is None:
        return None
    return whole > 0 and band[0] * whole <= part * 100 <= band[1] * whole


def judge(club: ClubFacts, bands: Bands = DEFAULT_BANDS) -> ClubQuality:
    n = club.members
    meetings_ok = club.months_required <= club.months_met
    well_managed = club.board_complete and club.finance.funds_ok and meetings_ok
    return ClubQuality(
        size_ok=None if bands.size is None else bands.size[0] <= n <= bands.size[1],
        women_ok=_in_band(club.women, n, bands.women_percent),
        older_ok=_in_band(club.older, n, bands.older_percent),
        young_ok=_in_band(club.young, n, bands.young_percent),
        poor_ok=_in_band(club.poor, n, bands.poor_percent),
        board_ok=club.board_complete,
        volunteers_ok=club.volunteers >= bands.volunteers_min,
        funds_ok=club.finance.funds_ok,
        meetings_ok=meetings_ok,
        exercise_ok=exercise_ok(club.health.exercise_sessions, club.days_active),
        well_managed=well_managed,
        full_activity=club.in_all_areas and well_managed,
    )


@lru_cache(maxsize=4096)
def months_required(
    founded_on: date, dissolved_on: date | None, period_start: date, as_of: date
) -> frozenset[tuple[int, int]]:
    """The calendar months a club had to meet in ("met every month"): each month
    every day of which lies in `period_start`..`as_of` and in the club's active
    days, `founded_on` to the day before `dissolved_on` (its first day no longer
    active). So a month is required only whole:

    - the founding month only when the club was founded on its 1st (founded on
      31/01 or 29/02/2028, its first month is March or the next);
    - the month of dissolution only when `dissolved_on` is the 1st of the next
      month (dissolved on 31/12: active until the 30th, December not required);
    - the period's first month only when the period starts on its 1st;
    - `as_of`'s own month only when `as_of` is its last day (30/11 completes
      November; 29/11 does not).

    A meeting in a month that is not required still counts among the months met."""
    first_day = max(founded_on, period_start)
    last_day = as_of if dissolved_on is None else min(as_of, dissolved_on - timedelta(days=1))
    # Months as indexes (year * 12 + month - 1); a month begun late or left early is skipped.
    first = first_day.year * 12 + first_day.month - 1 + (first_day.day != 1)
    month_ends = (last_day + timedelta(days=1)).day == 1
    last = last_day.year * 12 + last_day.month - 1 - (not month_ends)
    return frozenset((m // 12, m % 12 + 1) for m in range(first, last + 1))


def default_period_start(as_of: date) -> date:
    """The default query period's start: the first day of the month eleven months
    before `as_of`, so the period is whole calendar months (new members, meetings,
    incomes). Not the last 12 months of `twelve_months_start`, which the
    borrowers, the checks and the activity areas count over."""
    months = as_of.year * 12 + as_of.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


@dataclass
class Rollup:
    """Indicators of a set of clubs (a commune, a province, the nation)."""

    communes: int | None = None  # denominator of coverage, on the stated boundary
    communes_with_club: int = 0
    clubs: int = 0
    new_clubs: int = 0
    members: int = 0
    new_members: int = 0
    new_older_members: int = 0
    older_members: int = 0
    women: int = 0
    young: int = 0
    poor: int = 0
    volunteers: int = 0
    poor_older_women: int = 0
    ethnic_minority_members: int = 0
    new_older_women: int = 0
    meetings: int = 0
    meetings_with_hardship_case: int = 0
    hardship_cases_supported: int = 0
    # A count of clubs, never a union of areas: areas pooled across clubs make no club active.
    clubs_in_all_areas: int = 0
    borrowers: int = 0
    fund_balance_vnd: int = 0
    in_kind_vnd: int = 0
    portfolio: PortfolioAtRisk = NO_PORTFOLIO
    loans_outstanding: int = 0
    interest_income_vnd: int = 0
    fee_income_vnd: int = 0
    members_checked_twice: int = 0
    exercise_sessions: int = 0
    home_care_visits: int = 0
    people_cared_for: int = 0
    members_insured: int = 0
    quality: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUALITY_FLAGS, 0))
    assessed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUALITY_FLAGS, 0))
    unplaced: int = 0

    def add(self, club: ClubFacts, quality: ClubQuality) -> None:
        self.clubs += 1
        self.new_clubs += club.founded_in_period
        self.members += club.members
        self.new_members += club.new_members
        self.new_older_members += club.new_older_members
        self.older_members += club.older
        self.women += club.women
        self.young += club.young
        self.poor += club.poor
        self.volunteers += club.volunteers
        self.poor_older_women += club.poor_older_women
        self.ethnic_minority_members += club.ethnic_minority_members
        self.new_older_women += club.new_older_women
        self.meetings += club.meetings
        self.meetings_with_hardship_case += club.meetings_with_hardship_case
        self.hardship_cases_supported += club.hardship_cases_supported
        self.clubs_in_all_areas += club.in_all_areas
        money = club.finance
        self.borrowers += money.borrowers
        self.fund_balance_vnd += money.balance_vnd
        self.in_kind_vnd += money.in_kind_vnd
        self.portfolio = combined(self.portfolio, money.portfolio)
        self.loans_outstanding += money.loans_outstanding
        self.interest_income_vnd += money.interest_income_vnd
        self.fee_income_vnd += money.fee_income_vnd
        health = club.health
        self.members_checked_twice += health.members_checked_twice
        self.exercise_sessions += health.exercise_sessions
        self.home_care_visits += health.home_care_visits
        self.people_cared_for += health.people_cared_for
        self.members_insured += health.members_insured
        for flag in QUALITY_FLAGS:
            passed = getattr(quality, flag)
            if passed is not None:
                self.assessed[flag] += 1
                self.quality[flag] += passed

    @property
    def coverage(self) -> Decimal | None:
        return None if self.communes is None else percent(self.communes_with_club, self.communes)

    @property
    def hardship_case_meetings_share(self) -> Decimal | None:
        """Meetings of the period that chose at least one hardship case over the
        meetings held, in percent (Vĩnh Long P2 II.4 asks it of every meeting)."""
        return percent(self.meetings_with_hardship_case, self.meetings)

    @property
    def new_older_women_share(self) -> Decimal | None:
        """Older women among the older people who joined in the period, in percent
        (the national scheme: 50–60% of older people joining are women)."""
        return percent(self.new_older_women, self.new_older_members)

    @property
    def new_members_older_share(self) -> Decimal | None:
        """Older people among the members who joined in the period, in percent."""
        return percent(self.new_older_members, self.new_members)

    @property
    def borrowers_share(self) -> Decimal | None:
        """Borrowers over members, in percent: the sum over the sum, not an
        average of clubs' shares."""
        return percent(self.borrowers, self.members)

    @property
    def par30(self) -> Decimal | None:
        """PAR30 in percent (`ishc_contracts.loans.PortfolioAtRisk` summed over
        the clubs), truncated as every share; None without a portfolio."""
        return percent(self.portfolio.at_risk_vnd, self.portfolio.outstanding_vnd)

    @property
    def health_checks_share(self) -> Decimal | None:
        """Members checked at least twice in the twelve months over members, in
        percent (`health_checks_ok`): the sum over the sum."""
        return percent(self.members_checked_twice, self.members)

    @property
    def insurance_coverage(self) -> Decimal | None:
        """Members with a valid health insurance card over members, in percent."""
        return percent(self.members_insured, self.members)

    def shares(self) -> dict[str, Decimal | None]:
        """Each quality flag as a share of the active clubs assessed on it, in
        percent; None where no club was (no clubs, or no such band in the plan)."""
        return {flag: percent(count, self.assessed[flag]) for flag, count in self.quality.items()}

    def meeting(self) -> dict[str, int | None]:
        """How many clubs meet each check; None where none was assessed."""
        return {f: (c if self.assessed[f] else None) for f, c in self.quality.items()}

    def as_dict(self) -> dict[str, object]:
        return {
            "coverage": self.coverage,
            "communes": self.communes,
            "communes_with_club": self.communes_with_club,
            "clubs": self.clubs,
            "new_clubs": self.new_clubs,
            "members": self.members,
            "new_members": self.new_members,
            "new_older_members": self.new_older_members,
            "new_older_women": self.new_older_women,
            "new_members_older_share": self.new_members_older_share,
            "new_older_women_share": self.new_older_women_share,
            "older_members": self.older_members,
            "women": self.women,
            "young": self.young,
            "poor": self.poor,
            "volunteers": self.volunteers,
            "poor_older_women": self.poor_older_women,
            "ethnic_minority_members": self.ethnic_minority_members,
            "meetings": self.meetings,
            "meetings_with_hardship_case": self.meetings_with_hardship_case,
            "meetings_with_hardship_case_share": self.hardship_case_meetings_share,
            "hardship_cases_supported": self.hardship_cases_supported,
            "clubs_in_all_areas": self.clubs_in_all_areas,
            **finance_figures(self),
            **health_figures(self),
            "clubs_meeting": self.meeting(),
            "shares": self.shares(),
            "unplaced": self.unplaced,
        }


def roll_up(
    clubs: Iterable[tuple[ClubFacts, str | None]],
    bands: Bands = DEFAULT_BANDS,
    communes: int | None = None,
) -> Rollup:
    """Clubs with the commune each is placed in (None: counted, but in no commune)."""
    rollup = Rollup(communes=communes)
    with_club: set[str] = set()
    for club, commune in clubs:
        rollup.add(club, judge(club, bands))
        if commune is not None:
            with_club.add(commune)
    rollup.communes_with_club = len(with_club)
    return rollup


def count_up(clubs: Iterable[tuple[ClubFacts, str | None]], communes: int | None = None) -> Rollup:
    """The counts of `roll_up` alone (clubs, communes with a club, members and
    new members), without judging each club: what a plan's coverage and
    membership targets read, at a fraction of the cost at national scale."""
    rollup = Rollup(communes=communes)
    with_club: set[str] = set()
    for club, commune in clubs:
        rollup.clubs += 1
        rollup.new_clubs += club.founded_in_period
        rollup.members += club.members
        rollup.new_members += club.new_members
        rollup.new_older_members += club.new_older_members
        rollup.new_older_women += club.new_older_women
        if commune is not None:
            with_club.add(commune)
    rollup.communes_with_club = len(with_club)
    return rollup


def finance_figures(figures: Rollup) -> dict[str, object]:
    """The finance indicators of a roll-up (per club, the same from its own roll-up)."""
    return {
        "borrowers": figures.borrowers,
        "borrowers_share": figures.borrowers_share,
        "fund_balance_vnd": figures.fund_balance_vnd,
        "in_kind_vnd": figures.in_kind_vnd,
        "outstanding_principal_vnd": figures.portfolio.outstanding_vnd,
        "at_risk_principal_vnd": figures.portfolio.at_risk_vnd,
        "par30": figures.par30,
        "loans_outstanding": figures.loans_outstanding,
        "loans_at_risk": figures.portfolio.loans_at_risk,
        "interest_income_vnd": figures.interest_income_vnd,
        "fee_income_vnd": figures.fee_income_vnd,
    }


def health_figures(figures: Rollup) -> dict[str, object]:
    """The health indicators of a roll-up (per club, the same from its own roll-up);
    `exercise_ok` is a check of clubs, among the shares."""
    return {
        "members_checked_twice": figures.members_checked_twice,
        "health_checks_ok": figures.health_checks_share,
        "exercise_sessions": figures.exercise_sessions,
        "home_care_visits": figures.home_care_visits,
        "people_cared_for": figures.people_cared_for,
        "members_insured": figures.members_insured,
        "insurance_coverage": figures.insurance_coverage,
    }
