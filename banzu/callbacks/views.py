"""Pages of callbacks and on-site dispatch: campaigns, the agent's worklist with the script and the
outcome form, the dispatch board, satisfaction figures. Views parse input, call a selector or a
service, render."""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from banzu.callbacks import rules, selectors, services
from banzu.callbacks.forms import (
    AssignForm,
    AttemptForm,
    CampaignForm,
    CompleteForm,
    DispatchForm,
    OnsiteForm,
    ReviewForm,
    TaskForm,
    apply_service_errors,
)
from banzu.callbacks.models import CampaignStatus, Kind, OnsiteStatus
from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.org.models import Department


def _done(request, url: str) -> HttpResponse:
    """After a successful write: htmx follows HX-Redirect, a plain form the 302."""
    messages.success(request, _("Operation succeeded."))
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _today(request) -> date:
    from banzu.org.models import Centre

    centre = Centre.objects.filter(pk=scoping.actor_for(request.user).centre_id).first()
    return timezone.now().astimezone(centre_zone(centre)).date()


# --- campaigns -------------------------------------------------------------------------------------------


@require_GET
def campaign_list(request):
    scoping.ensure_can(request.user, "callbacks.view")
    campaigns = selectors.campaigns_visible_to(request.user).order_by("status", "-created_at", "-pk")
    return render(
        request,
        "callbacks/campaign_list.html",
        {"campaigns": campaigns[:200], "can_create": scoping.can(request.user, "callbacks.manage_campaigns")},
    )


def _departments(request):
    return scoping.restrict(Department.objects.all(), request.user, "callbacks.manage_campaigns").order_by("code")


@require_http_methods(["GET", "POST"])
def campaign_create(request):
    scoping.ensure_can(request.user, "callbacks.manage_campaigns")
    form = CampaignForm(request.POST or None, departments=_departments(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.create_campaign(
                    user=request.user,
                    name=data["name"],
                    kind=data["kind"],
                    region=data["region"],
                    department=data["department"],
                    script=data["script"],
                    starts_on=data["starts_on"],
                    collection_end=data["collection_end"],
                    sample_month=data["sample_month"],
                    now=timezone.now(),
                )
                return _done(request, reverse("callbacks:campaign_detail", args=[campaign.pk]))
            except ValidationError as exc:
                apply_service_errors(form, exc)
        status = 422
    return render(request, "callbacks/campaign_form.html", {"form": form}, status=status)


def _campaign_context(request, campaign, *, task_form=None) -> dict:
    can_manage = scoping.can(request.user, "callbacks.manage_campaigns") and campaign.status == CampaignStatus.ACTIVE
    people = selectors.assignable_people(request.user)
    return {
        "campaign": campaign,
        "tasks": selectors.tasks_of_campaign(request.user, campaign)[:500],
        "can_manage": can_manage,
        "can_assign": scoping.can(request.user, "callbacks.assign"),
        "people": people,
        "task_form": task_form or TaskForm(people=people),
        "can_draw": can_manage and campaign.kind == Kind.RESOLVED_SAMPLE and campaign.sampled_at is None,
    }


@require_GET
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    return render(request, "callbacks/campaign_detail.html", _campaign_context(request, campaign))


@require_POST
def campaign_add_task(request, pk: int):
    scoping.ensure_can(request.user, "callbacks.manage_campaigns")
    campaign = selectors.campaign_for(request.user, pk, action="callbacks.manage_campaigns")
    form = TaskForm(request.POST, people=selectors.assignable_people(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_task(
                user=request.user,
                campaign_id=campaign.pk,
                customer_name=data["customer_name"],
                phone=data["phone"],
                assignee=data["assignee"],
                note=data["note"],
                now=timezone.now(),
            )
            return _done(request, reverse("callbacks:campaign_detail", args=[campaign.pk]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
    context = _campaign_context(request, campaign, task_form=form)
    return render(request, "callbacks/campaign_detail.html", context, status=422)


def _button(request, url: str, run) -> HttpResponse:
    """A one-button action: a refused rule is shown on the page it returns to."""
    try:
        run()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(url)
    return _done(request, url)


@require_POST
def campaign_draw_sample(request, pk: int):
    scoping.ensure_can(request.user, "callbacks.manage_campaigns")
    campaign = selectors.campaign_for(request.user, pk, action="callbacks.manage_campaigns")
    return _button(
        request,
        reverse("callbacks:campaign_detail", args=[campaign.pk]),
        lambda: services.draw_monthly_sample(user=request.user, campaign_id=campaign.pk, now=timezone.now()),
    )


@require_POST
def campaign_close(request, pk: int):
    scoping.ensure_can(request.user, "callbacks.manage_campaigns")
    campaign = selectors.campaign_for(request.user, pk, action="callbacks.manage_campaigns")
    return _button(
        request,
        reverse("callbacks:campaign_detail", args=[campaign.pk]),
        lambda: services.close_campaign(user=request.user, campaign_id=campaign.pk, now=timezone.now()),
    )


# --- worklist and tasks ----------------------------------------------------------------------------------


@require_GET
def worklist(request):
    scoping.ensure_can(request.user, "callbacks.view")
    now = timezone.now()
    tasks = list(selectors.worklist_for(request.user)[:200])
    unassigned = (
        list(selectors.unassigned_tasks(request.user)[:200]) if scoping.can(request.user, "callbacks.assign") else []
    )
    today = _today(request)
    for task in [*tasks, *unassigned]:
        task.overdue = rules.task_overdue(task.status, task.due_at, now)
        task.retry_today = task.status == rules.RETRY and task.retry_on <= today
    return render(request, "callbacks/worklist.html", {"tasks": tasks, "unassigned": unassigned, "now": now})


def _task_context(request, task, *, attempt_form=None, assign_form=None) -> dict:
    actor = scoping.actor_for(request.user)
    can_assign = scoping.can(request.user, "callbacks.assign")
    may_call = scoping.can(request.user, "callbacks.call") and (
        task.assignee_id in (None, actor.employee_id) or can_assign
    )
    return {
        "task": task,
        "attempts": selectors.attempts_of(task),
        "can_call": task.is_open and may_call,
        "can_assign": task.is_open and can_assign,
        "attempt_form": attempt_form or AttemptForm(),
        "assign_form": assign_form or AssignForm(people=selectors.assignable_people(request.user)),
        "overdue": rules.task_overdue(task.status, task.due_at, timezone.now()),
    }


@require_GET
def task_detail(request, pk: int):
    task = selectors.task_for(request.user, pk)
    return render(request, "callbacks/task_detail.html", _task_context(request, task))


@require_POST
def task_attempt(request, pk: int):
    scoping.ensure_can(request.user, "callbacks.call")
    task = selectors.task_for(request.user, pk, action="callbacks.call")
    form = AttemptForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_attempt(
                user=request.user,
                task_id=task.pk,
                outcome=data["outcome"],
                rating=data["rating"],
                opinion=data["opinion"],
                note=data["note"],
                now=timezone.now(),
            )
            return _done(request, reverse("callbacks:task", args=[task.pk]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
    context = _task_context(request, task, attempt_form=form)
    template = "callbacks/_attempt_form.html" if request.htmx else "callbacks/task_detail.html"
    return render(request, template, context, status=422)


@require_POST
def task_assign(request, pk: int):
    scoping.ensure_can(request.user, "callbacks.assign")
    task = selectors.task_for(request.user, pk, action="callbacks.assign")
    form = AssignForm(request.POST, people=selectors.assignable_people(request.user))
    if form.is_valid():
        try:
            services.assign_task(
                user=request.user, task_id=task.pk, assignee=form.cleaned_data["assignee"], now=timezone.now()
            )
            back = _campaign_url(task) if request.POST.get("next_campaign") else _task_url(task)
            return _done(request, back)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "callbacks/task_detail.html", _task_context(request, task, assign_form=form), status=422)


def _task_url(task) -> str:
    return reverse("callbacks:task", args=[task.pk])


def _campaign_url(task) -> str:
    return reverse("callbacks:campaign_detail", args=[task.campaign_id])


# --- on-site dispatch ------------------------------------------------------------------------------------


@require_GET
def onsite_board(request):
    scoping.ensure_can(request.user, "callbacks.view")
    return render(
        request,
        "callbacks/onsite_board.html",
        {
            "columns": selectors.onsite_board(request.user, now=timezone.now()),
            "can_register": scoping.can(request.user, "callbacks.register_onsite"),
        },
    )


@require_http_methods(["GET", "POST"])
def onsite_create(request):
    scoping.ensure_can(request.user, "callbacks.register_onsite")
    form = OnsiteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order = services.register_onsite(user=request.user, now=timezone.now(), **form.cleaned_data)
                return _done(request, reverse("callbacks:onsite_detail", args=[order.pk]))
            except ValidationError as exc:
                apply_service_errors(form, exc)
        status = 422
    return render(request, "callbacks/onsite_form.html", {"form": form}, status=status)


STEPS = {
    # step in the URL: (action, form class, target status)
    "dispatch": ("callbacks.dispatch_onsite", DispatchForm, OnsiteStatus.DISPATCHED),
    "accept": ("callbacks.dispatch_onsite", None, OnsiteStatus.ACCEPTED),
    "complete": ("callbacks.dispatch_onsite", CompleteForm, OnsiteStatus.COMPLETED),
    "review": ("callbacks.review_onsite", ReviewForm, OnsiteStatus.REVIEWED),
}


def _onsite_context(request, order, *, step_form=None) -> dict:
    now = timezone.now()
    next_step = next(
        (name for name, (_a, _f, target) in STEPS.items() if rules.onsite_can_move(order.status, target)), None
    )
    form = None
    if next_step:
        action, form_class, _target = STEPS[next_step]
        if not scoping.can(request.user, action):
            next_step = None
        elif form_class is not None:
            form = step_form or form_class()
    reached = rules.ONSITE_STEPS.index(order.status)
    return {
        "order": order,
        "steps": [(value, label, index <= reached) for index, (value, label) in enumerate(OnsiteStatus.choices)],
        "next_step": next_step,
        "step_form": form,
        "overdue": rules.onsite_overdue(order.status, order.response_due_at, now),
        "callbacks": order.callback_tasks.select_related("campaign").order_by("pk"),
    }


@require_GET
def onsite_detail(request, pk: int):
    order = selectors.onsite_for(request.user, pk)
    return render(request, "callbacks/onsite_detail.html", _onsite_context(request, order))


@require_POST
def onsite_step(request, pk: int, step: str):
    if step not in STEPS:
        raise Http404()
    action, form_class, _target = STEPS[step]
    scoping.ensure_can(request.user, action)
    order = selectors.onsite_for(request.user, pk, action=action)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        data = form.cleaned_data if form else {}
        now = timezone.now()
        run = {
            "dispatch": lambda: services.dispatch_onsite(user=request.user, order_id=order.pk, now=now, **data),
            "accept": lambda: services.accept_onsite(user=request.user, order_id=order.pk, now=now),
            "complete": lambda: services.complete_onsite(user=request.user, order_id=order.pk, now=now, **data),
            "review": lambda: services.review_onsite(user=request.user, order_id=order.pk, now=now, **data),
        }[step]
        try:
            run()
            return _done(request, reverse("callbacks:onsite_detail", args=[order.pk]))
        except ValidationError as exc:
            if form is None:
                raise
            apply_service_errors(form, exc)
    return render(request, "callbacks/onsite_detail.html", _onsite_context(request, order, step_form=form), status=422)


# --- satisfaction ------------------------------------------------------------------------------------------

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@require_GET
def satisfaction(request):
    scoping.ensure_can(request.user, "callbacks.view_satisfaction")
    today = _today(request)
    year, month = today.year, today.month
    match = MONTH.match(request.GET.get("month", ""))
    if match and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
    group = request.GET.get("group", selectors.AGENT)
    if group not in (selectors.AGENT, selectors.TEAM):
        group = selectors.AGENT
    rows = selectors.satisfaction_figures(request.user, year=year, month=month, group=group)
    trend = selectors.satisfaction_trend(request.user, today=today)
    chart = {
        "months": [label for label, _figures in trend],
        "rates": [figures.rate for _label, figures in trend],
        "answers": [figures.answers for _label, figures in trend],
        "rate_label": _("Satisfaction (%)"),
        "answers_label": _("Answers"),
    }
    return render(
        request,
        "callbacks/satisfaction.html",
        {
            "rows": rows,
            "total": selectors.total(rows),
            "month": f"{year}-{month:02d}",
            "group": group,
            "chart": chart,
        },
    )
