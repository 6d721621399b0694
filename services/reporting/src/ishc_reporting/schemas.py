"""Reporting's request and response models, and how answers become JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ishc_platform.admin_units import Boundary
from ishc_platform.validation import StrictModel
from ishc_reporting.domain.report_layout import PeriodKind


class ReportRequest(StrictModel):
    """What to issue; an unknown field is a 422 naming it, not silently dropped."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scope": "province",
                    "province": "86",
                    "kind": "quarter",
                    "year": 2026,
                    "number": 2,
                },
                {"scope": "nation", "kind": "year", "year": 2025},
            ]
        }
    )

    scope: Literal["province", "nation"]
    province: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    kind: PeriodKind
    year: int
    number: int | None = None
    boundary: Boundary = Boundary.CURRENT

    @model_validator(mode="after")
    def _province_matches_scope(self) -> ReportRequest:
        if self.scope == "province" and self.province is None:
            raise ValueError("a province report names its province")
        if self.scope == "nation" and self.province is not None:
            raise ValueError("a national report names no province")
        return self


def jsonable(value: Any) -> Any:
    """For JSON answers: decimals stay exact strings ("0.80", not 0.8)."""
    return jsonable_encoder(value, custom_encoder={Decimal: str})


# -- answers ----------------------------------------------------------------------
# Decimals travel as exact strings ("19.26", "0.80"), as the provinces print them;
# instants as the ISO strings the service wrote.

DecimalString = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["19.26"])]
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Answer(BaseModel):
    # A key the model does not know is an error in the tests, never silently dropped.
    model_config = ConfigDict(extra="forbid")


class FinanceFigures(Answer):
    """The finance indicators of a club or a roll-up of clubs (DOMAIN.md,
    "Finance"): amounts in whole VND; shares in percent, truncated to two
    decimals. Never a member's id nor one person's loan."""

    borrowers: int = Field(
        description="members with a loan outstanding at as_of or disbursed in the last 12 "
        "months up to it (from the day after the same date a year before), each once"
    )
    borrowers_share: DecimalString | None = Field(
        description="% of members who are borrowers (sum over sum when rolled up)"
    )
    fund_balance_vnd: int = Field(
        description="cash in the funds at as_of: contributions in cash, principal repaid, "
        "interest, fees and recoveries, less loans disbursed and expenses, reversals applied"
    )
    in_kind_vnd: int = Field(description="value of gifts in kind received by as_of (not cash)")
    outstanding_principal_vnd: int = Field(description="gross outstanding principal at as_of")
    at_risk_principal_vnd: int = Field(
        description="whole unpaid principal of loans with an instalment more than 30 days late"
    )
    par30: DecimalString | None = Field(
        description="PAR30: at-risk over outstanding principal, in %; null without a portfolio"
    )
    loans_outstanding: int = Field(description="loans with principal outstanding at as_of")
    loans_at_risk: int = Field(description="of them, loans more than 30 days late")
    interest_income_vnd: int = Field(description="interest received in the period")
    fee_income_vnd: int = Field(description="member fees received in the period, net of reversals")


class HealthFigures(Answer):
    """The health indicators of a club or a roll-up of clubs (DOMAIN.md, "Health"),
    from events that carry no clinical value: counts, and shares of members in
    percent, truncated to two decimals. `exercise_ok` is a check of clubs, among
    `shares`, `clubs_meeting` and a club's `checks`. Never a member's id."""

    members_checked_twice: int = Field(
        description="members at as_of with at least 2 health checks in the twelve months up "
        "to it (from the day after the same date a year before)"
    )
    health_checks_ok: DecimalString | None = Field(
        description="% of members checked at least twice in the twelve months "
        "(sum over sum when rolled up)"
    )
    exercise_sessions: int = Field(
        description="exercise (dưỡng sinh) sessions in the period, on the days the club was active"
    )
    home_care_visits: int = Field(description="volunteers' home-care visits in the period")
    people_cared_for: int = Field(
        description="people cared for at home in the period (members or people of the "
        "community), each once however often visited"
    )
    members_insured: int = Field(
        description="members at as_of with a health insurance (BHYT) card valid on it"
    )
    insurance_coverage: DecimalString | None = Field(
        description="% of members with a valid health insurance card (sum over sum)"
    )


class Indicators(FinanceFigures, HealthFigures):
    """A roll-up of clubs (a commune, a province, the nation)."""

    coverage: DecimalString | None = Field(description="% of communes with an active club")
    communes: int | None
    communes_with_club: int
    clubs: int
    new_clubs: int
    members: int
    new_members: int
    new_older_members: int
    new_older_women: int = Field(
        description="members who joined in the period, still members at as_of, older and women"
    )
    new_members_older_share: DecimalString | None = Field(
        description="% of the new members who are older (new_older_members over new_members)"
    )
    new_older_women_share: DecimalString | None = Field(
        description="% of the older new members who are women (new_older_women over "
        "new_older_members; the national scheme asks 50–60%)"
    )
    older_members: int
    women: int
    young: int
    poor: int
    volunteers: int
    poor_older_women: int = Field(
        description="members at as_of who are women, older and poor, near-poor or disadvantaged"
    )
    ethnic_minority_members: int = Field(description="members at as_of of an ethnic minority")
    meetings: int = Field(description="club meetings held in the period")
    meetings_with_hardship_case: int = Field(
        description="of them, meetings that chose at least one hardship case to help"
    )
    meetings_with_hardship_case_share: DecimalString | None = Field(
        description="% of the meetings that chose at least one hardship case (Vĩnh Long asks "
        "it of every meeting)"
    )
    hardship_cases_supported: int
    clubs_in_all_areas: int = Field(
        description="clubs active in all eight areas in the last 12 months up to as_of, each "
        "judged on its own areas (never pooled across clubs)"
    )
    clubs_meeting: dict[str, int | None] = Field(description="clubs passing each check")
    shares: dict[str, DecimalString | None] = Field(description="% of clubs passing each check")
    unplaced: int


class NationalIndicators(Indicators):
    provinces: int
    provinces_with_clubs: int


class TargetProgress(Answer):
    """One target of a plan, measured over its own window on the plan's own map."""

    model_config = ConfigDict(populate_by_name=True)

    plan: str = Field(description="the plan's id")
    indicator: str
    from_: date = Field(
        alias="from",
        description="the window's first day (the plan's start when the plan gives none)",
    )
    by: date = Field(description="the deadline")
    target: DecimalString = Field(description="at least this")
    target_max: DecimalString | None = Field(description="at most this (a band), or null")
    measured_on: date | None = Field(
        description="the day the value is read: as_of, or the deadline once it has passed"
    )
    value: DecimalString | int | None = Field(
        description="new clubs and members count from `from`; shares in %, truncated"
    )
    expected: DecimalString | int | None = Field(
        description="the value expected on as_of on a straight path from the plan's baseline "
        "(0 at `from` for new clubs and members); null once ended or without a baseline"
    )
    status: Literal[
        "not_started", "reached", "on_track", "behind", "running", "met", "missed", "not_measured"
    ]
    gap: DecimalString | None = Field(description="still to go (0 once reached)")
    commune_category: str | None
    note: str | None = Field(description="where the plan states the target")


class PlanTerritory(Answer):
    boundary: Boundary = Field(description="the map the plan was written on")
    province: str | None = Field(description="null: the nation")
    name: str | None
    communes: int = Field(description="the one denominator of the plan's coverage")
    communes_in_package: int = Field(
        description="communes of the territory in the administrative units package"
    )
    communes_note: str | None = Field(description="why the two counts differ, when they do")


class PlanSummary(Answer):
    """The plan whose bands judge the clubs of a page; `default` when no plan
    is in force and the stated default (the national scheme's composition) applies."""

    id: str
    title: str
    source: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    older_age: int
    default: bool


class PlanProgress(PlanSummary):
    territory: PlanTerritory
    targets: list[TargetProgress]


class PlanProgressAsOf(PlanProgress):
    as_of: date


class QueryFields(Answer):
    as_of: date
    boundary: Boundary
    period_start: date


class ProvinceRow(Answer):
    code: str
    name: str
    plan: PlanSummary
    communes_note: str | None = Field(description="why coverage uses the plan's commune count")
    indicators: Indicators
    plans: list[PlanProgress] = Field(description="the plans in force about the province")


class ProvinceTable(QueryFields):
    provinces: list[ProvinceRow]
    unplaced: int | None = Field(description="clubs that cannot be placed (national tokens)")
    national_plan: PlanSummary


class NationalFigures(QueryFields):
    scope: Literal["nation"]
    plan: PlanSummary
    indicators: NationalIndicators
    plans: list[PlanProgress] = Field(description="the national plans in force")


class CommuneRow(Answer):
    code: str
    name: str
    clubs: int
    members: int
    has_club: bool


class ProvinceFigures(QueryFields):
    scope: Literal["province"]
    code: str
    name: str
    plan: PlanSummary
    communes_note: str | None = Field(description="why coverage uses the plan's commune count")
    indicators: Indicators
    plans: list[PlanProgress] = Field(description="the plans in force about the province")
    clubs_placed_in_province_only: int
    communes: list[CommuneRow]


class ClubRow(FinanceFigures, HealthFigures):
    club_id: str
    name: str | None
    commune_code: str
    legacy_commune_code: str | None
    founded_on: date
    members: int
    women: int
    older: int
    young: int
    poor: int
    volunteers: int
    new_members: int
    poor_older_women: int = Field(
        description="members at as_of who are women, older and poor, near-poor or disadvantaged"
    )
    ethnic_minority_members: int = Field(description="members at as_of of an ethnic minority")
    board_complete: bool
    months_required: int
    months_met: int
    meetings: int = Field(description="meetings held in the period")
    meetings_with_hardship_case: int = Field(
        description="of them, meetings that chose at least one hardship case to help"
    )
    activity_areas: list[str] = Field(
        description="areas the club was active in over the last 12 months up to as_of (not the "
        "period): recorded activities, and the events that stand for them"
    )
    hardship_cases_supported: int
    checks: dict[str, bool | None]


class CommuneFigures(QueryFields):
    scope: Literal["commune"]
    code: str
    name: str
    province: str
    indicators: Indicators
    clubs: list[ClubRow]


class ClubPlace(Answer):
    province: str | None
    commune: str | None


class ClubFigures(QueryFields):
    """A club's counts and checks; `place` only while it is active."""

    scope: Literal["club"]
    club_id: str
    name: str | None
    province: str | None
    founded_on: date | None
    dissolved_on: date | None
    active: bool
    place: ClubPlace | None = None
    indicators: ClubRow | None


class RolloutRow(Answer):
    code: str
    name: str
    plans: list[str]
    plan_titles: list[str] = Field(
        default_factory=list, description="the titles of `plans`, in order"
    )
    clubs: int
    members: int
    last_data_at: Instant | None
    reporting_month: str = Field(examples=["2026-10"])
    reporting_rate: DecimalString | None
    live: bool


class Rollout(Answer):
    as_of: date
    provinces: list[RolloutRow]


class ReportSummary(Answer):
    id: str
    scope: Literal["province", "nation"]
    province: str | None
    kind: PeriodKind
    year: int | None
    number: int | None
    period_start: date
    period_end: date
    as_of: date
    boundary: Boundary
    issued_at: Instant
    issued_by: str
    links: dict[str, str]
    issued_early: bool = Field(
        description="issued on or before the period's last day: figures stop at as_of"
    )
    warning: str | None = Field(
        description='e.g. "Báo cáo lập trước khi hết kỳ: số liệu tính đến ngày 30/11/2026"'
    )


class ReportList(Answer):
    items: list[ReportSummary]
    next_cursor: str | None


class ReportRevision(Answer):
    changed: list[str] = Field(description="indicators whose value differs now")
    figures: dict[str, Any]
    as_of_now: date


class ReportDetail(ReportSummary):
    figures: dict[str, Any] = Field(description="the figures as issued")
    revision: ReportRevision | None
