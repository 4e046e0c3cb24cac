"""Real browser: a queue's skills edited and seen in the list; a skill-matrix cell saved inline (htmx)."""

from __future__ import annotations

import pytest

from banzu.contact.models import QueueSkill
from banzu.org.models import EmployeeSkill
from banzu.org.tests.factories import SkillFactory

pytestmark = [pytest.mark.browser]
PASSWORD = "pw-banzu-test"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    return problems


def test_a_supervisor_adds_a_skill_to_a_queue_and_sees_it_listed(page, live_server, floor):
    chat = SkillFactory(code="chat", name="在线客服")
    problems = watch_console(page)
    log_in(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/contact/queues/{floor.queue.pk}/edit/")
    # Row 0 holds the queue's skill (办税咨询 ≥ 2); the first empty row takes the new one.
    page.select_option("select[name='skills-1-skill']", str(chat.pk))
    page.select_option("select[name='skills-1-min_level']", "3")
    page.select_option("select[name='skills-0-min_level']", "4")
    page.click("#queue-form button[type=submit]")
    page.wait_for_selector("#queue-list")
    row = page.locator("#queue-list tr", has_text="办税热线").inner_text()
    assert "在线客服 ≥ 3" in row and "办税咨询 ≥ 4" in row
    assert sorted(QueueSkill.objects.filter(queue=floor.queue).values_list("skill__code", "min_level")) == [
        ("chat", 3),
        ("tax", 4),
    ]
    assert problems == []


def test_a_team_leader_changes_a_level_in_the_matrix(page, live_server, floor):
    problems = watch_console(page)
    agent = floor.person("agent")
    log_in(page, live_server, "team_leader")
    page.goto(f"{live_server.url}/contact/skill-matrix/")
    cell = page.locator(f"form.skill-cell:has(input[name=employee][value='{agent.pk}'])")
    with page.expect_response("**/contact/skill-matrix/cell/") as answer:
        cell.locator("select[name=level]").select_option("5")
    assert answer.value.status == 200
    page.wait_for_selector(f"form.skill-cell:has(input[name=employee][value='{agent.pk}']) [role=status]")
    assert EmployeeSkill.objects.get(employee=agent, skill=floor.tax).level == 5
    page.reload()
    selected = page.locator(f"form.skill-cell:has(input[name=employee][value='{agent.pk}']) select[name=level]")
    assert selected.input_value() == "5"
    assert problems == []
