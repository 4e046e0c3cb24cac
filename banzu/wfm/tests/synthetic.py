"""Synthetic contact history of a tax-service hotline, for the forecast tests and the benchmark.

The traffic is built from effects a tax hotline shows, each multiplying the expected daily total:

* a slow growth trend (about 12 % a year) and a milder bump during the annual individual income
  tax reconciliation (March to June);
* weekday effects: Monday busiest, Friday quieter, weekends low;
* the official calendar of 2024 and 2025 (``calendar_seed.package_days``): statutory holidays near
  zero, 调休 make-up working days like working days, and a backlog on the first two working days
  after a break of three days or more;
* the monthly collection period (征期, days 1-15) with clearly more traffic;
* day-to-day variation (log-normal) on top of all that.

The intraday shape has a morning and an afternoon peak with a lunch dip on working days, a flatter
shape at weekends and on holidays. Each interval's volume is then drawn from a Poisson
distribution, so interval noise is realistic for its size. Everything comes from one seeded NumPy
generator: the same arguments always give the same history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import numpy as np

from banzu.core.calendar_seed import package_days

SEED = 20240101
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
COLLECTION_LABEL = "collection"

# Expected contacts on a mid-week working day at FIRST_DAY, outside the collection period.
BASE_DAILY = 9000.0
GROWTH_PER_YEAR = 0.12
RECONCILIATION_BUMP = 0.15  # individual income tax reconciliation, March to June
WEEKDAY_FACTORS = (1.12, 1.04, 1.0, 0.98, 0.93, 0.22, 0.16)  # Monday .. Sunday
HOLIDAY_FACTOR = 0.02
ADJUSTED_WORKDAY_FACTOR = 0.97
AFTER_BREAK_FACTORS = (1.45, 1.15)  # first and second working day after a long break
LONG_BREAK_DAYS = 3
COLLECTION_FACTOR = 1.3
DAY_NOISE_SIGMA = 0.05


def calendar_kinds(first: date = FIRST_DAY, last: date = LAST_DAY) -> dict[date, str]:
    """Day kind (workday, weekend, holiday, adjusted_workday) of every day of the official calendar."""
    kinds: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, _working, kind, _name in package_days(year):
            if first <= day <= last:
                kinds[day] = kind
    return kinds


def collection_period(day: date) -> str | None:
    """The monthly collection period: days 1 to 15 of every month."""
    return COLLECTION_LABEL if day.day <= 15 else None


def _shape(hours: np.ndarray, kind: str) -> np.ndarray:
    """Relative intraday rate at the given hours of the day (not normalised)."""

    def bump(centre: float, width: float, height: float) -> np.ndarray:
        return height * np.exp(-(((hours - centre) / width) ** 2))

    open_hours = 1.0 / (1.0 + np.exp(-(hours - 7.8) * 4)) / (1.0 + np.exp((hours - 20.5) * 4))
    if kind == "working":
        rate = bump(9.9, 1.3, 1.0) + bump(14.9, 1.6, 0.85) + 0.25 - bump(12.3, 0.6, 0.2)
    elif kind == "weekend":
        rate = bump(10.5, 1.8, 0.6) + bump(15.0, 2.0, 0.5) + 0.2
    else:
        rate = bump(11.0, 2.5, 0.3) + 0.25
    return np.clip(rate, 0.0, None) * open_hours + 0.004


def _profiles(interval_minutes: int) -> dict[str, np.ndarray]:
    slots = 24 * 60 // interval_minutes
    # Integrate the shape over each interval (four points), so 15- and 30-minute data agree.
    points = (np.arange(slots * 4) + 0.5) * interval_minutes / 4 / 60
    result = {}
    for kind in ("working", "weekend", "holiday"):
        rate = _shape(points, kind).reshape(slots, 4).mean(axis=1)
        result[kind] = rate / rate.sum()
    return result


def _after_break(days: list[date], kinds: dict[date, str]) -> dict[date, int]:
    """1 or 2 for the first and second working day after a break of LONG_BREAK_DAYS or more."""
    result: dict[date, int] = {}
    run, holiday_in_run, since_break = 0, False, None
    for day in days:
        kind = kinds[day]
        if kind in ("weekend", "holiday"):
            run += 1
            holiday_in_run = holiday_in_run or kind == "holiday"
            continue
        if run >= LONG_BREAK_DAYS and holiday_in_run:
            since_break = 0
        run, holiday_in_run = 0, False
        if since_break is not None:
            since_break += 1
            if since_break <= len(AFTER_BREAK_FACTORS):
                result[day] = since_break
            else:
                since_break = None
    return result


def expected_daily_totals(first: date = FIRST_DAY, last: date = LAST_DAY) -> dict[date, float]:
    """The expected contacts of each day before day-to-day variation (for checking the generator)."""
    kinds = calendar_kinds(first, last)
    days = sorted(kinds)
    after = _after_break(days, kinds)
    totals = {}
    for day in days:
        years = (day - FIRST_DAY).days / 365.25
        reconciliation = 1.0 + RECONCILIATION_BUMP * np.sin(np.pi * (day.timetuple().tm_yday - 60) / 122) ** 2
        if not 60 <= day.timetuple().tm_yday <= 182:
            reconciliation = 1.0
        level = BASE_DAILY * np.exp(GROWTH_PER_YEAR * years) * reconciliation
        kind = kinds[day]
        if kind == "holiday":
            factor = HOLIDAY_FACTOR
        elif kind == "adjusted_workday":
            factor = ADJUSTED_WORKDAY_FACTOR
        else:
            factor = WEEKDAY_FACTORS[day.weekday()]
        if day in after:
            factor *= AFTER_BREAK_FACTORS[after[day] - 1]
        if collection_period(day):
            factor *= COLLECTION_FACTOR
        totals[day] = float(level * factor)
    return totals


def tax_hotline_history(
    first: date = FIRST_DAY,
    last: date = LAST_DAY,
    *,
    interval_minutes: int = 30,
    seed: int = SEED,
) -> list[tuple[datetime, int]]:
    """(interval start, contacts) for every interval of every day from `first` to `last`.

    Days must lie in 2024-2025 (the calendar the generator uses). The whole two years are drawn
    every time, so a shorter range is a slice of the same history.
    """
    if not (FIRST_DAY <= first <= last <= LAST_DAY):
        raise ValueError(f"first and last must lie within {FIRST_DAY} .. {LAST_DAY}.")
    rng = np.random.default_rng(seed)
    totals = expected_daily_totals()
    days = sorted(totals)
    kinds = calendar_kinds()
    profiles = _profiles(interval_minutes)
    shapes = np.array([profiles["working" if kinds[d] in ("workday", "adjusted_workday") else kinds[d]] for d in days])
    daily = np.array([totals[d] for d in days]) * rng.lognormal(0.0, DAY_NOISE_SIGMA, len(days))
    volumes = rng.poisson(daily[:, None] * shapes)
    step = timedelta(minutes=interval_minutes)
    history: list[tuple[datetime, int]] = []
    for row, day in zip(volumes, days, strict=True):
        if first <= day <= last:
            start = datetime.combine(day, time())
            history.extend((start + i * step, int(v)) for i, v in enumerate(row.tolist()))
    return history


def day_kind_of(kinds: dict[date, str]) -> Callable[[date], str]:
    """The mapping as the callable the forecast takes."""
    return kinds.__getitem__
