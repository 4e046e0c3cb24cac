"""Routing set-up (CT-5): queues with their skills and hours, the skill list and agents' skill levels.

Every write checks scope, validates, then saves in one transaction with the history row naming who
changed it; nothing is written when any part is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banzu.contact import rules, selectors
from banzu.contact.models import Queue, QueueHours, QueueSkill
from banzu.core import scoping
from banzu.core.errors import OutOfScope, invalid
from banzu.org.models import Department, EmployeeSkill, Skill
from banzu.org.services import _recorded_by

MANAGE_QUEUES = "contact.manage_queues"
MANAGE_SKILLS = "contact.manage_skills"
EDIT_SKILL_MATRIX = "contact.edit_skill_matrix"

# The schema's range of skill levels (queue_skill_level_1_to_5, skill_level_1_to_5).
LEVELS = (1, 2, 3, 4, 5)

# Queue fields set from the form; the centre follows the department.
QUEUE_FIELDS = (
    "code",
    "name",
    "department",
    "channel",
    "priority",
    "strategy",
    "service_level_percent",
    "service_level_seconds",
    "max_wait_seconds",
    "overflow_queue",
    "overflow_after_seconds",
    "offer_timeout_seconds",
    "closed_on_non_working_days",
    "active",
)


def _locked_queue(user: Any, queue_id: int) -> Queue:
    """The queue, locked, if the user may set it up; the list's counts would block FOR UPDATE."""
    queue = scoping.restrict(Queue.objects.all(), user, MANAGE_QUEUES).select_for_update().filter(pk=queue_id).first()
    if queue is None:
        raise OutOfScope()
    return queue


def departments_for_queues(user: Any):
    """Departments the user may give a queue to: their own (supervisor) or the centre's."""
    return scoping.restrict(Department.objects.order_by("code"), user, MANAGE_QUEUES)


def _queue_problems(
    queue: Queue | None,
    values: dict,
    skills: Sequence[tuple[int, int]],
    hours: Sequence[rules.OpeningHours],
    centre_id: int,
) -> dict[str, ValidationError]:
    problems: dict[str, ValidationError] = {}

    def refuse(field: str, message: Any, code: str, params: dict | None = None) -> None:
        problems.setdefault(field, ValidationError(message, code=code, params=params))

    code = values["code"].strip()
    if not code:
        refuse("code", _("Enter a code."), "required")
    elif Queue.objects.filter(centre_id=centre_id, code=code).exclude(pk=getattr(queue, "pk", None)).exists():
        refuse(
            "code", _("Another queue of this centre already has the code %(code)s."), "duplicate_code", {"code": code}
        )
    if not values["name"].strip():
        refuse("name", _("Enter a name."), "required")
    percent = values.get("service_level_percent")
    if percent is not None and not 1 <= percent <= 100:
        refuse("service_level_percent", _("Enter a percentage from 1 to 100."), "out_of_range")
    target = values.get("overflow_queue")
    after = values.get("overflow_after_seconds")
    if target is not None and after is None:
        refuse("overflow_after_seconds", _("Say after how many seconds contacts overflow."), "required")
    if target is None and after is not None:
        refuse("overflow_queue", _("Choose the queue contacts overflow to, or clear the time."), "required")
    if target is not None:
        targets = dict(Queue.objects.filter(centre_id=centre_id).values_list("pk", "overflow_queue_id"))
        problem = rules.overflow_problem(
            getattr(queue, "pk", None), target.pk, targets, same_centre=target.centre_id == centre_id
        )
        messages = {
            "overflow_other_centre": _("Contacts can only overflow to a queue of the same centre."),
            "overflow_to_itself": _("A queue cannot overflow to itself."),
            "overflow_cycle": _("%(queue)s already overflows back to this queue; contacts would go round in a circle."),
        }
        if problem:
            refuse("overflow_queue", messages[problem], problem, {"queue": target.name})
    skill_ids = [skill_id for skill_id, _level in skills]
    if len(set(skill_ids)) != len(skill_ids):
        refuse("skills", _("Each skill may be listed once."), "duplicate_skill")
    elif Skill.objects.filter(pk__in=skill_ids).count() != len(skill_ids):
        refuse("skills", _("Choose skills from the list."), "invalid_choice")
    if any(level not in LEVELS for _skill, level in skills):
        refuse(
            "skills",
            _("Minimum levels go from %(low)s to %(high)s."),
            "out_of_range",
            {"low": LEVELS[0], "high": LEVELS[-1]},
        )
    if any(period.opens >= period.closes for period in hours):
        refuse("hours", _("Each period must close after it opens."), "closes_before_opens")
    elif clashes := rules.overlapping_weekdays(hours):
        names = "、".join(str(WEEKDAYS[day]) for day in clashes)
        refuse("hours", _("Opening periods overlap on %(days)s."), "hours_overlap", {"days": names})
    return problems


WEEKDAYS = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)


@transaction.atomic
def save_queue(
    *,
    user: Any,
    queue_id: int | None,
    values: dict,
    skills: Sequence[tuple[int, int]],
    hours: Sequence[rules.OpeningHours],
) -> Queue:
    """Create (`queue_id` None) or change a queue with its required skills and weekly hours (CT-5).

    The queue row is locked while its skills and hours are replaced, so two editors do not merge.
    """
    scoping.ensure_can(user, MANAGE_QUEUES)
    queue = None
    if queue_id is not None:
        queue = _locked_queue(user, queue_id)
    department = values["department"]
    if not departments_for_queues(user).filter(pk=department.pk).exists():
        raise invalid("department", _("Choose one of your departments."), code="invalid_choice")
    problems = _queue_problems(queue, values, skills, hours, department.centre_id)
    if problems:
        raise ValidationError(problems)

    queue = queue or Queue()
    for name in QUEUE_FIELDS:
        setattr(queue, name, values[name])
    queue.code = queue.code.strip()
    queue.name = queue.name.strip()
    queue.centre_id = department.centre_id
    _recorded_by(queue, user).save()

    wanted = dict(skills)
    for row in list(queue.skills.all()):
        level = wanted.pop(row.skill_id, None)
        if level is None:
            _recorded_by(row, user).delete()
        elif row.min_level != level:
            row.min_level = level
            _recorded_by(row, user).save()
    for skill_id, level in wanted.items():
        _recorded_by(QueueSkill(queue=queue, skill_id=skill_id, min_level=level), user).save()

    periods = {(p.weekday, p.opens, p.closes) for p in hours}
    for row in list(queue.hours.all()):
        key = (row.weekday, row.opens, row.closes)
        if key in periods:
            periods.discard(key)
        else:
            _recorded_by(row, user).delete()
    for weekday, opens, closes in sorted(periods):
        _recorded_by(QueueHours(queue=queue, weekday=weekday, opens=opens, closes=closes), user).save()
    return queue


@transaction.atomic
def remove_queue(*, user: Any, queue_id: int) -> bool:
    """Delete a queue nothing refers to; otherwise deactivate it, so its contacts keep their queue.

    Returns True when it was deleted, False when it was deactivated.
    """
    scoping.ensure_can(user, MANAGE_QUEUES)
    queue = _locked_queue(user, queue_id)
    referenced = queue.contacts.exists() or queue.intervals.exists() or queue.overflow_sources.exists()
    if not referenced:
        try:
            with transaction.atomic():
                _recorded_by(queue, user).delete()
            return True
        except (ProtectedError, RestrictedError):
            pass  # an IVR choice or another record still names it
    if queue.active:
        queue.active = False
        _recorded_by(queue, user).save()
    return False


# --- skills ------------------------------------------------------------------------------------------


@transaction.atomic
def save_skill(*, user: Any, skill_id: int | None, code: str, name: str, kind: str) -> Skill:
    """Create or rename a skill; codes are unique across centres, as skills are shared."""
    scoping.ensure_can(user, MANAGE_SKILLS)
    skill = None
    if skill_id is not None:
        skill = Skill.objects.select_for_update().filter(pk=skill_id).first()
        if skill is None:
            raise OutOfScope()
    code, name = code.strip(), name.strip()
    problems: dict[str, ValidationError] = {}
    if not code:
        problems["code"] = ValidationError(_("Enter a code."), code="required")
    elif Skill.objects.filter(code__iexact=code).exclude(pk=skill_id).exists():
        problems["code"] = ValidationError(
            _("The skill code %(code)s is taken."), code="duplicate_code", params={"code": code}
        )
    if not name:
        problems["name"] = ValidationError(_("Enter a name."), code="required")
    if kind not in Skill.Kind.values:
        problems["kind"] = ValidationError(_("Choose a kind from the list."), code="invalid_choice")
    if problems:
        raise ValidationError(problems)
    skill = skill or Skill()
    skill.code, skill.name, skill.kind = code, name, kind
    skill.save()
    return skill


# --- agents' skill levels ------------------------------------------------------------------------------


@transaction.atomic
def set_skill_level(*, user: Any, employee_id: int, skill_id: int, level: int | None) -> EmployeeSkill | None:
    """Give an employee a skill at `level`, change it, or take it away (None or 0), with history.

    Leaders edit their scope's agents, never themselves (ORG-8).
    """
    scoping.ensure_can(user, EDIT_SKILL_MATRIX)
    employee = selectors.skill_matrix_rows(user, EDIT_SKILL_MATRIX).filter(pk=employee_id).first()
    if employee is None:
        raise OutOfScope()
    scoping.ensure_not_self(user, employee.pk, _("You cannot change your own skills."))
    if not Skill.objects.filter(pk=skill_id).exists():
        raise invalid("skill", _("Choose a skill from the list."), code="invalid_choice")
    if level not in (None, 0, *LEVELS):
        raise invalid(
            "level",
            _("Skill levels go from %(low)s to %(high)s; 0 or empty removes the skill."),
            code="out_of_range",
            params={"low": LEVELS[0], "high": LEVELS[-1]},
        )
    row = EmployeeSkill.objects.select_for_update().filter(employee_id=employee_id, skill_id=skill_id).first()
    if not level:
        if row is not None:
            _recorded_by(row, user).delete()
        return None
    if row is None:
        row = EmployeeSkill(employee_id=employee_id, skill_id=skill_id, level=level)
    elif row.level == level:
        return row
    row.level = level
    _recorded_by(row, user).save()
    return row
