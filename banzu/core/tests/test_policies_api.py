"""Policies over the HTTP API: who may read and change them, error shape, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from banzu.conftest import PERSONAS
from banzu.core.models import PolicyValue
from banzu.core.policies import REGISTRY, Kind, Policy, policy, register

SPAN = "org.agents_per_team_leader"  # default 20, minimum 1, maximum 200
LIST_URL = "/api/v1/policies/"
EDITORS = {"manager", "admin"}

TEST_POLICIES = (
    Policy(
        "testing.quality_target",
        default=Decimal("0.80"),
        spec="TEST-1",
        label="Quality target",
        kind=Kind.DECIMAL,
        minimum=Decimal("0"),
        maximum=Decimal("1"),
    ),
    Policy("testing.callbacks_enabled", default=False, spec="TEST-2", label="Callbacks", kind=Kind.BOOLEAN),
)


@pytest.fixture
def testing_policies():
    register(*TEST_POLICIES)
    yield
    for item in TEST_POLICIES:
        REGISTRY.pop(item.key, None)


def url(key: str, suffix: str = "") -> str:
    return f"{LIST_URL}{key}/{suffix}"


@pytest.mark.parametrize("persona", [*PERSONAS, "vip_agent"])
def test_every_persona_can_list_the_policies(api_as, persona):
    response = api_as(persona).get(LIST_URL)
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()}
    assert set(rows) == set(REGISTRY)
    assert rows[SPAN] == {
        "key": SPAN,
        "label": str(REGISTRY[SPAN].label),
        "spec": "ORG-1, D16",
        "kind": "integer",
        "unit": str(REGISTRY[SPAN].unit),
        "default": 20,
        "value": 20,
        "minimum": 1,
        "maximum": 200,
        "is_default": True,
    }


def test_listing_needs_a_log_in(org):
    from rest_framework.test import APIClient

    assert APIClient().get(LIST_URL).status_code in (401, 403)


def test_the_list_is_answered_in_a_few_queries(api_as, org, django_assert_max_num_queries):
    client = api_as("agent")
    with django_assert_max_num_queries(8):
        assert client.get(LIST_URL).status_code == 200


def test_the_list_shows_the_centres_value_and_marks_it_changed(api_as):
    assert api_as("manager").patch(url(SPAN), {"value": 30, "reason": "Pilot"}, format="json").status_code == 200
    rows = {row["key"]: row for row in api_as("agent").get(LIST_URL).json()}
    assert rows[SPAN]["value"] == 30
    assert rows[SPAN]["default"] == 20
    assert rows[SPAN]["is_default"] is False


def test_one_policy_can_be_read(api_as):
    response = api_as("qa").get(url(SPAN))
    assert response.status_code == 200
    assert response.json()["key"] == SPAN
    assert response.json()["value"] == 20


@pytest.mark.parametrize("persona", [*PERSONAS, "vip_agent"])
def test_only_managers_and_administrators_may_change_a_policy(api_as, org, persona):
    response = api_as(persona).patch(url(SPAN), {"value": 25, "reason": "Matrix"}, format="json")
    stored = PolicyValue.objects.filter(centre=org.centre, key=SPAN).values_list("value", flat=True).first()
    if persona in EDITORS:
        assert response.status_code == 200
        assert response.json()["value"] == 25
        assert stored == 25
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert stored is None


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "hr"])
def test_others_may_not_reset_a_policy(api_as, org, persona):
    api_as("manager").patch(url(SPAN), {"value": 25, "reason": "r"}, format="json")
    assert api_as(persona).post(url(SPAN, "reset/")).status_code == 403
    assert policy(SPAN, org.centre) == 25


def test_a_change_is_audited_with_user_and_reason(api_as, org):
    api_as("manager").patch(url(SPAN), {"value": 25, "reason": "More teams"}, format="json")
    api_as("admin").patch(url(SPAN), {"value": 40, "reason": "Growth"}, format="json")
    history = PolicyValue.history.filter(centre=org.centre, key=SPAN).order_by("history_date", "history_id")
    assert [(h.history_type, h.value, h.history_user_id, h.history_change_reason) for h in history] == [
        ("+", 25, org.people["manager"].user.pk, "More teams"),
        ("~", 40, org.people["admin"].user.pk, "Growth"),
    ]


@pytest.mark.parametrize(
    ("value", "code"),
    [(500, "max_value"), (0, "min_value"), ("many", "integer"), (2.5, "integer"), (True, "integer")],
)
def test_a_bad_value_is_refused_with_the_rule_on_the_value_field(api_as, org, value, code):
    response = api_as("manager").patch(url(SPAN), {"value": value, "reason": "r"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [error["code"] for error in body["fields"]["value"]] == [code]
    assert body["message"] == body["fields"]["value"][0]["message"]
    assert not PolicyValue.objects.exists()
    assert not PolicyValue.history.exists()


def test_a_range_error_names_the_limit(api_as):
    response = api_as("manager").patch(url(SPAN), {"value": 201}, format="json")
    assert "200" in response.json()["fields"]["value"][0]["message"]


def test_a_missing_value_is_refused(api_as):
    response = api_as("manager").patch(url(SPAN), {"reason": "r"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["value"][0]["code"] == "required"
    assert not PolicyValue.objects.exists()


@pytest.mark.parametrize(
    ("method", "suffix", "persona"),
    [("get", "", "agent"), ("get", "", "manager"), ("patch", "", "manager"), ("post", "reset/", "admin")],
)
def test_an_unknown_key_is_not_found(api_as, method, suffix, persona):
    client = api_as(persona)
    response = getattr(client, method)(url("org.no_such_policy", suffix), {"value": 1}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not PolicyValue.objects.exists()


def test_reset_returns_to_the_default_and_keeps_history(api_as, org):
    api_as("manager").patch(url(SPAN), {"value": 25, "reason": "Pilot"}, format="json")
    response = api_as("admin").post(url(SPAN, "reset/"))
    assert response.status_code == 200
    assert response.json()["value"] == 20
    assert response.json()["is_default"] is True
    assert not PolicyValue.objects.filter(centre=org.centre, key=SPAN).exists()
    last = PolicyValue.history.filter(centre=org.centre, key=SPAN).latest("history_date")
    assert (last.history_type, last.value, last.history_user_id) == ("-", 25, org.people["admin"].user.pk)


def test_decimal_values_travel_as_exact_text(api_as, org, testing_policies):
    response = api_as("manager").patch(url("testing.quality_target"), {"value": "0.95", "reason": "r"}, format="json")
    assert response.status_code == 200
    assert response.json()["value"] == "0.95"
    assert response.json()["default"] == "0.80"
    assert response.json()["minimum"] == "0"
    assert PolicyValue.objects.get(centre=org.centre, key="testing.quality_target").value == "0.95"
    assert policy("testing.quality_target", org.centre) == Decimal("0.95")


def test_a_decimal_out_of_range_is_refused(api_as, testing_policies):
    response = api_as("manager").patch(url("testing.quality_target"), {"value": "1.5"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["value"][0]["code"] == "max_value"


def test_boolean_values_accept_json_booleans_and_words(api_as, org, testing_policies):
    client = api_as("manager")
    assert client.patch(url("testing.callbacks_enabled"), {"value": True}, format="json").json()["value"] is True
    assert client.patch(url("testing.callbacks_enabled"), {"value": "no"}, format="json").json()["value"] is False
    response = client.patch(url("testing.callbacks_enabled"), {"value": "perhaps"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["value"][0]["code"] == "boolean"
    assert policy("testing.callbacks_enabled", org.centre) is False
