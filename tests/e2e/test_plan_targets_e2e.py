"""The registry and reporting as real processes over HTTP, on a real Redis: the
Vĩnh Long 2016–2020 plan is measured the way it was written, over old Vĩnh Long
(legacy province 86) with the plan's own 109 communes, whatever page shows it.

21 clubs in 21 different old communes of old Vĩnh Long, founded up to
31/12/2016, are the plan's baseline: "21 câu lạc bộ ... tại 109 xã, phường, thị
trấn (tỷ lệ 19,26%)" (DOMAIN.md; 21 / 109 = 19.266…%, truncated). The figure
reads 19.26 on the page of new Vĩnh Long (current map), on the page of old Vĩnh
Long (legacy map), in the plan's own progress, on the dashboard ("19,26") and in
the report issued for 2016; a club in old Bến Tre (merged into new Vĩnh Long too)
does not move it. In mid-2018 the 2017–2018 phase counts the clubs founded from
01/01/2017, and keeping the 21 running reads 100% until one is dissolved."""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ishc_platform.admin_units import Boundary, communes_of_province, successors_of_legacy_commune
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import set_clock_start
from tests.helpers.e2e import running_services
from tests.helpers.e2e import wait_for as shared_wait_for
from tests.helpers.services import ServiceProcess

pytestmark = pytest.mark.e2e
SECRET = "e" * 48
# 23:30 on 30/11/2026 in Vietnam (16:30 UTC), as in test_reporting_e2e.py.
CLOCK_START = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
PLAN_ID = "vinh-long-2016-2020"
PLAN_FILE = Path(__file__).resolve().parents[2] / "services/reporting/plans" / f"{PLAN_ID}.toml"
BASELINE = "2016-12-31"
MID_2018 = "2018-06-30"
# Old communes split among several new ones: the current commune is given too
# (registry: "give the current commune_code, one of its successors"). 29719 (Thị
# trấn Tam Bình) goes to 29836 (Xã Trà Côn), where 29839 (Xã Tân Mỹ) went too.
SPLIT_CHOICE = {
    "29719": "29836",
    "29764": "29767",
    "29770": "29770",
    "29771": "29771",
    "29821": "29821",
}
BEN_TRE_COMMUNE = "28756"  # Phường Phú Khương, old Bến Tre (legacy 83), now in new Vĩnh Long


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[dict[str, ServiceProcess]]:
    names = ("registry", "reporting")
    with running_services(
        names, tmp_path, redis_url, secret=SECRET, clock_start=CLOCK_START
    ) as started:
        yield started


@pytest.fixture(autouse=True)
def services_clock() -> None:
    """This process's clock as the services have it, so their tokens are current."""
    set_clock_start(CLOCK_START)


def token(role: Role, *provinces: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub='e2e', role=role, provinces=provinces)}"
    }


def vl() -> dict[str, str]:
    return token(Role.PROVINCE, "86")


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(path, json=body, headers=vl())
    assert reply.status_code in (200, 201), reply.text
    return dict(reply.json())


def wait_for(read: Callable[[], Any], expected: Any, seconds: float = 30.0) -> Any:
    return shared_wait_for(read, expected, seconds, every=0.2)


def plan_body() -> dict[str, Any]:
    """The committed plan file as JSON (dates as ISO strings)."""
    with PLAN_FILE.open("rb") as file:
        plan = tomllib.load(file)
    body: dict[str, Any] = json.loads(json.dumps(plan, default=lambda d: d.isoformat()))
    return body


def old_vinh_long() -> tuple[list[tuple[str, str | None]], list[str]]:
    """The 21 old communes of the baseline, each with the current commune to give
    when it was split (None: its one successor), and 5 other old communes for
    the clubs of 2017: picked from the package's list of old Vĩnh Long."""
    units = communes_of_province("86", Boundary.LEGACY)
    assert len(units) == 102  # the package's (mid-2025) list; the plan counts 109
    single = [u.code for u in units if len(successors_of_legacy_commune(u.code)) == 1]
    split = [u.code for u in units if len(successors_of_legacy_commune(u.code)) > 1]
    assert sorted(split) == sorted(SPLIT_CHOICE)
    baseline: list[tuple[str, str | None]] = [(code, None) for code in single[0:96:6]]
    baseline += [(code, SPLIT_CHOICE[code]) for code in split]
    later = single[3:96:6][:5]
    assert len(baseline) == 21 and len({c for c, _ in baseline} | set(later)) == 26
    return baseline, later


# Founding dates of the 21: one in 2015, three on 31/12/2016 itself (the
# baseline's day: a club counts from its founding day), the rest during 2016.
BASELINE_FOUNDED = (
    ["2015-06-15", "2016-12-31", "2016-12-31", "2016-12-31"]
    + [f"2016-{month:02d}-15" for month in range(1, 13)]
    + ["2016-02-29", "2016-07-01", "2016-09-30", "2016-11-30", "2016-12-30"]
)
# The five of 2017, from the first day of the 2017-2018 phase (01/01/2017) on:
# none counts on 31/12/2016.
FOUNDED_2017 = ["2017-01-01", "2017-03-15", "2017-06-15", "2017-09-15", "2017-12-31"]


def target(plans: list[dict[str, Any]], indicator: str, **where: Any) -> dict[str, Any]:
    """The one target of the Vĩnh Long plan for `indicator` (and `where`)."""
    (plan,) = [p for p in plans if p["id"] == PLAN_ID]
    found = [
        t
        for t in plan["targets"]
        if t["indicator"] == indicator and all(t[k] == v for k, v in where.items())
    ]
    assert len(found) == 1, (indicator, where, plan["targets"])
    return found[0]


def test_the_vinh_long_plan_reads_its_baseline_and_phases(
    services: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    registry = httpx.Client(base_url=services["registry"].url, timeout=30)
    reporting = httpx.Client(base_url=services["reporting"].url, timeout=60)
    started = time.monotonic()

    reply = reporting.put(f"/v1/plans/{PLAN_ID}", json=plan_body(), headers=token(Role.NATIONAL))
    assert reply.status_code == 201, reply.text

    baseline, later = old_vinh_long()
    assert len(BASELINE_FOUNDED) == 21
    clubs: list[str] = []
    for (legacy, current), founded in zip(baseline, BASELINE_FOUNDED, strict=True):
        body: dict[str, Any] = {
            "name": f"CLB liên thế hệ {legacy}",
            "legacy_commune_code": legacy,
            "founded_on": founded,
        }
        if current is not None:
            body["commune_code"] = current
        club = post(registry, "/v1/clubs", body)
        assert club["province"] == "86" and club["legacy_commune_code"] == legacy
        clubs.append(club["id"])
    for legacy, founded in zip(later, FOUNDED_2017, strict=True):
        post(registry, "/v1/clubs", {"name": f"CLB liên thế hệ {legacy}",
                                     "legacy_commune_code": legacy,
                                     "founded_on": founded})  # fmt: skip

    def page(as_of: str, boundary: str, code: str = "86") -> dict[str, Any]:
        reply = reporting.get(
            f"/v1/indicators/provinces/{code}",
            params={"as_of": as_of, "boundary": boundary},
            headers=vl(),
        )
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def progress(as_of: str) -> dict[str, Any]:
        reply = reporting.get(
            f"/v1/plans/{PLAN_ID}/progress", params={"as_of": as_of}, headers=vl()
        )
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    # All 26 clubs have reached reporting (the 2017 ones are active in mid-2018).
    assert wait_for(lambda: page(MID_2018, "legacy")["indicators"]["clubs"], 26) == 26

    def check_baseline(clubs_on_current_page: int, current_communes_with_club: int) -> None:
        # -- the page of new Vĩnh Long (current map): 124 communes of its own --
        current = page(BASELINE, "current")
        assert current["plan"]["default"] is True  # no plan of new Vĩnh Long as a whole
        ind = current["indicators"]
        assert ind["clubs"] == clubs_on_current_page
        assert ind["communes"] == 124
        assert ind["communes_with_club"] == current_communes_with_club
        # ... and the plan, measured over old Vĩnh Long with its own 109 communes
        (plan,) = [p for p in current["plans"] if p["id"] == PLAN_ID]
        territory = plan["territory"]
        assert territory["boundary"] == "legacy" and territory["province"] == "86"
        assert territory["communes"] == 109
        assert territory["communes_in_package"] == 102
        assert territory["communes_note"]  # why 109 and not 102
        coverage = target(current["plans"], "coverage")
        assert coverage["value"] == "19.26"  # 21 / 109 = 19.266…%, truncated
        assert coverage["measured_on"] == BASELINE
        assert coverage["target"] == "50" and coverage["by"] == "2020-12-31"
        # The straight path starts at the printed baseline on its own day.
        assert coverage["expected"] == "19.26" and coverage["status"] == "on_track"
        assert target(current["plans"], "communes_with_club")["value"] == 21

        # -- the page of old Vĩnh Long (legacy map): the plan's own territory --
        legacy = page(BASELINE, "legacy")
        assert legacy["plan"]["id"] == PLAN_ID and legacy["plan"]["default"] is False
        assert legacy["communes_note"]
        ind = legacy["indicators"]
        assert ind["clubs"] == 21
        assert ind["communes"] == 109
        assert ind["communes_with_club"] == 21
        assert ind["coverage"] == "19.26"
        assert target(legacy["plans"], "coverage")["value"] == "19.26"
        assert target(legacy["plans"], "coverage") == coverage  # one figure, whatever page

        # -- the plan's own progress --
        alone = progress(BASELINE)
        assert alone["territory"]["communes"] == 109
        assert target([alone], "coverage")["value"] == "19.26"

    # 21 old communes lie in 19 current ones: 29659 and 29695 both went to 29659,
    # 29839 and 29719 (as registered) to 29836. So the current page reads 19 of
    # 124 (15.32%), and the plan still 21 of 109.
    check_baseline(clubs_on_current_page=21, current_communes_with_club=19)
    assert page(BASELINE, "current")["indicators"]["coverage"] == "15.32"

    # A 22nd club, in old Bến Tre (merged into new Vĩnh Long too), founded in 2016:
    # on the current page it is a 22nd club in a 20th commune (20 / 124 = 16.12%),
    # but not in old Vĩnh Long, so the plan's figure does not move.
    post(registry, "/v1/clubs", {"name": "CLB liên thế hệ Phú Khương",
                                 "legacy_commune_code": BEN_TRE_COMMUNE,
                                 "founded_on": "2016-05-20"})  # fmt: skip
    assert wait_for(lambda: page(BASELINE, "current")["indicators"]["clubs"], 22) == 22
    assert page(BASELINE, "legacy", "83")["indicators"]["clubs"] == 1
    check_baseline(clubs_on_current_page=22, current_communes_with_club=20)
    assert page(BASELINE, "current")["indicators"]["coverage"] == "16.12"

    # -- the report for the year 2016 of province 86, read back as issued --
    for boundary in ("current", "legacy"):
        issued = post(reporting, "/v1/reports", {"scope": "province", "province": "86",
                                                 "kind": "year", "year": 2016,
                                                 "boundary": boundary})  # fmt: skip
        assert issued["as_of"] == BASELINE and issued["period_start"] == "2016-01-01"
        report = reporting.get(issued["links"]["self"], headers=vl())
        assert report.status_code == 200, report.text
        figures = report.json()["figures"]
        assert target(figures["plans"], "coverage")["value"] == "19.26"
        if boundary == "legacy":
            assert figures["indicators"]["coverage"] == "19.26"
            assert figures["indicators"]["communes"] == 109
        csv_file = reporting.get(issued["links"]["csv"], headers=vl())
        assert csv_file.status_code == 200, csv_file.text
        assert "19,26" in csv_file.text or "19.26" in csv_file.text, csv_file.text

    # -- mid-2018: the 2017-2018 phase and the 21 kept running --
    mid = page(MID_2018, "current")
    phase = target(mid["plans"], "new_clubs", **{"from": "2017-01-01", "by": "2018-12-31"})
    assert phase["target"] == "17"
    assert phase["value"] == 5  # the five founded 01/01/2017–31/12/2017
    assert phase["measured_on"] == MID_2018
    # From 0 on 31/12/2016 to 17 on 31/12/2018 (730 days); 30/06/2018 is day 546:
    # 17 × 546 / 730 = 12.71…, a count, truncated to 12. 5 < 12: behind, 12 to go.
    assert phase["expected"] == 12
    assert phase["status"] == "behind"
    assert phase["gap"] == "12"
    later_phase = target(mid["plans"], "new_clubs", **{"from": "2019-01-01"})
    assert later_phase["status"] == "not_started" and later_phase["value"] is None

    retained = target(mid["plans"], "clubs_retained")
    assert retained["value"] == "100.00"  # all 21 of 31/12/2016 still active
    assert target([progress(MID_2018)], "clubs_retained")["value"] == "100.00"

    # The 2015 club is dissolved on 15/01/2018: 20 of the 21 remain, 95.238…% → 95.23.
    reply = registry.post(
        f"/v1/clubs/{clubs[0]}/dissolve",
        json={"dissolved_on": "2018-01-15", "reason": "giải thể"},
        headers=vl(),
    )
    assert reply.status_code in (200, 201), reply.text

    def retained_mid_2018() -> Any:
        return target(page(MID_2018, "current")["plans"], "clubs_retained")["value"]

    assert wait_for(retained_mid_2018, "95.23") == "95.23"
    assert target([progress(MID_2018)], "clubs_retained")["value"] == "95.23"
    assert target(page(MID_2018, "legacy")["plans"], "clubs_retained")["value"] == "95.23"
    # The baseline, read on its own day, is what it was.
    assert target(page(BASELINE, "current")["plans"], "coverage")["value"] == "19.26"

    # -- the dashboard's province page, public (no token), on 31/12/2016 (what was
    # dissolved in 2018 was still active then) --
    for boundary in ("legacy", "current"):
        html = reporting.get(
            "/dashboard/provinces/86", params={"as_of": BASELINE, "boundary": boundary}
        )
        assert html.status_code == 200, html.text[-2000:]
        assert "19,26" in html.text, f"no 19,26 on the {boundary} dashboard page"

    print(f"plan targets e2e: {time.monotonic() - started:.1f}s after the services started")
