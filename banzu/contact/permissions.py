"""Actions and scope paths of contacts and routing (ORG-6, ORG-7); the decisions stay in core.scoping.

Scope follows the agent who holds a contact: an agent sees their own contacts and state, a team
leader their team's, a supervisor their department's, centre-wide roles the centre's. Queues belong
to the department that staffs them. Contacts still waiting (no agent yet) are seen centre-wide.
"""

from banzu.core import scoping
from banzu.core.roles import Role
from banzu.core.scoping import ALL_ROLES, ScopePaths

# Roles that see customers' phone numbers and names in full (CT-18); everyone else sees them masked.
CUSTOMER_DATA_ROLES = frozenset(
    {
        Role.TEAM_LEADER,
        Role.SHIFT_LEAD,
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.ADMINISTRATOR,
    }
)

scoping.register_actions(
    {
        "contact.view_queues": ALL_ROLES,
        "contact.view_contacts": ALL_ROLES,
        "contact.view_agent_states": ALL_ROLES,
        "contact.view_customer_data": CUSTOMER_DATA_ROLES,
        # An agent's own log-in, log-out, ready and away (CT-9, CT-10); TLs take calls too.
        "contact.set_own_state": frozenset({Role.AGENT, Role.TEAM_LEADER}),
    }
)

_BY_AGENT = ScopePaths(employee="agent", team="agent__team", department="agent__department", centre="centre")

scoping.register_scope("contact.Contact", _BY_AGENT)
scoping.register_scope(
    "contact.ContactEvent",
    ScopePaths(
        employee="contact__agent",
        team="contact__agent__team",
        department="contact__agent__department",
        centre="contact__centre",
    ),
)
scoping.register_scope(
    "contact.AgentSession",
    ScopePaths(
        employee="employee", team="employee__team", department="employee__department", centre="employee__centre"
    ),
)
scoping.register_scope(
    "contact.AgentStateChange",
    ScopePaths(employee="agent", team="agent__team", department="agent__department", centre="agent__centre"),
)
scoping.register_scope("contact.Queue", ScopePaths(employee=None, team=None, department="department", centre="centre"))

# --- interval statistics, service-rule exceptions, recordings, IVR (CT-4, CT-12, CT-16, CT-17) --------

# CT-12 exceptions are for quality: team leaders see their team's, QA and centre roles the centre's.
SERVICE_EXCEPTION_ROLES = frozenset(
    {
        Role.TEAM_LEADER,
        Role.QA_INSPECTOR,
        Role.SUPERVISOR,
        Role.SHIFT_LEAD,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.ADMINISTRATOR,
    }
)
IVR_EDITORS = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})

scoping.register_actions(
    {
        "contact.view_interval_statistics": ALL_ROLES,
        "contact.view_service_exceptions": SERVICE_EXCEPTION_ROLES,
        # Agents review their own recordings (录音回听); leaders and QA their scope's.
        "contact.view_recordings": ALL_ROLES,
        "contact.view_ivr": ALL_ROLES,
        "contact.manage_ivr": IVR_EDITORS,
    }
)
scoping.register_scope(
    "contact.QueueInterval",
    ScopePaths(employee=None, team=None, department="queue__department", centre="centre"),
)
scoping.register_scope(
    "contact.AgentInterval",
    ScopePaths(employee="agent", team="agent__team", department="agent__department", centre="centre"),
)
scoping.register_scope(
    "contact.ServiceException",
    ScopePaths(employee="agent", team="agent__team", department="agent__department", centre="centre"),
)
scoping.register_scope(
    "contact.Recording",
    ScopePaths(
        employee="contact__agent",
        team="contact__agent__team",
        department="contact__agent__department",
        centre="centre",
    ),
)
