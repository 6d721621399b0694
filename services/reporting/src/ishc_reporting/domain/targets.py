"""A plan's targets measured the way the plan wrote them (pure: no I/O).

Each target is measured over the plan's own territory (its old province on the
map before July 2025, with the plan's own commune count as the one denominator
of coverage) and over its own window: "+17 new clubs, 01/2017–12/2018" counts
the clubs founded from 01/01/2017 and reads them on 31/12/2018 once that day
has passed. A target still running is set beside the value expected by now on
a straight path from the plan's baseline, so "on track" is a comparison, not
an opinion.

The query layer measures the territory at the dates `measurement_depths`
asks for (`Measurement`), and `assess_plan` turns them into one
`TargetProgress` per target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import IntEnum, StrEnum

from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.indicators import Rollup, default_period_start, percent
from ishc_reporting.domain.plans import PlanDoc, Target, TargetIndicator

# The 2025 reorganisation (Resolution 202/2025/QH15): from 1 July 2025, 34
# provinces and no districts. A plan that started earlier was written on the old map.
REORGANISED_ON = date(2025, 7, 1)

# Counted from the start of a target's window, not levels read on a day.
WINDOW_COUNTS = frozenset(
    {
        TargetIndicator.NEW_CLUBS,
        TargetIndicator.NEW_MEMBERS,
        TargetIndicator.NEW_OLDER_MEMBERS,
        TargetIndicator.NEW_MEMBERS_OLDER_SHARE,
        TargetIndicator.NEW_OLDER_WOMEN_SHARE,
    }
)
# Window counts that start from nothing: their straight path starts at 0.
_FROM_ZERO = frozenset(
    {TargetIndicator.NEW_CLUBS, TargetIndicator.NEW_MEMBERS, TargetIndicator.NEW_OLDER_MEMBERS}
)
_COUNTS = frozenset(
    {
        TargetIndicator.CLUBS,
        TargetIndicator.COMMUNES_WITH_CLUB,
        TargetIndicator.MEMBERS,
        *_FROM_ZERO,
    }
)
# A target value that names a roll-up figure by another key.
_ROLLUP_KEY = {
    TargetIndicator.BORROWERS: "borrowers_share",  # the target is a share of members
}


class Depth(IntEnum):
    """How much of a club a measurement reads: where it is (coverage, clubs),
    also its members (new members and their shares), or everything."""

    PLACES = 1
    MEMBERSHIP = 2
    ALL = 3


_PLACES_ONLY = frozenset(
    {
        TargetIndicator.COVERAGE,
        TargetIndicator.COMMUNES_WITH_CLUB,
        TargetIndicator.CLUBS,
        TargetIndicator.NEW_CLUBS,
        TargetIndicator.CLUBS_RETAINED,
        TargetIndicator.PROVINCES_WITH_CLUBS,
    }
)
_MEMBERSHIP = frozenset(
    {
        TargetIndicator.MEMBERS,
        TargetIndicator.NEW_MEMBERS,
        TargetIndicator.NEW_OLDER_MEMBERS,
        TargetIndicator.NEW_MEMBERS_OLDER_SHARE,
        TargetIndicator.NEW_OLDER_WOMEN_SHARE,
    }
)


def depth_of(indicator: TargetIndicator) -> Depth:
    if indicator in _PLACES_ONLY:
        return Depth.PLACES
    if indicator in _MEMBERSHIP:
        return Depth.MEMBERSHIP
    return Depth.ALL


class Status(StrEnum):
    NOT_STARTED = "not_started"  # its window opens after the date asked for
    REACHED = "reached"  # still running, and already at the target
    ON_TRACK = "on_track"  # still running, at or above the straight path
    BEHIND = "behind"  # still running, below the straight path
    RUNNING = "running"  # still running, with no baseline to draw a path from
    MET = "met"  # its deadline has passed and it was reached by then
    MISSED = "missed"  # its deadline has passed and it was not
    NOT_MEASURED = "not_measured"  # no value (per category of commune, or nothing to count)


@dataclass(frozen=True)
class Territory:
    """Where a plan is measured: a province on one map, or the whole nation."""

    boundary: Boundary
    province: str | None  # None: the nation
    communes: int  # the one denominator of coverage in every answer
    communes_in_package: int  # the administrative units package's count on that map

    @property
    def note(self) -> str | None:
        """One line when the plan's own commune count is not the package's."""
        if self.communes == self.communes_in_package:
            return None
        return (
            f"Kế hoạch tính trên {self.communes} xã, phường, thị trấn như văn bản kế hoạch ghi; "
            f"danh mục đơn vị hành chính (bản giữa năm 2025) có {self.communes_in_package} đơn vị, "
            "nên tỷ lệ bao phủ dùng mẫu số của kế hoạch."
        )


def plan_boundary(plan: PlanDoc) -> Boundary:
    """The map a plan was written on: the old one for a province plan naming its
    old province, or any plan that started before the 2025 reorganisation."""
    if plan.legacy_province is not None or plan.period_start < REORGANISED_ON:
        return Boundary.LEGACY
    return Boundary.CURRENT


def territory_province(plan: PlanDoc) -> str | None:
    """The province a plan is measured over on its own map (None: the nation)."""
    if plan.scope == "nation":
        return None
    if plan_boundary(plan) is Boundary.LEGACY:
        # A pre-2025 plan without its old province's code is about the old
        # province with the same code as its current one (the codes were kept).
        return plan.legacy_province or plan.province
    return plan.province


@dataclass(frozen=True)
class Measurement:
    """The plan's territory as of `on`, with new clubs and members counted from `window_start`."""

    on: date
    window_start: date
    rollup: Rollup
    club_ids: frozenset[str]  # the active clubs counted (for keeping clubs running)
    provinces_with_club: int = 0  # provinces of the map with an active club (the nation only)
    provinces: int = 0


MeasurementKey = tuple[date, date]  # (on, window_start)


@dataclass(frozen=True)
class TargetProgress:
    """One target of one plan, measured over its window."""

    plan_id: str
    indicator: str
    window_from: date
    by: date
    target: Decimal
    target_max: Decimal | None
    measured_on: date | None
    value: Decimal | int | None
    expected: Decimal | int | None
    status: Status
    gap: Decimal | None
    commune_category: str | None
    note: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "plan": self.plan_id,
            "indicator": self.indicator,
            "from": self.window_from,
            "by": self.by,
            "target": self.target,
            "target_max": self.target_max,
            "measured_on": self.measured_on,
            "value": self.value,
            "expected": self.expected,
            "status": self.status.value,
            "gap": self.gap,
            "commune_category": self.commune_category,
            "note": self.note,
        }


def window_from(plan: PlanDoc, target: Target) -> date:
    """A target's window starts where the plan says, else with the plan."""
    return target.from_ or plan.period_start


def baseline_date(plan: PlanDoc) -> date:
    """The day the plan starts from: its stated baseline's date, else the day before it starts."""
    if plan.baseline is not None and plan.baseline.as_of is not None:
        return plan.baseline.as_of
    return plan.period_start - timedelta(days=1)


def _measured_on(target: Target, as_of: date) -> date:
    return min(as_of, target.by)


def _level_key(on: date) -> MeasurementKey:
    # Levels and shares of clubs read over the twelve months up to the day.
    return (on, default_period_start(on))


def measurement_depths(plan: PlanDoc, as_of: date) -> dict[MeasurementKey, Depth]:
    """The (date, window start) pairs the plan's targets are read at on `as_of`,
    each with how much of the clubs it must read."""
    needed: dict[MeasurementKey, Depth] = {}

    def need(key: MeasurementKey, depth: Depth) -> None:
        needed[key] = max(needed.get(key, Depth.PLACES), depth)

    for target in plan.targets:
        start = window_from(plan, target)
        if as_of < start or target.commune_category is not None:
            continue
        on = _measured_on(target, as_of)
        depth = depth_of(target.indicator)
        if target.indicator in WINDOW_COUNTS:
            need((on, start), depth)
            continue
        need(_level_key(on), depth)
        # Keeping clubs running compares with the clubs at the start; a running
        # target without a printed baseline draws its path from the start's value.
        retention = target.indicator is TargetIndicator.CLUBS_RETAINED
        unprinted = on < target.by and _stated_baseline(plan, target.indicator) is None
        # Never a baseline after the date asked for: that would read the future.
        if (retention or unprinted) and baseline_date(plan) <= as_of:
            need(_level_key(baseline_date(plan)), depth)
    return needed


def _stated_baseline(plan: PlanDoc, indicator: TargetIndicator) -> Decimal | None:
    """A starting figure the plan itself prints for an indicator."""
    base = plan.baseline
    if base is None:
        return None
    stated = {
        TargetIndicator.CLUBS: base.clubs,
        TargetIndicator.COMMUNES_WITH_CLUB: base.communes_with_club,
        TargetIndicator.COVERAGE: base.coverage_percent,
    }.get(indicator)
    return None if stated is None else Decimal(stated)


def value_of(
    indicator: TargetIndicator,
    m: Measurement,
    territory: Territory,
    base: Measurement | None,
) -> Decimal | int | None:
    """An indicator's value in a measurement of the plan's territory."""
    rollup = m.rollup
    if indicator is TargetIndicator.COVERAGE:
        return percent(rollup.communes_with_club, territory.communes)
    if indicator is TargetIndicator.PROVINCES_WITH_CLUBS:
        return percent(m.provinces_with_club, m.provinces)
    if indicator is TargetIndicator.CLUBS_RETAINED:
        if base is None:
            return None
        return percent(len(base.club_ids & m.club_ids), len(base.club_ids))
    figures = {**rollup.as_dict(), **rollup.shares()}
    value = figures.get(_ROLLUP_KEY.get(indicator, indicator.value))
    if value is None or isinstance(value, (int, Decimal)):
        return value
    return None


def _truncate(value: Decimal, indicator: TargetIndicator) -> Decimal | int:
    if indicator in _COUNTS:
        return int(value.to_integral_value(rounding=ROUND_DOWN))
    return value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def expected_by(start_value: Decimal, start_on: date, goal: Decimal, by: date, on: date) -> Decimal:
    """The value on a straight path from `start_value` on `start_on` to `goal` on `by`."""
    if on <= start_on or by <= start_on:
        return start_value if on < by else goal
    if on >= by:
        return goal
    elapsed = Decimal((on - start_on).days) / Decimal((by - start_on).days)
    return start_value + (goal - start_value) * elapsed


def _reached(value: Decimal | int, target: Target) -> bool:
    v = Decimal(value)
    return v >= target.value and (target.value_max is None or v <= target.value_max)


def assess(
    plan: PlanDoc,
    target: Target,
    as_of: date,
    measurements: Mapping[MeasurementKey, Measurement],
    territory: Territory,
) -> TargetProgress:
    """One target on `as_of`: its value over its window, the value expected by
    now and whether it is met, missed, on track or behind."""
    start = window_from(plan, target)
    indicator = target.indicator

    def progress(
        status: Status,
        on: date | None = None,
        value: Decimal | int | None = None,
        expected: Decimal | int | None = None,
    ) -> TargetProgress:
        gap = None if value is None else max(target.value - Decimal(value), Decimal(0))
        return TargetProgress(
            plan_id=plan.id,
            indicator=indicator.value,
            window_from=start,
            by=target.by,
            target=target.value,
            target_max=target.value_max,
            measured_on=on,
            value=value,
            expected=expected,
            status=status,
            gap=gap,
            commune_category=target.commune_category,
            note=target.note,
        )

    retention = indicator is TargetIndicator.CLUBS_RETAINED
    if as_of < start or (retention and as_of < baseline_date(plan)):
        # Keeping clubs running starts from the clubs of the baseline's day.
        return progress(Status.NOT_STARTED)
    if target.commune_category is not None:
        # Which communes are lowland or mountain, border and island needs a list
        # the project does not hold: shown, never guessed.
        return progress(Status.NOT_MEASURED)
    on = _measured_on(target, as_of)
    key = (on, start) if indicator in WINDOW_COUNTS else _level_key(on)
    base = measurements.get(_level_key(baseline_date(plan)))
    value = value_of(indicator, measurements[key], territory, base)
    if value is None:
        return progress(Status.NOT_MEASURED, on)
    if as_of >= target.by:
        return progress(Status.MET if _reached(value, target) else Status.MISSED, on, value)
    expected = _expected(plan, target, as_of, measurements, territory)
    if _reached(value, target):
        return progress(Status.REACHED, on, value, expected)
    if target.value_max is not None and Decimal(value) > target.value_max:
        return progress(Status.BEHIND, on, value, expected)  # above a band is off it too
    if expected is None:
        return progress(Status.RUNNING, on, value)
    return progress(
        Status.ON_TRACK if Decimal(value) >= Decimal(expected) else Status.BEHIND,
        on,
        value,
        expected,
    )


def _expected(
    plan: PlanDoc,
    target: Target,
    as_of: date,
    measurements: Mapping[MeasurementKey, Measurement],
    territory: Territory,
) -> Decimal | int | None:
    """The straight path's value on `as_of`: from 0 at the window's start for
    counts of new clubs and members; else from the plan's printed baseline, or
    from the value measured on the day before the plan starts."""
    indicator = target.indicator
    start = window_from(plan, target)
    if indicator in _FROM_ZERO:
        path_start, start_on = Decimal(0), start - timedelta(days=1)
    elif indicator in WINDOW_COUNTS:
        return target.value  # a share of new members: expected throughout, no path
    elif indicator is TargetIndicator.CLUBS_RETAINED:
        path_start, start_on = Decimal(100), baseline_date(plan)  # all of them, kept
    else:
        start_on = baseline_date(plan)
        stated = _stated_baseline(plan, indicator)
        if stated is not None:
            path_start = stated
        else:
            base = measurements.get(_level_key(start_on)) if start_on <= as_of else None
            measured = None if base is None else value_of(indicator, base, territory, None)
            if measured is None:
                return None
            path_start = Decimal(measured)
    exact = expected_by(path_start, start_on, target.value, target.by, as_of)
    return _truncate(exact, indicator)


def assess_plan(
    plan: PlanDoc,
    as_of: date,
    measurements: Mapping[MeasurementKey, Measurement],
    territory: Territory,
) -> list[TargetProgress]:
    """Every target of the plan, in the plan's order."""
    return [assess(plan, t, as_of, measurements, territory) for t in plan.targets]
