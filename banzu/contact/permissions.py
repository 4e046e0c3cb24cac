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

# --- routing set-up and contact records (CT-5, CT-15) ---------------------------------------------------

# Queues are set up per department (a supervisor their department's); skills are shared by all centres.
QUEUE_MANAGERS = IVR_EDITORS
SKILL_MANAGERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})
SKILL_MATRIX_READERS = frozenset(
    {
        Role.TEAM_LEADER,
        Role.SUPERVISOR,
        Role.SHIFT_LEAD,
        Role.TRAINER,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.HR,
        Role.ADMINISTRATOR,
    }
)
# Team leaders and trainers certify skills (技能组); nobody sets their own (ORG-8).
SKILL_MATRIX_EDITORS = frozenset(
    {Role.TEAM_LEADER, Role.SUPERVISOR, Role.TRAINER, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR}
)

scoping.register_actions(
    {
        "contact.manage_queues": QUEUE_MANAGERS,
        "contact.manage_skills": SKILL_MANAGERS,
        "contact.view_skill_matrix": SKILL_MATRIX_READERS,
        "contact.edit_skill_matrix": SKILL_MATRIX_EDITORS,
        "contact.search_contacts": ALL_ROLES,
        # A list of caller numbers leaves the system: leaders and QA only.
        "contact.export_contacts": SERVICE_EXCEPTION_ROLES,
    }
)
scoping.register_scope(
    "org.EmployeeSkill",
    ScopePaths(
        employee="employee", team="employee__team", department="employee__department", centre="employee__centre"
    ),
)

# --- customers (CT-18) ------------------------------------------------------------------------------------

# Customers belong to the whole centre: everyone looks them up (screen pop, search), masked unless
# they hold contact.view_customer_data. Changing a record needs its personal data in full; merging
# two records moves their contacts and work orders, so it stays with supervisors and up.
CUSTOMER_MERGERS = frozenset({Role.SUPERVISOR, Role.SHIFT_LEAD, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})

scoping.register_actions(
    {
        "contact.view_customers": ALL_ROLES,
        "contact.edit_customers": CUSTOMER_DATA_ROLES,
        "contact.merge_customers": CUSTOMER_MERGERS,
        # The change history shows personal data as it was: only for those who see it in full.
        "contact.view_customer_history": CUSTOMER_DATA_ROLES,
    }
)
scoping.register_scope("contact.Customer", ScopePaths(employee=None, team=None, department=None, centre="centre"))
scoping.register_scope("contact.CustomerNumber", ScopePaths(employee=None, team=None, department=None, centre="centre"))

# --- agent console and agent messages (CT-10) ----------------------------------------------------------

# Who takes calls handles them: hold, transfer, consult, dial out, call a colleague.
CALL_HANDLERS = frozenset({Role.AGENT, Role.TEAM_LEADER})
# Leaders message the people in their scope one by one, by team, or everyone on duty at once.
MESSAGE_BROADCASTERS = frozenset(
    {Role.TEAM_LEADER, Role.SUPERVISOR, Role.SHIFT_LEAD, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR}
)

scoping.register_actions(
    {
        "contact.handle_calls": CALL_HANDLERS,
        # Everyone reads their own messages; agents write to colleagues and to their leaders.
        "contact.send_agent_messages": ALL_ROLES,
        "contact.broadcast_agent_messages": MESSAGE_BROADCASTERS,
    }
)
scoping.register_scope(
    "contact.AgentMessageRecipient",
    ScopePaths(
        employee="recipient", team="recipient__team", department="recipient__department", centre="recipient__centre"
    ),
)
scoping.register_scope(
    "contact.AgentMessage",
    ScopePaths(employee="sender", team="sender__team", department="sender__department", centre="centre"),
)
scoping.register_scope(
    "contact.CallParty",
    ScopePaths(employee="agent", team="agent__team", department="agent__department", centre="agent__centre"),
)
