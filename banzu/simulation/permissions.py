"""Who may run simulations and see their results (ORG-6, ORG-7); the decisions stay in core.scoping.

Planning staffing is the work of the shift lead (值班长), supervisors and management; a run is
reached through the employee who started it, so a supervisor sees their department's runs and
centre-wide roles the centre's.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ScopePaths

PLANNERS = frozenset({Role.SHIFT_LEAD, Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})

scoping.register_actions({"simulation.view": PLANNERS, "simulation.run": PLANNERS})

scoping.register_scope(
    "simulation.SimulationRun",
    ScopePaths(employee="created_by", team="created_by__team", department="created_by__department", centre="centre"),
)
