"""Contact volume forecast accuracy against the seasonal-naive forecast (WFM-1).

Workload: the synthetic tax-hotline history (``banzu/wfm/tests/synthetic.py``, seeded) of 30-minute
intervals from 2024-01-01 to 2025-10-19. The last four weeks (2025-09-22 to 2025-10-19) are held out:
they hold the National Day holiday (1-8 October), two 调休 make-up working days, the backlog after
the break and the start and end of a collection period. The model trains on the 90 weeks before.

Measured: WAPE and MAPE of the method and of the seasonal-naive forecast (the same interval one week
earlier, from the actuals) on the held-out intervals, and the time to fit the model and forecast the
four weeks (median of five runs). For reference the run also prints the WAPE of the generator's own
expected values (no forecast can do much better: what is left is Poisson and day-to-day noise) and
the same comparison for holdouts around Spring Festival and Labour Day 2025.

value = method WAPE in %; ratio = naive WAPE / method WAPE. No Django needed.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, timedelta

import numpy as np

from bench._util import print_result

NAME = "forecast"
INTERVAL_MINUTES = 30
HOLDOUT_WEEKS = 4
MAIN_END = date(2025, 10, 19)  # National Day 2025 in the holdout
OTHER_ENDS = {"spring_festival_2025": date(2025, 2, 16), "labour_day_2025": date(2025, 5, 18)}


def expected_volumes(first: date, days: int) -> np.ndarray:
    """The generator's expected volume of each interval, before day-to-day and Poisson noise."""
    from banzu.wfm.tests import synthetic

    totals = synthetic.expected_daily_totals()
    kinds = synthetic.calendar_kinds()
    profiles = synthetic._profiles(INTERVAL_MINUTES)
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        kind = kinds[day]
        rows.append(totals[day] * profiles["working" if kind in ("workday", "adjusted_workday") else kind])
    return np.concatenate(rows)


def main() -> int:
    from banzu.wfm import forecast
    from banzu.wfm.tests import synthetic

    kinds = synthetic.calendar_kinds()
    full = synthetic.tax_hotline_history(interval_minutes=INTERVAL_MINUTES)
    history = [row for row in full if row[0].date() <= MAIN_END]
    holdout_start = MAIN_END - timedelta(days=HOLDOUT_WEEKS * 7 - 1)
    training = [row for row in history if row[0].date() < holdout_start]
    print(f"{len(history)} intervals, {len(training)} to train on, holdout {holdout_start} .. {MAIN_END}")

    options = {"interval_minutes": INTERVAL_MINUTES, "day_kind": kinds, "period_of": synthetic.collection_period}
    result = forecast.backtest(history, holdout_weeks=HOLDOUT_WEEKS, **options)

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        model = forecast.fit_volume_model(training, **options)
        predicted = forecast.forecast_volume(model, start=holdout_start, days=HOLDOUT_WEEKS * 7)
        timings.append(time.perf_counter() - started)
    seconds = statistics.median(timings)
    if [v for _t, v in predicted] != [v for _t, v in result.forecast]:
        print("the backtest and the direct forecast differ")
        return 1

    actual = np.array([v for _t, v in history[-len(predicted) :]], dtype=float)
    floor = forecast.wape(actual, expected_volumes(holdout_start, HOLDOUT_WEEKS * 7))
    print(
        f"method: WAPE {result.method_wape:.2%}, MAPE {result.method_mape:.2%}; "
        f"seasonal naive: WAPE {result.naive_wape:.2%}, MAPE {result.naive_mape:.2%}; "
        f"generator's expected values: WAPE {floor:.2%}"
    )
    print(f"fit + forecast: {seconds:.3f} s (median of 5, min {min(timings):.3f} s)")
    print(
        f"level damping {model.damping:.3f}; effects: after break {np.expm1(model.after_break_effects[0]):+.0%}, "
        f"collection period {np.expm1(model.period_effects['collection']):+.0%}, "
        f"holiday {np.expm1(model.class_effects['holiday']):+.0%} (against a Wednesday)"
    )
    for label, end in OTHER_ENDS.items():
        other = forecast.backtest([row for row in full if row[0].date() <= end], holdout_weeks=HOLDOUT_WEEKS, **options)
        print(
            f"{label} ({other.holdout_start} .. {other.holdout_end}): method WAPE {other.method_wape:.2%}, "
            f"naive WAPE {other.naive_wape:.2%}"
        )

    method_wape = result.method_wape * 100
    print_result(
        name=NAME,
        value=round(method_wape, 2),
        unit="%",
        peer="seasonal_naive",
        ratio=round(result.naive_wape / result.method_wape, 2),
        mape=round(result.method_mape * 100, 2),
        naive_mape=round(result.naive_mape * 100, 2),
        seconds=round(seconds, 3),
    )
    return 0 if result.method_wape < result.naive_wape else 1


if __name__ == "__main__":
    sys.exit(main())
