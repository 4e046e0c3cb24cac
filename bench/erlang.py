"""Erlang C staffing for a month of intervals against pyworkforce's ErlangC (WFM-2).

Workload: 10 queues × 31 days × 96 fifteen-minute intervals = 29,760 intervals, loads 1-1,000
Erlangs with an intraday and weekly shape (seeded), each queue with its own handle time and target
(80/20, 90/10, 95/30 and lenient ones: 50/60, 70/60, 60/120).

Measured in the same run on the same inputs: agents needed by Banzu's bulk call (all intervals at
once), by Banzu one interval at a time, and by ``pyworkforce.queuing.ErlangC(...).required_positions``
one interval at a time. Every Banzu answer n is then checked exactly against the 50-digit
reference: SL(n) >= target > SL(n - 1) (the service level rises with n, so this is the fewest);
the peer is checked the same way wherever it differs from Banzu.

value = ratio = peer seconds / Banzu bulk seconds; single_ratio = peer seconds / Banzu one-at-a-time
seconds; mismatches = Banzu answers the reference rejects; peer_mismatches = the peer's.
No Django needed.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

import numpy as np

from bench._util import print_result

NAME = "erlang"
QUEUES, DAYS, SLOTS = 10, 31, 96
INTERVAL_SECONDS = 900
SEED = 20240301
# Per queue: peak load (Erlangs), handle time (s), target, threshold (s).
QUEUE_PROFILES = [
    (1000.0, 300.0, 0.80, 20.0),
    (640.0, 240.0, 0.90, 10.0),
    (420.0, 420.0, 0.80, 20.0),
    (260.0, 180.0, 0.50, 60.0),
    (150.0, 360.0, 0.95, 30.0),
    (90.0, 150.0, 0.70, 60.0),
    (48.0, 600.0, 0.80, 20.0),
    (22.0, 120.0, 0.60, 120.0),
    (9.0, 200.0, 0.50, 60.0),
    (4.0, 90.0, 0.80, 30.0),
]


def build_intervals() -> dict[str, np.ndarray]:
    """Loads with two daily humps, a quiet night, weekly and daily swings and interval noise."""
    rng = np.random.default_rng(SEED)
    hours = (np.arange(SLOTS) + 0.5) * 24 / SLOTS
    intraday = 0.08 + np.exp(-(((hours - 10.5) / 2.2) ** 2)) + 0.85 * np.exp(-(((hours - 15.0) / 2.6) ** 2))
    intraday /= intraday.max()
    weekday = np.array([1.0, 0.97, 0.95, 0.96, 0.9, 0.55, 0.45])
    columns: dict[str, list[np.ndarray]] = {"load": [], "aht": [], "target": [], "within": []}
    for peak, aht, target, within in QUEUE_PROFILES:
        for day in range(DAYS):
            day_factor = weekday[day % 7] * rng.uniform(0.85, 1.1)
            noise = rng.lognormal(0.0, 0.12, SLOTS)
            load = np.clip(peak * intraday * day_factor * noise, 1.0, 1000.0)
            columns["load"].append(load)
            columns["aht"].append(np.full(SLOTS, aht))
            columns["target"].append(np.full(SLOTS, target))
            columns["within"].append(np.full(SLOTS, within))
    return {key: np.concatenate(parts) for key, parts in columns.items()}


def peer_agents(load: np.ndarray, aht: np.ndarray, target: np.ndarray, within: np.ndarray) -> tuple[np.ndarray, float]:
    from pyworkforce.queuing import ErlangC

    minutes = INTERVAL_SECONDS / 60
    result = np.empty(load.size, dtype=np.int64)
    started = time.perf_counter()
    for i in range(load.size):
        # The peer takes contacts per interval and minutes; its load is transactions / interval × aht.
        calls = load[i] * INTERVAL_SECONDS / aht[i]
        model = ErlangC(transactions=calls, aht=aht[i] / 60, asa=within[i] / 60, interval=minutes)
        result[i] = model.required_positions(service_level=target[i])["raw_positions"]
    return result, time.perf_counter() - started


def main() -> int:
    from banzu.wfm import erlang
    from banzu.wfm.tests import erlang_reference as ref

    data = build_intervals()
    load, aht, target, within = data["load"], data["aht"], data["target"], data["within"]
    count = load.size
    print(f"{count} intervals, loads {load.min():.2f}-{load.max():.1f} Erlangs (mean {load.mean():.1f})")

    erlang.agents_for_service_level(load[:100], aht[:100], target[:100], within[:100])  # import and warm-up
    bulk_times = []
    for _ in range(7):
        started = time.perf_counter()
        banzu = erlang.agents_for_service_level(load, aht, target, within)
        bulk_times.append(time.perf_counter() - started)
    bulk = statistics.median(bulk_times)
    print(f"banzu bulk: {bulk * 1e3:.1f} ms (median of 7, min {min(bulk_times) * 1e3:.1f} ms)")

    rows = list(zip(load.tolist(), aht.tolist(), target.tolist(), within.tolist(), strict=True))
    started = time.perf_counter()
    single = [erlang.agents_for_service_level(*row) for row in rows]
    single_seconds = time.perf_counter() - started
    print(f"banzu one at a time: {single_seconds:.2f} s ({single_seconds / count * 1e6:.1f} us per interval)")
    if single != banzu.tolist():
        print("bulk and one-at-a-time answers differ")
        return 1

    peer, peer_seconds = peer_agents(load, aht, target, within)
    print(f"pyworkforce one at a time: {peer_seconds:.2f} s ({peer_seconds / count * 1e6:.1f} us per interval)")

    started = time.perf_counter()
    mismatches = sum(
        not ref.is_fewest_agents_for_service_level(n, *row) for n, row in zip(banzu.tolist(), rows, strict=True)
    )
    differs = np.flatnonzero(peer != banzu)
    peer_mismatches = sum(not ref.is_fewest_agents_for_service_level(int(peer[i]), *rows[i]) for i in differs)
    floor = np.array([round(a + 1) for a in load.tolist()])
    over = int(np.count_nonzero(peer > banzu))
    at_floor = int(np.count_nonzero((peer > banzu) & (peer == floor)))
    print(f"reference check: {time.perf_counter() - started:.1f} s (mpmath, 50 digits, two evaluations per interval)")
    print(f"banzu mismatches: {mismatches}; peer differs on {differs.size} intervals", end="")
    print(f", over-staffs on {over} ({at_floor} of them at its round(A+1) floor)")
    print(f"agents needed in total: banzu {int(banzu.sum())}, peer {int(peer.sum())}")

    ratio = peer_seconds / bulk
    single_ratio = peer_seconds / single_seconds
    print_result(
        name=NAME,
        value=round(ratio, 1),
        unit="x",
        peer="pyworkforce",
        ratio=round(ratio, 1),
        single_ratio=round(single_ratio, 1),
        mismatches=int(mismatches),
        peer_mismatches=int(peer_mismatches),
        intervals=count,
    )
    return 0 if mismatches == 0 and math.isfinite(ratio) else 1


if __name__ == "__main__":
    sys.exit(main())
