"""Role × action matrix over HTTP for every planning endpoint and page (style guide §6).

The expected answers are written out from permissions.py and the spec, not computed from
core.scoping. Planners (supervisors, managers, directors, administrators) forecast, publish,
compute requirements and run what-ifs; team leaders and shift leads read forecasts and
requirements; agents, QA inspectors, trainers and HR see no planning. The records belong to
department D1 (the queue's department; the scenario's owner is D1's supervisor), so the other
department's supervisor gets 404.

* an action none of the persona's roles grants → 403, whatever the record;
* a record outside the persona's scope → 404, as if missing;
* allowed: 200 for reads; 400 (API) or 422 (page) for a write sent with empty input, proving the
  permission and scope checks passed and validation ran; the status of success otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve

from banzu.conftest import PERSONAS
from banzu.wfm import services
from banzu.wfm.tests.factories import NOW, manual_forecast, planning_queue

PEOPLE = [*PERSONAS, "vip_agent"]
PLANNERS = {"supervisor", "other_supervisor", "manager", "admin"}
READERS = PLANNERS | {"team_leader", "other_team_leader", "shift_lead"}
D1 = set(PEOPLE) - {"other_supervisor", "vip_agent"}  # department 1 and the centre-wide roles


def granted(roles: set[str], status: int) -> dict[str, int]:
    return {persona: status if persona in roles else 403 for persona in PEOPLE}


def on_d1(roles: set[str], status: int) -> dict[str, int]:
    """An action on a department-1 record: 403 without the action, 404 out of scope, else `status`."""
    return {persona: 403 if persona not in roles else status if persona in D1 else 404 for persona in PEOPLE}


def simulation_status() -> int:
    return 202 if services.simulation_available() else 409


@dataclass(frozen=True)
class Call:
    kind: str  # "api" or "page"
    method: str
    url: str  # {snapshot}, {scenario}
    data: dict | None = None
    fresh: bool = False  # the call changes its record: each persona gets new records

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


F = "/api/v1/wfm/forecasts"
S = "/api/v1/wfm/scenarios"
MATRIX = [
    # --- API ---------------------------------------------------------------------------------------------------
    (Call("api", "get", f"{F}/"), granted(READERS, 200)),
    (Call("api", "post", f"{F}/", {}), granted(PLANNERS, 400)),
    (Call("api", "get", f"{F}/{{snapshot}}/"), on_d1(READERS, 200)),
    (Call("api", "delete", f"{F}/{{snapshot}}/", fresh=True), on_d1(PLANNERS, 204)),
    (Call("api", "post", f"{F}/{{snapshot}}/publish/", {}, fresh=True), on_d1(PLANNERS, 200)),
    (Call("api", "get", f"{F}/{{snapshot}}/accuracy/"), on_d1(READERS, 200)),
    (Call("api", "get", f"{F}/{{snapshot}}/requirements/"), on_d1(READERS, 200)),
    (Call("api", "post", f"{F}/{{snapshot}}/requirements/", {"shrinkage_percent": -1}), on_d1(PLANNERS, 400)),
    (Call("api", "post", "/api/v1/wfm/staffing/", {}), granted(PLANNERS, 400)),
    (Call("api", "get", f"{S}/"), granted(PLANNERS, 200)),
    (Call("api", "post", f"{S}/", {}), granted(PLANNERS, 400)),
    (Call("api", "get", f"{S}/{{scenario}}/"), on_d1(PLANNERS, 200)),
    (Call("api", "put", f"{S}/{{scenario}}/", {}), on_d1(PLANNERS, 400)),
    (Call("api", "patch", f"{S}/{{scenario}}/", {"name": ""}), on_d1(PLANNERS, 400)),
    (Call("api", "delete", f"{S}/{{scenario}}/", fresh=True), on_d1(PLANNERS, 204)),
    (Call("api", "post", f"{S}/{{scenario}}/run/", {}, fresh=True), on_d1(PLANNERS, simulation_status())),
    # --- pages -------------------------------------------------------------------------------------------------
    (Call("page", "get", "/wfm/"), granted(READERS, 200)),
    (Call("page", "post", "/wfm/forecasts/new/", {}), granted(PLANNERS, 422)),
    (Call("page", "post", "/wfm/forecasts/{snapshot}/publish/", {}, fresh=True), on_d1(PLANNERS, 302)),
    (Call("page", "get", "/wfm/what-if/"), granted(PLANNERS, 200)),
    (Call("page", "post", "/wfm/what-if/simulate/", {}), granted(PLANNERS, 422)),
    # No run exists: planners get 404 (missing), everyone else 403.
    (Call("page", "get", "/wfm/what-if/runs/999999/"), granted(PLANNERS, 404)),
]


def test_the_matrix_covers_every_persona_for_every_call():
    for call, expected in MATRIX:
        assert set(expected) == set(PEOPLE), call


def make_records(org) -> dict:
    queue = planning_queue(org)
    name = f"基准{queue.code}"
    snapshot = manual_forecast(org, queue, volume=lambda m: 20.0 if m.hour == 10 else 0.0)
    scenario = services.save_scenario(
        user=org.people["supervisor"].user, name=name, inputs={"snapshot": snapshot.pk}, now=NOW
    )
    return {"snapshot": snapshot.pk, "scenario": scenario.pk}


@pytest.mark.parametrize(("call", "expected"), MATRIX, ids=[str(call) for call, _expected in MATRIX])
def test_role_by_action(org, api_as, client_as, call, expected):
    records = make_records(org)
    got = {}
    for persona in PEOPLE:
        if call.fresh:
            records = make_records(org)
        url = call.url.format(**records)
        client = api_as(persona) if call.kind == "api" else client_as(persona)
        if call.method == "get":
            response = client.get(url)
        elif call.kind == "api":
            response = getattr(client, call.method)(url, call.data, format="json")
        else:
            response = client.post(url, call.data)
        got[persona] = response.status_code
    assert got == expected


# --- every endpoint and page of the app has a row -------------------------------------------------------------


def _routes():
    def walk(resolver, prefix, namespace):
        for item in resolver.url_patterns:
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                yield from walk(item, route, f"{namespace}{item.namespace}:" if item.namespace else namespace)
            else:
                yield route, f"{namespace}{item.name}", item

    return list(walk(get_resolver(), "", ""))


def _ours(callback) -> bool:
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
    return view.__module__.startswith("banzu.wfm.")


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return [method for method in actions if method not in {"head", "options"}]
    return ["get"]


def test_the_matrix_covers_every_endpoint_and_page_of_planning():
    routed = set()
    for route, name, pattern in _routes():
        if _ours(pattern.callback) and "<format>" not in route and "\\.(?P<format>" not in route:
            methods = _methods(pattern.callback) if route.startswith("api/") else ["page"]
            routed.update((name, method) for method in methods)
    covered = set()
    for call, _expected in MATRIX:
        match = resolve(urlsplit(re.sub(r"\{\w+\}", "1", call.url)).path)
        covered.add((match.view_name, call.method if call.kind == "api" else "page"))
    assert routed == covered
