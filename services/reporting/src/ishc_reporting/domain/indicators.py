"""The indicator formulas of DOMAIN.md, as plain functions over plain data.

A club's facts as of a date come in (`ClubFacts`); each club is judged against
its plan's bands (`judge`), and judged clubs roll up per commune, province and
nation (`roll_up`). Conventions (DOMAIN.md): a club counts from its founding to
its dissolution; shares of clubs are over clubs active at the as-of date;
"met every month" asks for a meeting in each complete calendar month of the
period in which the club was active. The finance facts and their formulas
(cash, borrowers, PAR30's roll-up) are in `domain/finance.py`, the health ones
(checks, exercise, home care, insurance) in `domain/health.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from ishc_contracts.loans import PortfolioAtRisk
from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_reporting.domain.finance import NO_FINANCE, NO_PORTFOLIO, ClubFinance, combined
from ishc_reporting.domain.health import NO_HEALTH, ClubHealth, exercise_ok

ACTIVITY_AREAS = 8


Band = tuple[Decimal, Decimal] | None  # None: the plan sets no such band


@dataclass(frozen=True)
class Bands:
    """A club's composition targets (inclusive), as a plan sets them.

    Defaults are DOMAIN.md's national ones, used where no plan is in force: 50–70
    members; women, older and poor-or-disadvantaged people 60–70% each; younger
    people 30–40%. A plan's bands replace them, and a band the plan does not
    state is not assessed under it (Vĩnh Long asks for 70%+ older members and
    says nothing of younger ones, so holding it to 30–40% younger would be wrong).
    """

    size: tuple[int, int] | None = (50, 70)
    women_percent: Band = (Decimal(60), Decimal(70))
    older_percent: Band = (Decimal(60), Decimal(70))
    young_percent: Band = (Decimal(30), Decimal(40))
    poor_percent: Band = (Decimal(60), Decimal(70))
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
    new_members: int = 0  # joined in the period and still members at the date
    new_older_members: int = 0
    founded_in_period: bool = False
    board_complete: bool = False
    months_required: frozenset[tuple[int, int]] = frozenset()
    months_met: frozenset[tuple[int, int]] = frozenset()
    activity_areas: frozenset[str] = frozenset()
    hardship_cases_supported: int = 0
    finance: ClubFinance = NO_FINANCE
    health: ClubHealth = NO_HEALTH
    days_active: int = 0  # days of the period the club was active, up to the date

    @property
    def young(self) -> int:
        return self.members - self.older


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
    return ClubQuality(
        size_ok=None if bands.size is None else bands.size[0] <= n <= bands.size[1],
        women_ok=_in_band(club.women, n, bands.women_percent),
        older_ok=_in_band(club.older, n, bands.older_percent),
        young_ok=_in_band(club.young, n, bands.young_percent),
        poor_ok=_in_band(club.poor, n, bands.poor_percent),
        board_ok=club.board_complete,
        volunteers_ok=club.volunteers >= bands.volunteers_min,
        funds_ok=club.finance.funds_ok,
        meetings_ok=club.months_required <= club.months_met,
        exercise_ok=exercise_ok(club.health.exercise_sessions, club.days_active),
    )


@lru_cache(maxsize=4096)
def months_required(
    founded_on: date, dissolved_on: date | None, period_start: date, as_of: date
) -> frozenset[tuple[int, int]]:
    """The calendar months a club had to meet in: complete by `as_of`, inside
    the period, and in which the club was active (a club dissolved on a day is
    no longer active that day)."""
    start = max(founded_on, period_start)
    end = as_of if dissolved_on is None else min(as_of, dissolved_on - timedelta(days=1))
    # The last complete month: as_of's own if as_of is its last day, else the one before.
    if (as_of + timedelta(days=1)).month != as_of.month:
        last = as_of.year * 12 + as_of.month - 1
    else:
        last = as_of.year * 12 + as_of.month - 2
    first = start.year * 12 + start.month - 1
    last = min(last, end.year * 12 + end.month - 1)
    return frozenset((m // 12, m % 12 + 1) for m in range(first, last + 1))


def default_period_start(as_of: date) -> date:
    """The twelve months up to `as_of`: the first day of the month eleven months before."""
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
    hardship_cases_supported: int = 0
    activity_areas: set[str] = field(default_factory=set)
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
        self.hardship_cases_supported += club.hardship_cases_supported
        self.activity_areas |= club.activity_areas
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
            "older_members": self.older_members,
            "women": self.women,
            "young": self.young,
            "poor": self.poor,
            "volunteers": self.volunteers,
            "hardship_cases_supported": self.hardship_cases_supported,
            "activity_areas_covered": len(self.activity_areas),
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
