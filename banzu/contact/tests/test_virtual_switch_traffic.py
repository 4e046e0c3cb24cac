"""The virtual switch's traffic model (CT-1, CT-20): profile, Poisson arrivals, patience, replay files."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banzu.contact import virtual_switch as vs


def test_default_profile_covers_the_day_and_peaks_in_the_morning():
    shares = vs.profile_shares(vs.DEFAULT_PROFILE)
    assert len(shares) == vs.SLOTS_PER_DAY
    assert math.isclose(sum(shares), 1.0)
    peak = shares.index(max(shares))
    assert 9 * 2 <= peak < 12 * 2  # a half-hour between 09:00 and 12:00
    assert shares[3 * 2] < shares[peak] / 20  # 03:00 is quiet


@pytest.mark.parametrize(
    "weights",
    [[1.0] * 47, [1.0] * 49, [0.0] * 48, [-1.0] + [1.0] * 47, [math.nan] + [1.0] * 47],
)
def test_a_profile_must_have_48_finite_non_negative_weights_with_some_volume(weights):
    with pytest.raises(ValueError):
        vs.profile_shares(weights)


def test_slot_rates_spread_the_daily_volume_and_the_floor_lifts_quiet_slots():
    shares = vs.profile_shares(vs.DEFAULT_PROFILE)
    rates = vs.slot_rates(shares, 4800)
    assert math.isclose(sum(rate * vs.SLOT_SECONDS for rate in rates), 4800)
    floored = vs.slot_rates(shares, 4800, floor=0.5)
    assert min(floored) == pytest.approx(max(rates) * 0.5)
    assert max(floored) == max(rates)
    with pytest.raises(ValueError):
        vs.slot_rates(shares, 4800, floor=1.5)


def test_demo_volume_keeps_the_agents_at_the_occupancy_in_the_peak():
    shares = vs.profile_shares(vs.DEFAULT_PROFILE)
    volume = vs.demo_daily_volume(shares, agents=40, handle_seconds=120, occupancy=0.8)
    peak_rate = max(vs.slot_rates(shares, volume))
    assert peak_rate * 120 == pytest.approx(0.8 * 40)  # Erlangs offered at the peak
    with pytest.raises(ValueError):
        vs.demo_daily_volume(shares, agents=0, handle_seconds=120, occupancy=0.8)


def test_arrivals_count_matches_the_rate_per_slot():
    # Two slots with very different rates: the counts follow each slot's rate, not the average.
    rates = [0.0] * vs.SLOTS_PER_DAY
    rates[0], rates[1] = 0.2, 1.0
    times = list(vs.arrival_offsets(random.Random(7), rates, 0, 2 * vs.SLOT_SECONDS))
    first = sum(1 for t in times if t < vs.SLOT_SECONDS)
    second = len(times) - first
    # Poisson: mean 360 and 1800, standard deviations 19 and 42; five of them either way.
    assert abs(first - 360) < 5 * 19
    assert abs(second - 1800) < 5 * 43
    assert times == sorted(times)


def test_gaps_of_a_constant_rate_are_exponential():
    rates = [0.5] * vs.SLOTS_PER_DAY
    times = list(vs.arrival_offsets(random.Random(11), rates, 0, 4 * 3600))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert statistics.mean(gaps) == pytest.approx(2.0, rel=0.05)
    assert statistics.stdev(gaps) == pytest.approx(2.0, rel=0.08)  # exponential: sd = mean


def test_no_arrivals_in_a_slot_without_rate_and_the_day_wraps_around():
    rates = [0.0] * vs.SLOTS_PER_DAY
    rates[0] = 0.5
    # From 23:00 for two hours: nothing until midnight, then the first slot of the next day.
    start = 23 * 3600
    times = list(vs.arrival_offsets(random.Random(3), rates, start, start + 2 * 3600))
    assert times
    assert all(vs.DAY_SECONDS <= t < vs.DAY_SECONDS + vs.SLOT_SECONDS for t in times)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    start=st.floats(0, vs.DAY_SECONDS),
    duration=st.floats(0, 3 * 3600),
    rate=st.floats(0, 2),
)
def test_arrivals_stay_in_the_window_in_order(seed, start, duration, rate):
    rates = [rate] * vs.SLOTS_PER_DAY
    times = list(vs.arrival_offsets(random.Random(seed), rates, start, start + duration))
    assert all(start <= t < start + duration for t in times)
    assert times == sorted(times)


def test_synthetic_calls_split_by_share_and_draw_patience_and_talk_from_the_queue():
    traffic = [
        vs.QueueTraffic("TAX", share=3, talk_seconds=200, patience_seconds=60),
        vs.QueueTraffic("INV", share=1, talk_seconds=100, patience_seconds=30),
    ]
    rates = [1.0] * vs.SLOTS_PER_DAY
    calls = list(vs.synthetic_calls(random.Random(5), traffic, rates, start_of_day_seconds=600, duration=3600))
    tax = [c for c in calls if c.queue == "TAX"]
    inv = [c for c in calls if c.queue == "INV"]
    assert len(tax) / len(calls) == pytest.approx(0.75, abs=0.04)
    assert statistics.mean(c.patience_seconds for c in tax) == pytest.approx(60, rel=0.1)
    assert statistics.mean(c.patience_seconds for c in inv) == pytest.approx(30, rel=0.15)
    assert statistics.mean(c.talk_seconds for c in tax) == pytest.approx(200, rel=0.1)
    assert all(0 <= c.at < 3600 for c in calls)
    assert all(len(c.caller_number) == 11 and c.caller_number.startswith("1") for c in calls)


def test_same_seed_same_calls():
    traffic = [vs.QueueTraffic("TAX")]
    rates = [0.3] * vs.SLOTS_PER_DAY

    def run(seed):
        return list(vs.synthetic_calls(random.Random(seed), traffic, rates, start_of_day_seconds=0, duration=600))

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_a_replay_file_gives_calls_in_time_order_and_fills_what_it_omits():
    text = [
        "offset_seconds,queue,caller_number,patience_seconds,talk_seconds\n",
        "5,TAX,13800000001,30,120\n",
        "1.5,INV,,,\n",
    ]
    calls = vs.read_replay(text, [vs.QueueTraffic("INV", patience_seconds=40)], random.Random(1))
    assert [(c.at, c.queue) for c in calls] == [(1.5, "INV"), (5.0, "TAX")]
    assert calls[1] == vs.Call(5.0, "TAX", "13800000001", 30.0, 120.0)
    assert calls[0].patience_seconds >= 0 and calls[0].talk_seconds > 0
    assert calls[0].caller_number.startswith("1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (["queue\n", "TAX\n"], "offset_seconds"),
        (["offset_seconds,queue\n", "x,TAX\n"], "line 2"),
        (["offset_seconds,queue\n", "1,TAX\n", "-1,TAX\n"], "line 3"),
        (["offset_seconds,queue\n", "1,\n"], "line 2"),
        (["offset_seconds,queue,talk_seconds\n", "1,TAX,0\n"], "line 2"),
    ],
)
def test_a_bad_replay_line_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        vs.read_replay(text, [], random.Random(1))
