"""Who may read and write what in reporting (`service/policy.py`), on callers
alone: no database, no app."""

from __future__ import annotations

import pytest

from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller, Role
from ishc_platform.errors import Problem
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.models import ClubFact, IssuedReport, Plan
from ishc_reporting.service import policy
from tests.reporting.conftest import DONG_NAI, NATIONAL, VINH_LONG, plan

OPS = Caller(sub="ops", role=Role.OPS, provinces=frozenset())


def status(call: object) -> int:
    assert callable(call)
    with pytest.raises(Problem) as refused:
        call()
    return refused.value.status


def test_readers_and_what_they_see() -> None:
    assert policy.readable_provinces(NATIONAL) is None
    assert policy.readable_provinces(VINH_LONG) == frozenset({"86"})
    assert status(lambda: policy.readable_provinces(OPS)) == 403
    assert status(lambda: policy.require_national(VINH_LONG)) == 403
    policy.require_national(NATIONAL)


def test_a_province_sees_its_own_and_the_old_provinces_merged_into_it() -> None:
    policy.ensure_province_visible(VINH_LONG, "86", Boundary.CURRENT, "province")
    policy.ensure_province_visible(VINH_LONG, "83", Boundary.LEGACY, "province")  # old Bến Tre
    assert (
        status(lambda: policy.ensure_province_visible(DONG_NAI, "86", Boundary.CURRENT, "x")) == 404
    )
    assert (
        status(lambda: policy.ensure_province_visible(VINH_LONG, "83", Boundary.CURRENT, "x"))
        == 404
    )
    policy.ensure_province_visible(NATIONAL, "01", Boundary.CURRENT, "province")


def test_clubs_of_another_province_are_not_found() -> None:
    club = ClubFact(club_id="c", province="86")
    assert policy.ensure_club_visible(VINH_LONG, club) is club
    assert status(lambda: policy.ensure_club_visible(DONG_NAI, club)) == 404
    assert status(lambda: policy.ensure_club_visible(NATIONAL, None)) == 404
    assert status(lambda: policy.ensure_club_visible(NATIONAL, ClubFact(club_id="c"))) == 404


def test_plan_writers() -> None:
    own = PlanDoc.model_validate(plan())
    policy.ensure_plan_writer(NATIONAL, own)
    policy.ensure_plan_writer(VINH_LONG, own)
    assert status(lambda: policy.ensure_plan_writer(DONG_NAI, own)) == 403
    assert status(lambda: policy.ensure_plan_writer(OPS, own)) == 403
    nation = Plan(id="n", scope="nation", province=None, body="{}")
    theirs = Plan(id="t", scope="province", province="75", body="{}")
    # The nation's plan is readable but not a province's to replace; another's is not found.
    assert status(lambda: policy.ensure_may_replace(VINH_LONG, nation, None)) == 403
    assert status(lambda: policy.ensure_may_replace(VINH_LONG, theirs, None)) == 404
    policy.ensure_may_replace(NATIONAL, theirs, None)


def test_report_issuers_and_readers() -> None:
    policy.ensure_report_issuer(VINH_LONG, "province", "86")
    assert status(lambda: policy.ensure_report_issuer(VINH_LONG, "nation", None)) == 403
    assert status(lambda: policy.ensure_report_issuer(DONG_NAI, "province", "86")) == 403
    assert status(lambda: policy.ensure_report_issuer(OPS, "province", "86")) == 403
    report = IssuedReport(id="r", scope="province", province="86", content="{}")
    assert policy.ensure_report_visible(VINH_LONG, report) is report
    assert status(lambda: policy.ensure_report_visible(DONG_NAI, report)) == 404
    assert status(lambda: policy.ensure_report_visible(NATIONAL, None)) == 404
    assert policy.report_collection(NATIONAL, None) is None
    assert status(lambda: policy.report_collection(VINH_LONG, "75")) == 403
