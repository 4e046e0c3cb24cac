"""Writes of the organisation: positions and star titles (ORG-3, ORG-4, ORG-8), roles, headcount and
new employees. Each refusal is checked to leave the database as it was.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from banzu.core.errors import NotAllowed, OutOfScope
from banzu.core.roles import Role
from banzu.org import services
from banzu.org.models import (
    Centre,
    Employee,
    EmployeeRole,
    Headcount,
    PositionChange,
    StarTitle,
    TitleChange,
)
from banzu.org.tests.factories import DepartmentFactory, EmployeeFactory, TeamFactory, position

PROMOTED_ON = date(2024, 5, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def user_of(org, persona: str):
    return org.people[persona].user


def star(code: str) -> StarTitle:
    return StarTitle.objects.get(code=code)


def snapshot() -> dict:
    """Every table these services write, to prove a refusal wrote nothing."""
    return {
        "employees": list(
            Employee.objects.order_by("pk").values_list("pk", "position_id", "position_since", "star_title_id")
        ),
        "employee_history": Employee.history.count(),
        "position_changes": PositionChange.objects.count(),
        "title_changes": TitleChange.objects.count(),
        "roles": sorted(EmployeeRole.objects.values_list("employee_id", "role")),
        "role_history": EmployeeRole.history.count(),
        "headcount": sorted(Headcount.objects.values_list("team_id", "position_id", "approved")),
        "headcount_history": Headcount.history.count(),
    }


def field_errors(caught: pytest.ExceptionInfo) -> dict[str, list[str | None]]:
    return {field: [error.code for error in errors] for field, errors in caught.value.error_dict.items()}


@pytest.fixture
def stranger(org):
    """An employee of another centre."""
    centre = Centre.objects.create(code="SZ", name="深圳呼叫中心")
    team = TeamFactory(department=DepartmentFactory(centre=centre, code="SZ1"), code="S1")
    return EmployeeFactory(team=team, employee_no="sz-agent", roles=[Role.AGENT])


# --- change_position ----------------------------------------------------------------------------


def test_a_position_change_records_who_from_to_when_and_why(org):
    agent, hr = org.people["agent"], org.people["hr"]

    change = services.change_position(
        user=hr.user,
        employee=agent,
        to_position=position("senior_agent"),
        effective_date=PROMOTED_ON,
        reason=" 表现优秀 ",
    )

    stored = PositionChange.objects.get(pk=change.pk)
    assert stored.employee == agent
    assert (stored.from_position.code, stored.to_position.code) == ("agent", "senior_agent")
    assert (stored.effective_date, stored.reason, stored.recorded_by) == (PROMOTED_ON, "表现优秀", hr.user)
    assert stored.recorded_at is not None
    agent.refresh_from_db()
    assert (agent.position.code, agent.position_since) == ("senior_agent", PROMOTED_ON)
    latest = agent.history.first()
    assert (latest.history_type, latest.position_id) == ("~", position("senior_agent").pk)
    assert (latest.history_user, latest.history_change_reason) == (hr.user, "表现优秀")


def test_nobody_changes_their_own_position(org):
    hr = org.people["hr"]
    before = snapshot()

    with pytest.raises(NotAllowed) as caught:
        services.change_position(
            user=hr.user, employee=hr, to_position=position("manager"), effective_date=PROMOTED_ON, reason="自荐"
        )

    assert caught.value.code == "separation_of_duties"
    assert str(caught.value.message) == "You cannot change your own position."
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_position_change_needs_a_reason(org, reason):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.change_position(
            user=user_of(org, "hr"),
            employee=org.people["agent"],
            to_position=position("senior_agent"),
            effective_date=PROMOTED_ON,
            reason=reason,
        )

    assert field_errors(caught) == {"reason": ["required"]}
    assert caught.value.error_dict["reason"][0].message == "Enter the reason for the change."
    assert snapshot() == before


def test_a_reason_longer_than_its_column_is_refused(org):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.change_position(
            user=user_of(org, "hr"),
            employee=org.people["agent"],
            to_position=position("senior_agent"),
            effective_date=PROMOTED_ON,
            reason="好" * 201,
        )
    assert field_errors(caught) == {"reason": ["max_length"]}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("to", "effective", "field", "code"),
    [
        ("agent", PROMOTED_ON, "to_position", "unchanged"),
        ("senior_agent", date(2023, 2, 28), "effective_date", "before_hire"),
    ],
)
def test_a_position_change_to_the_same_post_or_before_the_hire_date_is_refused(org, to, effective, field, code):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.change_position(
            user=user_of(org, "hr"),
            employee=org.people["agent"],
            to_position=position(to),
            effective_date=effective,
            reason="调整",
        )
    assert field_errors(caught) == {field: [code]}
    assert snapshot() == before


def test_a_promotion_into_a_full_headcount_is_refused(org):
    """ORG-4: 职位晋升应受部门编制限制，遇有空缺时方可办理."""
    Headcount.objects.create(team=org.team_a, position=position("senior_agent"), approved=1)
    Employee.objects.filter(pk=org.people["teammate"].pk).update(position=position("senior_agent"))
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.change_position(
            user=user_of(org, "hr"),
            employee=org.people["agent"],
            to_position=position("senior_agent"),
            effective_date=PROMOTED_ON,
            reason="表现优秀",
        )

    assert field_errors(caught) == {"position": ["no_vacancy"]}
    assert caught.value.error_dict["position"][0].message == "一组 has no vacancy for 高级客服代表 (headcount 1)."
    assert snapshot() == before


def test_a_promotion_into_a_headcount_with_a_vacancy_is_allowed(org):
    Headcount.objects.create(team=org.team_a, position=position("senior_agent"), approved=2)
    Employee.objects.filter(pk=org.people["teammate"].pk).update(position=position("senior_agent"))

    services.change_position(
        user=user_of(org, "hr"),
        employee=org.people["agent"],
        to_position=position("senior_agent"),
        effective_date=PROMOTED_ON,
        reason="表现优秀",
    )

    assert Employee.objects.filter(team=org.team_a, position__code="senior_agent").count() == 2


def test_someone_who_left_does_not_fill_a_post(org):
    Headcount.objects.create(team=org.team_a, position=position("senior_agent"), approved=1)
    Employee.objects.filter(pk=org.people["teammate"].pk).update(
        position=position("senior_agent"), status=Employee.Status.LEFT
    )

    services.change_position(
        user=user_of(org, "hr"),
        employee=org.people["agent"],
        to_position=position("senior_agent"),
        effective_date=PROMOTED_ON,
        reason="补缺",
    )

    assert PositionChange.objects.filter(employee=org.people["agent"]).count() == 1


def test_headcount_of_another_team_does_not_limit_the_move(org):
    Headcount.objects.create(team=org.team_b, position=position("senior_agent"), approved=0)

    services.change_position(
        user=user_of(org, "hr"),
        employee=org.people["agent"],
        to_position=position("senior_agent"),
        effective_date=PROMOTED_ON,
        reason="表现优秀",
    )

    assert Employee.objects.get(pk=org.people["agent"].pk).position.code == "senior_agent"


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "qa", "shift_lead", "trainer"])
def test_a_user_without_the_change_position_permission_is_not_allowed(org, persona):
    before = snapshot()
    with pytest.raises(NotAllowed) as caught:
        services.change_position(
            user=user_of(org, persona),
            employee=org.people["teammate"],
            to_position=position("senior_agent"),
            effective_date=PROMOTED_ON,
            reason="表现优秀",
        )
    assert caught.value.code == "permission_denied"
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_managers_and_administrators_may_change_positions(org, persona):
    services.change_position(
        user=user_of(org, persona),
        employee=org.people["vip_agent"],
        to_position=position("senior_agent"),
        effective_date=PROMOTED_ON,
        reason="表现优秀",
    )
    assert PositionChange.objects.get().recorded_by == user_of(org, persona)


def test_an_employee_of_another_centre_is_out_of_scope(org, stranger):
    before = snapshot()
    with pytest.raises(OutOfScope):
        services.change_position(
            user=user_of(org, "hr"),
            employee=stranger,
            to_position=position("senior_agent"),
            effective_date=PROMOTED_ON,
            reason="表现优秀",
        )
    assert snapshot() == before


# --- change_star_title --------------------------------------------------------------------------


def test_a_star_title_change_records_who_from_to_when_and_why(org):
    agent, manager = org.people["agent"], org.people["manager"]
    Employee.objects.filter(pk=agent.pk).update(star_title=star("star_1"))

    change = services.change_star_title(
        user=manager.user, employee=agent, to_title=star("star_2"), effective_date=PROMOTED_ON, reason="星级评定"
    )

    stored = TitleChange.objects.get(pk=change.pk)
    assert (stored.from_title.code, stored.to_title.code) == ("star_1", "star_2")
    assert (stored.effective_date, stored.reason, stored.recorded_by) == (PROMOTED_ON, "星级评定", manager.user)
    agent.refresh_from_db()
    assert agent.star_title.code == "star_2"
    assert agent.position_since == date(2023, 3, 1)  # a title is not a position
    latest = agent.history.first()
    assert (latest.history_user, latest.history_change_reason) == (manager.user, "星级评定")


def test_a_star_title_can_be_taken_away(org):
    agent = org.people["agent"]
    Employee.objects.filter(pk=agent.pk).update(star_title=star("star_3"))

    change = services.change_star_title(
        user=user_of(org, "hr"), employee=agent, to_title=None, effective_date=PROMOTED_ON, reason="考核不合格"
    )

    assert (change.from_title.code, change.to_title) == ("star_3", None)
    assert Employee.objects.get(pk=agent.pk).star_title is None


def test_nobody_changes_their_own_star_title(org):
    manager = org.people["manager"]
    before = snapshot()
    with pytest.raises(NotAllowed, match="You cannot change your own star title."):
        services.change_star_title(
            user=manager.user, employee=manager, to_title=star("star_5"), effective_date=PROMOTED_ON, reason="自评"
        )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("title", "reason", "field", "code"),
    [("star_1", "  ", "reason", "required"), (None, "无变化", "to_title", "unchanged")],
)
def test_a_star_title_change_needs_a_reason_and_a_new_title(org, title, reason, field, code):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.change_star_title(
            user=user_of(org, "hr"),
            employee=org.people["agent"],
            to_title=star(title) if title else None,
            effective_date=PROMOTED_ON,
            reason=reason,
        )
    assert field_errors(caught) == {field: [code]}
    assert snapshot() == before


def test_a_team_leader_may_not_change_star_titles(org):
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.change_star_title(
            user=user_of(org, "team_leader"),
            employee=org.people["agent"],
            to_title=star("star_2"),
            effective_date=PROMOTED_ON,
            reason="表现优秀",
        )
    assert snapshot() == before


# --- set_roles ----------------------------------------------------------------------------------


def test_set_roles_replaces_the_roles_and_keeps_each_change_in_history(org):
    agent, hr = org.people["agent"], org.people["hr"]

    result = services.set_roles(user=hr.user, employee=agent, roles=[Role.TRAINER, Role.QA_INSPECTOR])

    assert result == [Role.QA_INSPECTOR, Role.TRAINER]
    assert sorted(agent.roles.values_list("role", flat=True)) == [Role.QA_INSPECTOR, Role.TRAINER]
    history = EmployeeRole.history.filter(employee_id=agent.pk).order_by("history_id")
    assert [(row.history_type, row.role) for row in history] == [
        ("+", Role.AGENT),  # from the fixture
        ("-", Role.AGENT),
        ("+", Role.QA_INSPECTOR),
        ("+", Role.TRAINER),
    ]
    assert {row.history_user for row in history[1:]} == {hr.user}


def test_set_roles_with_the_same_roles_writes_nothing(org):
    before = snapshot()
    services.set_roles(user=user_of(org, "hr"), employee=org.people["team_leader"], roles=["agent", "team_leader"])
    assert snapshot() == before


def test_set_roles_cannot_be_applied_to_oneself(org):
    hr = org.people["hr"]
    before = snapshot()

    with pytest.raises(NotAllowed, match="You cannot change your own roles."):
        services.set_roles(user=hr.user, employee=hr, roles=[Role.HR, Role.ADMINISTRATOR])

    assert list(hr.roles.values_list("role", flat=True)) == [Role.HR]
    assert snapshot() == before


def test_set_roles_refuses_an_unknown_role(org):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.set_roles(user=user_of(org, "hr"), employee=org.people["agent"], roles=[Role.AGENT, "overlord"])
    assert field_errors(caught) == {"roles": ["invalid_choice"]}
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["supervisor", "team_leader", "agent"])
def test_set_roles_needs_the_change_employee_permission(org, persona):
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.set_roles(user=user_of(org, persona), employee=org.people["teammate"], roles=[Role.SUPERVISOR])
    assert snapshot() == before


def test_set_roles_on_another_centre_is_out_of_scope(org, stranger):
    before = snapshot()
    with pytest.raises(OutOfScope):
        services.set_roles(user=user_of(org, "admin"), employee=stranger, roles=[Role.TEAM_LEADER])
    assert snapshot() == before


# --- set_headcount ------------------------------------------------------------------------------


def test_set_headcount_creates_then_updates_the_line_with_history(org):
    manager = org.people["manager"]

    created = services.set_headcount(user=manager.user, team=org.team_a, position=position("agent"), approved=18)
    updated = services.set_headcount(user=manager.user, team=org.team_a, position=position("agent"), approved=20)

    assert created.pk == updated.pk
    assert Headcount.objects.get().approved == 20
    history = Headcount.history.filter(id=created.pk).order_by("history_id")
    assert [(row.history_type, row.approved, row.history_user) for row in history] == [
        ("+", 18, manager.user),
        ("~", 20, manager.user),
    ]


def test_setting_the_same_headcount_again_writes_nothing(org):
    services.set_headcount(user=user_of(org, "hr"), team=org.team_b, position=position("agent"), approved=5)
    before = snapshot()
    services.set_headcount(user=user_of(org, "hr"), team=org.team_b, position=position("agent"), approved=5)
    assert snapshot() == before


def test_a_headcount_below_the_filled_posts_leaves_no_vacancy(org):
    services.set_headcount(user=user_of(org, "hr"), team=org.team_a, position=position("agent"), approved=1)
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.change_position(
            user=user_of(org, "hr"),
            employee=org.people["team_leader"],
            to_position=position("agent"),
            effective_date=PROMOTED_ON,
            reason="降职",
        )

    assert field_errors(caught) == {"position": ["no_vacancy"]}
    assert snapshot() == before


def test_a_negative_headcount_is_refused(org):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.set_headcount(user=user_of(org, "hr"), team=org.team_a, position=position("agent"), approved=-1)
    assert field_errors(caught) == {"approved": ["min_value"]}
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["supervisor", "team_leader", "qa"])
def test_set_headcount_needs_the_manage_structure_permission(org, persona):
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.set_headcount(user=user_of(org, persona), team=org.team_a, position=position("agent"), approved=3)
    assert snapshot() == before


def test_set_headcount_of_another_centres_team_is_out_of_scope(org, stranger):
    before = snapshot()
    with pytest.raises(OutOfScope):
        services.set_headcount(user=user_of(org, "hr"), team=stranger.team, position=position("agent"), approved=3)
    assert snapshot() == before


# --- create_employee ----------------------------------------------------------------------------


def new_employee(org, persona="hr", **changes):
    values = {
        "employee_no": "N001",
        "name": "赵雷",
        "department": org.department,
        "team": org.team_a,
        "position": position("agent"),
        "hire_date": date(2024, 9, 2),
    }
    values.update(changes)
    return services.create_employee(user=user_of(org, persona), **values)


def test_a_new_employee_gets_a_hiring_record_and_the_role_of_their_position(org):
    hr = org.people["hr"]

    employee = new_employee(
        org, employee_no=" N001 ", name=" 赵雷 ", star_title=star("star_1"), mentor=org.people["teammate"]
    )

    stored = Employee.objects.get(pk=employee.pk)
    assert (stored.centre, stored.employee_no, stored.name) == (org.centre, "N001", "赵雷")
    assert (stored.hire_date, stored.position_since, stored.status) == (date(2024, 9, 2), date(2024, 9, 2), "probation")
    assert (stored.mentor, stored.star_title.code) == (org.people["teammate"], "star_1")
    hired = PositionChange.objects.get(employee=stored)
    assert (hired.from_position, hired.to_position.code, hired.effective_date) == (None, "agent", date(2024, 9, 2))
    assert (hired.reason, hired.recorded_by) == ("Hired", hr.user)
    assert list(stored.roles.values_list("role", flat=True)) == [Role.AGENT]
    created = stored.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == ("+", hr.user, "Hired")


@pytest.mark.parametrize(
    ("code", "role"),
    sorted(services.ROLE_FOR_POSITION.items()),
)
def test_each_position_gives_its_role(org, code, role):
    employee = new_employee(org, position=position(code), team=None)
    assert list(employee.roles.values_list("role", flat=True)) == [role]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"employee_no": "agent"}, "employee_no", "unique"),
        ({"employee_no": "  "}, "employee_no", "required"),
        ({"name": ""}, "name", "required"),
        ({"team": "team_c"}, "team", "team_department"),
        ({"department": "elsewhere"}, "department", "other_centre"),
        ({"mentor": "stranger"}, "mentor", "other_centre"),
    ],
)
def test_a_new_employee_with_bad_data_is_refused(org, stranger, changes, field, code):
    resolved = {
        "team_c": org.team_c,
        "elsewhere": stranger.department,
        "stranger": stranger,
    }
    changes = {key: resolved.get(value, value) for key, value in changes.items()}
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        new_employee(org, **changes)

    assert field_errors(caught) == {field: [code]}
    assert snapshot() == before


def test_a_new_employee_needs_a_vacancy_where_headcount_is_set(org):
    Headcount.objects.create(team=org.team_a, position=position("agent"), approved=3)  # agent and teammate fill two
    before = snapshot()
    new_employee(org, employee_no="N001")  # third agent of team A: the last vacancy

    with pytest.raises(ValidationError) as caught:
        new_employee(org, employee_no="N002")

    assert field_errors(caught) == {"position": ["no_vacancy"]}
    assert snapshot()["position_changes"] == before["position_changes"] + 1
    assert not Employee.objects.filter(employee_no="N002").exists()


@pytest.mark.parametrize("persona", ["supervisor", "team_leader", "agent"])
def test_creating_an_employee_needs_the_change_employee_permission(org, persona):
    before = snapshot()
    with pytest.raises(NotAllowed):
        new_employee(org, persona=persona)
    assert snapshot() == before
