"""Contact volume forecast per interval (WFM-1), as pure functions.

One queue at a time: the caller passes that queue's history as ``(interval start, contacts)`` pairs,
the interval length in minutes (15, 30, or any length dividing a day), the kind of each day from the
official calendar (``workday``, ``weekend``, ``holiday``, ``adjusted_workday`` as in
``core.CalendarDay.Kind``) and optionally the recurring periods it knows about (the monthly
collection period 征期) and manual overrides. No ORM, clock or I/O: the service layer loads the
history and the calendar and stores the answer.

Model
-----
Volume of day ``d``, interval ``s`` = daily total of ``d`` × share of ``s`` in the intraday profile of
the day's class.

*Day classes* come from the calendar, not from the weekday alone: Monday to Sunday for ordinary
days, ``holiday`` for statutory holidays (weekends inside a holiday are holidays when the calendar
says so), ``adjusted_workday`` for 调休 make-up working days, which are working days whatever their
weekday. On top of its class a day can carry two flags: the first and the second working day after
a break of ``long_break_days`` or more non-working days that contains a holiday (the backlog after
National Day or Spring Festival), and the label of a recurring period from ``period_of``.

*Daily totals* are modelled on the log scale, ``log(1 + total) = level(d) + class effect + flags``:

1. the effects are estimated by a robust regression (statsmodels ``RLM`` with Huber's norm) of the
   log daily totals on a constant, a linear time term and indicators of class, after-break flags
   and periods. The time term is there so that growth does not leak into the effects of classes
   that are unevenly spread over the history (holidays cluster in a few months); the robust norm
   keeps a day with an outage or a one-off event from moving the effects;
2. the *level* is what is left after removing the effects, a series with no weekly or holiday
   pattern. Holiday days are left out of it (their effect is large and each holiday differs, so
   their remainder is mostly noise) and interpolated. A damped additive-trend Holt model
   (statsmodels ``ExponentialSmoothing``) follows the level and extrapolates it; damping keeps a
   recent slope from running away over a horizon of weeks;
3. the forecast of a day is the extrapolated level plus the effects of its class and flags.

*Intraday profiles* are the shares of each interval in the day, per class, from the most recent
days of that class (ratio of sums, so a large day weighs more than a quiet one). A class with too
few recent days borrows the profile of its group (working days, weekends, holidays).

*Overrides* are applied last, in the order given, to the intervals whose start lies in
``[start, end)``: a multiplier scales the statistical forecast (a promotion, a system outage
elsewhere, a collection period the history does not show), a volume replaces it.

What was tried, and why this
----------------------------
Compared on four-week holdouts of the synthetic tax-hotline history (``tests/synthetic.py``) around
National Day, Spring Festival, Labour Day and in ordinary weeks, with the same intraday profiles:

* Holt-Winters (``ExponentialSmoothing`` with a weekly season) and ``STLForecast`` on the daily
  totals as they stand: a statutory holiday is a week of near-zero days inside the weekly seasonal
  state, so the weeks around it are forecast far off (WAPE 0.4 to 3.7 with a holiday in the holdout,
  0.15 to 0.19 without) and 调休 Saturdays look like outliers. They know the weekday, not the
  calendar.
* ``UnobservedComponents`` (a local linear trend with the calendar indicators as regressors) is the
  same model in one state-space fit: a little less accurate (WAPE 0.06 to 0.08 against 0.054 to
  0.07), four to ten times slower, and its Gaussian likelihood is not robust to outlier days.
* The robust regression alone, its linear trend extrapolated: as good in steady stretches but it
  misses changes of level that Holt follows (WAPE 0.11 against 0.054 after the individual income tax
  reconciliation season).

The split regression + Holt keeps each library call to what it does well, fits two years of
30-minute data in a fraction of a second, and is plain to explain to a planner. It comes within
about one point of WAPE of the generator's own expected values (the best any forecast can do
against Poisson and day-to-day noise).

*Periods* (``period_of``) are for recurring periods the history shows and the calendar of the
centre knows in advance, such as 征期: the model measures their effect. A period the history does
not show, or a one-off event, is an override.

Accuracy
--------
:func:`mape` skips intervals whose actual volume is zero (the percentage is undefined there);
:func:`wape` is ``Σ|actual − forecast| / Σ actual`` and counts every interval, which is why it is
the headline figure for interval data with quiet night intervals. Both return fractions (0.1 is
10 %). :func:`backtest` trains on all but the last weeks of a history and compares the forecast of
the held-out weeks with the seasonal-naive forecast (the same interval one week earlier, taken from
the actuals, so for every held-out week the baseline knows the week before it: a stronger baseline
than a single-origin forecast, and on a holiday it still repeats the week before).

Bad input raises ``ValueError`` whose message starts with the name of the parameter.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import numpy as np

from banzu.core.rules import CalendarNotCovered, WorkCalendar

MINUTES_PER_DAY = 24 * 60
DAY_KINDS = ("workday", "weekend", "holiday", "adjusted_workday")
WEEKDAY_CLASSES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKING_WEEKDAYS = WEEKDAY_CLASSES[:5]
HOLIDAY = "holiday"
ADJUSTED_WORKDAY = "adjusted_workday"
AFTER_BREAK_DAYS = 2  # the first and the second working day after a long break carry a flag
MIN_HISTORY_DAYS = 28  # four weeks: every weekday class seen several times

DayKind = Callable[[date], str] | Mapping[date, str]
PeriodOf = Callable[[date], str | None]


@dataclass(frozen=True)
class Override:
    """A manual change applied after the statistical forecast to intervals starting in [start, end).

    Give exactly one of ``multiplier`` (1.4 for +40 %) and ``volume`` (contacts in each interval of
    the range, replacing the forecast).
    """

    start: datetime
    end: datetime
    multiplier: float | None = None
    volume: float | None = None


@dataclass(frozen=True)
class VolumeModel:
    """A fitted forecast model of one queue: plain numbers, no library objects."""

    interval_minutes: int
    first_day: date
    last_day: date
    tz: tzinfo | None
    day_kind: Callable[[date], str] = field(repr=False)
    period_of: PeriodOf | None = field(repr=False)
    long_break_days: int
    # Effects on log(1 + daily total), by class, by after-break position (1, 2) and by period label.
    class_effects: Mapping[str, float]
    after_break_effects: tuple[float, ...]
    period_effects: Mapping[str, float]
    # Damped Holt state of the level at last_day: level, slope, damping.
    level: float
    slope: float
    damping: float
    profiles: Mapping[str, tuple[float, ...]] = field(repr=False)

    def daily_total(self, day: date, klass: str, after_break: int, period: str | None) -> float:
        horizon = (day - self.last_day).days
        if horizon < 1:
            raise ValueError(f"start must be after the last day of the history ({self.last_day.isoformat()}).")
        phi = self.damping
        growth = horizon if phi == 1 else phi * (1 - phi**horizon) / (1 - phi)
        log_total = self.level + growth * self.slope + self.class_effects[klass]
        if after_break:
            log_total += self.after_break_effects[after_break - 1]
        if period is not None:
            log_total += self.period_effects.get(period, 0.0)
        return max(math.expm1(log_total), 0.0)


@dataclass(frozen=True)
class Backtest:
    """Accuracy of the method and of the seasonal-naive baseline on the held-out weeks."""

    holdout_start: date
    holdout_end: date  # last held-out day, inclusive
    intervals: int
    method_mape: float
    method_wape: float
    naive_mape: float
    naive_wape: float
    forecast: list[tuple[datetime, float]] = field(repr=False)
    naive: list[tuple[datetime, float]] = field(repr=False)


# --- validation -------------------------------------------------------------------------------------


def _interval_minutes(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or MINUTES_PER_DAY % value:
        raise ValueError(f"interval_minutes must be a whole number of minutes that divides a day, got {value!r}.")
    return value


def _day_kind(day_kind: DayKind) -> Callable[[date], str]:
    if isinstance(day_kind, Mapping):
        return day_kind.__getitem__
    if not callable(day_kind):
        raise ValueError("day_kind must be a callable or a mapping from date to day kind.")
    return day_kind


def _kind_of(day_kind: Callable[[date], str], day: date) -> str:
    try:
        kind = day_kind(day)
    except (LookupError, CalendarNotCovered):
        raise ValueError(f"day_kind has no kind for {day.isoformat()}.") from None
    if kind not in DAY_KINDS:
        raise ValueError(f"day_kind must be one of {', '.join(DAY_KINDS)}, got {kind!r} for {day.isoformat()}.")
    return kind


def _history_grid(
    history: Iterable[tuple[datetime, float]], interval_minutes: int
) -> tuple[date, np.ndarray, tzinfo | None]:
    """History as a days × intervals matrix starting at its first day; missing intervals are 0."""
    rows = list(history)
    if not rows:
        raise ValueError("history must hold at least one interval, got none.")
    slots = MINUTES_PER_DAY // interval_minutes
    ordinals = np.empty(len(rows), dtype=np.int64)
    indices = np.empty(len(rows), dtype=np.int64)
    volumes = np.empty(len(rows), dtype=float)
    for i, row in enumerate(rows):
        try:
            start, volume = row
            minute = start.hour * 60 + start.minute
            ordinals[i] = start.toordinal()
            volumes[i] = float(volume)
        except (TypeError, ValueError, AttributeError):
            raise ValueError(f"history must hold (interval start, volume) pairs, got {row!r}.") from None
        if minute % interval_minutes or start.second or start.microsecond:
            raise ValueError(
                f"history interval {start.isoformat()} does not start on a {interval_minutes}-minute boundary."
            )
        indices[i] = minute // interval_minutes
    bad = ~(np.isfinite(volumes) & (volumes >= 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"history volume must be a number, 0 or more, got {rows[i][1]!r} at {rows[i][0].isoformat()}.")
    first = int(ordinals.min())
    flat = (ordinals - first) * slots + indices
    if np.unique(flat).size != flat.size:
        raise ValueError("history must hold each interval once, got duplicates.")
    days = int(ordinals.max()) - first + 1
    grid = np.zeros(days * slots)
    grid[flat] = volumes
    return date.fromordinal(first), grid.reshape(days, slots), rows[0][0].tzinfo


# --- calendar features ------------------------------------------------------------------------------


def _classes(
    first: date, days: int, day_kind: Callable[[date], str], long_break_days: int
) -> tuple[list[str], list[int]]:
    """Class of each day and its position (1, 2) after a long break that holds a holiday, else 0."""
    classes: list[str] = []
    after: list[int] = []
    run, holiday_in_run, since_break = 0, False, AFTER_BREAK_DAYS
    for offset in range(days):
        day = first + timedelta(days=offset)
        kind = _kind_of(day_kind, day)
        if kind == HOLIDAY:
            classes.append(HOLIDAY)
        elif kind == ADJUSTED_WORKDAY or (kind == "workday" and day.weekday() >= 5):
            classes.append(ADJUSTED_WORKDAY)
        elif kind == "weekend" and day.weekday() < 5:
            classes.append("sun")  # a weekday off that is not a holiday: a rest day like Sunday
        else:
            classes.append(WEEKDAY_CLASSES[day.weekday()])
        if kind in ("weekend", HOLIDAY):
            run += 1
            holiday_in_run = holiday_in_run or kind == HOLIDAY
            after.append(0)
            continue
        if run >= long_break_days and holiday_in_run:
            since_break = 0
        run, holiday_in_run = 0, False
        since_break += 1
        after.append(since_break if since_break <= AFTER_BREAK_DAYS else 0)
    return classes, after


def _group(klass: str) -> str:
    if klass in WORKING_WEEKDAYS or klass == ADJUSTED_WORKDAY:
        return "working"
    return HOLIDAY if klass == HOLIDAY else "rest"


def _filled_effects(effects: dict[str, float]) -> dict[str, float]:
    """Every class gets an effect; one missing from the history borrows from its nearest kin."""

    def mean_of(names: Iterable[str]) -> float | None:
        values = [effects[n] for n in names if n in effects]
        return sum(values) / len(values) if values else None

    filled = dict(effects)
    working = mean_of(WORKING_WEEKDAYS)
    rest = mean_of(("sat", "sun"))
    for klass in (*WEEKDAY_CLASSES, ADJUSTED_WORKDAY, HOLIDAY):
        if klass in filled:
            continue
        if klass in WORKING_WEEKDAYS or klass == ADJUSTED_WORKDAY:
            fallback = working
        elif klass == HOLIDAY:
            fallback = rest
        else:
            fallback = rest if rest is not None else effects.get(HOLIDAY)
        filled[klass] = 0.0 if fallback is None else fallback
    return filled


# --- fitting ----------------------------------------------------------------------------------------


def _fit_effects(
    log_totals: np.ndarray, classes: list[str], after: list[int], periods: list[str | None]
) -> tuple[dict[str, float], tuple[float, ...], dict[str, float]]:
    import statsmodels.api as sm

    n = len(log_totals)
    present = sorted(set(classes), key=lambda c: (*WEEKDAY_CLASSES, ADJUSTED_WORKDAY, HOLIDAY).index(c))
    # Effects are measured against an ordinary Wednesday (or, in a history without one, against
    # its most frequent class); the choice changes the numbers stored, not the forecast.
    reference = "wed" if "wed" in present else max(present, key=classes.count)
    class_columns = [c for c in present if c != reference]
    break_columns = [k for k in range(1, AFTER_BREAK_DAYS + 1) if k in after]
    labels = sorted({p for p in periods if p is not None})
    columns = [np.ones(n), np.arange(n) / 365.25]
    columns += [np.array([c == k for c in classes], dtype=float) for k in class_columns]
    columns += [np.array([a == k for a in after], dtype=float) for k in break_columns]
    columns += [np.array([p == label for p in periods], dtype=float) for label in labels]
    design = np.column_stack(columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = sm.RLM(log_totals, design, M=sm.robust.norms.HuberT()).fit().params
    coefficients = iter(params[2:])
    effects = {reference: 0.0} | {k: float(next(coefficients)) for k in class_columns}
    breaks = dict.fromkeys(range(1, AFTER_BREAK_DAYS + 1), 0.0) | {k: float(next(coefficients)) for k in break_columns}
    period_effects = {label: float(next(coefficients)) for label in labels}
    return (
        _filled_effects(effects),
        tuple(breaks[k] for k in range(1, AFTER_BREAK_DAYS + 1)),
        period_effects,
    )


def _fit_level(remainder: np.ndarray, holiday: np.ndarray) -> tuple[float, float, float]:
    """Damped Holt on the level series; holiday days are interpolated, not observed."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    series = remainder.copy()
    observed = ~holiday
    if observed.sum() >= 2:
        positions = np.arange(series.size)
        series[holiday] = np.interp(positions[holiday], positions[observed], series[observed])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(series, trend="add", damped_trend=True, initialization_method="estimated").fit()
    return float(fit.level[-1]), float(fit.trend[-1]), float(fit.params["damping_trend"])


def _profiles(
    grid: np.ndarray, classes: list[str], profile_days: int, min_profile_days: int
) -> dict[str, tuple[float, ...]]:
    """Intraday shares per class from its most recent days, or from its group's when too few."""
    slots = grid.shape[1]
    totals = grid.sum(axis=1)
    active = totals > 0
    by_class: dict[str, list[int]] = {}
    by_group: dict[str, list[int]] = {}
    for i, klass in enumerate(classes):
        if active[i]:
            by_class.setdefault(klass, []).append(i)
            by_group.setdefault(_group(klass), []).append(i)

    def shares(rows: list[int]) -> tuple[float, ...]:
        summed = grid[rows[-profile_days:]].sum(axis=0)
        return tuple(float(x) for x in summed / summed.sum())

    everything = [i for i in range(len(classes)) if active[i]]
    flat = tuple([1.0 / slots] * slots)
    fallback_group = {"working": "working", "rest": "rest", HOLIDAY: "rest"}
    profiles = {}
    for klass in (*WEEKDAY_CLASSES, ADJUSTED_WORKDAY, HOLIDAY):
        rows = by_class.get(klass, [])
        if len(rows) < min_profile_days:
            group = _group(klass)
            rows = by_group.get(group, [])
            if len(rows) < min_profile_days:
                rows = by_group.get(fallback_group[group], [])
            if len(rows) < min_profile_days:
                rows = everything
        profiles[klass] = shares(rows) if rows else flat
    return profiles


def fit_volume_model(
    history: Iterable[tuple[datetime, float]],
    *,
    interval_minutes: int,
    day_kind: DayKind,
    period_of: PeriodOf | None = None,
    long_break_days: int = 3,
    profile_days: int = 12,
    min_profile_days: int = 3,
) -> VolumeModel:
    """Fit the model to one queue's history (WFM-1).

    `history` holds (interval start, contacts) pairs covering whole days; an interval with no pair
    counts as zero contacts. Interval starts are local wall-clock times on the `interval_minutes`
    grid, all naive or all in the centre's zone. `day_kind` gives the calendar kind of every day
    from the first history day on; `period_of` labels the days of recurring periods (or None).
    """
    interval_minutes = _interval_minutes(interval_minutes)
    kind_of = _day_kind(day_kind)
    if isinstance(long_break_days, bool) or not isinstance(long_break_days, int) or long_break_days < 1:
        raise ValueError(f"long_break_days must be a whole number of days, 1 or more, got {long_break_days!r}.")
    first, grid, tz = _history_grid(history, interval_minutes)
    days = grid.shape[0]
    if days < MIN_HISTORY_DAYS:
        raise ValueError(f"history must cover at least {MIN_HISTORY_DAYS} days, got {days}.")
    classes, after = _classes(first, days, kind_of, long_break_days)
    periods = [period_of(first + timedelta(days=i)) for i in range(days)] if period_of else [None] * days
    log_totals = np.log1p(grid.sum(axis=1))
    class_effects, break_effects, period_effects = _fit_effects(log_totals, classes, after, periods)
    effects = np.array(
        [
            class_effects[c] + (break_effects[a - 1] if a else 0.0) + (period_effects[p] if p is not None else 0.0)
            for c, a, p in zip(classes, after, periods, strict=True)
        ]
    )
    holiday = np.array([c == HOLIDAY for c in classes])
    level, slope, damping = _fit_level(log_totals - effects, holiday)
    return VolumeModel(
        interval_minutes=interval_minutes,
        first_day=first,
        last_day=first + timedelta(days=days - 1),
        tz=tz,
        day_kind=kind_of,
        period_of=period_of,
        long_break_days=long_break_days,
        class_effects=class_effects,
        after_break_effects=break_effects,
        period_effects=period_effects,
        level=level,
        slope=slope,
        damping=damping,
        profiles=_profiles(grid, classes, profile_days, min_profile_days),
    )


# --- forecasting ------------------------------------------------------------------------------------


def _checked_overrides(overrides: Sequence[Override]) -> list[Override]:
    checked = list(overrides)
    for i, item in enumerate(checked):
        name = f"overrides[{i}]"
        if not isinstance(item, Override):
            raise ValueError(f"{name} must be an Override, got {item!r}.")
        if not (isinstance(item.start, datetime) and isinstance(item.end, datetime)):
            raise ValueError(f"{name} must have datetimes as start and end.")
        try:
            if not item.start < item.end:
                raise ValueError(f"{name} must end after it starts.")
        except TypeError:
            raise ValueError(f"{name} must not mix naive and aware datetimes.") from None
        if (item.multiplier is None) == (item.volume is None):
            raise ValueError(f"{name} must have exactly one of multiplier and volume.")
        value = item.multiplier if item.multiplier is not None else item.volume
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            which = "multiplier" if item.multiplier is not None else "volume"
            raise ValueError(f"{name}.{which} must be a number, 0 or more, got {value!r}.")
    return checked


def apply_overrides(
    forecast: Sequence[tuple[datetime, float]], overrides: Sequence[Override]
) -> list[tuple[datetime, float]]:
    """Overrides in the order given: each to the intervals whose start is in [start, end)."""
    checked = _checked_overrides(overrides)
    stamps = [start for start, _volume in forecast]
    volumes = [float(volume) for _start, volume in forecast]
    for i, item in enumerate(checked):
        try:
            hits = [j for j, stamp in enumerate(stamps) if item.start <= stamp < item.end]
        except TypeError:
            raise ValueError(f"overrides[{i}] must be naive or aware like the history.") from None
        for j in hits:
            volumes[j] = volumes[j] * item.multiplier if item.multiplier is not None else float(item.volume)
    return list(zip(stamps, volumes, strict=True))


def forecast_volume(
    model: VolumeModel, *, start: date, days: int, overrides: Sequence[Override] = ()
) -> list[tuple[datetime, float]]:
    """(interval start, expected contacts) for every interval of `days` days from `start` on.

    `start` must be after the last history day; the calendar (`model.day_kind`) must cover the
    days in between. Volumes are never negative.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number, 1 or more, got {days!r}.")
    if not isinstance(start, date) or isinstance(start, datetime):
        raise ValueError(f"start must be a date, got {start!r}.")
    if start <= model.last_day:
        raise ValueError(f"start must be after the last day of the history ({model.last_day.isoformat()}).")
    checked = _checked_overrides(overrides)
    # The classes need the days before `start` to see a break that ends just before it.
    lookback = max(model.first_day, start - timedelta(days=60))
    offset = (start - lookback).days
    classes, after = _classes(lookback, offset + days, model.day_kind, model.long_break_days)
    slots = MINUTES_PER_DAY // model.interval_minutes
    step = timedelta(minutes=model.interval_minutes)
    result: list[tuple[datetime, float]] = []
    for i in range(days):
        day = start + timedelta(days=i)
        klass, position = classes[offset + i], after[offset + i]
        period = model.period_of(day) if model.period_of else None
        total = model.daily_total(day, klass, position, period)
        midnight = datetime.combine(day, time(), tzinfo=model.tz)
        profile = model.profiles[klass]
        result.extend((midnight + s * step, total * profile[s]) for s in range(slots))
    return apply_overrides(result, checked) if checked else result


# --- accuracy ---------------------------------------------------------------------------------------


def _pair(actual: Sequence[float], forecast: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if a.size == 0:
        raise ValueError("actual must hold at least one value, got none.")
    if a.size != f.size:
        raise ValueError(f"forecast must have as many values as actual ({a.size}), got {f.size}.")
    if not np.all(np.isfinite(a) & (a >= 0)):
        raise ValueError("actual must hold numbers, 0 or more.")
    if not np.all(np.isfinite(f)):
        raise ValueError("forecast must hold finite numbers.")
    return a, f


def mape(actual: Sequence[float], forecast: Sequence[float]) -> float:
    """Mean absolute percentage error as a fraction, over the intervals whose actual is not zero."""
    a, f = _pair(actual, forecast)
    counted = a > 0
    if not counted.any():
        raise ValueError("actual must hold at least one volume above 0 for MAPE.")
    return float(np.mean(np.abs(a[counted] - f[counted]) / a[counted]))


def wape(actual: Sequence[float], forecast: Sequence[float]) -> float:
    """Weighted absolute percentage error as a fraction: Σ|actual − forecast| / Σ actual."""
    a, f = _pair(actual, forecast)
    total = a.sum()
    if total <= 0:
        raise ValueError("actual must hold at least one volume above 0 for WAPE.")
    return float(np.abs(a - f).sum() / total)


def backtest(
    history: Iterable[tuple[datetime, float]],
    *,
    interval_minutes: int,
    day_kind: DayKind,
    holdout_weeks: int,
    period_of: PeriodOf | None = None,
    overrides: Sequence[Override] = (),
    long_break_days: int = 3,
    profile_days: int = 12,
    min_profile_days: int = 3,
) -> Backtest:
    """Train on all but the last `holdout_weeks` weeks, forecast them, and score against actuals.

    The seasonal-naive baseline of an interval is the actual of the same interval seven days
    earlier. The other options are those of :func:`fit_volume_model`.
    """
    interval_minutes = _interval_minutes(interval_minutes)
    if isinstance(holdout_weeks, bool) or not isinstance(holdout_weeks, int) or holdout_weeks < 1:
        raise ValueError(f"holdout_weeks must be a whole number of weeks, 1 or more, got {holdout_weeks!r}.")
    first, grid, tz = _history_grid(history, interval_minutes)
    days, slots = grid.shape
    holdout_days = holdout_weeks * 7
    if days - holdout_days < MIN_HISTORY_DAYS:
        raise ValueError(
            f"holdout_weeks must leave at least {MIN_HISTORY_DAYS} days of history to train on: "
            f"{holdout_weeks} weeks asked, the history covers {days} days."
        )
    train_days = days - holdout_days
    step = timedelta(minutes=interval_minutes)
    training = [
        (datetime.combine(first + timedelta(days=d), time(), tzinfo=tz) + s * step, grid[d, s])
        for d in range(train_days)
        for s in range(slots)
    ]
    model = fit_volume_model(
        training,
        interval_minutes=interval_minutes,
        day_kind=day_kind,
        period_of=period_of,
        long_break_days=long_break_days,
        profile_days=profile_days,
        min_profile_days=min_profile_days,
    )
    holdout_start = first + timedelta(days=train_days)
    predicted = forecast_volume(model, start=holdout_start, days=holdout_days, overrides=overrides)
    actual = grid[train_days:].ravel()
    naive_values = grid[train_days - 7 : days - 7].ravel()
    method_values = np.array([volume for _start, volume in predicted])
    return Backtest(
        holdout_start=holdout_start,
        holdout_end=first + timedelta(days=days - 1),
        intervals=actual.size,
        method_mape=mape(actual, method_values),
        method_wape=wape(actual, method_values),
        naive_mape=mape(actual, naive_values),
        naive_wape=wape(actual, naive_values),
        forecast=predicted,
        naive=[(stamp, float(v)) for (stamp, _f), v in zip(predicted, naive_values, strict=True)],
    )


# --- calendars --------------------------------------------------------------------------------------


def day_kind_from_calendar(calendar: WorkCalendar) -> Callable[[date], str]:
    """Day kinds from a WorkCalendar, which knows working days only.

    A working Saturday or Sunday is an adjusted working day, a weekday off a holiday, and a weekend
    day joined to such a weekday by days off belongs to the holiday. The calendar rows' own kinds
    (``CalendarDay.kind``) say this exactly; use them as a mapping when you have them.
    """

    def working(day: date) -> bool | None:
        return calendar.is_working_day(day) if calendar.covers(day) else None

    def kind(day: date) -> str:
        weekend = day.weekday() >= 5
        if calendar.is_working_day(day):
            return ADJUSTED_WORKDAY if weekend else "workday"
        if not weekend:
            return HOLIDAY
        for direction in (-1, 1):
            other = day + timedelta(days=direction)
            while working(other) is False:
                if other.weekday() < 5:
                    return HOLIDAY
                other += timedelta(days=direction)
        return "weekend"

    return kind
