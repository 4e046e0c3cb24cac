"""WFM-1: contact volume forecast per interval, overrides, and accuracy against the seasonal naive."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from banzu.core.calendar_seed import package_days
from banzu.core.rules import WorkCalendar
from banzu.wfm import forecast
from banzu.wfm.forecast import Override
from banzu.wfm.tests import synthetic

KINDS = synthetic.calendar_kinds()
NATIONAL_DAY_HOLDOUT_END = date(2025, 10, 19)  # holdout 2025-09-22 .. 2025-10-19
SPRING_FESTIVAL_HOLDOUT_END = date(2025, 2, 16)  # holdout 2025-01-20 .. 2025-02-16


@pytest.fixture(scope="module")
def history() -> list[tuple[datetime, int]]:
    return synthetic.tax_hotline_history()


def until(history, last: date, first: date = synthetic.FIRST_DAY):
    return [row for row in history if first <= row[0].date() <= last]


@pytest.fixture(scope="module")
def model(history) -> forecast.VolumeModel:
    """Trained up to the Sunday before the National Day holdout."""
    return forecast.fit_volume_model(
        until(history, date(2025, 9, 21)),
        interval_minutes=30,
        day_kind=KINDS,
        period_of=synthetic.collection_period,
    )


def daily_totals(rows) -> dict[date, float]:
    totals: dict[date, float] = {}
    for start, volume in rows:
        totals[start.date()] = totals.get(start.date(), 0.0) + volume
    return totals


# --- accuracy against the seasonal naive --------------------------------------------------------------


@pytest.mark.parametrize("end", [NATIONAL_DAY_HOLDOUT_END, SPRING_FESTIVAL_HOLDOUT_END])
def test_method_beats_seasonal_naive_on_weeks_with_a_long_holiday(history, end):
    result = forecast.backtest(
        until(history, end),
        interval_minutes=30,
        day_kind=KINDS,
        holdout_weeks=4,
        period_of=synthetic.collection_period,
    )
    assert result.holdout_end == end
    assert any(KINDS[result.holdout_start + timedelta(days=d)] == "holiday" for d in range(28))
    assert result.intervals == 28 * 48
    # The naive forecast repeats a working week onto the holiday and the holiday onto the backlog.
    assert result.naive_wape > 0.5
    assert result.method_wape < 0.09
    assert result.method_wape < result.naive_wape / 5
    assert result.method_mape < result.naive_mape


def test_method_beats_seasonal_naive_without_a_holiday_too(history):
    # 2025-11-03 .. 2025-11-30: only weekdays, weekends and the collection period.
    result = forecast.backtest(
        until(history, date(2025, 11, 30)),
        interval_minutes=30,
        day_kind=KINDS,
        holdout_weeks=4,
        period_of=synthetic.collection_period,
    )
    assert result.method_wape < 0.8 * result.naive_wape


def test_naive_baseline_is_the_same_interval_one_week_earlier_even_on_a_holiday(history):
    rows = until(history, NATIONAL_DAY_HOLDOUT_END)
    result = forecast.backtest(rows, interval_minutes=30, day_kind=KINDS, holdout_weeks=2)
    actual = dict(rows)
    naive = dict(result.naive)
    # Monday 6 October is a holiday; the baseline still repeats the working Monday before.
    assert naive[datetime(2025, 10, 6, 10, 0)] == actual[datetime(2025, 9, 29, 10, 0)]
    assert naive[datetime(2025, 10, 19, 23, 30)] == actual[datetime(2025, 10, 12, 23, 30)]
    assert result.holdout_start == date(2025, 10, 6)
    assert [start for start, _v in result.naive] == [start for start, _v in result.forecast]


# --- the calendar drives the day types ----------------------------------------------------------------


def test_calendar_effects_are_learned_from_the_history(model):
    # The generator: after-break backlog ×1.45, collection period ×1.3, holidays ×0.02 of a Wednesday.
    assert math.expm1(model.after_break_effects[0]) == pytest.approx(0.45, abs=0.1)
    assert math.expm1(model.period_effects["collection"]) == pytest.approx(0.30, abs=0.05)
    assert math.exp(model.class_effects["holiday"]) < 0.05
    assert math.exp(model.class_effects["adjusted_workday"]) == pytest.approx(0.97, abs=0.1)


def test_holidays_are_quiet_make_up_days_work_and_the_backlog_follows_the_break(model):
    totals = daily_totals(forecast.forecast_volume(model, start=date(2025, 9, 22), days=28))
    wednesday = totals[date(2025, 9, 24)]
    for day in (date(2025, 10, 1) + timedelta(days=d) for d in range(8)):
        assert totals[day] < 0.05 * wednesday, day
    # 调休 Sunday 28 September and Saturday 11 October work like weekdays, unlike the Sunday after.
    assert totals[date(2025, 9, 28)] > 0.8 * wednesday
    assert totals[date(2025, 10, 11)] > 3 * totals[date(2025, 10, 12)]
    # Thursday 9 October, first day after the break and in 征期, against an ordinary Thursday.
    assert totals[date(2025, 10, 9)] > 1.3 * 1.3 * totals[date(2025, 9, 25)]
    # Wednesday 15 October is the last day of the collection period; Wednesday 24 September is not in it.
    assert totals[date(2025, 10, 15)] > 1.2 * totals[date(2025, 9, 24)]


def test_intraday_profile_has_the_morning_and_afternoon_peaks(model):
    volumes = dict(forecast.forecast_volume(model, start=date(2025, 9, 22), days=1))
    at = lambda hour, minute=0: volumes[datetime(2025, 9, 22, hour, minute)]  # noqa: E731
    assert at(10) > 3 * at(7) and at(10) > at(12, 30) < at(15)
    assert at(3) < 0.02 * at(10)


def test_day_kind_from_a_work_calendar_matches_the_calendar_rows():
    rows = [row for year in (2024, 2025) for row in package_days(year)]
    calendar = WorkCalendar.build([day for day, working, _k, _n in rows if working], [2024, 2025])
    kind_of = forecast.day_kind_from_calendar(calendar)
    differences = {day: (kind, kind_of(day)) for day, _w, kind, _n in rows if kind_of(day) != kind}
    # Dragon Boat 2024 (Monday 10 June) joined an ordinary weekend the rows keep as weekend.
    assert differences == {
        date(2024, 6, 8): ("weekend", "holiday"),
        date(2024, 6, 9): ("weekend", "holiday"),
    }


# --- output shape -------------------------------------------------------------------------------------


@pytest.mark.parametrize("interval_minutes", [15, 30])
def test_interval_lengths_of_15_and_30_minutes_both_forecast(interval_minutes):
    rows = synthetic.tax_hotline_history(date(2025, 6, 2), date(2025, 9, 21), interval_minutes=interval_minutes)
    fitted = forecast.fit_volume_model(rows, interval_minutes=interval_minutes, day_kind=KINDS)
    result = forecast.forecast_volume(fitted, start=date(2025, 9, 22), days=7)
    slots = 24 * 60 // interval_minutes
    assert len(result) == 7 * slots
    assert [start for start, _v in result[:3]] == [
        datetime(2025, 9, 22, 0, 0) + i * timedelta(minutes=interval_minutes) for i in range(3)
    ]
    assert result[-1][0] == datetime(2025, 9, 28, 23, 60 - interval_minutes)
    # The generator's expected Monday, whatever the interval length.
    monday = sum(volume for _s, volume in result[:slots])
    assert monday == pytest.approx(synthetic.expected_daily_totals()[date(2025, 9, 22)], rel=0.1)


def test_15_and_30_minute_forecasts_agree_on_daily_totals():
    totals = []
    for minutes in (15, 30):
        rows = synthetic.tax_hotline_history(date(2025, 6, 2), date(2025, 9, 21), interval_minutes=minutes)
        fitted = forecast.fit_volume_model(rows, interval_minutes=minutes, day_kind=KINDS)
        totals.append(daily_totals(forecast.forecast_volume(fitted, start=date(2025, 9, 22), days=14)))
    for day, total in totals[1].items():
        if KINDS[day] == "holiday":
            # One holiday (2 June) in the history: a near-zero total either way, but a noisy one.
            assert totals[0][day] < 0.05 * totals[0][date(2025, 9, 24)]
        else:
            assert totals[0][day] == pytest.approx(total, rel=0.05), day


def test_forecast_is_never_negative_when_traffic_collapses():
    # Four busy weeks, then traffic falls away to nothing: the trend points far below zero.
    rows = synthetic.tax_hotline_history(date(2025, 3, 3), date(2025, 4, 27))
    days = 56
    fading = [
        (start, round(volume * max(0.0, 1 - max(0, (start.date() - date(2025, 3, 31)).days) / 20)))
        for start, volume in rows
    ]
    assert sum(v for s, v in fading if s.date() >= date(2025, 4, 20)) == 0
    fitted = forecast.fit_volume_model(fading, interval_minutes=30, day_kind=KINDS)
    assert (fitted.last_day - fitted.first_day).days == days - 1
    result = forecast.forecast_volume(fitted, start=date(2025, 4, 28), days=60)
    volumes = np.array([volume for _s, volume in result])
    assert np.all(np.isfinite(volumes)) and np.all(volumes >= 0)


def test_all_zero_history_forecasts_zero():
    rows = [(datetime(2025, 3, 3) + timedelta(minutes=30 * i), 0) for i in range(48 * 35)]
    fitted = forecast.fit_volume_model(rows, interval_minutes=30, day_kind=KINDS)
    assert {volume for _s, volume in forecast.forecast_volume(fitted, start=date(2025, 4, 7), days=3)} == {0.0}


def test_zone_of_the_history_is_kept_and_missing_intervals_count_as_zero():
    zone = ZoneInfo("Asia/Shanghai")
    rows = [
        (datetime.combine(start.date(), start.time(), tzinfo=zone), volume)
        for start, volume in synthetic.tax_hotline_history(date(2025, 3, 3), date(2025, 4, 27))
        if volume  # interval statistics store only intervals with traffic
    ]
    fitted = forecast.fit_volume_model(rows, interval_minutes=30, day_kind=KINDS)
    assert fitted.first_day == date(2025, 3, 3) and fitted.last_day == date(2025, 4, 27)
    first, *_ = forecast.forecast_volume(fitted, start=date(2025, 4, 28), days=1)
    assert first[0] == datetime(2025, 4, 28, tzinfo=zone)


# --- overrides ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(model) -> list[tuple[datetime, float]]:
    return forecast.forecast_volume(model, start=date(2025, 9, 22), days=2)


def changed_intervals(before, after) -> dict[datetime, tuple[float, float]]:
    return {s: (b, a) for (s, b), (_s, a) in zip(before, after, strict=True) if a != b}


def test_multiplier_override_applies_to_exactly_its_intervals(model, plain):
    surge = Override(start=datetime(2025, 9, 22, 10, 0), end=datetime(2025, 9, 22, 12, 0), multiplier=1.4)
    result = forecast.forecast_volume(model, start=date(2025, 9, 22), days=2, overrides=[surge])
    changed = changed_intervals(plain, result)
    assert sorted(changed) == [datetime(2025, 9, 22, 10, 0) + timedelta(minutes=30 * i) for i in range(4)]
    for before, after in changed.values():
        assert after == pytest.approx(before * 1.4)


def test_volume_override_replaces_and_later_overrides_see_earlier_ones(model, plain):
    overrides = [
        Override(start=datetime(2025, 9, 23, 8, 0), end=datetime(2025, 9, 23, 9, 0), volume=50),
        Override(start=datetime(2025, 9, 23, 8, 30), end=datetime(2025, 9, 23, 9, 1), multiplier=2),
    ]
    result = dict(forecast.forecast_volume(model, start=date(2025, 9, 22), days=2, overrides=overrides))
    before = dict(plain)
    assert result[datetime(2025, 9, 23, 8, 0)] == 50
    assert result[datetime(2025, 9, 23, 8, 30)] == 100
    # 09:00 starts inside the second range only (the end is exclusive, the start inclusive).
    assert result[datetime(2025, 9, 23, 9, 0)] == pytest.approx(2 * before[datetime(2025, 9, 23, 9, 0)])
    assert result[datetime(2025, 9, 23, 9, 30)] == before[datetime(2025, 9, 23, 9, 30)]
    assert result[datetime(2025, 9, 23, 7, 30)] == before[datetime(2025, 9, 23, 7, 30)]


def test_collection_period_as_an_override_lifts_whole_days(model, plain):
    period = Override(start=datetime(2025, 9, 23), end=datetime(2025, 9, 24), multiplier=1.4)
    result = forecast.apply_overrides(plain, [period])
    assert daily_totals(result)[date(2025, 9, 23)] == pytest.approx(1.4 * daily_totals(plain)[date(2025, 9, 23)])
    assert daily_totals(result)[date(2025, 9, 22)] == daily_totals(plain)[date(2025, 9, 22)]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (Override(datetime(2025, 9, 22, 12), datetime(2025, 9, 22, 10), multiplier=1.2), "end after it starts"),
        (Override(datetime(2025, 9, 22, 10), datetime(2025, 9, 22, 12)), "exactly one"),
        (Override(datetime(2025, 9, 22, 10), datetime(2025, 9, 22, 12), multiplier=1.2, volume=3), "exactly one"),
        (Override(datetime(2025, 9, 22, 10), datetime(2025, 9, 22, 12), multiplier=-1), r"\.multiplier"),
        (Override(datetime(2025, 9, 22, 10), datetime(2025, 9, 22, 12), volume=float("nan")), r"\.volume"),
        (
            Override(datetime(2025, 9, 22, 10, tzinfo=ZoneInfo("Asia/Shanghai")), datetime(2025, 9, 22, 12), volume=1),
            "naive and aware",
        ),
    ],
)
def test_bad_override_is_refused(model, override, message):
    with pytest.raises(ValueError, match=rf"^overrides\[0\].*{message}"):
        forecast.forecast_volume(model, start=date(2025, 9, 22), days=1, overrides=[override])


# --- bad input ----------------------------------------------------------------------------------------


def four_weeks(volume=5):
    return [(datetime(2025, 3, 3) + timedelta(minutes=30 * i), volume) for i in range(48 * 28)]


def test_negative_history_volume_is_refused():
    rows = four_weeks()
    rows[100] = (rows[100][0], -1)
    with pytest.raises(ValueError, match=r"^history volume must be a number, 0 or more, got -1 at 2025-03-05T02:00"):
        forecast.fit_volume_model(rows, interval_minutes=30, day_kind=KINDS)


def test_empty_history_is_refused():
    with pytest.raises(ValueError, match="^history must hold at least one interval"):
        forecast.fit_volume_model([], interval_minutes=30, day_kind=KINDS)
    with pytest.raises(ValueError, match="^history must hold at least one interval"):
        forecast.backtest([], interval_minutes=30, day_kind=KINDS, holdout_weeks=1)


@pytest.mark.parametrize("interval_minutes", [0, -30, 7, 25, 45.0, True])
def test_interval_length_that_does_not_divide_a_day_is_refused(interval_minutes):
    with pytest.raises(ValueError, match="^interval_minutes must be a whole number of minutes that divides a day"):
        forecast.fit_volume_model(four_weeks(), interval_minutes=interval_minutes, day_kind=KINDS)


def test_holdout_longer_than_the_history_is_refused():
    with pytest.raises(ValueError, match="^holdout_weeks must leave at least 28 days"):
        forecast.backtest(four_weeks(), interval_minutes=30, day_kind=KINDS, holdout_weeks=5)
    with pytest.raises(ValueError, match="^holdout_weeks must leave at least 28 days"):
        forecast.backtest(four_weeks(), interval_minutes=30, day_kind=KINDS, holdout_weeks=1)
    with pytest.raises(ValueError, match="^holdout_weeks must be a whole number of weeks"):
        forecast.backtest(four_weeks(), interval_minutes=30, day_kind=KINDS, holdout_weeks=0)


def test_history_off_the_interval_grid_or_twice_or_too_short_is_refused():
    with pytest.raises(ValueError, match="^history interval 2025-03-03T00:15:00 does not start on a 30-minute"):
        forecast.fit_volume_model(
            four_weeks() + [(datetime(2025, 3, 3, 0, 15), 1)], interval_minutes=30, day_kind=KINDS
        )
    with pytest.raises(ValueError, match="^history must hold each interval once"):
        forecast.fit_volume_model(four_weeks() + [(datetime(2025, 3, 3), 1)], interval_minutes=30, day_kind=KINDS)
    with pytest.raises(ValueError, match="^history must cover at least 28 days, got 27"):
        forecast.fit_volume_model(four_weeks()[48:], interval_minutes=30, day_kind=KINDS)
    with pytest.raises(ValueError, match=r"^history must hold \(interval start, volume\) pairs"):
        forecast.fit_volume_model([*four_weeks(), "2025-03-31"], interval_minutes=30, day_kind=KINDS)


def test_calendar_that_does_not_cover_the_history_or_says_nonsense_is_refused():
    with pytest.raises(ValueError, match="^day_kind has no kind for 2025-03-03"):
        forecast.fit_volume_model(four_weeks(), interval_minutes=30, day_kind={})
    with pytest.raises(ValueError, match="^day_kind must be one of"):
        forecast.fit_volume_model(four_weeks(), interval_minutes=30, day_kind=lambda day: "festival")
    calendar = WorkCalendar.build([], [2024])
    with pytest.raises(ValueError, match="^day_kind has no kind for 2025-03-03"):
        forecast.fit_volume_model(four_weeks(), interval_minutes=30, day_kind=forecast.day_kind_from_calendar(calendar))


def test_forecast_must_start_after_the_history(model):
    with pytest.raises(ValueError, match="^start must be after the last day of the history"):
        forecast.forecast_volume(model, start=date(2025, 9, 21), days=1)
    with pytest.raises(ValueError, match="^days must be a whole number, 1 or more"):
        forecast.forecast_volume(model, start=date(2025, 9, 22), days=0)


# --- MAPE and WAPE ------------------------------------------------------------------------------------


def test_mape_skips_zero_actuals_and_wape_counts_them():
    actual = [10, 0, 20, 5]
    predicted = [12, 3, 15, 5]
    # |10-12|/10 = 0.2, |20-15|/20 = 0.25, |5-5|/5 = 0 over three intervals; the zero is skipped.
    assert forecast.mape(actual, predicted) == pytest.approx(0.15, abs=1e-15)
    # (2 + 3 + 5 + 0) / 35
    assert forecast.wape(actual, predicted) == pytest.approx(2 / 7, abs=1e-15)


def test_perfect_and_empty_forecasts():
    assert forecast.mape([4, 0, 6], [4, 0, 6]) == 0
    assert forecast.wape([4, 0, 6], [4, 0, 6]) == 0
    assert forecast.mape([4, 6], [0, 0]) == 1
    assert forecast.wape([4, 6], [0, 0]) == 1
    # Over-forecasting is not capped: 30 against 10 is 200 %.
    assert forecast.wape([10], [30]) == pytest.approx(2.0)


def test_wape_weighs_big_intervals_more_than_mape():
    actual = [1, 100]
    predicted = [2, 100]
    assert forecast.mape(actual, predicted) == pytest.approx(0.5)
    assert forecast.wape(actual, predicted) == pytest.approx(1 / 101)


@pytest.mark.parametrize("metric", [forecast.mape, forecast.wape])
def test_bad_accuracy_input_is_refused(metric):
    with pytest.raises(ValueError, match="^actual must hold at least one volume above 0"):
        metric([0, 0], [1, 2])
    with pytest.raises(ValueError, match="^actual must hold at least one value"):
        metric([], [])
    with pytest.raises(ValueError, match="^forecast must have as many values as actual"):
        metric([1, 2], [1])
    with pytest.raises(ValueError, match="^actual must hold numbers, 0 or more"):
        metric([1, -2], [1, 2])


# --- the synthetic history ----------------------------------------------------------------------------


def test_synthetic_history_is_seeded_and_follows_the_calendar(history):
    again = synthetic.tax_hotline_history(date(2025, 9, 29), date(2025, 10, 12))
    assert again == until(history, date(2025, 10, 12), date(2025, 9, 29))
    assert synthetic.tax_hotline_history(date(2025, 9, 29), date(2025, 9, 29), seed=1) != again[:48]
    totals = daily_totals(history)
    assert totals[date(2025, 10, 3)] < 0.05 * totals[date(2025, 9, 24)]  # National Day
    assert totals[date(2025, 9, 28)] > 4 * totals[date(2025, 9, 21)]  # 调休 Sunday against a Sunday
    assert totals[date(2025, 10, 9)] > totals[date(2025, 9, 25)] * 1.5  # the backlog after the break
    assert min(volume for _s, volume in history) >= 0
    assert len(history) == 731 * 48
