"""The registry's OpenAPI, fuzzed under every role, stateless and stateful
(tests/fuzz/harness.py says how), over a club and a member loaded through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ishc_registry.app import create_app
from tests.fuzz.harness import (
    Target,
    check_every_operation,
    check_sequences,
    roles,
    running,
    settings_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp("fuzz-registry")
    settings = settings_for(f"sqlite:///{folder}/registry.db", redis_url)
    with running("registry", create_app(settings), settings, redis_url) as target:
        province = roles()["province"]
        club = target.created(
            "/v1/clubs",
            {"name": "CLB Nhơn Phú", "commune_code": "29623", "founded_on": "2018-03-15"},
            province,
        )
        member = target.created(
            f"/v1/clubs/{club['id']}/members",
            {
                "full_name": "Nguyễn Thị Lan",
                "sex": "female",
                "birth_year": 1952,
                "poverty_status": "near_poor",
                "joined_on": "2019-01-10",
            },
            province,
        )
        target.ids.update(club_id=club["id"], member_id=member["id"], kind="members")
        yield target


def test_every_operation_under_every_role(registry: Target) -> None:
    check_every_operation(registry)


def test_sequences_follow_the_links(registry: Target) -> None:
    check_sequences(registry)
