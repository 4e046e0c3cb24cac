"""The simulator engine (CT-20): reproducible from a seed, exact routing shortcuts, and agreement with
Erlang C (M/M/c) and Erlang A (M/M/c+M) in the long run, within batch-means confidence bounds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from banzu.contact.rules import Strategy
from banzu.simulation import engine
from banzu.simulation.engine import AgentSpec, Demand, QueueSpec, Scenario
from banzu.wfm import erlang

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BILLING, TAX, VIP = 11, 12, 13


def single_queue(*, agents: int, load: float, aht: float, patience: float | None, intervals: int, seed: int):
    length = 1800.0
    volume = load / aht * length
    return Scenario(
        start=START,
        interval_seconds=length,
        intervals=intervals,
        queues=[QueueSpec("hotline", {BILLING: 1}, service_level_seconds=20)],
        demand=[Demand(i, 0, volume, aht, patience) for i in range(intervals)],
        agents=[AgentSpec({BILLING: 1}, [(0.0, intervals * length)]) for _ in range(agents)],
        seed=seed,
    )


def mixed(seed: int, *, strategy: Strategy = Strategy.LONGEST_IDLE) -> Scenario:
    """Three queues with priorities, agents with one to three skills at different levels, shifts that
    start and end mid-interval, patience on two queues: every path of the event loop."""
    rng = np.random.default_rng(seed)
    length = 900.0
    intervals = 16
    queues = [
        QueueSpec("billing", {BILLING: 1}, 20, priority=0, strategy=strategy),
        QueueSpec("tax", {TAX: 2}, 30, priority=1, strategy=strategy),
        QueueSpec("vip", {VIP: 1, BILLING: 1}, 10, priority=2, strategy=strategy),
    ]
    demand = [
        Demand(i, q, volume, aht, patience)
        for i in range(intervals)
        for q, (volume, aht, patience) in enumerate([(60, 200, 90), (30, 300, None), (12, 240, 60)])
    ]
    agents = []
    for _ in range(22):
        skills = {skill: int(rng.integers(1, 4)) for skill in (BILLING, TAX, VIP) if rng.random() < 0.6}
        start = float(rng.uniform(0, 3 * length))
        agents.append(AgentSpec(skills or {BILLING: 1}, [(start, start + 5 * length), (start + 6 * length, 1e9)]))
    return Scenario(START, length, intervals, queues, demand, agents, seed=seed)


def as_tuple(result: engine.Result) -> tuple:
    return (
        result.offered.tolist(),
        result.answered.tolist(),
        result.answered_in_time.tolist(),
        result.abandoned.tolist(),
        np.round(result.wait_answered, 9).tolist(),
        np.round(result.busy, 9).tolist(),
        np.round(result.staffed, 9).tolist(),
    )


def test_same_seed_gives_the_same_run_and_another_seed_another():
    first = engine.simulate(mixed(7))
    again = engine.simulate(mixed(7))
    other = engine.simulate(mixed(8))
    assert as_tuple(first) == as_tuple(again)
    assert as_tuple(first) != as_tuple(other)
    assert first.routing_calls > 0


@pytest.mark.parametrize(
    "strategy",
    [Strategy.LONGEST_IDLE, Strategy.SKILLS_BEST_MATCH, Strategy.CUSTOMER_PRIORITY, Strategy.ROUND_ROBIN],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reduced_routing_inputs_decide_exactly_as_the_whole_state(seed, strategy):
    scenario = mixed(seed, strategy=strategy)
    assert as_tuple(engine.simulate(scenario)) == as_tuple(engine.simulate(scenario, whole_state=True))


def test_every_offered_contact_is_answered_or_abandoned_and_occupancy_is_a_share():
    result = engine.simulate(mixed(4))
    assert (result.offered == result.answered + result.abandoned).all()
    assert result.abandoned[:, 0].sum() > 0  # patient enough queues and impatient ones both occur
    assert ((result.busy <= result.staffed + 1e-6) | (result.staffed == 0)).all()
    totals = engine.summary(result)
    assert 0 < totals["occupancy"] <= 1
    assert 0 < totals["service_level"] < 1


def test_higher_priority_queue_waits_less_under_overload():
    # The same demand on two queues, one of priority 1: choose serves it first, so it waits less.
    length = 900.0
    queues = [QueueSpec("low", {BILLING: 1}, 20), QueueSpec("high", {BILLING: 1}, 20, priority=1)]
    demand = [Demand(i, q, 40, 300, None) for i in range(8) for q in (0, 1)]
    agents = [AgentSpec({BILLING: 1}, [(0, 8 * length)]) for _ in range(26)]
    result = engine.simulate(Scenario(START, length, 8, queues, demand, agents, seed=3))
    asa = result.wait_answered.sum(axis=0) / result.answered.sum(axis=0)
    assert asa[1] < asa[0] / 3


def test_nobody_on_shift_means_everyone_hangs_up():
    scenario = single_queue(agents=0, load=2, aht=100, patience=None, intervals=2, seed=1)
    result = engine.simulate(scenario)
    assert result.offered.sum() > 0
    assert result.answered.sum() == 0
    assert result.abandoned.sum() == result.offered.sum()
    assert engine.summary(result)["occupancy"] == 0


def test_replayed_arrivals_are_simulated_as_given():
    scenario = single_queue(agents=1, load=0, aht=100, patience=None, intervals=1, seed=1)
    arrivals = engine.Arrivals(
        at=np.array([10.0, 20.0, 30.0]),
        queue=np.array([0, 0, 0]),
        handle=np.array([15.0, 100.0, 5.0]),
        patience=np.array([math.inf, math.inf, 40.0]),
    )
    result = engine.simulate(scenario, arrivals)
    # 10-25 first, 25-125 second (waited 5 s), the third gives up at 70 after 40 s.
    assert result.answered.sum() == 2
    assert result.abandoned.sum() == 1
    assert result.wait_answered.sum() == pytest.approx(5.0)
    assert result.answered_in_time.sum() == 2
    assert result.busy.sum() == pytest.approx(115.0)


def test_progress_is_reported_rising_to_one():
    seen: list[float] = []
    engine.simulate(mixed(5), progress=seen.append, progress_step=0.1)
    assert seen == sorted(seen)
    assert 8 <= len(seen) <= 12
    assert seen[-1] == 1.0


# --- statistical validation against Erlang C and Erlang A --------------------------------------------

BATCHES = 20
WARM_UP = 2  # intervals dropped at the start (empty system) and at the end (closing)
CONFIDENCE = 0.99


def batch_means(result: engine.Result, top: np.ndarray, bottom: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the confidence interval of a ratio estimated per batch of intervals."""
    top = top[WARM_UP:-WARM_UP].sum(axis=1)
    bottom = bottom[WARM_UP:-WARM_UP].sum(axis=1)
    values = np.array(
        [t.sum() / b.sum() for t, b in zip(np.array_split(top, BATCHES), np.array_split(bottom, BATCHES), strict=True)]
    )
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, BATCHES - 1) * values.std(ddof=1) / math.sqrt(BATCHES)
    return float(values.mean()), float(half)


def test_mmc_agrees_with_erlang_c():
    agents, load, aht, within = 10, 7.0, 180.0, 20
    result = engine.simulate(
        single_queue(agents=agents, load=load, aht=aht, patience=None, intervals=3000, seed=20260301)
    )
    sl, sl_half = batch_means(result, result.answered_in_time, result.offered)
    asa, asa_half = batch_means(result, result.wait_answered, result.answered)
    expected_sl = erlang.service_level(agents, load, aht, within)
    expected_asa = erlang.average_speed_of_answer(agents, load, aht)
    assert sl_half < 0.015 and asa_half < 0.15 * expected_asa  # tight bounds, or the test proves nothing
    assert abs(sl - expected_sl) <= sl_half
    assert abs(asa - expected_asa) <= asa_half
    # The bounds do tell one agent more or less apart.
    assert abs(sl - erlang.service_level(agents + 1, load, aht, within)) > sl_half
    assert abs(asa - erlang.average_speed_of_answer(agents - 1, load, aht)) > asa_half


def test_mmc_plus_m_agrees_with_erlang_a():
    agents, load, aht, patience, within = 10, 9.0, 180.0, 240.0, 20
    result = engine.simulate(
        single_queue(agents=agents, load=load, aht=aht, patience=patience, intervals=2000, seed=20260302)
    )
    sl, sl_half = batch_means(result, result.answered_in_time, result.offered)
    abandon, abandon_half = batch_means(result, result.abandoned, result.offered)
    wait, wait_half = batch_means(result, result.wait_all, result.offered)
    expected = {
        "sl": erlang.erlang_a_service_level(agents, load, aht, patience, within),
        "abandon": erlang.erlang_a_probability_of_abandonment(agents, load, aht, patience),
        "wait": erlang.erlang_a_average_wait(agents, load, aht, patience),
    }
    assert sl_half < 0.015 and abandon_half < 0.005 and wait_half < 0.08 * expected["wait"]
    assert abs(sl - expected["sl"]) <= sl_half
    assert abs(abandon - expected["abandon"]) <= abandon_half
    assert abs(wait - expected["wait"]) <= wait_half
    other = erlang.erlang_a_probability_of_abandonment(agents + 1, load, aht, patience)
    assert abs(abandon - other) > abandon_half


def test_busy_time_is_split_exactly_between_intervals():
    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 3600, 200)
    ends = starts + rng.exponential(300, 200)
    got = engine._busy_per_interval(starts, ends, 900.0, 4)
    edges = np.arange(5) * 900.0
    expected = [np.clip(np.minimum(ends, edges[k + 1]) - np.maximum(starts, edges[k]), 0, None).sum() for k in range(4)]
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(("times", "message"), [([10.0, 2000.0], "within"), ([20.0, 10.0], "sorted")])
def test_replayed_arrivals_outside_the_scenario_or_unsorted_are_refused(times, message):
    scenario = single_queue(agents=1, load=0, aht=100, patience=None, intervals=1, seed=1)
    arrivals = engine.Arrivals(
        at=np.array(times), queue=np.array([0, 0]), handle=np.array([1.0, 1.0]), patience=np.array([1.0, 1.0])
    )
    with pytest.raises(ValueError, match=message):
        engine.simulate(scenario, arrivals)
