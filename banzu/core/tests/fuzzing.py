"""Helpers for fuzzing the whole API from its OpenAPI schema (test_fuzz_api.py).

* The schema comes from drf-spectacular in-process, so every endpoint the router serves is fuzzed
  without code per endpoint. While it is generated, the response serializer of every operation is
  noted: it tells which model the rows of a response are, for the scope-leak check.
* Requests reach Django's WSGI handler in-process, in the test's thread and transaction. Each
  example runs in a savepoint that is rolled back, so examples are independent of each other and
  a failure replays the same way when Hypothesis shrinks it.
* Checks per response: no 5xx, status code and content type documented, body valid against the
  response schema, invalid input rejected; then the scope checks below.

Scope checks ("no response leaks a record outside the caller's scope"):

* anonymous: an operation whose schema asks for credentials answers 401, never 2xx;
* every row of a 2xx JSON answer to a GET (a list, a paginated page or one object with an "id")
  whose model has scope paths must be in ``scoping.restrict(model, user, view.scope_action)``;
* independently of ``scoping``, every such row that belongs to an employee must belong to one the
  persona may see by the fixture's facts (agent: self; team leader: team A; supervisor:
  department D1; HR and administrator: the centre).

Settings: ``BANZU_FUZZ_EXAMPLES`` examples per operation and persona (default 3, so the suite stays
quick; ``make fuzz`` runs more), ``BANZU_FUZZ_SEED`` a seed to explore new inputs (default:
derandomized, the same inputs every run), ``BANZU_FUZZ=1`` the long run: failing examples are shrunk
to the smallest request that still fails (the quick pass reports the first one as it is).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.db.models import Model
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from banzu.core import scoping


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


LONG_RUN = bool(os.environ.get("BANZU_FUZZ", "").strip())
EXAMPLES = _env_int("BANZU_FUZZ_EXAMPLES", 3)
SEED: int | None = _env_int("BANZU_FUZZ_SEED", -1)
SEED = None if SEED < 0 else SEED

ANONYMOUS = "anonymous"
PERSONAS = (ANONYMOUS, "agent", "team_leader", "supervisor", "hr", "admin")
METHODS = ("get", "put", "post", "patch", "delete")

# Every check runs on every response; positive_data_acceptance is left out on purpose: valid
# input legitimately answers 401/403/404 for personas without the right or the scope.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# --- the schema ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationInfo:
    method: str  # upper case
    path: str  # the schema's path template
    public: bool  # the schema lets anonymous callers in
    row_model: type[Model] | None  # model of the rows a success response carries
    scope_action: str | None  # the view's read action in core.scoping.PERMISSIONS

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class ApiSchema:
    raw: dict
    operations: dict[str, OperationInfo]  # label -> info


def _serializer_model(value: Any) -> type[Model] | None:
    """The model behind a response serializer as drf-spectacular sees it, if there is one."""
    from drf_spectacular.utils import OpenApiResponse
    from rest_framework.serializers import BaseSerializer, ListSerializer

    if isinstance(value, dict):
        # {status: serializer} or {(status, media type): serializer}: the success responses count.
        found = {
            _serializer_model(inner)
            for key, inner in value.items()
            if str(key[0] if isinstance(key, tuple) else key).startswith("2")
        }
        found.discard(None)
        return found.pop() if len(found) == 1 else None
    if isinstance(value, OpenApiResponse):
        return _serializer_model(value.response)
    if isinstance(value, ListSerializer):
        return _serializer_model(value.child)
    if isinstance(value, BaseSerializer) or (isinstance(value, type) and issubclass(value, BaseSerializer)):
        model = getattr(getattr(value, "Meta", None), "model", None)
        return model if isinstance(model, type) and issubclass(model, Model) else None
    return None


@functools.cache
def api_schema(urlconf: str | None = None) -> ApiSchema:
    """The served OpenAPI document (of `urlconf`, else the project's), and what each operation returns."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.renderers import OpenApiJsonRenderer

    noted: dict[str, tuple[type[Model] | None, str | None]] = {}
    original = AutoSchema.get_operation

    def noting(self, path, path_regex, path_prefix, method, registry):
        operation = original(self, path, path_regex, path_prefix, method, registry)
        if operation:
            action = getattr(self.view, "scope_action", "") or None
            noted[f"{method.upper()} {path}"] = (
                _serializer_model(self.get_response_serializers()),
                action if action in scoping.PERMISSIONS else None,
            )
        return operation

    with mock.patch.object(AutoSchema, "get_operation", noting):
        document = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    # Rendered and parsed again, so lazy translations and the like become plain JSON.
    raw = json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))
    default_security = raw.get("security")
    operations = {}
    for path, item in raw["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            security = item[method].get("security", default_security)
            label = f"{method.upper()} {path}"
            row_model, action = noted.get(label, (None, None))
            operations[label] = OperationInfo(
                method=method.upper(),
                path=path,
                public=security is None or not security or {} in security,
                row_model=row_model,
                scope_action=action,
            )
    return ApiSchema(raw=raw, operations=operations)


def seed_apps(org) -> list[str]:
    """Let each app add records of its own to the `org` fixture, so that detail operations and the
    scope checks meet real rows in and out of every persona's scope.

    An app opts in with `fuzz_seed(org)` in its `tests/factories.py`; returns the apps that did.
    """
    from django.apps import apps

    seeded = []
    for config in apps.get_app_configs():
        if not config.name.startswith("banzu."):
            continue
        try:
            factories = importlib.import_module(f"{config.name}.tests.factories")
        except ModuleNotFoundError as error:
            if error.name and f"{config.name}.tests.factories".startswith(error.name):
                continue
            raise
        seed = getattr(factories, "fuzz_seed", None)
        if callable(seed):
            seed(org)
            seeded.append(config.label)
    return seeded


def operation_labels() -> list[str]:
    return sorted(api_schema().operations)


def _shape(label: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", label)


def endpoints_missing_from_schema(urlconf: str | None = None) -> list[str]:
    """API endpoints the URLconf serves but the schema leaves out, so the fuzzer would not see them."""
    from drf_spectacular.generators import EndpointEnumerator

    documented = {_shape(label) for label in api_schema(urlconf).operations}
    endpoints = EndpointEnumerator(urlconf=urlconf).get_api_endpoints()
    served = {f"{method.upper()} {path}" for path, _regex, method, _view in endpoints}
    return sorted(label for label in served if _shape(label) not in documented)


def load(raw: dict) -> schemathesis.BaseSchema:
    """A schemathesis schema over a raw OpenAPI document, with this harness's generation rules."""
    config = schemathesis.Config.from_dict(
        {
            "generation": {
                # The harness sends the persona's own credentials; generated ones would replace them.
                "with-security-parameters": False,
                # NUL bytes stay in: PostgreSQL rejects them in text, and that must not be a 500.
                "allow-x00": True,
            },
        }
    )
    return schemathesis.openapi.from_dict(raw, config=config)


# --- the application under test -----------------------------------------------------------------


@functools.cache
def _django_handler() -> WSGIHandler:
    return WSGIHandler()  # loading the middleware takes a while; one per process will do


class InProcessApp:
    """Django's WSGI handler in the test's thread, so requests share the test's transaction.

    Like Django's own test client it keeps `close_old_connections` away from the request signals,
    which would otherwise close the connection that holds the test transaction. Unhandled
    exceptions are kept with their traceback for the failure report.
    """

    def __init__(self, remote_addr: str = "127.0.0.1") -> None:
        self.handler = _django_handler()
        self.remote_addr = remote_addr
        self.errors: list[str] = []

    def _record(self, sender, request=None, **kwargs) -> None:
        self.errors.append("".join(traceback.format_exc()))

    def __call__(self, environ, start_response):
        environ = {**environ, "REMOTE_ADDR": self.remote_addr}
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        signals.got_request_exception.connect(self._record)
        try:
            response = self.handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                response.close()
        finally:
            signals.got_request_exception.disconnect(self._record)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return [body]


# --- scope checks -------------------------------------------------------------------------------


def response_rows(payload: Any) -> list[dict]:
    """The records of a JSON body: a list, a paginated page, or one object with an id."""
    if isinstance(payload, list):
        rows = payload
    elif isinstance(payload, dict) and isinstance(payload.get("results"), list):
        rows = payload["results"]
    elif isinstance(payload, dict) and "id" in payload:
        rows = [payload]
    else:
        rows = []
    return [row for row in rows if isinstance(row, dict) and "id" in row]


def _owner_lookup(paths: scoping.ScopePaths) -> str | None:
    if paths.employee is None:
        return None
    return "pk" if paths.employee == "" else f"{paths.employee}_id"


def scope_leaks(
    info: OperationInfo,
    *,
    persona: str,
    status: int,
    payload: Any,
    user: Any,
    visible_employees: Callable[[], set[int]],
) -> list[str]:
    """What this response shows the persona that it may not see; empty when nothing leaks."""
    if not 200 <= status < 300:
        return []
    if persona == ANONYMOUS:
        if info.public:
            return []
        return [f"{info.label} needs credentials by its schema, but answered {status} to an anonymous client"]
    if info.method != "GET":
        # A write may move its record out of the caller's scope (a hand-over) and echo it once.
        return []
    model = info.row_model
    rows = response_rows(payload)
    if model is None or not rows or model._meta.label_lower not in scoping.SCOPE_PATHS:
        return []
    ids = {row["id"] for row in rows}
    problems = []
    label = model._meta.label
    if info.scope_action:
        scoping.forget_actor(user)
        allowed = set(
            scoping.restrict(model._default_manager.filter(pk__in=ids), user, info.scope_action).values_list(
                "pk", flat=True
            )
        )
        outside = sorted(ids - allowed, key=str)
        if outside:
            problems.append(
                f"{info.label} as {persona} returned {label} {outside}, outside "
                f"scoping.restrict(…, {info.scope_action!r}) for this persona"
            )
    owner = _owner_lookup(scoping.paths_for(model))
    if owner is not None:
        facts = visible_employees()
        owners = model._default_manager.filter(pk__in=ids).values_list("pk", owner)
        # A row without an owner (say, a contact still queued) belongs to its unit; restrict judges it.
        outside = sorted(pk for pk, employee_id in owners if employee_id is not None and employee_id not in facts)
        if outside:
            problems.append(
                f"{info.label} as {persona} returned {label} {outside}, owned by employees this persona "
                f"may not see (visible: {sorted(facts)})"
            )
    return problems


# --- the fuzzing loop ---------------------------------------------------------------------------


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PAGE_SIZE = "page_size"  # core.drf.Pagination.page_size_query_param


def _negated(failure: Any, case: Any, location: ParameterLocation) -> list[Any] | None:
    """The mutations of a negative case whose only invalid part is in `location`, else None."""
    meta = case.meta
    if type(failure).__name__ != "AcceptedNegativeData" or meta is None:
        return None
    negated = {where for where, info in meta.components.items() if info.mode.is_negative}
    if negated != {location}:
        return None
    return list(meta.phase.data.mutations)


def _at(value: Any, path: Iterable[Any]) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _body_schema_at(case: Any, pointer: str) -> dict:
    """The request body's schema at a JSON pointer, following $refs into the components."""
    raw = case.operation.schema.raw_schema

    def deref(node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = _at(raw, node["$ref"].lstrip("#/").split("/"))
        return node

    content = _at(case.operation.definition.raw, ("requestBody", "content", case.media_type, "schema"))
    node = deref(content)
    for step in [part for part in pointer.split("/") if part]:
        node = deref(_at(node, [int(step) if isinstance(node, list) else step]))
    return node if isinstance(node, dict) else {}


# How Django REST framework and django-filter read a query value that breaks the parameter's schema,
# by design rather than by mistake: (description, applies(schema, value, name)).
QUERY_READINGS: tuple[tuple[str, Callable[[dict, Any, str], bool]], ...] = (
    # django-filter, SearchFilter and OrderingFilter read `?name=` as "not given"; OpenAPI 3
    # cannot say "empty means absent".
    ("an empty value means the parameter is absent", lambda schema, value, name: _sends_nothing(value)),
    # django-filter's BooleanFilter reads a value other than true/false/1/0 as "not given".
    (
        "a boolean that is not one means the parameter is absent",
        lambda schema, value, name: schema.get("type") == "boolean",
    ),
    # DRF's pagination falls back to the default page size when page_size is not a positive integer.
    ("a page_size that is not a positive integer means the default", lambda schema, value, name: name == PAGE_SIZE),
)


def query_readings(case: Any, name: str) -> list[str]:
    """Which QUERY_READINGS explain the value the case sends for the query parameter `name`."""
    parameters = case.operation.definition.raw.get("parameters", [])
    schemas = {p["name"]: p.get("schema") or {} for p in parameters if isinstance(p, dict) and p.get("in") == "query"}
    value = (case.query or {}).get(name)
    return [text for text, applies in QUERY_READINGS if applies(schemas.get(name, {}), value, name)]


def _query_read_by_design(failure: Any, case: Any) -> bool:
    mutations = _negated(failure, case, ParameterLocation.QUERY)
    names = {m.parameter for m in mutations or () if m.parameter}
    return bool(names) and all(query_readings(case, name) for name in names)


def _sends_nothing(value: Any) -> bool:
    """`?name=`, or nothing at all; a repeated parameter counts by its last value, as Django reads it."""
    if isinstance(value, list) and value:
        value = value[-1]
    return value in ("", [], {})


def _nullable(schema: dict) -> bool:
    types = schema.get("type")
    return (
        schema.get("nullable") is True
        or types == "null"
        or (isinstance(types, list) and "null" in types)
        or any(_nullable(branch) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))
    )


def _empty_form_value_only(failure: Any, case: Any) -> bool:
    mutations = _negated(failure, case, ParameterLocation.BODY)
    if not mutations or case.media_type not in FORM_MEDIA_TYPES:
        return False
    for mutation in mutations:
        field_pointer = re.sub(r"(/(anyOf|oneOf|allOf)/\d+)+$", "", mutation.schema_pointer)
        if _at(case.body, mutation.path) != "" or not _nullable(_body_schema_at(case, field_pointer)):
            return False
    return True


def _length_after_trimming(failure: Any, case: Any) -> bool:
    mutations = _negated(failure, case, ParameterLocation.BODY)
    if not mutations or any(not set(m.keywords) <= {"maxLength", "minLength"} for m in mutations):
        return False
    for mutation in mutations:
        value = _at(case.body, mutation.path)
        schema = _body_schema_at(case, mutation.schema_pointer)
        if not isinstance(value, str) or value == value.strip():
            return False
        length = len(value.strip())
        if not schema.get("minLength", 0) <= length <= schema.get("maxLength", length):
            return False
    return True


# Conventions of Django REST framework and django-filter, for every operation. Each tolerates one
# narrow kind of "invalid input accepted" that the server reads as valid by design.
CONVENTIONS: tuple[tuple[str, Callable[[Any, Any], bool]], ...] = (
    (
        # Each invalid query value is one of QUERY_READINGS.
        "an invalid query value is read as absent or as the default",
        _query_read_by_design,
    ),
    (
        # A form cannot send null: DRF reads an empty form value of a nullable field as null.
        "an empty form value of a nullable field means null",
        _empty_form_value_only,
    ),
    (
        # DRF's CharField trims surrounding whitespace before it checks min_length and max_length.
        "string lengths count after surrounding whitespace is trimmed",
        _length_after_trimming,
    ),
)


@dataclass(frozen=True)
class Exclusion:
    """One known failure the fuzzer tolerates: narrow (operation, failure, status), with a reason."""

    operation: str  # "GET /api/v1/…" as in the schema
    failure: str  # schemathesis failure class name, e.g. "UndefinedStatusCode"
    reason: str
    status: int | None = None
    personas: frozenset[str] | None = None

    def matches(self, label: str, persona: str, failure: Any, status: int) -> bool:
        return (
            self.operation == label
            and type(failure).__name__ == self.failure
            and (self.status is None or self.status == status)
            and (self.personas is None or persona in self.personas)
        )


@dataclass
class Target:
    """Where and as whom the examples go."""

    app: Callable
    persona: str
    headers: dict[str, str] = field(default_factory=dict)
    # extra checks after the schema checks: (info, case, response) -> list of problems
    verify: Callable[[OperationInfo, Any, Any], list[str]] = lambda info, case, response: []
    # known values for path parameters (e.g. ids of existing records), mixed with generated ones
    path_values: dict[str, list[Any]] = field(default_factory=dict)
    exclusions: tuple[Exclusion, ...] = ()
    isolate: bool = True  # run each example in a rolled-back savepoint
    checks: list[Callable] = field(default_factory=lambda: list(CHECKS))  # schemathesis checks


_strategies: dict[tuple[int, str], st.SearchStrategy] = {}


def strategy_for(operation) -> st.SearchStrategy:
    """Valid inputs, and invalid ones where the operation takes any input at all."""
    key = (id(operation.schema), operation.label)
    if key not in _strategies:
        _strategies[key] = _strategy_for(operation)
    return _strategies[key]


def _strategy_for(operation) -> st.SearchStrategy:
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    definition = operation.definition.raw
    if definition.get("parameters") or definition.get("requestBody"):
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def hypothesis_settings(examples: int, shrink: bool = LONG_RUN) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=SEED is None,
        database=None,  # nothing is written to .hypothesis/: derandomized runs replay by themselves
        phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        print_blob=False,
    )


@contextmanager
def own_cache_keys() -> Iterator[None]:
    """Cache keys of one example only: it starts with an empty cache and leaves nothing behind.

    The database rolls back after each example, and what the example cached must go with it. Throttle
    counters start from zero (fuzzing sends far more requests a minute than a person; the limits have
    their own tests), and in a shared Redis they stay away from another xdist worker's users, whose
    ids are the same numbers in its own database. Log-in lock-outs live in the database.
    """
    saved = cache.key_prefix
    cache.key_prefix = f"{saved}:fuzz-{uuid.uuid4().hex}"
    try:
        yield
    finally:
        cache.key_prefix = saved


@contextmanager
def _rolled_back(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class FuzzFailure(AssertionError):
    pass


def _failures_of(error: BaseException) -> list[BaseException]:
    if isinstance(error, FailureGroup):
        return list(error.exceptions)
    return [error]


def fuzz(schema: schemathesis.BaseSchema, info: OperationInfo, target: Target, examples: int = EXAMPLES) -> None:
    """Send `examples` generated requests for one operation; raise FuzzFailure on the first problem."""
    operation = schema[info.path][info.method]
    app = target.app

    strategy = strategy_for(operation)

    def run(data) -> None:
        case = data.draw(strategy, label="case")
        for name, values in target.path_values.items():
            if values and name in (case.path_parameters or {}) and data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(values), label=name)
        errors_before = len(getattr(app, "errors", []))
        with own_cache_keys(), _rolled_back(target.isolate):
            response = case.call(app=app, headers=target.headers)
            problems: list[str] = []
            try:
                if target.checks:
                    case.validate_response(
                        response, checks=target.checks, headers=target.headers, transport_kwargs={"app": app}
                    )
            except (Failure, FailureGroup) as error:
                for failure in _failures_of(error):
                    if any(
                        x.matches(info.label, target.persona, failure, response.status_code) for x in target.exclusions
                    ) or any(applies(failure, case) for _name, applies in CONVENTIONS):
                        continue
                    problems.append(_describe(failure))
            if response.status_code < 500:
                problems.extend(target.verify(info, case, response))
        if problems:
            server_errors = getattr(app, "errors", [])[errors_before:]
            raise FuzzFailure(_report(info, target, case, response, problems, server_errors))

    test = given(data=st.data())(run)
    if SEED is not None:
        test = hypothesis_seed(SEED)(test)
    hypothesis_settings(examples)(test)()


def _describe(failure: BaseException) -> str:
    title = getattr(failure, "title", "") or type(failure).__name__
    details = str(failure).strip()
    details = details[len(title) :].strip() if details.startswith(title) else details
    return f"{type(failure).__name__}: {title}" + (f"\n{details}" if details else "")


def _report(info, target, case, response, problems, server_errors) -> str:
    content_type = ";".join(response.headers.get("content-type", []))
    textual = content_type.startswith("text/") or "json" in content_type
    body = response.content[:2000].decode("utf-8", "replace") if textual else f"<{len(response.content)} bytes>"
    lines = [
        f"{info.label} as {target.persona}: {len(problems)} problem(s)",
        *(f"- {problem}" for problem in problems),
        "",
        f"Request: {case.method} {case.formatted_path}",
        f"  query: {case.query!r}",
        f"  media type: {case.media_type!r}",
        f"  body: {case.body!r}"[:2000],
        f"Response: {response.status_code} {content_type}",
        f"  {body}",
    ]
    for error in server_errors:
        lines += ["", "Server traceback:", error]
    return "\n".join(lines)
