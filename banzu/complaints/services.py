"""Writes of complaints (CMP-1 … CMP-5) and the deadline sweep (CMP-3).

Each service is one transaction: it checks permission and scope, validates with the rules, saves,
writes the step and the history, and notifies. Every workflow step locks the complaint row
(``select_for_update``), so two handlers acting at once are decided one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from banzu.complaints import rules, selectors
from banzu.complaints.models import (
    Cause,
    Channel,
    Complaint,
    ComplaintAlert,
    ComplaintCallback,
    ComplaintStep,
    Level,
    Notice,
    Source,
    Status,
)
from banzu.core import push, scoping
from banzu.core.calendar import add_working_days, centre_zone
from banzu.core.errors import Conflict, NotAllowed, invalid
from banzu.core.policies import policy
from banzu.org.models import Employee
from banzu.workorders import rules as workorder_rules
from banzu.workorders import services as workorder_services
from banzu.workorders.models import Category, Notification
from banzu.workorders.models import Status as WorkOrderStatus

TEXT_MAX_LENGTH = 4000

REQUIRED = {
    "channel": _("Choose the channel the complaint came through."),
    "source": _("Choose where the complaint was lodged."),
    "complainant": _("Enter the complainant."),
    "content": _("Enter what the complaint is about."),
    "location": _("Enter the event location."),
    "summary": _("Enter the event summary."),
    "investigation": _("Write down the investigation before verifying."),
    "decision_note": _("Give the reason why the complaint is valid or invalid."),
    "is_valid": _("Choose whether the complaint is valid."),
    "cause": _("Choose the cause of the complaint."),
    "explanation": _("Write down the explanation given to the customer."),
    "apology": _("Write down how the customer was apologised to."),
    "solution": _("Write down the solution agreed with the customer."),
    "resolution": _("Write down how the problem was resolved."),
    "responsible_person": _("Choose the responsible person."),
    "penalty": _("Write down the finding and the penalty under the appraisal rules."),
    "method": _("Choose how the customer was called back."),
    "satisfied": _("Choose whether the customer is satisfied."),
    "corrective_action": _("Write down the corrective action of the responsible unit."),
    "correction_verification": _("Write down how service supervision verified the corrective action."),
    "authority_report": _("Write the report to the authority."),
    "body": _("Enter the text of the notice."),
}
MESSAGES = {
    "max_length": _("Enter at most %(max)s characters."),
    "invalid_choice": _("Choose one of the listed options."),
    "required_for_joint_liability": _(
        "Management failure was found: choose the direct superior, who bears joint liability."
    ),
    "report_required": _(
        "A level %(level)s complaint is closed only after the written report to the authority has been recorded."
    ),
}
# The text a step records goes in the `note` input; its rule still names the record it fills.
NOTE_FIELDS = frozenset(rules.REQUIRED_TEXT.values())


def _message(problem: rules.Problem):
    if problem.code == "required":
        return REQUIRED[problem.field]
    return MESSAGES[problem.code]


def _raise_problems(problems: list[rules.Problem]) -> None:
    if not problems:
        return
    errors: dict[str, list[ValidationError]] = {}
    for problem in problems:
        field = "note" if problem.field in NOTE_FIELDS else problem.field
        errors.setdefault(field, []).append(
            ValidationError(_message(problem), code=problem.code, params=dict(problem.params))
        )
    raise ValidationError(errors)


def _stored_text(text: Any) -> str:
    """Text kept in a row is rendered once, in the product's language (Chinese by default)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _recorded_by(instance: Any, user: Any) -> Any:
    if getattr(user, "pk", None):
        instance._history_user = user
    return instance


def _acting_employee(user: Any) -> Employee:
    actor = scoping.actor_for(user)
    if actor.employee_id is None:
        raise NotAllowed(_("Only an employee of the centre can work on complaints."), code="no_employee")
    return Employee.objects.select_related("centre", "team", "department").get(pk=actor.employee_id)


def _lock(user: Any, complaint_id: Any, action: str) -> Complaint:
    """403 when no role allows `action`, 404 when out of scope, else the row, locked."""
    scoping.ensure_can(user, action)
    found = selectors.complaint_for(user, complaint_id, action=action)
    return Complaint.objects.select_for_update().select_related("work_order").get(pk=found.pk)


def _clean_text(value: str | None, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        _raise_problems([rules.Problem(field, "required")])
    if len(value) > TEXT_MAX_LENGTH:
        raise invalid(field, MESSAGES["max_length"], code="max_length", params={"max": TEXT_MAX_LENGTH})
    return value


def _step(complaint: Complaint, user: Any, actor: Employee | None, kind: str, at: datetime, **fields) -> ComplaintStep:
    step = ComplaintStep(complaint=complaint, kind=kind, actor=actor, at=at, **fields)
    _recorded_by(step, user).save()
    return step


# --- notifications: in-app rows, pushed after commit -----------------------------------------------


def push_group(employee_id: int) -> str:
    """The channel-layer group of one employee's browser tabs."""
    return push.employee_group(employee_id)


def _push(employee_ids: Iterable[int], payload: dict[str, Any]) -> None:
    """Fan out to the employees' open pages once the write has committed; never fails the write."""
    push.push_to_employees(employee_ids, payload)


def _notify(complaint: Complaint, recipient_ids: Iterable[int], text: Any, *, urgent: bool, at: datetime) -> None:
    stored = _stored_text(text)[:500]
    link = reverse("complaints:detail", args=[complaint.pk])
    kind = Notification.Kind.URGENT_WORK_ORDER if urgent else Notification.Kind.WORK_ORDER_ASSIGNED
    ids = list(dict.fromkeys(recipient_ids))
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=recipient_id,
                kind=kind,
                text=stored,
                link=link,
                work_order_id=complaint.work_order_id,
                created_at=at,
            )
            for recipient_id in ids
        ]
    )
    _push(ids, {"text": stored, "link": link, "urgent": urgent, "complaint": complaint.pk})


# --- filing (CMP-1, CMP-2, CMP-3) ------------------------------------------------------------------------


@transaction.atomic
def file_complaint(
    *,
    user: Any,
    now: datetime,
    channel: str,
    source: str,
    complainant: str,
    content: str,
    location: str,
    summary: str,
    contact_phone: str = "",
    complainant_org: str = "",
) -> Complaint:
    """Record a complaint (受理 into the 企业投诉记录表) as a work order of category 投诉.

    The level follows from where it was lodged (CMP-2); the level's handler is notified at once,
    in the app and pushed (D11); the due time is the end of the N-th working day (CMP-3, D1).
    The work order goes to the shift lead on duty as WO-6 asks.
    """
    scoping.ensure_can(user, "complaints.file")
    owner = _acting_employee(user)
    problems = []
    if channel not in Channel.values:
        problems.append(rules.Problem("channel", "required" if not channel else "invalid_choice"))
    if source not in Source.values:
        problems.append(rules.Problem("source", "required" if not source else "invalid_choice"))
    complainant = " ".join((complainant or "").split())
    if not complainant:
        problems.append(rules.Problem("complainant", "required"))
    elif len(complainant) > 100:
        problems.append(rules.Problem("complainant", "max_length", {"max": 100}))
    if len(complainant_org or "") > 100:
        problems.append(rules.Problem("complainant_org", "max_length", {"max": 100}))
    if len(workorder_rules.normalise_phone(contact_phone)) > 30:
        problems.append(rules.Problem("contact_phone", "max_length", {"max": 30}))
    if not (content or "").strip():
        problems.append(rules.Problem("content", "required"))
    # WO-3: the work order's title parts, checked here too so that every problem shows at once.
    problems += [
        rules.Problem(p.field, p.code, dict(p.params)) for p in workorder_rules.title_problems(location, summary)
    ]
    _raise_problems(problems)
    content = _clean_text(content, "content", required=True)

    centre = owner.centre
    level = rules.level_for_source(source)
    handler = selectors.level_handler(centre_id=centre.pk, level=level, department=owner.department)
    if handler is None:
        raise invalid(
            "source",
            _("Nobody can handle a %(level)s complaint: the centre has no %(role)s. Ask an administrator.")
            % {"level": Level(level).label, "role": _("supervisor") if level == 1 else _("service manager")},
            code="no_handler",
        )
    order = workorder_services.create_work_order(
        user=user,
        category=Category.COMPLAINT,
        location=location,
        summary=summary,
        caller_number=contact_phone,
        customer_name=complainant,
        now=now,
        transfer_to_shift_lead=True,
    )
    due_at = add_working_days(now, policy("complaints.processing_working_days", centre), zone=centre_zone(centre))
    remind = rules.reminder_at(due_at, policy("complaints.reminder_hours_before_due", centre), now)
    complaint = Complaint(
        centre=centre,
        work_order=order,
        number=order.number,
        channel=channel,
        source=source,
        level=level,
        status=Status.FILED,
        complainant=complainant,
        complainant_org=" ".join((complainant_org or "").split()),
        contact_phone=order.caller_number,
        content=content,
        owner=owner,
        team=owner.team,
        department=owner.department,
        handler=handler,
        handler_unit=handler.department,
        filed_at=now,
        due_at=due_at,
        reminder_at=remind,
        updated_at=now,
    )
    _recorded_by(complaint, user).save()
    _step(
        complaint,
        user,
        owner,
        ComplaintStep.Kind.FILED,
        now,
        to_status=Status.FILED,
        note=_stored_text(
            _("%(level)s, lodged with %(source)s; handler %(handler)s.")
            % {"level": Level(level).label, "source": Source(source).label, "handler": handler.name}
        ),
    )
    _notify(
        complaint,
        [handler.pk],
        _("%(level)s complaint %(number)s from %(complainant)s: handle it now. Due %(due)s.")
        % {
            "level": Level(level).label,
            "number": complaint.number,
            "complainant": complainant,
            "due": due_at.astimezone(centre_zone(centre)).strftime("%Y-%m-%d %H:%M"),
        },
        urgent=level >= 2,
        at=now,
    )
    return complaint


# --- the workflow (CMP-4, CMP-5) -------------------------------------------------------------------------


def _employee_of_centre(employee: Employee | None, centre_id: int, field: str) -> Employee | None:
    if employee is not None and (employee.centre_id != centre_id or employee.status == Employee.Status.LEFT):
        raise invalid(field, _("Choose a current employee of your centre."), code="other_centre")
    return employee


@transaction.atomic
def advance_complaint(
    *,
    user: Any,
    complaint_id: int,
    step: str,
    now: datetime,
    note: str = "",
    is_valid: bool | None = None,
    cause: str = "",
    responsible_person: Employee | None = None,
    responsible_superior: Employee | None = None,
    management_failure: bool = False,
    method: str = "",
    satisfied: bool | None = None,
) -> Complaint:
    """Take one step of the workflow (CMP-4). `note` is the record the step writes: the
    investigation, the reason of the decision, the explanation, the apology, the solution, …

    A step out of order is refused (409) and changes nothing; a missing record names its field.
    """
    complaint = _lock(user, complaint_id, "complaints.handle")
    actor = _acting_employee(user)
    if step not in rules.STEPS:
        _raise_problems([rules.Problem("step", "invalid_choice")])
    if complaint.status not in rules.FROM[step]:
        raise Conflict(
            _("A complaint that is “%(status)s” cannot go to the step “%(step)s”. Next allowed: %(allowed)s.")
            % {
                "status": Status(complaint.status).label,
                "step": ComplaintStep.Kind(step).label,
                "allowed": "、".join(str(ComplaintStep.Kind(s).label) for s in rules.steps_from(complaint.status))
                or "—",
            },
            code="wrong_status",
        )
    note = _clean_text(note, "note", required=False)
    if cause and cause not in Cause.values:
        _raise_problems([rules.Problem("cause", "invalid_choice")])
    if method and method not in ("phone", "visit"):
        _raise_problems([rules.Problem("method", "invalid_choice")])
    _employee_of_centre(responsible_person, complaint.centre_id, "responsible_person")
    _employee_of_centre(responsible_superior, complaint.centre_id, "responsible_superior")
    values: dict[str, Any] = {
        "is_valid": is_valid,
        "cause": cause,
        "responsible_person": getattr(responsible_person, "pk", None),
        "responsible_superior": getattr(responsible_superior, "pk", None),
        "management_failure": management_failure,
        "method": method,
        "satisfied": satisfied,
    }
    text_field = rules.REQUIRED_TEXT.get(step)
    if text_field:
        values[text_field] = note
    _raise_problems(
        rules.step_problems(
            step, complaint.status, level=complaint.level, values=values, reported=complaint.reported_at is not None
        )
    )
    same_person = (
        responsible_superior is not None
        and responsible_person is not None
        and responsible_superior.pk == responsible_person.pk
    )
    if step == rules.DETERMINE_RESPONSIBILITY and same_person:
        raise invalid(
            "responsible_superior",
            _("The direct superior must be another person than the responsible person."),
            code="same_person",
        )

    from_status = complaint.status
    complaint.status = rules.next_status(step, from_status, valid=is_valid, satisfied=satisfied)
    if text_field:
        setattr(complaint, text_field, note)
    if step == rules.DECIDE:
        complaint.is_valid = bool(is_valid)
        complaint.cause = cause
    elif step == rules.DETERMINE_RESPONSIBILITY:
        complaint.responsible_person = responsible_person
        complaint.management_failure = bool(management_failure)
        complaint.responsible_superior = responsible_superior if management_failure else None
    elif step == rules.CALL_BACK:
        callback = ComplaintCallback(
            complaint=complaint, method=method, satisfied=bool(satisfied), note=note, by=actor, at=now
        )
        _recorded_by(callback, user).save()
    elif step == rules.CLOSE:
        complaint.closed_at = now
        _close_work_order(complaint, user=user, note=note, now=now)
    complaint.updated_at = now
    _recorded_by(complaint, user).save()
    _step(
        complaint,
        user,
        actor,
        step,
        now,
        from_status=from_status,
        to_status=complaint.status,
        note=note or _step_summary(complaint, step),
    )
    return complaint


def _step_summary(complaint: Complaint, step: str) -> str:
    if step == rules.DETERMINE_RESPONSIBILITY and complaint.joint_liability:
        return _stored_text(
            _("Joint liability of the direct superior %(name)s.") % {"name": complaint.responsible_superior.name}
        )
    return ""


def _close_work_order(complaint: Complaint, *, user: Any, note: str, now: datetime) -> None:
    """D11: closing the complaint closes its work order with the outcome told to the customer."""
    order = complaint.work_order
    if order.status == WorkOrderStatus.CLOSED:
        return
    outcome = note or complaint.resolution or complaint.explanation or complaint.decision_note
    workorder_services.close_work_order(
        user=user, work_order_id=order.pk, outcome=outcome, customer_informed=True, now=now
    )
    order.refresh_from_db()


@transaction.atomic
def report_to_authority(*, user: Any, complaint_id: int, report: str, now: datetime) -> Complaint:
    """CMP-2: the written report of the outcome to the authority (levels 2 and 3), once decided."""
    complaint = _lock(user, complaint_id, "complaints.report")
    actor = _acting_employee(user)
    if not rules.needs_authority_report(complaint.level):
        raise invalid(
            "authority_report",
            _("Only level 2 and level 3 complaints are reported to an authority."),
            code="not_needed",
        )
    if complaint.is_closed:
        raise Conflict(_("This complaint is closed and cannot be changed."), code="closed")
    if complaint.is_valid is None:
        raise Conflict(_("Decide whether the complaint is valid before reporting its outcome."), code="wrong_status")
    report = _clean_text(report, "authority_report", required=True)
    complaint.authority_report = report
    complaint.reported_at = now
    complaint.updated_at = now
    _recorded_by(complaint, user).save()
    _step(complaint, user, actor, ComplaintStep.Kind.REPORT, now, note=report)
    return complaint


@transaction.atomic
def publish_notice(*, user: Any, complaint_id: int, body: str, now: datetime, title: str = "") -> Notice:
    """CMP-5: publish the outcome and the responsibility on the internal notice board (议事厅公示)."""
    complaint = _lock(user, complaint_id, "complaints.publish")
    actor = _acting_employee(user)
    if not complaint.is_valid or complaint.responsible_person_id is None:
        raise Conflict(
            _("Only a valid complaint whose responsibility has been determined is published."),
            code="wrong_status",
        )
    if Notice.objects.filter(complaint=complaint).exists():
        raise Conflict(_("The outcome of this complaint has already been published."), code="already_published")
    body = _clean_text(body, "body", required=True)
    title = " ".join((title or "").split())[:200] or _stored_text(
        _("Outcome of complaint %(number)s") % {"number": complaint.number}
    )
    notice = Notice(
        complaint=complaint,
        centre_id=complaint.centre_id,
        department_id=complaint.handler_unit_id,
        title=title,
        body=body,
        published_by=actor,
        published_at=now,
    )
    _recorded_by(notice, user).save()
    _step(complaint, user, actor, ComplaintStep.Kind.PUBLISH, now, note=title)
    return notice


# --- the deadline sweep (CMP-3) ---------------------------------------------------------------------


def sweep_deadlines(*, now: datetime) -> dict[str, int]:
    """Remind before the due time and escalate after it, each exactly once per complaint.

    Idempotent and safe on several workers: each alert is claimed by a conditional UPDATE
    (``reminded_at IS NULL``); a rival blocked on the row lock re-reads it after the winner commits
    and updates nothing. The unique ``ComplaintAlert`` row is the second guard.
    """
    sent = {"reminders": 0, "escalations": 0}
    open_statuses = list(rules.OPEN_STATUSES)
    to_remind = Complaint.objects.filter(
        status__in=open_statuses, reminder_at__lte=now, reminded_at__isnull=True, due_at__gt=now
    ).values_list("pk", flat=True)
    for pk in list(to_remind):
        sent["reminders"] += _remind(pk, now)
    to_escalate = Complaint.objects.filter(
        status__in=open_statuses, due_at__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(to_escalate):
        sent["escalations"] += _escalate(pk, now)
    return sent


@transaction.atomic
def _remind(pk: int, now: datetime) -> int:
    won = Complaint.objects.filter(
        pk=pk, reminded_at__isnull=True, status__in=list(rules.OPEN_STATUSES), due_at__gt=now
    ).update(reminded_at=now)
    if not won:
        return 0
    complaint = Complaint.objects.get(pk=pk)
    ComplaintAlert.objects.create(
        complaint=complaint,
        kind=ComplaintAlert.Kind.REMINDER,
        due_at=complaint.due_at,
        sent_at=now,
        recipients=[complaint.handler_id],
    )
    due = complaint.due_at.astimezone(centre_zone(complaint.centre)).strftime("%Y-%m-%d %H:%M")
    _step(complaint, None, None, ComplaintStep.Kind.REMINDED, now, note=due)
    _notify(
        complaint,
        [complaint.handler_id],
        _("Complaint %(number)s is due at %(due)s and is not closed yet.") % {"number": complaint.number, "due": due},
        urgent=False,
        at=now,
    )
    return 1


@transaction.atomic
def _escalate(pk: int, now: datetime) -> int:
    won = Complaint.objects.filter(
        pk=pk, escalated_at__isnull=True, status__in=list(rules.OPEN_STATUSES), due_at__lt=now
    ).update(escalated_at=now)
    if not won:
        return 0
    complaint = Complaint.objects.select_related("handler", "centre").get(pk=pk)
    above = selectors.escalation_recipients(complaint)
    recipients = [complaint.handler_id, *above]
    ComplaintAlert.objects.create(
        complaint=complaint,
        kind=ComplaintAlert.Kind.ESCALATION,
        due_at=complaint.due_at,
        sent_at=now,
        recipients=recipients,
    )
    due = complaint.due_at.astimezone(centre_zone(complaint.centre)).strftime("%Y-%m-%d %H:%M")
    names = ", ".join(Employee.objects.filter(pk__in=above).order_by("employee_no").values_list("name", flat=True))
    _step(complaint, None, None, ComplaintStep.Kind.ESCALATED, now, note=names or due)
    _notify(
        complaint,
        recipients,
        _("Complaint %(number)s handled by %(handler)s passed its due time %(due)s without being closed.")
        % {"number": complaint.number, "handler": complaint.handler.name, "due": due},
        urgent=True,
        at=now,
    )
    return 1
