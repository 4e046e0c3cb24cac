"""Planning pages: forecasts with their accuracy (WFM-1) and the what-if page (WFM-2, WFM-3).

The what-if page computes staffing through the API (``/api/v1/wfm/staffing/``) as the planner
types, saves scenarios through ``/api/v1/wfm/scenarios/``, and starts a simulation here with htmx,
polling its progress until the charts can be drawn.
"""

from __future__ import annotations

import json
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from banzu.core import scoping
from banzu.core.errors import Conflict
from banzu.wfm import selectors, services

PAGE_SIZE = 20


def _centre_id(request):
    return scoping.actor_for(request.user).centre_id


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _row(snapshot, accuracy) -> dict:
    return {
        "snapshot": snapshot,
        "accuracy": accuracy,
        "mape": _percent(accuracy.mape),
        "wape": _percent(accuracy.wape),
    }


@require_GET
def forecast_list(request):
    """WFM-1: forecasts newest first, each with its accuracy against the actuals so far."""
    scoping.ensure_can(request.user, "wfm.view_forecasts")
    now = timezone.now()
    page = Paginator(selectors.forecasts_visible_to(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_row(snapshot, selectors.snapshot_accuracy(snapshot, now=now)) for snapshot in page]
    can_plan = scoping.can(request.user, "wfm.plan")
    context = {
        "page": page,
        "rows": rows,
        "can_plan": can_plan,
        "queues": selectors.queues_for_planning(request.user) if can_plan else [],
        "interval_lengths": services.interval_lengths(_centre_id(request)) if can_plan else (),
        "errors": {},
        "values": {},
    }
    return render(request, "wfm/forecasts.html", context)


@require_POST
def forecast_create(request):
    scoping.ensure_can(request.user, "wfm.plan")
    values = request.POST
    try:
        start = date.fromisoformat(values.get("horizon_start", ""))
    except ValueError:
        start = None
    try:
        if start is None:
            raise ValidationError({"horizon_start": [_("Enter a date as YYYY-MM-DD.")]})
        snapshot = services.create_forecast(
            user=request.user,
            queue_id=values.get("queue"),
            interval_minutes=values.get("interval_minutes"),
            horizon_start=start,
            horizon_days=values.get("horizon_days"),
            aht_seconds=values.get("aht_seconds"),
            now=timezone.now(),
        )
    except ValidationError as exc:
        context = {
            "page": None,
            "rows": [],
            "can_plan": True,
            "queues": selectors.queues_for_planning(request.user),
            "interval_lengths": services.interval_lengths(_centre_id(request)),
            "errors": exc.message_dict,
            "values": values,
        }
        return render(request, "wfm/forecasts.html", context, status=422)
    messages.success(request, _("The forecast was created as a draft. Check it, then publish it."))
    return redirect(f"{reverse('wfm:what_if')}?snapshot={snapshot.pk}")


@require_POST
def forecast_publish(request, pk: int):
    scoping.ensure_can(request.user, "wfm.plan")
    try:
        services.publish_forecast(user=request.user, snapshot_id=pk, now=timezone.now())
    except Conflict as exc:
        messages.warning(request, str(exc.message))
    else:
        messages.success(request, _("The forecast was published."))
    return redirect("wfm:forecasts")


@require_GET
def what_if(request):
    """WFM-3: change volume, handle time, target, shrinkage or the schedule and see agents needed."""
    scoping.ensure_can(request.user, "wfm.plan")
    centre_id = _centre_id(request)
    forecasts = list(selectors.forecasts_visible_to(request.user, "wfm.plan")[:100])
    scenarios = list(selectors.scenarios_visible_to(request.user)[:50])
    chosen = None
    scenario = None
    if request.GET.get("scenario", "").isdigit():
        scenario = next((s for s in scenarios if s.pk == int(request.GET["scenario"])), None)
    if request.GET.get("snapshot", "").isdigit():
        chosen = next((f for f in forecasts if f.pk == int(request.GET["snapshot"])), None)
    if chosen is None and scenario is not None and scenario.snapshot_id:
        chosen = next((f for f in forecasts if f.pk == scenario.snapshot_id), None)
    if chosen is None and forecasts:
        chosen = forecasts[0]
    target = services.default_target(chosen.queue if chosen else None, centre_id)
    people = selectors.schedulable_people(request.user)
    context = {
        "forecasts": forecasts,
        "chosen": chosen,
        "scenarios": scenarios,
        "scenario": scenario,
        "scenario_inputs": scenario.inputs if scenario else {},
        "target": target,
        "shrinkage": services.clean_shrinkage(None, centre_id),
        "people": list(people),
        "simulation_available": services.simulation_available(),
    }
    return render(request, "wfm/what_if.html", context)


def _run_context(run) -> dict:
    done = run.status == "done"
    return {
        "run": run,
        "percent": round((run.progress or 0) * 100),
        "done": done,
        "failed": run.status == "failed",
        "result": run.result if done else None,
    }


@require_POST
def what_if_simulate(request):
    """Start a simulation of the page's inputs; answers the progress partial, which polls."""
    scoping.ensure_can(request.user, "wfm.plan")
    try:
        inputs = json.loads(request.POST.get("inputs") or "{}")
    except ValueError:
        inputs = None
    scenario_id = request.POST.get("scenario", "")
    try:
        if not isinstance(inputs, dict):
            raise ValidationError({"inputs": [_("Enter the scenario inputs.")]})
        run = services.run_scenario(
            user=request.user,
            inputs=inputs,
            scenario_id=int(scenario_id) if scenario_id.isdigit() else None,
            now=timezone.now(),
        )
    except ValidationError as exc:
        return render(request, "wfm/_run.html", {"errors": exc.messages}, status=422)
    except Conflict as exc:
        return render(request, "wfm/_run.html", {"errors": [str(exc.message)]}, status=422)
    return render(request, "wfm/_run.html", _run_context(run))


@require_GET
def what_if_run(request, pk: int):
    """Progress of a simulation run, polled by the page until it is done or failed."""
    scoping.ensure_can(request.user, "wfm.plan")
    run = selectors.simulation_run(request.user, pk)
    return render(request, "wfm/_run.html", _run_context(run))
