"""Role × action matrix over HTTP for every callback endpoint and page (style guide §6).

The expected answers are written out from the spec and permissions.py, not computed from
core.scoping. The records: a city campaign of department D1 set up by team A's leader, a callback
on it assigned to `agent` (team A), and an on-site order `agent` registered (team A, D1).

* an action none of the persona's roles grants → 403, whatever the record;
* a record outside the persona's scope → 404, as if missing;
* allowed: 200 for reads; 400 (API) or 422 (page) for a write sent with empty input, proving the
  permission and scope checks passed and validation ran; 409 for an on-site step out of order;
  302 where a page redirects. Each call runs in a savepoint that is rolled back, so one persona's
  write does not change the next persona's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver, resolve

from banzu.callbacks.tests.conftest import NOW
from banzu.conftest import PERSONAS

PEOPLE = [*PERSONAS, "vip_agent"]
CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
CALLERS = set(PEOPLE) - {"qa", "trainer", "hr"}
ORGANISERS = {"team_leader", "other_team_leader", "supervisor", "other_supervisor", "manager", "admin"}
REVIEWERS = ORGANISERS | {"shift_lead"}
# The campaign belongs to D1: everyone there sees it; D2 (vip_agent, other_supervisor) does not.
SEES_CAMPAIGN = set(PEOPLE) - {"vip_agent", "other_supervisor"}
# The task and the order reach agent, team A's leader, D1's supervisor and the centre roles.
SEES_RECORD = {"agent", "team_leader", "supervisor", *CENTRE_WIDE}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def granted(roles: set[str], status: int) -> dict[str, int]:
    return {persona: status if persona in roles else 403 for persona in PEOPLE}


def acting(roles: set[str], sees: set[str], status: int, **exceptions: int) -> dict[str, int]:
    """403 without the action, 404 out of scope, else `status`."""
    answers = {persona: (403 if persona not in roles else status if persona in sees else 404) for persona in PEOPLE}
    answers.update(exceptions)
    return answers


def reading(sees: set[str]) -> dict[str, int]:
    return {persona: 200 if persona in sees else 404 for persona in PEOPLE}


@dataclass(frozen=True)
class Call:
    kind: str  # "api" or "page"
    method: str
    url: str  # {campaign}, {task}, {order}
    data: dict | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


CAMPAIGN_API = "/api/v1/callback-campaigns/{campaign}"
TASK_API = "/api/v1/callback-tasks/{task}"
ORDER_API = "/api/v1/onsite-orders/{order}"
# Only the assignee records a call, or someone who may assign it: the shift lead sees it, no more.
NOT_THE_ASSIGNEE = {"shift_lead": 403}
MATRIX = [
    # --- API ---------------------------------------------------------------------------------------------------
    (Call("api", "get", "/api/v1/callback-campaigns/"), everyone(200)),
    (Call("api", "get", f"{CAMPAIGN_API}/"), reading(SEES_CAMPAIGN)),
    (Call("api", "post", "/api/v1/callback-campaigns/", {}), granted(ORGANISERS, 400)),
    (Call("api", "post", f"{CAMPAIGN_API}/tasks/", {}), acting(ORGANISERS, SEES_CAMPAIGN, 400)),
    (Call("api", "post", f"{CAMPAIGN_API}/sample/", {}), acting(ORGANISERS, SEES_CAMPAIGN, 400)),
    (Call("api", "post", f"{CAMPAIGN_API}/close/", {}), acting(ORGANISERS, SEES_CAMPAIGN, 200)),
    (Call("api", "get", "/api/v1/callback-tasks/"), everyone(200)),
    (Call("api", "get", f"{TASK_API}/"), reading(SEES_RECORD)),
    (Call("api", "post", f"{TASK_API}/assign/", {}), acting(ORGANISERS, SEES_RECORD, 400)),
    (Call("api", "post", f"{TASK_API}/attempts/", {}), acting(CALLERS, SEES_RECORD, 400, **NOT_THE_ASSIGNEE)),
    (Call("api", "get", "/api/v1/onsite-orders/"), everyone(200)),
    (Call("api", "get", f"{ORDER_API}/"), reading(SEES_RECORD)),
    (Call("api", "post", "/api/v1/onsite-orders/", {}), granted(CALLERS, 400)),
    (Call("api", "post", f"{ORDER_API}/dispatch/", {}), acting(CALLERS, SEES_RECORD, 400)),
    (Call("api", "post", f"{ORDER_API}/accept/", {}), acting(CALLERS, SEES_RECORD, 409)),
    (Call("api", "post", f"{ORDER_API}/complete/", {}), acting(CALLERS, SEES_RECORD, 409)),
    (Call("api", "post", f"{ORDER_API}/review/", {}), acting(REVIEWERS, SEES_RECORD, 409)),
    (Call("api", "get", "/api/v1/satisfaction/?month=2024-03"), everyone(200)),
    # --- pages -------------------------------------------------------------------------------------------------
    (Call("page", "get", "/callbacks/"), everyone(200)),
    (Call("page", "get", "/callbacks/campaigns/new/"), granted(ORGANISERS, 200)),
    (Call("page", "post", "/callbacks/campaigns/new/", {}), granted(ORGANISERS, 422)),
    (Call("page", "get", "/callbacks/campaigns/{campaign}/"), reading(SEES_CAMPAIGN)),
    (Call("page", "post", "/callbacks/campaigns/{campaign}/tasks/", {}), acting(ORGANISERS, SEES_CAMPAIGN, 422)),
    # Not a sample campaign: the refusal is shown on the campaign page it redirects to.
    (Call("page", "post", "/callbacks/campaigns/{campaign}/sample/", {}), acting(ORGANISERS, SEES_CAMPAIGN, 302)),
    (Call("page", "post", "/callbacks/campaigns/{campaign}/close/", {}), acting(ORGANISERS, SEES_CAMPAIGN, 302)),
    (Call("page", "get", "/callbacks/worklist/"), everyone(200)),
    (Call("page", "get", "/callbacks/tasks/{task}/"), reading(SEES_RECORD)),
    (
        Call("page", "post", "/callbacks/tasks/{task}/attempt/", {}),
        acting(CALLERS, SEES_RECORD, 422, **NOT_THE_ASSIGNEE),
    ),
    (Call("page", "post", "/callbacks/tasks/{task}/assign/", {}), acting(ORGANISERS, SEES_RECORD, 422)),
    (Call("page", "get", "/callbacks/onsite/"), everyone(200)),
    (Call("page", "get", "/callbacks/onsite/new/"), granted(CALLERS, 200)),
    (Call("page", "post", "/callbacks/onsite/new/", {}), granted(CALLERS, 422)),
    (Call("page", "get", "/callbacks/onsite/{order}/"), reading(SEES_RECORD)),
    (Call("page", "post", "/callbacks/onsite/{order}/dispatch/", {}), acting(CALLERS, SEES_RECORD, 422)),
    (Call("page", "post", "/callbacks/onsite/{order}/accept/", {}), acting(CALLERS, SEES_RECORD, 409)),
    (Call("page", "post", "/callbacks/onsite/{order}/complete/", {}), acting(CALLERS, SEES_RECORD, 409)),
    (Call("page", "post", "/callbacks/onsite/{order}/review/", {}), acting(REVIEWERS, SEES_RECORD, 409)),
    (Call("page", "get", "/callbacks/satisfaction/"), everyone(200)),
]


def test_the_matrix_covers_every_persona_for_every_call():
    for call, expected in MATRIX:
        assert set(expected) == set(PEOPLE), call


@pytest.fixture
def records(org, task):
    from banzu.callbacks import services

    callback = task("agent")
    order = services.register_onsite(
        user=org.people["agent"].user,
        customer_name="汉阳某某商贸公司",
        phone="027-84446666",
        address="武汉市汉阳区",
        problem="税控盘无法开票",
        agreement_customer=True,
        now=NOW,
    )
    return {"campaign": callback.campaign_id, "task": callback.pk, "order": order.pk}


@pytest.mark.parametrize(("call", "expected"), MATRIX, ids=[str(call) for call, _expected in MATRIX])
def test_role_by_action(api_as, client_as, records, call, expected):
    url = call.url.format(**records)
    got = {}
    for persona in PEOPLE:
        client = api_as(persona) if call.kind == "api" else client_as(persona)
        with transaction.atomic():
            if call.method == "get":
                response = client.get(url)
            elif call.kind == "api":
                response = getattr(client, call.method)(url, call.data, format="json")
            else:
                response = client.post(url, call.data)
            transaction.set_rollback(True)
        got[persona] = response.status_code
    assert got == expected


def test_an_unknown_on_site_step_is_not_found(client_as, records):
    response = client_as("agent").post(f"/callbacks/onsite/{records['order']}/teleport/")
    assert response.status_code == 404


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
    return view.__module__.startswith("banzu.callbacks.")


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return [method for method in actions if method not in {"head", "options"}]
    return ["get"]


def test_the_matrix_covers_every_endpoint_and_page_of_callbacks():
    routed = set()
    for route, name, pattern in _routes():
        if _ours(pattern.callback) and "<format>" not in route and "\\.(?P<format>" not in route:
            methods = _methods(pattern.callback) if route.startswith("api/") else ["page"]
            routed.update((name, method) for method in methods)
    covered = set()
    for call, _expected in MATRIX:
        path = urlsplit(re.sub(r"\{\w+\}", "1", call.url)).path
        covered.add((resolve(path).view_name, call.method if call.kind == "api" else "page"))
    assert routed == covered
