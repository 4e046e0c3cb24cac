"""Services of complaints on the real database: filing (CMP-1 … CMP-3), the workflow (CMP-4,
CMP-5), reports and notices, and the deadline sweep; errors change nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from banzu.complaints import services
from banzu.complaints.models import Complaint, ComplaintAlert, ComplaintCallback, ComplaintStep, Notice
from banzu.complaints.tests.conftest import NOW, SHANGHAI
from banzu.core.errors import Conflict, NotAllowed, OutOfScope
from banzu.core.models import PolicyValue
from banzu.workorders.models import Notification, WorkOrder

pytestmark = pytest.mark.django_db


def counts():
    return (
        Complaint.objects.count(),
        WorkOrder.objects.count(),
        ComplaintStep.objects.count(),
        Notification.objects.count(),
    )


# --- filing --------------------------------------------------------------------------------------------


def test_filing_creates_the_complaint_and_its_work_order_and_notifies_the_level_handler(org, file, on_duty):
    complaint = file()
    assert complaint.level == 1
    assert complaint.handler == org.people["supervisor"]
    assert complaint.handler_unit == org.department
    assert complaint.status == "filed"
    assert complaint.due_at == datetime.combine(NOW.date() + timedelta(days=4), time(23, 59, 59), tzinfo=SHANGHAI)
    assert complaint.reminder_at == complaint.due_at - timedelta(hours=24)
    order = complaint.work_order
    assert (order.category, order.number) == ("complaint", complaint.number)
    assert order.handler == org.people["shift_lead"]  # WO-6: to the shift lead on duty
    notices = Notification.objects.filter(recipient=org.people["supervisor"])
    assert notices.count() == 1 and complaint.number in notices.get().text
    assert notices.get().link == f"/complaints/{complaint.pk}/"
    assert complaint.history.count() == 1
    assert list(complaint.steps.values_list("kind", flat=True)) == ["filed"]


@pytest.mark.parametrize(("source", "level", "handler"), [("group", 2, "manager"), ("media", 3, "manager")])
def test_levels_2_and_3_go_to_the_service_manager_at_once(org, file, source, level, handler):
    complaint = file(source=source)
    assert (complaint.level, complaint.handler) == (level, org.people[handler])
    notice = Notification.objects.get(recipient=org.people[handler])
    assert notice.kind == "urgent_work_order"


def test_the_due_time_follows_the_centres_policy(org, file):
    PolicyValue.objects.create(centre=org.centre, key="complaints.processing_working_days", value=5)
    complaint = file()
    assert complaint.due_at.astimezone(SHANGHAI).date().isoformat() == "2024-03-21"


def test_the_filing_pushes_to_the_handlers_channel_group_after_commit(org, file, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = services.push_group(org.people["supervisor"].pk)
    async_to_sync(layer.group_add)(group, channel)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file()
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "notify" and message["complaint"] == complaint.pk
    async_to_sync(layer.group_discard)(group, channel)


def test_a_failing_push_does_not_fail_the_filing(org, file, monkeypatch, django_capture_on_commit_callbacks):
    def broken():
        raise RuntimeError("channel layer down")

    monkeypatch.setattr("channels.layers.get_channel_layer", broken)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file()
    assert Complaint.objects.filter(pk=complaint.pk).exists()


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("channel", {"channel": ""}),
        ("source", {"source": ""}),
        ("complainant", {"complainant": "  "}),
        ("content", {"content": ""}),
        ("location", {"location": ""}),
    ],
)
def test_a_missing_field_is_named_in_chinese_and_nothing_is_written(org, file, field, changes):
    before = counts()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        file(**changes)
    assert field in caught.value.error_dict
    assert counts() == before


def test_nobody_to_handle_the_level_refuses_the_filing(org, file):
    org.people["manager"].roles.all().delete()
    with pytest.raises(ValidationError) as caught:
        file(source="group")
    assert caught.value.error_dict["source"][0].code == "no_handler"
    assert Complaint.objects.count() == 0


def test_qa_cannot_file_a_complaint(org, file):
    with pytest.raises(NotAllowed):
        file("qa")


# --- the workflow --------------------------------------------------------------------------------------


def test_a_valid_complaint_is_walked_to_closure_with_every_step_and_history(org, file, walk, advance):
    complaint = walk(file())
    complaint = advance("supervisor", complaint, "close", note="客户满意，结案")
    assert complaint.status == "closed" and complaint.closed_at == NOW
    assert complaint.joint_liability and complaint.responsible_superior == org.people["team_leader"]
    assert complaint.work_order.status == "closed"
    kinds = list(complaint.steps.values_list("kind", flat=True))
    assert kinds[0] == "filed" and kinds[-1] == "close" and len(kinds) == 12
    assert complaint.history.count() == 12
    assert ComplaintCallback.objects.filter(complaint=complaint, satisfied=True).count() == 1


def test_an_unsatisfied_callback_asks_for_another_until_satisfied(org, file, walk, advance):
    complaint = walk(file(), upto="determine_responsibility")
    complaint = advance("supervisor", complaint, "call_back", method="phone", satisfied=False, note="仍不满意")
    assert complaint.status == "unsatisfied"
    with pytest.raises(Conflict):
        advance("supervisor", complaint, "correct", note="x")
    complaint = advance("supervisor", complaint, "call_back", method="visit", satisfied=True)
    assert complaint.status == "satisfied" and complaint.callbacks.count() == 2


def test_an_invalid_complaint_is_explained_and_closed(org, file, advance):
    complaint = file()
    complaint = advance("shift_lead", complaint, "accept")
    complaint = advance("shift_lead", complaint, "verify", note="录音显示服务规范")
    complaint = advance("supervisor", complaint, "decide", is_valid=False, cause="policy", note="未违反服务规范")
    assert complaint.status == "invalid"
    complaint = advance("supervisor", complaint, "explain", note="已向企业解释政策")
    complaint = advance("supervisor", complaint, "close")
    assert complaint.status == "closed" and complaint.work_order.outcome == "已向企业解释政策"


def test_an_illegal_jump_is_refused_with_the_rule_in_chinese_and_changes_nothing(org, file, advance):
    complaint = file()
    before = (Complaint.objects.get().status, ComplaintStep.objects.count(), complaint.history.count())
    with translation.override("zh-hans"), pytest.raises(Conflict) as caught:
        advance("supervisor", complaint, "close")
    assert caught.value.code == "wrong_status"
    assert (Complaint.objects.get().status, ComplaintStep.objects.count(), complaint.history.count()) == before


def test_verifying_without_the_investigation_names_the_record(org, file, advance):
    complaint = advance("shift_lead", file(), "accept")
    with pytest.raises(ValidationError) as caught:
        advance("shift_lead", complaint, "verify", note=" ")
    assert caught.value.error_dict["note"][0].code == "required"
    assert Complaint.objects.get().status == "accepted"


def test_joint_liability_without_the_superior_is_refused(org, file, walk, advance):
    complaint = walk(file(), upto="resolve")
    with pytest.raises(ValidationError) as caught:
        advance(
            "supervisor",
            complaint,
            "determine_responsibility",
            note="扣分",
            responsible_person=org.people["agent"],
            management_failure=True,
        )
    assert caught.value.error_dict["responsible_superior"][0].code == "required_for_joint_liability"


def test_an_agent_cannot_handle_and_an_outsider_does_not_see_it(org, file, advance):
    complaint = file()
    with pytest.raises(NotAllowed):
        advance("agent", complaint, "accept")
    with pytest.raises(OutOfScope):
        advance("other_supervisor", complaint, "accept")
    with pytest.raises(OutOfScope):
        advance("other_team_leader", complaint, "accept")
    assert Complaint.objects.get().status == "filed"


# --- levels 2-3: written report; notice board ------------------------------------------------------------


def test_a_level_2_complaint_closes_only_after_the_written_report(org, file, advance):
    complaint = file(source="group")
    for persona, step, fields in [
        ("manager", "accept", {}),
        ("manager", "verify", {"note": "核实"}),
        ("manager", "decide", {"is_valid": False, "cause": "policy", "note": "无效"}),
        ("manager", "explain", {"note": "已解释"}),
    ]:
        complaint = advance(persona, complaint, step, **fields)
    with pytest.raises(ValidationError) as caught:
        advance("manager", complaint, "close")
    assert caught.value.error_dict["authority_report"][0].code == "report_required"
    services.report_to_authority(
        user=org.people["manager"].user, complaint_id=complaint.pk, report="已书面报告集团", now=NOW
    )
    complaint = advance("manager", complaint, "close")
    assert complaint.status == "closed" and complaint.authority_report == "已书面报告集团"


def test_a_level_1_complaint_has_no_authority_report(org, file):
    complaint = file()
    with pytest.raises(ValidationError):
        services.report_to_authority(user=org.people["supervisor"].user, complaint_id=complaint.pk, report="x", now=NOW)


def test_the_outcome_is_published_once_after_responsibility(org, file, walk):
    complaint = file()
    user = org.people["supervisor"].user
    with pytest.raises(Conflict):
        services.publish_notice(user=user, complaint_id=complaint.pk, body="x", now=NOW)
    complaint = walk(complaint, upto="determine_responsibility")
    notice = services.publish_notice(user=user, complaint_id=complaint.pk, body="责任人张伟扣5分", now=NOW)
    assert notice.department == org.department and complaint.number in notice.title
    with pytest.raises(Conflict):
        services.publish_notice(user=user, complaint_id=complaint.pk, body="again", now=NOW)
    assert Notice.objects.count() == 1


# --- the sweep -------------------------------------------------------------------------------------------


def test_the_sweep_reminds_before_and_escalates_after_each_exactly_once(org, file):
    complaint = file()
    assert services.sweep_deadlines(now=NOW) == {"reminders": 0, "escalations": 0}
    before_due = complaint.reminder_at + timedelta(minutes=1)
    assert services.sweep_deadlines(now=before_due) == {"reminders": 1, "escalations": 0}
    assert services.sweep_deadlines(now=before_due) == {"reminders": 0, "escalations": 0}
    after_due = complaint.due_at + timedelta(minutes=1)
    assert services.sweep_deadlines(now=after_due) == {"reminders": 0, "escalations": 1}
    assert services.sweep_deadlines(now=after_due + timedelta(hours=1)) == {"reminders": 0, "escalations": 0}
    alerts = ComplaintAlert.objects.filter(complaint=complaint)
    assert sorted(alerts.values_list("kind", flat=True)) == ["escalation", "reminder"]
    escalation = alerts.get(kind="escalation")
    assert escalation.recipients == [org.people["supervisor"].pk, org.people["manager"].pk]
    assert Notification.objects.filter(recipient=org.people["manager"], kind="urgent_work_order").count() == 1


def test_the_sweep_leaves_closed_complaints_alone(org, file, advance):
    complaint = file()
    complaint = advance("shift_lead", complaint, "accept")
    complaint = advance("shift_lead", complaint, "verify", note="x")
    complaint = advance("supervisor", complaint, "decide", is_valid=False, cause="other", note="x")
    complaint = advance("supervisor", complaint, "explain", note="x")
    advance("supervisor", complaint, "close")
    assert services.sweep_deadlines(now=complaint.due_at + timedelta(days=1)) == {"reminders": 0, "escalations": 0}


def test_a_restart_loses_no_deadline(org, file):
    """The due time is a row: a fresh process (new calendar cache, no memory) still escalates."""
    from banzu.core import calendar

    complaint = file()
    calendar.invalidate()
    stored = Complaint.objects.get(pk=complaint.pk)
    assert services.sweep_deadlines(now=stored.due_at + timedelta(seconds=1))["escalations"] == 1


def test_the_huey_task_runs_the_sweep(org, file):
    from banzu.complaints.tasks import sweep_complaint_deadlines

    file()
    result = sweep_complaint_deadlines.call_local()
    assert set(result) == {"reminders", "escalations"}
