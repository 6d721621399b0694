"""Plans (kế hoạch) of a province or of the nation: period, targets, bands.

A plan reads as it was written: its baseline keeps the plan's own figures (a
coverage of "19.26" stays that string), and a plan written before the 2025
reorganisation keeps its own commune count and old province.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.validation import CalendarDate, CleanText
from ishc_reporting.domain.indicators import DEFAULT_BANDS, Bands, Rollup, percent

PLAN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,78}$"
ProvinceCode = Annotated[str, Field(pattern=r"^[0-9]{2}$")]
Percent = Annotated[Decimal, Field(ge=0, le=100)]


class TargetIndicator(StrEnum):
    COVERAGE = "coverage"
    CLUBS = "clubs"
    NEW_CLUBS = "new_clubs"
    MEMBERS = "members"
    NEW_MEMBERS = "new_members"
    NEW_OLDER_MEMBERS = "new_older_members"
    SIZE_OK = "size_ok"
    WOMEN_OK = "women_ok"
    OLDER_OK = "older_ok"
    YOUNG_OK = "young_ok"
    POOR_OK = "poor_ok"
    BOARD_OK = "board_ok"
    VOLUNTEERS_OK = "volunteers_ok"
    FUNDS_OK = "funds_ok"
    MEETINGS_OK = "meetings_ok"
    BORROWERS = "borrowers"
    HEALTH_CHECKS_OK = "health_checks_ok"
    EXERCISE_OK = "exercise_ok"
    FULL_ACTIVITY = "full_activity"
    PROVINCES_WITH_CLUBS = "provinces_with_clubs"


SHARE_INDICATORS = {
    TargetIndicator.COVERAGE,
    TargetIndicator.SIZE_OK,
    TargetIndicator.WOMEN_OK,
    TargetIndicator.OLDER_OK,
    TargetIndicator.YOUNG_OK,
    TargetIndicator.POOR_OK,
    TargetIndicator.BOARD_OK,
    TargetIndicator.VOLUNTEERS_OK,
    TargetIndicator.FUNDS_OK,
    TargetIndicator.MEETINGS_OK,
    TargetIndicator.BORROWERS,
    TargetIndicator.HEALTH_CHECKS_OK,
    TargetIndicator.EXERCISE_OK,
    TargetIndicator.FULL_ACTIVITY,
    TargetIndicator.PROVINCES_WITH_CLUBS,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Baseline(_Strict):
    as_of: CalendarDate | None = None
    clubs: int | None = Field(default=None, ge=0)
    communes: int | None = Field(default=None, ge=1)
    coverage_percent: Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$")] | None = None


class PlanBands(_Strict):
    """The bands a plan states; one it leaves out is not assessed under it."""

    size: tuple[int, int] | None = None
    women_percent: tuple[Percent, Percent] | None = None
    older_percent: tuple[Percent, Percent] | None = None
    young_percent: tuple[Percent, Percent] | None = None
    poor_percent: tuple[Percent, Percent] | None = None
    volunteers_min: int = Field(default=5, ge=0)
    board_size: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for name in ("size", "women_percent", "older_percent", "young_percent", "poor_percent"):
            band = getattr(self, name)
            if band is not None and band[0] > band[1]:
                raise ValueError(f"{name}: the lower bound is above the upper one")
        return self


class Target(_Strict):
    indicator: TargetIndicator
    value: Annotated[Decimal, Field(ge=0)]
    by: CalendarDate
    from_: CalendarDate | None = Field(default=None, alias="from")
    # A kind of commune ("lowland", "mountain_border_island"), never a place.
    commune_category: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")] | None = None
    note: Annotated[CleanText, Field(max_length=1000)] | None = None


class PlanDoc(_Strict):
    """A plan as written in its file (`services/reporting/plans/*.toml`) or sent to the API."""

    id: Annotated[str, Field(pattern=PLAN_ID_PATTERN)]
    scope: Literal["province", "nation"]
    province: ProvinceCode | None = None
    legacy_province: ProvinceCode | None = None
    title: Annotated[CleanText, Field(min_length=1, max_length=500)]
    title_en: Annotated[CleanText, Field(max_length=500)] | None = None
    source: Annotated[CleanText, Field(max_length=1000)] | None = None
    period_start: CalendarDate
    period_end: CalendarDate
    older_age: int = Field(default=DEFAULT_OLDER_AGE, ge=40, le=80)
    commune_count: int | None = Field(default=None, ge=1)
    baseline: Baseline | None = None
    bands: PlanBands = PlanBands()
    targets: list[Target] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.title:  # CleanText trims: a title of spaces is no title
            raise ValueError("a plan has a title")
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.scope == "province" and self.province is None:
            raise ValueError("a province plan names its province")
        if self.scope == "nation" and (self.province or self.legacy_province):
            raise ValueError("a national plan names no province")
        return self

    @property
    def bands_for_indicators(self) -> Bands:
        b = self.bands
        return Bands(
            size=b.size,
            women_percent=b.women_percent,
            older_percent=b.older_percent,
            young_percent=b.young_percent,
            poor_percent=b.poor_percent,
            volunteers_min=b.volunteers_min,
            board_size=b.board_size,
            older_age=self.older_age,
        )


def plan_provinces(plan: PlanDoc) -> tuple[set[str], set[str]]:
    """The current and the legacy (pre-July-2025) provinces a plan names. Its
    targets name kinds of communes, not places, so these are all its places."""
    current = {plan.province} if plan.province else set()
    legacy = {plan.legacy_province} if plan.legacy_province else set()
    return current, legacy


def province_may_write(plan: PlanDoc, provinces: frozenset[str]) -> bool:
    """Whether a province token for `provinces` may write `plan`: a province's
    plan whose every province lies within them, current codes among its own and
    old codes among the old provinces merged into them (new Vĩnh Long 86 takes
    old Vĩnh Long, Bến Tre and Trà Vinh). A national plan is never a province's."""
    if plan.scope != "province":
        return False
    current, legacy = plan_provinces(plan)
    merged = {
        old.code
        for code in provinces
        if admin_units.current_province(code) is not None
        for old in admin_units.legacy_provinces_of(code)
    }
    return bool(current) and current <= provinces and legacy <= merged


def legacy_province_fits(plan: PlanDoc) -> bool:
    """A plan's old province, if it names one, was merged into its current one
    (otherwise the plan would count as another province's on the old map)."""
    if plan.legacy_province is None:
        return True
    successor = admin_units.current_province_of_legacy_province(plan.legacy_province)
    return successor is not None and successor.code == plan.province


def target_for(plan: PlanDoc, indicator: str, as_of: date) -> Target | None:
    """The plan's target for an indicator that applies on `as_of`: the first
    deadline on or after it, else the last one (a plan past its end still says
    where it meant to be). Targets per commune category are not this one."""
    candidates = sorted(
        (t for t in plan.targets if t.indicator == indicator and t.commune_category is None),
        key=lambda t: t.by,
    )
    if not candidates:
        return None
    return next((t for t in candidates if t.by >= as_of), candidates[-1])


def gap(value: Decimal | int | None, target: Target | None) -> Decimal | None:
    """How far the value is from the target (positive: still to go)."""
    if value is None or target is None:
        return None
    return max(target.value - Decimal(value), Decimal(0))


def choose_plan(plans: list[PlanDoc], as_of: date) -> PlanDoc | None:
    """The plan in force on `as_of` (the latest started, if several). A plan
    past its end no longer sets bands or targets: a province without a plan
    for today shows no target rather than an expired one."""
    current = [p for p in plans if p.period_start <= as_of <= p.period_end]
    return max(current, key=lambda p: p.period_start) if current else None


def plans_by_province(
    plans: list[PlanDoc], as_of: date
) -> tuple[dict[str, PlanDoc], PlanDoc | None]:
    """The plan in force per province (keyed by current and by legacy code), and the nation's."""
    grouped: dict[str, list[PlanDoc]] = defaultdict(list)
    national: list[PlanDoc] = []
    for plan in plans:
        if plan.scope == "nation":
            national.append(plan)
            continue
        if plan.province:
            grouped[f"current:{plan.province}"].append(plan)
        if plan.legacy_province:
            grouped[f"legacy:{plan.legacy_province}"].append(plan)
    chosen = {key: p for key, group in grouped.items() if (p := choose_plan(group, as_of))}
    return chosen, choose_plan(national, as_of)


def plan_for(chosen: dict[str, PlanDoc], province: str, boundary: Boundary) -> PlanDoc | None:
    """A province's plan on a map; on the old map, else its successor's plan."""
    if boundary is Boundary.LEGACY:
        found = chosen.get(f"legacy:{province}")
        if found:
            return found
        successor = admin_units.current_province_of_legacy_province(province)
        return chosen.get(f"current:{successor.code}") if successor else None
    return chosen.get(f"current:{province}")


def bands_for(plan: PlanDoc | None, older_age: int | None) -> Bands:
    """The plan's bands (the national defaults without one), counting older
    members from `older_age` when the caller asks for another threshold."""
    bands = plan.bands_for_indicators if plan else DEFAULT_BANDS
    if older_age is not None and older_age != bands.older_age:
        bands = replace(bands, older_age=older_age)
    return bands


def target_row(value: Decimal | int | None, target: Target) -> dict[str, Any]:
    """An indicator's value beside its target, its deadline and the gap."""
    return {"value": value, "target": target.value, "by": target.by, "gap": gap(value, target)}


def targets_of(
    plan: PlanDoc | None, rollup: Rollup, as_of: date, boundary: Boundary
) -> dict[str, dict[str, Any]]:
    """Each indicator the plan sets a target for, with the value, target and gap.
    Targets of indicators not measured yet (`full_activity`) are left out."""
    if plan is None:
        return {}
    values: dict[str, Decimal | int | None] = {
        "coverage": rollup.coverage,
        "clubs": rollup.clubs,
        "new_clubs": rollup.new_clubs,
        "members": rollup.members,
        "new_members": rollup.new_members,
        "new_older_members": rollup.new_older_members,
        "borrowers": rollup.borrowers_share,  # a share of members, not of clubs
        "health_checks_ok": rollup.health_checks_share,  # a share of members too
        **rollup.shares(),  # funds_ok and exercise_ok among them
    }
    # A plan written on the old map counts coverage over its own communes.
    if boundary is Boundary.LEGACY and plan.commune_count:
        values["coverage"] = percent(rollup.communes_with_club, plan.commune_count)
    result = {}
    for indicator, value in values.items():
        target = target_for(plan, indicator, as_of)
        if target is not None:
            result[indicator] = target_row(value, target)
    return result


def progress(value: Any, target: Any) -> int | None:
    """How far a value has come towards its target, 0–100 (the dashboard's bar);
    None without either. A target of 0 or less is reached."""
    if value is None or target is None:
        return None
    goal = Decimal(str(target))
    if goal <= 0:
        return 100
    return max(0, min(100, int(Decimal(str(value)) * 100 / goal)))
