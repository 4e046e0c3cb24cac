"""Personas shared by every app's tests (style guide §6).

One centre, one department with two teams and a second department:
agent and teammate in team A (led by team_leader), other_agent in team B (led by
other_team_leader), supervisor of department 1, and centre-wide roles.
"""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("BANZU_TESTING", "1")


def _reseed_reference_data() -> None:
    """Rows that migrations seed (calendar, positions, star titles).

    A transactional test flushes every table when it ends, migration data included; the next test
    gets it back here instead of failing on a missing position or calendar year.
    """
    import importlib

    from django.apps import apps

    from banzu.core import services
    from banzu.org.models import Position

    if Position.objects.exists():
        return
    for name in ("0002_seed_ladders", "0003_seed_executive_posts"):
        importlib.import_module(f"banzu.org.migrations.{name}").seed(apps, None)
    services.seed_calendar_from_package()


@pytest.fixture(autouse=True)
def reference_data(request):
    names = set(request.fixturenames)
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return
    _reseed_reference_data()


@pytest.fixture(autouse=True)
def fresh_process_caches():
    """The calendar and the configuration are cached per process; a rolled-back test must not leak
    its days or settings."""
    from banzu.core import calendar, memo

    calendar.invalidate()
    memo.reset_configuration()
    yield
    calendar.invalidate()
    memo.reset_configuration()


@pytest.fixture
def org(db):
    from banzu.core.roles import Role
    from banzu.org.models import Team
    from banzu.org.tests.factories import (
        CentreFactory,
        DepartmentFactory,
        EmployeeFactory,
        TeamFactory,
        position,
    )

    centre = CentreFactory()
    dept = DepartmentFactory(centre=centre, code="D1", name="客服一部")
    other_dept = DepartmentFactory(centre=centre, code="D2", name="VIP客服部")
    team_a = TeamFactory(department=dept, code="A", name="一组")
    team_b = TeamFactory(department=dept, code="B", name="二组")
    team_c = TeamFactory(department=other_dept, code="C", name="VIP一组")

    def person(key, team, roles, pos="agent", name=None, department=None):
        employee = EmployeeFactory(
            team=team,
            department=department or team.department,
            employee_no=key,
            name=name or key,
            position=position(pos),
            roles=roles,
        )
        return employee

    people = {
        "agent": person("agent", team_a, [Role.AGENT], name="张伟"),
        "teammate": person("teammate", team_a, [Role.AGENT], name="王芳"),
        "other_agent": person("other_agent", team_b, [Role.AGENT], name="李娜"),
        "vip_agent": person("vip_agent", team_c, [Role.AGENT], name="刘洋"),
        "team_leader": person("team_leader", team_a, [Role.TEAM_LEADER, Role.AGENT], "team_leader", "陈静"),
        "other_team_leader": person("other_team_leader", team_b, [Role.TEAM_LEADER], "team_leader", "杨磊"),
        "supervisor": person("supervisor", None, [Role.SUPERVISOR], "supervisor", "赵敏", department=dept),
        "other_supervisor": person(
            "other_supervisor", None, [Role.SUPERVISOR], "supervisor", "黄强", department=other_dept
        ),
        "shift_lead": person("shift_lead", None, [Role.SHIFT_LEAD], "shift_lead", "周杰", department=dept),
        "qa": person("qa", None, [Role.QA_INSPECTOR], "qa_inspector", "吴霞", department=dept),
        "trainer": person("trainer", None, [Role.TRAINER], "trainer", "徐丽", department=dept),
        "manager": person("manager", None, [Role.MANAGER], "manager", "孙涛", department=dept),
        "hr": person("hr", None, [Role.HR], "agent", "胡敏", department=dept),
        "admin": person("admin", None, [Role.ADMINISTRATOR], "agent", "郭鹏", department=dept),
    }
    Team.objects.filter(pk=team_a.pk).update(leader=people["team_leader"])
    Team.objects.filter(pk=team_b.pk).update(leader=people["other_team_leader"])
    team_a.refresh_from_db()
    team_b.refresh_from_db()

    class Org:
        pass

    result = Org()
    result.centre = centre
    result.department = dept
    result.other_department = other_dept
    result.team_a, result.team_b, result.team_c = team_a, team_b, team_c
    result.people = people
    return result


PERSONAS = [
    "agent",
    "teammate",
    "other_agent",
    "team_leader",
    "other_team_leader",
    "supervisor",
    "other_supervisor",
    "shift_lead",
    "qa",
    "trainer",
    "manager",
    "hr",
    "admin",
]


@pytest.fixture
def client_as(org, client):
    """A logged-in Django test client for a persona name."""
    from django.test import Client

    def make(persona: str) -> Client:
        c = Client()
        c.force_login(org.people[persona].user)
        return c

    return make


@pytest.fixture
def api_as(org):
    """A logged-in DRF APIClient for a persona name."""
    from rest_framework.test import APIClient

    def make(persona: str) -> APIClient:
        c = APIClient()
        c.force_authenticate(user=org.people[persona].user)
        return c

    return make


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def page(live_server, transactional_db, monkeypatch):
    """A Chinese-language Chromium page; tests marked ``browser`` use it against ``live_server``."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # body are still synchronous and safe here. monkeypatch restores the variable afterwards so
    # later tests (and subprocesses they start) keep async-safety checks.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        page = context.new_page()
        page.set_default_timeout(15000)
        # pytest-django's live server speaks HTTP only; the notice socket is answered here, silent.
        page.route_web_socket("**/ws/notifications/", lambda socket: None)
        yield page
        context.close()
        browser.close()
