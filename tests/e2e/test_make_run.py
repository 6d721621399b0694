"""`make run`'s launcher as a new user meets it: four services up, Redis
embedded when none answers, a development secret made, and every child process
stopped on SIGTERM."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import utcnow
from ishc_simulator.cli import DEMO_PROVINCES
from tests.helpers.e2e import wait_for
from tests.helpers.hardening import new_prefix
from tests.helpers.services import free_port

# Each launch starts four services (up to 3 minutes on a busy two-core machine).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[2]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _four_free_ports() -> int:
    for _ in range(100):
        base = random.randint(20_000, 60_000)
        if all(_port_free(base + i) for i in range(4)):
            return base
    raise RuntimeError("no four consecutive free ports")


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _launch(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """The launcher, and what it printed up to its first line after "Ctrl-C stops
    everything" (what it decided about the demo), that line last. The services'
    own lines share the pipe, so only the launcher's ("[ishc] …") are looked at."""
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ishc_platform.devrun"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = False
    deadline = time.monotonic() + 180
    assert launcher.stdout is not None
    while time.monotonic() < deadline:
        line = launcher.stdout.readline()
        if not line and launcher.poll() is not None:
            break
        if ready and line.startswith("[ishc]"):
            lines.append(line)
            break
        lines.append(line)
        ready = ready or "Ctrl-C stops everything" in line
    return launcher, lines


def _stop(launcher: subprocess.Popen[str]) -> int:
    launcher.send_signal(signal.SIGTERM)
    return launcher.wait(timeout=60)


def _launcher_env(tmp_path: Path, base: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISHC_")}
    env.update(
        ISHC_DATA_DIR=str(tmp_path),
        ISHC_BASE_PORT=str(base),
        ISHC_CLOCK_START=utcnow().isoformat(),  # the test's clock, for its token
        **extra,
    )
    return env


def test_launcher_starts_everything_and_stops_every_child(tmp_path: Path) -> None:
    base = _four_free_ports()
    dead_redis = free_port()  # nothing listens there: the launcher must embed one
    env = _launcher_env(
        tmp_path, base, ISHC_REDIS_URL=f"redis://127.0.0.1:{dead_redis}/0", ISHC_DEMO="0"
    )
    launcher, lines = _launch(env)
    try:
        assert any("Ctrl-C stops everything" in line for line in lines), "".join(lines)[-3000:]
        assert "ISHC_DEMO=0: no demo" in lines[-1]
        embedded = next(line for line in lines if "started the embedded one" in line)
        redis_port = int(embedded.split("redis://127.0.0.1:")[1].split("/")[0])

        for port in range(base, base + 4):
            assert _get(f"http://127.0.0.1:{port}/readyz") == 200
        # What to open, and a token to try the API with, are printed.
        assert any(f"dashboard: http://127.0.0.1:{base + 3}/dashboard" in line for line in lines)
        printed = next(line for line in lines if "export TOKEN=" in line)
        token = printed.split("export TOKEN=")[1].strip()
        assert _get(f"http://127.0.0.1:{base + 3}/v1/indicators/national", token) == 200
        assert _get(f"http://127.0.0.1:{base + 3}/dashboard") == 200
        secret_file = tmp_path / "dev-jwt-secret"
        assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
        ops = issue_token(secret_file.read_text().strip(), sub="e2e", role=Role.OPS)
        assert _get(f"http://127.0.0.1:{base}/v1/events", ops) == 200
        assert _get(f"http://127.0.0.1:{base}/v1/events") == 401
    finally:
        code = _stop(launcher)
    assert code == 0
    time.sleep(0.5)
    still_listening = [p for p in [*range(base, base + 4), redis_port] if _listening(p)]
    assert still_listening == []
    assert not (tmp_path / "demo.json").exists()


def _get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


def _page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as reply:
        assert reply.status == 200
        return str(reply.read().decode())


def _clubs_shown(html: str) -> dict[str, int]:
    """The clubs column of each province's row of the dashboard's national table,
    as printed (1.234 in Vietnamese), by province code."""
    shown: dict[str, int] = {}
    for code, row in re.findall(r'<tr data-code="(\d+)">(.*?)</tr>', html, flags=re.S):
        cell = re.search(r'<td data-field="clubs">([^<]*)</td>', row)
        assert cell is not None, row
        shown[code] = int(cell[1].replace(".", "").replace(",", ""))
    return shown


def test_empty_databases_get_the_demo_and_an_interrupted_load_resumes(
    tmp_path: Path, redis_url: str
) -> None:
    base = _four_free_ports()
    env = _launcher_env(tmp_path, base, ISHC_REDIS_URL=redis_url, ISHC_STREAM_PREFIX=new_prefix())
    launcher, lines = _launch(env)
    try:
        assert "loading the demo" in lines[-1], "".join(lines)[-3000:]
        assert json.loads((tmp_path / "demo.json").read_text()) == {"state": "loading"}
        token = issue_token(
            (tmp_path / "dev-jwt-secret").read_text().strip(), sub="e2e", role=Role.NATIONAL
        )

        def plan_ids() -> set[str]:
            plans = _get_json(f"http://127.0.0.1:{base + 3}/v1/plans", token)["items"]
            return {plan["id"] for plan in plans}

        committed = {path.stem for path in (ROOT / "services/reporting/plans").glob("*.toml")}
        assert wait_for(plan_ids, committed, seconds=60) == committed

        def clubs_in_reporting() -> bool:
            national = _get_json(f"http://127.0.0.1:{base + 3}/v1/indicators/national", token)
            return bool(national["indicators"]["clubs"])

        # The registry's clubs reach reporting through the events, as in production.
        assert wait_for(clubs_in_reporting, True, seconds=120)

        # The page make run points a new user at is populated, while the demo
        # still loads: every demo province whose clubs reporting already holds
        # shows them in its row, and no other province shows any.
        dashboard = (
            next(line for line in lines if "dashboard: " in line).split("dashboard: ")[1].strip()
        )
        demo = set(DEMO_PROVINCES.split(","))

        reads: list[tuple[set[str], dict[str, int]]] = []

        def blank_rows() -> set[str]:
            """Provinces reporting holds clubs of whose rows on the page show none."""
            table = _get_json(f"http://127.0.0.1:{base + 3}/v1/indicators/provinces", token)
            held = {row["code"] for row in table["provinces"] if row["indicators"]["clubs"]}
            shown = _clubs_shown(_page(dashboard))  # read after the table
            reads.append((held, shown))
            return {code for code in held if not shown.get(code)}

        assert wait_for(blank_rows, set(), seconds=30, every=1) == set(), reads[-1]
        held, shown = reads[-1]
        assert len(shown) == 34
        assert held and held <= demo, held
        assert {code: n for code, n in shown.items() if code not in demo and n} == {}
    finally:
        assert _stop(launcher) == 0
    # Stopped mid-load: the next start resumes it rather than skipping a half-loaded demo.
    assert json.loads((tmp_path / "demo.json").read_text()) == {"state": "loading"}
    launcher, lines = _launch(env)
    try:
        assert "resuming the demo" in lines[-1], "".join(lines)[-3000:]
    finally:
        assert _stop(launcher) == 0


def test_a_port_in_use_is_named_with_the_setting_that_moves_it(tmp_path: Path) -> None:
    base = _four_free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISHC_")}
    env.update(ISHC_DATA_DIR=str(tmp_path), ISHC_BASE_PORT=str(base))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 2))  # health's port
        squatter.listen()
        done = subprocess.run(
            [sys.executable, "-m", "ishc_platform.devrun"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"port {base + 2} (health) already in use" in done.stdout
    assert "ISHC_BASE_PORT" in done.stdout
    # Nothing was started: the other three ports are still free.
    assert all(_port_free(base + i) for i in (0, 1, 3))
    bad = subprocess.run(
        [sys.executable, "-m", "ishc_platform.devrun"],
        cwd=ROOT,
        env={**env, "ISHC_BASE_PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "ISHC_BASE_PORT must be a port" in bad.stdout
