"""Who may do what, on which records (ORG-6 … ORG-8). The one place that decides it.

* ``PERMISSIONS`` maps an action to the roles that may perform it.
* Each role carries a scope (own / team / department / centre); a user's scope for an action is the
  widest scope among their roles that grant the action.
* ``SCOPE_PATHS`` says, per model, how a record reaches its employee, team, department and centre;
  ``restrict(queryset, user, action)`` filters any queryset by it. Selectors, API views, exports and
  pages all call ``restrict`` or ``get_in_scope``; none filters by hand.
* Separation of duties (ORG-8): ``ensure_not_self``.

Out of scope answers as missing (404); in scope but not allowed answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from banzu.core.errors import NotAllowed, OutOfScope
from banzu.core.roles import Role


class Scope(IntEnum):
    NONE = 0
    OWN = 1
    TEAM = 2
    DEPARTMENT = 3
    CENTRE = 4


ROLE_SCOPE: dict[str, Scope] = {
    Role.AGENT: Scope.OWN,
    Role.TEAM_LEADER: Scope.TEAM,
    Role.SUPERVISOR: Scope.DEPARTMENT,
    Role.SHIFT_LEAD: Scope.CENTRE,
    Role.QA_INSPECTOR: Scope.CENTRE,
    Role.TRAINER: Scope.CENTRE,
    Role.MANAGER: Scope.CENTRE,
    Role.DIRECTOR: Scope.CENTRE,
    Role.HR: Scope.CENTRE,
    Role.GENERAL_MANAGER: Scope.CENTRE,
    Role.CHAIRMAN: Scope.CENTRE,
    Role.ADMINISTRATOR: Scope.CENTRE,
}

ALL_ROLES = frozenset(Role.values)
LEADERS = frozenset(
    {
        Role.TEAM_LEADER,
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.DIRECTOR,
        Role.HR,
        Role.GENERAL_MANAGER,
        Role.CHAIRMAN,
        Role.ADMINISTRATOR,
    }
)
PEOPLE_ADMINS = frozenset({Role.HR, Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})
POLICY_EDITORS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMINISTRATOR})

# action -> roles that may perform it. Apps add their actions here, so that one table answers
# "who may do what" for the whole product.
PERMISSIONS: dict[str, frozenset[str]] = {
    # organisation and roster
    "org.view_structure": ALL_ROLES,
    "org.manage_structure": frozenset({Role.HR, Role.MANAGER, Role.ADMINISTRATOR}),
    "org.view_roster": ALL_ROLES,
    "org.export_roster": LEADERS,
    "org.import_roster": frozenset({Role.HR, Role.ADMINISTRATOR}),
    "org.change_employee": PEOPLE_ADMINS,
    "org.change_position": PEOPLE_ADMINS,
    "org.view_history": PEOPLE_ADMINS | {Role.SUPERVISOR, Role.TEAM_LEADER},
    "org.view_personal_data": PEOPLE_ADMINS | {Role.SUPERVISOR, Role.TEAM_LEADER, Role.GENERAL_MANAGER},
    # calendar and policies
    "core.view_calendar": ALL_ROLES,
    "core.change_calendar": frozenset({Role.ADMINISTRATOR}),
    "core.view_policies": ALL_ROLES,
    "core.change_policies": POLICY_EDITORS,
}


def register_actions(actions: dict[str, frozenset[str] | set[str]]) -> None:
    """Apps declare their actions in their own `permissions.py` (autodiscovered at start-up);
    the decision itself — roles, scope, restrict — stays here."""
    for name, roles in actions.items():
        unknown = set(roles) - ALL_ROLES
        if unknown:
            raise ValueError(f"Action {name} names unknown roles {sorted(unknown)}.")
        if name in PERMISSIONS and PERMISSIONS[name] != frozenset(roles):
            raise ValueError(f"Action {name} is declared twice with different roles.")
        PERMISSIONS[name] = frozenset(roles)


@dataclass(frozen=True)
class ScopePaths:
    """Lookups from a model to the people and units that own its rows.

    `employee` is the path to the owning Employee ("" for the Employee model itself, None if the
    record has no single owner); the others lead to the team, department and centre ids.
    """

    employee: str | None
    team: str | None
    department: str | None  # None: a record of the whole centre, seen by anyone granted the action
    centre: str


SCOPE_PATHS: dict[str, ScopePaths] = {}


def register_scope(model_label: str, paths: ScopePaths) -> None:
    SCOPE_PATHS[model_label.lower()] = paths


def paths_for(model: type[Model]) -> ScopePaths:
    try:
        return SCOPE_PATHS[model._meta.label_lower]
    except KeyError:
        raise LookupError(f"{model._meta.label} has no scope paths; register them in core.scoping.") from None


register_scope("org.Employee", ScopePaths(employee="", team="team", department="department", centre="centre"))
register_scope("org.Team", ScopePaths(employee=None, team="", department="department", centre="department__centre"))
register_scope("org.Department", ScopePaths(employee=None, team=None, department="", centre="centre"))
register_scope(
    "org.Headcount",
    ScopePaths(employee=None, team="team", department="team__department", centre="team__department__centre"),
)
register_scope(
    "org.PositionChange",
    ScopePaths(
        employee="employee", team="employee__team", department="employee__department", centre="employee__centre"
    ),
)
register_scope(
    "org.TitleChange",
    ScopePaths(
        employee="employee", team="employee__team", department="employee__department", centre="employee__centre"
    ),
)


# --- who is asking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """The request's user as scoping sees them; cached on the user object for the request."""

    user_id: int | None
    employee_id: int | None
    team_id: int | None
    department_id: int | None
    centre_id: int | None
    roles: frozenset[str]
    led_team_ids: frozenset[int]
    is_superuser: bool

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


ANONYMOUS = Actor(None, None, None, None, None, frozenset(), frozenset(), False)


def actor_for(user: Any) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_banzu_actor", None)
    if cached is not None:
        return cached
    from banzu.org.models import Employee

    employee = (
        Employee.objects.filter(user_id=user.pk).only("pk", "team_id", "department_id", "centre_id", "status").first()
    )
    if employee is None:
        actor = Actor(user.pk, None, None, None, None, frozenset(), frozenset(), user.is_superuser)
    elif employee.status == Employee.Status.LEFT:
        # A leaver keeps nothing, superuser flag included.
        actor = Actor(user.pk, None, None, None, None, frozenset(), frozenset(), False)
    else:
        roles = frozenset(employee.roles.values_list("role", flat=True))
        led = frozenset(employee.teams_led.values_list("pk", flat=True))
        actor = Actor(
            user.pk,
            employee.pk,
            employee.team_id,
            employee.department_id,
            employee.centre_id,
            roles,
            led,
            user.is_superuser,
        )
    user._banzu_actor = actor
    return actor


def forget_actor(user: Any) -> None:
    """Drop the cached actor after its roles or team changed within the same request."""
    if hasattr(user, "_banzu_actor"):
        del user._banzu_actor


# --- decisions --------------------------------------------------------------------------------


def scope_for(user: Any, action: str) -> Scope:
    try:
        allowed = PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"Unknown action {action!r}; add it to core.scoping.PERMISSIONS.") from None
    actor = actor_for(user)
    if actor.is_superuser:
        return Scope.CENTRE
    return max((ROLE_SCOPE[role] for role in actor.roles if role in allowed), default=Scope.NONE)


def can(user: Any, action: str) -> bool:
    return scope_for(user, action) > Scope.NONE


def ensure_can(user: Any, action: str) -> None:
    if not can(user, action):
        raise NotAllowed(_("You do not have permission to do this."), code="permission_denied")


def restrict(queryset: QuerySet, user: Any, action: str) -> QuerySet:
    """`queryset` limited to the rows `user` may `action`; empty when no role grants it."""
    scope = scope_for(user, action)
    actor = actor_for(user)
    if actor.is_superuser and actor.employee_id is None:
        return queryset  # a bare superuser (manage.py createsuperuser) administers every centre
    if scope == Scope.NONE or actor.employee_id is None:
        return queryset.none()
    paths = paths_for(queryset.model)
    return queryset.filter(_scope_filter(paths, scope, actor))


def _lookup(path: str, suffix: str = "") -> str:
    return ("pk" if path == "" else f"{path}_id") + suffix


def _scope_filter(paths: ScopePaths, scope: Scope, actor: Actor) -> Q:
    if scope >= Scope.CENTRE or paths.department is None:
        return Q(**{_lookup(paths.centre): actor.centre_id})
    own = _own_filter(paths, actor)
    if scope == Scope.DEPARTMENT:
        return Q(**{_lookup(paths.department): actor.department_id}) | own
    if scope == Scope.TEAM:
        teams = set(actor.led_team_ids)
        if paths.team is None:
            return own
        return Q(**{_lookup(paths.team, "__in"): teams}) | own
    return own


def _own_filter(paths: ScopePaths, actor: Actor) -> Q:
    if paths.employee is not None:
        return Q(**{_lookup(paths.employee): actor.employee_id})
    # Records without a single owner (a team, a department): "own" is the unit the person is in.
    if paths.team is not None and actor.team_id is not None:
        return Q(**{_lookup(paths.team): actor.team_id})
    if paths.team is None and paths.department is not None:
        return Q(**{_lookup(paths.department): actor.department_id})
    return Q(pk__in=[])


def get_in_scope(queryset: QuerySet, user: Any, action: str, **lookup: Any) -> Model:
    """One record the user may see, else OutOfScope (answered as 404, same as missing)."""
    obj = restrict(queryset, user, action).filter(**lookup).first()
    if obj is None:
        raise OutOfScope()
    return obj


def ensure_not_self(user: Any, subject_employee_id: int | None, message: Any = None) -> None:
    """ORG-8: nobody approves, scores or promotes themselves."""
    actor = actor_for(user)
    if actor.employee_id is not None and actor.employee_id == subject_employee_id:
        raise NotAllowed(message or _("You cannot approve or score your own record."), code="separation_of_duties")
