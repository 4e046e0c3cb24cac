"""Role × action matrix over HTTP (style guide §6): every API endpoint and page × every persona.

The expected answers are written out here from the spec, not computed from ``core.scoping``:

* ORG-7 scope: an agent sees their own record, a team leader their team, a supervisor their
  department, HR and managers the whole centre. Shift leads, QA inspectors and trainers work with
  every team, so they see the centre too (read-only).
* Who may do what (ORG-6): exporting the roster is for leaders (team leader and up, HR); importing
  it for HR and administrators; changing positions and star titles for HR, managers and
  administrators; editing policies for managers and administrators; editing the calendar for
  administrators only.

How a refusal answers (style guide §5):

* an action none of the persona's roles grants → 403, whatever the record (the answer does not
  depend on the record, so it reveals nothing about it);
* a record outside the persona's scope → 404, the same answer as a record that does not exist;
* a visible record the persona may not act on (their own record, ORG-8) → 403.

Allowed answers: 200 for reads, 400/422 for a write sent with empty input (the permission check
passed and validation ran), 302 for a page form that saved and redirected.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.template import TemplateDoesNotExist

from banzu.conftest import PERSONAS

# --- who is who (from the spec, see the module docstring) --------------------------------------------

CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
EXPORTERS = {"team_leader", "other_team_leader", "supervisor", "other_supervisor", "manager", "hr", "admin"}
IMPORTERS = {"hr", "admin"}
PEOPLE_ADMINS = {"manager", "hr", "admin"}
POLICY_EDITORS = {"manager", "admin"}
CALENDAR_EDITORS = {"admin"}

# Who can see each employee record (targets are fixture employees).
EMPLOYEE_SEEN_BY = {
    "teammate": {"teammate", "team_leader", "supervisor", *CENTRE_WIDE},
    "other_agent": {"other_agent", "other_team_leader", "supervisor", *CENTRE_WIDE},
    "vip_agent": {"other_supervisor", *CENTRE_WIDE},
}
TEAM_SEEN_BY = {
    "team_a": {"agent", "teammate", "team_leader", "supervisor", *CENTRE_WIDE},
    "team_b": {"other_agent", "other_team_leader", "supervisor", *CENTRE_WIDE},
    "team_c": {"other_supervisor", *CENTRE_WIDE},
}
DEPARTMENT_SEEN_BY = {
    "department": set(PERSONAS) - {"other_supervisor"},
    "other_department": {"other_supervisor", *CENTRE_WIDE},
}

# Employee numbers (the fixture uses the persona key) each persona finds in the roster.
ALL_STAFF = {*PERSONAS, "vip_agent"}
DEPARTMENT_1_STAFF = ALL_STAFF - {"vip_agent", "other_supervisor"}
ROSTER_SEEN_BY_PERSONA = {
    "agent": {"agent"},
    "teammate": {"teammate"},
    "other_agent": {"other_agent"},
    "team_leader": {"agent", "teammate", "team_leader"},
    "other_team_leader": {"other_agent", "other_team_leader"},
    "supervisor": DEPARTMENT_1_STAFF,
    "other_supervisor": {"vip_agent", "other_supervisor"},
    **dict.fromkeys(CENTRE_WIDE, ALL_STAFF),
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttle counters live in the cache and would carry over from one test to the next."""
    from django.core.cache import cache

    cache.clear()


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def granted(who: set[str], ok: int) -> dict[str, int]:
    return {persona: ok if persona in who else 403 for persona in PERSONAS}


def visible(seen_by: set[str], ok: int = 200) -> dict[str, int]:
    return {persona: ok if persona in seen_by else 404 for persona in PERSONAS}


def granted_on_visible(who: set[str], seen_by: set[str], ok: int) -> dict[str, int]:
    return {persona: 403 if persona not in who else (ok if persona in seen_by else 404) for persona in PERSONAS}


# --- the endpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: `url` may name fixture objects as {employee:teammate}, {team:team_b}, {department:…}."""

    kind: str  # "api" (DRF APIClient) or "page" (Django Client)
    method: str
    url: str
    data: Any = None
    data_format: str | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


TODAY = date.today().isoformat()
POLICY = "org.agents_per_team_leader"

MATRIX: list[tuple[Call, dict[str, int]]] = [
    # API: the token exchange is public; without credentials it answers 400 to everyone
    (Call("api", "post", "/api/v1/auth/token/", {}, "json"), everyone(400)),
    # API: organisation structure
    (Call("api", "get", "/api/v1/"), everyone(200)),
    (Call("api", "get", "/api/v1/departments/"), everyone(200)),
    (Call("api", "get", "/api/v1/departments/{department:department}/"), visible(DEPARTMENT_SEEN_BY["department"])),
    (
        Call("api", "get", "/api/v1/departments/{department:other_department}/"),
        visible(DEPARTMENT_SEEN_BY["other_department"]),
    ),
    (Call("api", "get", "/api/v1/teams/"), everyone(200)),
    *[(Call("api", "get", f"/api/v1/teams/{{team:{t}}}/"), visible(seen)) for t, seen in TEAM_SEEN_BY.items()],
    # API: roster
    (Call("api", "get", "/api/v1/employees/"), everyone(200)),
    *[
        (Call("api", "get", f"/api/v1/employees/{{employee:{e}}}/"), visible(seen))
        for e, seen in EMPLOYEE_SEEN_BY.items()
    ],
    (Call("api", "get", "/api/v1/employees/999999/"), everyone(404)),
    (Call("api", "get", "/api/v1/employees/export/"), granted(EXPORTERS, 200)),
    (Call("api", "post", "/api/v1/employees/import/", {}, "multipart"), granted(IMPORTERS, 400)),
    *[
        (
            Call("api", "post", f"/api/v1/employees/{{employee:{e}}}/{action}/", {}, "json"),
            granted_on_visible(PEOPLE_ADMINS, seen, 400),
        )
        for e, seen in EMPLOYEE_SEEN_BY.items()
        for action in ("change-position", "change-title")
    ],
    # API: calendar
    (Call("api", "get", "/api/v1/calendar/?date__gte=2025-01-01&date__lte=2025-01-31"), everyone(200)),
    (Call("api", "get", "/api/v1/calendar/years/"), everyone(200)),
    (Call("api", "get", "/api/v1/calendar/add-working-days/?start=2025-01-02&days=3"), everyone(200)),
    (Call("api", "get", "/api/v1/calendar/working-days-between/?start=2025-01-01&end=2025-01-31"), everyone(200)),
    # API: policies
    (Call("api", "get", "/api/v1/policies/"), everyone(200)),
    (Call("api", "get", f"/api/v1/policies/{POLICY}/"), everyone(200)),
    (Call("api", "get", "/api/v1/policies/org.no_such_policy/"), everyone(404)),
    (
        Call("api", "patch", f"/api/v1/policies/{POLICY}/", {"value": 25, "reason": "扩编"}, "json"),
        granted(POLICY_EDITORS, 200),
    ),
    (Call("api", "post", f"/api/v1/policies/{POLICY}/reset/", {}, "json"), granted(POLICY_EDITORS, 200)),
    # Pages: organisation
    (Call("page", "get", "/"), everyone(302)),
    (Call("page", "get", "/org/"), everyone(200)),
    (Call("page", "get", "/org/my-team/"), everyone(302)),
    *[(Call("page", "get", f"/org/teams/{{team:{t}}}/"), visible(seen)) for t, seen in TEAM_SEEN_BY.items()],
    (Call("page", "get", "/org/roster/"), everyone(200)),
    (Call("page", "get", "/org/roster/export/"), granted(EXPORTERS, 200)),
    (Call("page", "get", "/org/roster/import/"), granted(IMPORTERS, 200)),
    (Call("page", "post", "/org/roster/import/", {}), granted(IMPORTERS, 422)),
    (Call("page", "get", "/org/roster/template/"), granted(IMPORTERS, 200)),
    *[
        (Call("page", "get", f"/org/employees/{{employee:{e}}}/"), visible(seen))
        for e, seen in EMPLOYEE_SEEN_BY.items()
    ],
    *[
        (
            Call(
                "page",
                "post",
                f"/org/employees/{{employee:{e}}}/",
                {
                    "change_position": "1",
                    "to_position": "{position:senior_agent}",
                    "effective_date": TODAY,
                    "reason": "考核优秀",
                },
            ),
            granted_on_visible(PEOPLE_ADMINS, seen, 302),
        )
        for e, seen in EMPLOYEE_SEEN_BY.items()
    ],
    # Pages: calendar and policies
    (Call("page", "get", "/core/calendar/"), everyone(200)),
    (Call("page", "post", "/core/calendar/", {"add_year": "1", "year": "2101"}), granted(CALENDAR_EDITORS, 302)),
    (Call("page", "get", "/core/policies/"), everyone(200)),
    (Call("page", "get", f"/core/policies/{POLICY}/"), everyone(200)),
    (Call("page", "get", "/core/policies/org.no_such_policy/"), everyone(404)),
    (
        Call("page", "post", f"/core/policies/{POLICY}/", {"value": "25", "reason": "扩编"}),
        granted(POLICY_EDITORS, 302),
    ),
]


def test_the_matrix_covers_every_persona_for_every_call():
    for call, expected in MATRIX:
        assert set(expected) == set(PERSONAS), call


def _routes():
    from django.urls import URLResolver, get_resolver

    def walk(resolver, prefix, namespace):
        for item in resolver.url_patterns:
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                yield from walk(item, route, f"{namespace}{item.namespace}:" if item.namespace else namespace)
            else:
                yield route, f"{namespace}{item.name}", item

    return list(walk(get_resolver(), "", ""))


OWN_APPS = ("banzu.core.", "banzu.org.")  # other apps keep their own matrices


def _ours(callback) -> bool:
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
    return view.__module__.startswith(OWN_APPS)


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        # DRF adds "head" to a viewset's action map on its first GET; it is not an endpoint of its own.
        return [method for method in actions if method not in {"head", "options"}]
    view = getattr(callback, "cls", None)
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def _covered_by_matrix():
    import re
    from urllib.parse import urlsplit

    from django.urls import resolve

    api, pages = set(), set()
    for call, _expected in MATRIX:
        match = resolve(urlsplit(re.sub(r"\{\w+:\w+\}", "1", call.url)).path)
        if not _ours(match.func):
            continue
        if call.kind == "api":
            api.add((match.view_name, call.method))
        else:
            pages.add(match.view_name)
    return api, pages


def test_the_matrix_covers_every_api_endpoint_and_method():
    """A new endpoint of core or org, or a new method on one, must get a row here."""
    routed = set()
    for route, name, pattern in _routes():
        if route.startswith("api/v1/") and _ours(pattern.callback):
            routed.update((name, method) for method in _methods(pattern.callback))
    assert routed == _covered_by_matrix()[0]


def test_the_matrix_covers_every_page():
    routed = {name for route, name, pattern in _routes() if not route.startswith("api/") and _ours(pattern.callback)}
    routed -= {"login", "health"}  # public: test_meta checks them
    assert routed == _covered_by_matrix()[1]


def _fill(text: str, org) -> str:
    """Replace {employee:key}, {team:attr}, {department:attr}, {position:code} with primary keys."""
    import re

    from banzu.org.tests.factories import position

    def value(match):
        kind, key = match.group(1), match.group(2)
        if kind == "employee":
            return str(org.people[key].pk)
        if kind == "position":
            return str(position(key).pk)
        return str(getattr(org, key).pk)

    return re.sub(r"\{(employee|team|department|position):(\w+)\}", value, text)


def perform(call: Call, org, client) -> Any:
    url = _fill(call.url, org)
    data = {key: _fill(value, org) if isinstance(value, str) else value for key, value in (call.data or {}).items()}
    kwargs = {"format": call.data_format} if call.data_format else {}
    if call.method == "get":
        return client.get(url)
    return getattr(client, call.method)(url, data, **kwargs)


ALLOWED = {200, 201, 302, 400, 422}


@pytest.mark.parametrize(
    ("call", "persona", "status"),
    [(call, persona, expected[persona]) for call, expected in MATRIX for persona in PERSONAS],
    ids=lambda value: str(value),
)
def test_persona_gets_the_expected_answer(org, api_as, client_as, call, persona, status):
    client = api_as(persona) if call.kind == "api" else client_as(persona)
    try:
        response = perform(call, org, client)
    except TemplateDoesNotExist as exc:
        if status in ALLOWED:
            pytest.skip(f"template pending: {exc}")
        raise AssertionError(f"{call} rendered a page for {persona}; expected {status}") from exc
    assert response.status_code == status, f"{call} as {persona} answered {response.status_code}"


# --- what each persona sees in lists and exports --------------------------------------------------


def _numbers_in_json(response) -> set[str]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["employee_no"] for row in rows}


def _numbers_in_workbook(response) -> set[str]:
    from openpyxl import load_workbook

    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return {str(row[0]) for row in rows[1:] if row and row[0] is not None}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_roster_api_lists_exactly_the_personas_scope(org, api_as, persona):
    response = api_as(persona).get("/api/v1/employees/?page_size=500")
    assert response.status_code == 200
    assert _numbers_in_json(response) == ROSTER_SEEN_BY_PERSONA[persona]


@pytest.mark.parametrize("persona", sorted(EXPORTERS))
def test_the_roster_export_through_the_api_holds_exactly_the_personas_scope(org, api_as, persona):
    response = api_as(persona).get("/api/v1/employees/export/")
    assert response.status_code == 200
    assert _numbers_in_workbook(response) == ROSTER_SEEN_BY_PERSONA[persona]


@pytest.mark.parametrize("persona", sorted(EXPORTERS))
def test_the_roster_export_page_holds_exactly_the_personas_scope(org, client_as, persona):
    response = client_as(persona).get("/org/roster/export/")
    assert response.status_code == 200
    assert _numbers_in_workbook(response) == ROSTER_SEEN_BY_PERSONA[persona]


def test_an_agent_cannot_reach_another_teams_roster_through_api_filters(org, api_as):
    client = api_as("agent")
    for query in (f"team={org.team_b.pk}", f"department={org.other_department.pk}", "search=李娜", "search=other"):
        response = client.get(f"/api/v1/employees/?{query}")
        assert response.status_code == 200
        assert _numbers_in_json(response) <= {"agent"}, query


def test_a_team_leader_filtering_for_another_team_gets_nobody(org, api_as):
    response = api_as("team_leader").get(f"/api/v1/employees/?team={org.team_b.pk}")
    assert response.status_code == 200
    assert _numbers_in_json(response) == set()


def test_a_supervisor_exporting_another_departments_team_gets_an_empty_workbook(org, client_as):
    response = client_as("supervisor").get(f"/org/roster/export/?team={org.team_c.pk}")
    assert response.status_code == 200
    assert _numbers_in_workbook(response) == set()


def _page_context(response, key):
    if response.context is None or key not in response.context:
        pytest.skip("template pending: the page rendered no context")
    return response.context[key]


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "other_supervisor", "hr"])
def test_the_roster_page_lists_exactly_the_personas_scope(org, client_as, persona):
    try:
        response = client_as(persona).get("/org/roster/")
    except TemplateDoesNotExist as exc:
        pytest.skip(f"template pending: {exc}")
    assert response.status_code == 200
    page = _page_context(response, "page")
    assert {employee.employee_no for employee in page.object_list} == ROSTER_SEEN_BY_PERSONA[persona]


def test_an_agent_filtering_the_roster_page_for_another_team_sees_nobody_else(org, client_as):
    try:
        response = client_as("agent").get(f"/org/roster/?team={org.team_b.pk}&q=李娜")
    except TemplateDoesNotExist as exc:
        pytest.skip(f"template pending: {exc}")
    assert {employee.employee_no for employee in _page_context(response, "page").object_list} == set()


def test_the_organisation_page_shows_a_supervisor_only_their_department(org, client_as):
    try:
        response = client_as("supervisor").get("/org/")
    except TemplateDoesNotExist as exc:
        pytest.skip(f"template pending: {exc}")
    departments = _page_context(response, "departments")
    assert {row["department"].code for row in departments} == {"D1"}
    teams = {summary.team.code for row in departments for summary in row["teams"]}
    assert teams == {"A", "B"}


# --- separation of duties over HTTP (ORG-8) -------------------------------------------------------


def test_hr_cannot_change_their_own_position_through_the_api(org, api_as):
    hr = org.people["hr"]
    response = api_as("hr").post(
        f"/api/v1/employees/{hr.pk}/change-position/",
        {"to_position": "manager", "effective_date": TODAY, "reason": "自荐"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "separation_of_duties"
    hr.refresh_from_db()
    assert hr.position.code == "agent"


def test_hr_cannot_change_their_own_position_on_the_employee_page(org, client_as):
    from banzu.org.tests.factories import position

    hr = org.people["hr"]
    response = client_as("hr").post(
        f"/org/employees/{hr.pk}/",
        {"change_position": "1", "to_position": position("manager").pk, "effective_date": TODAY, "reason": "自荐"},
    )
    assert response.status_code == 403
    hr.refresh_from_db()
    assert hr.position.code == "agent"


def test_hr_changes_someone_elses_position_through_the_api(org, api_as):
    agent = org.people["agent"]
    response = api_as("hr").post(
        f"/api/v1/employees/{agent.pk}/change-position/",
        {"to_position": "senior_agent", "effective_date": TODAY, "reason": "考核优秀"},
        format="json",
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.position.code == "senior_agent"
    assert response.json()["position_name"] == agent.position.name


# --- people without a role ----------------------------------------------------------------------------


@pytest.fixture
def roleless(org):
    """Two logged-in accounts no role covers: a user with no employee record and a leaver."""
    from banzu.org.models import Employee
    from banzu.org.tests.factories import UserFactory

    Employee.objects.filter(pk=org.people["hr"].pk).update(status=Employee.Status.LEFT)
    return {"no employee record": UserFactory(username="stranger"), "left the company": org.people["hr"].user}


# Redirects, the API index and the public token exchange hold no data; everything else must refuse.
ROLELESS_CALLS = [
    call for call, _expected in MATRIX if call.url not in {"/", "/org/my-team/", "/api/v1/", "/api/v1/auth/token/"}
]


@pytest.mark.parametrize("call", ROLELESS_CALLS, ids=str)
@pytest.mark.parametrize("who", ["no employee record", "left the company"])
def test_a_logged_in_user_without_a_role_is_refused_everywhere(org, roleless, call, who):
    """No role grants anything, so every call answers 403, or 404 for a record (never data)."""
    from django.test import Client
    from rest_framework.test import APIClient

    user = roleless[who]
    if call.kind == "api":
        client = APIClient()
        client.force_authenticate(user=user)
    else:
        client = Client()
        client.force_login(user)
    try:
        response = perform(call, org, client)
    except TemplateDoesNotExist as exc:
        raise AssertionError(f"{call} rendered a page for a user without a role") from exc
    assert response.status_code in {403, 404}, getattr(response, "content", b"")[:300]
