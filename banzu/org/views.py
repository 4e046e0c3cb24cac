"""Pages of the organisation: tree, team, roster (search, filter, sort, export, import), employee."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from banzu.core import scoping
from banzu.core.errors import NotAllowed
from banzu.core.views import _apply_validation_error
from banzu.org import roster, selectors, services
from banzu.org.models import Employee, Position, StarTitle, Team

XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
    "application/zip",
}
SORTS = {
    "employee_no": "employee_no",
    "-employee_no": "-employee_no",
    "name": "name",
    "-name": "-name",
    "hire_date": "hire_date",
    "-hire_date": "-hire_date",
    "team": "team__code",
    "-team": "-team__code",
    "position": "position__rank",
    "-position": "-position__rank",
}


def tree(request):
    scoping.ensure_can(request.user, "org.view_structure")
    return render(request, "org/tree.html", {"departments": selectors.organisation_tree(request.user)})


def my_team(request):
    actor = scoping.actor_for(request.user)
    team_id = next(iter(sorted(actor.led_team_ids)), None) or actor.team_id
    if team_id is None:
        return redirect("org:tree")
    return redirect("org:team", pk=team_id)


def team_detail(request, pk: int):
    team = scoping.get_in_scope(
        Team.objects.select_related("department", "leader"), request.user, "org.view_structure", pk=pk
    )
    summary = selectors.team_summaries(request.user, Team.objects.filter(pk=team.pk).select_related("department"))[0]
    return render(request, "org/team.html", {"team": team, "summary": summary})


def _filtered_roster(request):
    queryset = selectors.roster_for(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(Q(employee_no__icontains=query) | Q(name__icontains=query))
    for field in ("team", "department"):
        value = request.GET.get(field, "")
        if value.isdigit():
            queryset = queryset.filter(**{f"{field}_id": int(value)})
    position = request.GET.get("position", "")
    if position:
        queryset = queryset.filter(position__code=position)
    status = request.GET.get("status", "")
    if status in Employee.Status.values:
        queryset = queryset.filter(status=status)
    sort = request.GET.get("sort", "employee_no")
    return queryset.order_by(SORTS.get(sort, "employee_no"), "pk"), sort


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Roster file (xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.BANZU_MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": settings.BANZU_MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="file_too_large",
            )
        if not upload.name.lower().endswith(".xlsx") or upload.content_type not in XLSX_TYPES:
            raise ValidationError(_("Upload an xlsx file."), code="file_type")
        return upload


def roster_page(request):
    scoping.ensure_can(request.user, "org.view_roster")
    queryset, sort = _filtered_roster(request)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    show_personal = scoping.can(request.user, "org.view_personal_data")
    from banzu.core.masking import mask_phone

    rows = [(employee, employee.phone if show_personal else mask_phone(employee.phone)) for employee in page]
    params = request.GET.copy()
    params.pop("page", None)
    # Sort links replace the sort and go back to page 1; they keep every filter.
    filter_params = params.copy()
    filter_params.pop("sort", None)
    context = {
        "page": page,
        "rows": rows,
        "sort": sort,
        "query_string": params.urlencode(),
        "filter_query_string": filter_params.urlencode(),
        "filters": request.GET,
        "teams": selectors.teams_visible_to(request.user),
        "departments": selectors.departments_visible_to(request.user),
        "positions": Position.objects.all(),
        "statuses": Employee.Status.choices,
        "can_export": scoping.can(request.user, "org.export_roster"),
        "can_import": scoping.can(request.user, "org.import_roster"),
        "import_form": ImportForm(),
    }
    # A history restore (back button after hx-push-url, cache miss) needs the whole page.
    partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    template = "org/_roster_table.html" if partial else "org/roster.html"
    response = render(request, template, context)
    # One URL answers with the page or the partial: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def roster_export(request):
    scoping.ensure_can(request.user, "org.export_roster")
    queryset, _sort = _filtered_roster(request)
    queryset = selectors.roster_for(request.user, action="org.export_roster").filter(pk__in=queryset.values("pk"))
    rows = selectors.roster_export_rows(
        queryset.order_by("employee_no"), show_personal_data=scoping.can(request.user, "org.view_personal_data")
    )
    data = roster.write_workbook(rows, title=_("Roster"))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="roster-{stamp}.xlsx"'
    return response


def roster_template(request):
    """An empty roster workbook with the header row, to fill in and import."""
    scoping.ensure_can(request.user, "org.import_roster")
    data = roster.write_workbook([], title=_("Roster"))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
def roster_import(request):
    scoping.ensure_can(request.user, "org.import_roster")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = services.import_roster(user=request.user, data=form.cleaned_data["file"].read())
            if result.ok:
                messages.success(
                    request,
                    _("Roster imported: %(created)s created, %(updated)s updated.")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("org:roster")
        status = 422
    errors = result.errors[: roster.MAX_ERRORS_SHOWN] if result else []
    return render(
        request,
        "org/roster_import.html",
        {
            "form": form,
            "result": result,
            "errors": errors,
            "more_errors": (len(result.errors) - len(errors)) if result else 0,
            "columns": roster.COLUMNS,
        },
        status=status,
    )


class PositionChangeForm(forms.Form):
    to_position = forms.ModelChoiceField(label=gettext_lazy("New position"), queryset=Position.objects.all())
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class TitleChangeForm(forms.Form):
    to_title = forms.ModelChoiceField(
        label=gettext_lazy("New star title"), queryset=StarTitle.objects.all(), required=False
    )
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


@require_http_methods(["GET", "POST"])
def employee_detail(request, pk: int):
    if request.method == "POST":  # not allowed answers 403 before scope answers 404, as in the API
        scoping.ensure_can(request.user, "org.change_position")
    employee = scoping.get_in_scope(selectors.roster_for(request.user), request.user, "org.view_roster", pk=pk)
    actor = scoping.actor_for(request.user)
    can_change = scoping.can(request.user, "org.change_position") and actor.employee_id != employee.pk
    position_form = PositionChangeForm(initial={"effective_date": timezone.localdate()})
    title_form = TitleChangeForm(initial={"effective_date": timezone.localdate(), "to_title": employee.star_title_id})
    status = 200
    if request.method == "POST":
        if not can_change:
            raise NotAllowed()
        try:
            if "change_position" in request.POST:
                position_form = PositionChangeForm(request.POST)
                if position_form.is_valid():
                    services.change_position(user=request.user, employee=employee, **position_form.cleaned_data)
                    messages.success(request, _("Position changed."))
                    return redirect("org:employee", pk=pk)
            else:
                title_form = TitleChangeForm(request.POST)
                if title_form.is_valid():
                    services.change_star_title(user=request.user, employee=employee, **title_form.cleaned_data)
                    messages.success(request, _("Star title changed."))
                    return redirect("org:employee", pk=pk)
        except ValidationError as exc:
            _apply_validation_error(position_form if "change_position" in request.POST else title_form, exc)
        status = 422
    # ORG-9: the person concerned and those allowed to see history.
    can_see_history = scoping.can(request.user, "org.view_history") or actor.employee_id == employee.pk
    show_personal = scoping.can(request.user, "org.view_personal_data") or actor.employee_id == employee.pk
    from banzu.core.masking import mask_email, mask_phone

    return render(
        request,
        "org/employee.html",
        {
            "employee": employee,
            "phone": employee.phone if show_personal else mask_phone(employee.phone),
            "email": employee.email if show_personal else mask_email(employee.email),
            "position_changes": employee.position_changes.select_related("from_position", "to_position", "recorded_by"),
            "title_changes": employee.title_changes.select_related("from_title", "to_title", "recorded_by"),
            "history": selectors.history_with_changes(employee) if can_see_history else None,
            "can_change": can_change,
            "position_form": position_form,
            "title_form": title_form,
        },
        status=status,
    )
