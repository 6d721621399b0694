"""The registry's OpenAPI, fuzzed under every role, stateless and stateful
(tests/fuzz/harness.py says how), over a club and a member loaded through the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.harness import (
    Target,
    check_every_operation,
    check_sequences,
    registry_with_a_member,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Target]:
    with registry_with_a_member(tmp_path_factory.mktemp("fuzz-registry"), redis_url) as target:
        target.ids.update(kind="members")
        yield target


def test_every_operation_under_every_role(registry: Target) -> None:
    check_every_operation(registry)


def test_sequences_follow_the_links(registry: Target) -> None:
    check_sequences(registry)
