"""Services of callbacks and on-site dispatch on the real database: results, rows, history, and
that nothing is written after an error (CB-1 … CB-5, D1, D12)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from banzu.callbacks import rules, services
from banzu.callbacks.models import CallbackAttempt, CallbackTask, Campaign, OnsiteOrder
from banzu.callbacks.tests.conftest import NOW, SHANGHAI, day, ended_contact
from banzu.core.errors import Conflict, NotAllowed, OutOfScope
from banzu.core.policies import policy
from banzu.workorders.models import Notification

pytestmark = pytest.mark.django_db


def field_error(exc: ValidationError) -> tuple[str, str, str]:
    (field, errors), *_rest = exc.error_dict.items()
    error = errors[0]
    return field, error.code, str(error.message % (error.params or {}))


# --- campaigns ------------------------------------------------------------------------------------------


def test_a_provincial_campaign_runs_in_the_four_working_days_after_the_collection_period(org, campaign):
    got = campaign(region="provincial", collection_end=day("2024-03-15"))
    assert (got.starts_on, got.retry_on) == (day("2024-03-18"), day("2024-03-21"))
    assert got.due_at == datetime(2024, 3, 21, 23, 59, 59, tzinfo=SHANGHAI)
    assert got.history.count() == 1


def test_the_window_follows_the_centres_policies(org, campaign):
    from banzu.core import services as core_services

    core_services.set_policy(
        user=org.people["admin"].user,
        centre=org.centre,
        key="callbacks.provincial_window_working_days",
        value=2,
        reason="试点",
    )
    got = campaign(region="provincial", collection_end=day("2024-03-15"))
    assert (got.starts_on, got.retry_on) == (day("2024-03-18"), day("2024-03-19"))


def test_a_provincial_campaign_without_the_collection_period_is_refused_and_nothing_is_saved(org, campaign, english):
    with pytest.raises(ValidationError) as caught:
        campaign(region="provincial")
    field, code, message = field_error(caught.value)
    assert (field, code) == ("collection_end", "required")
    assert "collection period" in message
    assert Campaign.objects.count() == 0


def test_a_campaign_uses_its_types_standard_script_unless_given_one(org, campaign):
    assert "服务态度服务质量" in campaign().script
    assert campaign(script="您好，我是回访专员。").script == "您好，我是回访专员。"


def test_a_team_leaders_campaign_belongs_to_their_team_and_department(org, campaign):
    got = campaign("team_leader")
    assert (got.department, got.team) == (org.department, org.team_a)
    assert campaign("supervisor").team is None


def test_an_agent_cannot_set_up_a_campaign(org, campaign):
    with pytest.raises(NotAllowed):
        campaign("agent")
    assert Campaign.objects.count() == 0


def test_a_team_leader_cannot_set_up_a_campaign_for_another_department(org, campaign, english):
    with pytest.raises(ValidationError) as caught:
        campaign("team_leader", department=org.other_department)
    assert field_error(caught.value)[:2] == ("department", "out_of_scope")
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": " "}, "name", "required"),
        ({"name": "回" * 101}, "name", "max_length"),
        ({"kind": ""}, "kind", "required"),
        ({"kind": "lottery"}, "kind", "invalid_choice"),
        ({"region": ""}, "region", "required"),
        ({"kind": "resolved_sample"}, "sample_month", "required"),
        ({"kind": "resolved_sample", "sample_month": day("2024-03-01")}, "sample_month", "month_not_over"),
        ({"starts_on": day("2024-03-13")}, "starts_on", "in_past"),
        ({"region": "provincial", "collection_end": day("2099-03-15")}, "start", "calendar_not_covered"),
    ],
)
def test_bad_campaign_input_names_the_field_and_saves_nothing(org, campaign, fields, field, code):
    with pytest.raises(ValidationError) as caught:
        campaign(**fields)
    got_field, got_code, _message = field_error(caught.value)
    assert got_code == code
    assert got_field == field or code == "calendar_not_covered"
    assert Campaign.objects.count() == 0


def test_a_calendar_gap_is_reported_on_the_collection_period_field(org, campaign):
    with pytest.raises(ValidationError) as caught:
        campaign(region="provincial", collection_end=day("2099-03-15"))
    assert field_error(caught.value)[0] == "collection_end"


# --- tasks, assignment, attempts -----------------------------------------------------------------------------


def test_a_city_customer_entered_today_is_called_in_tomorrows_run(org, task):
    got = task()
    assert (got.starts_on, got.retry_on) == (day("2024-03-15"), day("2024-03-15"))
    assert got.due_at == datetime(2024, 3, 15, 23, 59, 59, tzinfo=SHANGHAI)
    assert (got.assignee, got.team) == (org.people["agent"], org.team_a)


def test_assigning_a_callback_notifies_the_assignee(org, task):
    got = task("teammate")
    notice = Notification.objects.get(recipient=org.people["teammate"])
    assert got.customer_name in notice.text
    assert notice.link == f"/callbacks/tasks/{got.pk}/"


def test_a_task_for_someone_outside_the_team_leaders_team_is_refused(org, task):
    with pytest.raises(ValidationError) as caught:
        task("other_agent")
    assert field_error(caught.value)[:2] == ("assignee", "out_of_scope")
    assert CallbackTask.objects.count() == 0


TOMORROW = NOW + timedelta(days=1)


def _attempt(org, persona, task_id, outcome, *, now=TOMORROW, **fields):
    return services.record_attempt(user=org.people[persona].user, task_id=task_id, outcome=outcome, now=now, **fields)


def test_a_satisfied_customer_ends_the_task_with_rating_and_opinion(org, task):
    got = _attempt(org, "agent", task().pk, "satisfied", rating=5, opinion="服务很好")
    row = CallbackTask.objects.get(pk=got.task.pk)
    assert (row.status, row.outcome, row.rating, row.opinion, row.attempts) == ("done", "satisfied", 5, "服务很好", 1)
    assert row.completed_at == TOMORROW
    assert got.follow_up is None
    assert CallbackAttempt.objects.filter(task=row, caller=org.people["agent"]).count() == 1
    assert row.history.count() == 2


def test_a_dissatisfied_customer_opens_a_follow_up_for_the_team_leader(org, task):
    got = _attempt(org, "agent", task().pk, "dissatisfied", opinion="软件经常报错")
    follow_up = got.follow_up
    assert follow_up.follow_up_of_id == got.task.pk
    assert follow_up.assignee == org.people["team_leader"]
    # Two working days (policy) after Friday 15 March: Tuesday 19 March.
    assert follow_up.due_at == datetime(2024, 3, 19, 23, 59, 59, tzinfo=SHANGHAI)
    assert Notification.objects.filter(recipient=org.people["team_leader"]).count() == 1


def test_a_dissatisfied_outcome_without_the_opinion_is_refused_and_nothing_changes(org, task, english):
    pending = task()
    with pytest.raises(ValidationError) as caught:
        _attempt(org, "agent", pending.pk, "dissatisfied")
    field, code, message = field_error(caught.value)
    assert (field, code) == ("opinion", "required")
    assert "opinion" in message
    row = CallbackTask.objects.get(pk=pending.pk)
    assert (row.status, row.attempts) == ("pending", 0)
    assert CallbackAttempt.objects.count() == 0
    assert CallbackTask.objects.count() == 1


@pytest.mark.parametrize(
    ("outcome", "fields", "field", "code"),
    [
        ("", {}, "outcome", "required"),
        ("maybe", {}, "outcome", "invalid_choice"),
        ("unreachable", {"rating": 3}, "rating", "rating_unreachable"),
        ("satisfied", {"rating": 6}, "rating", "rating_range"),
        ("satisfied", {"note": "x" * 2001}, "note", "max_length"),
    ],
)
def test_bad_outcome_input_names_the_field_and_changes_nothing(org, task, outcome, fields, field, code):
    pending = task()
    with pytest.raises(ValidationError) as caught:
        _attempt(org, "agent", pending.pk, outcome, **fields)
    assert field_error(caught.value)[:2] == (field, code)
    assert CallbackTask.objects.get(pk=pending.pk).attempts == 0
    assert CallbackAttempt.objects.count() == 0


def test_a_call_before_the_run_day_is_refused(org, task):
    with pytest.raises(ValidationError) as caught:
        _attempt(org, "agent", task().pk, "satisfied", now=NOW)
    assert field_error(caught.value)[:2] == ("outcome", "before_window")


def test_unreachable_numbers_wait_for_the_retry_day_and_the_second_miss_opens_a_follow_up(org, campaign, task):
    provincial = campaign(region="provincial", collection_end=day("2024-03-15"))
    pending = task(on=provincial)
    first_day = datetime.combine(day("2024-03-18"), time(10), tzinfo=SHANGHAI)
    first = _attempt(org, "agent", pending.pk, "unreachable", now=first_day)
    assert (first.task.status, first.task.outcome, first.follow_up) == ("retry", "", None)
    last_day = datetime.combine(day("2024-03-21"), time(15), tzinfo=SHANGHAI)
    second = _attempt(org, "agent", pending.pk, "unreachable", now=last_day)
    assert (second.task.status, second.task.outcome, second.task.attempts) == ("done", "unreachable", 2)
    assert second.follow_up is not None and second.follow_up.follow_up_of_id == pending.pk


def test_a_finished_callback_cannot_be_recorded_again(org, task):
    done = task()
    _attempt(org, "agent", done.pk, "satisfied")
    with pytest.raises(Conflict) as caught:
        _attempt(org, "agent", done.pk, "dissatisfied", opinion="x")
    assert caught.value.code == "task_closed"
    assert CallbackAttempt.objects.count() == 1


def test_another_agent_cannot_see_or_record_the_callback(org, task):
    with pytest.raises(OutOfScope):
        _attempt(org, "teammate", task().pk, "satisfied")
    assert CallbackAttempt.objects.count() == 0


def test_the_team_leader_may_record_a_call_for_the_team(org, task):
    got = _attempt(org, "team_leader", task().pk, "satisfied")
    assert got.attempt.caller == org.people["team_leader"]


def test_a_callback_about_an_agents_own_call_is_not_given_to_that_agent(org, campaign):
    sample = campaign("team_leader", kind="resolved_sample", sample_month=day("2024-02-01"))
    ended_contact(org, "agent", datetime(2024, 2, 10, 10, tzinfo=SHANGHAI))
    (drawn,) = services.draw_monthly_sample(user=org.people["team_leader"].user, campaign_id=sample.pk, now=NOW)
    with pytest.raises(ValidationError) as caught:
        services.assign_task(
            user=org.people["team_leader"].user, task_id=drawn.pk, assignee=org.people["agent"], now=NOW
        )
    assert field_error(caught.value)[:2] == ("assignee", "own_contact")
    services.assign_task(
        user=org.people["team_leader"].user, task_id=drawn.pk, assignee=org.people["teammate"], now=NOW
    )
    assert CallbackTask.objects.get(pk=drawn.pk).assignee == org.people["teammate"]


# --- the monthly sample (CB-1) ----------------------------------------------------------------------------------


def test_the_monthly_sample_takes_the_same_number_of_calls_from_each_agent(org, campaign):
    per_agent = policy("callbacks.resolved_samples_per_agent_per_month", org.centre)
    february = datetime(2024, 2, 1, 9, tzinfo=SHANGHAI)
    for index in range(per_agent + 4):
        ended_contact(org, "agent", february + timedelta(hours=index), number=f"1390000{index:04d}")
    for index in range(2):
        ended_contact(org, "teammate", february + timedelta(days=1, hours=index), number=f"1380000{index:04d}")
    ended_contact(org, "other_agent", february)  # same department, another team
    ended_contact(org, "vip_agent", february)  # another department: not in this campaign
    ended_contact(org, "agent", datetime(2024, 3, 1, 0, 0, tzinfo=SHANGHAI))  # March, local time
    ended_contact(org, "agent", datetime(2024, 1, 31, 23, 59, tzinfo=SHANGHAI))  # January
    ended_contact(org, "agent", february, number="")  # nothing to call
    sample = campaign("supervisor", kind="resolved_sample", sample_month=day("2024-02-01"))
    tasks = services.draw_monthly_sample(user=org.people["supervisor"].user, campaign_id=sample.pk, now=NOW)
    by_agent = {}
    for drawn in tasks:
        by_agent.setdefault(drawn.subject_agent.employee_no, []).append(drawn.contact_id)
        assert drawn.contact.ended_at.astimezone(SHANGHAI).month == 2
    assert {agent: len(ids) for agent, ids in by_agent.items()} == {
        "agent": per_agent,
        "teammate": 2,
        "other_agent": 1,
    }
    sample.refresh_from_db()
    assert sample.sampled_at == NOW
    # The draw is the pure rule's answer for the stored seed, so it can be repeated.
    pools = {}
    for contact in CallbackTask.objects.none().model.contact.field.related_model.objects.filter(
        agent__department=org.department, caller_number__gt="", ended_at__month=2
    ):
        pools.setdefault(contact.agent_id, []).append(contact.pk)
    expected = rules.sample_per_agent(pools, per_agent=per_agent, seed=sample.sample_seed)
    assert sorted(t.contact_id for t in tasks) == sorted(i for ids in expected.values() for i in ids)


def test_a_sample_is_drawn_once(org, campaign):
    sample = campaign("supervisor", kind="resolved_sample", sample_month=day("2024-02-01"))
    services.draw_monthly_sample(user=org.people["supervisor"].user, campaign_id=sample.pk, now=NOW)
    with pytest.raises(Conflict) as caught:
        services.draw_monthly_sample(user=org.people["supervisor"].user, campaign_id=sample.pk, now=NOW)
    assert caught.value.code == "already_drawn"


def test_only_a_sample_campaign_draws_a_sample(org, campaign):
    with pytest.raises(ValidationError) as caught:
        services.draw_monthly_sample(user=org.people["team_leader"].user, campaign_id=campaign().pk, now=NOW)
    assert field_error(caught.value)[:2] == ("kind", "not_a_sample")


def test_closing_a_campaign_cancels_its_open_tasks(org, campaign, task):
    target = campaign()
    open_task, done_task = task(on=target), task(on=target)
    _attempt(org, "agent", done_task.pk, "satisfied")
    services.close_campaign(user=org.people["team_leader"].user, campaign_id=target.pk, now=NOW)
    assert CallbackTask.objects.get(pk=open_task.pk).status == "cancelled"
    assert CallbackTask.objects.get(pk=done_task.pk).status == "done"
    with pytest.raises(Conflict):
        task(on=target)


# --- on-site dispatch (CB-4, D12) --------------------------------------------------------------------------------


def register(org, persona="agent", *, agreement=True, now=NOW, **fields):
    values = {
        "customer_name": "汉阳某某商贸公司",
        "phone": "027-84446666",
        "address": "武汉市汉阳区某某路1号",
        "problem": "税控盘无法开票",
        **fields,
    }
    return services.register_onsite(user=org.people[persona].user, agreement_customer=agreement, now=now, **values)


@pytest.mark.parametrize(("agreement", "hours"), [(True, 24), (False, 48)])
def test_an_on_site_order_must_be_answered_within_24_or_48_clock_hours(org, agreement, hours):
    order = register(org, agreement=agreement)
    assert order.response_due_at == NOW + timedelta(hours=hours)
    assert (order.team, order.department, order.status) == (org.team_a, org.department, "registered")


def test_an_order_goes_through_every_step_and_keeps_its_history(org):
    user = org.people["agent"].user
    order = register(org)
    services.dispatch_onsite(user=user, order_id=order.pk, technician="王师傅", technician_phone="13700000000", now=NOW)
    services.accept_onsite(user=user, order_id=order.pk, now=NOW + timedelta(minutes=10))
    services.complete_onsite(user=user, order_id=order.pk, result="已更换税控盘", now=NOW + timedelta(hours=5))
    services.review_onsite(
        user=org.people["team_leader"].user, order_id=order.pk, review="客户确认已解决", now=NOW + timedelta(hours=6)
    )
    row = OnsiteOrder.objects.get(pk=order.pk)
    assert (row.status, row.technician, row.completed_late, row.reviewed_by) == (
        "reviewed",
        "王师傅",
        False,
        org.people["team_leader"],
    )
    assert [h.status for h in row.history.order_by("history_date", "history_id")] == [
        "registered",
        "dispatched",
        "accepted",
        "completed",
        "reviewed",
    ]


@pytest.mark.parametrize(
    ("run", "status"),
    [
        (lambda user, pk: services.accept_onsite(user=user, order_id=pk, now=NOW), "registered"),
        (lambda user, pk: services.complete_onsite(user=user, order_id=pk, result="x", now=NOW), "registered"),
    ],
)
def test_a_step_out_of_order_is_refused_naming_the_sequence_and_changes_nothing(org, english, run, status):
    order = register(org)
    with pytest.raises(Conflict) as caught:
        run(org.people["agent"].user, order.pk)
    assert caught.value.code == "wrong_step"
    message = str(caught.value.message)
    assert message.startswith("An on-site order that is Registered cannot become ")
    assert "registered, dispatched, accepted, completed, reviewed" in message
    row = OnsiteOrder.objects.get(pk=order.pk)
    assert (row.status, row.history.count()) == (status, 1)


def test_dispatching_needs_the_technician(org, english):
    order = register(org)
    with pytest.raises(ValidationError) as caught:
        services.dispatch_onsite(user=org.people["agent"].user, order_id=order.pk, technician=" ", now=NOW)
    assert field_error(caught.value)[:2] == ("technician", "required")
    assert OnsiteOrder.objects.get(pk=order.pk).status == "registered"


def test_a_late_completion_is_marked(org):
    user = org.people["agent"].user
    order = register(org)
    services.dispatch_onsite(user=user, order_id=order.pk, technician="王师傅", now=NOW)
    services.accept_onsite(user=user, order_id=order.pk, now=NOW)
    services.complete_onsite(user=user, order_id=order.pk, result="完成", now=NOW + timedelta(hours=25))
    assert OnsiteOrder.objects.get(pk=order.pk).completed_late is True


def test_nobody_reviews_the_order_they_registered(org):
    user = org.people["team_leader"].user
    order = register(org, "team_leader")
    services.dispatch_onsite(user=user, order_id=order.pk, technician="王师傅", now=NOW)
    services.accept_onsite(user=user, order_id=order.pk, now=NOW)
    services.complete_onsite(user=user, order_id=order.pk, result="完成", now=NOW)
    with pytest.raises(NotAllowed):
        services.review_onsite(user=user, order_id=order.pk, review="好", now=NOW)
    assert OnsiteOrder.objects.get(pk=order.pk).status == "completed"


def test_an_agent_cannot_review_and_another_agent_cannot_see_the_order(org):
    order = register(org)
    with pytest.raises(NotAllowed):
        services.review_onsite(user=org.people["agent"].user, order_id=order.pk, review="x", now=NOW)
    with pytest.raises(OutOfScope):
        services.dispatch_onsite(user=org.people["teammate"].user, order_id=order.pk, technician="王", now=NOW)


def test_a_completed_visit_is_put_on_the_on_site_callback_campaign(org, campaign):
    target = campaign(kind="onsite_service", name="上门服务回访")
    user = org.people["agent"].user
    order = register(org)
    services.dispatch_onsite(user=user, order_id=order.pk, technician="王师傅", now=NOW)
    services.accept_onsite(user=user, order_id=order.pk, now=NOW)
    services.complete_onsite(user=user, order_id=order.pk, result="完成", now=NOW)
    callback = CallbackTask.objects.get(onsite_order=order)
    assert (callback.campaign, callback.customer_name, callback.team) == (target, order.customer_name, org.team_a)


# --- the sweep ---------------------------------------------------------------------------------------------------


def test_the_sweep_escalates_each_overdue_item_once_and_tells_the_team_leader(org, task):
    late_task, on_time = task(), task()
    late_order = register(org, agreement=True)
    register(org, agreement=False)  # 48 h: not yet due
    _attempt(org, "agent", on_time.pk, "satisfied")
    later = NOW + timedelta(days=1, hours=20)  # past the task's day and the 24 h limit
    first = services.escalate_overdue(now=later)
    assert (first.tasks, first.onsite_orders) == ([late_task.pk], [late_order.pk])
    second = services.escalate_overdue(now=later + timedelta(minutes=5))
    assert (second.tasks, second.onsite_orders) == ([], [])
    assert Notification.objects.filter(recipient=org.people["team_leader"], created_at=later).count() == 2
    row = CallbackTask.objects.get(pk=late_task.pk)
    assert row.escalated_at == later
    assert row.history.filter(escalated_at=later).count() == 1


def test_the_sweep_leaves_items_that_are_not_yet_due(org, task):
    task()
    register(org)
    done = services.escalate_overdue(now=NOW + timedelta(hours=1))
    assert (done.tasks, done.onsite_orders) == ([], [])


def test_the_periodic_task_runs_the_sweep(org):
    from banzu.callbacks import tasks

    order = register(org, now=NOW - timedelta(days=400))
    assert tasks.escalate_overdue_callbacks.call_local() == {"tasks": 0, "onsite_orders": 1}
    assert tasks.escalate_overdue_callbacks.call_local() == {"tasks": 0, "onsite_orders": 0}
    assert OnsiteOrder.objects.get(pk=order.pk).escalated_at is not None
