"""Concurrent load: logged-in users browsing the main pages and APIs of two app servers.

A fresh PostgreSQL database (``bz_bench_api``, dropped and created anew) gets the demo centre
(``manage.py demo``); two uvicorn processes serve ``banzu.asgi:application`` on loopback ports,
as a cluster runs. Each simulated user has a session of its own (one per demo account, reused
round-robin when there are fewer accounts than users) and a keep-alive connection to one of the
servers, and requests the pages and APIs its role may see for ``--seconds``.

Three phases:

1. **Browsing** (the goal): each user reads what it opened before it opens the next page, a think
   time drawn from an exponential distribution with mean ``--think`` seconds (default 5: a person
   glancing at a list; people reading work orders pause longer), and starts after one such pause so
   that the users do not all arrive in the same instant. Reported: p50 and p95 latency, requests per
   second and errors (a status other than 2xx/3xx, or no answer).
2. **Capacity**: the same users with no think time for a quarter of the time, each sending its next
   request the moment the last one returns. The servers are saturated, so latency here is only
   users ÷ throughput (Little's law); what counts is the throughput, and the app servers' CPU time
   per request (``server_cpu_ms_per_request``), which unlike latency holds on a busy machine.
3. **Ceiling**: the same closed loop on ``/healthz`` (no log-in, one ``SELECT 1``): the rate of the
   framework and machine with nothing to do.

RESULT value: browsing p95 in ms (goal under 300 ms); peer: healthz; ratio = capacity requests per
second / healthz requests per second (how close the pages come to the framework's own ceiling);
errors=<n> over browsing and capacity (goal 0). Also printed: the p95 of the slowest paths.

Needs PostgreSQL (``BANZU_BENCH_PG``, default ``postgres://postgres@127.0.0.1:5432``); uses
``REDIS_URL`` when set, so both servers share the cache and channel layer as in production. The
database is dropped at the end unless ``BENCH_API_KEEP_DATABASE`` is set (to look at it).
Options: ``--seconds`` (default 120), ``--users`` (default 200), ``--servers`` (default 2),
``--think`` (default 5; 0 makes the browsing phase a closed loop too).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import threading
import time
from collections import Counter

from bench._util import percentile, print_result, servers_cpu_seconds

NAME = "api_load"
DATABASE = "bz_bench_api"
GOAL_MS = 300.0

# What people open all day: their start pages and the lists behind them.
CANDIDATE_PATHS = [
    "/org/",
    "/org/my-team/",
    "/org/roster/",
    "/workorders/",
    "/knowledge/",
    "/complaints/",
    "/callbacks/worklist/",
    "/contact/statistics/",
    "/wfm/",
    "/api/v1/employees/?page_size=50",
    "/api/v1/teams/",
    "/api/v1/departments/",
    "/api/v1/work-orders/",
    "/api/v1/knowledge/articles/",
    "/api/v1/calendar/?page_size=31",
    "/api/v1/work-order-notifications/",
    "/api/v1/complaints/",
    "/api/v1/callback-tasks/",
    "/api/v1/contacts/",
    "/api/v1/agent-states/",
    "/api/v1/queues/",
]


def _server_root() -> str:
    return os.environ.get("BANZU_BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def _fresh_database() -> str:
    import psycopg

    with psycopg.connect(f"{_server_root()}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{_server_root()}/{DATABASE}"


def _drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{_server_root()}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _get(port: int, path: str, headers: dict[str, str], connection=None) -> tuple[int, float]:
    """(status, milliseconds); status 0 when there was no answer."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
        except STALE_CONNECTION:
            # The server closed the kept-alive connection while the user was reading (uvicorn after
            # 5 idle seconds): like a browser, send the GET again on a new connection.
            connection.close()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        connection.close()
        status = 0
    elapsed = (time.perf_counter() - started) * 1000
    if own:
        connection.close()
    return status, elapsed


def _sessions(users: int) -> list[tuple[str, str]]:
    """(session cookie, roles) of `users` demo accounts (round-robin when the demo has fewer)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from banzu.org.models import EmployeeRole

    accounts = list(get_user_model().objects.filter(is_active=True, employee__isnull=False).order_by("pk")[:users])
    if not accounts:
        raise SystemExit("the demo centre has no accounts")
    cookies = []
    roles: dict[int, set[str]] = {user.pk: set() for user in accounts}
    for user_id, role in EmployeeRole.objects.filter(employee__user__in=accounts).values_list("employee__user", "role"):
        roles[user_id].add(role)
    for user in accounts:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.LANGUAGE_COOKIE_NAME}=zh-hans"
        cookies.append((cookie, ",".join(sorted(roles[user.pk]))))
    return [cookies[n % len(cookies)] for n in range(users)]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.requests = 0
        self.failed: Counter[tuple[int, str]] = Counter()  # (status, path) of the errors; 0: no answer
        self.by_path: dict[str, list[float]] = {}

    def add(self, status: int, elapsed: float, path: str) -> None:
        with self.lock:
            self.requests += 1
            if 200 <= status < 400:
                self.latencies.append(elapsed)
                self.by_path.setdefault(path, []).append(elapsed)
            else:
                self.errors += 1
                self.failed[status, path] += 1


def _browse(
    port: int, cookie: str, paths: list[str], until: float, recorder: Recorder, first: int, think: float
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Accept": "text/html,application/json"}
    pauses = random.Random(first)  # each user its own repeatable pauses
    n = first  # users start on different pages, not all on the first one at once
    while True:
        pause = pauses.expovariate(1 / think) if think else 0.0
        if time.monotonic() + pause >= until:
            break
        time.sleep(pause)
        path = paths[n % len(paths)]
        recorder.add(*_get(port, path, headers, connection), path)
        n += 1
    connection.close()


def _allowed_paths(port: int, cookie: str) -> list[str]:
    """The candidate paths this account's role gets a page or a list from (warms the server up too)."""
    headers = {"Cookie": cookie, "Accept": "text/html,application/json"}
    return [path for path in CANDIDATE_PATHS if _get(port, path, headers)[0] == 200]


def _run(
    ports: list[int], cookies: list[str], paths: list[list[str]], seconds: float, think: float = 0.0
) -> tuple[Recorder, float]:
    recorder = Recorder()
    start = threading.Barrier(len(cookies) + 1)
    until_box: list[float] = []

    def user(index: int) -> None:
        start.wait()
        _browse(ports[index % len(ports)], cookies[index], paths[index], until_box[0], recorder, index, think)

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(cookies))]
    for thread in threads:
        thread.start()
    until_box.append(time.monotonic() + seconds)
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(seconds + 60)
    return recorder, time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between a user's requests")
    options = parser.parse_args(argv)

    database_url = _fresh_database()
    os.environ["DATABASE_URL"] = database_url
    from bench._util import setup_django

    setup_django(NAME)
    from django.core.management import call_command

    call_command("demo", verbosity=0)
    sessions = _sessions(options.users)
    cookies = [cookie for cookie, _roles in sessions]
    from django.db import connections

    from banzu.contact.tests.servers import app_servers

    connections.close_all()
    threading.stack_size(512 * 1024)  # 200 client threads stay small

    try:
        pool = {"BANZU_DB_POOL": os.environ.get("BANZU_DB_POOL", "1")}  # as in production
        with app_servers(
            options.servers, database=database_url, redis=os.environ.get("REDIS_URL", ""), extra_env=pool
        ) as servers:
            ports = [server.port for server in servers]
            # What a role may open is the same for all its accounts: asked once per set of roles.
            allowed_by_roles: dict[str, list[str]] = {}
            paths = []
            for cookie, roles in sessions:
                if roles not in allowed_by_roles:
                    allowed_by_roles[roles] = _allowed_paths(ports[0], cookie)
                    for port in ports[1:]:  # the other servers warm up too
                        for path in allowed_by_roles[roles]:
                            _get(port, path, {"Cookie": cookie})
                paths.append(allowed_by_roles[roles] or ["/healthz"])
            load, load_elapsed = _run(ports, cookies, paths, options.seconds, options.think)
            short = max(5.0, options.seconds / 4)
            # Unlike latency, CPU per request holds on a busy machine (what the servers spend).
            cpu_before = servers_cpu_seconds(servers)
            capacity, capacity_elapsed = _run(ports, cookies, paths, short)
            cpu_ms_per_request = (servers_cpu_seconds(servers) - cpu_before) * 1000 / max(capacity.requests, 1)
            health_paths = [["/healthz"]] * len(cookies)
            cpu_before = servers_cpu_seconds(servers)
            health, health_elapsed = _run(ports, [""] * len(cookies), health_paths, short)
            cpu_ms_per_health = (servers_cpu_seconds(servers) - cpu_before) * 1000 / max(health.requests, 1)
            load_average = os.getloadavg()[0]
    finally:
        if not os.environ.get("BENCH_API_KEEP_DATABASE"):
            _drop_database()

    if not load.latencies:
        raise SystemExit(f"no request succeeded ({load.errors} errors)")
    rps = load.requests / load_elapsed
    capacity_rps = capacity.requests / capacity_elapsed
    health_rps = health.requests / health_elapsed
    errors = load.errors + capacity.errors
    p50 = percentile(load.latencies, 50)
    p95 = percentile(load.latencies, 95)
    print(
        f"{options.users} users, {options.servers} servers, think {options.think:g} s, {options.seconds:g} s: "
        f"{load.requests} requests, {rps:.1f}/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, {load.errors} errors; "
        f"no think time: {capacity_rps:.1f}/s ({capacity.errors} errors); "
        f"/healthz {health_rps:.1f}/s ({health.errors} errors); goal p95 < {GOAL_MS:g} ms; "
        f"app servers' CPU {cpu_ms_per_request:.1f} ms per request ({cpu_ms_per_health:.1f} per /healthz); "
        f"load average {load_average:.1f}"
    )
    slowest = sorted(load.by_path.items(), key=lambda item: -percentile(item[1], 95))
    for path, values in slowest[:8]:
        print(f"  p95 {percentile(values, 95):7.1f} ms  n={len(values):5d}  {path}")
    for (status, path), count in (load.failed + capacity.failed + health.failed).most_common(8):
        print(f"  error {status or 'no answer'} x{count}  {path}")
    print_result(
        name=NAME,
        value=round(p95, 1),
        unit="ms",
        peer="healthz",
        ratio=round(capacity_rps / health_rps, 3) if health_rps else 0.0,
        errors=errors,
        p50_ms=round(p50, 1),
        rps=round(rps, 1),
        capacity_rps=round(capacity_rps, 1),
        healthz_rps=round(health_rps, 1),
        server_cpu_ms_per_request=round(cpu_ms_per_request, 1),
        goal_ms=GOAL_MS,
        users=options.users,
        think_s=options.think,
        servers=options.servers,
        seconds=options.seconds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
