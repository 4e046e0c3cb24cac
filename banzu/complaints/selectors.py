"""Reads of complaints, already restricted to what the user may see (DESIGN principle 8).

A complaint is reached through whoever filed it (``Complaint``'s scope paths) or through its
handler and handling unit (``HandledComplaint``'s); core.scoping restricts each.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet

from banzu.complaints import rules
from banzu.complaints.models import Complaint, ComplaintStep, HandledComplaint, Notice
from banzu.core import scoping
from banzu.core.calendar import centre_zone, work_calendar
from banzu.core.errors import OutOfScope
from banzu.core.roles import Role
from banzu.core.rules import CalendarNotCovered
from banzu.core.scoping import Scope
from banzu.org.models import Centre, Employee

LIST_RELATED = ("owner", "handler", "handler_unit", "team", "work_order")


def complaints_visible_to(user: Any, *, action: str = "complaints.view") -> QuerySet[Complaint]:
    if scoping.scope_for(user, action) >= Scope.CENTRE:
        queryset = scoping.restrict(Complaint.objects.all(), user, action)
    else:
        reached = Q(pk__in=scoping.restrict(Complaint.objects.all(), user, action).values("pk")) | Q(
            pk__in=scoping.restrict(HandledComplaint.objects.all(), user, action).values("pk")
        )
        queryset = Complaint.objects.filter(reached)
    return queryset.select_related(*LIST_RELATED)


def complaint_for(user: Any, pk: Any, *, action: str = "complaints.view") -> Complaint:
    """One complaint the user may `action`, else OutOfScope (404, the same as a missing one)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise OutOfScope() from None
    found = complaints_visible_to(user, action=action).filter(pk=pk).first()
    if found is None:
        raise OutOfScope()
    return found


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def complaint_list(user: Any, params: Any, *, now: datetime, zone: Any, action: str = "complaints.view"):
    """List page and API: scope, then filters from query parameters (malformed ones are ignored)."""
    queryset = complaints_visible_to(user, action=action)
    status = params.get("status", "")
    if status == "open":
        queryset = queryset.filter(status__in=rules.OPEN_STATUSES)
    elif status in rules.STATUSES:
        queryset = queryset.filter(status=status)
    level = params.get("level", "")
    if level in ("1", "2", "3"):
        queryset = queryset.filter(level=int(level))
    if params.get("channel") in rules.CHANNELS:
        queryset = queryset.filter(channel=params["channel"])
    if params.get("overdue") in ("1", "true"):
        queryset = queryset.filter(status__in=rules.OPEN_STATUSES, due_at__lt=now)
    if params.get("mine") in ("1", "true"):
        queryset = queryset.filter(handler_id=scoping.actor_for(user).employee_id)
    first, last = _day(params.get("filed_from")), _day(params.get("filed_to"))
    if first:
        queryset = queryset.filter(filed_at__gte=datetime.combine(first, time.min, tzinfo=zone))
    if last:
        queryset = queryset.filter(filed_at__lte=datetime.combine(last, time.max, tzinfo=zone))
    return queryset.order_by("-filed_at", "-pk")


def steps_of(complaint: Complaint) -> QuerySet[ComplaintStep]:
    return complaint.steps.select_related("actor")


def notices_visible_to(user: Any) -> QuerySet[Notice]:
    return scoping.restrict(Notice.objects.all(), user, "complaints.view_notices").select_related(
        "complaint", "published_by", "department"
    )


# --- level handlers and escalation (CMP-2, CMP-3) ----------------------------------------------------


def _with_role(centre_id: int, roles: tuple[str, ...], department_id: int | None = None) -> Employee | None:
    """The first current employee holding the first of `roles` that anybody holds."""
    for role in roles:
        queryset = Employee.objects.filter(centre_id=centre_id, roles__role=role).exclude(status=Employee.Status.LEFT)
        if department_id is not None:
            queryset = queryset.filter(department_id=department_id)
        found = queryset.select_related("department").order_by("employee_no").first()
        if found is not None:
            return found
    return None


def level_handler(*, centre_id: int, level: int, department) -> Employee | None:
    """CMP-2: who handles a complaint of `level` filed in `department`.

    Level 1 goes to the call-centre supervisor: the department's head when they are a supervisor,
    else the department's first supervisor. Levels 2-3 go to the centre's service manager(s).
    """
    roles = rules.HANDLER_ROLES[level]
    if level == 1:
        head = department.head
        if head is not None and head.status != Employee.Status.LEFT and head.roles.filter(role__in=roles).exists():
            return head
        return _with_role(centre_id, roles, department.pk)
    return _with_role(centre_id, roles)


def escalation_recipients(complaint: Complaint) -> list[int]:
    """CMP-3: one rung above the level's handler; never the handler themselves."""
    target = _with_role(complaint.centre_id, rules.ESCALATION_ROLES[complaint.level])
    ids = [target.pk] if target is not None and target.pk != complaint.handler_id else []
    if not ids:
        # Nobody above the handler: the centre's administrators still hear of it.
        admin = _with_role(complaint.centre_id, (Role.ADMINISTRATOR,))
        if admin is not None and admin.pk != complaint.handler_id:
            ids = [admin.pk]
    return ids


def employees_of_centre(centre_id: int | None) -> QuerySet[Employee]:
    return Employee.objects.filter(centre_id=centre_id).exclude(status=Employee.Status.LEFT).order_by("employee_no")


# --- deadline badge and analysis period ----------------------------------------------------------------


def deadline(complaint: Complaint, now: datetime) -> rules.Remaining | None:
    """The deadline badge (ux.md §5): working days left on the official calendar, or how late."""
    if complaint.is_closed:
        return None
    zone = centre_zone(complaint.centre)
    try:
        return rules.remaining(
            now=now.astimezone(zone),
            due_at=complaint.due_at.astimezone(zone),
            reminder_at=complaint.reminder_at,
            calendar=work_calendar(),
        )
    except CalendarNotCovered:
        return None


def period(params: Any, today: date) -> tuple[date, date]:
    """The analysis period from `filed_from` / `filed_to`; by default the month so far."""
    first = _day(params.get("filed_from")) or today.replace(day=1)
    last = _day(params.get("filed_to")) or today
    return (first, last) if first <= last else (last, first)


def complaints_in_period(user: Any, first: date, last: date, *, action: str) -> QuerySet[Complaint]:
    actor = scoping.actor_for(user)
    zone = centre_zone(Centre.objects.filter(pk=actor.centre_id).first()) if actor.centre_id else centre_zone(None)
    return complaints_visible_to(user, action=action).filter(
        filed_at__gte=datetime.combine(first, time.min, tzinfo=zone),
        filed_at__lte=datetime.combine(last, time.max, tzinfo=zone),
    )
