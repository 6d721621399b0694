"""Reporting's OpenAPI, fuzzed under every role, stateless and stateful
(tests/fuzz/harness.py says how), over one club of three members in Vĩnh Long
applied from registry events, a plan and an issued report."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ishc_platform.db import Database
from ishc_reporting.app import create_app
from tests.fuzz.harness import (
    Target,
    check_every_operation,
    check_sequences,
    roles,
    running,
    settings_for,
)
from tests.reporting.conftest import Registry, feeder, plan

pytestmark = pytest.mark.integration


def load(target: Target, database_url: str) -> None:
    registry = Registry()
    club_id = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(club_id, "86", 3, joined_on=date(2021, 1, 1))

    async def apply() -> None:
        db = Database(database_url)
        try:
            await feeder(db).apply_log(registry.log)
        finally:
            await db.dispose()

    asyncio.run(apply())
    national = roles()["national"]
    target.put("/v1/plans/vinh-long-2026", plan(), national)
    report = target.created(
        "/v1/reports", {"scope": "nation", "kind": "year", "year": 2025}, national
    )
    target.ids.update(club_id=club_id, code="86", plan_id="vinh-long-2026", report_id=report["id"])


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp("fuzz-reporting")
    database_url = f"sqlite:///{folder}/reporting.db"
    settings = settings_for(database_url, redis_url)
    with running("reporting", create_app(settings), settings, redis_url) as target:
        load(target, database_url)
        yield target


def test_every_operation_under_every_role(reporting: Target) -> None:
    check_every_operation(reporting)


def test_sequences_follow_the_links(reporting: Target) -> None:
    check_sequences(reporting)
