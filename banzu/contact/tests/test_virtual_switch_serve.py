"""`make run` is alive (CT-1, DESIGN "Running"): `manage.py serve` in demo mode starts the embedded
virtual switch, which gets its own token and plays calls over loopback within a minute."""

from __future__ import annotations

import signal
import sqlite3
import time

from banzu.core.tests import test_serve as serve

TRAFFIC_TIMEOUT = 60


def answered_calls(var_dir) -> list[tuple[str, str]]:
    """(call id, agent's employee number) of every answered contact the virtual switch placed."""
    with sqlite3.connect(var_dir / "banzu.sqlite3", timeout=20) as connection:
        return connection.execute(
            "SELECT c.external_id, e.employee_no FROM contact_contact c"
            " JOIN org_employee e ON e.id = c.agent_id"
            " JOIN contact_cticall k ON k.contact_id = c.id"
            " JOIN contact_switch s ON s.id = k.switch_id"
            " WHERE c.answered_at IS NOT NULL AND s.code = 'virtual'"
        ).fetchall()


def test_demo_serve_shows_live_calls_from_the_virtual_switch_within_a_minute(tmp_path):
    port = serve.free_port()
    base = f"http://127.0.0.1:{port}/"
    process = serve.start_server(tmp_path, port)
    try:
        serve.wait_until_healthy(process, base)
        deadline = time.monotonic() + TRAFFIC_TIMEOUT
        calls = []
        while time.monotonic() < deadline and not calls:
            time.sleep(1)
            calls = answered_calls(tmp_path)
        output = serve.stop(process, signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert calls, f"no call was answered within {TRAFFIC_TIMEOUT} s:\n{output}"
    assert process.returncode == 0, output
    assert "Traceback" not in output
    # The switch simulates agents, never the printed demo log-ins: those are for people.
    printed = {line.split()[1] for line in output.splitlines() if line.split()[-1:] == ["banzu-demo"]}
    assert printed and not printed & {agent for _call, agent in calls}
