"""Role × action matrix over HTTP for every work-order endpoint and page (style guide §6).

The expected answers are written out from the spec and permissions.py, not computed from
core.scoping. The record is a suggestion created by `agent` (team A, department D1): its owner,
team A's leader, D1's supervisor and the centre roles see it; nobody is on duty and D1 has no head.

* an action none of the persona's roles grants → 403, whatever the record;
* a record outside the persona's scope → 404, as if missing;
* allowed: 200 for reads; 400 (API) or 422 (page) for a write sent with empty input, proving the
  permission and scope checks passed and validation ran; 302 where a page redirects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve

from banzu.conftest import PERSONAS

PEOPLE = [*PERSONAS, "vip_agent"]
CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
HANDLERS = set(PEOPLE) - {"qa", "trainer", "hr"}
EXPORTERS = {
    "team_leader",
    "other_team_leader",
    "supervisor",
    "other_supervisor",
    "shift_lead",
    "qa",
    "manager",
    "admin",
}
CONFIGURERS = {"manager", "admin"}
DUTY_KEEPERS = {"manager", "admin", "supervisor", "other_supervisor"}
SEES = {"agent", "team_leader", "supervisor", *CENTRE_WIDE}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def granted(roles: set[str], status: int) -> dict[str, int]:
    return {persona: status if persona in roles else 403 for persona in PEOPLE}


def on_the_order(status: int, **exceptions: int) -> dict[str, int]:
    """A write on the agent's order: 403 without the action, 404 out of scope, else `status`."""
    answers = {persona: (403 if persona not in HANDLERS else status if persona in SEES else 404) for persona in PEOPLE}
    answers.update(exceptions)
    return answers


def reading_the_order() -> dict[str, int]:
    return {persona: 200 if persona in SEES else 404 for persona in PEOPLE}


@dataclass(frozen=True)
class Call:
    kind: str  # "api" or "page"
    method: str
    url: str  # {order}, {field}, {notice}
    data: dict | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


ORDER = "/api/v1/work-orders/{order}"
PAGE = "/workorders/{order}"
# accept: the owner already handles the order (409); anyone else in scope is not its handler (403).
ACCEPT = {"agent": 409}
MATRIX = [
    # --- API ---------------------------------------------------------------------------------------------------
    (Call("api", "get", "/api/v1/work-orders/"), everyone(200)),
    (Call("api", "get", f"{ORDER}/"), reading_the_order()),
    (Call("api", "post", "/api/v1/work-orders/", {}), granted(HANDLERS, 400)),
    (Call("api", "patch", f"{ORDER}/", {"location": ""}), on_the_order(400)),
    (Call("api", "post", f"{ORDER}/hand-over/", {}), on_the_order(400)),
    (Call("api", "post", f"{ORDER}/accept/", {}), on_the_order(403, **ACCEPT)),
    (Call("api", "post", f"{ORDER}/comment/", {}), on_the_order(400)),
    (Call("api", "post", f"{ORDER}/close/", {}), on_the_order(400)),
    (Call("api", "post", f"{ORDER}/mark-urgent/", {}), on_the_order(400)),
    (Call("api", "post", f"{ORDER}/staff-data-request/", {}), on_the_order(400)),
    (Call("api", "get", "/api/v1/work-orders/export/"), granted(EXPORTERS, 200)),
    (Call("api", "get", "/api/v1/work-orders/urgent-recipient/"), everyone(200)),
    (Call("api", "get", "/api/v1/work-order-fields/"), everyone(200)),
    (Call("api", "get", "/api/v1/work-order-fields/{field}/"), everyone(200)),
    (Call("api", "post", "/api/v1/work-order-fields/", {}), granted(CONFIGURERS, 400)),
    (Call("api", "put", "/api/v1/work-order-fields/{field}/", {}), granted(CONFIGURERS, 400)),
    (Call("api", "get", "/api/v1/work-order-duties/"), everyone(200)),
    (Call("api", "post", "/api/v1/work-order-duties/", {}), granted(DUTY_KEEPERS, 400)),
    (Call("api", "get", "/api/v1/work-order-notifications/"), everyone(200)),
    (
        Call("api", "post", "/api/v1/work-order-notifications/{notice}/read/", {}),
        {persona: 200 if persona == "shift_lead" else 404 for persona in PEOPLE},
    ),
    # --- pages -------------------------------------------------------------------------------------------------
    (Call("page", "get", "/workorders/"), everyone(200)),
    (Call("page", "get", "/workorders/export/"), granted(EXPORTERS, 200)),
    (Call("page", "get", "/workorders/contacts-without-work-order/"), everyone(200)),
    (Call("page", "get", "/workorders/new/"), granted(HANDLERS, 200)),
    (Call("page", "post", "/workorders/new/", {}), granted(HANDLERS, 422)),
    (Call("page", "get", "/workorders/new/category-fields/?category=complaint"), granted(HANDLERS, 200)),
    (Call("page", "get", "/workorders/new/preview/?location=a&summary=b"), granted(HANDLERS, 200)),
    (Call("page", "get", f"{PAGE}/"), reading_the_order()),
    (Call("page", "get", f"{PAGE}/edit/"), on_the_order(200)),
    (Call("page", "post", f"{PAGE}/edit/", {}), on_the_order(422)),
    (Call("page", "post", f"{PAGE}/hand-over/", {}), on_the_order(422)),
    (Call("page", "post", f"{PAGE}/accept/", {}), on_the_order(403, **ACCEPT)),
    (Call("page", "post", f"{PAGE}/comment/", {}), on_the_order(422)),
    (Call("page", "post", f"{PAGE}/close/", {}), on_the_order(422)),
    # Nobody can take an urgent order: the refusal is shown on the detail page it redirects to.
    (Call("page", "post", f"{PAGE}/urgent/", {}), on_the_order(302)),
    (Call("page", "post", f"{PAGE}/staff-data-request/", {}), on_the_order(422)),
    (Call("page", "get", f"{PAGE}/print/"), reading_the_order()),
]


def test_the_matrix_covers_every_persona_for_every_call():
    for call, expected in MATRIX:
        assert set(expected) == set(PEOPLE), call


@pytest.fixture
def records(org, create):
    from banzu.workorders import services
    from banzu.workorders.models import Notification

    order = create("agent")
    field = services.save_field_definition(
        user=org.people["manager"].user, category="complaint", key="tax_id", label="纳税人识别号", field_type="text"
    )
    notice = Notification.objects.create(
        recipient=org.people["shift_lead"], kind="urgent_work_order", text="x", created_at=order.created_at
    )
    return {"order": order.pk, "field": field.pk, "notice": notice.pk}


@pytest.mark.parametrize(("call", "expected"), MATRIX, ids=[str(call) for call, _expected in MATRIX])
def test_role_by_action(api_as, client_as, records, call, expected):
    url = call.url.format(**records)
    got = {}
    for persona in PEOPLE:
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
    return view.__module__.startswith("banzu.workorders.")


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return [method for method in actions if method not in {"head", "options"}]
    return ["get"]  # pages: one row per URL


def test_the_matrix_covers_every_endpoint_and_page_of_work_orders():
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
