"""WFM-1 … WFM-3 planning rules: tables of known answers plus properties."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banzu.wfm import rules

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=ZONE)
SL_80_20 = rules.Target(rules.SERVICE_LEVEL, 20, 80)


def intervals(*volumes: float, aht: float = 180.0, minutes: int = 30) -> list[rules.PlannedInterval]:
    return [rules.PlannedInterval(T0 + i * timedelta(minutes=minutes), v, aht) for i, v in enumerate(volumes)]


# --- staffing ------------------------------------------------------------------------------------------

# Erlang C by hand: 100 calls per 30 minutes at 180 s is 10 Erlangs; 13 agents answer 79.6 % within
# 20 s, 14 agents 88.8 %, so 80/20 needs 14. 180 calls at 240 s is 24 Erlangs: 29 agents for 80/20,
# 28 for an ASA of 30 s.
KNOWN = [
    (100, 180, 30, SL_80_20, 14),
    (180, 240, 30, SL_80_20, 29),
    (180, 240, 30, rules.Target(rules.ASA, 30), 28),
    (0, 180, 30, SL_80_20, 0),
]


@pytest.mark.parametrize(("volume", "aht", "minutes", "target", "agents"), KNOWN)
def test_agents_needed_match_the_known_erlang_c_answers(volume, aht, minutes, target, agents):
    [row] = rules.staffing(
        intervals(volume, aht=aht, minutes=minutes), interval_minutes=minutes, target=target, shrinkage_percent=0
    )
    assert row.required == agents
    assert row.scheduled == agents


def test_shrinkage_turns_required_agents_into_more_scheduled_agents():
    [row] = rules.staffing(intervals(100), interval_minutes=30, target=SL_80_20, shrinkage_percent=30)
    assert (row.required, row.scheduled) == (14, 20)  # ceil(14 / 0.7)


def test_the_load_and_predicted_service_level_are_reported():
    [row] = rules.staffing(intervals(100), interval_minutes=30, target=SL_80_20, shrinkage_percent=0)
    assert row.load == pytest.approx(10.0)
    assert row.service_level == pytest.approx(0.88835, abs=1e-5)
    assert 0 < row.occupancy < 1
    assert row.asa_seconds is not None and row.asa_seconds > 0


def test_patience_uses_erlang_a_and_needs_no_more_agents_than_erlang_c():
    plain = rules.staffing(intervals(100, 300), interval_minutes=30, target=SL_80_20, shrinkage_percent=0)
    patient = rules.staffing(
        intervals(100, 300), interval_minutes=30, target=SL_80_20, shrinkage_percent=0, patience_seconds=60
    )
    assert [p.required for p in patient] <= [c.required for c in plain]
    assert all(p.service_level >= 0.8 for p in patient)


def test_a_schedule_gives_the_available_agents_and_the_gap():
    rows = rules.staffing(
        intervals(100, 100), interval_minutes=30, target=SL_80_20, shrinkage_percent=25, rostered=[20, 12]
    )
    assert [r.available for r in rows] == [15, 9]
    assert [r.gap for r in rows] == [1, -5]
    assert rows[0].rostered_service_level > rows[1].rostered_service_level


def test_a_schedule_must_count_every_interval():
    with pytest.raises(ValueError, match="rostered"):
        rules.staffing(intervals(1, 2), interval_minutes=30, target=SL_80_20, shrinkage_percent=0, rostered=[1])


@settings(max_examples=60, deadline=None)
@given(
    volume=st.floats(min_value=0, max_value=3000, allow_nan=False),
    extra=st.floats(min_value=0, max_value=500, allow_nan=False),
    aht=st.floats(min_value=10, max_value=900),
    shrinkage=st.floats(min_value=0, max_value=90),
)
def test_more_contacts_never_need_fewer_agents_and_scheduled_covers_required(volume, extra, aht, shrinkage):
    rows = rules.staffing(
        intervals(volume, volume + extra, aht=aht), interval_minutes=30, target=SL_80_20, shrinkage_percent=shrinkage
    )
    assert rows[0].required <= rows[1].required
    assert all(r.scheduled >= r.required for r in rows)
    assert all(r.required == 0 or r.service_level >= 0.8 - 1e-12 for r in rows)


# --- what-if adjustments and schedules ---------------------------------------------------------------------


def test_the_multiplier_scales_and_an_interval_volume_replaces():
    base = intervals(10, 20, 30)
    changed = rules.adjusted_intervals(base, volume_multiplier=1.5, aht_seconds=200, volumes={base[1].start: 7})
    assert [c.volume for c in changed] == [15, 7, 45]
    assert {c.aht_seconds for c in changed} == {200}
    assert [c.start for c in changed] == [b.start for b in base]


def test_no_change_keeps_the_base():
    base = intervals(10, 20)
    assert rules.adjusted_intervals(base) == base


SHIFT_TABLE = [
    # shift start, end (minutes after T0) → covered 30-minute intervals from T0 (4 of them)
    ((0, 120), [1, 1, 1, 1]),
    ((30, 90), [0, 1, 1, 0]),
    ((15, 90), [0, 1, 1, 0]),  # starts mid-interval: that interval does not count
    ((0, 45), [1, 0, 0, 0]),  # ends mid-interval
    ((120, 240), [0, 0, 0, 0]),
]


@pytest.mark.parametrize(("span", "covered"), SHIFT_TABLE)
def test_a_shift_counts_in_the_intervals_it_covers_whole(span, covered):
    starts = [T0 + i * timedelta(minutes=30) for i in range(4)]
    shift = (T0 + timedelta(minutes=span[0]), T0 + timedelta(minutes=span[1]))
    assert rules.rostered_per_interval([shift], starts, 30) == covered


def test_shifts_add_up():
    starts = [T0 + i * timedelta(minutes=30) for i in range(2)]
    shifts = [(T0, T0 + timedelta(hours=1))] * 3 + [(T0 + timedelta(minutes=30), T0 + timedelta(hours=2))]
    assert rules.rostered_per_interval(shifts, starts, 30) == [3, 4]


# --- actuals and accuracy ------------------------------------------------------------------------------------


def test_arrivals_are_counted_in_their_interval_and_outside_ones_are_ignored():
    arrivals = [T0, T0 + timedelta(minutes=14, seconds=59), T0 + timedelta(minutes=15), T0 - timedelta(seconds=1)]
    arrivals.append(T0 + timedelta(minutes=45))
    assert rules.bucket_counts(arrivals, first=T0, interval_minutes=15, count=3) == [2, 1, 0]


def test_accuracy_against_actuals():
    result = rules.accuracy([10, 20, 30, 40], [12, 20, 0])
    assert result.intervals == 3
    assert result.forecast_total == 60
    assert result.actual_total == 32
    assert result.wape == pytest.approx((2 + 0 + 30) / 32)
    assert result.mape == pytest.approx((2 / 12 + 0) / 2)  # the zero actual is skipped


@pytest.mark.parametrize("actual", [[], [0, 0]])
def test_accuracy_without_actual_contacts_is_unknown(actual):
    result = rules.accuracy([5, 5], actual)
    assert result.mape is None and result.wape is None


def test_handle_time_profile_by_time_of_day():
    handled = [(T0, 100), (T0 + timedelta(days=1), 200), (T0 + timedelta(minutes=30), 50)]
    profile = rules.handle_time_profile(handled, 30)
    assert profile == {18: 150, 19: 50}
    assert rules.aht_for(T0 + timedelta(days=5), profile, 99, 30) == 150
    assert rules.aht_for(T0 + timedelta(hours=3), profile, 99, 30) == 99


def test_the_simulation_config_follows_the_agreed_interface():
    config = rules.simulation_config(
        queue_code="TAX",
        skill_ids=[3],
        target=SL_80_20,
        intervals=intervals(10, 20),
        agents_per_interval=[4, 5],
        interval_minutes=30,
        patience_seconds=90,
        seed=7,
    )
    assert config["queues"] == [
        {"code": "TAX", "skill_ids": [3], "service_level_percent": 80, "service_level_seconds": 20}
    ]
    assert [i["volume"] for i in config["intervals"]] == [10, 20]
    assert {i["patience_seconds"] for i in config["intervals"]} == {90}
    assert [s["agents"] for s in config["staffing"]] == [4, 5]
    assert config["seed"] == 7 and config["interval_minutes"] == 30
    assert "agents" not in config
