"""Pages of complaints: list, filing form, detail with the timeline and the workflow actions (htmx),
the printable record forms, the written report to the authority, the notice board and the cause
analysis with its xlsx export. Views parse input, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from banzu.complaints import analysis, rules, selectors, services
from banzu.complaints.forms import ComplaintForm, NoticeForm, ReportForm, StepForm, apply_service_errors
from banzu.complaints.models import Channel, Complaint, ComplaintStep, Level, Notice, Status
from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.core.errors import Conflict
from banzu.workorders.selectors import zone_of_centre

PAGE_SIZE = 50


def _partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def _done(request, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _zone(request):
    actor = scoping.actor_for(request.user)
    return centre_zone(None) if actor.centre_id is None else zone_of_centre(actor.centre_id)


# --- list and filing -----------------------------------------------------------------------------------


def complaint_list(request):
    scoping.ensure_can(request.user, "complaints.view")
    now = timezone.now()
    queryset = selectors.complaint_list(request.user, request.GET, now=now, zone=_zone(request))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(complaint, selectors.deadline(complaint, now)) for complaint in page]
    return render(
        request,
        "complaints/list.html",
        {
            "page": page,
            "rows": rows,
            "filters": request.GET,
            "statuses": Status.choices,
            "levels": Level.choices,
            "channels": Channel.choices,
            "can_file": scoping.can(request.user, "complaints.file"),
            "can_analyse": scoping.can(request.user, "complaints.analyse"),
        },
    )


@require_http_methods(["GET", "POST"])
def complaint_create(request):
    scoping.ensure_can(request.user, "complaints.file")
    form = ComplaintForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                complaint = services.file_complaint(user=request.user, now=timezone.now(), **form.cleaned_data)
                messages.success(
                    request,
                    _("Complaint %(number)s filed; %(handler)s has been notified.")
                    % {"number": complaint.number, "handler": complaint.handler.name},
                )
                return _done(request, reverse("complaints:detail", args=[complaint.pk]))
            except ValidationError as exc:
                apply_service_errors(form, exc)
        status = 422
    template = "complaints/_form.html" if _partial(request) else "complaints/form.html"
    return render(request, template, {"form": form}, status=status)


# --- detail and actions ------------------------------------------------------------------------------------

# The workflow as the stepper shows it (ux.md §5).
VALID_PATH = [
    Status.FILED,
    Status.ACCEPTED,
    Status.VERIFIED,
    Status.VALID,
    Status.APOLOGISED,
    Status.SOLUTION_AGREED,
    Status.RESOLVED,
    Status.RESPONSIBILITY_DETERMINED,
    Status.SATISFIED,
    Status.CORRECTED,
    Status.CORRECTION_VERIFIED,
    Status.CLOSED,
]
INVALID_PATH = [Status.FILED, Status.ACCEPTED, Status.VERIFIED, Status.INVALID, Status.EXPLAINED, Status.CLOSED]


def _stepper(complaint: Complaint) -> list[dict[str, Any]]:
    path = INVALID_PATH if complaint.is_valid is False else VALID_PATH
    current = Status.SATISFIED if complaint.status == Status.UNSATISFIED else complaint.status
    reached = path.index(current) if current in path else 0
    return [
        {"label": Status(status).label, "done": index < reached or complaint.is_closed, "current": index == reached}
        for index, status in enumerate(path)
    ]


def _can(request, complaint: Complaint, action: str) -> bool:
    return (
        scoping.can(request.user, action)
        and selectors.complaints_visible_to(request.user, action=action).filter(pk=complaint.pk).exists()
    )


def _step_forms(request, complaint: Complaint, bound: StepForm | None = None) -> list[tuple]:
    employees = selectors.employees_of_centre(complaint.centre_id)
    forms = []
    for step in rules.steps_from(complaint.status):
        if bound is not None and bound.data.get("step") == step:
            form = bound
        else:
            form = StepForm(initial={"step": step}, employees=employees, prefix=None)
        forms.append((step, ComplaintStep.Kind(step).label, form, step in rules.REQUIRED_TEXT))
    return forms


def _detail_context(request, complaint: Complaint, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    can_handle = _can(request, complaint, "complaints.handle")
    notice = Notice.objects.filter(complaint=complaint).first()
    context = {
        "complaint": complaint,
        "deadline": selectors.deadline(complaint, now),
        "stepper": _stepper(complaint),
        "steps": selectors.steps_of(complaint),
        "callbacks": complaint.callbacks.select_related("by"),
        "notice": notice,
        "can_handle": can_handle and not complaint.is_closed,
        "step_forms": _step_forms(request, complaint, extra.pop("bound", None)) if can_handle else [],
        "needs_report": rules.needs_authority_report(complaint.level),
        "can_report": (
            rules.needs_authority_report(complaint.level)
            and not complaint.is_closed
            and complaint.is_valid is not None
            and _can(request, complaint, "complaints.report")
        ),
        "can_publish": (
            bool(complaint.is_valid)
            and complaint.responsible_person_id is not None
            and notice is None
            and _can(request, complaint, "complaints.publish")
        ),
        "report_form": (
            extra.pop("report_form", None) or ReportForm(initial={"authority_report": _report_draft(complaint)})
        ),
        "notice_form": extra.pop("notice_form", None) or NoticeForm(initial={"body": _notice_draft(complaint)}),
    }
    context.update(extra)
    return context


def _report_draft(complaint: Complaint) -> str:
    if complaint.authority_report:
        return complaint.authority_report
    parts = [complaint.content, complaint.investigation, complaint.decision_note, complaint.resolution]
    return "\n".join(part for part in parts if part)


def _notice_draft(complaint: Complaint) -> str:
    if complaint.responsible_person_id is None:
        return ""
    text = _("Complaint %(number)s was found valid. Responsible person: %(person)s. %(penalty)s") % {
        "number": complaint.number,
        "person": complaint.responsible_person.name,
        "penalty": complaint.penalty,
    }
    if complaint.joint_liability:
        text += " " + _("The direct superior %(name)s bears joint liability.") % {
            "name": complaint.responsible_superior.name
        }
    return text


def complaint_detail(request, pk: int):
    complaint = selectors.complaint_for(request.user, pk)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


@require_POST
def complaint_step(request, pk: int):
    """One workflow step (CMP-4); an invalid form or a refused step re-renders the action card (422)."""
    scoping.ensure_can(request.user, "complaints.handle")
    complaint = selectors.complaint_for(request.user, pk, action="complaints.handle")
    form = StepForm(request.POST, employees=selectors.employees_of_centre(complaint.centre_id))
    if form.is_valid():
        try:
            services.advance_complaint(
                user=request.user, complaint_id=complaint.pk, now=timezone.now(), **form.service_values()
            )
            messages.success(request, _("Operation succeeded."))
            return _done(request, reverse("complaints:detail", args=[complaint.pk]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc.message))
    allowed = rules.steps_from(complaint.status)
    errors = [] if form.data.get("step") in allowed else [str(e) for e in form.errors.get("__all__", [])]
    context = _detail_context(request, complaint, bound=form, action_errors=errors)
    template = "complaints/_actions.html" if _partial(request) else "complaints/detail.html"
    return render(request, template, context, status=422)


@require_POST
def complaint_report(request, pk: int):
    scoping.ensure_can(request.user, "complaints.report")
    complaint = selectors.complaint_for(request.user, pk, action="complaints.report")
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.report_to_authority(
                user=request.user,
                complaint_id=complaint.pk,
                report=form.cleaned_data["authority_report"],
                now=timezone.now(),
            )
            messages.success(request, _("Operation succeeded."))
            return _done(request, reverse("complaints:detail", args=[complaint.pk]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
    context = _detail_context(request, complaint, report_form=form)
    template = "complaints/_report_form.html" if _partial(request) else "complaints/detail.html"
    return render(request, template, context, status=422)


@require_POST
def complaint_publish(request, pk: int):
    scoping.ensure_can(request.user, "complaints.publish")
    complaint = selectors.complaint_for(request.user, pk, action="complaints.publish")
    form = NoticeForm(request.POST)
    if form.is_valid():
        try:
            services.publish_notice(
                user=request.user,
                complaint_id=complaint.pk,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                now=timezone.now(),
            )
            messages.success(request, _("Operation succeeded."))
            return _done(request, reverse("complaints:detail", args=[complaint.pk]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
    context = _detail_context(request, complaint, notice_form=form)
    template = "complaints/_notice_form.html" if _partial(request) else "complaints/detail.html"
    return render(request, template, context, status=422)


@require_GET
def complaint_print(request, pk: int):
    """企业投诉记录表 and 顾客投诉记录表, one A4 page each."""
    complaint = selectors.complaint_for(request.user, pk)
    return render(
        request,
        "complaints/print.html",
        {
            "complaint": complaint,
            "steps": selectors.steps_of(complaint),
            "callbacks": complaint.callbacks.select_related("by"),
            "printed_at": timezone.now(),
        },
    )


@require_GET
def complaint_authority_report(request, pk: int):
    """CMP-2: the written report of a level 2-3 complaint, printable as a letter."""
    complaint = selectors.complaint_for(request.user, pk)
    if not rules.needs_authority_report(complaint.level):
        raise Conflict(_("Only level 2 and level 3 complaints are reported to an authority."), code="not_needed")
    return render(
        request,
        "complaints/authority_report.html",
        {"complaint": complaint, "draft": _report_draft(complaint), "printed_at": timezone.now()},
    )


# --- notice board and analysis ----------------------------------------------------------------------------


def notice_board(request):
    scoping.ensure_can(request.user, "complaints.view_notices")
    notices = selectors.notices_visible_to(request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/notices.html", {"page": page})


def _analysis(request):
    scoping.ensure_can(request.user, "complaints.analyse")
    first, last = selectors.period(request.GET, timezone.localdate())
    queryset = selectors.complaints_in_period(request.user, first, last, action="complaints.analyse")
    return first, last, analysis.analyse_queryset(queryset)


@require_GET
def complaint_analysis(request):
    """CMP-6: the periodic cause analysis by cause, channel, level and team, with charts."""
    first, last, result = _analysis(request)
    return render(
        request,
        "complaints/analysis.html",
        {"first": first, "last": last, "result": result, "charts": analysis.chart_data(result)},
    )


@require_GET
def complaint_analysis_export(request):
    first, last, result = _analysis(request)
    return analysis.xlsx_response(result, first, last)
