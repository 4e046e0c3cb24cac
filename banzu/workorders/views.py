"""Pages of work orders: list (saved views, filters, exact search, export), form, detail with the
timeline and hand-over, printable report. Views parse input, call a selector or service, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from banzu.core import scoping
from banzu.core.errors import Conflict
from banzu.core.policies import policy
from banzu.workorders import export, presentation, rules, selectors, services
from banzu.workorders.forms import (
    CloseForm,
    CommentForm,
    HandOverForm,
    StaffDataRequestForm,
    WorkOrderForm,
    apply_service_errors,
)
from banzu.workorders.models import (
    AnswerBasis,
    Category,
    CustomFieldDefinition,
    FieldType,
    Status,
    WorkOrder,
)

PAGE_SIZE = 50


def _partial(request) -> bool:
    # A history restore (back button after hx-push-url, cache miss) needs the whole page.
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def _done(request, url: str) -> HttpResponse:
    """After a successful write: htmx follows HX-Redirect, a plain form the 302."""
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _personal(request) -> bool:
    return presentation.shows_customer_data(request.user)


# --- list and export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    order: WorkOrder
    title: str
    caller_number: str
    customer_name: str
    remaining: timedelta | None


def _rows(orders, personal: bool, now) -> list[Row]:
    rows = []
    for order in orders:
        caller, name = presentation.caller(order, personal)
        rows.append(
            Row(order, presentation.display_title(order), caller, name, rules.remaining(order.next_due_at, now))
        )
    return rows


def work_order_list(request):
    scoping.ensure_can(request.user, "workorders.view")
    now = timezone.now()
    actor = scoping.actor_for(request.user)
    queryset = selectors.work_order_list(request.user, request.GET, now=now)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    filter_params = params.copy()
    filter_params.pop("sort", None)
    view_params = filter_params.copy()
    view_params.pop("view", None)
    context = {
        "page": page,
        "rows": _rows(page, _personal(request), now),
        "now": now,
        "sort": request.GET.get("sort", selectors.DEFAULT_SORT),
        "filters": request.GET,
        "query_string": params.urlencode(),
        "filter_query_string": filter_params.urlencode(),
        "view_query_string": view_params.urlencode(),
        "views": selectors.View.CHOICES,
        "current_view": request.GET.get("view", ""),
        "search_fields": selectors.search_fields_for(actor.centre_id),
        "categories": Category.choices,
        "statuses": Status.choices,
        "departments": selectors.departments_of_centre(actor.centre_id),
        "can_create": scoping.can(request.user, "workorders.create"),
        "can_export": scoping.can(request.user, "workorders.export"),
    }
    template = "workorders/_list_table.html" if _partial(request) else "workorders/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def work_order_export(request):
    """xlsx of the filtered list, restricted by the export scope (not only the view scope)."""
    scoping.ensure_can(request.user, "workorders.export")
    return export.xlsx_response(request.user, request.GET, now=timezone.now())


# --- contacts without a work order (WO-1) --------------------------------------------------------------


@require_GET
def contact_exceptions(request):
    """Answered contacts whose work order is missing after the completion time: record them now."""
    scoping.ensure_can(request.user, "workorders.view")
    now = timezone.now()
    page = Paginator(selectors.contacts_without_work_order(request.user, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    personal = scoping.can(request.user, "contact.view_customer_data")
    centre_id = scoping.actor_for(request.user).centre_id
    context = {
        "page": page,
        "rows": [(contact, presentation.contact_caller(contact, personal)) for contact in page],
        "can_create": scoping.can(request.user, "workorders.create"),
        "minutes": policy("workorders.completion_minutes", centre_id) if centre_id else None,
    }
    return render(request, "workorders/contact_exceptions.html", context)


# --- the form (create and edit) ----------------------------------------------------------------------


def _definitions(centre_id: int | None, category: str) -> list[CustomFieldDefinition]:
    if centre_id is None or category not in Category.values:
        return []
    return list(selectors.field_definitions(centre_id, category))


def _form_context(request, form: WorkOrderForm, *, category: str, order: WorkOrder | None = None) -> dict:
    actor = scoping.actor_for(request.user)
    centre_id = order.centre_id if order else actor.centre_id
    required = selectors.configured_required_fields(centre_id, category) if category in Category.values else ()
    data = form.data if form.is_bound else {}
    location, summary = rules.squeeze(data.get("location")), rules.squeeze(data.get("summary"))
    urgent = bool(data.get("urgent"))
    unit_id = str(data.get("responsible_unit", ""))
    unit = selectors.departments_of_centre(centre_id).filter(pk=int(unit_id)).first() if unit_id.isdigit() else None
    context = {
        "form": form,
        "order": order,
        "category": category,
        "categories": Category.choices,
        "is_consultation": category == Category.CONSULTATION,
        "callback_minutes": policy("workorders.delayed_answer_callback_minutes", centre_id),
        "title": (
            rules.compose_title(location, summary, urgent_mark=presentation.urgent_mark() if urgent else "")
            if location and summary
            else ""
        ),
        "urgent": urgent,
        "unit": unit,
        "editing": order is not None,
        "urgent_target": selectors.urgent_target(centre_id, unit, timezone.now()) if centre_id and not order else None,
    }
    for name in rules.CONFIGURABLE_FIELDS:
        context[f"required_{name}"] = name in required
    return context


PREFILL = ("caller_number", "customer_name", "contact_ref", "location", "summary")


@require_http_methods(["GET", "POST"])
def work_order_create(request):
    scoping.ensure_can(request.user, "workorders.create")
    actor = scoping.actor_for(request.user)
    now = timezone.now()
    source = request.POST if request.method == "POST" else request.GET
    category = source.get("category", "")
    definitions = _definitions(actor.centre_id, category)
    initial = {name: request.GET.get(name, "") for name in PREFILL}  # WO-11: filled from the screen pop
    initial["contact"] = request.GET.get("contact", "")  # WO-1: recorded from the exception list
    initial.update(
        {
            "category": category,
            "contact_ended_at": timezone.localtime(now).replace(second=0, microsecond=0),
            "transfer_to_shift_lead": category in rules.HEAVY_CATEGORIES,
        }
    )
    form = WorkOrderForm(
        request.POST if request.method == "POST" else None,
        centre_id=actor.centre_id,
        definitions=definitions,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            values = form.service_values()
            try:
                order = services.create_work_order(
                    user=request.user,
                    now=now,
                    urgent=data["urgent"],
                    transfer_to_shift_lead=data["transfer_to_shift_lead"],
                    borderline_with=data["borderline_with"] or None,
                    contact_ended_at=data["contact_ended_at"],
                    contact_id=data["contact"],
                    answer_article_version_id=values.pop("answer_article_version"),
                    **values,
                )
                messages.success(request, _("Work order %(number)s saved.") % {"number": order.number})
                return _done(request, reverse("workorders:detail", args=[order.pk]))
            except ValidationError as exc:
                apply_service_errors(form, exc)
        status = 422
    context = _form_context(request, form, category=category)
    template = "workorders/_form.html" if _partial(request) else "workorders/form.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def work_order_edit(request, pk: int):
    scoping.ensure_can(request.user, "workorders.update")
    order = selectors.work_order_for(request.user, pk, action="workorders.update")
    if order.is_closed:
        raise Conflict(_("This work order is closed and cannot be changed."), code="closed")
    category = request.POST.get("category", order.category) if request.method == "POST" else order.category
    definitions = _definitions(order.centre_id, category)
    initial = {
        name: getattr(order, name)
        for name in (
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
        )
    }
    initial["answer_article_version"] = order.answer_article_version_id
    for definition in definitions:
        value = order.custom_values.get(definition.key)
        if isinstance(value, bool):
            value = "true" if value else "false"
        initial[f"cf_{definition.key}"] = value
    form = WorkOrderForm(
        request.POST if request.method == "POST" else None,
        centre_id=order.centre_id,
        definitions=definitions,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_work_order(
                    user=request.user, work_order_id=order.pk, changes=form.service_values(), now=timezone.now()
                )
                messages.success(request, _("Work order %(number)s saved.") % {"number": order.number})
                return _done(request, reverse("workorders:detail", args=[order.pk]))
            except ValidationError as exc:
                apply_service_errors(form, exc)
        status = 422
    context = _form_context(request, form, category=category, order=order)
    template = "workorders/_form.html" if _partial(request) else "workorders/form.html"
    return render(request, template, context, status=status)


@require_GET
def category_fields(request):
    """The part of the form that depends on the category: mode, next step, custom fields."""
    scoping.ensure_can(request.user, "workorders.create")
    actor = scoping.actor_for(request.user)
    category = request.GET.get("category", "")
    form = WorkOrderForm(
        centre_id=actor.centre_id,
        definitions=_definitions(actor.centre_id, category),
        initial={"category": category, "transfer_to_shift_lead": category in rules.HEAVY_CATEGORIES},
    )
    context = _form_context(request, form, category=category)
    context["editing"] = request.GET.get("editing") == "1"
    return render(request, "workorders/_category_fields.html", context)


@require_GET
def form_preview(request):
    """The composed title and who an urgent order would go to now (WO-3, WO-7)."""
    scoping.ensure_can(request.user, "workorders.create")
    actor = scoping.actor_for(request.user)
    location, summary = rules.squeeze(request.GET.get("location")), rules.squeeze(request.GET.get("summary"))
    urgent = request.GET.get("urgent") in ("on", "1", "true")
    title = ""
    if location and summary:
        title = rules.compose_title(location, summary, urgent_mark=presentation.urgent_mark() if urgent else "")
    unit = None
    unit_id = request.GET.get("responsible_unit", "")
    if unit_id.isdigit():
        unit = selectors.departments_of_centre(actor.centre_id).filter(pk=int(unit_id)).first()
    editing = request.GET.get("editing") == "1"  # urgency changes on the detail page, not in the edit form
    target = selectors.urgent_target(actor.centre_id, unit, timezone.now()) if actor.centre_id and not editing else None
    return render(
        request,
        "workorders/_preview.html",
        {"title": title, "urgent": urgent, "urgent_target": target, "unit": unit},
    )


# --- detail, actions, print --------------------------------------------------------------------------


def _custom_display(order: WorkOrder) -> list[tuple[str, str]]:
    definitions = selectors.field_definitions(order.centre_id, order.category, active_only=False)
    shown = []
    for definition in definitions:
        value = order.custom_values.get(definition.key)
        if value is None:
            continue
        if definition.field_type == FieldType.BOOLEAN:
            value = _("Yes") if value else _("No")
        shown.append((definition.label, str(value)))
    return shown


ACTIONS = {
    "update": "workorders.update",
    "hand_over": "workorders.hand_over",
    "accept": "workorders.accept",
    "comment": "workorders.comment",
    "close": "workorders.close",
    "mark_urgent": "workorders.mark_urgent",
    "staff_data_request": "workorders.record_staff_data_request",
}


def _allowed(request, order: WorkOrder) -> dict[str, bool]:
    allowed = {}
    for name, action in ACTIONS.items():
        allowed[name] = (
            scoping.can(request.user, action)
            and selectors.work_orders_visible_to(request.user, action=action).filter(pk=order.pk).exists()
        )
    return allowed


def _detail_forms(order: WorkOrder, data=None, which: str = "") -> dict[str, Any]:
    departments = selectors.departments_of_centre(order.centre_id)
    bound = {name: (data if name == which else None) for name in ("hand_over", "comment", "close", "staff_data")}
    return {
        "hand_over_form": HandOverForm(
            bound["hand_over"], departments=departments, employees=selectors.handlers_of_centre(order.centre_id)
        ),
        "comment_form": CommentForm(bound["comment"]),
        "close_form": CloseForm(bound["close"]),
        "staff_data_form": StaffDataRequestForm(bound["staff_data"], departments=departments),
    }


def _detail_context(request, order: WorkOrder, forms: dict[str, Any]) -> dict[str, Any]:
    now = timezone.now()
    caller, name = presentation.caller(order, _personal(request))
    allowed = _allowed(request, order)
    actor = scoping.actor_for(request.user)
    can_accept = allowed["accept"] and (
        order.status in (Status.ASSIGNED, Status.HANDED_OVER)
        and (
            order.handler_id == actor.employee_id
            or (order.handler_id is None and order.responsible_unit_id == actor.department_id)
        )
    )
    return {
        "order": order,
        "title": presentation.display_title(order),
        "caller_number": caller,
        "customer_name": name,
        "remaining": rules.remaining(order.next_due_at, now),
        "steps": selectors.steps_of(order),
        "earlier": selectors.earlier_orders_of_caller(request.user, order),
        "custom_values": _custom_display(order),
        "allowed": allowed,
        "can_accept": can_accept,
        "is_open": not order.is_closed,
        "basis_kinds": AnswerBasis,
        **forms,
    }


def work_order_detail(request, pk: int):
    order = selectors.work_order_for(request.user, pk)
    return render(request, "workorders/detail.html", _detail_context(request, order, _detail_forms(order)))


def _post_action(request, pk: int, *, action: str, which: str, partial: str, run) -> HttpResponse:
    scoping.ensure_can(request.user, action)  # not allowed answers 403 before scope answers 404
    order = selectors.work_order_for(request.user, pk, action=action)
    forms = _detail_forms(order, request.POST, which)
    form = forms[f"{which}_form"]
    if form.is_valid():
        try:
            run(order, form.cleaned_data)
            messages.success(request, _("Operation succeeded."))
            return _done(request, reverse("workorders:detail", args=[order.pk]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
    context = _detail_context(request, order, forms)
    if _partial(request):
        return render(request, partial, context, status=422)
    return render(request, "workorders/detail.html", context, status=422)


@require_POST
def work_order_hand_over(request, pk: int):
    return _post_action(
        request,
        pk,
        action="workorders.hand_over",
        which="hand_over",
        partial="workorders/_hand_over_form.html",
        run=lambda order, data: services.hand_over_work_order(
            user=request.user,
            work_order_id=order.pk,
            to_department=data["to_department"],
            to_employee=data["to_employee"],
            due_at=data["due_at"],
            note=data["note"],
            now=timezone.now(),
        ),
    )


@require_POST
def work_order_comment(request, pk: int):
    return _post_action(
        request,
        pk,
        action="workorders.comment",
        which="comment",
        partial="workorders/_comment_form.html",
        run=lambda order, data: services.add_comment(
            user=request.user, work_order_id=order.pk, note=data["note"], now=timezone.now()
        ),
    )


@require_POST
def work_order_close(request, pk: int):
    return _post_action(
        request,
        pk,
        action="workorders.close",
        which="close",
        partial="workorders/_close_form.html",
        run=lambda order, data: services.close_work_order(
            user=request.user,
            work_order_id=order.pk,
            outcome=data["outcome"],
            customer_informed=data["customer_informed"],
            now=timezone.now(),
        ),
    )


@require_POST
def work_order_staff_data_request(request, pk: int):
    return _post_action(
        request,
        pk,
        action="workorders.record_staff_data_request",
        which="staff_data",
        partial="workorders/_staff_data_form.html",
        run=lambda order, data: services.record_staff_data_request(
            user=request.user,
            work_order_id=order.pk,
            department=data["department"],
            note=data["note"],
            now=timezone.now(),
        ),
    )


def _button_action(request, pk: int, action: str, run) -> HttpResponse:
    scoping.ensure_can(request.user, action)
    order = selectors.work_order_for(request.user, pk, action=action)
    try:
        run(order)
        messages.success(request, _("Operation succeeded."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return _done(request, reverse("workorders:detail", args=[order.pk]))


@require_POST
def work_order_accept(request, pk: int):
    return _button_action(
        request,
        pk,
        "workorders.accept",
        lambda order: services.accept_work_order(user=request.user, work_order_id=order.pk, now=timezone.now()),
    )


@require_POST
def work_order_mark_urgent(request, pk: int):
    return _button_action(
        request,
        pk,
        "workorders.mark_urgent",
        lambda order: services.mark_urgent(user=request.user, work_order_id=order.pk, now=timezone.now()),
    )


@require_GET
def work_order_print(request, pk: int):
    """WO-10: the standard printed report, A4, without navigation."""
    order = selectors.work_order_for(request.user, pk)
    caller, name = presentation.caller(order, _personal(request))
    return render(
        request,
        "workorders/print.html",
        {
            "order": order,
            "title": presentation.display_title(order),
            "caller_number": caller,
            "customer_name": name,
            "steps": selectors.steps_of(order),
            "custom_values": _custom_display(order),
            "printed_at": timezone.now(),
        },
    )
