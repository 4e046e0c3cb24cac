"""Writes of callbacks, surveys and on-site dispatch (CB-1 … CB-5). Each service is one transaction:
it checks permission and scope (core.scoping), validates, applies the rules with the centre's policy
values, saves (django-simple-history records who and when) and notifies.

Every change to a task or an on-site order locks its row first (``select_for_update``), so two
people recording the same call, or a step racing the sweep, are decided one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from banzu.callbacks import rules
from banzu.callbacks.models import (
    OPEN_ONSITE,
    OPEN_TASK,
    CallbackAttempt,
    CallbackTask,
    Campaign,
    CampaignStatus,
    Kind,
    OnsiteOrder,
    OnsiteStatus,
    Outcome,
    Region,
    TaskStatus,
)
from banzu.callbacks.scripts import DEFAULT_SCRIPTS
from banzu.core import scoping
from banzu.core.calendar import add_working_days, centre_zone, not_covered_error, work_calendar
from banzu.core.errors import Conflict, NotAllowed, invalid
from banzu.core.policies import policy
from banzu.core.rules import CalendarNotCovered
from banzu.org.models import Department, Employee

NAME_MAX_LENGTH = 100
PHONE_MAX_LENGTH = 30
TEXT_MAX_LENGTH = 2000
SCRIPT_MAX_LENGTH = 5000

REQUIRED = {
    "name": _("Enter the campaign name."),
    "kind": _("Choose the callback type."),
    "region": _("Choose whether the customers are city or provincial customers."),
    "collection_end": _("Enter the last day of the collection period: provincial callbacks start after it."),
    "sample_month": _("Choose the month whose resolved calls are sampled."),
    "customer_name": _("Enter the customer name."),
    "phone": _("Enter the phone number."),
    "address": _("Enter the address."),
    "problem": _("Describe the problem."),
    "outcome": _("Choose the outcome of the callback."),
    "opinion": _("Record the customer's opinion: a dissatisfied customer is followed up."),
    "technician": _("Enter the technician the order is dispatched to."),
    "result": _("Enter the service result."),
    "review": _("Enter the review and feedback."),
    "assignee": _("Choose who makes the callback."),
}
TOO_LONG = _("Enter at most %(max)s characters.")
ONSITE_ORDER_RULE = _(
    "An on-site order that is %(status)s cannot become %(target)s: the steps are registered, dispatched, "
    "accepted, completed, reviewed, one after the other."
)


# --- helpers ---------------------------------------------------------------------------------------


def _recorded_by(instance: Any, user: Any) -> Any:
    """Name the user in the history row; the sweep runs where there is no request."""
    if getattr(user, "pk", None):
        instance._history_user = user
    return instance


def _acting_employee(user: Any) -> Employee:
    actor = scoping.actor_for(user)
    if actor.employee_id is None:
        raise NotAllowed(_("Only an employee of the centre can work on callbacks."), code="no_employee")
    return Employee.objects.select_related("centre", "team", "department").get(pk=actor.employee_id)


def _text(field: str, value: Any, *, required: bool, limit: int = TEXT_MAX_LENGTH) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise invalid(field, REQUIRED[field], code="required")
    if len(value) > limit:
        raise invalid(field, TOO_LONG, code="max_length", params={"max": limit})
    return value


def _stored_text(text: Any) -> str:
    """Notice texts are rendered once, in the product's language, whoever triggers them."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _notify(*, recipient_id: int | None, text: Any, link: str, at: datetime) -> None:
    """An in-app notice (the work-order app's notification list, shown to its recipient only)."""
    if recipient_id is None:
        return
    from banzu.workorders.models import Notification

    Notification.objects.create(
        recipient_id=recipient_id, kind=NOTICE_KIND, text=_stored_text(text)[:500], link=link, created_at=at
    )


NOTICE_KIND = "callback"


def _leader_of(team_id: int | None, department_id: int | None) -> int | None:
    """Who answers for a task or order: the team leader, else the head of the department."""
    from banzu.org.models import Team

    if team_id:
        leader = Team.objects.filter(pk=team_id).values_list("leader_id", flat=True).first()
        if leader:
            return leader
    if department_id:
        return Department.objects.filter(pk=department_id).values_list("head_id", flat=True).first()
    return None


def _local_day(moment: datetime, centre: Any) -> date:
    return moment.astimezone(centre_zone(centre)).date()


def _calendar_error(exc: CalendarNotCovered, field: str):
    return not_covered_error(exc, field)


# --- campaigns (CB-1 … CB-3) -------------------------------------------------------------------------


def _campaign_department(user: Any, department: Department | None, actor: Employee) -> Department:
    department = department or actor.department
    allowed = scoping.restrict(Department.objects.filter(pk=department.pk), user, "callbacks.manage_campaigns")
    if department.centre_id != actor.centre_id or not allowed.exists():
        raise invalid("department", _("Choose your own department."), code="out_of_scope")
    return department


@transaction.atomic
def create_campaign(
    *,
    user: Any,
    name: str,
    kind: str,
    region: str,
    now: datetime,
    department: Department | None = None,
    script: str = "",
    starts_on: date | None = None,
    collection_end: date | None = None,
    sample_month: date | None = None,
) -> Campaign:
    """Set up a callback campaign of one type (CB-1) with its script (CB-2) and schedule (CB-3).

    Provincial: `collection_end` is the last day of the collection period; the window follows from
    the policies. City: runs every `callbacks.city_interval_days` from `starts_on` (today by default).
    A monthly sample names its month (`sample_month`, any day of it), which must be over.
    """
    scoping.ensure_can(user, "callbacks.manage_campaigns")
    actor = _acting_employee(user)
    centre = actor.centre
    name = _text("name", name, required=True, limit=NAME_MAX_LENGTH)
    if kind not in Kind.values:
        raise invalid("kind", REQUIRED["kind"], code="required" if not kind else "invalid_choice")
    if region not in Region.values:
        raise invalid("region", REQUIRED["region"], code="required" if not region else "invalid_choice")
    department = _campaign_department(user, department, actor)
    script = _text("script", script, required=False, limit=SCRIPT_MAX_LENGTH) or DEFAULT_SCRIPTS[kind]
    today = _local_day(now, centre)
    campaign = Campaign(
        centre=centre,
        department=department,
        team=actor.team if actor.team_id and actor.team_id in scoping.actor_for(user).led_team_ids else None,
        name=name,
        kind=kind,
        region=region,
        script=script,
        starts_on=starts_on or today,
        created_by=actor,
        created_at=now,
    )
    if region == Region.PROVINCIAL:
        if collection_end is None:
            raise invalid("collection_end", REQUIRED["collection_end"], code="required")
        window = _provincial_window(centre, collection_end)
        campaign.collection_end = collection_end
        campaign.starts_on, campaign.retry_on, campaign.due_at = window.starts_on, window.retry_on, window.due_at
    elif starts_on is not None and starts_on < today:
        raise invalid("starts_on", _("The first run cannot be in the past."), code="in_past")
    if kind == Kind.RESOLVED_SAMPLE:
        if sample_month is None:
            raise invalid("sample_month", REQUIRED["sample_month"], code="required")
        first, after = rules.month_bounds(sample_month.year, sample_month.month)
        if after > today:
            raise invalid(
                "sample_month",
                _("Only a month that is over can be sampled; choose %(month)s or earlier.")
                % {"month": _previous_month(today).strftime("%Y-%m")},
                code="month_not_over",
            )
        campaign.sample_month = first
    _recorded_by(campaign, user).save()
    if kind == Kind.RESOLVED_SAMPLE:
        campaign.sample_seed = f"{campaign.pk}-{campaign.sample_month:%Y%m}"
        _recorded_by(campaign, user).save(update_fields=["sample_seed"])
    return campaign


def _previous_month(day: date) -> date:
    first = day.replace(day=1)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def _provincial_window(centre: Any, collection_end: date) -> rules.Window:
    zone = centre_zone(centre)
    try:
        return rules.provincial_window(
            datetime.combine(collection_end, time(12), tzinfo=zone),
            start_working_day=policy("callbacks.provincial_start_working_day", centre),
            window_working_days=policy("callbacks.provincial_window_working_days", centre),
            calendar=work_calendar(),
        )
    except CalendarNotCovered as exc:
        raise _calendar_error(exc, "collection_end") from None


def _task_window(campaign: Campaign, now: datetime) -> rules.Window:
    if campaign.region == Region.PROVINCIAL:
        return rules.Window(campaign.starts_on, campaign.retry_on, campaign.due_at)
    return rules.city_window(
        now.astimezone(centre_zone(campaign.centre)),
        first_run=campaign.starts_on,
        interval_days=policy("callbacks.city_interval_days", campaign.centre),
    )


def _campaign_for(user: Any, campaign_id: Any, action: str) -> Campaign:
    scoping.ensure_can(user, action)
    found = scoping.get_in_scope(Campaign.objects.all(), user, action, pk=_pk(campaign_id))
    campaign = Campaign.objects.select_for_update(of=("self",)).select_related("centre").get(pk=found.pk)
    if campaign.status != CampaignStatus.ACTIVE:
        raise Conflict(_("This campaign is closed; open a new one."), code="campaign_closed")
    return campaign


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _check_assignee(user: Any, assignee: Employee, campaign: Campaign, subject_agent_id: int | None) -> None:
    in_scope = scoping.restrict(Employee.objects.filter(pk=assignee.pk), user, "callbacks.assign").exists()
    if assignee.centre_id != campaign.centre_id or assignee.status == Employee.Status.LEFT or not in_scope:
        raise invalid("assignee", _("Choose a current employee within your responsibility."), code="out_of_scope")
    if assignee.pk == subject_agent_id:
        # ORG-8: nobody checks the satisfaction of their own calls.
        raise invalid("assignee", _("The agent whose call is checked cannot make this callback."), code="own_contact")


@transaction.atomic
def add_task(
    *,
    user: Any,
    campaign_id: int,
    customer_name: str,
    phone: str,
    now: datetime,
    assignee: Employee | None = None,
    note: str = "",
) -> CallbackTask:
    """Put one customer on a campaign's list; the window follows the campaign's schedule (CB-3)."""
    campaign = _campaign_for(user, campaign_id, "callbacks.manage_campaigns")
    customer_name = _text("customer_name", customer_name, required=True, limit=NAME_MAX_LENGTH)
    phone = _text("phone", phone, required=True, limit=PHONE_MAX_LENGTH)
    note = _text("note", note, required=False, limit=200)
    if assignee is not None:
        _check_assignee(user, assignee, campaign, None)
    window = _task_window(campaign, now)
    task = CallbackTask(
        campaign=campaign,
        centre=campaign.centre,
        department=campaign.department,
        assignee=assignee,
        team=assignee.team if assignee is not None else campaign.team,
        customer_name=customer_name,
        phone=phone,
        note=note,
        starts_on=window.starts_on,
        retry_on=window.retry_on,
        due_at=window.due_at,
        created_at=now,
    )
    _recorded_by(task, user).save()
    if assignee is not None and assignee.pk != scoping.actor_for(user).employee_id:
        _notify_assigned(task, now)
    return task


def _notify_assigned(task: CallbackTask, now: datetime) -> None:
    _notify(
        recipient_id=task.assignee_id,
        text=_("Callback to %(customer)s assigned to you (%(campaign)s).")
        % {"customer": task.customer_name, "campaign": task.campaign.name},
        link=reverse("callbacks:task", args=[task.pk]),
        at=now,
    )


@transaction.atomic
def draw_monthly_sample(*, user: Any, campaign_id: int, now: datetime) -> list[CallbackTask]:
    """CB-1: sample each agent's resolved calls of the campaign's month (每月…按照人员进行抽样回访).

    Resolved calls are the inbound contacts that ended with an agent of the campaign's department
    during the month (centre time) and left a number to call. The draw is fair per agent and
    reproducible from the campaign's seed (``rules.sample_per_agent``); a campaign is drawn once.
    """
    from banzu.contact.models import Contact

    campaign = _campaign_for(user, campaign_id, "callbacks.manage_campaigns")
    if campaign.kind != Kind.RESOLVED_SAMPLE:
        raise invalid("kind", _("Only a monthly sample of resolved calls is drawn."), code="not_a_sample")
    if campaign.sampled_at is not None:
        raise Conflict(_("The sample of this campaign has already been drawn."), code="already_drawn")
    zone = centre_zone(campaign.centre)
    first, after = rules.month_bounds(campaign.sample_month.year, campaign.sample_month.month)
    contacts = (
        Contact.objects.filter(
            centre_id=campaign.centre_id,
            status=Contact.Status.ENDED,
            direction=Contact.Direction.INBOUND,
            agent__department_id=campaign.department_id,
            ended_at__gte=datetime.combine(first, time.min, tzinfo=zone),
            ended_at__lt=datetime.combine(after, time.min, tzinfo=zone),
        )
        .exclude(caller_number="")
        .values_list("pk", "agent_id")
    )
    by_agent: dict[int, list[int]] = {}
    for contact_id, agent_id in contacts:
        by_agent.setdefault(agent_id, []).append(contact_id)
    chosen = rules.sample_per_agent(
        by_agent,
        per_agent=policy("callbacks.resolved_samples_per_agent_per_month", campaign.centre),
        seed=campaign.sample_seed,
    )
    picked = [contact_id for ids in chosen.values() for contact_id in ids]
    rows = Contact.objects.filter(pk__in=picked).select_related("customer", "agent").order_by("pk")
    window = _task_window(campaign, now)
    tasks = []
    for contact in rows:
        task = CallbackTask(
            campaign=campaign,
            centre=campaign.centre,
            department=campaign.department,
            team=campaign.team,
            customer_name=(contact.customer.name if contact.customer else "") or contact.caller_number,
            phone=contact.caller_number,
            contact=contact,
            subject_agent=contact.agent,
            subject_team_id=contact.agent.team_id,
            starts_on=window.starts_on,
            retry_on=window.retry_on,
            due_at=window.due_at,
            created_at=now,
        )
        _recorded_by(task, user).save()
        tasks.append(task)
    campaign.sampled_at = now
    _recorded_by(campaign, user).save()
    return tasks


@transaction.atomic
def close_campaign(*, user: Any, campaign_id: int, now: datetime) -> Campaign:
    """Close a campaign; tasks still open are cancelled (their customers are not called)."""
    campaign = _campaign_for(user, campaign_id, "callbacks.manage_campaigns")
    for task in CallbackTask.objects.select_for_update().filter(campaign=campaign, status__in=OPEN_TASK):
        task.status = TaskStatus.CANCELLED
        _recorded_by(task, user).save()
    campaign.status = CampaignStatus.CLOSED
    _recorded_by(campaign, user).save()
    return campaign


# --- tasks: assignment and outcomes (CB-3, CB-5) ---------------------------------------------------------


def _lock_task(user: Any, task_id: Any, action: str) -> CallbackTask:
    """403 when no role allows `action`, 404 when out of scope, else the row, locked."""
    scoping.ensure_can(user, action)
    found = scoping.get_in_scope(CallbackTask.objects.all(), user, action, pk=_pk(task_id))
    task = CallbackTask.objects.select_for_update().get(pk=found.pk)
    if task.status not in OPEN_TASK:
        raise Conflict(
            _("This callback is %(status)s and cannot be changed.") % {"status": TaskStatus(task.status).label},
            code="task_closed",
        )
    return task


@transaction.atomic
def assign_task(*, user: Any, task_id: int, assignee: Employee | None, now: datetime) -> CallbackTask:
    """Hand a callback to an agent (分发回访名单); not to the agent whose call it checks."""
    task = _lock_task(user, task_id, "callbacks.assign")
    if assignee is None:
        raise invalid("assignee", REQUIRED["assignee"], code="required")
    _check_assignee(user, assignee, task.campaign, task.subject_agent_id)
    task.assignee = assignee
    task.team = assignee.team
    _recorded_by(task, user).save()
    if assignee.pk != scoping.actor_for(user).employee_id:
        _notify_assigned(task, now)
    return task


@dataclass(frozen=True)
class AttemptOutcome:
    task: CallbackTask
    attempt: CallbackAttempt
    follow_up: CallbackTask | None


@transaction.atomic
def record_attempt(
    *,
    user: Any,
    task_id: int,
    outcome: str,
    now: datetime,
    rating: int | None = None,
    opinion: str = "",
    note: str = "",
) -> AttemptOutcome:
    """Record one call of a task (CB-3, CB-5).

    Unreachable before the retry day sets the number aside for the retry day (`002`: numbers not
    answered or switched off are called together on the last day); dissatisfied, or unreachable on
    the retry day, ends the task and opens a follow-up for the team leader.
    """
    task = _lock_task(user, task_id, "callbacks.call")
    actor = _acting_employee(user)
    if task.assignee_id not in (None, actor.pk) and not scoping.can(user, "callbacks.assign"):
        raise NotAllowed(_("This callback is assigned to someone else."), code="not_assignee")
    if outcome not in Outcome.values:
        raise invalid("outcome", REQUIRED["outcome"], code="required" if not outcome else "invalid_choice")
    opinion = _text("opinion", opinion, required=outcome == Outcome.DISSATISFIED)
    note = _text("note", note, required=False)
    if rating is not None:
        if outcome == Outcome.UNREACHABLE:
            raise invalid("rating", _("An unreachable customer gives no rating."), code="rating_unreachable")
        if not rules.RATING_MIN <= rating <= rules.RATING_MAX:
            raise invalid("rating", _("Choose a rating from 1 to 5."), code="rating_range")
    today = _local_day(now, task.centre)
    if today < task.starts_on:
        raise invalid(
            "outcome",
            _("Calls of this task start on %(date)s.") % {"date": task.starts_on.isoformat()},
            code="before_window",
        )
    result = rules.after_attempt(status=task.status, outcome=outcome, attempted_on=today, retry_on=task.retry_on)
    attempt = CallbackAttempt(task=task, at=now, caller=actor, outcome=outcome, note=note)
    _recorded_by(attempt, user).save()
    if task.assignee_id is None:
        task.assignee, task.team = actor, actor.team
    task.attempts += 1
    task.status = result.status
    task.outcome = result.outcome
    if result.status == TaskStatus.DONE:
        task.completed_at = now
        task.rating = rating
        task.opinion = opinion
    _recorded_by(task, user).save()
    follow_up = _open_follow_up(task, user, now) if result.follow_up else None
    return AttemptOutcome(task, attempt, follow_up)


FOLLOW_UP_NOTES = {
    Outcome.DISSATISFIED: _("Follow up: find out why the customer is dissatisfied."),
    Outcome.UNREACHABLE: _("Follow up: the customer could not be reached; check the number."),
}


def _open_follow_up(task: CallbackTask, user: Any, now: datetime) -> CallbackTask:
    """CB-5 (`002` 无法联系、有意见): one follow-up task for the team leader, due in working days."""
    leader_id = _leader_of(task.team_id, task.department_id)
    due = add_working_days(now, policy("callbacks.follow_up_working_days", task.centre), zone=centre_zone(task.centre))
    leader = Employee.objects.filter(pk=leader_id).only("team_id").first() if leader_id else None
    follow_up = CallbackTask(
        campaign=task.campaign,
        centre_id=task.centre_id,
        department_id=task.department_id,
        assignee=leader,
        team_id=leader.team_id if leader and leader.team_id else task.team_id,
        customer_name=task.customer_name,
        phone=task.phone,
        contact=None,
        subject_agent_id=task.subject_agent_id,
        subject_team_id=task.subject_team_id,
        onsite_order_id=task.onsite_order_id,
        follow_up_of=task,
        note=_stored_text(FOLLOW_UP_NOTES[task.outcome])[:200],
        starts_on=_local_day(now, task.centre),
        retry_on=due.date(),
        due_at=due,
        created_at=now,
    )
    _recorded_by(follow_up, user).save()
    _notify(
        recipient_id=leader_id,
        text=_("Follow-up of %(customer)s: %(outcome)s.")
        % {"customer": task.customer_name, "outcome": Outcome(task.outcome).label},
        link=reverse("callbacks:task", args=[follow_up.pk]),
        at=now,
    )
    return follow_up


# --- on-site dispatch (CB-4, D12) ---------------------------------------------------------------------


@transaction.atomic
def register_onsite(
    *,
    user: Any,
    customer_name: str,
    phone: str,
    address: str,
    problem: str,
    agreement_customer: bool,
    now: datetime,
) -> OnsiteOrder:
    """录单: register an on-site service request; the response limit runs from now (D12)."""
    scoping.ensure_can(user, "callbacks.register_onsite")
    actor = _acting_employee(user)
    values = {
        "customer_name": _text("customer_name", customer_name, required=True, limit=NAME_MAX_LENGTH),
        "phone": _text("phone", phone, required=True, limit=PHONE_MAX_LENGTH),
        "address": _text("address", address, required=True, limit=200),
        "problem": _text("problem", problem, required=True),
    }
    centre = actor.centre
    due = rules.onsite_response_due(
        now,
        agreement_customer=bool(agreement_customer),
        hours_agreement=policy("callbacks.onsite_response_hours_agreement", centre),
        hours_other=policy("callbacks.onsite_response_hours_other", centre),
    )
    order = OnsiteOrder(
        centre=centre,
        department=actor.department,
        team=actor.team,
        registered_by=actor,
        agreement_customer=bool(agreement_customer),
        registered_at=now,
        response_due_at=due,
        **values,
    )
    _recorded_by(order, user).save()
    return order


def _lock_order(user: Any, order_id: Any, action: str, target: str) -> OnsiteOrder:
    scoping.ensure_can(user, action)
    found = scoping.get_in_scope(OnsiteOrder.objects.all(), user, action, pk=_pk(order_id))
    order = OnsiteOrder.objects.select_for_update().get(pk=found.pk)
    if not rules.onsite_can_move(order.status, target):
        raise Conflict(
            ONSITE_ORDER_RULE % {"status": OnsiteStatus(order.status).label, "target": OnsiteStatus(target).label},
            code="wrong_step",
        )
    return order


@transaction.atomic
def dispatch_onsite(
    *, user: Any, order_id: int, technician: str, now: datetime, technician_phone: str = ""
) -> OnsiteOrder:
    """派单: send the order to a technician."""
    order = _lock_order(user, order_id, "callbacks.dispatch_onsite", OnsiteStatus.DISPATCHED)
    order.technician = _text("technician", technician, required=True, limit=50)
    order.technician_phone = _text("technician_phone", technician_phone, required=False, limit=PHONE_MAX_LENGTH)
    order.status, order.dispatched_at = OnsiteStatus.DISPATCHED, now
    _recorded_by(order, user).save()
    return order


@transaction.atomic
def accept_onsite(*, user: Any, order_id: int, now: datetime) -> OnsiteOrder:
    """接单: the technician has confirmed the order."""
    order = _lock_order(user, order_id, "callbacks.dispatch_onsite", OnsiteStatus.ACCEPTED)
    order.status, order.accepted_at = OnsiteStatus.ACCEPTED, now
    _recorded_by(order, user).save()
    return order


@transaction.atomic
def complete_onsite(*, user: Any, order_id: int, result: str, now: datetime) -> OnsiteOrder:
    """完成: the service was done on site. The response clock stops here; an active on-site
    service campaign of the department gets the customer for its callback (CB-1)."""
    order = _lock_order(user, order_id, "callbacks.dispatch_onsite", OnsiteStatus.COMPLETED)
    order.result = _text("result", result, required=True)
    order.status, order.completed_at = OnsiteStatus.COMPLETED, now
    order.completed_late = rules.onsite_completed_late(order.response_due_at, now)
    _recorded_by(order, user).save()
    campaign = (
        Campaign.objects.filter(
            centre_id=order.centre_id,
            department_id=order.department_id,
            kind=Kind.ONSITE_SERVICE,
            status=CampaignStatus.ACTIVE,
        )
        .select_related("centre")
        .order_by("-created_at")
        .first()
    )
    if campaign is not None:
        window = _task_window(campaign, now)
        task = CallbackTask(
            campaign=campaign,
            centre_id=order.centre_id,
            department_id=campaign.department_id,
            team=campaign.team,
            customer_name=order.customer_name,
            phone=order.phone,
            onsite_order=order,
            starts_on=window.starts_on,
            retry_on=window.retry_on,
            due_at=window.due_at,
            created_at=now,
        )
        _recorded_by(task, user).save()
    return order


@transaction.atomic
def review_onsite(*, user: Any, order_id: int, review: str, now: datetime) -> OnsiteOrder:
    """审核反馈: a leader reviews the completed order; not the person who registered it (ORG-8)."""
    order = _lock_order(user, order_id, "callbacks.review_onsite", OnsiteStatus.REVIEWED)
    scoping.ensure_not_self(user, order.registered_by_id, _("You cannot review an order you registered."))
    order.review = _text("review", review, required=True)
    order.status, order.reviewed_at = OnsiteStatus.REVIEWED, now
    order.reviewed_by_id = scoping.actor_for(user).employee_id
    _recorded_by(order, user).save()
    return order


# --- the sweep (DESIGN principle 5) -------------------------------------------------------------------


@dataclass(frozen=True)
class Escalated:
    tasks: list[int]
    onsite_orders: list[int]


SWEEP_BATCH = 500


@transaction.atomic
def escalate_overdue(*, now: datetime) -> Escalated:
    """Mark every overdue open callback task and on-site order once, and tell who answers for it.

    Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and a NULL ``escalated_at``: a second
    worker running at the same time skips the rows the first holds, and PostgreSQL re-checks the
    condition on rows committed meanwhile, so each item is escalated exactly once. SQLite runs one
    writer at a time (IMMEDIATE transactions), which gives the same answer.
    """
    tasks = list(
        # of=("self",): lock the task rows only, not the campaigns and centres joined for the notice.
        CallbackTask.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=OPEN_TASK, due_at__lt=now, escalated_at__isnull=True)
        .select_related("campaign", "centre")
        .order_by("due_at", "pk")[:SWEEP_BATCH]
    )
    for task in tasks:
        task.escalated_at = now
        task.save(update_fields=["escalated_at"])
        _notify(
            recipient_id=_leader_of(task.team_id, task.department_id),
            text=_("Callback to %(customer)s is overdue (%(campaign)s, due %(due)s).")
            % {
                "customer": task.customer_name,
                "campaign": task.campaign.name,
                "due": task.due_at.astimezone(centre_zone(task.centre)).strftime("%Y-%m-%d %H:%M"),
            },
            link=reverse("callbacks:task", args=[task.pk]),
            at=now,
        )
    orders = list(
        OnsiteOrder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=OPEN_ONSITE, response_due_at__lt=now, escalated_at__isnull=True)
        .select_related("centre")
        .order_by("response_due_at", "pk")[:SWEEP_BATCH]
    )
    for order in orders:
        order.escalated_at = now
        order.save(update_fields=["escalated_at"])
        _notify(
            recipient_id=_leader_of(order.team_id, order.department_id),
            text=_("On-site order for %(customer)s is past its response limit (due %(due)s).")
            % {
                "customer": order.customer_name,
                "due": order.response_due_at.astimezone(centre_zone(order.centre)).strftime("%Y-%m-%d %H:%M"),
            },
            link=reverse("callbacks:onsite_detail", args=[order.pk]),
            at=now,
        )
    return Escalated([task.pk for task in tasks], [order.pk for order in orders])
