"""Reporting's access rules for plans and what its routes accept: bounded dates,
no 500 for NUL bytes or garbage, strict bodies, forged cursors, and the security
headers on every dashboard response."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.pagination import encode_cursor
from ishc_reporting.api import dashboard
from tests.reporting.conftest import loaded_client, plan, problem

SECRET = "a" * 48


def bearer(role: Role, *provinces: str) -> dict[str, str]:
    token = issue_token(SECRET, sub="t", role=role, provinces=provinces)
    return {"Authorization": f"Bearer {token}"}


VL, DN = bearer(Role.PROVINCE, "86"), bearer(Role.PROVINCE, "75")
NATIONAL = bearer(Role.NATIONAL)


@pytest.fixture
def client(database_url: str, redis_url: str) -> Iterator[TestClient]:
    """One club of three in Vĩnh Long; server errors come back as 500s, not raised."""
    with loaded_client(
        database_url, redis_url, SECRET, raise_server_exceptions=False
    ) as test_client:
        yield test_client


# -- 6: a province writes only its own plans ------------------------------------------


def test_a_province_cannot_write_another_provinces_plan(client: TestClient) -> None:
    # The hole: Vĩnh Long's token wrote a plan for old Đồng Nai on the legacy map.
    forged = plan(id="vl-on-dong-nai", legacy_province="75")
    problem(client.put("/v1/plans/vl-on-dong-nai", json=forged, headers=VL), 403)
    problem(client.get("/v1/plans/vl-on-dong-nai", headers=NATIONAL), 404)
    legacy = client.get(
        "/v1/indicators/provinces/75",
        params={"as_of": "2026-06-30", "boundary": "legacy"},
        headers=NATIONAL,
    ).json()
    assert legacy["plan"]["default"] is True and legacy["plans"] == []
    # Nobody writes a plan whose old province was not merged into its current one.
    problem(client.put("/v1/plans/vl-on-dong-nai", json=forged, headers=NATIONAL), 422)

    # The old provinces merged into a current one come with it.
    ben_tre = plan(id="ben-tre-2026", legacy_province="83")
    assert client.put("/v1/plans/ben-tre-2026", json=ben_tre, headers=VL).status_code == 201
    binh_phuoc = plan(id="binh-phuoc-2026", province="75", legacy_province="70")
    assert client.put("/v1/plans/binh-phuoc-2026", json=binh_phuoc, headers=DN).status_code == 201
    problem(
        client.put("/v1/plans/vl-bp", json=plan(id="vl-bp", legacy_province="70"), headers=VL), 403
    )

    # Another province's plan, or the nation's, is not overwritten by a province token.
    dong_nai = plan(id="dong-nai-2026", province="75", title="Đồng Nai")
    assert client.put("/v1/plans/dong-nai-2026", json=dong_nai, headers=NATIONAL).status_code == 201
    taken = plan(id="dong-nai-2026", title="Vĩnh Long")
    problem(client.put("/v1/plans/dong-nai-2026", json=taken, headers=VL), 404)
    nation = plan(id="nation", scope="nation", province=None, title="Quốc gia")
    assert client.put("/v1/plans/nation", json=nation, headers=NATIONAL).status_code == 201
    reply = client.put("/v1/plans/nation", json=plan(id="nation", title="VL"), headers=VL)
    assert reply.status_code in (403, 404), reply.text
    assert client.get("/v1/plans/dong-nai-2026", headers=NATIONAL).json()["title"] == "Đồng Nai"
    assert client.get("/v1/plans/nation", headers=NATIONAL).json()["title"] == "Quốc gia"

    # National tokens write any plan.
    moved = plan(id="dong-nai-2026", province="75", legacy_province="70", title="Đồng Nai 2")
    assert client.put("/v1/plans/dong-nai-2026", json=moved, headers=NATIONAL).status_code == 200


# -- 11: dates, numbers and text that no route may choke on -------------------------------

OUT_OF_RANGE = ["0001-01-01", "0026-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]


def indicator_routes(club_id: str) -> list[str]:
    return [
        "/v1/indicators/national",
        "/v1/indicators/provinces",
        "/v1/indicators/provinces/86",
        "/v1/indicators/communes/29623",
        f"/v1/indicators/clubs/{club_id}",
    ]


def test_dates_out_of_range_are_422_naming_the_field(client: TestClient) -> None:
    club = client.club_id  # type: ignore[attr-defined]
    for route in indicator_routes(club):
        for day in OUT_OF_RANGE:
            problem(client.get(route, params={"as_of": day}, headers=NATIONAL), 422, "as_of")
            problem(
                client.get(
                    route, params={"as_of": "2026-01-01", "period_start": day}, headers=NATIONAL
                ),
                422,
                "period_start",
            )
        problem(
            client.get(
                route,
                params={"as_of": "2026-01-01", "period_start": "2026-02-01"},
                headers=NATIONAL,
            ),
            422,
            "period_start",
        )
        for age in ("-1", "0", "200", "99999999999999999999999999", "sixty", "60.5"):
            problem(
                client.get(route, params={"older_age": age}, headers=NATIONAL), 422, "older_age"
            )
    # The ends of the range are answered.
    for day in ("1900-01-01", "2100-12-31"):
        reply = client.get("/v1/indicators/provinces/86", params={"as_of": day}, headers=NATIONAL)
        assert reply.status_code == 200, reply.text


def test_dashboard_dates_out_of_range_are_422_pages(client: TestClient) -> None:
    club = client.club_id  # type: ignore[attr-defined]
    pages = ["/dashboard", "/dashboard/provinces/86", "/dashboard/communes/29623"]
    for page in [*pages, f"/dashboard/clubs/{club}"]:
        for day in OUT_OF_RANGE:
            reply = client.get(page, params={"as_of": day})
            assert reply.status_code == 422, (page, day, reply.status_code)
            assert "as_of" in reply.text
            assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]


def test_nul_bytes_and_garbage_are_never_a_500(client: TestClient) -> None:
    garbage = ["%00", "a%00b", "%FF%FE", "x" * 300, "%E2%80%AE", "..%2F..%2Fetc"]
    for junk in garbage:
        for path in (
            f"/v1/plans/{junk}",
            f"/v1/reports/{junk}",
            f"/v1/reports/{junk}.csv",
            f"/v1/reports/{junk}.xlsx",
            f"/v1/indicators/clubs/{junk}",
            f"/v1/indicators/provinces/{junk}",
            f"/v1/indicators/communes/{junk}",
            f"/dashboard/clubs/{junk}",
            f"/dashboard/provinces/{junk}",
            f"/dashboard/communes/{junk}",
        ):
            reply = client.get(path, headers=NATIONAL)
            assert reply.status_code in (404, 422), (path, reply.status_code, reply.text[:300])
        reply = client.put(f"/v1/plans/{junk}", json=plan(), headers=NATIONAL)
        assert reply.status_code in (404, 422), (junk, reply.status_code)
    for junk in ("\x00", "a\x00b", "\ufffe", "current\x00"):
        for path, name in (
            ("/v1/indicators/provinces", "boundary"),
            ("/v1/plans", "province"),
            ("/v1/reports", "province"),
            ("/v1/reports", "cursor"),
        ):
            problem(client.get(path, params={name: junk}, headers=NATIONAL), 422, name)
        for path in ("/dashboard", "/dashboard/provinces/86", "/dashboard/rollout"):
            for name in ("lang", "boundary", "as_of"):
                reply = client.get(path, params={name: junk})
                assert reply.status_code in (200, 422), (path, name, reply.status_code)
        problem(client.get("/v1/plans/vinh-long-2026", params={"x": junk}, headers=NATIONAL), 404)


def forged_cursors() -> list[str]:
    def raw(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return [
        encode_cursor({"before": 5}),
        encode_cursor({"before": ["x"]}),
        encode_cursor({"before": {"a": 1}}),
        encode_cursor({"before": None}),
        encode_cursor({"before": "\x00"}),
        encode_cursor({"before": "z" * 400}),
        encode_cursor({"after": "x"}),
        raw(b"[1, 2]"),
        raw(b"\xff\xfe\x00"),
        raw(b"not json"),
        "!!!not-base64!!!",
        "%00",
    ]


def test_a_forged_cursor_is_422_naming_cursor(client: TestClient) -> None:
    # Needs libs/platform's decode_cursor to check value types (pagination.py).
    for cursor in forged_cursors():
        reply = client.get("/v1/reports", params={"cursor": cursor}, headers=NATIONAL)
        problem(reply, 422, "cursor")


# -- 15: strict bodies ------------------------------------------------------------------


def test_bodies_name_only_known_fields_and_plan_dates_are_bounded(client: TestClient) -> None:
    report = {"scope": "nation", "kind": "year", "year": 2025}
    problem(
        client.post("/v1/reports", json={**report, "colour": "red"}, headers=NATIONAL),
        422,
        "colour",
    )
    problem(client.put("/v1/plans/vinh-long-2026", json=plan(colour="red"), headers=VL), 422)
    nested = plan(targets=[{"indicator": "clubs", "value": "1", "by": "2026-12-31", "x": 1}])
    problem(client.put("/v1/plans/vinh-long-2026", json=nested, headers=VL), 422, "targets[0].x")
    for field, day in (("period_start", "0001-01-01"), ("period_end", "9999-12-31")):
        problem(
            client.put("/v1/plans/vinh-long-2026", json=plan(**{field: day}), headers=VL),
            422,
            field,
        )
    far = plan(targets=[{"indicator": "clubs", "value": "1", "by": "9999-12-31"}])
    problem(client.put("/v1/plans/vinh-long-2026", json=far, headers=VL), 422, "targets[0].by")
    baseline = plan(baseline={"as_of": "0026-01-01"})
    problem(
        client.put("/v1/plans/vinh-long-2026", json=baseline, headers=VL), 422, "baseline.as_of"
    )
    problem(
        client.put("/v1/plans/vinh-long-2026", json=plan(title="Kế\x00hoạch"), headers=VL),
        422,
        "title",
    )
    problem(client.put("/v1/plans/vinh-long-2026", json=plan(title="   "), headers=VL), 422)
    assert client.get("/v1/plans", headers=NATIONAL).json()["items"] == []
    assert client.post("/v1/reports", json=report, headers=NATIONAL).status_code == 201


# -- 16: the dashboard's security headers on every response ---------------------------------


def security_headers_present(reply: Any) -> bool:
    policy = reply.headers.get("content-security-policy", "")
    return (
        "frame-ancestors 'none'" in policy
        and "default-src 'none'" in policy
        and reply.headers.get("x-content-type-options") == "nosniff"
    )


def sample_path(route: APIRoute, club_id: str) -> str:
    values = {"code": "86", "club_id": club_id, "name": "dashboard.css", "rest": "nowhere"}
    path = route.path_format
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def test_every_dashboard_response_sends_the_security_headers(
    tmp_path: Path, redis_url: str
) -> None:
    from tests.reporting.integration.test_dashboard import start

    loaded = start(tmp_path, redis_url, public=True)
    secret = "d" * 48  # test_dashboard's
    national = issue_token(secret, sub="vae", role=Role.NATIONAL)
    seen = 0
    with TestClient(loaded.client.app, raise_server_exceptions=False) as client:
        for route in dashboard.router.routes:
            assert isinstance(route, APIRoute)
            path = sample_path(route, loaded.club_id)
            for method in sorted(route.methods or ()):
                data = {"token": national} if path.endswith("sign-in") else None
                for params in ({}, {"as_of": "0001-01-01"}, {"boundary": "x"}, {"lang": "x" * 50}):
                    reply = client.request(
                        method, path, params=params, data=data, follow_redirects=False
                    )
                    assert security_headers_present(reply), (method, path, params, reply)
                    seen += 1
                client.cookies.clear()
        for path in (
            "/dashboard/provinces/99",
            "/dashboard/clubs/" + str(uuid.uuid4()),
            "/dashboard/static/app.py",
            "/dashboard/no-such-page",
        ):
            reply = client.get(path)
            assert reply.status_code == 404 and security_headers_present(reply), path
        bad_bearer = client.get("/dashboard", headers={"Authorization": "Bearer forged"})
        assert bad_bearer.status_code == 401 and security_headers_present(bad_bearer)
        refused = client.post("/dashboard/sign-in", data={"token": "nonsense"})
        assert refused.status_code == 401 and security_headers_present(refused)
        missing = client.post("/dashboard/sign-in", data={})
        assert missing.status_code == 422 and security_headers_present(missing)
        asset = client.get("/dashboard/static/live.js")
        assert asset.headers["cache-control"] == "public, max-age=300"
    assert seen >= 40

    (tmp_path / "closed").mkdir()
    with start(tmp_path / "closed", redis_url, public=False).client as closed:
        redirect = closed.get("/dashboard", follow_redirects=False)
        assert redirect.status_code == 303 and security_headers_present(redirect)
        form = closed.get(redirect.headers["location"])
        assert form.status_code == 200 and security_headers_present(form)
