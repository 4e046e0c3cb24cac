"""Pages of the core: home, log-in, calendar and policies."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.http import require_http_methods

from banzu.core import scoping, services
from banzu.core.errors import NotAllowed
from banzu.core.models import CalendarDay, CalendarYear, PolicyValue
from banzu.core.policies import REGISTRY, Kind, from_storage, policies_for
from banzu.core.roles import Role


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """API clients get the one JSON error shape even for a URL no route matches (say, /api/v1/x/0.5/)."""
    if _is_api(request):
        return JsonResponse({"code": "not_found", "message": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"code": "server_error", "message": _("Server error. Please try again.")}, status=500)
    return defaults.server_error(request)


# Role → the page they start from (ux.md "Navigation by role"). Later apps point these at their
# consoles; until then people start on the pages that exist.
HOME_FOR_ROLE = [
    (Role.HR, "org:roster"),
    (Role.TEAM_LEADER, "org:my_team"),
    (Role.SUPERVISOR, "org:tree"),
    (Role.MANAGER, "org:tree"),
]


def home(request):
    actor = scoping.actor_for(request.user)
    for role, url_name in HOME_FOR_ROLE:
        if actor.has_role(role):
            return redirect(url_name)
    if actor.employee_id:
        return redirect("org:employee", pk=actor.employee_id)
    return redirect("org:tree")


# --- calendar -----------------------------------------------------------------------------------


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=100, required=False)


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"))


def _apply_validation_error(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.error_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def calendar_page(request):
    scoping.ensure_can(request.user, "core.view_calendar")
    years = list(CalendarYear.objects.all())
    try:
        year = int(request.GET.get("year") or date.today().year)
    except ValueError:
        year = date.today().year
    if not date.min.year < year < date.max.year:
        year = date.today().year
    entry = next((item for item in years if item.year == year), None)
    days = {day.date: day for day in CalendarDay.objects.filter(date__year=year)} if entry else {}
    builder = month_calendar.Calendar(firstweekday=0)
    months = []
    for month in range(1, 13):
        weeks = [
            [(day, days.get(day)) if day.month == month else (None, None) for day in week]
            for week in builder.monthdatescalendar(year, month)
        ]
        months.append({"month": month, "weeks": weeks})
    can_edit = scoping.can(request.user, "core.change_calendar")
    day_form = CalendarDayForm()
    year_form = CalendarYearForm()
    if request.method == "POST":
        if not can_edit:
            raise NotAllowed()
        if "add_year" in request.POST:
            year_form = CalendarYearForm(request.POST)
            if year_form.is_valid():
                try:
                    services.add_calendar_year(user=request.user, year=year_form.cleaned_data["year"])
                    messages.success(request, _("Year added as a draft; mark its holidays, then publish it."))
                    return redirect(f"{request.path}?year={year_form.cleaned_data['year']}")
                except ValidationError as exc:
                    _apply_validation_error(year_form, exc)
        elif "publish" in request.POST:
            try:
                services.publish_calendar_year(user=request.user, year=year, published=request.POST["publish"] == "1")
                messages.success(request, _("Operation succeeded."))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect(f"{request.path}?year={year}")
        else:
            day_form = CalendarDayForm(request.POST)
            if day_form.is_valid():
                try:
                    services.set_calendar_day(user=request.user, **day_form.cleaned_data)
                    messages.success(request, _("Operation succeeded."))
                    return redirect(f"{request.path}?year={year}")
                except ValidationError as exc:
                    _apply_validation_error(day_form, exc)
    status = 422 if (day_form.errors or year_form.errors) else 200
    return render(
        request,
        "core/calendar.html",
        {
            "years": years,
            "year": year,
            "entry": entry,
            "months": months,
            "can_edit": can_edit,
            "day_form": day_form,
            "year_form": year_form,
            "kinds": CalendarDay.Kind,
            "weekday_names": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        },
        status=status,
    )


# --- policies -----------------------------------------------------------------------------------


def _centre_for(request):
    from banzu.org.models import Centre

    actor = scoping.actor_for(request.user)
    centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else Centre.objects.first()
    if centre is None:
        raise Http404
    return centre


class PolicyForm(forms.Form):
    value = forms.CharField(label=gettext_lazy("Value"), max_length=200, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason for the change"), max_length=100)


def _policy_groups(centre) -> list[dict]:
    values = policies_for(centre)
    groups: dict[str, list] = {}
    for key in sorted(REGISTRY):
        item = REGISTRY[key]
        groups.setdefault(item.app, []).append(
            {"item": item, "value": values[key], "is_default": values[key] == item.default}
        )
    from django.apps import apps

    labels = {config.label: config.verbose_name for config in apps.get_app_configs()}
    return [{"app": app, "label": labels.get(app, app), "rows": rows} for app, rows in groups.items()]


def policies_page(request):
    scoping.ensure_can(request.user, "core.view_policies")
    centre = _centre_for(request)
    query = request.GET.get("q", "").strip().lower()
    groups = _policy_groups(centre)
    if query:
        for group in groups:
            group["rows"] = [
                row
                for row in group["rows"]
                if query in row["item"].key.lower()
                or query in str(row["item"].label).lower()
                or query in row["item"].spec.lower()
            ]
        groups = [group for group in groups if group["rows"]]
    return render(
        request,
        "core/policies.html",
        {
            "centre": centre,
            "groups": groups,
            "query": request.GET.get("q", ""),
            "can_edit": scoping.can(request.user, "core.change_policies"),
            "count": len(REGISTRY),
        },
    )


POLICY_HISTORY_ROWS = 100


def _annotate_policy_changes(item, rows: list) -> None:
    """Give each history row (newest first) `old_value` and `new_value`, typed: old → new.

    A created row follows the default (first value, or the first after a reset); a deleted row
    is a reset, so its new value is the default.
    """
    for row, older in zip(rows, [*rows[1:], None], strict=False):
        if row.history_type == "-":
            row.old_value, row.new_value = from_storage(item, row.value), item.default
            continue
        before = item.default if older is None or older.history_type == "-" else from_storage(item, older.value)
        row.old_value, row.new_value = before, from_storage(item, row.value)


@require_http_methods(["GET", "POST"])
def policy_edit(request, key: str):
    scoping.ensure_can(request.user, "core.view_policies")
    item = REGISTRY.get(key)
    if item is None:
        raise Http404
    centre = _centre_for(request)
    can_edit = scoping.can(request.user, "core.change_policies")
    current = policies_for(centre, [key])[key]
    form = PolicyForm(initial={"value": current})
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise NotAllowed()
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                if "reset" in request.POST:
                    services.reset_policy(user=request.user, centre=centre, key=key, reason=form.cleaned_data["reason"])
                else:
                    services.set_policy(
                        user=request.user,
                        centre=centre,
                        key=key,
                        value=form.cleaned_data["value"],
                        reason=form.cleaned_data["reason"],
                    )
                messages.success(request, _("Policy saved."))
                return redirect("core:policy", key=key)
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        status = 422
    # One row more than shown, so that the oldest shown change still knows its old value.
    history = list(
        PolicyValue.history.filter(centre=centre, key=key)
        .select_related("history_user__employee")
        .order_by("-history_date", "-history_id")[: POLICY_HISTORY_ROWS + 1]
    )
    _annotate_policy_changes(item, history)
    history = history[:POLICY_HISTORY_ROWS]
    return render(
        request,
        "core/policy_edit.html",
        {
            "item": item,
            "current": current,
            "form": form,
            "can_edit": can_edit,
            "history": history,
            "kind_label": Kind.LABELS.get(item.kind, item.kind),
            "centre": centre,
        },
        status=status,
    )
