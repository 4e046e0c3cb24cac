"""The demo centre (`manage.py demo`): structure, realism, idempotence, log-ins and passwords."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone

from banzu.core.policies import policy
from banzu.core.roles import Role
from banzu.org import demo
from banzu.org.models import (
    Centre,
    Department,
    Employee,
    EmployeeRole,
    EmployeeSkill,
    PositionChange,
    Team,
    TitleChange,
)
from banzu.org.selectors import team_summaries
from banzu.org.tests.factories import CentreFactory, EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
SINGLE_ROLES = [
    Role.SHIFT_LEAD,
    Role.QA_INSPECTOR,
    Role.TRAINER,
    Role.MANAGER,
    Role.DIRECTOR,
    Role.HR,
    Role.GENERAL_MANAGER,
    Role.CHAIRMAN,
    Role.ADMINISTRATOR,
]


@pytest.fixture(autouse=True)
def no_password_from_environment(monkeypatch):
    monkeypatch.delenv(demo.PASSWORD_ENV, raising=False)


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> list[list[str]]:
    """Rows of the log-in table: role label, username, name, password."""
    lines = output.splitlines()
    rule = next(index for index, line in enumerate(lines) if re.fullmatch(r"-+( +-+)+", line))
    rows = []
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def active_agents(centre: Centre):
    return Employee.objects.filter(centre=centre, position__code__in=["agent", "senior_agent"]).exclude(
        status=Employee.Status.LEFT
    )


def demo_centre() -> Centre:
    return Centre.objects.get(code=demo.DEMO_CENTRE_CODE)


@override_settings(DEMO=True)
def test_demo_builds_two_departments_eight_teams_and_every_role():
    run_demo()
    centre = demo_centre()
    assert centre.name == "总部呼叫中心"
    assert centre.timezone == "Asia/Shanghai"
    assert Department.objects.filter(centre=centre).count() == 2
    assert Team.objects.filter(department__centre=centre).count() == 8
    assert active_agents(centre).count() == demo.DEFAULT_AGENTS >= 140
    for team in Team.objects.filter(department__centre=centre).select_related("leader__position"):
        assert team.leader is not None
        assert team.leader.team_id == team.pk
        assert team.leader.position.code == "team_leader"
        assert team.leader.roles.filter(role=Role.TEAM_LEADER).exists()
    for department in Department.objects.filter(centre=centre):
        assert department.head.department_id == department.pk
        assert department.head.roles.filter(role=Role.SUPERVISOR).exists()
    held = EmployeeRole.objects.filter(employee__centre=centre)
    assert set(held.values_list("role", flat=True)) == set(Role.values)
    for role in SINGLE_ROLES:
        assert held.filter(role=role).count() == 1, role
    assert held.filter(role=Role.TEAM_LEADER).count() == 8
    assert held.filter(role=Role.SUPERVISOR).count() == 2
    administrator = held.get(role=Role.ADMINISTRATOR).employee.user
    assert administrator.is_staff
    assert not administrator.is_superuser
    assert administrator.has_perm("org.view_employee")
    assert not administrator.has_perm("auth.change_user")
    assert not User.objects.filter(is_superuser=True).exists()


@override_settings(DEMO=True)
def test_demo_staff_records_look_like_a_real_centre():
    run_demo()
    centre = demo_centre()
    today = timezone.localdate()
    employees = Employee.objects.filter(centre=centre).select_related("user", "mentor", "position")
    numbers = sorted(int(employee.employee_no) for employee in employees)
    assert numbers == list(range(5001, 5001 + len(numbers)))
    assert len({employee.phone for employee in employees}) == len(employees)
    assert len({employee.name for employee in employees}) == len(employees)
    statuses = {status: employees.filter(status=status).count() for status in Employee.Status.values}
    assert statuses[Employee.Status.REGULAR] > statuses[Employee.Status.PROBATION] > statuses[Employee.Status.LEFT] > 0
    assert employees.filter(position__code="senior_agent").exists()
    assert employees.filter(star_title__isnull=False).count() > 20
    for employee in employees:
        assert re.fullmatch(r"1[3-9]\d{9}", employee.phone)
        assert 2 <= len(employee.name) <= 3
        assert employee.user.username == employee.employee_no
        assert today - timedelta(days=4 * 365) <= employee.hire_date <= employee.position_since <= today
        history = list(PositionChange.objects.filter(employee=employee).order_by("effective_date", "pk"))
        assert history[0].from_position is None
        assert history[-1].to_position == employee.position
        assert history[-1].effective_date == employee.position_since
        assert employee.history.count() == 1
        if employee.star_title_id:
            assert TitleChange.objects.get(employee=employee).to_title_id == employee.star_title_id
        if employee.status == Employee.Status.PROBATION:
            assert employee.hire_date >= today - timedelta(days=92)
            assert employee.mentor is not None
            assert employee.mentor.team_id == employee.team_id
            assert employee.mentor.status == Employee.Status.REGULAR
        if employee.status == Employee.Status.LEFT:
            assert employee.hire_date < employee.left_on < today
            assert not employee.user.is_active
        else:
            assert employee.left_on is None
            assert employee.user.is_active
    skills = EmployeeSkill.objects.filter(employee__centre=centre)
    assert set(skills.values_list("skill__name", flat=True)) == {
        "办税咨询",
        "发票业务",
        "社保业务",
        "投诉处理",
        "英语",
        "在线客服",
    }
    assert set(skills.values_list("level", flat=True)) == {1, 2, 3, 4, 5}
    assert skills.filter(skill__name="英语", skill__kind="language").exists()
    assert not active_agents(centre).filter(skills__isnull=True).exists()


@override_settings(DEMO=True)
def test_one_team_exceeds_the_team_leader_ratio_and_most_teams_have_vacancies():
    run_demo()
    centre = demo_centre()
    ratio = policy("org.agents_per_team_leader", centre)
    administrator = EmployeeRole.objects.get(employee__centre=centre, role=Role.ADMINISTRATOR).employee.user
    summaries = team_summaries(administrator)
    assert len(summaries) == 8
    over = [summary for summary in summaries if summary.exceeds_ratio]
    assert len(over) == 1
    assert over[0].agent_count > ratio
    assert sum(1 for summary in summaries if summary.vacancies > 0) >= 5
    assert all(line.filled <= line.approved for summary in summaries for line in summary.headcount)


@override_settings(DEMO=True)
def test_running_demo_again_changes_nothing():
    run_demo()
    counts = lambda: (  # noqa: E731
        Employee.objects.count(),
        User.objects.count(),
        PositionChange.objects.count(),
        EmployeeRole.objects.count(),
        Employee.history.count(),
        Centre.objects.count(),
    )
    before = counts()
    again = run_demo()
    if_empty = run_demo("--if-empty")
    assert counts() == before
    assert printed_logins(again) == printed_logins(if_empty)


def test_if_empty_does_nothing_when_any_employee_exists():
    other = CentreFactory(code="SZ", name="深圳呼叫中心")
    EmployeeFactory(team=TeamFactory(department__centre=other), employee_no="0001")
    run_demo("--if-empty")
    assert not Centre.objects.filter(code=demo.DEMO_CENTRE_CODE).exists()
    assert Employee.objects.count() == 1


# The default hasher spends a third of a second per check by design; the logic under test is the same.
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@override_settings(DEMO=True, PASSWORD_HASHERS=FAST_HASHER)
def test_every_printed_login_authenticates_in_demo_mode():
    rows = printed_logins(run_demo())
    assert [row[0] for row in rows] == [str(role.label) for role in Role]
    for label, username, name, password in rows:
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=username, password=password)
        assert user is not None, label
        assert user.employee.name == name
        role = next(role for role in Role if str(role.label) == label)
        assert user.employee.roles.filter(role=role).exists()


@override_settings(DEMO=False, DEBUG=True, PASSWORD_HASHERS=FAST_HASHER)
def test_password_from_the_environment_is_used_in_debug_mode(monkeypatch):
    monkeypatch.setenv(demo.PASSWORD_ENV, "another-demo-pass")
    rows = printed_logins(run_demo())
    assert {row[3] for row in rows} == {"another-demo-pass"}
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=rows[0][1], password="another-demo-pass") is not None


@override_settings(DEMO=False, DEBUG=False)
def test_without_demo_or_debug_no_usable_password_is_created():
    output = run_demo()
    accounts = User.objects.filter(employee__centre__code=demo.DEMO_CENTRE_CODE)
    assert accounts.count() == Employee.objects.count() > 150
    assert not any(account.has_usable_password() for account in accounts)
    assert demo.DEFAULT_PASSWORD not in output
    username = printed_logins(output)[0][1]
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=username, password=demo.DEFAULT_PASSWORD) is None


@override_settings(DEMO=False, DEBUG=False)
def test_a_password_asked_for_outside_demo_or_debug_is_refused(monkeypatch):
    monkeypatch.setenv(demo.PASSWORD_ENV, "another-demo-pass")
    with pytest.raises(CommandError, match=demo.PASSWORD_ENV):
        run_demo()
    assert not Centre.objects.exists()
    assert not User.objects.exists()


@override_settings(DEMO=True)
def test_agents_option_sets_the_number_of_agents():
    run_demo("--agents", "40", "--seed", "7")
    assert active_agents(demo_centre()).count() == 40
    assert Team.objects.filter(leader__isnull=False).count() == 8


@override_settings(DEMO=True)
def test_too_few_agents_are_refused_and_nothing_is_written():
    with pytest.raises(CommandError):
        run_demo("--agents", "5")
    assert not Centre.objects.exists()
    assert not Employee.objects.exists()


@override_settings(DEMO=True)
def test_taken_demo_username_is_refused_and_nothing_is_written():
    User.objects.create_user(username="5001", password=None)
    with pytest.raises(CommandError, match="5001"):
        run_demo()
    assert not Centre.objects.exists()
    assert User.objects.count() == 1


def test_same_seed_plans_the_same_centre():
    today = timezone.localdate()

    def plan(seed: int) -> list[tuple[str, str, str]]:
        people = demo.plan_centre(rng=random.Random(seed), today=today, agents=60, ratio=20)
        return [(person.employee_no, person.name, person.phone) for person in people]

    assert plan(3) == plan(3)
    assert plan(3) != plan(4)


def test_team_sizes_put_one_team_past_the_ratio_when_there_are_enough_agents():
    rng = random.Random(1)
    sizes = demo.team_sizes(150, 20, rng)
    assert sum(sizes) == 150
    assert [size > 20 for size in sizes].count(True) == 1
    small = demo.team_sizes(20, 20, rng)
    assert sum(small) == 20
    assert max(small) <= 20
