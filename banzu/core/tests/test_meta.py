"""Meta-tests that keep conventions honest (style guide §6, DESIGN principle 8).

* Every URL needs log-in: anonymous requests to pages are sent to the login page, the API answers
  401/403; only an explicit allow-list is public.
* Every DRF view names its scope action (core.scoping.PERMISSIONS), or is on a public allow-list.
* Models that hold policies or history-worthy data keep audit history (ORG-9).
* Every policy has a spec ID and a default.
* CSRF protects session writes; token clients need none. Log-in locks out after repeated failures.

The checkers are plain functions over a URLconf, so the tests at the bottom can run them on a
tiny URLconf with known mistakes and prove they catch them.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from dataclasses import dataclass
from re import _constants as sre_constants  # the parser the re module itself uses
from re import _parser as sre_parse
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, resolve, reverse
from rest_framework import routers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin

# --- walking a URLconf ----------------------------------------------------------------------------

# URL names that anonymous visitors may reach. Everything else must ask for log-in.
PUBLIC_URL_NAMES = {
    "login",  # the login page itself
    "set_language",  # the language switch on the login page
    "health",  # load balancers' liveness check; answers "ok" and nothing else
    "api-token",  # exchanges a password for an API token; lock-out and rate limit apply
    "admin:login",  # the admin's own login page
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route text when unnamed
    url: str  # a concrete URL that resolves to this pattern
    pattern: URLPattern

    @property
    def view_class(self) -> type | None:
        callback = self.pattern.callback
        return getattr(callback, "cls", None) or getattr(callback, "view_class", None)

    @property
    def is_api(self) -> bool:
        cls = self.view_class
        return isinstance(cls, type) and issubclass(cls, APIView)

    @property
    def methods(self) -> list[str]:
        callback = self.pattern.callback
        actions = getattr(callback, "actions", None)
        if actions:
            # DRF adds "head" to a viewset's action map on its first GET.
            return sorted(method for method in actions if method not in {"head", "options"})
        cls = self.view_class
        if isinstance(cls, type):
            found = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
            return found or ["get"]
        return ["get", "post"]


PARAMETER_SAMPLES = {"format": "json"}  # a format suffix must name a renderer, or DRF answers 404 first


def _sample(parsed, names: dict[int, str]) -> str:
    """A short string matching a parsed regex: first branch, one repeat, a plain character per class."""
    out = []
    for op, value in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(value))
        elif op is sre_constants.NOT_LITERAL:
            out.append("x" if chr(value) != "x" else "1")
        elif op is sre_constants.ANY:
            out.append("x")
        elif op is sre_constants.IN:
            out.append(_pick(value))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            low, high, inner = value
            # At least once where allowed: an empty catch-all would resolve to an earlier pattern.
            out.append(_sample(inner, names) * max(low, min(1, high)))
        elif op is sre_constants.SUBPATTERN:
            group, _add, _remove, inner = value
            text = _sample(inner, names)
            name = names.get(group)
            if name in PARAMETER_SAMPLES:
                text = text.replace("x", PARAMETER_SAMPLES[name])
            out.append(text)
        elif op is sre_constants.BRANCH:
            out.append(_sample(value[1][0], names))
        elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"cannot build a sample for regex operator {op}")
    return "".join(out)


def _pick(items) -> str:
    for candidate in "x1a0-_":
        if _in_class(candidate, items):
            return candidate
    raise ValueError(f"no sample character for class {items}")


def _in_class(char: str, items) -> bool:
    negate, hit = False, False
    for op, value in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            hit |= ord(char) == value
        elif op is sre_constants.RANGE:
            hit |= value[0] <= ord(char) <= value[1]
        elif op is sre_constants.CATEGORY:
            hit |= bool(re.fullmatch(CATEGORIES[value], char))
    return hit != negate


CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: r"\d",
    sre_constants.CATEGORY_NOT_DIGIT: r"\D",
    sre_constants.CATEGORY_WORD: r"\w",
    sre_constants.CATEGORY_NOT_WORD: r"\W",
    sre_constants.CATEGORY_SPACE: r"\s",
    sre_constants.CATEGORY_NOT_SPACE: r"\S",
}


def _segment(pattern) -> str:
    regex = pattern.pattern.regex
    parsed = sre_parse.parse(regex.pattern, regex.flags)
    names = {index: name for name, index in regex.groupindex.items()}
    return _sample(parsed, names)


def routes(urlconf: str | None = None) -> list[Route]:
    """Every URL pattern of `urlconf`, with a concrete URL that resolves back to it."""
    found = []

    def walk(resolver, prefix: str, namespace: str) -> None:
        for item in resolver.url_patterns:
            text = prefix + _segment(item)
            if isinstance(item, URLResolver):
                inner = f"{namespace}{item.namespace}:" if item.namespace else namespace
                walk(item, text, inner)
            else:
                name = f"{namespace}{item.name}" if item.name else f"{namespace}{item.pattern}"
                found.append(Route(name=name, url="/" + text, pattern=item))

    walk(get_resolver(urlconf), "", "")
    for route in found:
        match = resolve(route.url, urlconf)
        assert match.func is route.pattern.callback, f"sample URL {route.url} does not resolve to {route.name}"
    return found


def _login_urls() -> list[str]:
    urls = [resolve_url(settings.LOGIN_URL)]
    with contextlib.suppress(NoReverseMatch):
        urls.append(reverse("admin:login"))
    return urls


def _asks_to_log_in(route: Route, response) -> bool:
    if route.is_api:
        return response.status_code in (401, 403)
    if response.status_code != 302:
        return False
    return any(response["Location"].startswith(f"{url}?next=") for url in _login_urls())


def unprotected_urls(urlconf: str, public: set[str] = PUBLIC_URL_NAMES) -> list[str]:
    """Every route outside `public` that an anonymous request reaches: "METHOD /url (name) → status"."""
    problems = []
    with override_settings(ROOT_URLCONF=urlconf):
        client = Client(raise_request_exception=False)
        for route in routes(urlconf):
            if route.name in public:
                continue
            for method in route.methods:
                response = getattr(client, method)(route.url)
                if not _asks_to_log_in(route, response):
                    problems.append(f"{method.upper()} {route.url} ({route.name}) → {response.status_code}")
    return problems


# --- DRF views and scoping ------------------------------------------------------------------------


def _public_api_views() -> tuple[type, ...]:
    from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

    from banzu.contact.cti_api import SWITCH_VIEWS
    from banzu.core.api import HealthView, TokenView

    return (
        HealthView,
        TokenView,
        *SWITCH_VIEWS,  # the CTI API: a switch token, not a person, with no roles to scope by
        SpectacularAPIView,
        SpectacularSwaggerView,
        SpectacularRedocView,
        routers.APIRootView,
    )


SAFE_METHODS = {"get", "head", "options"}


def unscoped_api_views(urlconf: str, public: tuple[type, ...] | None = None) -> list[str]:
    """Every DRF view that does not say, through core.scoping, which action it performs."""
    public = _public_api_views() if public is None else public
    problems: set[str] = set()
    for route in routes(urlconf):
        cls = route.view_class
        if not route.is_api or cls in public or (cls is not None and issubclass(cls, routers.APIRootView)):
            continue
        label = f"{cls.__module__}.{cls.__qualname__}"
        action = getattr(cls, "scope_action", "")
        if not action:
            problems.add(f"{label}: no scope_action")
        elif action not in scoping.PERMISSIONS:
            problems.add(f"{label}: scope_action {action!r} is not in core.scoping.PERMISSIONS")
        elif not issubclass(cls, ScopedViewSetMixin) and "scoping." not in inspect.getsource(cls):
            problems.add(f"{label}: names {action!r} but never calls core.scoping")
        write_actions = getattr(cls, "write_actions", {}) or {}
        for name, permission in write_actions.items():
            if permission not in scoping.PERMISSIONS:
                problems.add(f"{label}: write action {name!r} → {permission!r} is not in core.scoping.PERMISSIONS")
            if not hasattr(cls, name):
                problems.add(f"{label}: write_actions names {name!r}, which the view does not have")
        for method, name in (getattr(route.pattern.callback, "actions", None) or {}).items():
            if method not in SAFE_METHODS and name not in write_actions:
                problems.add(f"{label}: {method.upper()} {name!r} writes but has no entry in write_actions")
    return sorted(problems)


# --- the real URLconf -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_url_asks_anonymous_visitors_to_log_in():
    assert unprotected_urls(settings.ROOT_URLCONF) == []


def test_every_public_url_name_still_exists():
    names = {route.name for route in routes(settings.ROOT_URLCONF)}
    assert PUBLIC_URL_NAMES - names == set()


def test_the_walk_reaches_the_api_pages_and_admin():
    urls = {route.url for route in routes(settings.ROOT_URLCONF)}
    for expected in ("/api/v1/employees/", "/org/roster/", "/core/policies/", "/admin/"):
        assert expected in urls


def test_every_api_view_names_its_scope_action():
    assert unscoped_api_views(settings.ROOT_URLCONF) == []


@pytest.mark.django_db
def test_the_health_check_answers_anonymously_with_nothing_but_ok():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_login_page_answers_anonymous_visitors():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_language_switch_on_the_login_page_works_before_log_in():
    """The login page (base_plain.html) posts its language switch to set_language."""
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


# --- the checkers catch mistakes: a tiny URLconf with known ones ----------------------------------------


def _login(request):
    return HttpResponse("login")


def _plain_page(request, pk):
    return HttpResponse("secret")


@login_not_required
def _forgotten_public_page(request, slug):
    return HttpResponse("secret")


class _OpenAPIView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"secret": True})


class _UnscopedViewSet(viewsets.ViewSet):
    def list(self, request):
        return Response([])


class _MisspelledScopeViewSet(viewsets.ViewSet):
    scope_action = "org.view_rooster"

    def list(self, request):
        return Response([])


class _NeverChecksViewSet(viewsets.ViewSet):
    scope_action = "org.view_roster"

    def list(self, request):
        return Response([])


class _ScopedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    scope_action = "org.view_structure"

    def base_queryset(self):
        from banzu.org.models import Team

        return Team.objects.all()


class _UnguardedWriteViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    scope_action = "org.view_structure"
    write_actions = {"destroy": "org.manage_everything", "promote": "org.change_position"}

    def base_queryset(self):
        from banzu.org.models import Team

        return Team.objects.all()


_router = routers.SimpleRouter()
_router.register("unscoped", _UnscopedViewSet, basename="unscoped")
_router.register("misspelled", _MisspelledScopeViewSet, basename="misspelled")
_router.register("never-checks", _NeverChecksViewSet, basename="never-checks")
_router.register("scoped", _ScopedViewSet, basename="scoped")
_router.register("unguarded", _UnguardedWriteViewSet, basename="unguarded")

urlpatterns = [
    path("login/", login_not_required(_login), name="login"),
    path("plain/<int:pk>/", _plain_page, name="plain"),
    path("forgotten/<str:slug>/", _forgotten_public_page, name="forgotten"),
    path("open-api/", _OpenAPIView.as_view(), name="open-api"),
    *_router.urls,
]


@pytest.mark.django_db
def test_the_url_checker_reports_a_public_page_and_a_public_api_view_nobody_allowed():
    problems = unprotected_urls(__name__)
    assert problems == [
        "GET /forgotten/x/ (forgotten) → 200",
        "POST /forgotten/x/ (forgotten) → 200",
        "GET /open-api/ (open-api) → 200",
    ]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_plain_page_without_log_in_is_sent_to_the_login_page():
    response = Client().get("/plain/1/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/plain/1/"


@pytest.mark.django_db
def test_the_url_checker_accepts_an_allow_listed_page():
    problems = unprotected_urls(__name__, public={"login", "forgotten", "open-api"})
    assert problems == []


def test_the_url_checker_builds_urls_for_parameters():
    urls = {route.name: route.url for route in routes(__name__)}
    assert urls["plain"] == "/plain/1/"
    assert urls["forgotten"] == "/forgotten/x/"
    assert urls["scoped-detail"] == "/scoped/x/"


def test_the_scope_checker_reports_views_without_a_valid_scope_action():
    problems = unscoped_api_views(__name__, public=())
    module = __name__
    assert problems == sorted(
        [
            f"{module}._OpenAPIView: no scope_action",
            f"{module}._UnscopedViewSet: no scope_action",
            f"{module}._MisspelledScopeViewSet: scope_action 'org.view_rooster' is not in core.scoping.PERMISSIONS",
            f"{module}._NeverChecksViewSet: names 'org.view_roster' but never calls core.scoping",
            f"{module}._UnguardedWriteViewSet: write action 'destroy' → 'org.manage_everything' is not in "
            "core.scoping.PERMISSIONS",
            f"{module}._UnguardedWriteViewSet: write_actions names 'promote', which the view does not have",
            f"{module}._UnguardedWriteViewSet: POST 'create' writes but has no entry in write_actions",
            f"{module}._UnguardedWriteViewSet: PUT 'update' writes but has no entry in write_actions",
            f"{module}._UnguardedWriteViewSet: PATCH 'partial_update' writes but has no entry in write_actions",
        ]
    )


# --- audit history (ORG-9) ---------------------------------------------------------------------------

REQUIRED_HISTORY = [
    "core.PolicyValue",
    "core.CalendarDay",
    "core.CalendarYear",
    "org.Centre",
    "org.Department",
    "org.Team",
    "org.Employee",
    "org.EmployeeRole",
    "org.Headcount",
]


@pytest.mark.parametrize("label", REQUIRED_HISTORY)
def test_model_keeps_audit_history(label):
    from simple_history.manager import HistoryManager

    model = apps.get_model(label)
    manager = getattr(model, "history", None)
    assert isinstance(manager, HistoryManager), f"{label} has no simple_history `history`"
    assert manager.model.instance_type is model


def test_the_history_check_catches_a_model_without_history():
    from simple_history.manager import HistoryManager

    assert not isinstance(getattr(apps.get_model("org.Position"), "history", None), HistoryManager)


# --- policies have a spec and a default ---------------------------------------------------------------


def test_every_policy_names_its_spec_and_has_a_default():
    from banzu.core.policies import REGISTRY

    assert REGISTRY
    wrong = [
        key
        for key, item in REGISTRY.items()
        if not re.match(r"^(?:[A-Z]+-\d+|D\d+)", item.spec or "")
        or item.default is None
        or item.parse(item.default) != item.default
    ]
    assert wrong == []


# --- CSRF -----------------------------------------------------------------------------------------------

POLICY = "org.agents_per_team_leader"


def _csrf_pair() -> tuple[str, str]:
    """(cookie secret, form token) as CsrfViewMiddleware would hand them to a browser."""
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


def _policy_value(org) -> Any:
    from banzu.core.policies import policies_for

    return policies_for(org.centre, [POLICY])[POLICY]


def test_a_page_post_without_a_csrf_token_is_refused(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.people["admin"].user)
    response = client.post(f"/core/policies/{POLICY}/", {"value": "25", "reason": "扩编"})
    assert response.status_code == 403
    assert _policy_value(org) == 20


def test_a_page_post_with_the_csrf_token_is_accepted(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.people["admin"].user)
    secret, token = _csrf_pair()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = client.post(f"/core/policies/{POLICY}/", {"value": "25", "reason": "扩编", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert _policy_value(org) == 25


def _session_api_client(org):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.people["admin"].user)
    return client


def test_an_api_patch_with_session_auth_and_no_csrf_header_is_refused(org):
    response = _session_api_client(org).patch(
        f"/api/v1/policies/{POLICY}/", {"value": 25, "reason": "扩编"}, format="json"
    )
    assert response.status_code == 403
    assert _policy_value(org) == 20


def test_an_api_patch_with_session_auth_and_the_csrf_header_is_accepted(org):
    client = _session_api_client(org)
    secret, token = _csrf_pair()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = client.patch(
        f"/api/v1/policies/{POLICY}/", {"value": 25, "reason": "扩编"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert _policy_value(org) == 25


def test_an_api_patch_with_a_token_needs_no_csrf(org):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=org.people["admin"].user)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.patch(f"/api/v1/policies/{POLICY}/", {"value": 25, "reason": "扩编"}, format="json")
    assert response.status_code == 200
    assert _policy_value(org) == 25


# --- log-in and lock-out --------------------------------------------------------------------------------

PASSWORD = "pw-banzu-test"  # the factories' password


def _log_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_correct_login_succeeds(org):
    client = Client()
    response = _log_in(client, "agent", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_a_correct_login_after_fewer_failures_than_the_limit_succeeds(org):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "agent", "wrong-password").status_code == 200
    _log_in(client, "agent", PASSWORD)
    assert _logged_in(client)


def test_a_correct_login_after_the_failure_limit_is_refused(org):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "agent", "wrong-password")
    response = _log_in(client, "agent", PASSWORD)
    assert response.status_code in (403, 429)
    assert not _logged_in(client)


def test_the_lock_out_is_per_account(org):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "agent", "wrong-password")
    _log_in(client, "teammate", PASSWORD)
    assert _logged_in(client)


# --- the OpenAPI schema documents the one error shape everywhere -----------------------------------------

ERROR_STATUSES = ("400", "401", "403", "404")


def operations_without_error_responses(document: dict) -> list[str]:
    """Every operation of an OpenAPI document that leaves out one of the error answers all of them can give."""
    problems = []
    reference = {"$ref": "#/components/schemas/Error"}
    for url, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            responses = operation.get("responses", {})
            for status in ERROR_STATUSES:
                schema = responses.get(status, {}).get("content", {}).get("application/json", {}).get("schema")
                if schema != reference and reference not in (schema or {}).get("anyOf", []):
                    problems.append(f"{method.upper()} {url}: {status} without the error shape")
    return problems


def _schema_document() -> dict:
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


def test_every_api_operation_documents_the_error_shape():
    document = _schema_document()
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    assert operations_without_error_responses(document) == []


def test_the_error_response_checker_reports_an_operation_without_them():
    document = {
        "paths": {
            "/api/v1/things/": {
                "get": {"responses": {"200": {"description": ""}}},
                "parameters": [],
            }
        }
    }
    assert operations_without_error_responses(document) == [
        f"GET /api/v1/things/: {status} without the error shape" for status in ERROR_STATUSES
    ]


def test_the_schema_hook_documents_errors_on_an_endpoint_added_later():
    from banzu.core.schema import document_errors

    class Generator:
        endpoints = [("/api/v1/things/", "", "POST", _ScopedViewSet.as_view({"post": "create"}))]

    document = document_errors(
        {"paths": {"/api/v1/things/": {"post": {"requestBody": {}, "responses": {"201": {"description": ""}}}}}},
        Generator(),
        None,
        True,
    )
    assert operations_without_error_responses(document) == []
    assert {"409", "415"} <= set(document["paths"]["/api/v1/things/"]["post"]["responses"])
