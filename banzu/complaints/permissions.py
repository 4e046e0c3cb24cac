"""Who may do what with complaints, and how a complaint reaches its people (core.scoping).

A complaint is reached two ways, each restricted by the roles' scope:

* through whoever filed it (with their team and department at the time): an agent their own, a
  team leader the team's, a supervisor the department's;
* through its handler and handling unit: the handler, and the unit's supervisor.

Centre roles (shift lead, manager, …) see the centre's complaints. A row reached either way is
visible. Notices (议事厅公示) are published to the handling department and the centre roles.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ALL_ROLES, ScopePaths

FILERS = frozenset(
    {
        Role.AGENT,
        Role.TEAM_LEADER,
        Role.SHIFT_LEAD,
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.ADMINISTRATOR,
    }
)
HANDLERS = frozenset(
    {Role.TEAM_LEADER, Role.SHIFT_LEAD, Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR}
)
ANALYSTS = HANDLERS | {Role.QA_INSPECTOR}

scoping.register_actions(
    {
        "complaints.view": ALL_ROLES,
        "complaints.file": FILERS,
        "complaints.handle": HANDLERS,
        "complaints.report": frozenset({Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR}),
        "complaints.publish": frozenset({Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR}),
        "complaints.view_notices": ALL_ROLES,
        "complaints.analyse": ANALYSTS,
    }
)

scoping.register_scope(
    "complaints.Complaint",
    ScopePaths(employee="owner", team="team", department="department", centre="centre"),
)
scoping.register_scope(
    "complaints.HandledComplaint",
    ScopePaths(employee="handler", team="handler__team", department="handler_unit", centre="centre"),
)
scoping.register_scope(
    "complaints.Notice",
    ScopePaths(employee=None, team=None, department="department", centre="centre"),
)
