"""Latency of the roster list API with 5,000 employees (roles and skills) in the database.

As HR (the whole centre in scope) through Django's test Client, i.e. the full middleware stack
without a network: GET /api/v1/employees/?page_size=50 over varying pages, with and without a search
term. value: p95 in ms; peer: the 300 ms goal; ratio = 300 / p95 (above 1 meets the goal). The p95
of /healthz (no log-in, one SELECT 1) in the same run is the framework's own floor.
"""

from __future__ import annotations

import sys
import time

from bench._util import (
    build_structure,
    generate_people,
    insert_people,
    percentile,
    print_result,
    setup_django,
)

NAME = "roster_api"
EMPLOYEES = 5000
REQUESTS = 360
WARM_UP = 20
GOAL_MS = 300.0


def _timed(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed


def _paths(people, count: int) -> list[str]:
    pages = EMPLOYEES // 50
    out = []
    for n in range(count):
        page = 1 + (n * 37) % pages
        kind = n % 3
        if kind == 0:
            out.append(f"/api/v1/employees/?page_size=50&page={page}")
        elif kind == 1:  # a family name: many hits, several pages
            family = people[n % len(people)].name[0]
            out.append(f"/api/v1/employees/?page_size=50&page=1&search={family}")
        else:  # an employee-number prefix, sorted by hire date
            prefix = people[(n * 53) % len(people)].employee_no[:5]
            out.append(f"/api/v1/employees/?page_size=50&page=1&search={prefix}&ordering=-hire_date")
    return out


def main() -> int:
    database = setup_django(NAME)
    from django.test import Client

    org = build_structure()
    people = generate_people(EMPLOYEES - 1, org)  # HR is the 5,000th
    insert_people(org, people)

    client = Client(SERVER_NAME="localhost")
    client.force_login(org.hr_user)
    anonymous = Client(SERVER_NAME="localhost")
    first = client.get("/api/v1/employees/?page_size=50").json()
    if first["count"] != EMPLOYEES:
        print(f"expected {EMPLOYEES} employees in HR's scope, the API counts {first['count']}")
        return 1

    paths = _paths(people, REQUESTS)
    for path in paths[:WARM_UP]:
        _timed(client, path)
        _timed(anonymous, "/healthz")
    roster_ms = [_timed(client, path) for path in paths]
    health_ms = [_timed(anonymous, "/healthz") for _ in range(REQUESTS)]

    p50 = percentile(roster_ms, 50)
    p95 = percentile(roster_ms, 95)
    health_p95 = percentile(health_ms, 95)
    print(
        f"{len(roster_ms)} roster requests on {database}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(roster_ms):.1f} ms; /healthz p95 {health_p95:.2f} ms"
    )
    print_result(
        name=NAME,
        value=round(p95, 2),
        unit="ms",
        peer=f"goal:{GOAL_MS:g}ms",
        ratio=round(GOAL_MS / p95, 2),
        p50_ms=round(p50, 2),
        healthz_p95_ms=round(health_p95, 2),
        requests=len(roster_ms),
        employees=EMPLOYEES,
        db=database,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
