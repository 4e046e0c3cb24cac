"""Writes of work orders through the services: rows, steps, history, notices, and nothing written
after a refusal (style guide §6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext

from banzu.core import services as core_services
from banzu.core.errors import Conflict, NotAllowed, OutOfScope
from banzu.org.models import Centre
from banzu.org.tests.factories import DepartmentFactory, EmployeeFactory, TeamFactory
from banzu.workorders import services
from banzu.workorders.models import (
    CustomFieldDefinition,
    CustomFieldIndex,
    DutyAssignment,
    Notification,
    Status,
    WorkOrder,
    WorkOrderCounter,
    WorkOrderStep,
)

pytestmark = pytest.mark.usefixtures("english")


def snapshot() -> dict:
    """Every table the services write, to prove a refusal wrote nothing."""
    return {
        "orders": list(
            WorkOrder.objects.order_by("pk").values_list("pk", "status", "handler_id", "urgent", "title", "closed_at")
        ),
        "order_history": WorkOrder.history.count(),
        "steps": WorkOrderStep.objects.count(),
        "step_history": WorkOrderStep.history.count(),
        "notifications": Notification.objects.count(),
        "index": sorted(CustomFieldIndex.objects.values_list("work_order_id", "definition_id", "value")),
        "counters": list(WorkOrderCounter.objects.values_list("day", "last")),
        "definitions": list(CustomFieldDefinition.objects.values_list("pk", "label", "required", "choices")),
        "duties": DutyAssignment.objects.count(),
    }


def codes(caught) -> dict[str, list[str]]:
    return {field: [error.code for error in errors] for field, errors in caught.value.error_dict.items()}


def in_product_language(msgid: str) -> str:
    """What a stored note says: rendered in the product's language, not the reader's."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(msgid)


def user(org, persona):
    return org.people[persona].user


def define(org, category, key, field_type, **kwargs):
    return services.save_field_definition(
        user=user(org, "manager"),
        category=category,
        key=key,
        label=kwargs.pop("label", key),
        field_type=field_type,
        **kwargs,
    )


# --- create: number, title, clocks, history --------------------------------------------------------


def test_a_new_work_order_gets_the_next_number_of_the_centres_local_day(org, create, now):
    first, second = create(), create()
    # 01:00 on the 15th in Shanghai is still the 14th in UTC: the centre's local day counts.
    next_day = create(now=now.replace(day=15, hour=1))
    assert (first.number, second.number) == ("2024031400001", "2024031400002")
    assert next_day.number == "2024031500001"


def test_another_centre_counts_its_own_numbers(org, create, now):
    centre = Centre.objects.create(code="SZ", name="深圳呼叫中心")
    stranger = EmployeeFactory(
        team=TeamFactory(department=DepartmentFactory(centre=centre, code="S1")), employee_no="sz1"
    )
    create()
    theirs = services.create_work_order(
        user=stranger.user, category="suggestion", location="深南大道", summary="建议", caller_number="1", now=now
    )
    assert theirs.number == "2024031400001"
    assert theirs.centre == centre and theirs.department.centre == centre


def test_a_work_order_records_title_owner_clocks_step_and_history(org, create, now):
    agent = org.people["agent"]
    order = create(location=" 人民路 10号 ", summary="建议  延长开放时间", contact_ended_at=now - timedelta(minutes=5))

    order.refresh_from_db()
    assert order.title == "人民路 10号 — 建议 延长开放时间"
    assert (order.owner, order.handler, order.team, order.department) == (agent, agent, org.team_a, org.department)
    assert order.status == Status.NEW
    assert order.completion_due_at == now + timedelta(minutes=10)  # D8: 15 minutes from the contact's end
    assert order.completed_at == now and order.completion_overdue is False
    assert order.next_due_at is None
    steps = list(order.steps.values_list("kind", "actor_id", "to_status", "to_handler_id"))
    assert steps == [("created", agent.pk, "new", agent.pk)]
    history = order.history.get()
    assert history.history_type == "+" and history.history_user == agent.user


def test_a_work_order_completed_after_the_limit_is_flagged_overdue(org, create, now):
    order = create(contact_ended_at=now - timedelta(minutes=16))
    assert order.completion_overdue is True
    assert order.completion_due_at == now - timedelta(minutes=1)


def test_the_completion_limit_is_the_centres_policy(org, create, now):
    core_services.set_policy(
        user=user(org, "manager"), centre=org.centre, key="workorders.completion_minutes", value="30"
    )
    order = create(contact_ended_at=now - timedelta(minutes=16))
    assert order.completion_due_at == now + timedelta(minutes=14)
    assert order.completion_overdue is False


def test_a_contact_that_ends_in_the_future_is_refused(org, create, now):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        create(contact_ended_at=now + timedelta(minutes=1))
    assert codes(caught) == {"contact_ended_at": ["in_future"]}
    assert snapshot() == before


def test_a_form_with_several_problems_reports_them_all_and_writes_nothing(org, create):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        create(category="complaint", location=" ", summary="", caller_number="")
    assert codes(caught) == {
        "location": ["required"],
        "summary": ["required"],
        "caller_number": ["required"],
        "customer_name": ["required"],
    }
    assert caught.value.message_dict["location"] == ["Enter the event location."]
    assert snapshot() == before  # no number was used up either


def test_a_centre_configures_which_fields_a_category_requires(org, create):
    services.set_category_form(user=user(org, "manager"), category="complaint", required_fields=["responsible_unit"])
    with pytest.raises(ValidationError) as caught:
        create(category="complaint", caller_number="", transfer_to_shift_lead=False)
    assert codes(caught) == {"responsible_unit": ["required"]}
    order = create(
        category="complaint", caller_number="", responsible_unit=org.department, transfer_to_shift_lead=False
    )
    assert order.customer_name == ""


def test_a_case_between_a_consultation_and_a_complaint_must_be_filed_as_a_complaint(org, create):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        create(category="consultation", borderline_with="complaint", consultation_mode="three_way_call")
    assert codes(caught) == {"category": ["borderline"]}
    assert "Choose Complaint." in caught.value.message_dict["category"][0]
    assert snapshot() == before
    order = create(
        category="complaint", borderline_with="consultation", customer_name="张三", transfer_to_shift_lead=False
    )
    assert order.category == "complaint"


# --- consultation modes (WO-5) ------------------------------------------------------------------------


def test_a_direct_answer_without_its_basis_is_refused(org, create):
    with pytest.raises(ValidationError) as caught:
        create(category="consultation", consultation_mode="direct_answer", answer="可以")
    assert codes(caught) == {"answer_basis_kind": ["required"], "answer_basis": ["required"]}


def test_a_direct_answer_keeps_its_cited_basis(org, create):
    order = create(
        category="consultation",
        consultation_mode="direct_answer",
        answer="可在电子税务局办理",
        answer_basis_kind="policy",
        answer_basis="办税指南第3条",
    )
    assert (order.answer_basis_kind, order.answer_basis, order.answer) == (
        "policy",
        "办税指南第3条",
        "可在电子税务局办理",
    )


def test_a_delayed_answer_waits_for_its_callback_within_the_policy_minutes(org, create, now):
    order = create(
        category="consultation", consultation_mode="delayed_answer", contact_ended_at=now - timedelta(minutes=2)
    )
    assert order.status == Status.AWAITING_CALLBACK
    assert order.callback_due_at == now + timedelta(minutes=13)
    assert order.next_due_at == order.callback_due_at


def test_a_mode_on_another_category_is_refused(org, create):
    with pytest.raises(ValidationError) as caught:
        create(category="suggestion", consultation_mode="direct_answer")
    assert codes(caught) == {"consultation_mode": ["consultation_only"]}


# --- urgent and transfers (WO-6, WO-7) --------------------------------------------------------------------


def test_an_urgent_order_goes_to_the_shift_lead_on_duty_who_is_notified(org, create, on_duty):
    lead = org.people["shift_lead"]
    order = create(urgent=True)
    assert (order.status, order.handler, order.urgent) == (Status.ASSIGNED, lead, True)
    assert list(order.steps.values_list("kind", "to_handler_id", "to_status")) == [
        ("created", org.people["agent"].pk, "new"),
        ("marked_urgent", lead.pk, "assigned"),
    ]
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.work_order) == (lead, "urgent_work_order", order)
    assert order.number in notice.text and notice.link == f"/workorders/{order.pk}/"


def test_an_urgent_order_without_a_shift_lead_on_duty_goes_to_the_unit_head(org, create, unit_head, now):
    DutyAssignment.objects.create(
        centre=org.centre, shift_lead=org.people["shift_lead"], starts_at=now - timedelta(hours=9), ends_at=now
    )  # ended exactly now: no longer on duty
    order = create(urgent=True, responsible_unit=org.other_department)
    assert order.handler == unit_head
    assert Notification.objects.get().recipient == unit_head
    assert order.steps.get(kind="marked_urgent").note == in_product_language(
        "No shift lead on duty: to the head of the responsible unit."
    )


def test_an_urgent_order_nobody_can_take_is_refused_and_nothing_is_written(org, create):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        create(urgent=True, responsible_unit=org.department)  # no duty, and D1 has no head
    assert codes(caught) == {"responsible_unit": ["no_urgent_recipient"]}
    assert snapshot() == before


def test_a_complaint_goes_to_the_shift_lead_unless_the_agent_keeps_it(org, create, on_duty):
    transferred = create(category="complaint", customer_name="张三")
    kept = create(category="complaint", customer_name="张三", transfer_to_shift_lead=False)
    assert (transferred.status, transferred.handler) == (Status.ASSIGNED, org.people["shift_lead"])
    assert transferred.steps.last().kind == "assigned"
    assert Notification.objects.get().kind == "work_order_assigned"
    assert (kept.status, kept.handler) == (Status.NEW, org.people["agent"])


def test_a_complaint_nobody_can_take_stays_with_its_owner(org, create):
    order = create(category="help_request", customer_name="张三")
    assert (order.status, order.handler) == (Status.NEW, org.people["agent"])


def test_marking_urgent_later_routes_and_notifies_once(org, create, on_duty):
    order = create()
    marked = services.mark_urgent(user=user(org, "agent"), work_order_id=order.pk, now=order.created_at)
    assert (marked.urgent, marked.status, marked.handler) == (True, Status.ASSIGNED, org.people["shift_lead"])
    assert Notification.objects.filter(kind="urgent_work_order").count() == 1
    before = snapshot()
    with pytest.raises(Conflict):
        services.mark_urgent(user=user(org, "agent"), work_order_id=order.pk, now=order.created_at)
    assert snapshot() == before


# --- custom fields (WO-2, WO-9) ---------------------------------------------------------------------------


def test_custom_values_are_stored_typed_and_indexed_for_exact_search(org, create):
    tax_id = define(org, "suggestion", "tax_id", "text", required=True, label="纳税人识别号")
    amount = define(org, "suggestion", "amount", "number")
    define(org, "suggestion", "repeat", "boolean")
    order = create(custom_values={"tax_id": " 9144 ", "amount": "12.50", "repeat": "no"})
    order.refresh_from_db()
    assert order.custom_values == {"tax_id": "9144", "amount": 12.5, "repeat": False}
    index = dict(CustomFieldIndex.objects.filter(work_order=order).values_list("definition_id", "value"))
    assert index[tax_id.pk] == "9144" and index[amount.pk] == "12.5"


def test_bad_custom_values_are_named_by_their_label_and_nothing_is_written(org, create):
    define(org, "suggestion", "tax_id", "text", required=True, label="纳税人识别号")
    define(org, "suggestion", "amount", "number", label="金额")
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        create(custom_values={"amount": "abc", "colour": "red"})
    assert codes(caught) == {
        "custom_values.colour": ["unknown_field"],
        "custom_values.tax_id": ["required"],
        "custom_values.amount": ["invalid_number"],
    }
    assert caught.value.message_dict["custom_values.tax_id"] == ["Fill in 纳税人识别号."]
    assert caught.value.message_dict["custom_values.amount"] == ["金额: enter a number."]
    assert snapshot() == before


def test_an_inactive_field_is_no_longer_asked_for(org, create):
    field = define(org, "suggestion", "tax_id", "text", required=True)
    services.save_field_definition(
        user=user(org, "manager"),
        definition_id=field.pk,
        category="suggestion",
        key="tax_id",
        label="tax_id",
        field_type="text",
        required=True,
        active=False,
    )
    assert create().custom_values == {}


def test_a_choice_field_needs_distinct_choices_and_its_type_never_changes(org):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        define(org, "complaint", "channel", "choice", choices=[])
    assert codes(caught) == {"choices": ["required"]}
    with pytest.raises(ValidationError) as caught:
        define(org, "complaint", "channel", "choice", choices=["大厅", " 大厅"])
    assert codes(caught) == {"choices": ["duplicate"]}
    assert snapshot() == before
    field = define(org, "complaint", "channel", "choice", choices=["大厅", "电子税务局"])
    with pytest.raises(ValidationError) as caught:
        services.save_field_definition(
            user=user(org, "manager"),
            definition_id=field.pk,
            category="complaint",
            key="channel",
            label="x",
            field_type="text",
        )
    assert codes(caught) == {"field_type": ["immutable"]}


def test_only_configurers_define_fields(org):
    with pytest.raises(NotAllowed):
        define_as = services.save_field_definition
        define_as(user=user(org, "supervisor"), category="complaint", key="k", label="k", field_type="text")


# --- update ------------------------------------------------------------------------------------------------


def test_an_update_recomposes_the_title_reindexes_and_records_a_step(org, create, now):
    define(org, "suggestion", "tax_id", "text")
    order = create(custom_values={"tax_id": "A1"})
    later = now + timedelta(minutes=3)
    updated = services.update_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        changes={"summary": "建议周末开放", "custom_values": {"tax_id": "B2"}},
        now=later,
    )
    assert updated.title == "人民路10号 — 建议周末开放"
    assert list(CustomFieldIndex.objects.values_list("value", flat=True)) == ["B2"]
    step = updated.steps.last()
    assert (step.kind, step.at) == ("updated", later)
    assert step.note == "、".join(in_product_language(label) for label in ("event summary", "custom fields"))
    assert updated.history.count() == 2


def test_changing_to_another_category_drops_the_old_categorys_fields(org, create):
    define(org, "suggestion", "tax_id", "text")
    order = create(custom_values={"tax_id": "A1"})
    updated = services.update_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        changes={"category": "help_request", "customer_name": "张三"},
        now=order.created_at,
    )
    assert (updated.category, updated.custom_values) == ("help_request", {})
    assert not CustomFieldIndex.objects.exists()


def test_an_update_that_changes_nothing_records_nothing(org, create):
    order = create()
    before = snapshot()
    services.update_work_order(
        user=user(org, "agent"), work_order_id=order.pk, changes={"location": "人民路10号"}, now=order.created_at
    )
    assert snapshot() == before


# --- hand-over, accept, comment, close (WO-8) ----------------------------------------------------------------


def test_a_hand_over_to_a_department_goes_to_its_head_with_a_due_time(org, create, unit_head, now):
    order = create()
    due = now + timedelta(hours=4)
    handed = services.hand_over_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        to_department=org.other_department,
        due_at=due,
        note="请核实",
        now=now,
    )
    assert (handed.status, handed.handler, handed.responsible_unit) == (
        Status.HANDED_OVER,
        unit_head,
        org.other_department,
    )
    assert handed.handler_due_at == due and handed.next_due_at == due
    step = handed.steps.last()
    assert (step.kind, step.from_handler, step.to_handler, step.from_unit, step.to_unit, step.due_at, step.note) == (
        "handed_over",
        org.people["agent"],
        unit_head,
        None,
        org.other_department,
        due,
        "请核实",
    )
    assert Notification.objects.get().recipient == unit_head


def test_a_hand_over_to_a_person_brings_their_department(org, create, now):
    order = create()
    handed = services.hand_over_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        to_employee=org.people["vip_agent"],
        due_at=now + timedelta(hours=1),
        now=now,
    )
    assert (handed.handler, handed.responsible_unit) == (org.people["vip_agent"], org.other_department)


def test_a_hand_over_to_a_department_without_a_head_waits_in_the_unit(org, create, now):
    order = create()
    handed = services.hand_over_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        to_department=org.other_department,
        due_at=now + timedelta(hours=1),
        now=now,
    )
    assert handed.handler is None
    assert not Notification.objects.exists()
    # A member of the unit takes it on.
    accepted = services.accept_work_order(user=user(org, "vip_agent"), work_order_id=order.pk, now=now)
    assert (accepted.status, accepted.handler) == (Status.IN_PROGRESS, org.people["vip_agent"])


def test_a_hand_over_without_target_or_with_a_past_due_time_writes_nothing(org, create, now):
    order = create()
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.hand_over_work_order(user=user(org, "agent"), work_order_id=order.pk, due_at=now, now=now)
    assert codes(caught) == {"to_department": ["target_required"], "due_at": ["due_not_ahead"]}
    assert snapshot() == before


def test_a_hand_over_to_another_centre_is_refused(org, create, now):
    centre = Centre.objects.create(code="SZ", name="深圳呼叫中心")
    foreign = DepartmentFactory(centre=centre, code="S1")
    order = create()
    with pytest.raises(ValidationError) as caught:
        services.hand_over_work_order(
            user=user(org, "agent"),
            work_order_id=order.pk,
            to_department=foreign,
            due_at=now + timedelta(hours=1),
            now=now,
        )
    assert codes(caught) == {"to_department": ["other_centre"]}


def test_only_the_handler_accepts_a_handed_over_order(org, create, now):
    order = create()
    services.hand_over_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        to_employee=org.people["teammate"],
        due_at=now + timedelta(hours=1),
        now=now,
    )
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.accept_work_order(user=user(org, "team_leader"), work_order_id=order.pk, now=now)
    assert snapshot() == before
    accepted = services.accept_work_order(user=user(org, "teammate"), work_order_id=order.pk, now=now)
    assert accepted.status == Status.IN_PROGRESS
    with pytest.raises(Conflict):
        services.accept_work_order(user=user(org, "teammate"), work_order_id=order.pk, now=now)


def test_a_comment_is_a_step_and_an_empty_one_is_refused(org, create, now):
    order = create()
    step = services.add_comment(user=user(org, "team_leader"), work_order_id=order.pk, note=" 已联系客户 ", now=now)
    assert (step.kind, step.actor, step.note) == ("comment", org.people["team_leader"], "已联系客户")
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.add_comment(user=user(org, "team_leader"), work_order_id=order.pk, note="  ", now=now)
    assert codes(caught) == {"note": ["required"]}
    assert snapshot() == before


def test_closing_records_the_outcome_and_a_closed_order_cannot_change(org, create, now):
    order = create()
    closed = services.close_work_order(
        user=user(org, "agent"), work_order_id=order.pk, outcome="已答复客户", customer_informed=True, now=now
    )
    assert (closed.status, closed.closed_at, closed.closed_by, closed.outcome) == (
        Status.CLOSED,
        now,
        org.people["agent"],
        "已答复客户",
    )
    assert closed.customer_informed is True and closed.next_due_at is None
    assert closed.steps.last().kind == "closed"
    before = snapshot()
    for attempt in (
        lambda: services.close_work_order(user=user(org, "agent"), work_order_id=order.pk, outcome="again", now=now),
        lambda: services.hand_over_work_order(
            user=user(org, "agent"),
            work_order_id=order.pk,
            to_department=org.department,
            due_at=now + timedelta(hours=1),
            now=now,
        ),
        lambda: services.update_work_order(
            user=user(org, "agent"), work_order_id=order.pk, changes={"summary": "x"}, now=now
        ),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert snapshot() == before


def test_closing_a_delayed_answer_records_the_answer(org, create, now):
    order = create(category="consultation", consultation_mode="delayed_answer")
    closed = services.close_work_order(
        user=user(org, "agent"), work_order_id=order.pk, outcome="已回电答复：可以办理", now=now
    )
    assert closed.answer == "已回电答复：可以办理"


# --- WO-12 -----------------------------------------------------------------------------------------------------


def test_a_request_for_staff_data_notifies_the_department_head(org, create, unit_head, now):
    order = create()
    step = services.record_staff_data_request(
        user=user(org, "agent"),
        work_order_id=order.pk,
        department=org.other_department,
        note="询问王经理手机号",
        now=now,
    )
    assert (step.kind, step.to_unit) == ("staff_data_request", org.other_department)
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind) == (unit_head, "staff_data_request")
    assert order.number in notice.text and "询问王经理手机号" in notice.text


def test_a_request_for_staff_data_of_a_department_without_a_head_is_refused(org, create, now):
    order = create()
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.record_staff_data_request(
            user=user(org, "agent"), work_order_id=order.pk, department=org.department, note="x", now=now
        )
    assert codes(caught) == {"department": ["no_head"]}
    assert snapshot() == before


# --- scope and permission --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_agent", "other_team_leader", "other_supervisor", "teammate"])
def test_people_outside_the_orders_scope_cannot_act_on_it(org, create, now, persona):
    order = create()
    before = snapshot()
    with pytest.raises(OutOfScope):
        services.add_comment(user=user(org, persona), work_order_id=order.pk, note="x", now=now)
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["qa", "trainer", "hr"])
def test_people_who_only_read_work_orders_cannot_change_them(org, create, now, persona):
    order = create()
    with pytest.raises(NotAllowed):
        services.close_work_order(user=user(org, persona), work_order_id=order.pk, outcome="x", now=now)
    with pytest.raises(NotAllowed):
        services.create_work_order(user=user(org, persona), category="suggestion", location="a", summary="b", now=now)


def test_the_new_handler_may_act_on_an_order_they_could_not_see_before(org, create, now):
    order = create()
    with pytest.raises(OutOfScope):
        services.add_comment(user=user(org, "vip_agent"), work_order_id=order.pk, note="x", now=now)
    services.hand_over_work_order(
        user=user(org, "agent"),
        work_order_id=order.pk,
        to_employee=org.people["vip_agent"],
        due_at=now + timedelta(hours=1),
        now=now,
    )
    services.add_comment(user=user(org, "vip_agent"), work_order_id=order.pk, note="收到", now=now)
    # The owner still sees the order after handing it over.
    services.add_comment(user=user(org, "agent"), work_order_id=order.pk, note="谢谢", now=now)


# --- duty records -------------------------------------------------------------------------------------------------


def test_only_a_shift_lead_can_be_put_on_duty(org, now):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.record_duty(
            user=user(org, "manager"), shift_lead=org.people["agent"], starts_at=now, ends_at=now + timedelta(hours=8)
        )
    assert codes(caught) == {"shift_lead": ["not_shift_lead"]}
    with pytest.raises(ValidationError) as caught:
        services.record_duty(user=user(org, "manager"), shift_lead=org.people["shift_lead"], starts_at=now, ends_at=now)
    assert codes(caught) == {"ends_at": ["ends_before_start"]}
    assert snapshot() == before
    duty = services.record_duty(
        user=user(org, "manager"), shift_lead=org.people["shift_lead"], starts_at=now, ends_at=now + timedelta(hours=8)
    )
    assert duty.history.get().history_user == user(org, "manager")
