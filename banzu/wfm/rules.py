"""Planning rules (WFM-1 … WFM-3) as pure functions on plain values: no ORM, clock or I/O.

The services load snapshots, contacts and policies, pass plain numbers in and store the answers.
Percentages arrive as percent (80 for 80 %) the way planners enter them and are turned into the
fractions of ``wfm.erlang`` here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from banzu.wfm import erlang, forecast

SERVICE_LEVEL = "service_level"
ASA = "asa"


@dataclass(frozen=True)
class Target:
    """A service-level target (``percent`` of contacts answered within ``seconds``) or an ASA target
    (mean speed of answer at most ``seconds``; ``percent`` is unused and 0)."""

    kind: str
    seconds: float
    percent: float = 0


@dataclass(frozen=True)
class PlannedInterval:
    start: datetime
    volume: float
    aht_seconds: float


@dataclass(frozen=True)
class IntervalStaffing:
    """Staffing of one interval. ``rostered`` is the number of people a schedule puts in the
    interval, ``available`` what remains of them after shrinkage; both None without a schedule."""

    start: datetime
    volume: float
    aht_seconds: float
    load: float
    required: int
    scheduled: int
    service_level: float
    asa_seconds: float | None
    occupancy: float
    rostered: int | None = None
    available: int | None = None
    rostered_service_level: float | None = None

    @property
    def gap(self) -> int | None:
        """Agents short (negative) or over (positive) against the requirement after shrinkage."""
        return None if self.available is None else self.available - self.required


@dataclass(frozen=True)
class Accuracy:
    """Forecast against actuals; ``mape``/``wape`` are fractions, None when there is nothing to compare."""

    intervals: int
    forecast_total: float
    actual_total: float
    mape: float | None
    wape: float | None


# --- what-if adjustments ------------------------------------------------------------------------------


def adjusted_intervals(
    base: Sequence[PlannedInterval],
    *,
    volume_multiplier: float = 1.0,
    aht_seconds: float | None = None,
    volumes: Mapping[datetime, float] | None = None,
) -> list[PlannedInterval]:
    """WFM-3: the base intervals with the planner's changes.

    A volume given for an interval replaces it; the others are scaled by ``volume_multiplier``. An
    ``aht_seconds`` replaces every interval's handle time.
    """
    volumes = volumes or {}
    return [
        PlannedInterval(
            start=item.start,
            volume=float(volumes[item.start]) if item.start in volumes else item.volume * volume_multiplier,
            aht_seconds=float(aht_seconds) if aht_seconds is not None else item.aht_seconds,
        )
        for item in base
    ]


def rostered_per_interval(
    shifts: Iterable[tuple[datetime, datetime]], starts: Sequence[datetime], interval_minutes: int
) -> list[int]:
    """People whose shift covers each whole interval (a shift ending mid-interval does not count)."""
    step = timedelta(minutes=interval_minutes)
    spans = list(shifts)
    return [sum(1 for begin, end in spans if begin <= start and start + step <= end) for start in starts]


# --- staffing (WFM-2) --------------------------------------------------------------------------------


def staffing(
    intervals: Sequence[PlannedInterval],
    *,
    interval_minutes: int,
    target: Target,
    shrinkage_percent: float,
    patience_seconds: float | None = None,
    rostered: Sequence[int] | None = None,
) -> list[IntervalStaffing]:
    """Agents needed per interval for `target`, and agents to schedule after shrinkage.

    Erlang C; with a known mean patience, Erlang A for a service-level target (abandonment keeps
    the queue stable and lowers the need). An ASA target always uses Erlang C, whose ASA is a
    cautious upper bound of Erlang A's. Where a schedule gives the people `rostered` per interval,
    the service level they would reach after shrinkage is predicted with the same model.
    """
    if not intervals:
        return []
    if rostered is not None and len(rostered) != len(intervals):
        raise ValueError("rostered must have one count per interval.")
    seconds = interval_minutes * 60
    volume = np.array([item.volume for item in intervals], dtype=float)
    aht = np.array([item.aht_seconds for item in intervals], dtype=float)
    load = np.atleast_1d(erlang.offered_load(volume, aht, seconds))
    shrinkage = shrinkage_percent / 100.0
    use_a = patience_seconds is not None and target.kind == SERVICE_LEVEL
    if target.kind == SERVICE_LEVEL:
        goal = target.percent / 100.0
        if use_a:
            required = erlang.erlang_a_agents_for_service_level(load, aht, patience_seconds, goal, target.seconds)
        else:
            required = erlang.agents_for_service_level(load, aht, goal, target.seconds)
    elif target.kind == ASA:
        required = erlang.agents_for_average_speed_of_answer(load, aht, target.seconds)
    else:
        raise ValueError(f"target.kind must be {SERVICE_LEVEL} or {ASA}, got {target.kind!r}.")
    required = np.atleast_1d(required).astype(np.int64)
    scheduled = np.atleast_1d(erlang.scheduled_agents(required, shrinkage)).astype(np.int64)
    answer_within = target.seconds if target.kind == SERVICE_LEVEL else 0.0

    def level_at(agents: np.ndarray) -> np.ndarray:
        if use_a:
            return np.atleast_1d(erlang.erlang_a_service_level(agents, load, aht, patience_seconds, answer_within))
        return np.atleast_1d(erlang.service_level(agents, load, aht, answer_within))

    levels = level_at(required)
    asa = np.atleast_1d(erlang.average_speed_of_answer(required, load, aht))
    busy = np.atleast_1d(erlang.occupancy(required, load))
    available = rostered_levels = None
    if rostered is not None:
        available = np.floor(np.asarray(rostered, dtype=float) * (1.0 - shrinkage) + 1e-9).astype(np.int64)
        rostered_levels = level_at(available)
    return [
        IntervalStaffing(
            start=item.start,
            volume=item.volume,
            aht_seconds=item.aht_seconds,
            load=float(load[i]),
            required=int(required[i]),
            scheduled=int(scheduled[i]),
            service_level=float(levels[i]),
            asa_seconds=float(asa[i]) if math.isfinite(asa[i]) else None,
            occupancy=float(busy[i]),
            rostered=None if rostered is None else int(rostered[i]),
            available=None if available is None else int(available[i]),
            rostered_service_level=None if rostered_levels is None else float(rostered_levels[i]),
        )
        for i, item in enumerate(intervals)
    ]


# --- actuals and accuracy (WFM-1) ----------------------------------------------------------------------


def interval_grid(first: datetime, interval_minutes: int, count: int) -> list[datetime]:
    step = timedelta(minutes=interval_minutes)
    return [first + i * step for i in range(count)]


def bucket_counts(arrivals: Iterable[datetime], *, first: datetime, interval_minutes: int, count: int) -> list[int]:
    """Contacts per interval of the grid starting at `first`; arrivals outside the grid are ignored."""
    counts = [0] * count
    step = interval_minutes * 60
    for moment in arrivals:
        index = math.floor((moment - first).total_seconds() / step)
        if 0 <= index < count:
            counts[index] += 1
    return counts


def handle_time_profile(handled: Iterable[tuple[datetime, float]], interval_minutes: int) -> dict[int, float]:
    """Mean handle time per interval of the day (slot index from midnight local time)."""
    sums: dict[int, list[float]] = {}
    for start, seconds in handled:
        slot = (start.hour * 60 + start.minute) // interval_minutes
        total = sums.setdefault(slot, [0.0, 0.0])
        total[0] += seconds
        total[1] += 1
    return {slot: total / n for slot, (total, n) in sums.items() if n}


def aht_for(start: datetime, profile: Mapping[int, float], fallback: float, interval_minutes: int) -> float:
    slot = (start.hour * 60 + start.minute) // interval_minutes
    value = profile.get(slot)
    return value if value is not None and value > 0 else fallback


def accuracy(forecast_volumes: Sequence[float], actual_volumes: Sequence[float]) -> Accuracy:
    """MAPE and WAPE of a snapshot over the intervals that have actuals so far."""
    n = len(actual_volumes)
    planned = list(forecast_volumes[:n])
    total_actual = float(sum(actual_volumes))
    total_forecast = float(sum(planned))
    if n == 0 or total_actual <= 0:
        return Accuracy(n, total_forecast, total_actual, None, None)
    return Accuracy(
        n,
        total_forecast,
        total_actual,
        forecast.mape(actual_volumes, planned),
        forecast.wape(actual_volumes, planned),
    )


# --- the simulator's input (CT-20) ---------------------------------------------------------------------


def simulation_config(
    *,
    queue_code: str,
    skill_ids: Sequence[int],
    target: Target,
    intervals: Sequence[PlannedInterval],
    agents_per_interval: Sequence[int],
    interval_minutes: int,
    patience_seconds: float | None,
    seed: int,
) -> dict:
    """The config of ``simulation.services.start_run`` checking a staffing plan against the forecast."""
    queue: dict = {"code": queue_code, "skill_ids": list(skill_ids)}
    if target.kind == SERVICE_LEVEL:
        queue["service_level_percent"] = round(target.percent)
        queue["service_level_seconds"] = round(target.seconds)
    return {
        "seed": seed,
        "interval_minutes": interval_minutes,
        "queues": [queue],
        "intervals": [
            {
                "start": item.start.isoformat(),
                "queue": queue_code,
                "volume": item.volume,
                "aht_seconds": item.aht_seconds,
                "patience_seconds": patience_seconds,
            }
            for item in intervals
        ],
        "staffing": [
            {"start": item.start.isoformat(), "agents": int(agents)}
            for item, agents in zip(intervals, agents_per_interval, strict=True)
        ],
    }


def staffing_rows(rows: Sequence[IntervalStaffing]) -> list[dict]:
    """JSON-ready rows (the API, the page's charts and a saved scenario's results)."""
    return [
        {
            "start": row.start.isoformat(),
            "volume": round(row.volume, 3),
            "aht_seconds": round(row.aht_seconds, 1),
            "load": round(row.load, 3),
            "required": row.required,
            "scheduled": row.scheduled,
            "service_level": round(row.service_level, 4),
            "asa_seconds": None if row.asa_seconds is None else round(row.asa_seconds, 1),
            "occupancy": round(row.occupancy, 4),
            "rostered": row.rostered,
            "available": row.available,
            "gap": row.gap,
            "rostered_service_level": (
                None if row.rostered_service_level is None else round(row.rostered_service_level, 4)
            ),
        }
        for row in rows
    ]
