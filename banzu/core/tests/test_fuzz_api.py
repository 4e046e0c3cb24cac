"""Fuzz every operation of the OpenAPI schema as an anonymous client and as each role.

Every response: no 5xx, a documented status code and content type, a body valid against the
schema, invalid input rejected, and nothing outside the caller's scope (see fuzzing.py).
Examples per operation and persona: BANZU_FUZZ_EXAMPLES (default 3 in the suite; `make fuzz` runs
60 and shrinks failures). One test per operation runs every persona on one seeded centre, so the
centre is built once per operation rather than once per persona.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.test import override_settings
from drf_spectacular.utils import extend_schema
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework import routers, serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from schemathesis import GenerationMode
from werkzeug.test import Client

from banzu.core.tests import fuzzing
from banzu.core.tests.fuzzing import ANONYMOUS, Exclusion, OperationInfo, Target
from banzu.org.models import Employee

# Failures the fuzzer tolerates, each for one operation and one kind of failure, with the reason.
WORK_ORDER_FILTERS = (
    "the work-order list reads its filters like the page's filter form (WO-9 saved views share them): "
    "a value it cannot read is ignored, not refused"
)
EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion("GET /api/v1/work-orders/", "AcceptedNegativeData", reason=WORK_ORDER_FILTERS, status=200),
    Exclusion("GET /api/v1/work-orders/export/", "AcceptedNegativeData", reason=WORK_ORDER_FILTERS, status=200),
    Exclusion(
        "GET /api/v1/work-orders/urgent-recipient/",
        "AcceptedNegativeData",
        reason="a responsible unit that is not a number means none: the answer is then the shift lead on duty",
        status=200,
    ),
    Exclusion(
        "GET /api/v1/knowledge/articles/",
        "AcceptedNegativeData",
        reason="django-filter's choice filters read `null` as 'no value' (NULL_CHOICE_VALUE)",
        status=200,
    ),
)

# Who may see which employee, by the facts of the `org` fixture (not by core.scoping).
FACTS = {
    "agent": lambda org, me: Q(pk=me.pk),
    "team_leader": lambda org, me: Q(team=org.team_a) | Q(pk=me.pk),
    "supervisor": lambda org, me: Q(department=org.department) | Q(pk=me.pk),
    "hr": lambda org, me: Q(centre=org.centre),
    "admin": lambda org, me: Q(centre=org.centre),
}

REMOTE_ADDR = "198.18.0.1"  # a test-only address: throttle counters of other tests stay apart


def visible_employees(org, persona: str) -> set[int]:
    me = org.people[persona]
    return set(Employee.objects.filter(FACTS[persona](org, me)).values_list("pk", flat=True))


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def known_path_values(app, info: OperationInfo, admin_token: str) -> dict[str, list[Any]]:
    """Values of existing records for the path's first parameter, read from its collection as admin.

    Fuzzed ids rarely hit a record; these let detail operations reach real ones, in and out of
    each persona's scope.
    """
    if "{" not in info.path:
        return {}
    collection, rest = info.path.split("{", 1)
    name = rest.split("}", 1)[0]
    if f"GET {collection}" not in fuzzing.api_schema().operations:
        return {}
    response = Client(app).get(
        collection, query_string={"page_size": 500}, headers={"Authorization": f"Token {admin_token}"}
    )
    try:
        payload = json.loads(response.get_data()) if response.status_code == 200 else []
    except ValueError:
        return {}
    rows = payload.get("results", []) if isinstance(payload, dict) else payload
    return {name: sorted({row[name] for row in rows if isinstance(row, dict) and name in row}, key=str)}


@pytest.fixture(scope="module")
def schema():
    return fuzzing.load(fuzzing.api_schema().raw)


def target_for(org, persona: str, info: OperationInfo, path_values: dict[str, list[Any]] | None = None) -> Target:
    """Requests as `persona` (a token, or none), checked for scope leaks against the fixture."""
    app = fuzzing.InProcessApp(remote_addr=REMOTE_ADDR)
    admin = org.people["admin"].user
    if path_values is None:
        path_values = known_path_values(app, info, token_for(admin))
    user = None if persona == ANONYMOUS else org.people[persona].user

    def verify(info, case, response) -> list[str]:
        try:
            payload = response.json()
        except ValueError:
            return []
        return fuzzing.scope_leaks(
            info,
            persona=persona,
            status=response.status_code,
            payload=payload,
            user=get_user_model().objects.get(pk=user.pk) if user else None,
            visible_employees=lambda: visible_employees(org, persona),
        )

    return Target(
        app=app,
        persona=persona,
        headers={} if user is None else {"Authorization": f"Token {token_for(user)}"},
        verify=verify,
        path_values=path_values,
        exclusions=tuple(x for x in EXCLUSIONS if x.operation == info.label),
    )


def examples_for(persona: str, info: OperationInfo) -> int:
    if persona == ANONYMOUS and not info.public:
        # Credentials are checked before anything else reads the request: one example shows it
        # in the quick pass, a few in the long run.
        return max(1, fuzzing.EXAMPLES // 10)
    return fuzzing.EXAMPLES


@pytest.mark.parametrize("label", fuzzing.operation_labels())
def test_operation(org, schema, label):
    """Every persona against one operation; each persona's failure is reported, not just the first."""
    info = fuzzing.api_schema().operations[label]
    fuzzing.seed_apps(org)
    path_values = known_path_values(
        fuzzing.InProcessApp(remote_addr=REMOTE_ADDR), info, token_for(org.people["admin"].user)
    )
    failures = []
    for persona in fuzzing.PERSONAS:
        try:
            target = target_for(org, persona, info, path_values)
            fuzzing.fuzz(schema, info, target, examples=examples_for(persona, info))
        except fuzzing.FuzzFailure as failure:
            failures.append(str(failure))
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def test_every_operation_meets_every_persona():
    info = OperationInfo("GET", "/api/v1/x/", public=False, row_model=None, scope_action=None)
    assert set(fuzzing.PERSONAS) == {ANONYMOUS, *FACTS}
    assert all(examples_for(persona, info) >= 1 for persona in fuzzing.PERSONAS)


def test_the_quick_pass_writes_no_example_database_and_does_not_shrink():
    quick = fuzzing.hypothesis_settings(3, shrink=False)
    assert quick.database is None and Phase.shrink not in quick.phases and quick.deadline is None
    assert Phase.shrink in fuzzing.hypothesis_settings(3, shrink=True).phases


# API endpoints outside the schema, hence not fuzzed, with the reason.
NOT_IN_SCHEMA = {
    "GET /api/schema/": "the schema document itself (SERVE_INCLUDE_SCHEMA is off)",
    "GET /api/docs/": "the Swagger UI page that renders the schema",
}


def test_every_api_endpoint_is_in_the_schema():
    assert fuzzing.endpoints_missing_from_schema() == sorted(NOT_IN_SCHEMA)


def test_operations_are_read_from_the_schema():
    labels = fuzzing.operation_labels()
    assert "GET /api/v1/employees/" in labels
    assert "GET /api/v1/employees/{id}/" in labels
    info = fuzzing.api_schema().operations["GET /api/v1/employees/"]
    assert info.row_model is Employee
    assert info.scope_action == "org.view_roster"
    assert not info.public
    assert fuzzing.api_schema().operations["GET /healthz"].public


def test_exclusions_name_existing_operations():
    labels = set(fuzzing.operation_labels())
    assert not [x.operation for x in EXCLUSIONS if x.operation not in labels]
    assert all(x.reason.strip() for x in EXCLUSIONS)


# --- the harness fails when it should ---------------------------------------------------------------

TOY_SCHEMA = {
    "openapi": "3.0.3",
    "info": {"title": "toy", "version": "1"},
    "paths": {
        "/items/": {
            "get": {
                "parameters": [{"in": "query", "name": "n", "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"count": {"type": "integer"}},
                                    "required": ["count"],
                                }
                            }
                        },
                    },
                    "400": {"description": ""},
                },
            }
        }
    },
}
TOY = OperationInfo(method="GET", path="/items/", public=True, row_model=None, scope_action=None)


def toy_app(answer, *, reject_invalid: bool = True):
    """A WSGI app for TOY_SCHEMA that answers `answer()`, and 400 to a non-integer `n` if told to."""

    def app(environ, start_response):
        query = dict(part.split("=", 1) for part in environ.get("QUERY_STRING", "").split("&") if "=" in part)
        if reject_invalid and not query.get("n", "0").lstrip("-").isdigit():
            status, content_type, body = "400 Bad Request", "application/json", b"{}"
        else:
            status, content_type, body = answer()
        start_response(status, [("Content-Type", content_type)])
        return [body]

    return app


def toy_fuzz(answer, reject_invalid: bool = True, **kwargs) -> None:
    target = Target(app=toy_app(answer, reject_invalid=reject_invalid), persona="agent", isolate=False, **kwargs)
    fuzzing.fuzz(fuzzing.load(TOY_SCHEMA), TOY, target, examples=30)


GOOD = ("200 OK", "application/json", b'{"count": 1}')


def test_toy_api_that_behaves_passes():
    toy_fuzz(lambda: GOOD)


@pytest.mark.parametrize(
    "answer, reject_invalid, expected",
    [
        (("500 Internal Server Error", "application/json", b'{"count": 1}'), True, "ServerError"),
        (("404 Not Found", "application/json", b'{"count": 1}'), True, "UndefinedStatusCode"),
        (("200 OK", "text/html", b"<p>hi</p>"), True, "UndefinedContentType"),
        (("200 OK", "application/json", b'{"count": "many"}'), True, "JsonSchemaError"),
        (GOOD, False, "AcceptedNegativeData"),
    ],
    ids=["server-error", "undocumented-status", "content-type", "body-schema", "accepts-invalid-input"],
)
def test_toy_api_that_misbehaves_fails(answer, reject_invalid, expected):
    with pytest.raises(fuzzing.FuzzFailure, match=expected):
        toy_fuzz(lambda: answer, reject_invalid=reject_invalid)


FORM_SCHEMA = {
    "openapi": "3.0.3",
    "info": {"title": "toy", "version": "1"},
    "paths": {
        "/names/": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Name"}}},
                },
                "responses": {"201": {"description": ""}, "400": {"description": ""}},
            }
        }
    },
    "components": {
        "schemas": {
            "Name": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 5},
                    "when": {"type": "string", "format": "date", "nullable": True},
                },
                "required": ["name"],
            }
        }
    },
}
FORM = OperationInfo(method="POST", path="/names/", public=True, row_model=None, scope_action=None)


def form_app(check_length: bool):
    """Reads `name` like DRF's CharField: trimmed, then checked against its length limits."""
    from urllib.parse import parse_qs

    def app(environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(size).decode(), keep_blank_values=True)
        names = form.get("name", [])
        name = names[0].strip() if len(names) == 1 else None
        ok = name is not None and (not check_length or 1 <= len(name) <= 5)
        start_response("201 Created" if ok else "400 Bad Request", [("Content-Type", "application/json")])
        return [b"{}"]

    return app


def test_conventions_tolerate_what_drf_accepts_by_design():
    target = Target(app=form_app(check_length=True), persona="agent", isolate=False)
    fuzzing.fuzz(fuzzing.load(FORM_SCHEMA), FORM, target, examples=60)


def test_conventions_do_not_hide_a_missing_length_check():
    target = Target(app=form_app(check_length=False), persona="agent", isolate=False)
    with pytest.raises(fuzzing.FuzzFailure, match="AcceptedNegativeData"):
        fuzzing.fuzz(fuzzing.load(FORM_SCHEMA), FORM, target, examples=60)


def negative_case(schema: dict, info: OperationInfo, path: tuple, keywords: tuple | None = None):
    """The first generated invalid request whose only mutation is at `path` (with `keywords`)."""
    operation = fuzzing.load(schema)[info.path][info.method]
    found = []

    class Found(Exception):
        pass

    @given(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @settings(
        max_examples=300,
        database=None,
        derandomize=True,
        phases=[Phase.generate],  # the search stops at the first match (raised), nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    def search(case):
        mutations = case.meta.phase.data.mutations
        single = mutations[0] if len(mutations) == 1 else None
        if single and tuple(single.path) == path and keywords in (None, tuple(single.keywords)):
            found.append(case)
            raise Found

    with contextlib.suppress(Found):
        search()
    assert found, (path, keywords)
    return found[0]


ACCEPTED = type("AcceptedNegativeData", (Exception,), {})()

PAGED_SCHEMA = {
    "openapi": "3.0.3",
    "info": {"title": "toy", "version": "1"},
    "paths": {
        "/rows/": {
            "get": {
                "parameters": [
                    {"in": "query", "name": name, "schema": {"type": kind}}
                    for name, kind in (("flag", "boolean"), ("page_size", "integer"), ("number", "integer"))
                ],
                "responses": {"200": {"description": ""}, "400": {"description": ""}},
            }
        }
    },
}
PAGED = OperationInfo(method="GET", path="/rows/", public=True, row_model=None, scope_action=None)


def tolerated(case) -> list[str]:
    return [name for name, applies in fuzzing.CONVENTIONS if applies(ACCEPTED, case)]


def test_each_convention_is_narrow():
    query_convention = "an invalid query value is read as absent or as the default"
    case = negative_case(TOY_SCHEMA, TOY, ("n",))
    for nothing in ("", {}, [], ["false", ""]):
        case.query = {"n": nothing}
        assert tolerated(case) == [query_convention]
        assert fuzzing.query_readings(case, "n") == ["an empty value means the parameter is absent"]
    for something in ("x", ["", "x"]):
        case.query = {"n": something}
        assert tolerated(case) == []

    case = negative_case(PAGED_SCHEMA, PAGED, ("flag",))
    case.query = {"flag": "-1"}
    assert fuzzing.query_readings(case, "flag") == ["a boolean that is not one means the parameter is absent"]
    assert tolerated(case) == [query_convention]
    case = negative_case(PAGED_SCHEMA, PAGED, ("page_size",))
    case.query = {"page_size": "many"}
    assert fuzzing.query_readings(case, "page_size") == ["a page_size that is not a positive integer means the default"]
    assert tolerated(case) == [query_convention]
    case = negative_case(PAGED_SCHEMA, PAGED, ("number",))
    case.query = {"number": "many"}
    assert tolerated(case) == []  # an integer filter must refuse a word

    case = negative_case(FORM_SCHEMA, FORM, ("name",), ("maxLength",))
    case.body = {"name": " abc  "}
    assert tolerated(case) == ["string lengths count after surrounding whitespace is trimmed"]
    for too_long in ("abcdefg ", "abcdef"):
        case.body = {"name": too_long}
        assert tolerated(case) == []

    case = negative_case(FORM_SCHEMA, FORM, ("when",))
    case.body = {"name": "abc", "when": ""}
    assert tolerated(case) == ["an empty form value of a nullable field means null"]
    case = negative_case(FORM_SCHEMA, FORM, ("name",), ("minLength",))
    case.body = {"name": ""}
    assert tolerated(case) == []  # `name` is not nullable: an empty name must be refused


def test_a_listed_exclusion_is_tolerated_and_nothing_else():
    answer = lambda: ("404 Not Found", "application/json", b"{}")  # noqa: E731
    exclusion = Exclusion(TOY.label, "UndefinedStatusCode", reason="toy", status=404)
    toy_fuzz(answer, exclusions=(exclusion,))
    with pytest.raises(fuzzing.FuzzFailure, match="UndefinedStatusCode"):
        toy_fuzz(answer, exclusions=(Exclusion(TOY.label, "UndefinedStatusCode", reason="toy", status=403),))


def test_extra_checks_fail_the_run():
    with pytest.raises(fuzzing.FuzzFailure, match="leaked"):
        toy_fuzz(
            lambda: GOOD,
            verify=lambda info, case, response: ["leaked"],
        )


def test_scope_leaks_are_found(org):
    people = org.people
    info = OperationInfo("GET", "/api/v1/employees/", public=False, row_model=Employee, scope_action="org.view_roster")

    def leaks(persona, rows, status=200):
        return fuzzing.scope_leaks(
            info,
            persona=persona,
            status=status,
            payload={"count": len(rows), "results": rows},
            user=None if persona == ANONYMOUS else people[persona].user,
            visible_employees=lambda: set() if persona == ANONYMOUS else visible_employees(org, persona),
        )

    assert leaks("agent", [{"id": people["agent"].pk}]) == []
    found = leaks("agent", [{"id": people["agent"].pk}, {"id": people["teammate"].pk}])
    assert len(found) == 2  # by scoping.restrict and by the fixture's facts
    assert leaks("team_leader", [{"id": people["teammate"].pk}]) == []
    assert len(leaks("team_leader", [{"id": people["other_agent"].pk}])) == 2
    assert leaks("supervisor", [{"id": people["other_agent"].pk}]) == []
    assert len(leaks("supervisor", [{"id": people["vip_agent"].pk}])) == 2
    assert leaks("hr", [{"id": people["vip_agent"].pk}]) == []
    assert leaks("agent", [{"id": people["teammate"].pk}], status=404) == []
    assert leaks(ANONYMOUS, [], status=200) != []  # a secured operation answered anonymous
    assert (
        fuzzing.scope_leaks(
            OperationInfo("GET", "/healthz", public=True, row_model=None, scope_action=None),
            persona=ANONYMOUS,
            status=200,
            payload={"status": "ok"},
            user=None,
            visible_employees=set,
        )
        == []
    )


def test_a_view_that_leaks_is_caught_end_to_end(org, schema, monkeypatch):
    from banzu.org.api import EmployeeViewSet

    info = fuzzing.api_schema().operations["GET /api/v1/employees/"]
    only_scope = {"checks": []}  # the schema checks have their own tests above
    fuzzing.fuzz(schema, info, replace(target_for(org, "agent", info), **only_scope), examples=3)
    monkeypatch.setattr(EmployeeViewSet, "get_queryset", lambda self: Employee.objects.order_by("employee_no"))
    with pytest.raises(fuzzing.FuzzFailure, match=r"outside scoping.restrict(.|\n)*may not see"):
        fuzzing.fuzz(schema, info, replace(target_for(org, "agent", info), **only_scope), examples=3)


def test_facts_match_the_fixture(org):
    people = org.people
    assert visible_employees(org, "agent") == {people["agent"].pk}
    assert visible_employees(org, "team_leader") == {people[p].pk for p in ("agent", "teammate", "team_leader")}
    assert people["vip_agent"].pk not in visible_employees(org, "supervisor")
    assert people["other_agent"].pk in visible_employees(org, "supervisor")
    assert visible_employees(org, "admin") == {e.pk for e in people.values()}


# --- an endpoint added later is fuzzed; one left out of the schema or out of scope fails ----------------
# This module is also the URLconf of the tests below: one roster endpoint that forgets its scope
# (every employee to anyone logged in), one endpoint left out of the schema.


class _EmployeeRow(serializers.ModelSerializer):
    class Meta:
        model = Employee
        fields = ["id", "employee_no"]


class _UnscopedRosterViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = _EmployeeRow
    queryset = Employee.objects.order_by("pk")
    pagination_class = None


class _HiddenViewSet(viewsets.ViewSet):
    @extend_schema(exclude=True)
    def list(self, request):
        return Response([])


_toy_router = routers.SimpleRouter()
_toy_router.register("api/v1/unscoped-roster", _UnscopedRosterViewSet, basename="unscoped-roster")
_toy_router.register("api/v1/hidden", _HiddenViewSet, basename="hidden")
urlpatterns = _toy_router.urls


def test_an_endpoint_left_out_of_the_schema_is_reported():
    assert fuzzing.endpoints_missing_from_schema(__name__) == ["GET /api/v1/hidden/"]


def test_an_endpoint_added_later_is_fuzzed_and_its_missing_scope_is_caught(org):
    toy = fuzzing.api_schema(__name__)
    assert sorted(toy.operations) == ["GET /api/v1/unscoped-roster/", "GET /api/v1/unscoped-roster/{id}/"]
    schema = fuzzing.load(toy.raw)
    with override_settings(ROOT_URLCONF=__name__):
        for label in toy.operations:
            info = toy.operations[label]
            fuzzing.fuzz(schema, info, target_for(org, ANONYMOUS, info, {}), examples=1)  # log-in is still asked
            paths = {"id": [org.people["vip_agent"].pk]}
            with pytest.raises(fuzzing.FuzzFailure, match="owned by employees this persona may not see"):
                fuzzing.fuzz(schema, info, target_for(org, "agent", info, paths), examples=10)


def test_each_example_has_cache_keys_of_its_own():
    from django.core.cache import cache

    cache.set("fuzz-probe", "outside", 60)
    with fuzzing.own_cache_keys():
        assert cache.get("fuzz-probe") is None
        cache.set("fuzz-probe", "inside", 60)
        with fuzzing.own_cache_keys():
            assert cache.get("fuzz-probe") is None
    assert cache.get("fuzz-probe") == "outside"
    cache.delete("fuzz-probe")
