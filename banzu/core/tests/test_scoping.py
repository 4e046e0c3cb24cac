"""core.scoping on its own: roles → scope per action, restrict() per model and persona (ORG-6 … ORG-8).

Expectations are written out from the spec (ORG-7: an agent sees their own records, a team leader
their team, a supervisor their department, HR and managers the centre), never recomputed from
scoping's own tables.
"""

from __future__ import annotations

from datetime import date

import pytest

from banzu.conftest import PERSONAS
from banzu.core import scoping
from banzu.core.errors import NotAllowed, OutOfScope
from banzu.core.roles import Role
from banzu.core.scoping import Scope

NONE, OWN, TEAM, DEPT, CENTRE = Scope.NONE, Scope.OWN, Scope.TEAM, Scope.DEPARTMENT, Scope.CENTRE

# Shift leads, QA inspectors and trainers work with every team of the centre (ORG-6 side posts).
CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
EVERYONE_IN_CENTRE = {*PERSONAS, "vip_agent"}


# --- one role → its scope -------------------------------------------------------------------------

ROLE_SCOPE_FOR_VIEWING_THE_ROSTER = [
    (Role.AGENT, OWN),
    (Role.TEAM_LEADER, TEAM),
    (Role.SUPERVISOR, DEPT),
    (Role.SHIFT_LEAD, CENTRE),
    (Role.QA_INSPECTOR, CENTRE),
    (Role.TRAINER, CENTRE),
    (Role.MANAGER, CENTRE),
    (Role.DIRECTOR, CENTRE),
    (Role.HR, CENTRE),
    (Role.GENERAL_MANAGER, CENTRE),
    (Role.CHAIRMAN, CENTRE),
    (Role.ADMINISTRATOR, CENTRE),
]


def test_the_role_table_covers_every_role():
    assert {role for role, _scope in ROLE_SCOPE_FOR_VIEWING_THE_ROSTER} == set(Role.values)


def _person_with_roles(org, roles, *, key="solo", team="team_a", status=None):
    from banzu.org.tests.factories import EmployeeFactory

    extra = {"status": status} if status else {}
    team_obj = getattr(org, team) if team else None
    return EmployeeFactory(
        team=team_obj,
        department=team_obj.department if team_obj else org.department,
        centre=org.centre,
        employee_no=key,
        roles=roles,
        **extra,
    )


@pytest.mark.parametrize(("role", "scope"), ROLE_SCOPE_FOR_VIEWING_THE_ROSTER)
def test_each_role_alone_sees_the_roster_within_its_scope(org, role, scope):
    employee = _person_with_roles(org, [role])
    assert scoping.scope_for(employee.user, "org.view_roster") == scope


# --- persona × action → scope -------------------------------------------------------------------

# Columns follow ACTIONS; each row is one persona of banzu/conftest.py.
ACTIONS = [
    "org.view_roster",
    "org.export_roster",
    "org.import_roster",
    "org.change_position",
    "org.view_history",
    "org.view_personal_data",
    "core.change_policies",
    "core.change_calendar",
    "org.manage_structure",
]
PERSONA_SCOPES = {
    "agent": (OWN, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
    "teammate": (OWN, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
    "other_agent": (OWN, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
    # team_leader also holds the agent role: the wider scope wins.
    "team_leader": (TEAM, TEAM, NONE, NONE, TEAM, TEAM, NONE, NONE, NONE),
    "other_team_leader": (TEAM, TEAM, NONE, NONE, TEAM, TEAM, NONE, NONE, NONE),
    "supervisor": (DEPT, DEPT, NONE, NONE, DEPT, DEPT, NONE, NONE, NONE),
    "other_supervisor": (DEPT, DEPT, NONE, NONE, DEPT, DEPT, NONE, NONE, NONE),
    "shift_lead": (CENTRE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
    "qa": (CENTRE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
    "trainer": (CENTRE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
    "manager": (CENTRE, CENTRE, NONE, CENTRE, CENTRE, CENTRE, CENTRE, NONE, CENTRE),
    "hr": (CENTRE, CENTRE, CENTRE, CENTRE, CENTRE, CENTRE, NONE, NONE, CENTRE),
    "admin": (CENTRE, CENTRE, CENTRE, CENTRE, CENTRE, CENTRE, CENTRE, CENTRE, CENTRE),
}


def test_the_persona_table_covers_every_persona():
    assert set(PERSONA_SCOPES) == set(PERSONAS)


@pytest.mark.parametrize(
    ("persona", "action", "scope"),
    [(persona, action, scopes[i]) for persona, scopes in PERSONA_SCOPES.items() for i, action in enumerate(ACTIONS)],
)
def test_persona_has_the_expected_scope_for_each_action(org, persona, action, scope):
    user = org.people[persona].user
    assert scoping.scope_for(user, action) == scope
    assert scoping.can(user, action) is (scope > NONE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_may_read_the_calendar_structure_and_policies(org, persona):
    user = org.people[persona].user
    for action in ("core.view_calendar", "core.view_policies", "org.view_structure", "org.view_roster"):
        assert scoping.can(user, action), action


def test_an_extra_role_widens_scope_to_the_widest_granted(org):
    from banzu.org.models import EmployeeRole

    agent = org.people["agent"]
    EmployeeRole.objects.create(employee=agent, role=Role.HR)
    scoping.forget_actor(agent.user)
    assert scoping.scope_for(agent.user, "org.view_roster") == CENTRE
    assert scoping.scope_for(agent.user, "org.import_roster") == CENTRE


def test_the_cached_actor_keeps_old_roles_until_forgotten(org):
    from banzu.org.models import EmployeeRole

    agent = org.people["agent"]
    assert scoping.scope_for(agent.user, "org.import_roster") == NONE
    EmployeeRole.objects.create(employee=agent, role=Role.HR)
    assert scoping.scope_for(agent.user, "org.import_roster") == NONE
    scoping.forget_actor(agent.user)
    assert scoping.scope_for(agent.user, "org.import_roster") == CENTRE


# --- unknown actions, anonymous, left, no employee, superuser ---------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda user, qs: scoping.scope_for(user, "org.no_such_action"),
        lambda user, qs: scoping.can(user, "org.no_such_action"),
        lambda user, qs: scoping.ensure_can(user, "org.no_such_action"),
        lambda user, qs: scoping.restrict(qs, user, "org.no_such_action"),
        lambda user, qs: scoping.get_in_scope(qs, user, "org.no_such_action", pk=1),
    ],
    ids=["scope_for", "can", "ensure_can", "restrict", "get_in_scope"],
)
def test_an_unknown_action_raises_instead_of_answering(org, call):
    from banzu.org.models import Employee

    with pytest.raises(KeyError, match="org.no_such_action"):
        call(org.people["admin"].user, Employee.objects.all())


def test_an_anonymous_user_has_no_scope(org):
    from django.contrib.auth.models import AnonymousUser

    from banzu.org.models import Employee

    user = AnonymousUser()
    assert scoping.scope_for(user, "org.view_roster") == NONE
    assert not scoping.restrict(Employee.objects.all(), user, "org.view_roster").exists()
    with pytest.raises(NotAllowed):
        scoping.ensure_can(user, "org.view_roster")


def test_a_user_whose_employee_has_left_gets_no_scope(org):
    from banzu.org.models import Employee

    hr = org.people["hr"]
    Employee.objects.filter(pk=hr.pk).update(status=Employee.Status.LEFT)
    user = type(hr.user).objects.get(pk=hr.user.pk)  # a fresh request: no cached actor
    for action in scoping.PERMISSIONS:
        assert scoping.scope_for(user, action) == NONE, action
    assert not scoping.restrict(Employee.objects.all(), user, "org.view_roster").exists()
    with pytest.raises(OutOfScope):
        scoping.get_in_scope(Employee.objects.all(), user, "org.view_roster", pk=hr.pk)


def test_a_superuser_whose_employee_has_left_gets_no_scope(org, second_centre):
    """Leaving ends access; the superuser flag must not turn a leaver into an unlimited administrator."""
    from banzu.org.models import Employee

    admin = org.people["admin"]
    Employee.objects.filter(pk=admin.pk).update(status=Employee.Status.LEFT)
    type(admin.user).objects.filter(pk=admin.user.pk).update(is_superuser=True)
    user = type(admin.user).objects.get(pk=admin.user.pk)
    assert scoping.scope_for(user, "org.view_roster") == NONE
    assert not scoping.restrict(Employee.objects.all(), user, "org.view_roster").exists()


def test_a_user_without_an_employee_record_gets_no_scope(org):
    from banzu.org.models import Employee, Team
    from banzu.org.tests.factories import UserFactory

    user = UserFactory(username="no-employee")
    assert scoping.scope_for(user, "org.view_roster") == NONE
    assert not scoping.restrict(Employee.objects.all(), user, "org.view_roster").exists()
    assert not scoping.restrict(Team.objects.all(), user, "org.view_structure").exists()


@pytest.fixture
def second_centre(org):
    from banzu.org.tests.factories import CentreFactory, DepartmentFactory, EmployeeFactory, TeamFactory

    centre = CentreFactory(code="SZ", name="深圳呼叫中心")
    team = TeamFactory(department=DepartmentFactory(centre=centre, code="S1"), code="S1A")
    return EmployeeFactory(team=team, employee_no="sz_agent", roles=[Role.AGENT])


def test_a_superuser_without_an_employee_record_sees_every_centre(org, second_centre):
    from banzu.org.models import Employee
    from banzu.org.tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    for action in scoping.PERMISSIONS:
        assert scoping.scope_for(root, action) == CENTRE, action
    visible = set(scoping.restrict(Employee.objects.all(), root, "org.view_roster").values_list("pk", flat=True))
    assert visible == set(Employee.objects.values_list("pk", flat=True))
    assert second_centre.pk in visible


def test_a_superuser_with_an_employee_record_is_limited_to_their_centre(org, second_centre):
    from banzu.org.models import Employee

    agent = org.people["agent"]
    type(agent.user).objects.filter(pk=agent.user.pk).update(is_superuser=True)
    user = type(agent.user).objects.get(pk=agent.user.pk)
    visible = set(scoping.restrict(Employee.objects.all(), user, "org.change_position").values_list("pk", flat=True))
    assert visible == {person.pk for person in org.people.values()}
    assert second_centre.pk not in visible


def test_hr_of_one_centre_does_not_see_another_centres_roster(org, second_centre):
    from banzu.org.models import Employee

    visible = scoping.restrict(Employee.objects.all(), org.people["hr"].user, "org.view_roster")
    assert not visible.filter(pk=second_centre.pk).exists()
    with pytest.raises(OutOfScope):
        scoping.get_in_scope(Employee.objects.all(), org.people["hr"].user, "org.view_roster", pk=second_centre.pk)


# --- restrict() per model ------------------------------------------------------------------------

ALL_D1 = EVERYONE_IN_CENTRE - {"vip_agent", "other_supervisor"}
EMPLOYEES_VISIBLE = {
    "agent": {"agent"},
    "teammate": {"teammate"},
    "other_agent": {"other_agent"},
    "team_leader": {"agent", "teammate", "team_leader"},
    "other_team_leader": {"other_agent", "other_team_leader"},
    "supervisor": ALL_D1,
    "other_supervisor": {"vip_agent", "other_supervisor"},
    **dict.fromkeys(CENTRE_WIDE, EVERYONE_IN_CENTRE),
}
TEAMS_VISIBLE = {
    "agent": {"A"},
    "teammate": {"A"},
    "other_agent": {"B"},
    "team_leader": {"A"},
    "other_team_leader": {"B"},
    "supervisor": {"A", "B"},
    "other_supervisor": {"C"},
    **{persona: {"A", "B", "C"} for persona in CENTRE_WIDE},
}
DEPARTMENTS_VISIBLE = {
    **{persona: {"D1"} for persona in ("agent", "teammate", "other_agent", "team_leader", "other_team_leader")},
    "supervisor": {"D1"},
    "other_supervisor": {"D2"},
    **{persona: {"D1", "D2"} for persona in CENTRE_WIDE},
}


def _keys(queryset, field):
    return set(queryset.values_list(field, flat=True))


@pytest.mark.parametrize("persona", PERSONAS)
def test_restrict_limits_employees_to_the_personas_scope(org, persona):
    from banzu.org.models import Employee

    visible = scoping.restrict(Employee.objects.all(), org.people[persona].user, "org.view_roster")
    assert _keys(visible, "employee_no") == EMPLOYEES_VISIBLE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_restrict_limits_teams_to_the_personas_scope(org, persona):
    from banzu.org.models import Team

    visible = scoping.restrict(Team.objects.all(), org.people[persona].user, "org.view_structure")
    assert _keys(visible, "code") == TEAMS_VISIBLE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_restrict_limits_departments_to_the_personas_scope(org, persona):
    from banzu.org.models import Department

    visible = scoping.restrict(Department.objects.all(), org.people[persona].user, "org.view_structure")
    assert _keys(visible, "code") == DEPARTMENTS_VISIBLE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_restrict_limits_headcount_to_the_teams_in_scope(org, persona):
    from banzu.org import services
    from banzu.org.models import Headcount
    from banzu.org.tests.factories import position

    for team in (org.team_a, org.team_b, org.team_c):
        services.set_headcount(user=org.people["hr"].user, team=team, position=position("agent"), approved=20)
    visible = scoping.restrict(Headcount.objects.all(), org.people[persona].user, "org.view_structure")
    assert _keys(visible, "team__code") == TEAMS_VISIBLE[persona]


@pytest.fixture
def position_changes(org):
    from banzu.org import services
    from banzu.org.tests.factories import position

    for key in ("agent", "other_agent", "vip_agent"):
        services.change_position(
            user=org.people["hr"].user,
            employee=org.people[key],
            to_position=position("senior_agent"),
            effective_date=date(2024, 6, 1),
            reason="考核优秀",
        )


POSITION_CHANGES_VISIBLE = {
    persona: EMPLOYEES_VISIBLE[persona] & {"agent", "other_agent", "vip_agent"} for persona in PERSONAS
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_restrict_limits_position_changes_to_the_employees_in_scope(org, position_changes, persona):
    from banzu.org.models import PositionChange

    visible = scoping.restrict(PositionChange.objects.all(), org.people[persona].user, "org.view_roster")
    assert _keys(visible, "employee__employee_no") == POSITION_CHANGES_VISIBLE[persona]


HISTORY_VISIBLE = {
    "team_leader": {"agent"},
    "other_team_leader": {"other_agent"},
    "supervisor": {"agent", "other_agent"},
    "other_supervisor": {"vip_agent"},
    **{persona: {"agent", "other_agent", "vip_agent"} for persona in ("manager", "hr", "admin")},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_position_history_is_only_shown_to_leaders_and_people_admins(org, position_changes, persona):
    from banzu.org.models import PositionChange

    visible = scoping.restrict(PositionChange.objects.all(), org.people[persona].user, "org.view_history")
    assert _keys(visible, "employee__employee_no") == HISTORY_VISIBLE.get(persona, set())


def test_a_team_leader_also_sees_a_second_team_they_lead(org):
    from banzu.org.models import Employee, Team

    Team.objects.filter(pk=org.team_c.pk).update(leader=org.people["team_leader"])
    visible = scoping.restrict(Employee.objects.all(), org.people["team_leader"].user, "org.view_roster")
    assert _keys(visible, "employee_no") == {"agent", "teammate", "team_leader", "vip_agent"}


def test_get_in_scope_answers_out_of_scope_and_missing_alike(org):
    from banzu.org.models import Employee

    user = org.people["agent"].user
    assert scoping.get_in_scope(Employee.objects.all(), user, "org.view_roster", pk=org.people["agent"].pk)
    for pk in (org.people["teammate"].pk, 999_999):
        with pytest.raises(OutOfScope):
            scoping.get_in_scope(Employee.objects.all(), user, "org.view_roster", pk=pk)


def test_restrict_refuses_a_model_without_scope_paths(org):
    from banzu.core.models import PolicyValue

    with pytest.raises(LookupError, match="no scope paths"):
        scoping.restrict(PolicyValue.objects.all(), org.people["agent"].user, "core.view_policies")


# --- ensure_can, ensure_not_self (ORG-8) ------------------------------------------------------------


def test_ensure_can_refuses_an_action_no_role_grants(org):
    with pytest.raises(NotAllowed) as info:
        scoping.ensure_can(org.people["agent"].user, "org.export_roster")
    assert info.value.code == "permission_denied"
    scoping.ensure_can(org.people["team_leader"].user, "org.export_roster")


def test_nobody_acts_on_their_own_record(org):
    hr = org.people["hr"]
    with pytest.raises(NotAllowed) as info:
        scoping.ensure_not_self(hr.user, hr.pk)
    assert info.value.code == "separation_of_duties"


def test_acting_on_someone_elses_record_is_not_self(org):
    scoping.ensure_not_self(org.people["hr"].user, org.people["agent"].pk)


def test_the_separation_of_duties_message_can_be_specific(org):
    hr = org.people["hr"]
    with pytest.raises(NotAllowed) as info:
        scoping.ensure_not_self(hr.user, hr.pk, "你不能批准自己的请假。")
    assert info.value.message == "你不能批准自己的请假。"


def test_a_superuser_without_an_employee_record_has_no_self_to_protect(org):
    from banzu.org.tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True)
    scoping.ensure_not_self(root, org.people["agent"].pk)
    scoping.ensure_not_self(root, None)


def test_the_service_refuses_a_self_promotion(org):
    from banzu.org import services
    from banzu.org.tests.factories import position

    hr = org.people["hr"]
    with pytest.raises(NotAllowed):
        services.change_position(
            user=hr.user, employee=hr, to_position=position("manager"), effective_date=date(2024, 6, 1), reason="x"
        )
