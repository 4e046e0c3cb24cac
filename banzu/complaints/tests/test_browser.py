"""Real browser: a complaint walked from filing to closure through the pages, as the agent, the shift
lead and the supervisor (CMP-4), with a refused step shown in place."""

from __future__ import annotations

import pytest

from banzu.complaints.models import Complaint
from banzu.workorders.models import Notification

pytestmark = [pytest.mark.browser]
PASSWORD = "pw-banzu-test"  # the factories' password


def log_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def take(page, step: str, note: str = "", **selects: str) -> None:
    """Fill the step's form on the detail page, submit it and wait for the reloaded page."""
    form = page.locator(f"form[data-step={step}]")
    for name, value in selects.items():
        if name == "management_failure":
            form.locator("input[name=management_failure]").check()
        else:
            form.locator(f"select[name={name}]").select_option(value)
    if note:
        form.locator("textarea[name=note]").fill(note)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_a_complaint_walks_from_filing_to_closure_through_the_pages(page, live_server, org):
    log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/complaints/new/")
    page.select_option("select[name=channel]", "phone")
    page.select_option("select[name=source]", "company")
    page.fill("input[name=complainant]", "李先生")
    page.fill("input[name=contact_phone]", "13800138000")
    page.fill("input[name=location]", "人民路办税服务厅")
    page.fill("input[name=summary]", "窗口人员态度生硬")
    page.fill("textarea[name=content]", "窗口人员态度生硬，拒绝解释")
    with page.expect_navigation():
        page.click("#complaint-form button[type=submit]")
    complaint = Complaint.objects.get()
    assert page.url.endswith(f"/complaints/{complaint.pk}/")
    assert "投诉" in page.content()
    assert Notification.objects.filter(recipient=org.people["supervisor"]).exists()

    log_in(page, live_server, "shift_lead")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    take(page, "accept")
    # Verifying without the investigation is refused in place and changes nothing.
    page.locator("form[data-step=verify] button[type=submit]").click()
    page.wait_for_selector("[data-field-error=note]")
    assert Complaint.objects.get().status == "accepted"
    take(page, "verify", "调取录音，核实属实")

    log_in(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    take(page, "decide", "违反服务规范", is_valid="true", cause="attitude")
    take(page, "apologise", "当面致歉")
    take(page, "agree_solution", "优先办理")
    take(page, "resolve", "已办理完毕")
    take(
        page,
        "determine_responsibility",
        "扣5分",
        responsible_person=str(org.people["agent"].pk),
        management_failure="on",
        responsible_superior=str(org.people["team_leader"].pk),
    )
    take(page, "call_back", "仍不满意", method="phone", satisfied="false")
    take(page, "call_back", "满意", method="visit", satisfied="true")
    take(page, "correct", "组织服务规范培训")
    take(page, "verify_correction", "服务监督抽查合格")
    take(page, "close", "客户满意，结案")

    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.joint_liability
    assert complaint.work_order.status == "closed"
    assert complaint.steps.count() == 13
    timeline = page.locator("#complaint-timeline").inner_text()
    assert "调取录音，核实属实" in timeline and "客户满意，结案" in timeline
