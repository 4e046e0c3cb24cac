"""Real app-server processes for tests and benchmarks: uvicorn serving ``banzu.asgi:application``.

Several processes against one PostgreSQL database (and Redis, for the channel layer) are what a
cluster runs (DESIGN "Running"); threads in the test process cannot show what happens when a
process dies. Each server writes its output to a log file, never to a pipe nobody reads (a full
pipe would stall the server), and the file is quoted when a server fails to start.

The servers read the test database: under pytest-django that is ``connection.settings_dict`` of the
test run (``test_<name>``), so tests that use them must be transactional — rows a test writes are
only visible to another process once committed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[3]
START_TIMEOUT = 60
STOP_TIMEOUT = 20

# No proxy from the environment may stand between a client and a loopback server.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(settings_dict: Mapping[str, object]) -> str:
    """A ``DATABASE_URL`` for a Django database settings dict (PostgreSQL), e.g. the test database."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(str(settings_dict['NAME']), safe='')}"


def server_environment(*, database: str, redis: str = "", extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without its Banzu settings, pointed at `database` (and `redis`)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BANZU_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        BANZU_TESTING="1",
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE="banzu.settings",
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
    )
    if redis:
        env["REDIS_URL"] = redis
    env.update(extra or {})
    return env


@dataclass
class AppServer:
    """One uvicorn process on a loopback port."""

    port: int
    process: subprocess.Popen
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"server on port {self.port} exited ({self.process.returncode}):\n{self.output()}")
            try:
                with OPENER.open(f"{self.base_url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass  # not listening yet
            time.sleep(0.2)
        raise RuntimeError(f"server on port {self.port} did not answer within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: the process dies mid-request, as on a crash or an OOM kill."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not finish in time."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def start_app_server(env: Mapping[str, str], *, log_dir: Path, port: int | None = None) -> AppServer:
    """Start one server (not waiting for it); ``wait_until_healthy`` before sending it work."""
    port = port or free_port()
    log_path = log_dir / f"server-{port}.log"
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "banzu.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=BASE_DIR,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return AppServer(port=port, process=process, log_path=log_path, _log=log)


@contextlib.contextmanager
def app_servers(
    count: int,
    *,
    database: str,
    redis: str = "",
    extra_env: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
) -> Iterator[list[AppServer]]:
    """`count` healthy servers on one database; all stopped on exit, whatever happened."""
    with contextlib.ExitStack() as stack:
        if log_dir is None and os.environ.get("BANZU_TEST_SERVER_LOGS"):
            log_dir = Path(os.environ["BANZU_TEST_SERVER_LOGS"])  # kept for a look after a failure
            log_dir.mkdir(parents=True, exist_ok=True)
        if log_dir is None:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="banzu-servers-")))
        env = server_environment(database=database, redis=redis, extra=extra_env)
        servers: list[AppServer] = []
        try:
            # Started together, waited for together: imports of several processes overlap.
            servers.extend(start_app_server(env, log_dir=log_dir) for _ in range(count))
            for server in servers:
                server.wait_until_healthy()
            yield servers
        finally:
            for server in servers:
                server.stop()
