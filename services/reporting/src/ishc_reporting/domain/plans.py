"""Plans (kế hoạch) of a province or of the nation: period, targets, bands.

A plan reads as it was written: its baseline keeps the plan's own figures (a
coverage of "19.26" stays that string), and a plan written before the 2025
reorganisation keeps its own commune count and old province.
"""

from __future__ import annotations

from collections.abc import Iterable
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
from ishc_reporting.domain.indicators import DEFAULT_BANDS, Bands

PLAN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,78}$"

# Where no plan is in force, clubs are judged by one stated default: the
# national scheme's composition of a club (1336/QĐ-TTg, "as in the Đồng Nai
# plan": 50-70 members, 60-70% women, 60-70% older from 60, 30-40% younger; no
# share of poor members), the model's 5-person board and 5 volunteers
# (`indicators.DEFAULT_BANDS`). It sets no targets.
DEFAULT_PLAN_ID = "default"
DEFAULT_PLAN_TITLE = (
    "Chuẩn mặc định khi không có kế hoạch đang hiệu lực: cơ cấu câu lạc bộ theo Đề án "
    "quốc gia (Quyết định 1336/QĐ-TTg): 50 - 70 thành viên, 60 - 70% phụ nữ, 60 - 70% "
    "người cao tuổi (từ 60 tuổi), 30 - 40% người trẻ tuổi; Ban chủ nhiệm 5 người, "
    "ít nhất 5 tình nguyện viên"
)
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
    COMMUNES_WITH_CLUB = "communes_with_club"  # "55 xã, phường, thị trấn có câu lạc bộ"
    CLUBS_RETAINED = "clubs_retained"  # clubs active at the plan's start still active
    NEW_MEMBERS_OLDER_SHARE = "new_members_older_share"  # older people among new members
    NEW_OLDER_WOMEN_SHARE = "new_older_women_share"  # women among new older members
    MEETINGS_WITH_HARDSHIP_CASE = "meetings_with_hardship_case_share"
    WELL_MANAGED = "well_managed"


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
    TargetIndicator.CLUBS_RETAINED,
    TargetIndicator.NEW_MEMBERS_OLDER_SHARE,
    TargetIndicator.NEW_OLDER_WOMEN_SHARE,
    TargetIndicator.MEETINGS_WITH_HARDSHIP_CASE,
    TargetIndicator.WELL_MANAGED,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Baseline(_Strict):
    as_of: CalendarDate | None = None
    clubs: int | None = Field(default=None, ge=0)
    communes_with_club: int | None = Field(default=None, ge=0)
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
    """A target as the plan prints it: at least `value` (at most `value_max`
    for a band such as "60 - 70% là người cao tuổi") by `by`, counted from
    `from` where the plan gives a window."""

    indicator: TargetIndicator
    value: Annotated[Decimal, Field(ge=0)]
    value_max: Annotated[Decimal, Field(ge=0)] | None = None
    by: CalendarDate
    from_: CalendarDate | None = Field(default=None, alias="from")
    # A kind of commune ("lowland", "mountain_border_island"), never a place.
    commune_category: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")] | None = None
    note: Annotated[CleanText, Field(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.value_max is not None and self.value_max < self.value:
            raise ValueError("value_max is below value")
        if self.from_ is not None and self.from_ > self.by:
            raise ValueError("from is after by")
        if self.indicator in SHARE_INDICATORS and max(self.value, self.value_max or 0) > 100:
            raise ValueError(f"{self.indicator.value} is a percentage: at most 100")
        return self


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
    # Each distinct window is one more measurement per request: a plan states a
    # dozen targets, and 60 bounds what a page may be asked to measure.
    targets: list[Target] = Field(default_factory=list, max_length=60)

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


def plans_in_force(plans: list[PlanDoc], as_of: date) -> list[PlanDoc]:
    """Every plan whose period holds `as_of`. A plan past its end no longer sets
    bands or targets: it is reviewed through its own progress (`/v1/plans/{id}/progress`)."""
    return [p for p in plans if p.period_start <= as_of <= p.period_end]


def latest_started(plans: Iterable[PlanDoc]) -> PlanDoc | None:
    """Of several plans in force, the latest started (a new plan replaces an older one's bands)."""
    return max(plans, key=lambda p: (p.period_start, p.id), default=None)


def plans_about(in_force: list[PlanDoc], code: str, boundary: Boundary) -> list[PlanDoc]:
    """The province plans in force that concern a province of a map, each to be
    measured on its own territory: on the current map, every plan of the
    province (a pre-2025 one is measured over its old province); on the old
    map, the plans of that old province, and the plans written on the current
    map for the province it was merged into."""
    province_plans = [p for p in in_force if p.scope == "province"]
    if boundary is Boundary.CURRENT:
        return [p for p in province_plans if p.province == code]
    successor = admin_units.current_province_of_legacy_province(code)
    return [
        p
        for p in province_plans
        if p.legacy_province == code
        or (p.legacy_province is None and successor is not None and p.province == successor.code)
    ]


def governing_plan(in_force: list[PlanDoc], code: str, boundary: Boundary) -> PlanDoc | None:
    """The plan whose bands judge the clubs of a province of a map: one written
    for exactly that province on that map (a plan of old Vĩnh Long does not
    judge the clubs of old Bến Tre, nor of new Vĩnh Long as a whole). None: the
    default plan applies."""
    about = plans_about(in_force, code, boundary)
    if boundary is Boundary.CURRENT:
        return latest_started(p for p in about if p.legacy_province is None)
    # The old province's own plan first; else the plan of the province it was merged into.
    own = latest_started(p for p in about if p.legacy_province == code)
    return own or latest_started(about)


def national_plans(in_force: list[PlanDoc]) -> list[PlanDoc]:
    """The national plans in force (1336/QĐ-TTg and 1648/QĐ-TTg overlap in Aug–Dec 2025)."""
    return sorted((p for p in in_force if p.scope == "nation"), key=lambda p: p.period_start)


def national_governing_plan(in_force: list[PlanDoc]) -> PlanDoc | None:
    """The national plan whose bands judge the nation's clubs: the latest
    started that states a club's composition; None: the default plan."""
    return latest_started(p for p in national_plans(in_force) if p.bands.size is not None)


def plan_for_club(
    in_force: list[PlanDoc], province: str, legacy_province: str | None
) -> PlanDoc | None:
    """The plan that judges one club: its old province's plan where the club
    lies in one with a plan in force, else its current province's."""
    if legacy_province is not None:
        found = latest_started(p for p in in_force if p.legacy_province == legacy_province)
        if found is not None:
            return found
    return governing_plan(in_force, province, Boundary.CURRENT)


def default_plan_summary() -> dict[str, Any]:
    return {
        "id": DEFAULT_PLAN_ID,
        "title": DEFAULT_PLAN_TITLE,
        "default": True,
        "older_age": DEFAULT_BANDS.older_age,
    }


def bands_for(plan: PlanDoc | None, older_age: int | None) -> Bands:
    """The plan's bands (the default plan's without one), counting older
    members from `older_age` when the caller asks for another threshold."""
    bands = plan.bands_for_indicators if plan else DEFAULT_BANDS
    if older_age is not None and older_age != bands.older_age:
        bands = replace(bands, older_age=older_age)
    return bands


def progress(value: Any, target: Any) -> int | None:
    """How far a value has come towards its target, 0–100 (the dashboard's bar);
    None without either. A target of 0 or less is reached."""
    if value is None or target is None:
        return None
    goal = Decimal(str(target))
    if goal <= 0:
        return 100
    return max(0, min(100, int(Decimal(str(value)) * 100 / goal)))


# The targets that say whether a province's rollout is on track: how far its
# clubs reach (coverage, communes) and how many clubs and members it gains.
ROLLOUT_TARGETS = frozenset(
    {
        "coverage",
        "communes_with_club",
        "clubs",
        "new_clubs",
        "members",
        "new_members",
        "new_older_members",
    }
)
AHEAD = frozenset({"reached", "on_track", "met"})
LATE = frozenset({"behind", "missed"})
STILL_OPEN = frozenset({"reached", "on_track", "behind", "running"})


def rollout_status(plans: list[dict[str, Any]]) -> str:
    """One word for a province's rollout against its plans in force: "no_plan"
    without one; else over its rollout targets still open (or, none being
    open, those whose window has ended): "behind" if any is behind, else
    "on_track" if any is on track or reached; else the first target's own
    status (not started, not measured), or "running" when there is none."""
    if not plans:
        return "no_plan"
    targets = [
        t
        for plan in plans
        for t in plan.get("targets") or []
        if t.get("indicator") in ROLLOUT_TARGETS and t.get("commune_category") is None
    ]
    judged = [t for t in targets if t.get("status") in STILL_OPEN] or [
        t for t in targets if t.get("status") in AHEAD | LATE
    ]
    statuses = {t.get("status") for t in judged}
    if statuses & LATE:
        return "behind"
    if statuses & AHEAD:
        return "on_track"
    return str(targets[0].get("status")) if targets else "running"
