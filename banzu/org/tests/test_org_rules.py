"""banzu.org.rules: team leaders needed (ORG-1, D16: ceiling of agents / ratio) and vacancies (ORG-4)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from banzu.org.rules import team_exceeds_ratio, team_leaders_needed, vacancies

# (agents, agents per team leader, leaders needed)
LEADERS_TABLE = [
    (0, 20, 0),
    (1, 20, 1),
    (19, 20, 1),
    (20, 20, 1),
    (21, 20, 2),
    (39, 20, 2),
    (40, 20, 2),
    (41, 20, 3),
    (200, 20, 10),
    (201, 20, 11),
    (1, 1, 1),
    (7, 1, 7),
    (10, 3, 4),
    (9, 3, 3),
    (5, 200, 1),
    (-3, 20, 0),
]


@pytest.mark.parametrize(("agents", "ratio", "needed"), LEADERS_TABLE)
def test_team_leaders_needed_is_the_ceiling_of_agents_over_the_ratio(agents, ratio, needed):
    assert team_leaders_needed(agents, ratio) == needed


@pytest.mark.parametrize("ratio", [0, -1, -20])
def test_a_ratio_below_one_is_refused(ratio):
    with pytest.raises(ValueError, match="positive"):
        team_leaders_needed(10, ratio)


@pytest.mark.parametrize(
    ("agents", "ratio", "exceeds"),
    [(0, 20, False), (19, 20, False), (20, 20, False), (21, 20, True), (100, 20, True), (2, 1, True), (1, 1, False)],
)
def test_a_team_exceeds_the_ratio_only_when_it_needs_a_second_leader(agents, ratio, exceeds):
    assert team_exceeds_ratio(agents, ratio) is exceeds


@given(agents=st.integers(min_value=0, max_value=100_000), ratio=st.integers(min_value=1, max_value=500))
def test_leaders_needed_cover_every_agent_with_no_leader_to_spare(agents, ratio):
    needed = team_leaders_needed(agents, ratio)
    assert needed == math.ceil(agents / ratio)
    assert needed * ratio >= agents  # every agent has a leader
    assert needed == 0 or (needed - 1) * ratio < agents  # one leader fewer would not do


@given(
    agents=st.integers(min_value=0, max_value=100_000),
    more=st.integers(min_value=0, max_value=1000),
    ratio=st.integers(min_value=1, max_value=500),
)
def test_more_agents_never_need_fewer_leaders(agents, more, ratio):
    assert team_leaders_needed(agents + more, ratio) >= team_leaders_needed(agents, ratio)


@given(agents=st.integers(min_value=1, max_value=100_000), ratio=st.integers(min_value=1, max_value=499))
def test_a_wider_ratio_never_needs_more_leaders(agents, ratio):
    assert team_leaders_needed(agents, ratio + 1) <= team_leaders_needed(agents, ratio)


# (approved, filled, vacancies)
VACANCY_TABLE = [
    (0, 0, 0),
    (1, 0, 1),
    (1, 1, 0),
    (5, 3, 2),
    (5, 5, 0),
    (5, 6, 0),
    (0, 4, 0),
    (20, 0, 20),
]


@pytest.mark.parametrize(("approved", "filled", "open_"), VACANCY_TABLE)
def test_vacancies_are_approved_minus_filled_and_never_negative(approved, filled, open_):
    assert vacancies(approved, filled) == open_


@given(approved=st.integers(min_value=0, max_value=10_000), filled=st.integers(min_value=0, max_value=10_000))
def test_vacancies_and_filled_posts_add_up_to_at_least_the_headcount(approved, filled):
    open_ = vacancies(approved, filled)
    assert open_ >= 0
    assert open_ + filled >= approved
    assert open_ <= approved
    assert (open_ == 0) == (filled >= approved)


@given(approved=st.integers(min_value=0, max_value=10_000), filled=st.integers(min_value=0, max_value=10_000))
def test_filling_one_more_post_never_opens_a_vacancy(approved, filled):
    assert vacancies(approved, filled + 1) <= vacancies(approved, filled)
