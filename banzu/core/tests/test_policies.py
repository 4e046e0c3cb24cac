"""Policies are data (DESIGN principle 3): typed parsing, per-centre values and their audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from banzu.core import services
from banzu.core.errors import NotAllowed
from banzu.core.models import PolicyValue
from banzu.core.policies import (
    REGISTRY,
    Kind,
    Policy,
    PolicyValueError,
    from_storage,
    parse_policy_value,
    policies_for,
    policy,
    register,
    to_storage,
)

SPAN = "org.agents_per_team_leader"  # real policy: default 20, minimum 1, maximum 200

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
    Policy("testing.shift_start", default="08:30", spec="TEST-3", label="Shift start", kind=Kind.TIME),
    Policy("testing.greeting", default="您好", spec="TEST-4", label="Greeting", kind=Kind.TEXT),
    Policy("testing.open_ended", default=5, spec="TEST-5", label="No limits", kind=Kind.INTEGER),
)


@pytest.fixture
def testing_policies():
    """Test-only definitions of every kind, removed again so other tests never see them."""
    register(*TEST_POLICIES)
    yield {item.key: item for item in TEST_POLICIES}
    for item in TEST_POLICIES:
        REGISTRY.pop(item.key, None)


def error_code(item: Policy, raw) -> str:
    with pytest.raises(PolicyValueError) as caught:
        parse_policy_value(item, raw)
    return caught.value.code


def field_codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("20", 20), (" 7 ", 7), (1, 1), (200, 200), ("200", 200)],
)
def test_integer_policy_accepts_whole_numbers_in_range(raw, expected):
    value = REGISTRY[SPAN].parse(raw)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0", "min_value"),
        (-3, "min_value"),
        ("201", "max_value"),
        ("2.5", "integer"),
        (2.5, "integer"),
        ("twenty", "integer"),
        ("", "integer"),
        (True, "integer"),
    ],
)
def test_integer_policy_refuses_bad_input_naming_the_rule(raw, code):
    assert error_code(REGISTRY[SPAN], raw) == code


def test_range_errors_name_the_limit():
    with pytest.raises(PolicyValueError) as low:
        REGISTRY[SPAN].parse("0")
    with pytest.raises(PolicyValueError) as high:
        REGISTRY[SPAN].parse("500")
    assert "1" in str(low.value.message)
    assert "200" in str(high.value.message)


def test_decimal_policy_keeps_the_exact_decimal(testing_policies):
    item = testing_policies["testing.quality_target"]
    value = item.parse("0.1")
    assert isinstance(value, Decimal)
    assert value == Decimal("0.1")
    assert str(item.parse("0.95")) == "0.95"
    assert str(item.parse("0.950")) == "0.950"  # trailing zeros are what the user typed
    assert item.parse(0.3) == Decimal("0.3")  # a JSON float is read by its shortest text, not binary


@pytest.mark.parametrize(
    ("raw", "code"),
    [("1.01", "max_value"), ("-0.1", "min_value"), ("abc", "decimal"), ("NaN", "decimal"), ("Infinity", "decimal")],
)
def test_decimal_policy_refuses_bad_input_naming_the_rule(testing_policies, raw, code):
    assert error_code(testing_policies["testing.quality_target"], raw) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("YES", True),
        ("true", True),
        ("on", True),
        ("1", True),
        (True, True),
        ("no", False),
        ("False", False),
        ("off", False),
        ("0", False),
        (False, False),
    ],
)
def test_boolean_policy_understands_yes_and_no_words(testing_policies, raw, expected):
    assert testing_policies["testing.callbacks_enabled"].parse(raw) is expected


def test_boolean_policy_refuses_other_words(testing_policies):
    assert error_code(testing_policies["testing.callbacks_enabled"], "maybe") == "boolean"


@pytest.mark.parametrize(
    ("raw", "expected"), [("09:00", "09:00"), ("9:05", "09:05"), ("23:59", "23:59"), ("0:00", "00:00")]
)
def test_time_policy_is_normalised_to_hh_mm(testing_policies, raw, expected):
    assert testing_policies["testing.shift_start"].parse(raw) == expected


@pytest.mark.parametrize("raw", ["24:00", "12:60", "9", "09:00:00", "nine", "", "-1:00"])
def test_time_policy_refuses_anything_but_a_time_of_day(testing_policies, raw):
    assert error_code(testing_policies["testing.shift_start"], raw) == "time"


def test_text_policy_is_trimmed_and_may_not_be_empty(testing_policies):
    item = testing_policies["testing.greeting"]
    assert item.parse("  欢迎致电  ") == "欢迎致电"
    assert error_code(item, "   ") == "required"


def test_policy_without_limits_accepts_any_whole_number(testing_policies):
    item = testing_policies["testing.open_ended"]
    assert item.parse("-40") == -40
    assert item.parse("1000000") == 1000000


@given(st.integers(min_value=-1000, max_value=1000))
def test_integer_parsing_accepts_exactly_the_declared_range(number):
    item = REGISTRY[SPAN]
    if 1 <= number <= 200:
        assert item.parse(str(number)) == number
    else:
        with pytest.raises(PolicyValueError):
            item.parse(str(number))


@given(st.decimals(min_value=0, max_value=1, allow_nan=False, allow_infinity=False, places=4))
def test_decimal_storage_round_trip_is_exact(number):
    item = TEST_POLICIES[0]
    typed = item.parse(str(number))
    stored = to_storage(item, typed)
    assert isinstance(stored, str)
    assert from_storage(item, stored) == number
    assert str(from_storage(item, stored)) == str(typed)


# --- declaring ----------------------------------------------------------------------------------


def test_registering_a_policy_whose_default_breaks_its_own_range_fails():
    broken = Policy("testing.broken", default=0, spec="TEST-9", label="Broken", minimum=1, maximum=10)
    with pytest.raises(PolicyValueError) as caught:
        register(broken)
    assert caught.value.code == "min_value"
    assert "testing.broken" not in REGISTRY


def test_registering_a_key_twice_with_another_definition_fails():
    changed = Policy(SPAN, default=30, spec="ORG-1, D16", label="Agents per team leader", minimum=1, maximum=200)
    with pytest.raises(ValueError, match="declared twice"):
        register(changed)
    assert REGISTRY[SPAN].default == 20


# --- reading ------------------------------------------------------------------------------------


def test_policy_is_the_seed_default_until_a_value_is_stored(org):
    assert policy(SPAN, org.centre) == 20
    services.set_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, value="25", reason="More teams")
    assert policy(SPAN, org.centre) == 25
    assert policy(SPAN, org.centre.pk) == 25  # a centre id works as well


def test_values_belong_to_one_centre(org):
    from banzu.org.tests.factories import CentreFactory

    other = CentreFactory(code="SZ", name="深圳呼叫中心")
    services.set_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, value=30, reason="Pilot")
    assert policy(SPAN, org.centre) == 30
    assert policy(SPAN, other) == 20
    assert not PolicyValue.objects.filter(centre=other).exists()


def test_unknown_key_is_a_programming_error():
    with pytest.raises(KeyError, match="declare it"):
        policy("org.no_such_policy", 1)


def test_policies_for_reads_many_values_in_one_query(org, testing_policies, django_assert_num_queries):
    manager = org.people["manager"].user
    services.set_policy(user=manager, centre=org.centre, key=SPAN, value=40, reason="r")
    services.set_policy(user=manager, centre=org.centre, key="testing.quality_target", value="0.9", reason="r")
    with django_assert_num_queries(1):
        values = policies_for(org.centre, [SPAN, "testing.quality_target", "testing.shift_start"])
    assert values == {SPAN: 40, "testing.quality_target": Decimal("0.9"), "testing.shift_start": "08:30"}


# --- writing ------------------------------------------------------------------------------------


def test_decimal_values_are_stored_as_text_and_read_back_exactly(org, testing_policies):
    result = services.set_policy(
        user=org.people["admin"].user, centre=org.centre, key="testing.quality_target", value="0.85", reason="r"
    )
    row = PolicyValue.objects.get(centre=org.centre, key="testing.quality_target")
    row.refresh_from_db()
    assert row.value == "0.85"
    assert result == Decimal("0.85")
    assert policy("testing.quality_target", org.centre) == Decimal("0.85")


def test_boolean_time_and_text_values_are_stored_typed(org, testing_policies):
    manager = org.people["manager"].user
    services.set_policy(user=manager, centre=org.centre, key="testing.callbacks_enabled", value="yes", reason="r")
    services.set_policy(user=manager, centre=org.centre, key="testing.shift_start", value="7:45", reason="r")
    services.set_policy(user=manager, centre=org.centre, key="testing.greeting", value=" 早上好 ", reason="r")
    assert policy("testing.callbacks_enabled", org.centre) is True
    assert policy("testing.shift_start", org.centre) == "07:45"
    assert policy("testing.greeting", org.centre) == "早上好"


def test_set_policy_records_who_why_and_old_to_new(org):
    manager = org.people["manager"].user
    services.set_policy(user=manager, centre=org.centre, key=SPAN, value=25, reason="More teams")
    services.set_policy(user=org.people["admin"].user, centre=org.centre, key=SPAN, value="30", reason="Growth")
    history = list(PolicyValue.history.filter(centre=org.centre, key=SPAN).order_by("history_date", "history_id"))
    assert [(h.history_type, h.value, h.history_user, h.history_change_reason) for h in history] == [
        ("+", 25, manager, "More teams"),
        ("~", 30, org.people["admin"].user, "Growth"),
    ]
    assert history[1].prev_record.value == 25  # old → new: 25 → 30
    assert PolicyValue.objects.get(centre=org.centre, key=SPAN).value == 30


def test_an_invalid_value_writes_nothing(org):
    with pytest.raises(ValidationError) as caught:
        services.set_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, value="500", reason="r")
    assert field_codes(caught.value) == {"value": ["max_value"]}
    assert not PolicyValue.objects.exists()
    assert not PolicyValue.history.exists()


def test_an_invalid_value_keeps_the_previous_one(org):
    manager = org.people["manager"].user
    services.set_policy(user=manager, centre=org.centre, key=SPAN, value=25, reason="r")
    with pytest.raises(ValidationError) as caught:
        services.set_policy(user=manager, centre=org.centre, key=SPAN, value="lots", reason="r")
    assert field_codes(caught.value) == {"value": ["integer"]}
    assert policy(SPAN, org.centre) == 25
    assert PolicyValue.history.count() == 1


def test_setting_an_unknown_key_is_refused_as_bad_input(org):
    with pytest.raises(ValidationError) as caught:
        services.set_policy(user=org.people["manager"].user, centre=org.centre, key="org.nope", value=1, reason="r")
    assert field_codes(caught.value) == {"key": ["unknown_policy"]}
    assert not PolicyValue.objects.exists()


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "shift_lead", "qa", "trainer", "hr"])
def test_only_policy_editors_may_set_a_value(org, persona):
    with pytest.raises(NotAllowed):
        services.set_policy(user=org.people[persona].user, centre=org.centre, key=SPAN, value=25, reason="r")
    assert not PolicyValue.objects.exists()


def test_reset_deletes_the_override_and_history_keeps_a_deleted_row(org):
    manager = org.people["manager"].user
    services.set_policy(user=manager, centre=org.centre, key=SPAN, value=25, reason="Pilot")
    result = services.reset_policy(user=org.people["admin"].user, centre=org.centre, key=SPAN, reason="Pilot over")
    assert result == 20
    assert policy(SPAN, org.centre) == 20
    assert not PolicyValue.objects.filter(centre=org.centre, key=SPAN).exists()
    last = PolicyValue.history.filter(centre=org.centre, key=SPAN).latest("history_date")
    assert (last.history_type, last.value, last.history_user, last.history_change_reason) == (
        "-",
        25,
        org.people["admin"].user,
        "Pilot over",
    )


def test_reset_without_an_override_writes_nothing(org):
    assert services.reset_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, reason="r") == 20
    assert not PolicyValue.history.exists()


def test_reset_by_someone_who_may_not_edit_is_refused(org):
    services.set_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, value=25, reason="r")
    with pytest.raises(NotAllowed):
        services.reset_policy(user=org.people["supervisor"].user, centre=org.centre, key=SPAN, reason="r")
    assert policy(SPAN, org.centre) == 25


def test_resetting_an_unknown_key_is_refused_as_bad_input(org):
    with pytest.raises(ValidationError) as caught:
        services.reset_policy(user=org.people["manager"].user, centre=org.centre, key="org.nope", reason="r")
    assert field_codes(caught.value) == {"key": ["unknown_policy"]}


def test_a_reset_only_touches_its_own_centre(org):
    from banzu.org.tests.factories import CentreFactory

    other = CentreFactory(code="SZ", name="深圳呼叫中心")
    manager = org.people["manager"].user
    services.set_policy(user=manager, centre=org.centre, key=SPAN, value=25, reason="r")
    services.set_policy(user=manager, centre=other, key=SPAN, value=35, reason="r")
    services.reset_policy(user=manager, centre=org.centre, key=SPAN, reason="r")
    assert policy(SPAN, org.centre) == 20
    assert policy(SPAN, other) == 35
