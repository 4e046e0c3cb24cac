"""Reads of callbacks, on-site orders and satisfaction, already restricted to what the user may see
(DESIGN principle 8). The satisfaction figures are the ones KPIs read (CB-5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q, QuerySet

from banzu.callbacks import rules
from banzu.callbacks.models import (
    OPEN_TASK,
    CallbackAttempt,
    CallbackTask,
    Campaign,
    OnsiteOrder,
    OnsiteStatus,
    SurveyedCallbackTask,
    TaskStatus,
)
from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.core.errors import OutOfScope
from banzu.core.policies import policy


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise OutOfScope() from None


# --- campaigns and tasks -------------------------------------------------------------------------------


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    return scoping.restrict(Campaign.objects.all(), user, "callbacks.view").select_related("department", "team")


def campaign_for(user: Any, pk: Any, *, action: str = "callbacks.view") -> Campaign:
    return scoping.get_in_scope(
        Campaign.objects.select_related("department", "team", "created_by"), user, action, pk=_pk(pk)
    )


TASK_RELATED = ("campaign", "assignee", "subject_agent", "follow_up_of")


def tasks_visible_to(user: Any, *, action: str = "callbacks.view") -> QuerySet[CallbackTask]:
    return scoping.restrict(CallbackTask.objects.all(), user, action).select_related(*TASK_RELATED)


def task_for(user: Any, pk: Any, *, action: str = "callbacks.view") -> CallbackTask:
    return scoping.get_in_scope(CallbackTask.objects.select_related(*TASK_RELATED), user, action, pk=_pk(pk))


def tasks_of_campaign(user: Any, campaign: Campaign) -> QuerySet[CallbackTask]:
    return tasks_visible_to(user).filter(campaign=campaign).order_by("status", "due_at", "pk")


def worklist_for(user: Any) -> QuerySet[CallbackTask]:
    """The person's open callbacks, the earliest deadline first (ux: 我的待办)."""
    actor = scoping.actor_for(user)
    return (
        tasks_visible_to(user, action="callbacks.call")
        .filter(assignee_id=actor.employee_id, status__in=OPEN_TASK)
        .order_by("due_at", "pk")
    )


def unassigned_tasks(user: Any) -> QuerySet[CallbackTask]:
    return (
        tasks_visible_to(user, action="callbacks.assign")
        .filter(assignee__isnull=True, status__in=OPEN_TASK)
        .order_by("due_at", "pk")
    )


def attempts_of(task: CallbackTask) -> QuerySet[CallbackAttempt]:
    return task.call_attempts.select_related("caller").order_by("at", "pk")


def assignable_people(user: Any):
    """Current employees the user may give callbacks to."""
    from banzu.org.models import Employee

    return (
        scoping.restrict(Employee.objects.exclude(status=Employee.Status.LEFT), user, "callbacks.assign")
        .select_related("team")
        .order_by("employee_no")
    )


# --- on-site orders ----------------------------------------------------------------------------------------


def onsite_orders_visible_to(user: Any, *, action: str = "callbacks.view") -> QuerySet[OnsiteOrder]:
    return scoping.restrict(OnsiteOrder.objects.all(), user, action).select_related("registered_by", "reviewed_by")


def onsite_for(user: Any, pk: Any, *, action: str = "callbacks.view") -> OnsiteOrder:
    return scoping.get_in_scope(
        OnsiteOrder.objects.select_related("registered_by", "reviewed_by"), user, action, pk=_pk(pk)
    )


@dataclass(frozen=True)
class BoardColumn:
    status: str
    label: str
    orders: list[OnsiteOrder]


BOARD_SHOWN = 100


def onsite_board(user: Any, *, now: datetime) -> list[BoardColumn]:
    """CB-4: one column per step, each up to BOARD_SHOWN orders: open ones by their response limit,
    reviewed ones the latest first."""
    orders = onsite_orders_visible_to(user).order_by("response_due_at", "pk")
    columns = []
    for status, label in OnsiteStatus.choices:
        shown = orders.filter(status=status)
        if status == OnsiteStatus.REVIEWED:
            shown = shown.order_by("-reviewed_at", "-pk")
        rows = list(shown[:BOARD_SHOWN])
        for order in rows:
            order.overdue = rules.onsite_overdue(order.status, order.response_due_at, now)
        columns.append(BoardColumn(status, label, rows))
    return columns


# --- satisfaction (CB-5) -----------------------------------------------------------------------------------

AGENT, TEAM = "agent", "team"


@dataclass(frozen=True)
class SatisfactionRow:
    key: int | None
    label: str
    figures: rules.Satisfaction


def _month_range(year: int, month: int, zone) -> tuple[datetime, datetime]:
    first, after = rules.month_bounds(year, month)
    return datetime.combine(first, time.min, tzinfo=zone), datetime.combine(after, time.min, tzinfo=zone)


def satisfaction_figures(user: Any, *, year: int, month: int, group: str = AGENT) -> list[SatisfactionRow]:
    """CB-5: end-of-contact ratings (IVR, chat) and first callbacks of one month, per agent or team.

    Ratings count for the agent who handled the contact; callback outcomes for the agent whose
    service was checked. Follow-up calls are left out: they would count one customer twice.
    Scope: an agent sees their own figures, a team leader the team's, and so on up.
    """
    from banzu.contact.models import Contact
    from banzu.org.models import Employee, Team

    if group not in (AGENT, TEAM):
        raise ValueError(f"unknown group {group!r}")
    actor = scoping.actor_for(user)
    if actor.centre_id is None and not actor.is_superuser:
        return []
    from banzu.org.models import Centre

    centre = Centre.objects.filter(pk=actor.centre_id).first()
    minimum = policy("callbacks.satisfied_rating_minimum", actor.centre_id)
    start, end = _month_range(year, month, centre_zone(centre))
    rating_key = "agent_id" if group == AGENT else "agent__team_id"
    ratings = (
        scoping.restrict(Contact.objects.all(), user, "callbacks.view_satisfaction")
        .filter(rating__isnull=False, agent__isnull=False, ended_at__gte=start, ended_at__lt=end)
        .values(rating_key)
        .annotate(total=Count("pk"), satisfied=Count("pk", filter=Q(rating__gte=minimum)))
    )
    callback_key = "subject_agent_id" if group == AGENT else "subject_team_id"
    outcomes = (
        scoping.restrict(SurveyedCallbackTask.objects.all(), user, "callbacks.view_satisfaction")
        .filter(
            status=TaskStatus.DONE,
            follow_up_of__isnull=True,
            subject_agent__isnull=False,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .values(callback_key)
        .annotate(
            satisfied=Count("pk", filter=Q(outcome=rules.SATISFIED)),
            dissatisfied=Count("pk", filter=Q(outcome=rules.DISSATISFIED)),
            unreachable=Count("pk", filter=Q(outcome=rules.UNREACHABLE)),
        )
    )
    counts: dict[int | None, dict[str, int]] = {}
    for row in ratings:
        entry = counts.setdefault(row[rating_key], {})
        entry.update(ratings=row["total"], satisfied_ratings=row["satisfied"])
    for row in outcomes:
        entry = counts.setdefault(row[callback_key], {})
        entry.update(satisfied=row["satisfied"], dissatisfied=row["dissatisfied"], unreachable=row["unreachable"])
    model = Employee if group == AGENT else Team
    names = dict(model.objects.filter(pk__in=[key for key in counts if key]).values_list("pk", "name"))
    rows = []
    for key, entry in counts.items():
        figures = rules.combine(
            ratings=entry.get("ratings", 0),
            satisfied_ratings=entry.get("satisfied_ratings", 0),
            satisfied=entry.get("satisfied", 0),
            dissatisfied=entry.get("dissatisfied", 0),
            unreachable=entry.get("unreachable", 0),
        )
        rows.append(SatisfactionRow(key, names.get(key, "—"), figures))
    rows.sort(key=lambda row: (row.label, row.key or 0))
    return rows


def total(rows: list[SatisfactionRow]) -> rules.Satisfaction:
    return rules.combine(
        ratings=sum(row.figures.ratings for row in rows),
        satisfied_ratings=sum(row.figures.satisfied_ratings for row in rows),
        satisfied=sum(row.figures.callbacks_satisfied for row in rows),
        dissatisfied=sum(row.figures.callbacks_dissatisfied for row in rows),
        unreachable=sum(row.figures.callbacks_unreachable for row in rows),
    )


def recent_months(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` months up to and including today's, oldest first."""
    year, month = today.year, today.month
    months = []
    for _index in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def satisfaction_trend(user: Any, *, today: date, months: int = 6) -> list[tuple[str, rules.Satisfaction]]:
    """The user's scope, month by month (the chart of the satisfaction page)."""
    return [
        (f"{year}-{month:02d}", total(satisfaction_figures(user, year=year, month=month, group=TEAM)))
        for year, month in recent_months(today, months)
    ]
