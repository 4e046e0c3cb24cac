"""Overflow between simulated queues (CT-5, CT-20): the queue policy the live ACD routes with, the
contact counted under its own queue, and the reduced routing inputs still exact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from banzu.contact.rules import Strategy
from banzu.simulation import engine
from banzu.simulation.engine import AgentSpec, Arrivals, Demand, QueueSpec, Scenario
from banzu.simulation.tests.test_engine import BILLING, START, TAX, as_tuple, mixed


def tiny(*, overflow_after: float | None, max_wait: float | None = None) -> Scenario:
    """Queue 0 (billing) has nobody; queue 1 (tax) has one agent; billing may overflow to tax."""
    queues = [
        QueueSpec(
            "billing",
            {BILLING: 1},
            20,
            overflow_to=1 if overflow_after is not None else None,
            overflow_after_seconds=overflow_after,
            max_wait_seconds=max_wait,
        ),
        QueueSpec("tax", {TAX: 1}, 20),
    ]
    return Scenario(START, 900.0, 2, queues, [], [AgentSpec({TAX: 1}, [(0.0, 1800.0)])])


def arrivals(rows: list[tuple[float, int, float, float]]) -> Arrivals:
    at, queue, handle, patience = (np.array(column) for column in zip(*rows, strict=True))
    return Arrivals(at=at.astype(float), queue=queue.astype(np.int64), handle=handle, patience=patience)


def test_a_contact_reaches_the_overflow_target_after_the_limit_and_stays_its_queues():
    # Billing contact at 10 s; the tax agent is free; overflow after 30 s: answered at 40 s.
    result = engine.simulate(tiny(overflow_after=30), arrivals([(10.0, 0, 100.0, np.inf)]))
    assert result.answered[0].tolist() == [1, 0]
    assert result.wait_answered[0, 0] == pytest.approx(30.0)
    assert result.answered_in_time[0, 0] == 0  # 30 s is past billing's 20 s threshold
    assert result.overflowed[0].tolist() == [1, 0]


def test_without_overflow_nobody_answers_and_the_contact_hangs_up():
    result = engine.simulate(tiny(overflow_after=None), arrivals([(10.0, 0, 100.0, np.inf)]))
    assert result.answered.sum() == 0
    assert result.abandoned[0].tolist() == [1, 0]
    assert result.overflowed.sum() == 0


def test_the_target_queues_own_contacts_go_first_and_overflow_waits_for_a_free_agent():
    # Tax contact at 0 s (handled 100 s); billing contact at 5 s overflows at 15 s but the agent is
    # busy until 100 s, then takes it (the only waiting contact); a contact past its patience is gone.
    rows = [(0.0, 1, 100.0, np.inf), (5.0, 0, 50.0, np.inf), (6.0, 0, 50.0, 20.0)]
    result = engine.simulate(tiny(overflow_after=10), arrivals(rows))
    assert result.answered[0].tolist() == [1, 1]
    assert result.wait_answered[0, 0] == pytest.approx(95.0)
    assert result.abandoned[0].tolist() == [1, 0]


def test_overflow_at_zero_seconds_answers_on_arrival():
    result = engine.simulate(tiny(overflow_after=0), arrivals([(10.0, 0, 100.0, np.inf)]))
    assert result.answered_in_time[0].tolist() == [1, 0]
    assert result.wait_answered[0, 0] == 0.0


def test_maximum_wait_caps_patience():
    rows = [(0.0, 1, 500.0, np.inf), (1.0, 0, 50.0, np.inf)]
    result = engine.simulate(tiny(overflow_after=None, max_wait=60), arrivals(rows))
    assert result.abandoned[0].tolist() == [1, 0]
    assert result.wait_all[0, 0] == pytest.approx(60.0)


def two_queues(seed: int, overflow: bool) -> Scenario:
    """Billing understaffed, tax overstaffed; billing overflows to tax after 15 s."""
    queues = [
        QueueSpec(
            "billing",
            {BILLING: 1},
            20,
            overflow_to=1 if overflow else None,
            overflow_after_seconds=15 if overflow else None,
        ),
        QueueSpec("tax", {TAX: 1}, 20),
    ]
    demand = [Demand(i, q, volume, 180.0, 120.0) for i in range(8) for q, volume in ((0, 60), (1, 25))]
    agents = [AgentSpec({BILLING: 1}, [(0.0, 7200.0)]) for _ in range(10)]
    agents += [AgentSpec({TAX: 1}, [(0.0, 7200.0)]) for _ in range(9)]
    return Scenario(START, 900.0, 8, queues, demand, agents, seed=seed)


def service_level(result: engine.Result, q: int) -> float:
    return result.answered_in_time[:, q].sum() / result.offered[:, q].sum()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_overflow_measurably_improves_the_first_queues_service_level(seed):
    without = engine.simulate(two_queues(seed, overflow=False))
    with_overflow = engine.simulate(two_queues(seed, overflow=True))
    assert with_overflow.offered.tolist() == without.offered.tolist()  # the same arrivals
    assert service_level(with_overflow, 0) >= service_level(without, 0) + 0.08
    assert with_overflow.abandoned[:, 0].sum() < without.abandoned[:, 0].sum()
    assert with_overflow.overflowed[:, 0].sum() > 0
    assert with_overflow.overflowed[:, 1].sum() == 0
    # Tax gives up some of its service level, but every contact is still counted once, under its queue.
    assert (with_overflow.offered == with_overflow.answered + with_overflow.abandoned).all()


def with_overflow_chain(scenario: Scenario) -> Scenario:
    billing, tax, vip = scenario.queues
    return dataclasses.replace(
        scenario,
        queues=[
            dataclasses.replace(billing, overflow_to=1, overflow_after_seconds=20, max_wait_seconds=400),
            dataclasses.replace(tax, overflow_to=2, overflow_after_seconds=15),
            dataclasses.replace(vip, overflow_to=0, overflow_after_seconds=0),
        ],
    )


@pytest.mark.parametrize("strategy", [Strategy.LONGEST_IDLE, Strategy.SKILLS_BEST_MATCH, Strategy.ROUND_ROBIN])
@pytest.mark.parametrize("seed", [1, 2])
def test_reduced_routing_inputs_stay_exact_with_overflow_chains(seed, strategy):
    scenario = with_overflow_chain(mixed(seed, strategy=strategy))
    reduced = engine.simulate(scenario)
    whole = engine.simulate(scenario, whole_state=True)
    assert as_tuple(reduced) == as_tuple(whole)
    assert reduced.overflowed.tolist() == whole.overflowed.tolist()
    assert reduced.overflowed.sum() > 0


def test_an_overflow_target_outside_the_scenario_is_refused():
    scenario = tiny(overflow_after=10)
    broken = dataclasses.replace(scenario, queues=[dataclasses.replace(scenario.queues[0], overflow_to=5)])
    with pytest.raises(ValueError, match="unknown queue"):
        engine.simulate(broken, arrivals([(1.0, 0, 1.0, np.inf)]))
