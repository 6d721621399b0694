"""The tiers are kept at collection (tests/helpers/tiers.py): shown on a throwaway
test tree, without a server."""

from __future__ import annotations

import pytest

from tests.helpers import tiers

pytest_plugins = ["pytester"]


@pytest.fixture
def tree(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def redis_url():
            return "redis://nowhere"

        @pytest.fixture
        def client(redis_url):
            return redis_url
        """
    )
    for tier in ("unit", "integration"):
        folder = pytester.path / "area" / tier
        folder.mkdir(parents=True)
        (folder / f"test_{tier}.py").write_text(
            "def test_pure():\n    pass\n\n\ndef test_served(client):\n    pass\n"
        )
    return pytester


def run(tree: pytest.Pytester, *args: str) -> pytest.RunResult:
    return tree.runpytest_inprocess(
        "-p", tiers.__name__, "-p", "no:asyncio", "-o", "markers=integration", *args
    )


def test_a_unit_test_that_reaches_a_server_fails_naming_the_fixture(
    tree: pytest.Pytester,
) -> None:
    result = run(tree, "area/unit")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*a unit test uses redis_url*move it to integration/*"])


def test_integration_tests_are_marked_and_left_out_of_the_fast_run(
    tree: pytest.Pytester,
) -> None:
    result = run(tree, "area/integration", "-m", "not integration")
    result.assert_outcomes(deselected=2)
