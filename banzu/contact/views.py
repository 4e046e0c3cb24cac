"""Pages of the contact app: interval statistics (CT-16), service-rule exceptions (CT-12) and the IVR
menu editor (CT-4). Views parse input, call a selector or service, render."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from banzu.contact import ivr, rules, selectors
from banzu.contact.models import IvrNode, ServiceException
from banzu.contact.statistics import LENGTH_KEYS
from banzu.core import calendar, scoping
from banzu.core.errors import OutOfScope
from banzu.core.policies import policies_for
from banzu.org.models import Centre

PAGE_SIZE = 50


def _zone(user):
    centre_id = scoping.actor_for(user).centre_id
    centre = Centre.objects.filter(pk=centre_id).only("timezone").first()
    return calendar.centre_zone(centre)


def _day(raw: str | None, zone) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return timezone.now().astimezone(zone).date()


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 1) if whole else None


# --- interval statistics (CT-16) ---------------------------------------------------------------------


@require_GET
def interval_statistics(request):
    """Per queue, the day's 15- or 30-minute intervals: a table and a chart."""
    scoping.ensure_can(request.user, "contact.view_interval_statistics")
    actor = scoping.actor_for(request.user)
    zone = _zone(request.user)
    day = _day(request.GET.get("day"), zone)
    lengths = rules.interval_lengths(*policies_for(actor.centre_id, LENGTH_KEYS).values()) if actor.centre_id else ()
    lengths = lengths or (15, 30)
    try:
        minutes = int(request.GET.get("minutes", lengths[0]))
    except ValueError:
        minutes = lengths[0]
    if minutes not in lengths:
        minutes = lengths[0]
    start = datetime.combine(day, time.min, tzinfo=zone)
    rows = (
        selectors.queue_intervals_visible_to(request.user)
        .filter(minutes=minutes, start__gte=start, start__lt=start + timedelta(days=1))
        .order_by("queue__code", "start")
    )
    by_queue: dict = defaultdict(list)
    for row in rows:
        by_queue[row.queue].append(
            {
                "row": row,
                "label": timezone.localtime(row.start, zone).strftime("%H:%M"),
                "service_level": rules.service_level(row.answered_within_threshold, row.offered),
                "asa": _ratio(row.wait_seconds, row.answered),
                "aht": _ratio(row.talk_seconds + row.hold_seconds + row.acw_seconds, row.handled or row.answered),
            }
        )
    queues = [{"queue": queue, "intervals": intervals} for queue, intervals in by_queue.items()]
    chart = [
        {
            "name": entry["queue"].name,
            "labels": [i["label"] for i in entry["intervals"]],
            "offered": [i["row"].offered for i in entry["intervals"]],
            "answered": [i["row"].answered for i in entry["intervals"]],
            "abandoned": [i["row"].abandoned for i in entry["intervals"]],
            "service_level": [
                None if i["service_level"] is None else round(i["service_level"], 1) for i in entry["intervals"]
            ],
        }
        for entry in queues
    ]
    context = {
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "minutes": minutes,
        "lengths": lengths,
        "queues": queues,
        "chart": {
            "series": chart,
            "labels": {
                "offered": _("Offered"),
                "answered": _("Answered"),
                "abandoned": _("Abandoned"),
                "service_level": _("Service level (%)"),
            },
        },
    }
    return render(request, "contact/interval_statistics.html", context)


# --- service-rule exceptions (CT-12) -----------------------------------------------------------------


@require_GET
def service_exceptions(request):
    """CT-12 exceptions for QA and team leaders, newest first, filtered by rule and day."""
    scoping.ensure_can(request.user, "contact.view_service_exceptions")
    zone = _zone(request.user)
    rows = selectors.service_exceptions_visible_to(request.user).order_by("-detected_at", "-pk")
    kind = request.GET.get("kind", "")
    if kind in ServiceException.Kind.values:
        rows = rows.filter(kind=kind)
    for name, lookup in (("since", "detected_at__gte"), ("until", "detected_at__lt")):
        raw = request.GET.get(name, "")
        try:
            chosen = date.fromisoformat(raw)
        except ValueError:
            continue
        if name == "until":
            chosen += timedelta(days=1)
        rows = rows.filter(**{lookup: datetime.combine(chosen, time.min, tzinfo=zone)})
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "kinds": ServiceException.Kind.choices,
        "filters": request.GET,
        "query_string": params.urlencode(),
    }
    return render(request, "contact/service_exceptions.html", context)


# --- IVR menu (CT-4) -----------------------------------------------------------------------------------


class IvrNodeForm(forms.Form):
    key = forms.CharField(label=gettext_lazy("Key"), max_length=1, required=False)
    label = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    prompt = forms.CharField(
        label=gettext_lazy("Prompt text"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    action = forms.ChoiceField(label=gettext_lazy("Leads to"), choices=IvrNode.Action.choices)
    queue = forms.ModelChoiceField(
        label=gettext_lazy("Queue"), queryset=IvrNode.objects.none(), required=False, empty_label="—"
    )
    answer = forms.CharField(
        label=gettext_lazy("Self-service answer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=gettext_lazy("Work-order category"), required=False)
    common_question = forms.BooleanField(label=gettext_lazy("Common question"), required=False)

    def __init__(self, *args, user, root: bool, **kwargs):
        from banzu.workorders.models import Category

        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = ivr.queues_for_menu(user)
        self.fields["category"].choices = [("", "—"), *Category.choices]
        if root:
            del self.fields["key"]
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
            if isinstance(field.widget, forms.Select):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.error_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@require_GET
def ivr_menu(request):
    """The centre's menu as a tree, with edit buttons for those who may change it."""
    scoping.ensure_can(request.user, "contact.view_ivr")
    nodes = list(selectors.ivr_nodes_visible_to(request.user))
    children: dict = defaultdict(list)
    for node in nodes:
        children[node.parent_id].append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: rules.IVR_KEYS.index(n.key) if n.key else -1)

    from banzu.workorders.models import Category

    categories = dict(Category.choices)

    def branch(node, path):
        here = [*path, node.key] if node.key else path
        return {
            "node": node,
            "path": " › ".join(here),
            "category": categories.get(node.category, ""),
            "children": [branch(c, here) for c in children[node.pk]],
        }

    roots = [branch(node, []) for node in children[None]]
    context = {"roots": roots, "can_edit": scoping.can(request.user, ivr.EDIT)}
    return render(request, "contact/ivr_menu.html", context)


def _node_values(form: forms.Form) -> dict:
    data = dict(form.cleaned_data)
    data["key"] = data.get("key", "")
    return data


@require_http_methods(["GET", "POST"])
def ivr_node_create(request):
    scoping.ensure_can(request.user, ivr.EDIT)
    parent_raw = request.GET.get("parent") or request.POST.get("parent") or ""
    parent = None
    if parent_raw:
        parent = (
            selectors.ivr_nodes_visible_to(request.user).filter(pk=parent_raw).first() if parent_raw.isdigit() else None
        )
        if parent is None:
            raise OutOfScope()
    form = IvrNodeForm(request.POST if request.method == "POST" else None, user=request.user, root=parent is None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ivr.create_node(
                    user=request.user,
                    parent_id=parent.pk if parent else None,
                    values=_node_values(form),
                    now=timezone.now(),
                )
                messages.success(request, _("Menu item saved."))
                return redirect(reverse("contact:ivr"))
            except ValidationError as exc:
                _apply_errors(form, exc)
        status = 422
    return render(request, "contact/ivr_node_form.html", {"form": form, "parent": parent, "node": None}, status=status)


@require_http_methods(["GET", "POST"])
def ivr_node_edit(request, pk: int):
    scoping.ensure_can(request.user, ivr.EDIT)
    node = selectors.ivr_nodes_visible_to(request.user).filter(pk=pk).first()
    if node is None:
        raise OutOfScope()
    initial = {name: getattr(node, name) for name in ivr.EDITABLE}
    data = request.POST if request.method == "POST" else None
    form = IvrNodeForm(data, user=request.user, root=node.parent_id is None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ivr.update_node(user=request.user, node_id=node.pk, values=_node_values(form), now=timezone.now())
                messages.success(request, _("Menu item saved."))
                return redirect(reverse("contact:ivr"))
            except ValidationError as exc:
                _apply_errors(form, exc)
        status = 422
    context = {"form": form, "parent": node.parent, "node": node}
    return render(request, "contact/ivr_node_form.html", context, status=status)


@require_POST
def ivr_node_delete(request, pk: int):
    scoping.ensure_can(request.user, ivr.EDIT)
    ivr.delete_node(user=request.user, node_id=pk, now=timezone.now())
    messages.success(request, _("Menu item deleted."))
    return redirect(reverse("contact:ivr"))
