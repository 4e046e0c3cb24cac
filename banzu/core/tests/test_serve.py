"""`manage.py serve`: the one-process embedded mode starts from an empty directory and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

# A fresh start migrates SQLite, collects static files and loads the demo centre; on a busy machine
# that takes a while, so wait generously for the first answer.
START_TIMEOUT = 120
STOP_TIMEOUT = 20

# No proxy from the environment may stand between the test and the local server.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(var_dir: Path, port: int) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BANZU_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        BANZU_DEMO="1",
        BANZU_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="banzu.settings",
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        encoding="utf-8",
    )


def get(url: str) -> tuple[int, str]:
    try:
        with OPENER.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def wait_until_healthy(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early ({process.returncode}):\n{process.stdout.read()}")
        try:
            if get(f"{base}healthz")[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise AssertionError(f"serve did not answer /healthz within {START_TIMEOUT} s")


def count_employees(var_dir: Path) -> int:
    with sqlite3.connect(var_dir / "banzu.sqlite3") as connection:
        return connection.execute("SELECT COUNT(*) FROM org_employee").fetchone()[0]


def stop(process: subprocess.Popen, signum: int) -> str:
    process.send_signal(signum)
    output, _ = process.communicate(timeout=STOP_TIMEOUT)
    return output


def test_serve_runs_banzu_in_one_process_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    process = start_server(tmp_path, port)
    try:
        wait_until_healthy(process, base)
        status, page = get(f"{base}accounts/login/")
        assert status == 200
        assert "<form" in page
        output = stop(process, signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert base in output  # "Banzu is running at …", whatever the language
    assert "5001" in output  # the demo log-ins were printed
    assert "Traceback" not in output
    assert (tmp_path / "banzu.sqlite3").exists()
    assert (tmp_path / "huey.sqlite3").exists()
    assert (tmp_path / "static" / "staticfiles.json").exists()
    employees = count_employees(tmp_path)
    assert employees > 150

    # A second start finds everything in place (no second demo centre) and also stops on SIGTERM.
    process = start_server(tmp_path, port)
    try:
        wait_until_healthy(process, base)
        output = stop(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "5001" in output
    assert "Traceback" not in output
    assert count_employees(tmp_path) == employees
