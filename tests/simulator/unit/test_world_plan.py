"""The simulator's world plan (no I/O): deterministic in its seed, and drawn in
the shapes DOMAIN.md states, for the share of communes and the years asked."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest
from typer.testing import CliRunner

from ishc_contracts.finance_events import FundKind, InterestMethod
from ishc_contracts.registry_events import ActivityArea, PovertyStatus, Sex
from ishc_platform import admin_units
from ishc_simulator.cli import app
from ishc_simulator.domain import (
    REORGANISATION,
    ClubPlan,
    PlanRequestError,
    Repaying,
    Scale,
    WorldPlan,
    WorldRequest,
    club_members,
    club_plan,
    club_plans,
    figures,
    plan_world,
    summarize,
)
from ishc_simulator.names import FAMILY_NAMES

UNTIL = date(2026, 10, 31)
# Vĩnh Long (124 communes) and Đồng Nai (95): about a hundred clubs.
REQUEST = WorldRequest(provinces=("86", "75"), commune_share=0.3, since=2016, until=UNTIL)


@cache
def world() -> WorldPlan:
    return plan_world(7, REQUEST)


@cache
def plans() -> tuple[ClubPlan, ...]:
    return tuple(club_plans(world()))


@cache
def summary() -> dict[str, Any]:
    return summarize(world())


def active_at_end() -> list[ClubPlan]:
    return [p for p in plans() if p.sketch.active_on(UNTIL)]


# --- determinism -------------------------------------------------------------------


def test_the_same_seed_draws_the_same_world() -> None:
    first = plan_world(7, REQUEST)
    random.seed(12345)  # the global random plays no part
    second = plan_world(7, REQUEST)
    assert first == second
    for sketch in first.clubs[:10]:
        assert club_plan(first, sketch) == club_plan(second, sketch)
        assert club_members(first, sketch) == club_plan(first, sketch).members
    assert summarize(first) == summary()


def test_another_seed_draws_another_world() -> None:
    other = plan_world(8, REQUEST)
    assert other.clubs != world().clubs
    assert club_plan(other, other.clubs[0]) != club_plan(world(), world().clubs[0])


def test_a_club_is_drawn_without_drawing_the_others() -> None:
    sketch = world().clubs[40]
    alone = WorldPlan(world().seed, REQUEST, world().communes, (sketch,))
    assert club_plan(alone, sketch) == plans()[40]


# --- the map ---------------------------------------------------------------------------


def test_the_share_of_communes_with_a_club_is_the_one_asked() -> None:
    for province, communes in world().communes.items():
        assert communes == len(
            admin_units.communes_of_province(province, admin_units.Boundary.CURRENT)
        )
        with_club = {c.commune_on(UNTIL) for c in world().clubs_of(province) if c.active_on(UNTIL)}
        assert abs(len(with_club) / communes - 0.3) <= 0.01
        assert all(admin_units.province_of_commune(code) == province for code in with_club)
    assert summary()["communes"] == 124 + 95
    assert abs(summary()["coverage"] - 0.3) <= 0.01


def test_clubs_are_founded_over_the_years_a_few_dissolved_and_a_few_relocated() -> None:
    clubs = world().clubs
    years = Counter(c.founded_on.year for c in clubs)
    assert min(years) == 2016 and max(years) == 2026
    assert len(years) >= 9  # spread over the years, not bunched
    assert all(REQUEST.start <= c.founded_on <= UNTIL for c in clubs)
    dissolved = [c for c in clubs if c.dissolved_on is not None]
    relocated = [c for c in clubs if c.relocated_on is not None]
    assert 1 <= len(dissolved) <= 0.06 * len(clubs)
    assert 1 <= len(relocated) <= 0.06 * len(clubs)
    for club in dissolved:
        assert club.dissolved_on is not None
        assert club.founded_on < club.dissolved_on <= UNTIL
        assert not club.active_on(UNTIL)
    for club in relocated:
        assert club.relocated_on is not None
        assert club.founded_commune_code != club.commune_code
        assert club.founded_on < club.relocated_on <= UNTIL
        assert club.commune_on(club.relocated_on - timedelta(days=1)) == club.founded_commune_code


def test_legacy_communes_only_before_the_reorganisation_and_only_unambiguous() -> None:
    with_legacy = [c for c in world().clubs if c.legacy_commune_code]
    assert with_legacy
    for club in with_legacy:
        assert club.founded_on < REORGANISATION
        sources = admin_units.legacy_sources_of_commune(club.founded_commune_code)
        assert [u.code for u in sources] == [club.legacy_commune_code]
        successors = admin_units.successors_of_legacy_commune(club.legacy_commune_code)
        assert club.founded_commune_code in {u.code for u in successors}
    assert all(c.legacy_commune_code is None for c in world().clubs
               if c.founded_on >= REORGANISATION)  # fmt: skip


# --- members ---------------------------------------------------------------------------


def test_members_per_club_mostly_fifty_to_seventy() -> None:
    sizes = [len(p.members_on(UNTIL)) for p in active_at_end()]
    inside = sum(1 for n in sizes if 50 <= n <= 70)
    assert inside / len(sizes) >= 0.85
    assert all(35 <= n <= 80 for n in sizes)


def test_the_composition_sits_in_domain_bands_with_about_a_tenth_outside() -> None:
    members = summary()["members"]
    for share in ("women_share", "older_share", "poor_share"):
        assert 0.60 <= members[share] <= 0.70, share
    assert 0.30 <= members["young_share"] <= 0.40
    assert 0.0 < members["ethnic_minority_share"] < 0.3
    assert 0.2 <= members["birth_year_only_share"] <= 0.6  # many know only their birth year
    clubs = summary()["clubs"]
    assert 0.05 <= clubs["outside_bands_share"] <= 0.15
    drawn_outside = [c for c in world().clubs if c.outside and c.active_on(UNTIL)]
    assert 0.05 <= len(drawn_outside) / clubs["active_at_end"] <= 0.15


def test_members_are_people_with_vietnamese_names_and_plausible_dates() -> None:
    families = {name for name, _ in FAMILY_NAMES}
    for plan in plans()[:20]:
        sketch = plan.sketch
        assert len({m.key for m in plan.members}) == len(plan.members)
        for member in plan.members:
            family, middle, given = member.full_name.split(" ")
            assert family in families and middle and given
            assert sketch.founded_on <= member.joined_on <= UNTIL
            assert member.joined_on.year - member.birth_year >= 18
            if member.birth_date is not None:
                assert member.birth_date.year == member.birth_year
            if member.left_on is not None:
                assert member.joined_on < member.left_on <= UNTIL
        statuses = Counter(m.poverty for m in plan.members)
        assert statuses[PovertyStatus.NONE] < len(plan.members)
        assert {Sex.FEMALE, Sex.MALE} <= {m.sex for m in plan.members}


def test_boards_of_five_and_five_volunteers_for_most() -> None:
    clubs = active_at_end()
    complete = [p for p in clubs if len(p.board) == 5]
    assert 0.85 <= len(complete) / len(clubs) < 1  # a few incomplete boards
    for plan in complete:
        positions = Counter(s.position.value for s in plan.board)
        assert positions == {"chair": 1, "vice_chair": 1, "member": 3}
        holders = {m.key: m for m in plan.members}
        assert all(holders[s.member_key].member_on(plan.board_on, None) for s in plan.board)
    enough = [p for p in clubs if sum(m.is_volunteer for m in p.members_on(UNTIL)) >= 5]
    assert 0.85 <= len(enough) / len(clubs) < 1


# --- registry activity -------------------------------------------------------------


def test_monthly_meetings_with_a_few_months_missed_and_hardship_cases() -> None:
    assert 0.6 <= summary()["clubs"]["met_every_month_share"] < 1
    assert summary()["registry"]["meetings_with_hardship_case_share"] >= 0.8
    for plan in plans():
        last = plan.sketch.dissolved_on or UNTIL + timedelta(days=1)
        assert all(plan.sketch.founded_on <= m.held_on < last for m in plan.meetings)
        assert len({(m.held_on.year, m.held_on.month) for m in plan.meetings}) == len(plan.meetings)
        assert all(m.hardship_cases_supported <= m.hardship_cases_chosen for m in plan.meetings)


def test_activities_over_the_eight_areas() -> None:
    areas = summary()["registry"]["activities_by_area"]
    assert set(areas) == {a.value for a in ActivityArea}


# --- finance -------------------------------------------------------------------------


def test_two_funds_and_a_regulation_for_most_clubs() -> None:
    clubs = active_at_end()
    both = [p for p in clubs if {f.kind for f in p.funds} == {FundKind.INCOME, FundKind.ACTIVITY}]
    assert 0.9 <= len(both) / len(clubs) < 1
    for plan in plans():
        assert (plan.regulation is not None) == bool(plan.funds)
        capital = [c for c in plan.contributions if c.fund is FundKind.INCOME]
        if plan.funds and FundKind.INCOME in {f.kind for f in plan.funds}:
            assert 30_000_000 <= capital[0].amount_vnd <= 100_000_000  # DOMAIN.md


def test_loans_under_every_method_with_repayments_some_late_a_few_written_off() -> None:
    money = summary()["finance"]
    assert set(money["loans_by_method"]) == {m.value for m in InterestMethod}
    assert set(money["loans_by_repaying"]) == {r.value for r in Repaying}
    assert money["late_repayments"] > 0
    assert 0 < money["written_off"] < 0.05 * money["loans"]
    assert money["fees"] > 0 and money["expenses"] > 0 and money["contributions"] > 0
    for plan in plans():
        regulation = plan.regulation
        members = {m.key: m for m in plan.members}
        for loan in plan.loans:
            assert regulation is not None
            assert loan.method in regulation.methods
            assert regulation.rate_min <= loan.monthly_rate <= regulation.rate_max
            assert loan.principal_vnd <= regulation.max_loan_vnd
            assert loan.term_months <= regulation.max_term_months
            assert members[loan.member_key].member_on(loan.disbursed_on, plan.sketch.dissolved_on)
            days = [r.paid_on for r in loan.repayments]
            assert days == sorted(days) and all(loan.disbursed_on < d <= UNTIL for d in days)
            assert [r.number for r in loan.repayments] == list(range(1, len(days) + 1))
        for fee in plan.fees:
            assert regulation is not None
            assert regulation.fee_min_vnd <= fee.amount_vnd <= regulation.fee_max_vnd
            assert members[fee.member_key].member_on(fee.paid_on, plan.sketch.dissolved_on)
            assert fee.month == f"{fee.paid_on:%Y-%m}"


def test_borrowers_are_a_large_share_of_members() -> None:
    share = summary()["members"]["borrowers_share"]
    assert 0.3 <= share <= 0.65


# --- health --------------------------------------------------------------------------


def test_checks_twice_a_year_and_exercise_three_times_a_week_for_most() -> None:
    assert summary()["members"]["checked_twice_share"] >= 0.6
    assert summary()["clubs"]["exercise_ok_share"] >= 0.75
    assert summary()["members"]["insured_share"] >= 0.7
    for plan in plans():
        consent = {c.member_key: c.given_on for c in plan.consents}
        for check in plan.checks:
            assert consent[check.member_key] <= check.checked_on <= UNTIL
            assert check.checker_member_key != check.member_key
        members = len(plan.members)
        assert all(1 <= s.participants <= members for s in plan.sessions)
        volunteers = {m.key for m in plan.members if m.is_volunteer}
        assert all(v.volunteer_key in volunteers for v in plan.visits)


def test_small_scale_keeps_day_to_day_records_to_the_indicators_window() -> None:
    window = REQUEST.detail_start
    assert window == date(2025, 11, 1)
    for plan in plans():
        assert all(s.held_on >= window for s in plan.sessions)
        assert all(c.checked_on >= window for c in plan.checks)
        assert all(loan.disbursed_on >= window for loan in plan.loans)
        assert all(f.paid_on >= window for f in plan.fees)
        if plan.sketch.active_on(UNTIL):  # fees: the last month only
            assert all(f.paid_on >= date(2026, 10, 1) for f in plan.fees)


def test_national_scale_draws_them_over_the_whole_history() -> None:
    request = WorldRequest(("86",), 0.05, 2020, UNTIL, Scale.NATIONAL)
    national = plan_world(3, request)
    assert request.detail_start == date(2020, 1, 1)
    early = [s for s in national.clubs if s.founded_on.year <= 2021]
    assert early
    plan = club_plan(national, early[0])
    assert min(s.held_on for s in plan.sessions) < date(2023, 1, 1)
    assert min(f.paid_on for f in plan.fees) < date(2023, 1, 1)


# --- figures, request, CLI -------------------------------------------------------------


def test_figures_count_the_clubs_and_members_active_on_the_date() -> None:
    result = figures(plans(), UNTIL)
    assert result.clubs == len(active_at_end())
    assert result.members == sum(len(p.members_on(UNTIL)) for p in active_at_end())
    assert result.young == result.members - result.older_members
    assert 0 < result.borrowers < result.members
    assert result.clubs_meeting["well_managed"] <= result.clubs_meeting["board_ok"]


@pytest.mark.parametrize(
    ("provinces", "share", "since", "message"),
    [
        ((), 0.3, 2016, "at least one province"),
        (("99",), 0.3, 2016, "not provinces"),
        (("86", "86"), 0.3, 2016, "twice"),
        (("86",), 0.0, 2016, "share"),
        (("86",), 1.5, 2016, "share"),
        (("86",), 0.3, 2027, "since"),
    ],
)
def test_a_request_no_world_can_be_drawn_from_is_refused(
    provinces: tuple[str, ...], share: float, since: int, message: str
) -> None:
    with pytest.raises(PlanRequestError, match=message):
        WorldRequest(provinces, share, since, UNTIL)


def test_the_plan_command_prints_the_summary_without_touching_a_service() -> None:
    args = ["plan", "--seed", "98", "--provinces", "86", "--commune-share", "0.008",
            "--since", "2025", "--until", "2026-10-31", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["seed"] == 98
    assert printed["clubs"]["drawn"] == 3
    assert printed["requests"]["total"] > 0
    again = CliRunner().invoke(app, args)
    assert json.loads(again.stdout) == printed
