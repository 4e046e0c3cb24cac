"""Role × action matrix over HTTP for every complaint endpoint and page (style guide §6).

The expected answers are written out from the spec and permissions.py, not computed from
core.scoping. The record is a level 1 complaint filed by `agent` (team A, department D1), so its
handler is D1's supervisor: the filer, team A's leader, D1's supervisor and the centre roles see it.

* an action none of the persona's roles grants → 403, whatever the record;
* a record outside the persona's scope → 404, as if missing;
* allowed: 200 for reads; 400 (API) or 422 (page) for a write sent with empty input, proving the
  permission and scope checks passed and validation ran; 409 where the record's state refuses.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve

from banzu.conftest import PERSONAS

PEOPLE = [*PERSONAS, "vip_agent"]
CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
FILERS = set(PEOPLE) - {"qa", "trainer", "hr"}
HANDLERS = {"team_leader", "other_team_leader", "supervisor", "other_supervisor", "shift_lead", "manager", "admin"}
REPORTERS = {"supervisor", "other_supervisor", "manager", "admin"}
ANALYSTS = HANDLERS | {"qa"}
SEES = {"agent", "team_leader", "supervisor", *CENTRE_WIDE}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def granted(roles: set[str], status: int) -> dict[str, int]:
    return {persona: status if persona in roles else 403 for persona in PEOPLE}


def on_the_complaint(roles: set[str], status: int) -> dict[str, int]:
    return {persona: 403 if persona not in roles else status if persona in SEES else 404 for persona in PEOPLE}


def reading() -> dict[str, int]:
    return {persona: 200 if persona in SEES else 404 for persona in PEOPLE}


API = "/api/v1/complaints/{complaint}"
PAGE = "/complaints/{complaint}"
MATRIX = [
    (("api", "get", "/api/v1/complaints/"), everyone(200)),
    (("api", "get", f"{API}/"), reading()),
    (("api", "post", "/api/v1/complaints/"), granted(FILERS, 400)),
    (("api", "post", f"{API}/steps/"), on_the_complaint(HANDLERS, 400)),
    # a level 1 complaint has no written report (400); it is not valid yet, so nothing to publish (409)
    (("api", "post", f"{API}/report/"), on_the_complaint(REPORTERS, 400)),
    (("api", "post", f"{API}/publish/"), on_the_complaint(REPORTERS, 409)),
    (("api", "get", "/api/v1/complaints/analysis/"), granted(ANALYSTS, 200)),
    (("api", "get", "/api/v1/complaint-notices/"), everyone(200)),
    (("page", "get", "/complaints/"), everyone(200)),
    (("page", "get", "/complaints/new/"), granted(FILERS, 200)),
    (("page", "post", "/complaints/new/"), granted(FILERS, 422)),
    (("page", "get", "/complaints/notices/"), everyone(200)),
    (("page", "get", "/complaints/analysis/"), granted(ANALYSTS, 200)),
    (("page", "get", "/complaints/analysis/export/"), granted(ANALYSTS, 200)),
    (("page", "get", f"{PAGE}/"), reading()),
    (("page", "post", f"{PAGE}/step/"), on_the_complaint(HANDLERS, 422)),
    (("page", "post", f"{PAGE}/report/"), on_the_complaint(REPORTERS, 422)),
    (("page", "post", f"{PAGE}/publish/"), on_the_complaint(REPORTERS, 409)),
    (("page", "get", f"{PAGE}/print/"), reading()),
    (("page", "get", f"{PAGE}/authority-report/"), {p: 409 if p in SEES else 404 for p in PEOPLE}),
]


def test_the_matrix_covers_every_persona_for_every_call():
    for call, expected in MATRIX:
        assert set(expected) == set(PEOPLE), call


@pytest.mark.parametrize(("call", "expected"), MATRIX, ids=[f"{m.upper()} {u}" for (_k, m, u), _e in MATRIX])
def test_role_by_action(org, api_as, client_as, file, call, expected):
    kind, method, url = call
    url = url.format(complaint=file().pk)
    got = {}
    for persona in PEOPLE:
        client = api_as(persona) if kind == "api" else client_as(persona)
        if method == "get":
            response = client.get(url)
        elif kind == "api":
            response = client.post(url, {}, format="json")
        else:
            response = client.post(url, {})
        got[persona] = response.status_code
    assert got == expected


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
    return view.__module__.startswith("banzu.complaints.")


def test_the_matrix_covers_every_endpoint_and_page_of_complaints():
    routed = set()
    for route, name, pattern in _routes():
        if _ours(pattern.callback) and "<format>" not in route and "\\.(?P<format>" not in route:
            actions = getattr(pattern.callback, "actions", None)
            methods = [m for m in actions if m not in {"head", "options"}] if actions else ["page"]
            routed.update((name, method) for method in methods)
    covered = set()
    for (kind, method, url), _expected in MATRIX:
        match = resolve(urlsplit(re.sub(r"\{\w+\}", "1", url)).path)
        covered.add((match.view_name, method if kind == "api" else "page"))
    assert routed == covered
