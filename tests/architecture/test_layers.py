"""The layer rules of docs/architecture.md, as a test in `make test` (unit tier: it
reads source files, no database or broker).

- import-linter's contracts (root pyproject.toml `[tool.importlinter]`): each service's
  `domain` imports no framework or I/O and no layer above it; no service imports
  another; the libs import no service.
- The syntax-tree checks of tests/architecture/layers.py: only `service/` (and the
  listed platform mechanisms) commit; `api/` neither commits nor writes tables.

Each rule is also shown to fail on a deliberate violation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.architecture.layers import (
    PLATFORM_COMMITTERS,
    REPO,
    Module,
    check_source,
    check_tree,
    module_of,
)

SERVICES = ("registry", "finance", "health", "reporting")
# The layers a domain may not import, by the names every service uses.
ABOVE_DOMAIN = ("models", "service", "api", "adapters", "queries", "app", "consumers")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(
    root: Path, pythonpath: list[Path] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath:
        # Ahead of the workspace's editable installs, so a copy's packages are analysed.
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_hold() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_service_commits_and_api_writes_no_table() -> None:
    violations = check_tree(REPO)
    assert not violations, "\n".join(map(str, violations))


def test_the_domain_contract_names_every_layer_that_exists() -> None:
    # A layer added later (e.g. a service's first adapters/) must join the contract.
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    [domain] = [c for c in config["contracts"] if c["name"].startswith("domain is pure")]
    assert set(domain["source_modules"]) == {f"ishc_{s}.domain" for s in SERVICES}
    missing = [
        f"ishc_{service}.{layer}"
        for service in SERVICES
        for layer in ABOVE_DOMAIN
        if (REPO / f"services/{service}/src/ishc_{service}/{layer}").is_dir()
        or (REPO / f"services/{service}/src/ishc_{service}/{layer}.py").is_file()
        if f"ishc_{service}.{layer}" not in domain["forbidden_modules"]
    ]
    assert not missing, f"add to the domain contract in pyproject.toml: {missing}"


def test_every_platform_committer_exists() -> None:
    for name in PLATFORM_COMMITTERS:
        path = REPO / "libs/platform/src" / (name.replace(".", "/") + ".py")
        assert path.is_file(), name


# Deliberate violations: the checks must catch each of them.


def check(module: str, source: str) -> list[str]:
    parts = module.split(".")
    service = None if parts[0] in {"ishc_platform", "ishc_contracts"} else parts[0][5:]
    layer = parts[1] if len(parts) > 2 else ""
    found = check_source(Module(module, service, layer), textwrap.dedent(source), module)
    return [v.rule for v in found]


def test_a_use_case_in_service_may_commit() -> None:
    assert check("ishc_finance.service.funds", "async def open(s):\n    await s.commit()\n") == []


@pytest.mark.parametrize(
    "module",
    ["ishc_registry.adapters.spreadsheet", "ishc_reporting.cli", "ishc_registry.service_helpers"],
)
def test_a_commit_outside_service_is_caught(module: str) -> None:
    assert check(module, "async def f(session):\n    await session.commit()\n") == [
        "commits outside service/"
    ]


def test_a_transaction_block_outside_service_is_caught() -> None:
    source = """
        async def f(db):
            async with db.sessions() as session, session.begin():
                pass
    """
    assert check("ishc_reporting.adapters.live", source) == ["commits outside service/"]
    assert check("ishc_platform.directory", source) == ["commits outside service/"]
    assert check("ishc_platform.outbox", source) == []


def test_a_service_module_beside_the_package_is_not_the_service_layer(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "ishc_health").mkdir(parents=True)
    flat = src / "ishc_health" / "service.py"
    flat.write_text("async def f(session):\n    await session.commit()\n")
    module = module_of(flat, src)
    assert (module.name, module.layer) == ("ishc_health.service", "")
    assert [v.rule for v in check_source(module, flat.read_text(), "x")] == [
        "commits outside service/"
    ]


@pytest.mark.parametrize(
    "body",
    [
        "from sqlalchemy import insert\nasync def f(s, t):\n    await s.execute(insert(t))\n",
        "import sqlalchemy as sa\nasync def f(s, t):\n    await s.execute(sa.update(t))\n",
        "from sqlmodel import delete as rm\nasync def f(s, t):\n    await s.execute(rm(t))\n",
        "async def f(session, row):\n    session.add(row)\n",
        "async def f(session, row):\n    await session.delete(row)\n",
        "async def f(s):\n    await s.execute(text('DELETE FROM club WHERE id = 1'))\n",
    ],
)
def test_a_table_write_in_api_is_caught(body: str) -> None:
    assert check("ishc_registry.api.members", body) == ["api writes a table"]


def test_api_routes_and_reads_are_not_writes() -> None:
    source = """
        from fastapi import APIRouter
        from sqlalchemy import select
        router = APIRouter()
        seen = set()

        @router.delete("/v1/things/{id}")
        async def remove(session, id):
            seen.add(id)
            return (await session.execute(select(id))).all()
    """
    assert check("ishc_registry.api.things", source) == []


def copy_sources(target: Path) -> list[Path]:
    """The workspace's packages and pyproject.toml under `target`; their src dirs."""
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    srcs = []
    for src in [*REPO.glob("services/*/src"), *REPO.glob("libs/*/src")]:
        copy = target / src.relative_to(REPO)
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
        srcs.append(copy)
    return srcs


@pytest.mark.parametrize(
    ("path", "source", "contract"),
    [
        (
            "services/finance/src/ishc_finance/domain/fees.py",
            "import sqlalchemy\n",
            "domain is pure",
        ),
        (
            "services/health/src/ishc_health/domain/checks.py",
            "from ishc_platform import db\n",
            "domain is pure",
        ),
        (
            "services/finance/src/ishc_finance/domain/loans.py",
            "from ishc_finance import models\n",
            "domain is pure",
        ),
        (
            "services/finance/src/ishc_finance/queries.py",
            "from ishc_registry import models\n",
            "no service imports another",
        ),
        (
            "libs/platform/src/ishc_platform/leak.py",
            "import ishc_reporting\n",
            "libs import no service",
        ),
    ],
)
def test_import_linter_breaks_on_a_deliberate_violation(
    tmp_path: Path, path: str, source: str, contract: str
) -> None:
    srcs = copy_sources(tmp_path)
    bad = tmp_path / path
    bad.write_text(bad.read_text() + source if bad.exists() else source)
    result = lint_imports(tmp_path, srcs)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
