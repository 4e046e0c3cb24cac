"""The work-order pages over HTTP: list (views, filters, search, sort, export), form, detail, print."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from banzu.workorders import services
from banzu.workorders.models import Notification, Status, WorkOrder


def text(response) -> str:
    return response.content.decode()


def numbers(response) -> list[str]:
    return re.findall(r'<td class="font-monospace"><a href="/workorders/\d+/"[^>]*>(\d+)</a>', text(response))


@pytest.fixture
def live(create):
    """create(...) at the real clock, as pages use timezone.now()."""

    def make(persona="agent", **fields):
        fields.setdefault("now", timezone.now())
        return create(persona, **fields)

    return make


@pytest.fixture
def duty_now(org):
    """The shift lead on duty around the real clock (pages use timezone.now())."""
    from banzu.workorders.models import DutyAssignment

    moment = timezone.now()
    return DutyAssignment.objects.create(
        centre=org.centre,
        shift_lead=org.people["shift_lead"],
        starts_at=moment - timedelta(hours=1),
        ends_at=moment + timedelta(hours=1),
    )


# --- list -------------------------------------------------------------------------------------------------


def test_the_list_shows_the_columns_and_masks_the_caller_for_qa(page_as, live):
    order = live(customer_name="张三丰", caller_number="13800138000")
    agent_view = text(page_as("agent").get(reverse("workorders:list")))
    assert order.number in agent_view and "13800138000" in agent_view and "张三丰" in agent_view
    for column in (
        "Number",
        "Title",
        "Category",
        "Status",
        "Caller number",
        "Customer",
        "Handler",
        "Time left",
        "Created at",
    ):
        assert f">{column}<" in agent_view or f">{column}</a>" in agent_view
    qa_view = text(page_as("qa").get(reverse("workorders:list")))
    assert order.number in qa_view
    assert "138****8000" in qa_view and "张*丰" in qa_view and "13800138000" not in qa_view


def test_an_agent_lists_only_what_they_may_see(page_as, live):
    mine = live("agent")
    theirs = live("other_agent")
    listed = numbers(page_as("agent").get(reverse("workorders:list")))
    assert mine.number in listed and theirs.number not in listed
    assert set(numbers(page_as("team_leader").get(reverse("workorders:list")))) == {mine.number}
    assert set(numbers(page_as("supervisor").get(reverse("workorders:list")))) == {mine.number, theirs.number}


def test_the_search_finds_an_order_by_its_exact_caller_number_only(page_as, live):
    wanted = live(caller_number="13800138000")
    live(caller_number="13800138001")
    client = page_as("team_leader")
    assert numbers(client.get(reverse("workorders:list"), {"field": "caller_number", "q": "138 0013 8000"})) == [
        wanted.number
    ]
    assert numbers(client.get(reverse("workorders:list"), {"field": "caller_number", "q": "1380013800"})) == []
    assert numbers(client.get(reverse("workorders:list"), {"field": "number", "q": wanted.number})) == [wanted.number]


def test_the_urgent_view_and_the_remaining_time_sort(page_as, live, org):
    from banzu.workorders.models import DutyAssignment

    moment = timezone.now()
    DutyAssignment.objects.create(
        centre=org.centre,
        shift_lead=org.people["shift_lead"],
        starts_at=moment - timedelta(hours=1),
        ends_at=moment + timedelta(hours=1),
    )
    plain = live()
    urgent = live(urgent=True)
    client = page_as("shift_lead")
    assert numbers(client.get(reverse("workorders:list"), {"view": "urgent"})) == [urgent.number]
    soon = live(category="consultation", consultation_mode="delayed_answer")
    later = live()
    services.hand_over_work_order(
        user=later.owner.user,
        work_order_id=later.pk,
        to_employee=org.people["teammate"],
        due_at=timezone.now() + timedelta(hours=5),
        now=timezone.now(),
    )
    listed = numbers(client.get(reverse("workorders:list"), {"sort": "remaining"}))
    # The next breach first; orders without a deadline after, newest first.
    assert listed == [soon.number, later.number, urgent.number, plain.number]


def test_the_list_answers_htmx_with_the_table_alone(page_as, live):
    live()
    response = page_as("agent").get(reverse("workorders:list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<div id="wo-table"')
    assert "HX-Request" in response["Vary"]


def test_the_export_holds_the_scoped_rows_with_masking(page_as, live):
    mine = live(caller_number="13800138000")
    live("vip_agent")
    response = page_as("team_leader").get(reverse("workorders:export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Work order number"
    assert [row[0] for row in rows[1:]] == [mine.number]
    assert rows[1][5] == "13800138000"
    qa_rows = list(
        load_workbook(io.BytesIO(page_as("qa").get(reverse("workorders:export")).content)).active.iter_rows(
            values_only=True
        )
    )
    assert len(qa_rows) == 3 and "138****8000" in [row[5] for row in qa_rows]


def test_an_agent_may_not_export(page_as):
    assert page_as("agent").get(reverse("workorders:export")).status_code == 403


# --- form ------------------------------------------------------------------------------------------------------


def test_the_form_shows_the_four_categories_the_standing_hint_and_the_shift_lead_on_duty(page_as, duty_now):
    body = text(page_as("agent").get(reverse("workorders:create")))
    for label in ("Consultation", "Suggestion", "Complaint", "Help request"):
        assert label in body
    assert "is handled as a complaint or help request" in body
    assert "goes at once to the shift lead on duty, 周杰" in body


def test_the_form_prefills_what_the_screen_pop_knows(page_as):
    body = text(
        page_as("agent").get(reverse("workorders:create"), {"caller_number": "13912345678", "contact_ref": "C-1"})
    )
    assert 'value="13912345678"' in body and 'value="C-1"' in body


def test_choosing_a_consultation_shows_its_modes_and_custom_fields(page_as, org):
    services.save_field_definition(
        user=org.people["manager"].user,
        category="consultation",
        key="tax_id",
        label="纳税人识别号",
        field_type="text",
        required=True,
    )
    body = text(page_as("agent").get(reverse("workorders:category_fields"), {"category": "consultation"}))
    assert "Direct answer" in body and "Delayed answer" in body and "within 15 minutes" in body
    assert "纳税人识别号" in body and 'name="cf_tax_id"' in body
    complaint = text(page_as("agent").get(reverse("workorders:category_fields"), {"category": "complaint"}))
    assert "Direct answer" not in complaint
    assert re.search(r'name="transfer_to_shift_lead"[^>]*checked', complaint)


def test_the_preview_composes_the_title_with_the_urgent_mark(page_as, unit_head, org):
    body = text(
        page_as("agent").get(
            reverse("workorders:preview"),
            {
                "location": "人民路10号",
                "summary": "路灯不亮",
                "urgent": "on",
                "responsible_unit": org.other_department.pk,
            },
        )
    )
    assert "[Urgent]人民路10号 — 路灯不亮" in body
    assert "goes to the head of VIP客服部, 黄强" in body


def test_an_invalid_form_comes_back_with_422_and_the_errors_inline(page_as, org):
    before = WorkOrder.objects.count()
    response = page_as("agent").post(
        reverse("workorders:create"), {"category": "complaint", "location": "", "summary": "x"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith("<form") or '<form id="wo-form"' in body[:400]
    assert "Enter the event location." in body and "Enter the customer name." in body
    assert 'aria-invalid="true"' in body
    assert WorkOrder.objects.count() == before


def test_a_valid_form_saves_and_redirects_to_the_detail(page_as, org):
    response = page_as("agent").post(
        reverse("workorders:create"),
        {"category": "suggestion", "location": "人民路10号", "summary": "建议增加窗口", "caller_number": "13800138000"},
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("workorders:detail", args=[order.pk])
    assert order.owner == org.people["agent"] and order.title == "人民路10号 — 建议增加窗口"


def test_an_htmx_save_answers_with_a_redirect_header(page_as, org):
    response = page_as("agent").post(
        reverse("workorders:create"),
        {"category": "suggestion", "location": "人民路10号", "summary": "建议", "caller_number": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/workorders/")


def test_custom_field_errors_show_on_their_inputs(page_as, org):
    services.save_field_definition(
        user=org.people["manager"].user, category="suggestion", key="amount", label="金额", field_type="number"
    )
    response = page_as("agent").post(
        reverse("workorders:create"),
        {"category": "suggestion", "location": "a", "summary": "b", "caller_number": "1", "cf_amount": "many"},
    )
    assert response.status_code == 422
    assert re.search(r'name="cf_amount"[^>]*aria-invalid="true"', text(response))
    assert "金额: enter a number." in text(response)


def test_editing_changes_the_record(page_as, live):
    order = live()
    response = page_as("agent").post(
        reverse("workorders:edit", args=[order.pk]),
        {"category": "suggestion", "location": "中山路", "summary": "建议", "caller_number": "1"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.title == "中山路 — 建议"


# --- detail, actions, print ----------------------------------------------------------------------------------------


def test_the_detail_shows_the_timeline_and_the_hand_over_form(page_as, live):
    order = live()
    body = text(page_as("agent").get(reverse("workorders:detail", args=[order.pk])))
    assert order.number in body and "Hand-over history" in body and "Created" in body
    assert f'action="/workorders/{order.pk}/hand-over/"' in body


def test_the_detail_links_the_callers_earlier_orders_the_reader_may_see(page_as, live):
    first = live("agent", caller_number="13800138000")
    other_team = live("other_agent", caller_number="13800138000")
    live("agent", caller_number="13900000000")
    latest = live("agent", caller_number="13800138000")
    body = text(page_as("agent").get(reverse("workorders:detail", args=[latest.pk])))
    assert "Earlier work orders of this caller" in body
    assert f"/workorders/{first.pk}/" in body
    assert f"/workorders/{other_team.pk}/" not in body  # out of the agent's scope
    supervisor_view = text(page_as("supervisor").get(reverse("workorders:detail", args=[latest.pk])))
    assert f"/workorders/{other_team.pk}/" in supervisor_view


def test_qa_reads_the_detail_without_action_forms(page_as, live):
    order = live()
    body = text(page_as("qa").get(reverse("workorders:detail", args=[order.pk])))
    assert order.number in body and "hand-over/" not in body and "/close/" not in body


def test_a_hand_over_through_the_page_records_the_step(page_as, live, org):
    order = live()
    due = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = page_as("agent").post(
        reverse("workorders:hand_over", args=[order.pk]),
        {"to_employee": org.people["vip_agent"].pk, "due_at": due, "note": "请处理"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.handler) == (Status.HANDED_OVER, org.people["vip_agent"])
    assert Notification.objects.get().recipient == org.people["vip_agent"]


def test_a_hand_over_without_a_due_time_comes_back_with_422(page_as, live, org):
    order = live()
    response = page_as("agent").post(
        reverse("workorders:hand_over", args=[order.pk]), {"to_department": org.department.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert text(response).lstrip().startswith('<section id="wo-hand-over"')
    assert "Enter the due time." in text(response)
    assert order.steps.count() == 1


def test_closing_through_the_page(page_as, live):
    order = live()
    response = page_as("agent").post(
        reverse("workorders:close", args=[order.pk]), {"outcome": "已答复", "customer_informed": "on"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.customer_informed


def test_marking_urgent_without_anyone_to_take_it_shows_the_reason(page_as, live):
    order = live()
    response = page_as("agent").post(reverse("workorders:mark_urgent", args=[order.pk]), follow=True)
    assert "No shift lead is on duty" in text(response)
    order.refresh_from_db()
    assert order.urgent is False


def test_the_printable_report_has_no_navigation(page_as, live):
    order = live(location="人民路10号", summary="路灯不亮")
    response = page_as("agent").get(reverse("workorders:print", args=[order.pk]))
    body = text(response)
    assert response.status_code == 200
    assert "Work order report" in body and order.number in body and "人民路10号 — 路灯不亮" in body
    assert "navbar" not in body and "print.css" in body and "<script>" not in body


@pytest.mark.parametrize("name", ["detail", "print", "edit"])
def test_another_teams_order_is_not_found_on_every_page(page_as, live, name):
    order = live("other_agent")
    assert page_as("agent").get(reverse(f"workorders:{name}", args=[order.pk])).status_code == 404
