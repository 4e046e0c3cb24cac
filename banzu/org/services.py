"""Writes of the organisation: employees, positions and titles, roles, headcount, roster import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from banzu.core import scoping
from banzu.core.errors import invalid
from banzu.core.roles import Role
from banzu.org import roster, rules
from banzu.org.models import (
    Centre,
    Department,
    Employee,
    EmployeeRole,
    EmployeeSkill,
    Headcount,
    Position,
    PositionChange,
    Skill,
    StarTitle,
    Team,
    TitleChange,
)

# The role a new employee gets from their position; HR adds further roles by hand.
ROLE_FOR_POSITION = {
    "agent": Role.AGENT,
    "senior_agent": Role.AGENT,
    "team_leader": Role.TEAM_LEADER,
    "supervisor": Role.SUPERVISOR,
    "manager": Role.MANAGER,
    "director": Role.DIRECTOR,
    "qa_inspector": Role.QA_INSPECTOR,
    "trainer": Role.TRAINER,
    "shift_lead": Role.SHIFT_LEAD,
    "assistant": Role.AGENT,
    "hr_specialist": Role.HR,
    "administrator": Role.ADMINISTRATOR,
    "general_manager": Role.GENERAL_MANAGER,
    "chairman": Role.CHAIRMAN,
}


def _recorded_by(instance: Any, user: Any, reason: str = "") -> Any:
    """Name who made the change (and why) in the instance's history row (ORG-9).

    simple_history finds the user through the request; services also run from commands and tasks,
    where there is none.
    """
    if getattr(user, "pk", None):
        instance._history_user = user
    if reason:
        instance._change_reason = reason[:100]
    return instance


REASON_MAX_LENGTH = 200


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise invalid("reason", _("Enter the reason for the change."), code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise invalid(
            "reason",
            _("Enter at most %(max)s characters.") % {"max": REASON_MAX_LENGTH},
            code="max_length",
        )
    return reason


def _actor_centre(user: Any) -> Centre:
    actor = scoping.actor_for(user)
    centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else Centre.objects.first()
    if centre is None:
        raise invalid("centre", _("Create a centre first."), code="no_centre")
    return centre


# --- positions and titles (ORG-3, ORG-4, ORG-8) -------------------------------------------------


def _check_vacancy(team: Team | None, position: Position, moving: Employee) -> None:
    """ORG-4: a move into a position with headcount and no vacancy is refused.

    Locks the headcount row, so two moves into the last vacancy are decided one after the other.
    """
    if team is None:
        return
    line = Headcount.objects.select_for_update().filter(team=team, position=position).first()
    if line is None:
        return
    filled = (
        Employee.objects.filter(team=team, position=position)
        .exclude(status=Employee.Status.LEFT)
        .exclude(pk=moving.pk)
        .count()
    )
    if rules.vacancies(line.approved, filled) <= 0:
        raise invalid(
            "position",
            _("%(team)s has no vacancy for %(position)s (headcount %(approved)s).")
            % {"team": team.name, "position": position.name, "approved": line.approved},
            code="no_vacancy",
        )


@transaction.atomic
def change_position(
    *, user: Any, employee: Employee, to_position: Position, effective_date: date, reason: str
) -> PositionChange:
    """Move an employee on the ladder, keeping who, from, to, when and why (ORG-3)."""
    scoping.ensure_can(user, "org.change_position")
    employee = scoping.get_in_scope(Employee.objects.select_for_update(), user, "org.change_position", pk=employee.pk)
    scoping.ensure_not_self(user, employee.pk, _("You cannot change your own position."))
    reason = _clean_reason(reason)
    if to_position.pk == employee.position_id:
        raise invalid("to_position", _("The employee already holds this position."), code="unchanged")
    if effective_date < employee.hire_date:
        raise invalid("effective_date", _("The effective date cannot be before the hire date."), code="before_hire")
    _check_vacancy(employee.team, to_position, employee)
    change = PositionChange.objects.create(
        employee=employee,
        from_position_id=employee.position_id,
        to_position=to_position,
        effective_date=effective_date,
        reason=reason,
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    employee.position = to_position
    employee.position_since = effective_date
    _recorded_by(employee, user, reason).save()
    return change


@transaction.atomic
def change_star_title(
    *, user: Any, employee: Employee, to_title: StarTitle | None, effective_date: date, reason: str
) -> TitleChange:
    scoping.ensure_can(user, "org.change_position")
    employee = scoping.get_in_scope(Employee.objects.select_for_update(), user, "org.change_position", pk=employee.pk)
    scoping.ensure_not_self(user, employee.pk, _("You cannot change your own star title."))
    reason = _clean_reason(reason)
    new_id = to_title.pk if to_title else None
    if new_id == employee.star_title_id:
        raise invalid("to_title", _("The employee already holds this star title."), code="unchanged")
    change = TitleChange.objects.create(
        employee=employee,
        from_title_id=employee.star_title_id,
        to_title=to_title,
        effective_date=effective_date,
        reason=reason,
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    employee.star_title = to_title
    _recorded_by(employee, user, reason).save()
    return change


@transaction.atomic
def set_roles(*, user: Any, employee: Employee, roles: list[str]) -> list[str]:
    """Replace an employee's roles; nobody widens their own rights (ORG-8)."""
    scoping.ensure_can(user, "org.change_employee")
    employee = scoping.get_in_scope(Employee.objects.all(), user, "org.change_employee", pk=employee.pk)
    scoping.ensure_not_self(user, employee.pk, _("You cannot change your own roles."))
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise invalid("roles", _("Choose valid roles."), code="invalid_choice")
    wanted = set(roles)
    current = set(employee.roles.values_list("role", flat=True))
    for row in employee.roles.filter(role__in=current - wanted):
        _recorded_by(row, user).delete()  # one by one, so history records each removal
    for role in sorted(wanted - current):
        _recorded_by(EmployeeRole(employee=employee, role=role), user).save()
    return sorted(wanted)


@transaction.atomic
def set_headcount(*, user: Any, team: Team, position: Position, approved: int) -> Headcount:
    scoping.ensure_can(user, "org.manage_structure")
    team = scoping.get_in_scope(Team.objects.all(), user, "org.manage_structure", pk=team.pk)
    if approved < 0:
        raise invalid("approved", _("Enter zero or a positive number."), code="min_value")
    row = Headcount.objects.select_for_update().filter(team=team, position=position).first()
    if row is None:
        row = Headcount(team=team, position=position, approved=approved)
        _recorded_by(row, user).save()
    elif row.approved != approved:
        row.approved = approved
        _recorded_by(row, user).save()
    return row


# --- employees ------------------------------------------------------------------------------------


@transaction.atomic
def create_employee(
    *,
    user: Any,
    employee_no: str,
    name: str,
    department: Department,
    team: Team | None,
    position: Position,
    hire_date: date,
    status: str = Employee.Status.PROBATION,
    star_title: StarTitle | None = None,
    phone: str = "",
    email: str = "",
    mentor: Employee | None = None,
    account: Any = None,
) -> Employee:
    scoping.ensure_can(user, "org.change_employee")
    centre = _actor_centre(user) if not getattr(user, "is_superuser", False) else department.centre
    if department.centre_id != centre.pk:
        raise invalid("department", _("Choose a department of your centre."), code="other_centre")
    if team is not None and team.department_id != department.pk:
        raise invalid("team", _("The team does not belong to the chosen department."), code="team_department")
    employee_no = employee_no.strip()
    if not employee_no:
        raise invalid("employee_no", _("Enter the employee number."), code="required")
    if Employee.objects.filter(centre=centre, employee_no=employee_no).exists():
        raise invalid("employee_no", _("The employee number already exists; enter another."), code="unique")
    if not name.strip():
        raise invalid("name", _("Enter the name."), code="required")
    if mentor is not None and mentor.centre_id != centre.pk:
        raise invalid("mentor", _("Choose a mentor of your centre."), code="other_centre")
    _check_vacancy(team, position, Employee(pk=None))
    employee = Employee(
        user=account,
        centre=centre,
        department=department,
        team=team,
        employee_no=employee_no,
        name=name.strip(),
        position=position,
        star_title=star_title,
        hire_date=hire_date,
        position_since=hire_date,
        status=status,
        phone=phone,
        email=email,
        mentor=mentor,
    )
    _recorded_by(employee, user, _("Hired")).save()
    PositionChange.objects.create(
        employee=employee,
        from_position=None,
        to_position=position,
        effective_date=hire_date,
        reason=_("Hired"),
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    role = ROLE_FOR_POSITION.get(position.code)
    if role:
        _recorded_by(EmployeeRole(employee=employee, role=role), user).save()
    return employee


def link_user_account(*, employee: Employee, username: str, password: str | None) -> Any:
    """A log-in for the employee (demo data and admin set-up); unusable password when None."""
    User = get_user_model()
    account = User.objects.create_user(username=username, password=password)
    if password is None:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    account.first_name = employee.name
    account.save(update_fields=["first_name"])
    employee.user = account
    employee.save(update_fields=["user"])
    return account


# --- roster import (ORG-2) ----------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[roster.RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _lookups(centre: Centre) -> roster.Lookups:
    departments: dict[str, int] = {}
    for pk, code, name in Department.objects.filter(centre=centre).values_list("pk", "code", "name"):
        departments[code.lower()] = pk
        departments[name.lower()] = pk
    teams: dict[tuple[int, str], int] = {}
    for pk, department_id, code, name in Team.objects.filter(department__centre=centre).values_list(
        "pk", "department_id", "code", "name"
    ):
        teams[(department_id, code.lower())] = pk
        teams[(department_id, name.lower())] = pk
    positions = {}
    for pk, code, name in Position.objects.values_list("pk", "code", "name"):
        positions[code.lower()] = pk
        positions[name.lower()] = pk
    titles = {}
    for pk, code, name in StarTitle.objects.values_list("pk", "code", "name"):
        titles[code.lower()] = pk
        titles[name.lower()] = pk
    skills = {}
    for pk, code, name in Skill.objects.values_list("pk", "code", "name"):
        skills[code.lower()] = pk
        skills[name.lower()] = pk
    statuses = dict(roster.STATUS_ALIASES)
    from django.utils import translation

    for value, label in Employee.Status.choices:
        statuses[value] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                statuses[str(label).lower()] = value
    return roster.Lookups(
        departments=departments,
        teams=teams,
        positions=positions,
        star_titles=titles,
        statuses=statuses,
        skills=skills,
        existing_employee_nos=set(Employee.objects.filter(centre=centre).values_list("employee_no", flat=True)),
    )


def import_roster(*, user: Any, data: bytes) -> ImportResult:
    """Check every row; import all of them in one transaction, or nothing (ORG-2).

    New employee numbers are created with their position's role; existing ones are updated, with
    position and star-title changes written to their histories.
    """
    scoping.ensure_can(user, "org.import_roster")
    centre = _actor_centre(user)
    try:
        rows = list(roster.read_workbook(data))
    except roster.RosterFileError as exc:
        return ImportResult(errors=[roster.RowError(1, "file", _("File"), str(exc))])
    checked, errors = roster.check_rows(rows, _lookups(centre))
    if not rows and not errors:
        errors = [roster.RowError(2, "file", _("File"), _("The file has no data rows."))]
    if errors:
        return ImportResult(errors=errors)
    with transaction.atomic():
        return _apply_rows(user=user, centre=centre, rows=checked)


# What a roster row sets on an employee; the mentor is resolved apart, as it may be a row of the file.
ROW_FIELDS = (
    "name",
    "department_id",
    "team_id",
    "position_id",
    "star_title_id",
    "hire_date",
    "position_since",
    "status",
    "phone",
    "email",
)


def _apply_rows(*, user: Any, centre: Centre, rows: list[roster.RosterRow]) -> ImportResult:
    """Write checked rows. Rows equal to the stored employee write nothing (no empty history)."""
    history_user = user if getattr(user, "pk", None) else None
    reason = _("Roster import")
    existing = {
        employee.employee_no: employee
        for employee in Employee.objects.select_for_update().filter(
            centre=centre, employee_no__in=[row.employee_no for row in rows]
        )
    }
    # Mentors already employed are known now; mentors who are new rows of this file once created.
    ids = dict(
        Employee.objects.filter(
            centre=centre, employee_no__in={row.mentor_no for row in rows if row.mentor_no}
        ).values_list("employee_no", "pk")
    )
    positions = {position.pk: position for position in Position.objects.all()}

    new_rows = [row for row in rows if row.employee_no not in existing]
    created = bulk_create_with_history(
        [
            Employee(
                centre=centre,
                employee_no=row.employee_no,
                mentor_id=ids.get(row.mentor_no),
                **{name: getattr(row, name) for name in ROW_FIELDS},
            )
            for row in new_rows
        ],
        Employee,
        batch_size=500,
        default_user=history_user,
        default_change_reason=reason,
    )
    if not all(employee.pk for employee in created):  # backends without RETURNING
        created = list(Employee.objects.filter(centre=centre, employee_no__in=[row.employee_no for row in new_rows]))
    by_no = {**existing, **{employee.employee_no: employee for employee in created}}
    ids.update({employee.employee_no: employee.pk for employee in created})

    def mentor_of(row: roster.RosterRow) -> int | None:
        return ids[row.mentor_no] if row.mentor_no else None

    # A new employee whose mentor is another new row gets the mentor now, as a recorded change.
    late_mentors = []
    for row in new_rows:
        employee = by_no[row.employee_no]
        if employee.mentor_id != mentor_of(row):
            employee.mentor_id = mentor_of(row)
            late_mentors.append(employee)

    stored_skills: dict[int, set[tuple[int, int]]] = {employee.pk: set() for employee in existing.values()}
    for employee_id, skill_id, level in EmployeeSkill.objects.filter(employee__in=list(existing.values())).values_list(
        "employee_id", "skill_id", "level"
    ):
        stored_skills[employee_id].add((skill_id, level))
    # The file states the whole skill list of each row: rewritten where it differs.
    skills_changed = [
        row
        for row in rows
        if row.employee_no not in existing or set(row.skills) != stored_skills[by_no[row.employee_no].pk]
    ]

    to_update: list[Employee] = []
    updated = {row.employee_no for row in skills_changed if row.employee_no in existing}
    position_changes: list[PositionChange] = []
    title_changes: list[TitleChange] = []
    for row in rows:
        employee = existing.get(row.employee_no)
        if employee is None:
            continue
        wanted = {name: getattr(row, name) for name in ROW_FIELDS}
        wanted["mentor_id"] = mentor_of(row)
        if all(getattr(employee, name) == value for name, value in wanted.items()):
            continue
        updated.add(row.employee_no)
        if employee.position_id != row.position_id:
            position_changes.append(
                PositionChange(
                    employee=employee,
                    from_position_id=employee.position_id,
                    to_position_id=row.position_id,
                    effective_date=row.position_since,
                    reason=reason,
                    recorded_by=history_user,
                )
            )
        if employee.star_title_id != row.star_title_id:
            title_changes.append(
                TitleChange(
                    employee=employee,
                    from_title_id=employee.star_title_id,
                    to_title_id=row.star_title_id,
                    effective_date=row.position_since,
                    reason=reason,
                    recorded_by=history_user,
                )
            )
        for name, value in wanted.items():
            setattr(employee, name, value)
        to_update.append(employee)
    for changed, fields in ((to_update, [*ROW_FIELDS, "mentor_id"]), (late_mentors, ["mentor_id"])):
        if changed:
            bulk_update_with_history(
                changed,
                Employee,
                [name.removesuffix("_id") for name in fields],
                batch_size=500,
                default_user=history_user,
                default_change_reason=reason,
            )

    for employee in created:
        position_changes.append(
            PositionChange(
                employee=employee,
                from_position=None,
                to_position_id=employee.position_id,
                effective_date=employee.position_since,
                reason=reason,
                recorded_by=history_user,
            )
        )
    PositionChange.objects.bulk_create(position_changes, batch_size=1000)
    TitleChange.objects.bulk_create(title_changes, batch_size=1000)
    roles = []
    for employee in created:
        role = ROLE_FOR_POSITION.get(positions[employee.position_id].code)
        if role:
            roles.append(EmployeeRole(employee=employee, role=role))
    bulk_create_with_history(
        roles, EmployeeRole, batch_size=1000, default_user=history_user, default_change_reason=reason
    )
    EmployeeSkill.objects.filter(
        employee__in=[existing[row.employee_no] for row in skills_changed if row.employee_no in existing]
    ).delete()
    EmployeeSkill.objects.bulk_create(
        [
            EmployeeSkill(employee=by_no[row.employee_no], skill_id=skill_id, level=level)
            for row in skills_changed
            for skill_id, level in row.skills
        ],
        batch_size=1000,
    )
    return ImportResult(created=len(created), updated=len(updated))
