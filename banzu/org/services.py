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
}


def _actor_centre(user: Any) -> Centre:
    actor = scoping.actor_for(user)
    centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else Centre.objects.first()
    if centre is None:
        raise invalid("centre", _("Create a centre first."), code="no_centre")
    return centre


# --- positions and titles (ORG-3, ORG-4, ORG-8) -------------------------------------------------


def _check_vacancy(team: Team | None, position: Position, moving: Employee) -> None:
    """ORG-4: a move into a position with headcount and no vacancy is refused."""
    if team is None:
        return
    line = Headcount.objects.filter(team=team, position=position).first()
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
    if not reason.strip():
        raise invalid("reason", _("Enter the reason for the change."), code="required")
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
        reason=reason.strip(),
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    employee.position = to_position
    employee.position_since = effective_date
    employee._change_reason = reason.strip()[:100]
    employee.save()
    return change


@transaction.atomic
def change_star_title(
    *, user: Any, employee: Employee, to_title: StarTitle | None, effective_date: date, reason: str
) -> TitleChange:
    scoping.ensure_can(user, "org.change_position")
    employee = scoping.get_in_scope(Employee.objects.select_for_update(), user, "org.change_position", pk=employee.pk)
    scoping.ensure_not_self(user, employee.pk, _("You cannot change your own star title."))
    if not reason.strip():
        raise invalid("reason", _("Enter the reason for the change."), code="required")
    new_id = to_title.pk if to_title else None
    if new_id == employee.star_title_id:
        raise invalid("to_title", _("The employee already holds this star title."), code="unchanged")
    change = TitleChange.objects.create(
        employee=employee,
        from_title_id=employee.star_title_id,
        to_title=to_title,
        effective_date=effective_date,
        reason=reason.strip(),
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    employee.star_title = to_title
    employee._change_reason = reason.strip()[:100]
    employee.save()
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
        row.delete()  # one by one, so history records each removal
    for role in sorted(wanted - current):
        EmployeeRole.objects.create(employee=employee, role=role)
    return sorted(wanted)


@transaction.atomic
def set_headcount(*, user: Any, team: Team, position: Position, approved: int) -> Headcount:
    scoping.ensure_can(user, "org.manage_structure")
    team = scoping.get_in_scope(Team.objects.all(), user, "org.manage_structure", pk=team.pk)
    if approved < 0:
        raise invalid("approved", _("Enter zero or a positive number."), code="min_value")
    row, _created = Headcount.objects.select_for_update().get_or_create(
        team=team, position=position, defaults={"approved": approved}
    )
    if row.approved != approved:
        row.approved = approved
        row.save()
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
    _check_vacancy(team, position, Employee(pk=None))
    employee = Employee.objects.create(
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
        EmployeeRole.objects.create(employee=employee, role=role)
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
    statuses = {}
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


def _apply_rows(*, user: Any, centre: Centre, rows: list[roster.RosterRow]) -> ImportResult:
    history_user = user if getattr(user, "pk", None) else None
    reason = _("Roster import")
    existing = {
        employee.employee_no: employee
        for employee in Employee.objects.select_for_update().filter(
            centre=centre, employee_no__in=[row.employee_no for row in rows]
        )
    }
    positions = {position.pk: position for position in Position.objects.all()}
    to_create: list[Employee] = []
    to_update: list[Employee] = []
    position_changes: list[PositionChange] = []
    title_changes: list[TitleChange] = []
    for row in rows:
        employee = existing.get(row.employee_no)
        if employee is None:
            to_create.append(
                Employee(
                    centre=centre,
                    employee_no=row.employee_no,
                    name=row.name,
                    department_id=row.department_id,
                    team_id=row.team_id,
                    position_id=row.position_id,
                    star_title_id=row.star_title_id,
                    hire_date=row.hire_date,
                    position_since=row.position_since,
                    status=row.status,
                    phone=row.phone,
                    email=row.email,
                )
            )
            continue
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
        for attribute in (
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
        ):
            setattr(employee, attribute, getattr(row, attribute))
        to_update.append(employee)
    update_fields = [
        "name",
        "department",
        "team",
        "position",
        "star_title",
        "hire_date",
        "position_since",
        "status",
        "phone",
        "email",
    ]
    created = bulk_create_with_history(
        to_create, Employee, batch_size=500, default_user=history_user, default_change_reason=reason
    )
    if to_update:
        bulk_update_with_history(
            to_update,
            Employee,
            update_fields,
            batch_size=500,
            default_user=history_user,
            default_change_reason=reason,
        )
    if not all(employee.pk for employee in created):  # backends without RETURNING
        numbers = [employee.employee_no for employee in created]
        created = list(Employee.objects.filter(centre=centre, employee_no__in=numbers))
    by_no = {employee.employee_no: employee for employee in [*created, *to_update]}
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
    # Skills: the file states the whole list for each row it names.
    EmployeeSkill.objects.filter(employee__in=[by_no[row.employee_no] for row in rows]).delete()
    EmployeeSkill.objects.bulk_create(
        [
            EmployeeSkill(employee=by_no[row.employee_no], skill_id=skill_id, level=level)
            for row in rows
            for skill_id, level in row.skills
        ],
        batch_size=1000,
    )
    # Mentors last: they may be rows of this same file.
    mentor_ids = dict(
        Employee.objects.filter(
            centre=centre, employee_no__in={row.mentor_no for row in rows if row.mentor_no}
        ).values_list("employee_no", "pk")
    )
    with_mentor = []
    for row in rows:
        employee = by_no[row.employee_no]
        wanted = mentor_ids.get(row.mentor_no) if row.mentor_no else None
        if employee.mentor_id != wanted:
            employee.mentor_id = wanted
            with_mentor.append(employee)
    if with_mentor:
        Employee.objects.bulk_update(with_mentor, ["mentor"], batch_size=500)
    return ImportResult(created=len(created), updated=len(to_update))
