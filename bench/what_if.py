"""What-if staffing of a published month (WFM-2, WFM-3) against pyworkforce's ErlangC.

Workload: one queue's forecast snapshot of 31 days × 96 fifteen-minute intervals (2,976 intervals,
peaks near 1,500 contacts at 300 s, a quiet night), stored through ``wfm.services.create_forecast``.
A planner's what-if (volume +20 %, handle time 320 s, 85 % in 20 s, 30 % shrinkage) is evaluated
through ``wfm.services.evaluate_what_if``: permission check, policy reads, loading the snapshot's
rows from the database, validation, Erlang C staffing and shrinkage, the work the what-if page asks
for on every change.

Peer, measured in the same run on the same intervals: ``pyworkforce.queuing.ErlangC`` one interval
at a time (required positions for the target, then its shrinkage), with the snapshot already in
memory, so the peer does not pay for the database. The two answers are compared interval by
interval: agents needed (``raw_mismatches``) and agents to schedule after shrinkage
(``mismatches``). Where the latter differ the peer is off by one: ``ceil(637 / 0.7)`` meets float
noise (910.0000000000001) and gives 911, where 910 agents at 70 % leave exactly 637.

value = median seconds of one what-if evaluation; ratio = peer seconds / Banzu seconds.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from datetime import date, datetime, timedelta

import numpy as np

from bench._util import print_result, setup_django

NAME = "what_if"
DAYS, MINUTES = 31, 15
SEED = 20250301
INPUTS = {
    "volume_multiplier": 1.2,
    "aht_seconds": 320,
    "service_level_percent": 85,
    "service_level_seconds": 20,
    "shrinkage_percent": 30,
}


def volumes(start: datetime) -> list[tuple[datetime, float]]:
    rng = np.random.default_rng(SEED)
    slots = 24 * 60 // MINUTES
    hours = (np.arange(slots) + 0.5) * 24 / slots
    shape = 0.02 + np.exp(-(((hours - 10.5) / 2.0) ** 2)) + 0.8 * np.exp(-(((hours - 15.0) / 2.5) ** 2))
    shape /= shape.max()
    rows = []
    for day in range(DAYS):
        factor = (0.5 if day % 7 >= 5 else 1.0) * rng.uniform(0.9, 1.1)
        for slot in range(slots):
            rows.append((start + timedelta(minutes=MINUTES * (day * slots + slot)), float(1500 * shape[slot] * factor)))
    return rows


def peer(rows: list[tuple[float, float]]) -> tuple[list[tuple[int, int]], float]:
    from pyworkforce.queuing import ErlangC

    target, within, shrinkage = INPUTS["service_level_percent"] / 100, INPUTS["service_level_seconds"], 0.3
    started = time.perf_counter()
    answers = []
    for volume, aht in rows:
        if volume <= 0:
            answers.append((0, 0))
            continue
        model = ErlangC(transactions=volume, aht=aht / 60, asa=within / 60, interval=MINUTES, shrinkage=shrinkage)
        found = model.required_positions(service_level=target)
        answers.append((found["raw_positions"], found["positions"]))
    return answers, time.perf_counter() - started


def main() -> int:
    database = setup_django(NAME)
    from banzu.contact.models import Channel, Queue
    from banzu.core.models import PolicyValue
    from banzu.core.roles import Role
    from banzu.org.models import EmployeeRole
    from banzu.wfm import services
    from bench._util import build_structure

    org = build_structure(departments=1, teams_per_department=1)
    EmployeeRole.objects.create(employee=org.hr, role=Role.MANAGER)
    PolicyValue.objects.create(centre=org.centre, key="wfm.forecast_max_horizon_days", value=DAYS)
    queue = Queue.objects.create(
        centre=org.centre, department=org.departments[0], code="TAX", name="纳税咨询", channel=Channel.objects.first()
    )
    from banzu.core.calendar import centre_zone

    zone = centre_zone(org.centre)
    first = date(2025, 3, 1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    intervals = [{"start": s.isoformat(), "volume": v, "aht_seconds": 300} for s, v in volumes(start)]
    snapshot = services.create_forecast(
        user=org.hr_user,
        queue_id=queue.pk,
        interval_minutes=MINUTES,
        horizon_start=first,
        horizon_days=DAYS,
        intervals=intervals,
        now=start - timedelta(days=1),
    )
    inputs = {"snapshot": snapshot.pk, **INPUTS}
    services.evaluate_what_if(user=org.hr_user, inputs=inputs)  # warm-up
    times = []
    for _ in range(7):
        started = time.perf_counter()
        result = services.evaluate_what_if(user=org.hr_user, inputs=inputs)
        times.append(time.perf_counter() - started)
    ours = statistics.median(times)
    count = len(result.staffing)
    print(f"{database}: {count} intervals, what-if {ours * 1e3:.1f} ms (median of 7, min {min(times) * 1e3:.1f} ms)")

    answers, peer_seconds = peer([(row.volume, row.aht_seconds) for row in result.intervals])
    print(f"pyworkforce one interval at a time: {peer_seconds:.2f} s")
    pairs = list(zip(result.staffing, answers, strict=True))
    raw_mismatches = sum(1 for row, other in pairs if row.required != other[0])
    mismatches = sum(1 for row, other in pairs if row.scheduled != other[1])
    peak = max(row.scheduled for row in result.staffing)
    print(f"peak agents to schedule {peak}; the peer differs in agents needed {raw_mismatches} times,")
    print(f"in agents to schedule {mismatches} times (its ceil(n / (1 - shrinkage)) rounds float noise up)")
    print_result(
        name=NAME,
        value=round(ours, 4),
        unit="s",
        peer="pyworkforce",
        ratio=round(peer_seconds / ours, 1) if ours else math.inf,
        intervals=count,
        raw_mismatches=raw_mismatches,
        mismatches=mismatches,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
