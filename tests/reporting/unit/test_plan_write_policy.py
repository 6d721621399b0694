"""Which plans a province token may write (`domain.plans.province_may_write`)."""

from __future__ import annotations

from ishc_reporting.domain.plans import PlanDoc, plan_provinces, province_may_write
from tests.reporting.conftest import plan


def test_the_write_policy_takes_the_legacy_provinces_merged_into_a_province() -> None:
    vinh_long = frozenset({"86"})
    mine = PlanDoc.model_validate(plan(legacy_province="83"))  # old Bến Tre, now in 86
    assert plan_provinces(mine) == ({"86"}, {"83"})
    assert province_may_write(mine, vinh_long)
    theirs = PlanDoc.model_validate(plan(legacy_province="75"))  # old Đồng Nai
    assert not province_may_write(theirs, vinh_long)
    assert province_may_write(theirs, frozenset({"86", "75"}))
    assert not province_may_write(PlanDoc.model_validate(plan(province="75")), vinh_long)
    nation = PlanDoc.model_validate(plan(id="nation", scope="nation", province=None))
    assert not province_may_write(nation, frozenset({"86", "75"}))
