"""Who may do what with callbacks, surveys and on-site dispatch, and how each record reaches its
people (core.scoping).

* A campaign belongs to its department: its members see it, supervisors and centre roles too.
* A callback task is reached through its assignee (an agent their own worklist, a team leader the
  team's, a supervisor the department's); unassigned tasks only by leaders of the department.
* Satisfaction figures are reached through the agent whose service was rated or checked
  (``SurveyedCallbackTask``, and ``contact.Contact``'s own paths for end-of-contact ratings).
* An on-site order is reached through the agent who registered it, with their team and department.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ALL_ROLES, ScopePaths

# People who make callbacks and register on-site orders.
CALLERS = frozenset(
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
# `002`: the team leader arranges the callbacks and hands out the lists (安排…回访工作，分发回访名单).
ORGANISERS = frozenset({Role.TEAM_LEADER, Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})
REVIEWERS = ORGANISERS | {Role.SHIFT_LEAD}

scoping.register_actions(
    {
        "callbacks.view": ALL_ROLES,
        "callbacks.manage_campaigns": ORGANISERS,
        "callbacks.assign": ORGANISERS,
        "callbacks.call": CALLERS,
        "callbacks.view_satisfaction": ALL_ROLES,
        "callbacks.register_onsite": CALLERS,
        "callbacks.dispatch_onsite": CALLERS,
        "callbacks.review_onsite": REVIEWERS,
    }
)

scoping.register_scope(
    "callbacks.Campaign", ScopePaths(employee=None, team=None, department="department", centre="centre")
)
scoping.register_scope(
    "callbacks.CallbackTask",
    ScopePaths(employee="assignee", team="team", department="department", centre="centre"),
)
scoping.register_scope(
    "callbacks.SurveyedCallbackTask",
    ScopePaths(employee="subject_agent", team="subject_team", department="subject_agent__department", centre="centre"),
)
scoping.register_scope(
    "callbacks.CallbackAttempt",
    ScopePaths(employee="task__assignee", team="task__team", department="task__department", centre="task__centre"),
)
scoping.register_scope(
    "callbacks.OnsiteOrder",
    ScopePaths(employee="registered_by", team="team", department="department", centre="centre"),
)
