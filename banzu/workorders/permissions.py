"""Who may do what with work orders, and how a work order reaches its people (core.scoping).

A work order is reached three ways, each restricted by the roles' scope:

* through its owner, the agent who created it (with the team and department they were in then):
  an agent their own, a team leader the team's, a supervisor the department's;
* through its current handler: the handler, their team leader, their supervisor;
* through its responsible unit (承办单位): the unit's members handle what is assigned to it.

Centre roles see the centre's work orders. A row reached any way is visible.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ALL_ROLES, ScopePaths

# People who take contacts or handle work orders.
HANDLERS = frozenset(
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
EXPORTERS = frozenset(
    {
        Role.TEAM_LEADER,
        Role.SHIFT_LEAD,
        Role.SUPERVISOR,
        Role.QA_INSPECTOR,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.ADMINISTRATOR,
    }
)
CONFIGURERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})

scoping.register_actions(
    {
        "workorders.view": ALL_ROLES,
        "workorders.create": HANDLERS,
        "workorders.update": HANDLERS,
        "workorders.hand_over": HANDLERS,
        "workorders.accept": HANDLERS,
        "workorders.comment": HANDLERS,
        "workorders.close": HANDLERS,
        "workorders.mark_urgent": HANDLERS,
        "workorders.record_staff_data_request": HANDLERS,
        "workorders.export": EXPORTERS,
        # Everyone else sees the caller number and customer name masked (138****5678, 张*).
        "workorders.view_customer_data": HANDLERS,
        "workorders.manage_fields": CONFIGURERS,
        "workorders.manage_duty": CONFIGURERS | {Role.SUPERVISOR},
    }
)

scoping.register_scope(
    "workorders.WorkOrder",
    ScopePaths(employee="owner", team="team", department="department", centre="centre"),
)
scoping.register_scope(
    "workorders.HandledWorkOrder",
    ScopePaths(employee="handler", team="handler__team", department="handler__department", centre="centre"),
)
scoping.register_scope(
    "workorders.UnitWorkOrder",
    ScopePaths(employee=None, team=None, department="responsible_unit", centre="centre"),
)
scoping.register_scope(
    "workorders.DutyAssignment",
    ScopePaths(employee="shift_lead", team="shift_lead__team", department="shift_lead__department", centre="centre"),
)
