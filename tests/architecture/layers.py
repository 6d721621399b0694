"""The layer rules an import graph cannot state, checked on the syntax tree.

- Only a service's `service/` package commits (`.commit()`, or a transaction block
  `with ….begin():` that commits when it ends), and the platform modules listed in
  `PLATFORM_COMMITTERS`, each with why it owns a transaction of its own.
- A service's `api/` neither commits nor writes tables: no `session.add`,
  `session.add_all`, `session.delete`, `session.merge`, no SQLAlchemy `insert(`,
  `update(`, `delete(`, and no raw `INSERT`/`UPDATE`/`DELETE` text.

The import rules (domain is pure, services independent, libs import no service) are
import-linter contracts in the root pyproject.toml.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Platform modules that own a transaction outside any use case.
PLATFORM_COMMITTERS = {
    # the relay marks a batch of published outbox rows sent, after the use case's commit
    "ishc_platform.outbox": "relay",
    # the inbox row and the projection change of a batch commit together, then XACK
    "ishc_platform.consumer": "inbox consumer",
    # a stored Idempotency-Key answer is claimed and saved around the use case it replays
    "ishc_platform.idempotency": "idempotency",
    # Alembic's DDL runs under an advisory lock that must be committed and released
    "ishc_platform.migrate": "migrations",
    # the watermark of what a consumer applied from a source's event log
    "ishc_platform.backfill": "log backfill",
}

COMMITTING_CALLS = {"commit"}
TRANSACTION_BLOCKS = {"begin"}  # `with session.begin():` commits when the block ends
SESSION_WRITES = {"add", "add_all", "delete", "merge"}
STATEMENT_WRITES = {"insert", "update", "delete"}
SQL_MODULES = ("sqlalchemy", "sqlmodel")
RAW_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b")  # SQL, not prose


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    rule: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.code}"


@dataclass(frozen=True)
class Module:
    """A source file and where it sits: `ishc_registry.api.members`, service `registry`."""

    name: str
    service: str | None  # None for the libs
    layer: str  # the first package under the service's package ("api", "service", …)


def module_of(path: Path, src: Path) -> Module:
    parts = path.relative_to(src).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    name = ".".join(parts)
    service = parts[0].removeprefix("ishc_") if parts[0] not in LIBS else None
    # A layer is a package: `service.py` beside the package is not `service/`.
    is_package_member = len(parts) > 2 or path.name == "__init__.py"
    layer = parts[1] if len(parts) > 1 and is_package_member else ""
    return Module(name, service, layer)


LIBS = {"ishc_platform", "ishc_contracts"}


def sources(root: Path = REPO) -> Iterator[tuple[Path, Module]]:
    for src in sorted([*root.glob("services/*/src"), *root.glob("libs/*/src")]):
        for path in sorted(src.rglob("*.py")):
            if "migrations" not in path.relative_to(src).parts:
                yield path, module_of(path, src)


def _receiver(node: ast.expr) -> str:
    return ast.unparse(node).lower()


def _is_session(node: ast.expr) -> bool:
    receiver = _receiver(node)
    return "session" in receiver or receiver.split(".")[-1] in {"db", "conn", "connection"}


def _sql_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to SQLAlchemy's insert/update/delete, and aliases of its modules."""
    functions: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(SQL_MODULES):
            for alias in node.names:
                if alias.name in STATEMENT_WRITES:
                    functions.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(SQL_MODULES):
                    modules.add(alias.asname or alias.name.split(".")[0])
    return functions, modules


def commits(tree: ast.Module) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in COMMITTING_CALLS
        ):
            yield node
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in TRANSACTION_BLOCKS
                ):
                    yield call


def table_writes(tree: ast.Module) -> Iterator[ast.AST]:
    functions, modules = _sql_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in functions:
                yield node
            elif isinstance(func, ast.Attribute):
                writes_session = func.attr in SESSION_WRITES and _is_session(func.value)
                builds_write = func.attr in STATEMENT_WRITES and _receiver(func.value) in modules
                if writes_session or builds_write:
                    yield node
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_WRITE.match(node.value)
        ):
            yield node


def may_commit(module: Module) -> bool:
    if module.service is None:
        return module.name in PLATFORM_COMMITTERS
    return module.layer == "service"


def check_source(module: Module, source: str, label: str) -> list[Violation]:
    tree = ast.parse(source)
    found: list[Violation] = []

    def add(node: ast.AST, rule: str) -> None:
        code = ast.unparse(node).splitlines()[0][:80]
        found.append(Violation(label, getattr(node, "lineno", 0), rule, code))

    if not may_commit(module):
        for node in commits(tree):
            add(node, "commits outside service/")
    if module.service is not None and module.layer == "api":
        for node in table_writes(tree):
            add(node, "api writes a table")
    return sorted(found, key=lambda v: (v.path, v.line))


def check_tree(root: Path = REPO) -> list[Violation]:
    violations: list[Violation] = []
    for path, module in sources(root):
        label = str(path.relative_to(root))
        violations += check_source(module, path.read_text(encoding="utf-8"), label)
    return violations
