"""Routing set-up pages (CT-5): queues, skills and the agents' skill matrix.

Views parse input, call a selector or a ``queue_admin`` service, render.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from banzu.contact import queue_admin, rules, selectors
from banzu.contact.models import Channel, Queue, QueueHours, QueueSkill
from banzu.contact.views import PAGE_SIZE, _zone
from banzu.core import scoping
from banzu.core.errors import OutOfScope
from banzu.org.models import Employee, EmployeeSkill, Skill, Team
from banzu.workorders.export import XLSX, safe_cell

VIEW_MATRIX = "contact.view_skill_matrix"
LEVEL_CHOICES = [("", "—"), *((level, str(level)) for level in queue_admin.LEVELS)]


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def _query_string(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def xlsx_download(title: str, header: list[str], rows: Iterable[Iterable[Any]], filename: str) -> HttpResponse:
    """A one-sheet workbook with a bold header row; text cells guarded against formula injection."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    bold = Font(bold=True)
    cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- queues ----------------------------------------------------------------------------------------------


def _hours_summary(hours: Iterable[QueueHours]) -> str:
    """「周一 09:00–18:00；周六 …」: one line for the list; no periods means always open."""
    by_day: dict[int, list[str]] = {}
    for period in hours:
        by_day.setdefault(period.weekday, []).append(f"{period.opens:%H:%M}–{period.closes:%H:%M}")
    if not by_day:
        return _("Always open")
    return "；".join(f"{queue_admin.WEEKDAYS[day]} {' '.join(spans)}" for day, spans in sorted(by_day.items()))


@require_GET
def queue_list(request):
    """Every queue the user may set up, with what it needs and how many wait in it now."""
    scoping.ensure_can(request.user, queue_admin.MANAGE_QUEUES)
    rows = selectors.queues_managed_by(request.user).order_by("-active", "-priority", "code")
    show = request.GET.get("show", "")
    if show != "all":
        rows = rows.filter(active=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [
        {
            "queue": queue,
            "skills": list(queue.skills.all()),
            "hours": _hours_summary(queue.hours.all()),
        }
        for queue in page
    ]
    inactive = 0 if show == "all" else selectors.queues_managed_by(request.user).filter(active=False).count()
    context = {"page": page, "items": items, "show": show, "inactive": inactive, "query_string": _query_string(request)}
    return render(request, "contact/queue_list.html", context)


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = queue_admin.QUEUE_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        centre_id = scoping.actor_for(user).centre_id
        self.fields["department"].queryset = queue_admin.departments_for_queues(user)
        self.fields["department"].empty_label = None
        self.fields["channel"].queryset = Channel.objects.order_by("code")
        self.fields["channel"].empty_label = None
        overflow = Queue.objects.filter(centre_id=centre_id).order_by("code")
        if self.instance.pk:
            overflow = overflow.exclude(pk=self.instance.pk)
        self.fields["overflow_queue"].queryset = overflow
        self.fields["overflow_queue"].empty_label = _("No overflow")
        self.fields["service_level_percent"].widget.attrs.update(min=1, max=100)
        _style(self)

    def _post_clean(self):
        # The service validates against the locked rows and the centre; the form only parses.
        pass


class QueueSkillRow(forms.Form):
    skill = forms.ModelChoiceField(
        label=gettext_lazy("Skill"), queryset=Skill.objects.order_by("kind", "code"), required=False, empty_label="—"
    )
    min_level = forms.TypedChoiceField(
        label=gettext_lazy("Minimum level"),
        choices=[(level, str(level)) for level in queue_admin.LEVELS],
        coerce=int,
        initial=queue_admin.LEVELS[0],
    )


class QueueHoursRow(forms.Form):
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Weekday"), choices=list(enumerate(queue_admin.WEEKDAYS)), coerce=int
    )
    opens = forms.TimeField(label=gettext_lazy("Opens"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(
        label=gettext_lazy("Closes"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("opens")) != bool(data.get("closes")):
            field = "closes" if data.get("opens") else "opens"
            self.add_error(field, _("Enter both the opening and the closing time, or neither."))
        return data


SkillRows = forms.formset_factory(QueueSkillRow, extra=3)
HoursRows = forms.formset_factory(QueueHoursRow, extra=3)


def _queue_history(queue: Queue, zone) -> list[dict]:
    """The queue's changes, newest first: its own fields, its skills and its hours (ORG-9)."""
    entries = []
    previous = None
    for record in queue.history.select_related("history_user").order_by("history_date", "history_id"):
        what = _("Created") if record.history_type == "+" else ""
        if previous is not None and record.history_type == "~":
            changed = record.diff_against(previous).changes
            what = "、".join(str(Queue._meta.get_field(change.field).verbose_name) for change in changed)
        entries.append({"record": record, "what": what})
        previous = record
    for record in QueueSkill.history.filter(queue_id=queue.pk).select_related("history_user", "skill"):
        sign = {"+": _("Skill added"), "-": _("Skill removed"), "~": _("Minimum level changed")}[record.history_type]
        entries.append({"record": record, "what": f"{sign}：{record.skill.name} ≥ {record.min_level}"})
    for record in QueueHours.history.filter(queue_id=queue.pk).select_related("history_user"):
        sign = _("Opening period removed") if record.history_type == "-" else _("Opening period added")
        span = f"{queue_admin.WEEKDAYS[record.weekday]} {record.opens:%H:%M}–{record.closes:%H:%M}"
        entries.append({"record": record, "what": f"{sign}：{span}"})
    entries.sort(key=lambda e: (e["record"].history_date, e["record"].history_id), reverse=True)
    for entry in entries:
        entry["at"] = timezone.localtime(entry["record"].history_date, zone)
    return entries[:PAGE_SIZE]


def _section_errors(form: forms.Form, exc: ValidationError) -> dict[str, list[str]]:
    """Field errors go beside their field; skill and hour errors beside their section."""
    sections: dict[str, list[str]] = {}
    for field, errors in exc.error_dict.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
            else:
                sections.setdefault(field, []).extend(error.messages)
    return sections


@require_http_methods(["GET", "POST"])
def queue_edit(request, pk: int | None = None):
    """Create or change a queue with its skills and weekly hours, all in one save."""
    scoping.ensure_can(request.user, queue_admin.MANAGE_QUEUES)
    queue = None
    if pk is not None:
        queue = selectors.queues_managed_by(request.user).filter(pk=pk).first()
        if queue is None:
            raise OutOfScope()
    data = request.POST if request.method == "POST" else None
    form = QueueForm(data, user=request.user, instance=queue or Queue())
    skill_initial = [{"skill": row.skill, "min_level": row.min_level} for row in queue.skills.all()] if queue else []
    hours_initial = (
        [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in queue.hours.all()] if queue else []
    )
    skills = SkillRows(data, prefix="skills", initial=skill_initial)
    hours = HoursRows(data, prefix="hours", initial=hours_initial)
    for formset in (skills, hours):
        for row in formset.forms:
            _style(row)
    sections: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid() and skills.is_valid() and hours.is_valid():
            chosen_skills = [
                (row["skill"].pk, row["min_level"]) for row in skills.cleaned_data if row and row.get("skill")
            ]
            periods = [
                rules.OpeningHours(row["weekday"], row["opens"], row["closes"])
                for row in hours.cleaned_data
                if row and row.get("opens") and row.get("closes")
            ]
            try:
                saved = queue_admin.save_queue(
                    user=request.user,
                    queue_id=queue.pk if queue else None,
                    values={name: form.cleaned_data[name] for name in queue_admin.QUEUE_FIELDS},
                    skills=chosen_skills,
                    hours=periods,
                )
                messages.success(request, _("Queue %(name)s saved.") % {"name": saved.name})
                return redirect(reverse("contact:queues"))
            except ValidationError as exc:
                sections = _section_errors(form, exc)
        status = 422
    context = {
        "form": form,
        "skills": skills,
        "hours": hours,
        "queue": queue,
        "sections": sections,
        "history": _queue_history(queue, _zone(request.user)) if queue else [],
    }
    return render(request, "contact/queue_form.html", context, status=status)


@require_POST
def queue_remove(request, pk: int):
    deleted = queue_admin.remove_queue(user=request.user, queue_id=pk)
    if deleted:
        messages.success(request, _("Queue deleted."))
    else:
        messages.info(request, _("Contacts or other records refer to this queue, so it was deactivated instead."))
    return redirect(reverse("contact:queues"))


# --- skills ---------------------------------------------------------------------------------------------


@require_GET
def skill_list(request):
    """Skills with where they are used: queues needing them and agents (in the user's scope) having them."""
    scoping.ensure_can(request.user, queue_admin.MANAGE_SKILLS)
    holders = selectors.skill_matrix_rows(request.user, queue_admin.MANAGE_SKILLS).values("pk")
    queues = selectors.queues_visible_to(request.user).values("pk")
    rows = Skill.objects.annotate(
        agent_count=Count("holders", filter=Q(holders__employee__in=holders), distinct=True),
        queue_count=Count("queues", filter=Q(queues__queue__in=queues), distinct=True),
    ).order_by("kind", "code")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    used_by: dict[int, list[Queue]] = {}
    for link in QueueSkill.objects.filter(skill__in=list(page), queue__in=queues).select_related("queue"):
        used_by.setdefault(link.skill_id, []).append(link.queue)
    items = [{"skill": skill, "queues": used_by.get(skill.pk, [])} for skill in page]
    return render(request, "contact/skill_list.html", {"page": page, "items": items, "query_string": ""})


class SkillForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=30)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Skill.Kind.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


@require_http_methods(["GET", "POST"])
def skill_edit(request, pk: int | None = None):
    scoping.ensure_can(request.user, queue_admin.MANAGE_SKILLS)
    skill = None
    if pk is not None:
        skill = Skill.objects.filter(pk=pk).first()
        if skill is None:
            raise OutOfScope()
    initial = {"code": skill.code, "name": skill.name, "kind": skill.kind} if skill else {}
    form = SkillForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                queue_admin.save_skill(user=request.user, skill_id=skill.pk if skill else None, **form.cleaned_data)
                messages.success(request, _("Skill saved."))
                return redirect(reverse("contact:skills"))
            except ValidationError as exc:
                _section_errors(form, exc)
        status = 422
    return render(request, "contact/skill_form.html", {"form": form, "skill": skill}, status=status)


# --- skill matrix ------------------------------------------------------------------------------------------


def _matrix(request):
    """The employees and skill columns the filters ask for."""
    rows = selectors.skill_matrix_rows(request.user)
    teams = scoping.restrict(Team.objects.order_by("code"), request.user, VIEW_MATRIX)
    skills = Skill.objects.order_by("kind", "code")
    team, skill = request.GET.get("team", ""), request.GET.get("skill", "")
    if team.isdigit():
        rows = rows.filter(team_id=int(team))
    if skill.isdigit():
        skills = skills.filter(pk=int(skill))
        if request.GET.get("holders") == "1":
            rows = rows.filter(skills__skill_id=int(skill))
    text = request.GET.get("q", "").strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(employee_no__icontains=text))
    return rows, teams, skills


def _cell(employee: Employee, skill: Skill, level: int | None, editable: bool) -> dict:
    return {"employee": employee, "skill": skill, "level": level, "editable": editable}


def _editable_ids(user: Any, employee_ids: list[int]) -> set[int]:
    if not scoping.can(user, queue_admin.EDIT_SKILL_MATRIX):
        return set()
    own = scoping.actor_for(user).employee_id
    editable = selectors.skill_matrix_rows(user, queue_admin.EDIT_SKILL_MATRIX).filter(pk__in=employee_ids)
    return set(editable.exclude(pk=own).values_list("pk", flat=True))


@require_GET
def skill_matrix(request):
    """Employees (rows) × skills (columns) with levels; editable cells for those who may."""
    scoping.ensure_can(request.user, VIEW_MATRIX)
    rows, teams, skills = _matrix(request)
    skills = list(skills)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    employees = list(page)
    editable = _editable_ids(request.user, [e.pk for e in employees])
    table = []
    for employee in employees:
        levels = {held.skill_id: held.level for held in employee.skills.all()}
        cells = [_cell(employee, s, levels.get(s.pk), employee.pk in editable) for s in skills]
        table.append({"employee": employee, "cells": cells})
    context = {
        "page": page,
        "table": table,
        "skills": skills,
        "teams": teams,
        "all_skills": Skill.objects.order_by("kind", "code"),
        "filters": request.GET,
        "levels": LEVEL_CHOICES,
        "query_string": _query_string(request),
        "can_edit": bool(editable),
    }
    return render(request, "contact/skill_matrix.html", context)


@require_POST
def skill_matrix_cell(request):
    """One cell changed inline: answers the cell again (htmx) or goes back to the matrix."""
    scoping.ensure_can(request.user, queue_admin.EDIT_SKILL_MATRIX)
    raw = {name: request.POST.get(name, "").strip() for name in ("employee", "skill", "level")}
    if not (raw["employee"].isdigit() and raw["skill"].isdigit()) or not (raw["level"] == "" or raw["level"].isdigit()):
        raise OutOfScope()
    employee_id, skill_id = int(raw["employee"]), int(raw["skill"])
    level = int(raw["level"]) if raw["level"] else None
    error, status = "", 200
    try:
        queue_admin.set_skill_level(user=request.user, employee_id=employee_id, skill_id=skill_id, level=level)
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 422
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("contact:skill_matrix"))
    employee = Employee.objects.get(pk=employee_id)
    skill = Skill.objects.get(pk=skill_id)
    held = EmployeeSkill.objects.filter(employee_id=employee_id, skill_id=skill_id).values_list("level", flat=True)
    cell = _cell(employee, skill, next(iter(held), None), True)
    context = {"cell": cell, "levels": LEVEL_CHOICES, "error": error, "saved": not error}
    return render(request, "contact/skill_matrix_cell.html", context, status=status)


@require_GET
def skill_matrix_export(request):
    scoping.ensure_can(request.user, VIEW_MATRIX)
    rows, _teams, skills = _matrix(request)
    skills = list(skills)

    def lines():
        for employee in rows.iterator(chunk_size=500):
            levels = {held.skill_id: held.level for held in employee.skills.all()}
            team = employee.team.name if employee.team else ""
            yield [employee.employee_no, employee.name, team, *(levels.get(s.pk) for s in skills)]

    header = [_("Employee number"), _("Name"), _("Team"), *(s.name for s in skills)]
    day = timezone.localdate().isoformat()
    return xlsx_download(_("Skill matrix"), header, lines(), f"skill-matrix-{day}.xlsx")
