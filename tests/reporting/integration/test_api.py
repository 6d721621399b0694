"""The reporting API over HTTP: who may read what, plans, and precise errors."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from tests.reporting.conftest import loaded_client, plan, problem

SECRET = "p" * 48


def bearer(role: Role, *provinces: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub='t', role=role, provinces=provinces)}"
    }


VL, DN = bearer(Role.PROVINCE, "86"), bearer(Role.PROVINCE, "75")
NATIONAL, OPS = bearer(Role.NATIONAL), bearer(Role.OPS)


@pytest.fixture
def client(database_url: str, redis_url: str) -> Iterator[TestClient]:
    with loaded_client(database_url, redis_url, SECRET) as test_client:
        yield test_client


def test_tokens_decide_what_is_seen(client: TestClient) -> None:
    assert client.get("/v1/indicators/provinces").status_code == 401
    problem(client.get("/v1/indicators/provinces", headers=OPS), 403)
    mine = client.get("/v1/indicators/provinces", headers=VL).json()
    assert [r["code"] for r in mine["provinces"]] == ["86"]
    assert len(client.get("/v1/indicators/provinces", headers=NATIONAL).json()["provinces"]) == 34
    problem(client.get("/v1/indicators/provinces/86", headers=DN), 404)
    problem(client.get("/v1/indicators/communes/29623", headers=DN), 404)
    club = client.club_id  # type: ignore[attr-defined]
    problem(client.get(f"/v1/indicators/clubs/{club}", headers=DN), 404)
    assert (
        client.get(f"/v1/indicators/clubs/{club}", headers=VL).json()["indicators"]["members"] == 3
    )
    problem(client.get("/v1/indicators/national", headers=VL), 403)
    nation = client.get("/v1/indicators/national", headers=NATIONAL).json()
    assert nation["indicators"]["members"] == 3 and nation["indicators"]["provinces"] == 34
    commune = client.get("/v1/indicators/communes/29623", headers=VL).json()
    assert commune["name"] == "Xã Nhơn Phú" and commune["clubs"][0]["name"] == "CLB Nhơn Phú"


def test_bad_queries_are_problems_naming_the_field(client: TestClient) -> None:
    problem(
        client.get("/v1/indicators/provinces", params={"as_of": "2026-13-01"}, headers=NATIONAL),
        422,
        "as_of",
    )
    problem(
        client.get("/v1/indicators/provinces", params={"boundary": "old"}, headers=NATIONAL),
        422,
        "boundary",
    )
    problem(
        client.get("/v1/indicators/provinces", params={"older_age": 20}, headers=NATIONAL),
        422,
        "older_age",
    )
    problem(
        client.get(
            "/v1/indicators/provinces",
            params={"as_of": "2026-01-01", "period_start": "2026-02-01"},
            headers=NATIONAL,
        ),
        422,
        "period_start",
    )
    problem(client.get("/v1/indicators/provinces/8", headers=NATIONAL), 422, "code")
    problem(client.get("/v1/indicators/provinces/99", headers=NATIONAL), 404)


def test_plans_are_written_by_their_province_or_the_nation(client: TestClient) -> None:
    assert client.put("/v1/plans/vinh-long-2026", json=plan(), headers=VL).status_code == 201
    assert client.put("/v1/plans/vinh-long-2026", json=plan(), headers=VL).status_code == 200
    problem(client.put("/v1/plans/vinh-long-2026", json=plan(), headers=DN), 403)
    problem(
        client.put(
            "/v1/plans/nation", json=plan(id="nation", scope="nation", province=None), headers=VL
        ),
        403,
    )
    assert (
        client.put(
            "/v1/plans/nation",
            json=plan(id="nation", scope="nation", province=None),
            headers=NATIONAL,
        ).status_code
        == 201
    )
    problem(client.get("/v1/plans/vinh-long-2026", headers=DN), 404)
    assert (
        client.get("/v1/plans/vinh-long-2026", headers=NATIONAL).json()["title"] == "Kế hoạch 2026"
    )
    listed = client.get("/v1/plans", headers=DN).json()["items"]
    assert [p["id"] for p in listed] == ["nation"]
    problem(client.get("/v1/plans", params={"province": "86"}, headers=DN), 403)
    detail = client.get(
        "/v1/indicators/provinces/86", params={"as_of": "2026-06-30"}, headers=VL
    ).json()
    (own,) = detail["plans"]
    assert own["id"] == "vinh-long-2026" and own["territory"]["boundary"] == "current"
    (clubs,) = own["targets"]
    assert {k: clubs[k] for k in ("indicator", "from", "by", "measured_on", "value")} == {
        "indicator": "clubs",
        "from": "2026-01-01",  # the plan gives no window: its own start
        "by": "2026-12-31",
        "measured_on": "2026-06-30",
        "value": 1,
    }
    assert (clubs["target"], clubs["gap"]) == ("10", "9")
    progress = client.get(
        "/v1/plans/vinh-long-2026/progress", params={"as_of": "2026-06-30"}, headers=VL
    )
    assert progress.status_code == 200, progress.text
    assert progress.json()["targets"] == own["targets"]
    problem(client.get("/v1/plans/vinh-long-2026/progress", headers=DN), 404)
    problem(
        client.get("/v1/plans/vinh-long-2026/progress", params={"as_of": "0001-01-01"}, headers=VL),
        422,
        "as_of",
    )


def test_a_bad_plan_changes_nothing(client: TestClient) -> None:
    problem(
        client.put("/v1/plans/x1", json=plan(id="x1", period_end="2025-01-01"), headers=NATIONAL),
        422,
    )
    problem(
        client.put("/v1/plans/x2", json=plan(id="x2", province="99"), headers=NATIONAL),
        422,
        "province",
    )
    problem(
        client.put(
            "/v1/plans/x3",
            json=plan(
                id="x3", targets=[{"indicator": "happiness", "value": "1", "by": "2026-01-01"}]
            ),
            headers=NATIONAL,
        ),
        422,
        "targets[0].indicator",
    )
    problem(client.put("/v1/plans/other", json=plan(), headers=NATIONAL), 422, "id")
    # Each target's window is measured on every page: a plan holds at most 60.
    many = [
        {"indicator": "new_clubs", "value": "1", "from": f"2026-01-{d:02d}", "by": "2026-12-31"}
        for d in range(1, 31)
    ] * 3
    problem(client.put("/v1/plans/x4", json=plan(id="x4", targets=many), headers=NATIONAL), 422)
    band = {"indicator": "new_members_older_share", "value": "70", "value_max": "60"}
    problem(
        client.put(
            "/v1/plans/x5",
            json=plan(id="x5", targets=[{**band, "by": "2026-12-31"}]),
            headers=NATIONAL,
        ),
        422,
    )
    assert client.get("/v1/plans", headers=NATIONAL).json()["items"] == []


def test_the_committed_plan_files_load_and_read_as_written(client: TestClient) -> None:
    files = sorted((Path(__file__).parents[3] / "services/reporting/plans").glob("*.toml"))
    assert len(files) >= 4
    for path in files:
        body = jsonable_encoder(tomllib.loads(path.read_text()))
        reply = client.put(f"/v1/plans/{body['id']}", json=body, headers=NATIONAL)
        assert reply.status_code in (200, 201), (path.name, reply.text)
    vinh_long = client.get("/v1/plans/vinh-long-2016-2020", headers=NATIONAL).json()
    assert vinh_long["baseline"]["clubs"] == 21
    assert vinh_long["baseline"]["communes"] == 109
    assert vinh_long["baseline"]["coverage_percent"] == "19.26"
    assert vinh_long["commune_count"] == 109
    # On the old map in 2020 the plan is in force: its coverage is over its own 109 communes.
    old = client.get(
        "/v1/indicators/provinces/86",
        params={"as_of": "2020-12-31", "boundary": "legacy"},
        headers=NATIONAL,
    ).json()
    assert old["plan"]["id"] == "vinh-long-2016-2020"
    assert old["indicators"]["communes"] == 109  # one denominator: the plan's
    assert "102" in old["communes_note"]
    (measured,) = old["plans"]
    targets = {(t["indicator"], t["from"], t["by"]): t for t in measured["targets"]}
    assert targets[("coverage", "2016-01-01", "2020-12-31")]["target"] == "50"
    assert targets[("communes_with_club", "2016-01-01", "2020-12-31")]["target"] == "55"
    # The 34 of 2017-2020 is measured beside the 17 of 2019-2020 with the same deadline.
    assert targets[("new_clubs", "2017-01-01", "2020-12-31")]["target"] == "34"
    assert targets[("new_clubs", "2019-01-01", "2020-12-31")]["target"] == "17"
    assert measured["territory"] == {
        "boundary": "legacy",
        "province": "86",
        "name": measured["territory"]["name"],
        "communes": 109,
        "communes_in_package": 102,
        "communes_note": old["communes_note"],
    }
    # On the current map the page is new Vĩnh Long, judged by the default plan, while
    # the 2016-2020 plan is still measured over old Vĩnh Long's 109 communes.
    new = client.get(
        "/v1/indicators/provinces/86", params={"as_of": "2020-12-31"}, headers=NATIONAL
    ).json()
    assert new["plan"]["default"] is True and new["communes_note"] is None
    assert new["indicators"]["communes"] == 124
    assert new["plans"] == old["plans"]
    # The plan states no band for younger members: not assessed under it.
    assert old["indicators"]["shares"]["young_ok"] is None
    assert old["indicators"]["clubs_meeting"]["young_ok"] is None
    # Today no Vĩnh Long plan is in force: the stated default, no target, rather than
    # an expired one (the ended plan is reviewed through its own progress).
    today = client.get("/v1/indicators/provinces/86", headers=NATIONAL).json()
    assert today["plan"]["id"] == "default" and today["plan"]["default"] is True
    assert today["plans"] == []
    review = client.get("/v1/plans/vinh-long-2016-2020/progress", headers=NATIONAL).json()
    assert {t["status"] for t in review["targets"]} <= {"met", "missed", "not_measured"}
    assert all(t["measured_on"] == t["by"] for t in review["targets"] if t["value"] is not None)
    # The nation is assessed against every national plan in force: 1336 and 1648
    # overlap from 01/08 to 31/12/2025.
    nation = client.get(
        "/v1/indicators/national", params={"as_of": "2025-09-30"}, headers=NATIONAL
    ).json()
    assert [p["id"] for p in nation["plans"]] == ["national-2021-2025", "national-2025-2035"]


def test_one_command_loads_the_plan_files_and_rerunning_changes_nothing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ishc_reporting.cli import app

    files = sorted(
        str(p) for p in (Path(__file__).parents[3] / "services/reporting/plans").glob("*.toml")
    )
    url = f"sqlite:///{tmp_path}/reporting.db"
    runner = CliRunner()
    first = runner.invoke(app, ["plans", "load", *files, "--database-url", url])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["plans", "load", *files, "--database-url", url])
    assert again.exit_code == 0 and "replaced vinh-long-2016-2020" in again.output
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nscope = "province"\n')
    refused = runner.invoke(app, ["plans", "load", str(bad), "--database-url", url])
    assert refused.exit_code != 0 and "bad.toml" in refused.output


def test_rollout_shows_which_provinces_are_live(client: TestClient) -> None:
    reply = client.get("/v1/rollout", headers=NATIONAL)
    assert reply.status_code == 200
    rows = {r["code"]: r for r in reply.json()["provinces"]}
    assert len(rows) == 34
    vinh_long, dong_nai = rows["86"], rows["75"]
    assert vinh_long["clubs"] == 1 and vinh_long["members"] == 3
    assert vinh_long["last_data_at"] is not None and vinh_long["live"] is True
    assert vinh_long["reporting_rate"] == "0.00"  # no meeting recorded for last month
    assert dong_nai["clubs"] == 0 and dong_nai["last_data_at"] is None and dong_nai["live"] is False
    mine = client.get("/v1/rollout", headers=VL).json()["provinces"]
    assert [r["code"] for r in mine] == ["86"]
    problem(client.get("/v1/rollout", headers=OPS), 403)


def test_metrics_carry_the_projection_and_national_indicators(client: TestClient) -> None:
    import time

    deadline = time.monotonic() + 5
    text = ""
    while time.monotonic() < deadline:
        text = client.get("/metrics").text
        if 'ishc_reporting_members{province="86"} 3.0' in text:
            break
        time.sleep(0.1)
    assert 'ishc_reporting_members{province="86"} 3.0' in text
    assert 'ishc_reporting_active_clubs{province="86"} 1.0' in text
    assert 'ishc_reporting_coverage_percent{province="86"} 0.8' in text
    assert "ishc_reporting_projection_staleness_seconds" in text
