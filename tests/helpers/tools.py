"""Programs some tests need that pip cannot install (Debian packages).

`scripts/test-tools.sh` installs them where it can (`make test`, `make test-fast` and
`.ci/run` call it). Where it could not, a test that needs one does not run, and the
run says so: the test is skipped with a reason naming the command that provides the
program, and the terminal summary lists every missing program. With `CI=true` a
missing program fails the test instead, so CI can never pass without it.

A test asks for a program with `@pytest.mark.tool("chromium")`, or a fixture calls
`require_tool(request, "promtool")` and gets its path.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from enum import Enum

import pytest

INSTALLER = "scripts/test-tools.sh"


@dataclass(frozen=True)
class Tool:
    name: str
    command: str  # a name looked up on PATH, or an absolute path
    package: str  # the Debian package that provides it
    used_by: str

    def locate(self) -> str | None:
        return shutil.which(self.command)

    @property
    def how(self) -> str:
        return f"`{INSTALLER}` (as root) or `sudo apt-get install -y {self.package}`"


# Keep in step with scripts/test-tools.sh.
TOOLS = {
    tool.name: tool
    for tool in (
        Tool("promtool", "promtool", "prometheus", "tests/deploy (alert rules, Grafana queries)"),
        Tool("chromium", "/usr/bin/chromium", "chromium", "tests/e2e/test_dashboard_browser.py"),
    )
}


class Outcome(Enum):
    RUN = "run"
    SKIP = "skip"
    FAIL = "fail"


def in_ci(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """CI sets `CI=true` (as GitHub, GitLab and `.ci/run` do)."""
    return environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def decide(tool: Tool, path: str | None, ci: bool) -> tuple[Outcome, str]:
    """Whether a test that needs `tool` runs, given where it was found (None: missing)."""
    if path is not None:
        return Outcome.RUN, path
    message = f"{tool.name} is not installed; provide it with {tool.how}"
    if ci:
        return Outcome.FAIL, f"{message} (CI=true: a missing tool is a failure)"
    return Outcome.SKIP, message


_MISSING = pytest.StashKey[set[str]]()


def require_tool(request: pytest.FixtureRequest, name: str) -> str:
    """The tool's path; otherwise skips (or, under CI, fails) the requesting test."""
    tool = TOOLS[name]
    outcome, detail = decide(tool, tool.locate(), in_ci())
    if outcome is Outcome.RUN:
        return detail
    request.config.stash.setdefault(_MISSING, set()).add(name)
    if outcome is Outcome.FAIL:
        pytest.fail(detail, pytrace=False)
    pytest.skip(detail)


# Hooks: tests/conftest.py registers this module as a plugin.


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tool(name): needs a program pip cannot install (tests/helpers/tools.py)"
    )


@pytest.fixture(autouse=True)
def _required_tools(request: pytest.FixtureRequest) -> None:
    for marker in request.node.iter_markers("tool"):
        for name in marker.args:
            require_tool(request, name)


def _tests_without(reporter: pytest.TerminalReporter, tool: Tool) -> int:
    # Counted from the reports, since a session fixture skips many tests by one call.
    needle = f"{tool.name} is not installed"
    return sum(
        needle in str(getattr(report, "longrepr", ""))
        for key in ("skipped", "failed", "error")
        for report in reporter.stats.get(key, [])
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    missing = terminalreporter.config.stash.get(_MISSING, set())
    if not missing:
        return
    terminalreporter.section("missing tools", sep="-", yellow=True, bold=True)
    for name in sorted(missing):
        tool = TOOLS[name]
        tests = _tests_without(terminalreporter, tool)
        terminalreporter.line(
            f"{name}: {tests} test(s) did not run ({tool.used_by}); provide it with {tool.how}"
        )
