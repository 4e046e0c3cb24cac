"""Writes of work orders (WO-2 … WO-12). Each service is one transaction: it checks permission and
scope, validates, applies the rules, saves, writes the step (WO-8) and the history, and notifies.

Every change to a work order locks its row (``select_for_update``), so two hand-overs or a close
racing a hand-over are decided one after the other, each seeing the other's result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from banzu.contact.models import Contact
from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.core.errors import Conflict, NotAllowed, OutOfScope, invalid
from banzu.core.policies import policy
from banzu.core.roles import Role
from banzu.knowledge.models import ArticleVersion
from banzu.org.models import Department, Employee
from banzu.workorders import rules, selectors
from banzu.workorders.models import (
    AnswerBasis,
    Category,
    CategoryForm,
    ConsultationMode,
    CustomFieldDefinition,
    CustomFieldIndex,
    DutyAssignment,
    FieldType,
    Notification,
    Status,
    WorkOrder,
    WorkOrderCounter,
    WorkOrderStep,
)

NOTE_MAX_LENGTH = 2000

# --- messages: one whole sentence per rule code ----------------------------------------------------

REQUIRED = {
    "category": _("Choose the work order category."),
    "location": _("Enter the event location."),
    "summary": _("Enter the event summary."),
    "caller_number": _("Enter the caller number."),
    "customer_name": _("Enter the customer name."),
    "contact_ref": _("Enter the contact reference."),
    "responsible_unit": _("Choose the responsible unit."),
    "consultation_mode": _("Choose how the consultation is handled."),
    "answer_basis_kind": _("Choose what the answer is based on."),
    "answer_basis": _("Enter the article, law or policy the answer cites."),
    "answer": _("Enter the answer given to the customer."),
    "due_at": _("Enter the due time."),
    "note": _("Enter the comment."),
    "outcome": _("Enter the outcome."),
}
MESSAGES = {
    "max_length": _("Enter at most %(max)s characters."),
    "consultation_only": _("Only a consultation has a handling mode; leave it empty for this category."),
    "target_required": _("Choose the department or the person to hand the work order over to."),
    "due_not_ahead": _("The due time must be later than now."),
    "no_urgent_recipient": _(
        "No shift lead is on duty and the responsible unit has no head. "
        "Choose a responsible unit with a head, or record the shift lead on duty."
    ),
    "unknown_field": _("%(key)s is not a field of this category."),
    "invalid_text": _("%(label)s: enter text."),
    "invalid_number": _("%(label)s: enter a number."),
    "invalid_date": _("%(label)s: enter a date as YYYY-MM-DD."),
    "invalid_boolean": _("%(label)s: choose yes or no."),
    "custom_required": _("Fill in %(label)s."),
    "custom_max_length": _("%(label)s: enter at most %(max)s characters."),
    "custom_invalid_choice": _("%(label)s: %(value)s is not one of the choices."),
}


def _message(problem: rules.Problem, labels: Mapping[str, str]) -> tuple[Any, dict]:
    params = dict(problem.params)
    if problem.field.startswith("custom_values."):
        params["label"] = labels.get(problem.field.split(".", 1)[1], problem.field)
        key = {"required": "custom_required", "max_length": "custom_max_length"}.get(problem.code, problem.code)
        if key == "invalid_choice":
            key = "custom_invalid_choice"
        return MESSAGES[key], params
    if problem.code == "required":
        return REQUIRED[problem.field], params
    if problem.code == "invalid_choice":
        return _("Choose one of the listed options."), params
    return MESSAGES[problem.code], params


def _raise_problems(problems: list[rules.Problem], labels: Mapping[str, str] | None = None) -> None:
    """All problems at once, each on its field, each a whole sentence with its rule code."""
    if not problems:
        return
    errors: dict[str, list[ValidationError]] = {}
    for problem in problems:
        message, params = _message(problem, labels or {})
        errors.setdefault(problem.field, []).append(ValidationError(message, code=problem.code, params=params))
    raise ValidationError(errors)


# --- helpers ---------------------------------------------------------------------------------------


def _recorded_by(instance: Any, user: Any) -> Any:
    """Name the user in the history row; services also run where there is no request."""
    if getattr(user, "pk", None):
        instance._history_user = user
    return instance


def _acting_employee(user: Any) -> Employee:
    actor = scoping.actor_for(user)
    if actor.employee_id is None:
        raise NotAllowed(_("Only an employee of the centre can work on work orders."), code="no_employee")
    return Employee.objects.select_related("centre", "team", "department").get(pk=actor.employee_id)


def _lock(user: Any, work_order_id: Any, action: str) -> WorkOrder:
    """403 when no role allows `action`, 404 when out of scope, else the row, locked."""
    scoping.ensure_can(user, action)
    found = selectors.work_order_for(user, work_order_id, action=action)
    return WorkOrder.objects.select_for_update().get(pk=found.pk)


def _ensure_open(work_order: WorkOrder) -> None:
    if work_order.status == Status.CLOSED:
        raise Conflict(_("This work order is closed and cannot be changed."), code="closed")


def _clean_note(note: str | None, field: str = "note", *, required: bool = True) -> str:
    note = (note or "").strip()
    if required and not note:
        _raise_problems([rules.Problem(field, "required")])
    if len(note) > NOTE_MAX_LENGTH:
        _raise_problems([rules.Problem(field, "max_length", {"max": NOTE_MAX_LENGTH})])
    return note


def _unit_of_centre(unit: Department | None, centre_id: int, field: str) -> Department | None:
    if unit is not None and unit.centre_id != centre_id:
        raise invalid(field, _("Choose a department of your centre."), code="other_centre")
    return unit


def _recorded_contact(user: Any, contact_id: Any, centre_id: int) -> Contact:
    """WO-1: the contact the order records, one the user may see, of the centre, already ended."""
    from banzu.contact import selectors as contact_selectors

    contact = contact_selectors.contacts_visible_to(user).filter(pk=selectors.int_or_none(contact_id)).first()
    if contact is None or contact.centre_id != centre_id:
        raise invalid("contact", _("There is no such contact among those you may see."), code="unknown_contact")
    if contact.ended_at is None:
        raise invalid("contact", _("The contact has not ended yet; record it when it ends."), code="contact_live")
    return contact


def _cited_version(user: Any, version_id: Any) -> ArticleVersion:
    """KB-1: a version of a knowledge article the user may read; versions never change once saved."""
    from banzu.knowledge import selectors as knowledge_selectors

    try:
        return knowledge_selectors.version_readable_by(user, selectors.int_or_none(version_id))
    except OutOfScope:
        raise invalid(
            "answer_article_version",
            _("There is no such knowledge article version among those you may read."),
            code="unknown_version",
        ) from None


def _citation(version: ArticleVersion) -> str:
    return _stored_text(_("%(title)s (version %(number)s)") % {"title": version.title, "number": version.number})


def _step(
    work_order: WorkOrder, user: Any, actor: Employee | None, kind: str, at: datetime, **fields: Any
) -> WorkOrderStep:
    step = WorkOrderStep(work_order=work_order, kind=kind, actor=actor, at=at, **fields)
    _recorded_by(step, user).save()
    return step


def _refresh_next_due(work_order: WorkOrder) -> None:
    work_order.next_due_at = rules.next_due_at(
        status=work_order.status,
        handler_due_at=work_order.handler_due_at,
        callback_due_at=work_order.callback_due_at,
    )


def _move(work_order: WorkOrder, to_status: str) -> str:
    from_status = work_order.status
    if not rules.can_move(from_status, to_status):
        raise Conflict(
            _("A work order that is %(status)s cannot become %(target)s.")
            % {"status": Status(from_status).label, "target": Status(to_status).label},
            code="wrong_status",
        )
    work_order.status = to_status
    return from_status


def _stored_text(text: Any) -> str:
    """Text kept in a row (notice, step note) is rendered once, in the product's language
    (Chinese by default), whatever language the person acting reads."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _notify(*, recipient_id: int, kind: str, work_order: WorkOrder, text: Any, at: datetime) -> Notification:
    return Notification.objects.create(
        recipient_id=recipient_id,
        kind=kind,
        text=_stored_text(text)[:500],
        link=reverse("workorders:detail", args=[work_order.pk]),
        work_order=work_order,
        created_at=at,
    )


def _urgent_notice(work_order: WorkOrder) -> Any:
    return _("Urgent work order %(number)s: %(title)s") % {"number": work_order.number, "title": work_order.title}


def _next_number(centre: Any, now: datetime) -> str:
    """The next number of the centre's local day, e.g. 2024031400123.

    The counter row's UPDATE takes a row lock held until commit, so concurrent creators queue and
    no number is given twice; the first order of a day creates the row, and a creator that loses
    that race (unique constraint) increments the winner's row instead.
    """
    day = now.astimezone(centre_zone(centre)).date()
    rows = WorkOrderCounter.objects.filter(centre=centre, day=day)
    if not rows.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                WorkOrderCounter.objects.create(centre=centre, day=day, last=1)
            return rules.work_order_number(day, 1)
        except IntegrityError:
            rows.update(last=F("last") + 1)
    return rules.work_order_number(day, rows.values_list("last", flat=True).get())


def _custom_labels(definitions: list[CustomFieldDefinition]) -> dict[str, str]:
    return {definition.key: definition.label for definition in definitions}


def _write_field_index(work_order: WorkOrder, definitions: list[CustomFieldDefinition]) -> None:
    """Rewrite the search rows of the order's custom values, in the caller's transaction."""
    CustomFieldIndex.objects.filter(work_order=work_order).delete()
    rows = []
    for definition in definitions:
        value = work_order.custom_values.get(definition.key)
        if value is not None:
            spec = selectors.field_spec(definition)
            rows.append(
                CustomFieldIndex(work_order=work_order, definition=definition, value=rules.index_value(spec, value))
            )
    CustomFieldIndex.objects.bulk_create(rows)


def _validate_content(
    *,
    centre_id: int,
    category: str,
    values: Mapping[str, Any],
    custom_values: Mapping[str, Any],
) -> tuple[dict[str, Any], list[CustomFieldDefinition]]:
    """WO-2, WO-3, WO-5: every problem of the form at once. Returns the typed custom values."""
    if category not in Category.values:
        _raise_problems([rules.Problem("category", "required" if not category else "invalid_choice")])
    problems = rules.title_problems(values.get("location"), values.get("summary"))
    problems += rules.missing_fields(selectors.configured_required_fields(centre_id, category), values)
    problems += rules.consultation_problems(
        category=category,
        mode=values.get("consultation_mode"),
        answer=values.get("answer"),
        basis_kind=values.get("answer_basis_kind"),
        basis=values.get("answer_basis"),
    )
    if values.get("answer_basis_kind") and values["answer_basis_kind"] not in AnswerBasis.values:
        problems.append(rules.Problem("answer_basis_kind", "invalid_choice"))
    for name, limit in (("caller_number", 30), ("customer_name", 50), ("contact_ref", 64), ("answer_basis", 200)):
        if len(values.get(name) or "") > limit:
            problems.append(rules.Problem(name, "max_length", {"max": limit}))
    if len(values.get("answer") or "") > NOTE_MAX_LENGTH:
        problems.append(rules.Problem("answer", "max_length", {"max": NOTE_MAX_LENGTH}))
    definitions = list(selectors.field_definitions(centre_id, category))
    typed, custom_problems = rules.clean_custom_values(
        [selectors.field_spec(definition) for definition in definitions], custom_values or {}
    )
    _raise_problems(problems + custom_problems, _custom_labels(definitions))
    return typed, definitions


def _route(work_order: WorkOrder, recipient: rules.Recipient, *, user: Any, actor: Employee, now: datetime, kind: str):
    """Give the order to the shift lead on duty or the unit head (WO-6, WO-7) and tell them."""
    from_handler_id, from_status = work_order.handler_id, _move(work_order, Status.ASSIGNED)
    work_order.handler_id = recipient.employee_id
    note = _stored_text(
        _("To the shift lead on duty.")
        if recipient.reason == rules.SHIFT_LEAD
        else _("No shift lead on duty: to the head of the responsible unit.")
    )
    _step(
        work_order,
        user,
        actor,
        kind,
        now,
        from_status=from_status,
        to_status=Status.ASSIGNED,
        from_handler_id=from_handler_id,
        to_handler_id=recipient.employee_id,
        to_unit=work_order.responsible_unit,
        note=note,
    )


# --- create and update ------------------------------------------------------------------------------


@transaction.atomic
def create_work_order(
    *,
    user: Any,
    category: str,
    location: str,
    summary: str,
    now: datetime,
    caller_number: str = "",
    customer_name: str = "",
    contact_ref: str = "",
    contact_ended_at: datetime | None = None,
    urgent: bool = False,
    consultation_mode: str = "",
    answer: str = "",
    answer_basis_kind: str = "",
    answer_basis: str = "",
    responsible_unit: Department | None = None,
    custom_values: Mapping[str, Any] | None = None,
    transfer_to_shift_lead: bool | None = None,
    borderline_with: str | None = None,
    contact_id: int | None = None,
    answer_article_version_id: int | None = None,
) -> WorkOrder:
    """Record a work order for a contact (WO-1 … WO-7).

    `contact_id`: the Banzu contact it records; its end time, caller number, customer name and
    switch call id fill what the caller leaves empty.
    `answer_article_version_id`: the knowledge article version the answer cites (KB-1, WO-5); it
    makes the basis a knowledge-base article and names it when the basis is left empty.
    `contact_ended_at` defaults to `now`; the completion clock (WO-4, D8) runs from it.
    `borderline_with`: the other category the agent thinks the case sits between (WO-2).
    `transfer_to_shift_lead`: None means the category's default (complaints and help requests, WO-6).
    """
    scoping.ensure_can(user, "workorders.create")
    owner = _acting_employee(user)
    centre = owner.centre
    _unit_of_centre(responsible_unit, centre.pk, "responsible_unit")
    if category in Category.values and borderline_with in Category.values:
        settled = rules.category_to_file(category, borderline_with)
        if settled != category:
            raise invalid(
                "category",
                _(
                    "A case between a consultation or suggestion and a complaint or help request is treated as "
                    "a complaint or help request. Choose %(category)s."
                ),
                code="borderline",
                params={"category": Category(settled).label},
            )
    contact = None
    if contact_id not in (None, ""):
        contact = _recorded_contact(user, contact_id, centre.pk)
        contact_ended_at = contact_ended_at or contact.ended_at
        caller_number = caller_number or contact.caller_number
        customer_name = customer_name or (contact.customer.name if contact.customer_id else "")
        contact_ref = contact_ref or contact.external_id or str(contact.pk)
    cited = None
    if answer_article_version_id not in (None, ""):
        cited = _cited_version(user, answer_article_version_id)
        answer_basis_kind = answer_basis_kind or AnswerBasis.KNOWLEDGE_ARTICLE
        if answer_basis_kind != AnswerBasis.KNOWLEDGE_ARTICLE:
            raise invalid(
                "answer_basis_kind",
                _("An answer that cites a knowledge article version is based on a knowledge base article."),
                code="citation_kind",
            )
        answer_basis = answer_basis or _citation(cited)
    contact_ended_at = contact_ended_at or now
    if contact_ended_at > now:
        raise invalid("contact_ended_at", _("The contact end time cannot be later than now."), code="in_future")
    values = {
        "location": rules.squeeze(location),
        "summary": rules.squeeze(summary),
        "caller_number": rules.normalise_phone(caller_number),
        "customer_name": rules.squeeze(customer_name),
        "contact_ref": (contact_ref or "").strip(),
        "responsible_unit": responsible_unit,
        "consultation_mode": consultation_mode or "",
        "answer": (answer or "").strip(),
        "answer_basis_kind": answer_basis_kind or "",
        "answer_basis": rules.squeeze(answer_basis),
    }
    typed, definitions = _validate_content(
        centre_id=centre.pk, category=category, values=values, custom_values=custom_values or {}
    )
    if transfer_to_shift_lead is None:
        transfer_to_shift_lead = rules.transfers_to_shift_lead_by_default(category)
    routing = rules.initial_routing(
        owner_id=owner.pk,
        urgent=urgent,
        transfer_to_shift_lead=transfer_to_shift_lead,
        consultation_mode=values["consultation_mode"],
        duties=selectors.duties_covering(centre.pk, now),
        at=now,
        unit_head_id=selectors.active_head_id(responsible_unit),
    )
    if isinstance(routing, rules.Problem):
        _raise_problems([routing])

    due = rules.completion_due_at(contact_ended_at, policy("workorders.completion_minutes", centre))
    callback_due = None
    if values["consultation_mode"] == ConsultationMode.DELAYED_ANSWER:
        callback_due = rules.callback_due_at(
            contact_ended_at, policy("workorders.delayed_answer_callback_minutes", centre)
        )
    work_order = WorkOrder(
        centre=centre,
        number=_next_number(centre, now),
        category=category,
        title=rules.compose_title(values["location"], values["summary"]),
        urgent=urgent,
        status=Status.NEW,
        owner=owner,
        team=owner.team,
        department=owner.department,
        handler=owner,
        contact_ended_at=contact_ended_at,
        completion_due_at=due,
        # The form is complete when it is saved: every required field was checked above.
        completed_at=now,
        completion_overdue=rules.is_overdue(due, now),
        callback_due_at=callback_due,
        custom_values=typed,
        contact=contact,
        answer_article_version=cited,
        created_at=now,
        updated_at=now,
        **values,
    )
    first_status = Status.AWAITING_CALLBACK if routing.status == Status.AWAITING_CALLBACK else Status.NEW
    work_order.status = first_status
    _refresh_next_due(work_order)
    _recorded_by(work_order, user).save()
    _write_field_index(work_order, definitions)
    _step(
        work_order,
        user,
        owner,
        WorkOrderStep.Kind.CREATED,
        now,
        to_status=first_status,
        to_handler=owner,
        to_unit=responsible_unit,
        due_at=due,
    )
    if routing.recipient is not None:
        kind = WorkOrderStep.Kind.MARKED_URGENT if urgent else WorkOrderStep.Kind.ASSIGNED
        _route(work_order, routing.recipient, user=user, actor=owner, now=now, kind=kind)
        _refresh_next_due(work_order)
        _recorded_by(work_order, user).save()
        if routing.recipient.employee_id != owner.pk:
            _notify(
                recipient_id=routing.recipient.employee_id,
                kind=Notification.Kind.URGENT_WORK_ORDER if urgent else Notification.Kind.WORK_ORDER_ASSIGNED,
                work_order=work_order,
                text=_urgent_notice(work_order) if urgent else _assigned_notice(work_order),
                at=now,
            )
    return work_order


def _assigned_notice(work_order: WorkOrder) -> Any:
    return _("Work order %(number)s was handed to you: %(title)s") % {
        "number": work_order.number,
        "title": work_order.title,
    }


EDITABLE = (
    "category",
    "location",
    "summary",
    "caller_number",
    "customer_name",
    "contact_ref",
    "responsible_unit",
    "consultation_mode",
    "answer",
    "answer_basis_kind",
    "answer_basis",
    "custom_values",
    "answer_article_version",
)


@transaction.atomic
def update_work_order(*, user: Any, work_order_id: int, changes: Mapping[str, Any], now: datetime) -> WorkOrder:
    """Complete or correct the record (WO-3, WO-4). Status, handler and deadlines change elsewhere."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    work_order = _lock(user, work_order_id, "workorders.update")
    _ensure_open(work_order)
    actor = _acting_employee(user)
    current = {name: getattr(work_order, name) for name in EDITABLE}
    merged = {**current, **changes}
    if merged["category"] != current["category"] and "custom_values" not in changes:
        merged["custom_values"] = {}  # another category has other fields
    _unit_of_centre(merged["responsible_unit"], work_order.centre_id, "responsible_unit")
    category = merged["category"]
    values = {
        "location": rules.squeeze(merged["location"]),
        "summary": rules.squeeze(merged["summary"]),
        "caller_number": rules.normalise_phone(merged["caller_number"]),
        "customer_name": rules.squeeze(merged["customer_name"]),
        "contact_ref": (merged["contact_ref"] or "").strip(),
        "responsible_unit": merged["responsible_unit"],
        "consultation_mode": merged["consultation_mode"] or "",
        "answer": (merged["answer"] or "").strip(),
        "answer_basis_kind": merged["answer_basis_kind"] or "",
        "answer_basis": rules.squeeze(merged["answer_basis"]),
    }
    cited = merged["answer_article_version"]
    if "answer_article_version" in changes and changes["answer_article_version"] is not None:
        cited = _cited_version(user, getattr(cited, "pk", cited))
    if values["answer_basis_kind"] != AnswerBasis.KNOWLEDGE_ARTICLE:
        cited = None  # the basis is no longer an article: nothing is cited
    elif cited is not None and not values["answer_basis"]:
        values["answer_basis"] = _citation(cited)
    typed, definitions = _validate_content(
        centre_id=work_order.centre_id, category=category, values=values, custom_values=merged["custom_values"] or {}
    )
    after = {**values, "category": category, "custom_values": typed, "answer_article_version": cited}
    changed = [name for name in EDITABLE if after[name] != current[name]]
    if not changed:
        return work_order
    for name in changed:
        setattr(work_order, name, after[name])
    work_order.title = rules.compose_title(values["location"], values["summary"])
    if values["consultation_mode"] == ConsultationMode.DELAYED_ANSWER:
        if work_order.callback_due_at is None:
            work_order.callback_due_at = rules.callback_due_at(
                work_order.contact_ended_at, policy("workorders.delayed_answer_callback_minutes", work_order.centre_id)
            )
    else:
        work_order.callback_due_at = None
    work_order.updated_at = now
    _refresh_next_due(work_order)
    _recorded_by(work_order, user).save()
    _write_field_index(work_order, definitions)
    labels = [_stored_text(WorkOrder._meta.get_field(name).verbose_name) for name in changed]
    _step(work_order, user, actor, WorkOrderStep.Kind.UPDATED, now, note="、".join(labels))
    return work_order


# --- hand-over, accept, comment, close (WO-8) ------------------------------------------------------------


@transaction.atomic
def hand_over_work_order(
    *,
    user: Any,
    work_order_id: int,
    due_at: datetime | None,
    now: datetime,
    to_department: Department | None = None,
    to_employee: Employee | None = None,
    note: str = "",
) -> WorkOrder:
    """Pass the order to a department and/or a person with a due time (流转, WO-8).

    A person alone brings their department as the responsible unit; a department alone goes to its
    head, or waits in the unit when it has none.
    """
    work_order = _lock(user, work_order_id, "workorders.hand_over")
    _ensure_open(work_order)
    actor = _acting_employee(user)
    note = _clean_note(note, required=False)
    _raise_problems(
        rules.hand_over_problems(
            to_unit_id=getattr(to_department, "pk", None),
            to_handler_id=getattr(to_employee, "pk", None),
            due_at=due_at,
            now=now,
        )
    )
    _unit_of_centre(to_department, work_order.centre_id, "to_department")
    if to_employee is not None and (
        to_employee.centre_id != work_order.centre_id or to_employee.status == Employee.Status.LEFT
    ):
        raise invalid("to_employee", _("Choose a current employee of your centre."), code="other_centre")
    unit = to_department or to_employee.department
    handler_id = to_employee.pk if to_employee is not None else selectors.active_head_id(unit)
    if handler_id == work_order.handler_id and unit.pk == work_order.responsible_unit_id:
        raise invalid("to_employee", _("The work order is already with this handler."), code="unchanged")
    from_handler_id, from_unit_id = work_order.handler_id, work_order.responsible_unit_id
    from_status = _move(work_order, Status.HANDED_OVER)
    work_order.handler_id = handler_id
    work_order.responsible_unit = unit
    work_order.handler_due_at = due_at
    work_order.updated_at = now
    _refresh_next_due(work_order)
    _recorded_by(work_order, user).save()
    _step(
        work_order,
        user,
        actor,
        WorkOrderStep.Kind.HANDED_OVER,
        now,
        from_status=from_status,
        to_status=Status.HANDED_OVER,
        from_handler_id=from_handler_id,
        to_handler_id=handler_id,
        from_unit_id=from_unit_id,
        to_unit=unit,
        due_at=due_at,
        note=note,
    )
    if handler_id is not None and handler_id != actor.pk:
        _notify(
            recipient_id=handler_id,
            kind=Notification.Kind.WORK_ORDER_ASSIGNED,
            work_order=work_order,
            text=_assigned_notice(work_order),
            at=now,
        )
    return work_order


@transaction.atomic
def accept_work_order(*, user: Any, work_order_id: int, now: datetime) -> WorkOrder:
    """The handler (or, for an order waiting in a unit, a member of that unit) takes it on."""
    work_order = _lock(user, work_order_id, "workorders.accept")
    _ensure_open(work_order)
    actor = _acting_employee(user)
    waiting_in_my_unit = work_order.handler_id is None and work_order.responsible_unit_id == actor.department_id
    if work_order.handler_id != actor.pk and not waiting_in_my_unit:
        raise NotAllowed(_("Only the current handler can accept this work order."), code="not_handler")
    if work_order.status not in (Status.ASSIGNED, Status.HANDED_OVER):
        raise Conflict(_("This work order has already been accepted."), code="wrong_status")
    from_status = _move(work_order, Status.IN_PROGRESS)
    from_handler_id = work_order.handler_id
    work_order.handler = actor
    work_order.updated_at = now
    _refresh_next_due(work_order)
    _recorded_by(work_order, user).save()
    _step(
        work_order,
        user,
        actor,
        WorkOrderStep.Kind.ACCEPTED,
        now,
        from_status=from_status,
        to_status=Status.IN_PROGRESS,
        from_handler_id=from_handler_id,
        to_handler=actor,
    )
    return work_order


@transaction.atomic
def add_comment(*, user: Any, work_order_id: int, note: str, now: datetime) -> WorkOrderStep:
    """WO-8: a comment is a step of the timeline; closed orders still take comments (feedback)."""
    work_order = _lock(user, work_order_id, "workorders.comment")
    actor = _acting_employee(user)
    note = _clean_note(note)
    work_order.updated_at = now
    _recorded_by(work_order, user).save(update_fields=["updated_at"])
    return _step(work_order, user, actor, WorkOrderStep.Kind.COMMENT, now, note=note)


@transaction.atomic
def close_work_order(
    *, user: Any, work_order_id: int, outcome: str, now: datetime, customer_informed: bool = False
) -> WorkOrder:
    """办结 with the outcome; the customer may be told it (feedback loop, WO-8).

    A delayed answer (WO-5) is recorded as the answer when none was written before.
    """
    work_order = _lock(user, work_order_id, "workorders.close")
    _ensure_open(work_order)
    actor = _acting_employee(user)
    outcome = _clean_note(outcome, "outcome")
    from_status = _move(work_order, Status.CLOSED)
    work_order.outcome = outcome
    work_order.customer_informed = bool(customer_informed)
    work_order.closed_at = now
    work_order.closed_by = actor
    if work_order.consultation_mode == ConsultationMode.DELAYED_ANSWER and not work_order.answer:
        work_order.answer = outcome
    work_order.updated_at = now
    _refresh_next_due(work_order)
    _recorded_by(work_order, user).save()
    _step(
        work_order,
        user,
        actor,
        WorkOrderStep.Kind.CLOSED,
        now,
        from_status=from_status,
        to_status=Status.CLOSED,
        from_handler_id=work_order.handler_id,
        note=outcome,
    )
    return work_order


@transaction.atomic
def mark_urgent(*, user: Any, work_order_id: int, now: datetime) -> WorkOrder:
    """WO-7: the title carries the urgent mark and the order goes at once to the shift lead on duty,
    else to the responsible unit's head, who is notified."""
    work_order = _lock(user, work_order_id, "workorders.mark_urgent")
    _ensure_open(work_order)
    if work_order.urgent:
        raise Conflict(_("This work order is already urgent."), code="already_urgent")
    actor = _acting_employee(user)
    recipient = rules.urgent_recipient(
        selectors.duties_covering(work_order.centre_id, now), now, selectors.active_head_id(work_order.responsible_unit)
    )
    if recipient is None:
        _raise_problems([rules.Problem("responsible_unit", "no_urgent_recipient")])
    work_order.urgent = True
    work_order.updated_at = now
    _route(work_order, recipient, user=user, actor=actor, now=now, kind=WorkOrderStep.Kind.MARKED_URGENT)
    _refresh_next_due(work_order)
    _recorded_by(work_order, user).save()
    _notify(
        recipient_id=recipient.employee_id,
        kind=Notification.Kind.URGENT_WORK_ORDER,
        work_order=work_order,
        text=_urgent_notice(work_order),
        at=now,
    )
    return work_order


@transaction.atomic
def record_staff_data_request(
    *, user: Any, work_order_id: int, department: Department | None, note: str, now: datetime
) -> WorkOrderStep:
    """WO-12: the caller asked for staff personal data or internal numbers; the agent gave the
    department's number, and the department head gets a notice."""
    work_order = _lock(user, work_order_id, "workorders.record_staff_data_request")
    actor = _acting_employee(user)
    note = _clean_note(note)
    if department is None:
        raise invalid("department", _("Choose the department the caller asked about."), code="required")
    _unit_of_centre(department, work_order.centre_id, "department")
    head_id = selectors.active_head_id(department)
    if head_id is None:
        raise invalid(
            "department",
            _("%(department)s has no head to notify. Ask an administrator to record the head.")
            % {"department": department.name},
            code="no_head",
        )
    step = _step(work_order, user, actor, WorkOrderStep.Kind.STAFF_DATA_REQUEST, now, to_unit=department, note=note)
    _notify(
        recipient_id=head_id,
        kind=Notification.Kind.STAFF_DATA_REQUEST,
        work_order=work_order,
        text=_(
            "Work order %(number)s: a caller asked for staff personal data or internal numbers of "
            "%(department)s and was given the department's number. %(note)s"
        )
        % {"number": work_order.number, "department": department.name, "note": note},
        at=now,
    )
    return step


@transaction.atomic
def mark_notification_read(*, user: Any, notification_id: int, now: datetime) -> Notification:
    found = selectors.notifications_for(user).filter(pk=notification_id).first()
    if found is None:
        raise OutOfScope()
    if found.read_at is None:
        found.read_at = now
        found.save(update_fields=["read_at"])
    return found


# --- configuration: custom fields, category forms, duty (WO-2, WO-3, WO-7) ---------------------------------


def _configuring_centre(user: Any, action: str) -> Any:
    scoping.ensure_can(user, action)
    return _acting_employee(user).centre


@transaction.atomic
def save_field_definition(
    *,
    user: Any,
    category: str,
    key: str,
    label: str,
    field_type: str,
    required: bool = False,
    choices: list[str] | None = None,
    order: int = 0,
    active: bool = True,
    definition_id: int | None = None,
) -> CustomFieldDefinition:
    """Define or change a custom field of a category's form, without code (WO-2, WO-9).

    The key and type of an existing field do not change: stored values and their index were typed
    by them. Deactivate the field and define a new one instead.
    """
    centre = _configuring_centre(user, "workorders.manage_fields")
    if category not in Category.values:
        raise invalid("category", REQUIRED["category"], code="invalid_choice")
    if field_type not in FieldType.values:
        raise invalid("field_type", _("Choose one of the listed options."), code="invalid_choice")
    label = rules.squeeze(label)
    if not label:
        raise invalid("label", _("Enter the label."), code="required")
    cleaned = [rules.squeeze(str(choice)) for choice in (choices or []) if rules.squeeze(str(choice))]
    if field_type == FieldType.CHOICE:
        if not cleaned:
            raise invalid("choices", _("Enter at least one choice."), code="required")
        if len(set(cleaned)) != len(cleaned):
            raise invalid("choices", _("Each choice can appear only once."), code="duplicate")
    else:
        cleaned = []
    if not re.fullmatch(r"[a-z0-9_-]{1,40}", key or ""):
        raise invalid("key", _("Enter a key of lower-case letters, digits, hyphens and underscores."), code="invalid")
    if definition_id is None:
        definition = CustomFieldDefinition(centre=centre, category=category, key=key, field_type=field_type)
        if CustomFieldDefinition.objects.filter(centre=centre, category=category, key=key).exists():
            raise invalid("key", _("This key is already used in the category; enter another."), code="unique")
    else:
        definition = CustomFieldDefinition.objects.select_for_update().filter(pk=definition_id, centre=centre).first()
        if definition is None:
            raise OutOfScope()
        if (definition.key, definition.field_type, definition.category) != (key, field_type, category):
            raise invalid(
                "field_type",
                _("The key, type and category of a field cannot change. Deactivate it and define a new field."),
                code="immutable",
            )
    definition.label = label
    definition.required = required
    definition.choices = cleaned
    definition.order = order
    definition.active = active
    _recorded_by(definition, user).save()
    return definition


@transaction.atomic
def set_category_form(*, user: Any, category: str, required_fields: list[str]) -> CategoryForm:
    """WO-3: which standard fields a category requires, for the user's centre."""
    centre = _configuring_centre(user, "workorders.manage_fields")
    if category not in Category.values:
        raise invalid("category", REQUIRED["category"], code="invalid_choice")
    if set(required_fields) - set(rules.CONFIGURABLE_FIELDS):
        raise invalid("required_fields", _("Choose one of the listed options."), code="invalid_choice")
    row = CategoryForm.objects.select_for_update().filter(centre=centre, category=category).first()
    row = row or CategoryForm(centre=centre, category=category)
    row.required_fields = list(rules.required_fields(category, required_fields))
    _recorded_by(row, user).save()
    return row


@transaction.atomic
def record_duty(*, user: Any, shift_lead: Employee, starts_at: datetime, ends_at: datetime) -> DutyAssignment:
    """WO-7: record who is the shift lead on duty from `starts_at` to `ends_at`."""
    centre = _configuring_centre(user, "workorders.manage_duty")
    if shift_lead.centre_id != centre.pk or shift_lead.status == Employee.Status.LEFT:
        raise invalid("shift_lead", _("Choose a current employee of your centre."), code="other_centre")
    if not shift_lead.roles.filter(role=Role.SHIFT_LEAD).exists():
        raise invalid(
            "shift_lead", _("%(name)s is not a shift lead.") % {"name": shift_lead.name}, code="not_shift_lead"
        )
    if ends_at <= starts_at:
        raise invalid("ends_at", _("The end must be later than the start."), code="ends_before_start")
    duty = DutyAssignment(centre=centre, shift_lead=shift_lead, starts_at=starts_at, ends_at=ends_at)
    _recorded_by(duty, user).save()
    return duty


# --- overdue sweep (WO-5, WO-8; DESIGN principle 5) ------------------------------------------------


def _overdue_notice(work_order: WorkOrder) -> Any:
    return _("Work order %(number)s is overdue: %(title)s") % {"number": work_order.number, "title": work_order.title}


def _overdue_recipient_id(work_order: WorkOrder) -> int:
    """Whoever must act now: the handler, else the head of the responsible unit, else the creator."""
    if work_order.handler_id:
        return work_order.handler_id
    return selectors.active_head_id(work_order.responsible_unit) or work_order.owner_id


def _not_yet_escalated(due: Any) -> Q:
    return Q(escalated_due_at__isnull=True) | ~Q(escalated_due_at=due)


def escalate_overdue(*, now: datetime, batch_size: int) -> list[int]:
    """Escalate up to `batch_size` open work orders whose running deadline (``next_due_at``: the
    hand-over or the delayed-answer callback) has passed; returns their ids.

    Each deadline is escalated exactly once, however often and on however many workers this
    runs: a row is claimed by a conditional update that only succeeds while its current deadline
    is not yet marked escalated, and the claim and the notice commit in one transaction, so a
    worker stopped mid-batch leaves each row either escalated with its notice or untouched.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    done = []
    with transaction.atomic():
        candidates = list(
            WorkOrder.objects.filter(next_due_at__lt=now)
            .exclude(status=Status.CLOSED)
            .filter(_not_yet_escalated(F("next_due_at")))
            .select_related("responsible_unit")
            .order_by("next_due_at", "pk")[:batch_size]
        )
        for work_order in candidates:
            due = work_order.next_due_at
            claimed = (
                WorkOrder.objects.filter(pk=work_order.pk, next_due_at=due)
                .exclude(status=Status.CLOSED)
                .filter(_not_yet_escalated(due))
                .update(escalated_due_at=due, escalated_at=now)
            )
            if not claimed:
                continue  # another worker escalated it, or it changed since it was read
            _notify(
                recipient_id=_overdue_recipient_id(work_order),
                kind=Notification.Kind.WORK_ORDER_OVERDUE,
                work_order=work_order,
                text=_overdue_notice(work_order),
                at=now,
            )
            done.append(work_order.pk)
    return done
