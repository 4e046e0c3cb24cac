"""Reads of work orders, already restricted to what the user may see (DESIGN principle 8).

A work order is reached through its owner (``WorkOrder``'s scope paths), its current handler
(``HandledWorkOrder``'s) or its responsible unit (``UnitWorkOrder``'s); core.scoping restricts
each, and a row reached any way is visible (see permissions.py). Search is exact (WO-9): caller
number, number, customer name or one custom field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.core.errors import OutOfScope
from banzu.core.policies import policy
from banzu.core.scoping import Scope
from banzu.org.models import Department, Employee
from banzu.workorders import rules
from banzu.workorders.models import (
    CategoryForm,
    CustomFieldDefinition,
    CustomFieldIndex,
    DutyAssignment,
    HandledWorkOrder,
    Notification,
    Status,
    UnitWorkOrder,
    WorkOrder,
    WorkOrderStep,
)

LIST_RELATED = ("owner", "handler", "responsible_unit")


def _visible(queryset: QuerySet, user: Any, action: str) -> QuerySet:
    if scoping.scope_for(user, action) >= Scope.CENTRE:
        # Both paths end at the same centre: the owner's path alone says it, without subqueries.
        return scoping.restrict(queryset, user, action)
    reached = Q(pk__in=[])
    for model in (WorkOrder, HandledWorkOrder, UnitWorkOrder):
        reached |= Q(pk__in=scoping.restrict(model.objects.all(), user, action).values("pk"))
    return queryset.filter(reached)


def work_orders_visible_to(user: Any, *, action: str = "workorders.view") -> QuerySet[WorkOrder]:
    return _visible(WorkOrder.objects.all(), user, action).select_related(*LIST_RELATED)


def work_order_for(user: Any, pk: Any, *, action: str = "workorders.view") -> WorkOrder:
    """One work order the user may `action`, else OutOfScope (answered as 404, like a missing one)."""
    pk = int_or_none(pk)
    if pk is None:
        raise OutOfScope()
    found = work_orders_visible_to(user, action=action).filter(pk=pk).first()
    if found is None:
        raise OutOfScope()
    return found


EARLIER_SHOWN = 10


def earlier_orders_of_caller(user: Any, work_order: WorkOrder) -> list[WorkOrder]:
    """WO-10: the caller's earlier work orders the user may see, newest first."""
    if not work_order.caller_number:
        return []
    queryset = work_orders_visible_to(user).filter(
        centre_id=work_order.centre_id, caller_number=work_order.caller_number, created_at__lte=work_order.created_at
    )
    return list(queryset.exclude(pk=work_order.pk).order_by("-created_at", "-pk")[:EARLIER_SHOWN])


def steps_of(work_order: WorkOrder) -> QuerySet[WorkOrderStep]:
    return work_order.steps.select_related("actor", "from_handler", "to_handler", "from_unit", "to_unit")


# --- saved views, filters, search (WO-9, ux.md §4) -----------------------------------------------


class View:
    MY_TODO = "mine"
    TEAM_OVERDUE = "team_overdue"
    URGENT = "urgent"
    AWAITING_ME = "awaiting_me"

    CHOICES = [
        (MY_TODO, _("My to-do")),
        (TEAM_OVERDUE, _("My team overdue")),
        (URGENT, _("Urgent")),
        (AWAITING_ME, _("Awaiting me")),
    ]


OPEN = list(rules.OPEN_STATUSES)


def apply_view(queryset: QuerySet[WorkOrder], user: Any, view: str, *, now: datetime) -> QuerySet[WorkOrder]:
    """The saved views: what I handle, my team's overdue, urgent, and what was handed to me."""
    actor = scoping.actor_for(user)
    me = actor.employee_id
    if view == View.MY_TODO:
        return queryset.filter(handler_id=me, status__in=OPEN)
    if view == View.AWAITING_ME:
        to_me = Q(handler_id=me)
        to_my_unit = Q(handler__isnull=True, responsible_unit_id=actor.department_id)
        return queryset.filter(to_me | to_my_unit, status__in=[Status.ASSIGNED, Status.HANDED_OVER])
    if view == View.URGENT:
        return queryset.filter(urgent=True, status__in=OPEN)
    if view == View.TEAM_OVERDUE:
        teams = set(actor.led_team_ids) | ({actor.team_id} if actor.team_id else set())
        return queryset.filter(
            Q(team_id__in=teams) | Q(handler__team_id__in=teams), status__in=OPEN, next_due_at__lt=now
        )
    return queryset


class SearchField:
    NUMBER = "number"
    CALLER_NUMBER = "caller_number"
    CUSTOMER_NAME = "customer_name"
    CUSTOM_PREFIX = "cf:"

    CHOICES = [
        (CALLER_NUMBER, _("Caller number")),
        (NUMBER, _("Work order number")),
        (CUSTOMER_NAME, _("Customer name")),
    ]


def search(queryset: QuerySet[WorkOrder], *, field: str, value: str) -> QuerySet[WorkOrder]:
    """Exact search by one field (WO-9). An unknown field or an impossible value matches nothing."""
    value = (value or "").strip()
    if not value:
        return queryset
    if field == SearchField.NUMBER:
        return queryset.filter(number=value)
    if field == SearchField.CALLER_NUMBER:
        return queryset.filter(caller_number=rules.normalise_phone(value))
    if field == SearchField.CUSTOMER_NAME:
        return queryset.filter(customer_name=rules.squeeze(value))
    if field.startswith(SearchField.CUSTOM_PREFIX):
        definition = CustomFieldDefinition.objects.filter(
            pk=int_or_none(field[len(SearchField.CUSTOM_PREFIX) :])
        ).first()
        if definition is not None:
            wanted = rules.search_value(field_spec(definition), value)
            if wanted is not None:
                matching = CustomFieldIndex.objects.filter(definition=definition, value=wanted).values("work_order_id")
                return queryset.filter(pk__in=matching)
    return queryset.none()


MAX_ID = 2**63 - 1  # a larger number is no row's id (and SQLite cannot even bind it)


def int_or_none(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if -MAX_ID <= value <= MAX_ID else None


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def apply_filters(
    queryset: QuerySet[WorkOrder], params: Any, *, now: datetime, zone: Any = None
) -> QuerySet[WorkOrder]:
    """List filters from query parameters; unknown or malformed values are ignored."""
    category = params.get("category", "")
    if category in rules.CATEGORIES:
        queryset = queryset.filter(category=category)
    status = params.get("status", "")
    if status == "open":
        queryset = queryset.filter(status__in=OPEN)
    elif status in Status.values:
        queryset = queryset.filter(status=status)
    if params.get("urgent") in ("1", "true"):
        queryset = queryset.filter(urgent=True)
    if params.get("overdue") in ("1", "true"):
        queryset = queryset.filter(status__in=OPEN, next_due_at__lt=now)
    for name, lookup in (("handler", "handler_id"), ("responsible_unit", "responsible_unit_id")):
        value = int_or_none(params.get(name))
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    first, last = _day(params.get("created_from")), _day(params.get("created_to"))
    if first:
        queryset = queryset.filter(created_at__gte=datetime.combine(first, time.min, tzinfo=zone))
    if last:
        queryset = queryset.filter(created_at__lte=datetime.combine(last, time.max, tzinfo=zone))
    return queryset


SORTS = {
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
    "number": ("number",),
    "-number": ("-number",),
    # ux.md §4: 剩余时限 sorts by the next breach; orders without a deadline come last.
    "remaining": (F("next_due_at").asc(nulls_last=True), "-created_at", "-pk"),
    "-remaining": (F("next_due_at").desc(nulls_last=True), "-created_at", "-pk"),
}
DEFAULT_SORT = "-created_at"


def work_order_list(user: Any, params: Any, *, now: datetime, action: str = "workorders.view") -> QuerySet[WorkOrder]:
    """The list page, API and export: scope, saved view, filters, search and sort in one place."""
    actor = scoping.actor_for(user)
    zone = centre_zone(None) if actor.centre_id is None else zone_of_centre(actor.centre_id)
    queryset = work_orders_visible_to(user, action=action)
    queryset = apply_view(queryset, user, params.get("view", ""), now=now)
    queryset = apply_filters(queryset, params, now=now, zone=zone)
    queryset = search(queryset, field=params.get("field", SearchField.CALLER_NUMBER), value=params.get("q", ""))
    sort = params.get("sort", DEFAULT_SORT)
    return queryset.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def zone_of_centre(centre_id: int):
    from banzu.org.models import Centre

    return centre_zone(Centre.objects.filter(pk=centre_id).only("timezone").first())


# --- custom fields and forms ---------------------------------------------------------------------


def field_spec(definition: CustomFieldDefinition) -> rules.FieldSpec:
    return rules.FieldSpec(
        key=definition.key,
        field_type=definition.field_type,
        required=definition.required,
        choices=tuple(str(choice) for choice in definition.choices or ()),
    )


def field_definitions(centre_id: int, category: str | None = None, *, active_only: bool = True):
    queryset = CustomFieldDefinition.objects.filter(centre_id=centre_id)
    if category:
        queryset = queryset.filter(category=category)
    if active_only:
        queryset = queryset.filter(active=True)
    return queryset.order_by("category", "order", "pk")


def field_definitions_visible_to(user: Any) -> QuerySet[CustomFieldDefinition]:
    """Custom fields are the centre's configuration: everyone who may see work orders reads them."""
    scoping.ensure_can(user, "workorders.view")
    actor = scoping.actor_for(user)
    if actor.centre_id is None:
        return CustomFieldDefinition.objects.all() if actor.is_superuser else CustomFieldDefinition.objects.none()
    return CustomFieldDefinition.objects.filter(centre_id=actor.centre_id)


def search_fields_for(centre_id: int | None) -> list[tuple[str, str]]:
    """The field picker: the three standard fields, then every active custom field."""
    choices = [(value, str(label)) for value, label in SearchField.CHOICES]
    if centre_id is None:
        return choices
    for definition in field_definitions(centre_id):
        choices.append(
            (f"{SearchField.CUSTOM_PREFIX}{definition.pk}", f"{definition.get_category_display()} · {definition.label}")
        )
    return choices


def configured_required_fields(centre_id: int, category: str) -> tuple[str, ...]:
    row = CategoryForm.objects.filter(centre_id=centre_id, category=category).first()
    return rules.required_fields(category, None if row is None else row.required_fields)


# --- duty and urgent routing (WO-7) ------------------------------------------------------------------


def duties_covering(centre_id: int, at: datetime) -> list[rules.Duty]:
    """Duty records of the centre that cover `at`. Routing is centre-wide, whoever asks."""
    rows = DutyAssignment.objects.filter(centre_id=centre_id, starts_at__lte=at, ends_at__gt=at).exclude(
        shift_lead__status=Employee.Status.LEFT
    )
    return [rules.Duty(row.shift_lead_id, row.starts_at, row.ends_at) for row in rows]


def active_head_id(unit: Department | None) -> int | None:
    if unit is None or unit.head_id is None:
        return None
    active = Employee.objects.filter(pk=unit.head_id).exclude(status=Employee.Status.LEFT).exists()
    return unit.head_id if active else None


@dataclass(frozen=True)
class UrgentTarget:
    employee: Employee | None
    reason: str | None  # rules.SHIFT_LEAD / rules.UNIT_HEAD / None


def urgent_target(centre_id: int, unit: Department | None, at: datetime) -> UrgentTarget:
    """Who an urgent order would go to now: shown beside the urgent toggle (ux.md §4)."""
    recipient = rules.urgent_recipient(duties_covering(centre_id, at), at, active_head_id(unit))
    if recipient is None:
        return UrgentTarget(None, None)
    return UrgentTarget(Employee.objects.get(pk=recipient.employee_id), recipient.reason)


def duty_assignments_visible_to(user: Any) -> QuerySet[DutyAssignment]:
    return scoping.restrict(DutyAssignment.objects.all(), user, "workorders.view").select_related("shift_lead")


# --- notifications ------------------------------------------------------------------------------------


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's own notices; nobody reads another's, whatever their scope."""
    actor = scoping.actor_for(user)
    queryset = (
        Notification.objects.filter(recipient_id=actor.employee_id)
        if actor.employee_id
        else Notification.objects.none()
    )
    return queryset.filter(read_at__isnull=True) if unread_only else queryset


# --- export -------------------------------------------------------------------------------------------


def departments_of_centre(centre_id: int | None) -> QuerySet[Department]:
    return Department.objects.filter(centre_id=centre_id).order_by("code")


def handlers_of_centre(centre_id: int | None) -> QuerySet[Employee]:
    return (
        Employee.objects.filter(centre_id=centre_id)
        .exclude(status=Employee.Status.LEFT)
        .select_related("department")
        .order_by("employee_no")
    )


# --- contacts without a work order (WO-1) ------------------------------------------------------------


def contacts_without_work_order(user: Any, *, now: datetime) -> QuerySet:
    """WO-1: answered contacts of the user's scope whose completion time passed with no work order.

    The completion time is the one a work order would have had (WO-4, D8), so a contact shows up
    here exactly when its work order would have been late.
    """
    from banzu.contact import selectors as contact_selectors

    actor = scoping.actor_for(user)
    if actor.centre_id is None:
        return contact_selectors.contacts_visible_to(user).none()
    minutes = policy("workorders.completion_minutes", actor.centre_id)
    return (
        contact_selectors.contacts_visible_to(user)
        .filter(
            centre_id=actor.centre_id,
            answered_at__isnull=False,
            ended_at__lte=now - timedelta(minutes=minutes),
            work_orders__isnull=True,
        )
        .order_by("-ended_at", "-pk")
    )
