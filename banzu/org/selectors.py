"""Reads of the organisation, already restricted to what the user may see (ORG-7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from banzu.core import scoping
from banzu.core.masking import mask_email, mask_phone
from banzu.core.policies import policy
from banzu.org import rules
from banzu.org.models import Department, Employee, EmployeeRole, EmployeeSkill, Headcount, Position, Team


def employees_visible_to(user: Any, *, action: str = "org.view_roster") -> QuerySet[Employee]:
    return scoping.restrict(Employee.objects.all(), user, action).select_related(
        "team", "department", "position", "star_title", "mentor", "centre"
    )


def roster_for(user: Any, *, action: str = "org.view_roster") -> QuerySet[Employee]:
    """The roster page/API/export rows, with roles and skills in two extra queries, not N."""
    return employees_visible_to(user, action=action).prefetch_related(
        Prefetch("roles", queryset=EmployeeRole.objects.order_by("role")),
        Prefetch("skills", queryset=EmployeeSkill.objects.select_related("skill").order_by("skill__code")),
    )


def teams_visible_to(user: Any) -> QuerySet[Team]:
    return scoping.restrict(Team.objects.all(), user, "org.view_structure").select_related(
        "department", "leader", "department__centre"
    )


def departments_visible_to(user: Any) -> QuerySet[Department]:
    return scoping.restrict(Department.objects.all(), user, "org.view_structure").select_related("centre", "head")


AGENT_POSITION_CODES = ("agent", "senior_agent")


@dataclass(frozen=True)
class HeadcountLine:
    position: Position
    approved: int
    filled: int

    @property
    def vacancies(self) -> int:
        return rules.vacancies(self.approved, self.filled)

    @property
    def over(self) -> int:
        return max(self.filled - self.approved, 0)


@dataclass(frozen=True)
class TeamSummary:
    team: Team
    members: list[Employee]
    agent_count: int
    leaders_needed: int
    ratio: int
    headcount: list[HeadcountLine]
    # Active members of the whole team, including those the viewer may not see one by one.
    member_count: int = 0

    @property
    def exceeds_ratio(self) -> bool:
        return self.leaders_needed > 1

    @property
    def vacancies(self) -> int:
        return sum(line.vacancies for line in self.headcount)


def active_members(team_ids: list[int]) -> QuerySet[Employee]:
    return Employee.objects.filter(team_id__in=team_ids).exclude(status=Employee.Status.LEFT)


def team_summaries(user: Any, teams: QuerySet[Team] | None = None) -> list[TeamSummary]:
    """Members, TL ratio warning (ORG-1, D16) and headcount/vacancies (ORG-4) per visible team."""
    teams = list(teams if teams is not None else teams_visible_to(user))
    if not teams:
        return []
    ids = [team.pk for team in teams]
    members_by_team: dict[int, list[Employee]] = {team_id: [] for team_id in ids}
    visible_members = scoping.restrict(active_members(ids), user, "org.view_roster").select_related(
        "position", "star_title"
    )
    for member in visible_members:
        members_by_team[member.team_id].append(member)
    # Counts come from all members, not just visible ones: a TL's team size is a fact, not a record.
    counts = {
        (row["team_id"], row["position_id"]): row["n"]
        for row in active_members(ids).values("team_id", "position_id").annotate(n=Count("pk"))
    }
    agents = {
        row["team_id"]: row["n"]
        for row in active_members(ids)
        .filter(position__code__in=AGENT_POSITION_CODES)
        .values("team_id")
        .annotate(n=Count("pk"))
    }
    headcounts: dict[int, list[Headcount]] = {team_id: [] for team_id in ids}
    for row in Headcount.objects.filter(team_id__in=ids).select_related("position").order_by("position__rank"):
        headcounts[row.team_id].append(row)
    ratios: dict[int, int] = {}
    out = []
    for team in teams:
        centre_id = team.department.centre_id
        if centre_id not in ratios:
            ratios[centre_id] = policy("org.agents_per_team_leader", centre_id)
        ratio = ratios[centre_id]
        lines = [
            HeadcountLine(row.position, row.approved, counts.get((team.pk, row.position_id), 0))
            for row in headcounts[team.pk]
        ]
        agent_count = agents.get(team.pk, 0)
        member_count = sum(n for (team_id, _position_id), n in counts.items() if team_id == team.pk)
        out.append(
            TeamSummary(
                team=team,
                members=members_by_team[team.pk],
                agent_count=agent_count,
                leaders_needed=rules.team_leaders_needed(agent_count, ratio),
                ratio=ratio,
                headcount=lines,
                member_count=member_count,
            )
        )
    return out


def organisation_tree(user: Any) -> list[dict]:
    """Departments with their visible teams and summaries, for the organisation page."""
    summaries = team_summaries(user)
    by_department: dict[int, list[TeamSummary]] = {}
    for summary in summaries:
        by_department.setdefault(summary.team.department_id, []).append(summary)
    return [
        {"department": department, "teams": by_department.get(department.pk, [])}
        for department in departments_visible_to(user)
    ]


def employee_history(employee: Employee) -> list[Any]:
    """Audit rows of the employee record, newest first, with the user who made each change."""
    return list(employee.history.select_related("history_user").order_by("-history_date", "-history_id")[:200])


@dataclass(frozen=True)
class HistoryRow:
    """One audit record of an employee with what it changed against the record before it."""

    record: Any
    changes: list[tuple[str, Any, Any]]  # (field verbose name, old value, new value)


def _display_values(model: type, field_name: str, values: set[Any]) -> dict[Any, Any]:
    """Stored values of one field → what a person reads: related objects' names, choice labels."""
    field = model._meta.get_field(field_name)
    if field.is_relation and field.related_model is not None:
        keys = {value for value in values if value is not None}
        found = field.related_model._default_manager.in_bulk(keys) if keys else {}
        return {value: found.get(value, value) for value in values}
    if field.choices:
        labels = dict(field.flatchoices)
        return {value: labels.get(value, value) for value in values}
    return {value: value for value in values}


def history_with_changes(employee: Employee, *, limit: int = 200) -> list[HistoryRow]:
    """ORG-9: audit rows of the employee record, newest first, each with old → new per field.

    The record just past `limit` is read too, so the oldest row shown still has its diff.
    """
    records = list(
        employee.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    deltas = [
        (record, record.diff_against(older).changes if older is not None else [])
        for record, older in zip(records, [*records[1:], None], strict=False)
    ][:limit]
    # Resolve foreign keys and choices once per field, not once per change.
    wanted: dict[str, set[Any]] = {}
    for _record, changes in deltas:
        for change in changes:
            wanted.setdefault(change.field, set()).update((change.old, change.new))
    display = {name: _display_values(Employee, name, values) for name, values in wanted.items()}
    return [
        HistoryRow(
            record=record,
            changes=[
                (
                    str(Employee._meta.get_field(change.field).verbose_name),
                    display[change.field][change.old],
                    display[change.field][change.new],
                )
                for change in changes
            ],
        )
        for record, changes in deltas
    ]


def roster_export_rows(employees: QuerySet[Employee], *, show_personal_data: bool) -> list[list[Any]]:
    """Rows in the column order of org.roster, so an export can be edited and imported again."""
    out = []
    for employee in employees:
        skills = ";".join(f"{item.skill.code}:{item.level}" for item in employee.skills.all())
        out.append(
            [
                employee.employee_no,
                employee.name,
                employee.department.code,
                employee.team.code if employee.team else "",
                employee.position.code,
                employee.star_title.code if employee.star_title else "",
                employee.hire_date,
                employee.position_since,
                employee.get_status_display(),
                employee.mentor.employee_no if employee.mentor else "",
                employee.phone if show_personal_data else mask_phone(employee.phone),
                employee.email if show_personal_data else mask_email(employee.email),
                skills,
            ]
        )
    return out
