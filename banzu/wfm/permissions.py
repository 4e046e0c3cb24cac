"""Who may plan (WFM-1 … WFM-3), and how planning records reach their people (core.scoping).

Forecasts and staffing requirements belong to the queue, so to the department that staffs it:
a supervisor plans their department's queues, managers and administrators the centre's. Team
leaders and shift leads read them (they staff the floor against them). What-if scenarios belong to
the planner who saved them; their supervisor and the centre's planners see them too.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ScopePaths

PLANNERS = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})
PLAN_READERS = PLANNERS | {Role.TEAM_LEADER, Role.SHIFT_LEAD, Role.GENERAL_MANAGER}

scoping.register_actions(
    {
        "wfm.view_forecasts": PLAN_READERS,
        "wfm.plan": PLANNERS,
    }
)

scoping.register_scope(
    "wfm.ForecastSnapshot",
    ScopePaths(employee=None, team=None, department="queue__department", centre="centre"),
)
scoping.register_scope(
    "wfm.StaffingRequirement",
    ScopePaths(employee=None, team=None, department="snapshot__queue__department", centre="snapshot__centre"),
)
scoping.register_scope(
    "wfm.WhatIfScenario",
    ScopePaths(employee="owner", team="owner__team", department="owner__department", centre="centre"),
)
