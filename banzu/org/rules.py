"""Pure rules of the organisation (ORG-1, ORG-4, D16)."""

from __future__ import annotations

import math


def team_leaders_needed(agent_count: int, agents_per_team_leader: int) -> int:
    """D16: ceiling(agents / ratio); a team with no agents needs none."""
    if agents_per_team_leader <= 0:
        raise ValueError("agents_per_team_leader must be positive")
    if agent_count <= 0:
        return 0
    return math.ceil(agent_count / agents_per_team_leader)


def team_exceeds_ratio(agent_count: int, agents_per_team_leader: int) -> bool:
    """ORG-1: a team with one leader warns when its agents exceed the configured ratio."""
    return team_leaders_needed(agent_count, agents_per_team_leader) > 1


def vacancies(approved: int, filled: int) -> int:
    """ORG-4: open positions; over-filled teams have none (never negative)."""
    return max(approved - filled, 0)
