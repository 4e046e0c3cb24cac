"""Real browser: the outcome form (htmx, no inline script) and the satisfaction chart (ECharts from a
static file, data from a JSON script element) under the site's CSP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from banzu.callbacks.models import CallbackTask

pytestmark = [pytest.mark.browser]
PASSWORD = "pw-banzu-test"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_an_agent_records_a_callback_and_the_missing_opinion_is_shown_in_place(page, live_server, org, task):
    pending = task("agent", now=timezone.now() - timedelta(days=2))
    problems = []
    # The refused form answers 422 on purpose (htmx swaps it); any other console error is a defect.
    page.on(
        "console",
        lambda message: (
            message.type == "error" and "status of 422" not in message.text and problems.append(message.text)
        ),
    )
    log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/callbacks/tasks/{pending.pk}/")
    page.check("input[name=outcome][value=dissatisfied]")
    page.click("#cb-attempt button[type=submit]")
    page.wait_for_selector("#cb-attempt .invalid-feedback")
    assert "上门人员迟到" not in page.content()
    page.fill("textarea[name=opinion]", "上门人员迟到")
    page.click("#cb-attempt button[type=submit]")
    # HX-Redirect reloads the same URL; the form is gone once the task is done.
    page.wait_for_selector("#cb-attempt", state="detached")
    page.wait_for_load_state("networkidle")
    assert "上门人员迟到" in page.locator("main").inner_text()  # the saved opinion, shown on the task
    row = CallbackTask.objects.get(pk=pending.pk)
    assert (row.status, row.attempts) == ("done", 1)
    assert problems == []


def test_the_satisfaction_chart_draws(page, live_server, org):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    log_in(page, live_server, "team_leader")
    page.goto(f"{live_server.url}/callbacks/satisfaction/")
    page.wait_for_selector("#satisfaction-chart canvas")
    assert problems == []
