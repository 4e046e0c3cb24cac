"""WFM-2, WFM-3: Erlang C and Erlang A staffing against a 50-digit reference, plus properties."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banzu.wfm import erlang
from banzu.wfm.tests import erlang_reference as ref

TOLERANCE = 1e-9


def relative_error(value: float, exact: mp.mpf) -> float:
    if exact == 0:
        return abs(value)
    return float(abs(mp.mpf(value) - exact) / abs(exact))


def agents_around(load: float) -> list[int]:
    """Staffing from well below the load to far above it (the tail a search can reach)."""
    root = math.sqrt(load)
    offsets = (-int(2 * root) - 2, -1, 0, 1, 2, 3, int(root) + 1, int(3 * root) + 3, int(6 * root) + 5)
    return sorted({max(0, int(load) + offset) for offset in offsets})


# --- the reference itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "load"), [(1, 0.3), (7, 5.5), (40, 33.3), (260, 250.7)])
def test_reference_erlang_b_agrees_with_the_classic_recurrence(agents, load):
    assert relative_error(ref.erlang_b(agents, load), ref.erlang_b_by_recurrence(agents, load)) < 1e-40


def test_reference_erlang_a_with_endless_patience_is_erlang_c():
    model = ref.ErlangA(13, 10, 180, 180 * 10**8)
    assert abs(model.probability_of_wait - ref.erlang_c(13, 10)) < 1e-6
    assert abs(model.service_level(20) - ref.service_level(13, 10, 180, 20)) < 1e-6


# --- published and closed-form values ---------------------------------------------------------------


def test_one_agent_waits_with_the_probability_of_the_load():
    # M/M/1: P(wait) = rho and SL = 1 - rho exp(-(1 - rho) T / AHT).
    assert erlang.erlang_c(1, 0.6) == pytest.approx(0.6, rel=1e-14)
    assert erlang.service_level(1, 0.6, 100, 50) == pytest.approx(1 - 0.6 * math.exp(-0.2), rel=1e-14)


def test_two_agents_at_one_erlang_wait_a_third_of_the_time():
    assert erlang.erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)
    assert erlang.erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-14)


def test_published_dispatch_centre_example():
    """Footbridge Call Calc note (al911.org): 30 calls an hour to 2 call takers; 60 s calls leave
    fewer than 8 % waiting over 10 s, 80 s calls about 14 %."""
    short = erlang.offered_load(30, 60, 3600)
    long = erlang.offered_load(30, 80, 3600)
    assert 1 - erlang.service_level(2, short, 60, 10) == pytest.approx(0.0779, abs=5e-5)
    assert 1 - erlang.service_level(2, long, 80, 10) == pytest.approx(0.1411, abs=5e-5)


def test_hundred_calls_in_half_an_hour_at_three_minutes_need_fourteen_agents_for_80_in_20():
    load = erlang.offered_load(100, 180, 1800)
    assert load == 10
    # Verified with the reference: 13 agents reach 79.56 %, 14 reach 88.84 %.
    assert erlang.service_level(13, load, 180, 20) == pytest.approx(0.795595, abs=1e-6)
    assert erlang.service_level(14, load, 180, 20) == pytest.approx(0.888350, abs=1e-6)
    assert erlang.agents_for_service_level(load, 180, 0.8, 20) == 14
    assert erlang.average_speed_of_answer(14, load, 180) == pytest.approx(7.83594, abs=1e-5)
    assert erlang.occupancy(14, load) == pytest.approx(10 / 14)


def test_a_tiny_load_with_a_lenient_target_needs_only_the_first_stable_staffing():
    # A = 2.6 with 30 s contacts: three agents answer 65.9 % within a minute; round(A + 1) = 4 over-staffs.
    assert ref.service_level(3, 2.6, 30, 60) >= 0.5
    assert erlang.agents_for_service_level(2.6, 30, 0.5, 60) == 3
    assert erlang.agents_for_service_level(np.array([2.6]), 30, 0.5, 60).tolist() == [3]


def test_no_load_needs_no_agents():
    assert erlang.agents_for_service_level(0, 180, 0.8, 20) == 0
    assert erlang.agents_for_average_speed_of_answer(0, 180, 10) == 0
    assert erlang.erlang_a_agents_for_service_level(0, 180, 60, 0.8, 20) == 0
    assert erlang.service_level(0, 0, 180, 20) == 1
    assert erlang.erlang_a_service_level(0, 0, 180, 60, 20) == 1


def test_an_unstable_queue_never_meets_the_target():
    assert erlang.erlang_c(10, 10.0) == 1
    assert erlang.service_level(10, 10.0, 180, 20) == 0
    assert erlang.average_speed_of_answer(10, 10.0, 180) == math.inf


def test_erlang_a_without_agents_loses_every_contact():
    assert erlang.erlang_a_probability_of_abandonment(0, 5.0, 180, 60) == 1
    assert erlang.erlang_a_service_level(0, 5.0, 180, 60, 20) == 0
    assert erlang.erlang_a_average_wait(0, 5.0, 180, 60) == 60


# --- equality with the reference --------------------------------------------------------------------

LOADS_C = [0.1, 0.73, 3.2, 10.0, 47.5, 99.9, 250.3, 1000.0, 2500.5, 3999.1]


def test_erlang_c_quantities_equal_the_reference_up_to_5000_agents():
    cases = [(n, load) for load in LOADS_C for n in agents_around(load)] + [(5000, 3999.1), (5000, 4000.0)]
    n = np.array([c[0] for c in cases])
    a = np.array([c[1] for c in cases])
    got = {
        "B": erlang.erlang_b(n, a),
        "C": erlang.erlang_c(n, a),
        "SL20": erlang.service_level(n, a, 180, 20),
        "SL0": erlang.service_level(n, a, 600, 0),
        "SL120": erlang.service_level(n, a, 300, 120),
        "ASA": erlang.average_speed_of_answer(n, a, 180),
    }
    worst = 0.0
    for i, (agents, load) in enumerate(cases):
        exact = {
            "B": ref.erlang_b(agents, load),
            "C": ref.erlang_c(agents, load),
            "SL20": ref.service_level(agents, load, 180, 20),
            "SL0": ref.service_level(agents, load, 600, 0),
            "SL120": ref.service_level(agents, load, 300, 120),
            "ASA": ref.average_speed_of_answer(agents, load, 180),
        }
        for key, value in exact.items():
            if value == mp.inf:
                assert got[key][i] == math.inf
                continue
            error = relative_error(got[key][i], value)
            assert error <= TOLERANCE, (key, agents, load, got[key][i], value)
            worst = max(worst, error)
    assert max(n) == 5000
    assert worst < TOLERANCE


def test_one_interval_at_a_time_gives_the_same_numbers_as_the_bulk_call():
    assert erlang.erlang_c(4383, 3999.1) == erlang.erlang_c(np.array([4383]), np.array([3999.1]))[0]
    assert erlang.service_level(14, 10.0, 180, 20) == erlang.service_level(np.array([14]), 10.0, 180, 20)[0]


ERLANG_A_CASES = [
    (load, ratio)
    for load in (0.1, 0.73, 3.2, 10.0, 47.5, 250.3)
    for ratio in (0.2, 1.0, 5.0, 40.0)  # patience / AHT
] + [(1000.0, 0.2), (1000.0, 1.0)]


@pytest.mark.parametrize(("load", "ratio"), ERLANG_A_CASES)
def test_erlang_a_quantities_equal_the_reference(load, ratio):
    aht = 180.0
    patience = aht * ratio
    agents = np.array(agents_around(load))
    wait = erlang.erlang_a_probability_of_wait(agents, load, aht, patience)
    abandon = erlang.erlang_a_probability_of_abandonment(agents, load, aht, patience)
    average = erlang.erlang_a_average_wait(agents, load, aht, patience)
    levels = {t: erlang.erlang_a_service_level(agents, load, aht, patience, t) for t in (0, 20, 120)}
    for i, n in enumerate(agents):
        model = ref.ErlangA(int(n), load, aht, patience)
        assert relative_error(wait[i], model.probability_of_wait) <= TOLERANCE, n
        assert relative_error(abandon[i], model.probability_of_abandonment) <= TOLERANCE, n
        assert relative_error(average[i], model.average_wait) <= TOLERANCE, n
        for t, level in levels.items():
            assert relative_error(level[i], model.service_level(t)) <= TOLERANCE, (n, t)


def test_erlang_a_equals_the_reference_near_5000_agents():
    for n in (3990, 4100, 5000):
        model = ref.ErlangA(n, 4000.0, 300, 150)
        assert (
            relative_error(erlang.erlang_a_probability_of_wait(n, 4000.0, 300, 150), model.probability_of_wait)
            <= TOLERANCE
        )
        assert (
            relative_error(erlang.erlang_a_service_level(n, 4000.0, 300, 150, 20), model.service_level(20)) <= TOLERANCE
        )


# --- agents needed: exactly the reference -----------------------------------------------------------

STAFFING_LOADS = [0.05, 0.3, 0.9, 1.7, 2.6, 7.3, 19.9, 63.1, 150.4, 480.7, 1234.5, 3999.0]
STAFFING_GRID = [
    (load, aht, target, within)
    for load in STAFFING_LOADS
    for aht in (30.0, 60.0, 180.0, 600.0)
    for target in (0.5, 0.8, 0.9, 0.95)
    for within in (10.0, 20.0, 60.0, 120.0)
]


def test_agents_for_service_level_equal_the_reference_search_on_the_grid():
    load, aht, target, within = (np.array(column) for column in zip(*STAFFING_GRID, strict=True))
    bulk = erlang.agents_for_service_level(load, aht, target, within)
    for i, case in enumerate(STAFFING_GRID):
        expected = ref.agents_for_service_level(*case)
        assert bulk[i] == expected, case
        assert erlang.agents_for_service_level(*case) == expected, case


def test_agents_for_average_speed_of_answer_equal_the_reference_search():
    grid = [(load, aht, asa) for load in STAFFING_LOADS for aht in (60.0, 300.0) for asa in (2.0, 15.0, 60.0)]
    load, aht, asa = (np.array(column) for column in zip(*grid, strict=True))
    bulk = erlang.agents_for_average_speed_of_answer(load, aht, asa)
    for i, case in enumerate(grid):
        expected = ref.agents_for_average_speed_of_answer(*case)
        assert bulk[i] == expected, case
        assert erlang.agents_for_average_speed_of_answer(*case) == expected, case


ERLANG_A_STAFFING = [
    (load, 180.0, patience, target, within)
    for load in (0.3, 2.6, 7.3, 19.9)
    for patience in (30.0, 900.0)
    for target in (0.5, 0.8, 0.95)
    for within in (20.0, 60.0)
]


def test_erlang_a_agents_for_service_level_equal_the_reference_search():
    columns = [np.array(column) for column in zip(*ERLANG_A_STAFFING, strict=True)]
    bulk = erlang.erlang_a_agents_for_service_level(*columns)
    for i, case in enumerate(ERLANG_A_STAFFING):
        assert bulk[i] == ref.erlang_a_agents_for_service_level(*case), case


def test_erlang_a_agents_for_abandonment_equal_the_reference_search():
    grid = [
        (load, 180.0, patience, target)
        for load in (0.3, 2.6, 19.9)
        for patience in (30.0, 300.0)
        for target in (0.01, 0.05, 0.2)
    ]
    columns = [np.array(column) for column in zip(*grid, strict=True)]
    bulk = erlang.erlang_a_agents_for_abandonment(*columns)
    for i, case in enumerate(grid):
        assert bulk[i] == ref.erlang_a_agents_for_abandonment(*case), case


@pytest.mark.parametrize("load", [150.4, 480.7])
def test_erlang_a_staffing_for_large_loads_is_the_fewest_that_meets_the_target(load):
    for patience, target in ((60.0, 0.8), (600.0, 0.9)):
        n = erlang.erlang_a_agents_for_service_level(load, 240.0, patience, target, 20.0)
        assert ref.erlang_a_is_fewest_agents_for_service_level(n, load, 240.0, patience, target, 20.0)


def test_erlang_a_can_staff_below_the_load_when_contacts_abandon():
    n = erlang.erlang_a_agents_for_service_level(50.0, 300.0, 30.0, 0.5, 60.0)
    assert n <= 50
    assert ref.erlang_a_is_fewest_agents_for_service_level(n, 50.0, 300.0, 30.0, 0.5, 60.0)


# --- properties -----------------------------------------------------------------------------------------

loads = st.floats(min_value=0.01, max_value=2000.0, allow_nan=False)
ahts = st.floats(min_value=10.0, max_value=1200.0)
thresholds = st.floats(min_value=0.0, max_value=300.0)
targets = st.floats(min_value=0.05, max_value=0.99)
patiences = st.floats(min_value=5.0, max_value=3600.0)


@settings(max_examples=60, deadline=None)
@given(load=loads, aht=ahts, within=thresholds)
def test_service_level_never_falls_when_an_agent_is_added(load, aht, within):
    agents = np.arange(int(load) + 60)
    level = erlang.service_level(agents, load, aht, within)
    assert np.all(np.diff(level) >= -1e-15)


@settings(max_examples=60, deadline=None)
@given(load=loads, aht=ahts, within=thresholds, more=st.floats(min_value=1.0, max_value=1.5))
def test_service_level_never_rises_with_more_load(load, aht, within, more):
    agents = np.arange(int(load * more) + 60)
    assert np.all(
        erlang.service_level(agents, load * more, aht, within)
        <= erlang.service_level(agents, load, aht, within) + 1e-15
    )


@settings(max_examples=60, deadline=None)
@given(load=loads, aht=ahts, target=targets, within=thresholds, more=st.floats(min_value=1.0, max_value=2.0))
def test_more_load_never_needs_fewer_agents(load, aht, target, within, more):
    assert erlang.agents_for_service_level(load * more, aht, target, within) >= erlang.agents_for_service_level(
        load, aht, target, within
    )


@settings(max_examples=60, deadline=None)
@given(load=loads, aht=ahts, target=targets, within=thresholds, stricter=st.floats(min_value=0.0, max_value=0.99))
def test_a_stricter_target_never_needs_fewer_agents(load, aht, target, within, stricter):
    higher = target + (0.995 - target) * stricter
    assert erlang.agents_for_service_level(load, aht, higher, within) >= erlang.agents_for_service_level(
        load, aht, target, within
    )


@settings(max_examples=40, deadline=None)
@given(load=st.floats(min_value=0.01, max_value=500.0), aht=ahts, patience=patiences, within=thresholds)
def test_erlang_a_service_level_never_falls_when_an_agent_is_added(load, aht, patience, within):
    agents = np.arange(int(load) + 40)
    level = erlang.erlang_a_service_level(agents, load, aht, patience, within)
    assert np.all(np.diff(level) >= -1e-12)
    abandon = erlang.erlang_a_probability_of_abandonment(agents, load, aht, patience)
    assert np.all(np.diff(abandon) <= 1e-12)


@settings(max_examples=40, deadline=None)
@given(
    load=st.floats(min_value=0.05, max_value=1000.0),
    aht=ahts,
    within=thresholds,
    extra=st.integers(min_value=1, max_value=40),
)
def test_erlang_a_approaches_erlang_c_as_patience_grows(load, aht, within, extra):
    # At least one agent above the load: right at the edge of stability the approach is slower.
    agents = math.floor(load) + 1 + extra
    erlang_c_level = erlang.service_level(agents, load, aht, within)
    gaps = [
        abs(erlang.erlang_a_service_level(agents, load, aht, aht * ratio, within) - erlang_c_level)
        for ratio in (1e4, 1e8)
    ]
    assert gaps[1] <= gaps[0] / 10 + 1e-12
    assert gaps[1] < 1e-4
    wait = erlang.erlang_a_probability_of_wait(agents, load, aht, aht * 1e8)
    assert wait == pytest.approx(erlang.erlang_c(agents, load), rel=1e-5)


@settings(max_examples=60, deadline=None)
@given(load=st.floats(min_value=0.05, max_value=800.0), aht=ahts, patience=patiences, target=targets)
def test_erlang_a_needs_no_more_agents_than_erlang_c_to_answer_without_waiting(load, aht, patience, target):
    # Abandonment only shortens the queue, so fewer arrivals find every agent busy.
    with_abandonment = erlang.erlang_a_agents_for_service_level(load, aht, patience, target, 0.0)
    assert with_abandonment <= erlang.agents_for_service_level(load, aht, target, 0.0)


@settings(max_examples=60, deadline=None)
@given(
    load=st.floats(min_value=0.05, max_value=800.0),
    aht=ahts,
    patience=patiences,
    extra=st.integers(min_value=1, max_value=40),
)
def test_abandonment_never_makes_waiting_more_likely(load, aht, patience, extra):
    agents = math.floor(load) + extra
    assert erlang.erlang_a_probability_of_wait(agents, load, aht, patience) <= erlang.erlang_c(agents, load) * (
        1 + 1e-12
    )


@pytest.mark.parametrize(
    ("load", "aht", "patience", "target", "within"),
    [
        (100.0, 180.0, 1.0, 0.95, 180.0),  # 1-second patience: almost every caller who waits is lost
        (57.23795279007178, 11.946152806332936, 59.92837246918704, 0.9897428106002722, 55.262652963051096),
        (1.3541248004643598, 156.80464612715403, 2738.6168983810553, 0.9898537577954373, 99.633388725083),
    ],
)
def test_callers_who_give_up_can_make_erlang_a_staff_more_than_erlang_c(load, aht, patience, target, within):
    """Service level counts a caller who abandons as not answered within the threshold, so with a
    threshold above zero abandonment does not always help: Erlang C's staffing falls short here."""
    erlang_c_agents = erlang.agents_for_service_level(load, aht, target, within)
    erlang_a_agents = erlang.erlang_a_agents_for_service_level(load, aht, patience, target, within)
    assert erlang_a_agents > erlang_c_agents
    assert ref.ErlangA(erlang_c_agents, load, aht, patience).service_level(within) < target
    assert ref.erlang_a_is_fewest_agents_for_service_level(erlang_a_agents, load, aht, patience, target, within)


@settings(max_examples=30, deadline=None)
@given(
    data=st.lists(st.tuples(loads, ahts, targets, thresholds), min_size=1, max_size=30),
)
def test_the_bulk_call_answers_as_one_interval_at_a_time(data):
    load, aht, target, within = (np.array(column) for column in zip(*data, strict=True))
    bulk = erlang.agents_for_service_level(load, aht, target, within)
    assert bulk.tolist() == [erlang.agents_for_service_level(*row) for row in data]


# --- shrinkage and offered load -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "shrinkage", "scheduled"),
    [(7, 0.3, 10), (8, 0.2, 10), (13, 0.35, 20), (10, 0.0, 10), (0, 0.5, 0), (10, 0.31, 15), (1, 0.99, 100)],
)
def test_shrinkage_turns_required_agents_into_scheduled_agents(required, shrinkage, scheduled):
    assert erlang.scheduled_agents(required, shrinkage) == scheduled


def test_shrinkage_applies_to_every_interval():
    assert erlang.scheduled_agents(np.array([7, 14, 0]), 0.3).tolist() == [10, 20, 0]


def test_offered_load_is_volume_times_handle_time_over_the_interval():
    assert erlang.offered_load(100, 180, 1800) == 10
    assert erlang.offered_load(np.array([0, 30]), 120, 900).tolist() == [0, 4]


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: erlang.offered_load(-1, 180, 1800), "volume"),
        (lambda: erlang.agents_for_service_level(10, 180, 1.2, 20), "target"),
        (lambda: erlang.agents_for_service_level(10, 180, 1.0, 20), "target"),
        (lambda: erlang.agents_for_service_level(np.array([10.0]), 180, np.array([1.2]), 20), "target"),
        (lambda: erlang.agents_for_service_level(10, 0, 0.8, 20), "aht"),
        (lambda: erlang.agents_for_service_level(np.array([10.0, 5.0]), np.array([180.0, 0.0]), 0.8, 20), "aht"),
        (lambda: erlang.agents_for_service_level(-3, 180, 0.8, 20), "load"),
        (lambda: erlang.agents_for_service_level(float("nan"), 180, 0.8, 20), "load"),
        (lambda: erlang.agents_for_service_level(10, 180, 0.8, -1), "answer_within"),
        (lambda: erlang.agents_for_average_speed_of_answer(10, 180, 0), "target"),
        (lambda: erlang.scheduled_agents(10, 1.0), "shrinkage"),
        (lambda: erlang.scheduled_agents(10, -0.1), "shrinkage"),
        (lambda: erlang.scheduled_agents(2.5, 0.3), "required"),
        (lambda: erlang.service_level(3.5, 2, 180, 20), "agents"),
        (lambda: erlang.erlang_a_service_level(3, 2, 180, 0, 20), "patience"),
        (lambda: erlang.erlang_a_agents_for_abandonment(3, 180, 60, 0), "target"),
        (lambda: erlang.offered_load("many", 180, 1800), "volume"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=rf"^{parameter} must be"):
        call()
