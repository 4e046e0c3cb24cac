"""One JSON error shape for the API (style guide §5): {"code", "message", "fields"}.

`code` names the rule, `message` is a whole sentence for people, and `fields` (on 400) maps each
field name to its errors, each again {"code", "message"}. Nothing else leaks into the body (no
DRF "detail", no tracebacks).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import override_settings
from django.urls import path
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

from banzu.core.errors import Conflict, NotAllowed, OutOfScope, invalid

POLICY = "org.agents_per_team_leader"
ERROR_KEYS = {"code", "message", "fields"}


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= ERROR_KEYS, body
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"].strip()
    for name, errors in body.get("fields", {}).items():
        assert errors, name
        for error in errors:
            assert set(error) == {"code", "message"}, (name, error)
            assert error["code"]
            assert error["message"].strip()
    return body


def assert_field_errors(response, expected: dict[str, str]) -> dict:
    """400 with `fields` naming exactly the expected fields, each with the expected first code."""
    body = assert_error_shape(response, 400, "invalid")
    assert {name: errors[0]["code"] for name, errors in body["fields"].items()} == expected
    assert body["message"] == next(iter(body["fields"].values()))[0]["message"]
    return body


# --- 400 ---------------------------------------------------------------------------------------------


def test_missing_input_names_every_missing_field(org, api_as):
    response = api_as("hr").post(f"/api/v1/employees/{org.people['agent'].pk}/change-position/", {}, format="json")
    assert_field_errors(response, {"to_position": "required", "effective_date": "required", "reason": "required"})


def test_a_malformed_value_names_its_field(org, api_as):
    response = api_as("hr").post(
        f"/api/v1/employees/{org.people['agent'].pk}/change-position/",
        {"to_position": "no_such_position", "effective_date": "next tuesday", "reason": "考核优秀"},
        format="json",
    )
    assert_field_errors(response, {"to_position": "does_not_exist", "effective_date": "invalid"})


def test_a_rule_broken_in_the_service_names_its_field_and_rule(org, api_as):
    response = api_as("hr").post(
        f"/api/v1/employees/{org.people['agent'].pk}/change-position/",
        {"to_position": "agent", "effective_date": "2025-01-02", "reason": "考核优秀"},
        format="json",
    )
    assert_field_errors(response, {"to_position": "unchanged"})


def test_a_policy_value_of_the_wrong_kind_names_the_value_field(org, api_as):
    response = api_as("admin").patch(f"/api/v1/policies/{POLICY}/", {"value": "many", "reason": "x"}, format="json")
    assert_field_errors(response, {"value": "integer"})


def test_a_policy_value_out_of_range_names_the_value_field(org, api_as):
    response = api_as("admin").patch(f"/api/v1/policies/{POLICY}/", {"value": 0, "reason": "x"}, format="json")
    body = assert_error_shape(response, 400, "invalid")
    assert list(body["fields"]) == ["value"]


def test_a_bad_query_parameter_names_the_parameter(org, api_as):
    response = api_as("agent").get("/api/v1/calendar/add-working-days/?start=2025-01-02&days=-1")
    assert_field_errors(response, {"days": "invalid"})


def test_a_missing_upload_names_the_file_field(org, api_as):
    response = api_as("hr").post("/api/v1/employees/import/", {}, format="multipart")
    assert_field_errors(response, {"file": "required"})


# --- 401 / 403 ---------------------------------------------------------------------------------------


def test_an_anonymous_call_is_refused_with_not_authenticated(org):
    # The session authenticator comes first and sends no WWW-Authenticate challenge, so DRF
    # answers 403 rather than 401; the code still says what is wrong.
    response = APIClient().get("/api/v1/employees/")
    assert response.status_code in (401, 403)
    assert_error_shape(response, response.status_code, "not_authenticated")


def test_a_wrong_token_is_refused_with_authentication_failed(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/employees/")
    assert response.status_code in (401, 403)
    assert_error_shape(response, response.status_code, "authentication_failed")


def test_an_action_no_role_grants_answers_permission_denied(org, api_as):
    assert_error_shape(api_as("agent").get("/api/v1/employees/export/"), 403, "permission_denied")


def test_a_service_refusal_answers_permission_denied(org, api_as):
    response = api_as("hr").patch(f"/api/v1/policies/{POLICY}/", {"value": 25}, format="json")
    assert_error_shape(response, 403, "permission_denied")


def test_acting_on_ones_own_record_answers_separation_of_duties(org, api_as):
    hr = org.people["hr"]
    response = api_as("hr").post(
        f"/api/v1/employees/{hr.pk}/change-position/",
        {"to_position": "manager", "effective_date": "2025-01-02", "reason": "自荐"},
        format="json",
    )
    assert_error_shape(response, 403, "separation_of_duties")


# --- 404 / 405 -----------------------------------------------------------------------------------------


def test_a_missing_record_answers_not_found(org, api_as):
    assert_error_shape(api_as("hr").get("/api/v1/employees/999999/"), 404, "not_found")


def test_a_record_out_of_scope_answers_exactly_like_a_missing_one(org, api_as):
    client = api_as("agent")
    hidden = client.get(f"/api/v1/employees/{org.people['teammate'].pk}/")
    missing = client.get("/api/v1/employees/999999/")
    assert_error_shape(hidden, 404, "not_found")
    assert hidden.json() == missing.json()


def test_an_unknown_policy_answers_not_found(org, api_as):
    assert_error_shape(api_as("agent").get("/api/v1/policies/org.no_such_policy/"), 404, "not_found")


def test_a_method_the_endpoint_does_not_offer_answers_method_not_allowed(org, api_as):
    response = api_as("admin").delete(f"/api/v1/employees/{org.people['agent'].pk}/")
    assert_error_shape(response, 405, "method_not_allowed")


# --- every exception the code base raises, through a tiny URLconf --------------------------------------


class _Raises(APIView):
    permission_classes = [AllowAny]
    exception: Exception | None = None

    def get(self, request):
        raise self.exception


class _Nested(serializers.Serializer):
    phone = serializers.CharField()


class _Input(serializers.Serializer):
    name = serializers.CharField()
    contact = _Nested()


class _Validates(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        _Input(data={"contact": {}}).is_valid(raise_exception=True)


def _raising(exception):
    return _Raises.as_view(exception=exception)


urlpatterns = [
    path("conflict/", _raising(Conflict("该工单已被他人领取。", code="contact_taken"))),
    path("conflict-default/", _raising(Conflict("状态已变化。"))),
    path("not-allowed/", _raising(NotAllowed("你不能批准自己的请假。", code="separation_of_duties"))),
    path("not-allowed-bare/", _raising(NotAllowed())),
    path("out-of-scope/", _raising(OutOfScope())),
    path("http404/", _raising(Http404())),
    path("django-denied/", _raising(PermissionDenied())),
    path("invalid/", _raising(invalid("due_date", "截止日期不能早于今天。", code="past"))),
    path("django-invalid-bare/", _raising(ValidationError("整体校验失败。", code="whole"))),
    path("drf-invalid/", _raising(exceptions.ValidationError({"reason": ["请填写原因。"]}))),
    path("nested-invalid/", _Validates.as_view()),
    path("throttled/", _raising(exceptions.Throttled(wait=30))),
]


@pytest.fixture
def raw_client(db):
    with override_settings(ROOT_URLCONF=__name__):
        yield APIClient()


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/conflict/", 409, "contact_taken"),
        ("/conflict-default/", 409, "conflict"),
        ("/not-allowed/", 403, "separation_of_duties"),
        ("/not-allowed-bare/", 403, "not_allowed"),
        ("/out-of-scope/", 404, "not_found"),
        ("/http404/", 404, "not_found"),
        ("/django-denied/", 403, "permission_denied"),
        ("/throttled/", 429, "throttled"),
    ],
)
def test_each_exception_answers_its_status_in_the_one_shape(raw_client, url, status, code):
    assert_error_shape(raw_client.get(url), status, code)


def test_a_conflict_carries_its_message(raw_client):
    assert raw_client.get("/conflict/").json()["message"] == "该工单已被他人领取。"


def test_out_of_scope_and_http404_answer_the_same_body(raw_client):
    assert raw_client.get("/out-of-scope/").json() == raw_client.get("/http404/").json()


def test_a_service_validation_error_keeps_field_code_and_message(raw_client):
    body = assert_field_errors(raw_client.get("/invalid/"), {"due_date": "past"})
    assert body["fields"]["due_date"][0]["message"] == "截止日期不能早于今天。"


def test_a_validation_error_without_a_field_lands_on_non_field_errors(raw_client):
    body = assert_error_shape(raw_client.get("/django-invalid-bare/"), 400, "invalid")
    assert list(body["fields"]) == ["non_field_errors"]
    assert body["message"] == "整体校验失败。"


def test_a_serializer_error_keeps_its_field(raw_client):
    assert_field_errors(raw_client.get("/drf-invalid/"), {"reason": "invalid"})


def test_nested_field_errors_are_named_by_their_path(raw_client):
    assert_field_errors(raw_client.get("/nested-invalid/"), {"name": "required", "contact.phone": "required"})


@pytest.mark.parametrize(("language", "message"), [("zh-hans", "未找到。"), ("en", "Not found.")])
def test_the_error_message_follows_the_callers_language(org, api_as, language, message):
    response = api_as("agent").get("/api/v1/employees/999999/", HTTP_ACCEPT_LANGUAGE=language)
    assert assert_error_shape(response, 404, "not_found")["message"] == message
