"""Fault injection: the database connection dies in the middle of a request.

A real app server (uvicorn on `banzu.asgi`, as deployed) serves the test database. Django runs the
sync views of an ASGI server on one thread, so every request reuses one database connection: the
very connection that is killed. The request must fail cleanly — the JSON error shape, nothing
half-written — and the next request must work, on a fresh connection.

The kill comes from outside, as when PostgreSQL restarts or a network path drops: the test holds a
lock that makes the request wait in the middle of its transaction (after the work order row and its
history row are written, before the step is), then `pg_terminate_backend` ends that backend.

PostgreSQL only: SQLite has no server connection to lose.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a server connection to drop")


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def app_server() -> Iterator[str]:
    """One uvicorn process on the test database; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANZU_") and k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(BANZU_TESTING="1", DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="banzu.settings")
    with tempfile.NamedTemporaryFile("w+", prefix="banzu-fault-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "banzu.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if OPENER.open(f"{base}/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log_path.unlink(missing_ok=True)


def call(base: str, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw[:500].decode("utf-8", "replace")}


def side_connection(*, autocommit: bool):
    """A plain psycopg connection to the test database, apart from Django's."""
    import psycopg

    return psycopg.connect(_database_url(), autocommit=autocommit)


def wait_for_blocked_backend(watcher, table: str, pending, timeout: float = 60) -> int:
    """The pid of the backend waiting for a lock to write into `table` for the `pending` request.

    `watcher` is in autocommit: inside one transaction pg_stat_activity would stay as first read.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pending.done():
            raise AssertionError(f"the request ended before it waited for the lock: {pending.result()}")
        row = watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            (f"%INSERT INTO%{table}%",),
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError(f"no request waited to write into {table}")


def test_a_request_whose_database_connection_dies_mid_write_fails_cleanly_and_the_next_works(org):
    from banzu.workorders import services
    from banzu.workorders.models import Status, WorkOrder, WorkOrderStep

    agent = org.people["agent"].user
    token = Token.objects.create(user=agent).key
    order = services.create_work_order(
        user=agent, category="suggestion", location="人民路10号", summary="建议", caller_number="1", now=timezone.now()
    )
    steps_before = WorkOrderStep.objects.filter(work_order=order).count()
    history_before = order.history.count()

    with app_server() as base:
        # The server's one database connection is open and in use before the fault.
        assert call(base, "GET", f"/api/v1/work-orders/{order.pk}/", token)[0] == 200

        side = side_connection(autocommit=False)
        watcher = side_connection(autocommit=True)
        try:
            # Inserts into the step table wait for this lock: the close is then half done in its
            # transaction (the order row and its history row written, the step not yet).
            side.execute(f"LOCK TABLE {WorkOrderStep._meta.db_table} IN SHARE MODE")
            with contextlib.ExitStack() as stack:
                from concurrent.futures import ThreadPoolExecutor

                pool = stack.enter_context(ThreadPoolExecutor(1))
                pending = pool.submit(
                    call, base, "POST", f"/api/v1/work-orders/{order.pk}/close/", token, {"outcome": "已答复"}
                )
                pid = wait_for_blocked_backend(watcher, WorkOrderStep._meta.db_table, pending)
                killed = watcher.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
                side.rollback()  # release the lock
                status, body = pending.result(timeout=30)
        finally:
            side.close()
            watcher.close()
        assert killed

        # Failed cleanly: a server error in the API's one error shape ...
        assert status == 500, body
        assert body["code"] == "server_error" and body["message"]
        # ... and nothing of the close was kept.
        order.refresh_from_db()
        assert order.status != Status.CLOSED and order.closed_at is None and order.outcome == ""
        assert WorkOrderStep.objects.filter(work_order=order).count() == steps_before
        assert order.history.count() == history_before

        # The next requests work: the broken connection was dropped and a new one opened.
        assert call(base, "GET", f"/api/v1/work-orders/{order.pk}/", token)[0] == 200
        status, body = call(base, "POST", f"/api/v1/work-orders/{order.pk}/close/", token, {"outcome": "已答复"})
        assert status == 200, body
    order.refresh_from_db()
    assert order.status == Status.CLOSED
    assert WorkOrderStep.objects.filter(work_order=order, kind=WorkOrderStep.Kind.CLOSED).count() == 1
    assert WorkOrder.objects.filter(pk=order.pk, closed_at__isnull=False).count() == 1
