"""Programs pip cannot install: skipped with the command that provides them, or a
failure under CI (tests/helpers/tools.py), decided here without uninstalling anything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import tools
from tests.helpers.tools import TOOLS, Outcome, Tool, decide, in_ci

pytest_plugins = ["pytester"]
GHOST = Tool("ghost", "/nonexistent/ghost", "ghost-tools", "tests/ghost")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test-tools.sh"


def test_a_tool_that_is_found_runs_in_and_out_of_ci() -> None:
    assert decide(GHOST, "/usr/bin/ghost", ci=False) == (Outcome.RUN, "/usr/bin/ghost")
    assert decide(GHOST, "/usr/bin/ghost", ci=True) == (Outcome.RUN, "/usr/bin/ghost")


def test_a_missing_tool_is_a_skip_naming_the_command_that_provides_it() -> None:
    outcome, reason = decide(GHOST, GHOST.locate(), ci=False)
    assert outcome is Outcome.SKIP
    assert "ghost is not installed" in reason
    assert "sudo apt-get install -y ghost-tools" in reason
    assert "scripts/test-tools.sh" in reason


def test_a_missing_tool_under_ci_is_a_failure() -> None:
    outcome, reason = decide(GHOST, None, ci=True)
    assert outcome is Outcome.FAIL
    assert "sudo apt-get install -y ghost-tools" in reason


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, False), ({"CI": ""}, False), ({"CI": "false"}, False), ({"CI": "true"}, True),
     ({"CI": "1"}, True), ({"CI": "TRUE"}, True)],
)  # fmt: skip
def test_ci_is_recognised_from_the_environment(environ: dict[str, str], expected: bool) -> None:
    assert in_ci(environ) is expected


def test_the_installer_script_knows_the_same_tools() -> None:
    entries = re.findall(r'^\s*"(\w+)\|([^|"]+)\|([^|"]+)"$', SCRIPT.read_text(), re.MULTILINE)
    assert {name: (command, package) for name, command, package in entries} == {
        tool.name: (tool.command, tool.package) for tool in TOOLS.values()
    }


@pytest.fixture
def ghost_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setitem(TOOLS, "ghost", GHOST)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tool("ghost")
        def test_needs_ghost():
            pass

        def test_needs_nothing():
            pass
        """
    )
    return pytester


def test_the_run_names_what_did_not_run(
    ghost_run: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = ghost_run.runpytest_inprocess("-p", tools.__name__, "-p", "no:asyncio", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*missing tools*", "ghost: 1 test(s) did not run (tests/ghost)*apt-get install -y ghost*"]
    )


def test_under_ci_the_run_fails(
    ghost_run: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = ghost_run.runpytest_inprocess("-p", tools.__name__, "-p", "no:asyncio")
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret != 0
