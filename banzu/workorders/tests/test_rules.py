"""The pure rules of work orders: exhaustive tables plus properties (WO-2 … WO-9, D8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from banzu.workorders import rules
from banzu.workorders.rules import (
    ASSIGNED,
    AWAITING_CALLBACK,
    CLOSED,
    COMPLAINT,
    CONSULTATION,
    HANDED_OVER,
    HELP_REQUEST,
    IN_PROGRESS,
    NEW,
    SUGGESTION,
    Duty,
    FieldSpec,
    Problem,
    Recipient,
)

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))


# --- WO-2: categories ---------------------------------------------------------------------------------

BORDERLINE = [
    # chosen, between, filed under
    (CONSULTATION, None, CONSULTATION),
    (CONSULTATION, CONSULTATION, CONSULTATION),
    (CONSULTATION, SUGGESTION, CONSULTATION),
    (CONSULTATION, COMPLAINT, COMPLAINT),
    (CONSULTATION, HELP_REQUEST, HELP_REQUEST),
    (SUGGESTION, CONSULTATION, SUGGESTION),
    (SUGGESTION, COMPLAINT, COMPLAINT),
    (SUGGESTION, HELP_REQUEST, HELP_REQUEST),
    (COMPLAINT, CONSULTATION, COMPLAINT),
    (COMPLAINT, SUGGESTION, COMPLAINT),
    (COMPLAINT, HELP_REQUEST, COMPLAINT),
    (HELP_REQUEST, CONSULTATION, HELP_REQUEST),
    (HELP_REQUEST, SUGGESTION, HELP_REQUEST),
    (HELP_REQUEST, COMPLAINT, HELP_REQUEST),
    (HELP_REQUEST, None, HELP_REQUEST),
]


@pytest.mark.parametrize(("chosen", "between", "filed"), BORDERLINE)
def test_a_case_between_light_and_heavy_categories_is_filed_as_the_heavy_one(chosen, between, filed):
    assert rules.category_to_file(chosen, between) == filed


def test_the_borderline_table_covers_every_pair():
    pairs = {(chosen, between) for chosen, between, _filed in BORDERLINE if between not in (None, chosen)}
    assert pairs == {(a, b) for a in rules.CATEGORIES for b in rules.CATEGORIES if a != b}


@pytest.mark.parametrize(("chosen", "between"), [("other", None), (CONSULTATION, "other")])
def test_an_unknown_category_is_a_programming_error(chosen, between):
    with pytest.raises(ValueError):
        rules.category_to_file(chosen, between)


@pytest.mark.parametrize(
    ("category", "transfers"),
    [(CONSULTATION, False), (SUGGESTION, False), (COMPLAINT, True), (HELP_REQUEST, True)],
)
def test_complaints_and_help_requests_go_to_the_shift_lead_by_default(category, transfers):
    assert rules.transfers_to_shift_lead_by_default(category) is transfers


# --- WO-3: required fields and title ------------------------------------------------------------------


def test_the_default_required_fields_ask_complaints_and_help_requests_for_the_customer_name():
    assert rules.required_fields(CONSULTATION, None) == ("caller_number",)
    assert rules.required_fields(SUGGESTION, None) == ("caller_number",)
    assert rules.required_fields(COMPLAINT, None) == ("caller_number", "customer_name")
    assert rules.required_fields(HELP_REQUEST, None) == ("caller_number", "customer_name")


def test_a_centres_list_replaces_the_default_in_a_fixed_order():
    assert rules.required_fields(SUGGESTION, ["responsible_unit", "customer_name"]) == (
        "customer_name",
        "responsible_unit",
    )
    assert rules.required_fields(COMPLAINT, []) == ()


def test_a_field_that_cannot_be_configured_is_refused():
    with pytest.raises(ValueError):
        rules.required_fields(COMPLAINT, ["location", "owner"])


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"caller_number": "13800138000", "customer_name": "张三"}, []),
        ({"caller_number": "13800138000", "customer_name": "  "}, ["customer_name"]),
        ({"caller_number": "", "customer_name": None}, ["caller_number", "customer_name"]),
        ({}, ["caller_number", "customer_name"]),
    ],
)
def test_missing_required_fields_are_named(values, missing):
    problems = rules.missing_fields(("caller_number", "customer_name"), values)
    assert problems == [Problem(name, "required") for name in missing]


@pytest.mark.parametrize(
    ("location", "summary", "problems"),
    [
        ("人民路10号", "路灯不亮", []),
        ("", "路灯不亮", [Problem("location", "required")]),
        ("人民路10号", "   ", [Problem("summary", "required")]),
        (None, None, [Problem("location", "required"), Problem("summary", "required")]),
        ("路" * 101, "概要", [Problem("location", "max_length", {"max": 100})]),
        ("路" * 100, "概" * 200, []),
        ("地点", "概" * 201, [Problem("summary", "max_length", {"max": 200})]),
    ],
)
def test_the_title_needs_a_location_and_a_summary(location, summary, problems):
    assert rules.title_problems(location, summary) == problems


def test_the_title_joins_location_and_summary_and_carries_the_urgent_mark():
    assert rules.compose_title(" 人民路  10号 ", "路灯\n不亮") == "人民路 10号 — 路灯 不亮"
    assert rules.compose_title("人民路10号", "路灯不亮", urgent_mark="【急件】") == "【急件】人民路10号 — 路灯不亮"


def test_a_title_without_a_part_cannot_be_composed():
    with pytest.raises(ValueError):
        rules.compose_title("人民路10号", " ")


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_a_composed_title_contains_both_parts(location, summary):
    if not rules.squeeze(location) or not rules.squeeze(summary):
        return
    title = rules.compose_title(location, summary)
    assert rules.squeeze(location) in title and rules.squeeze(summary) in title


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("138 0013 8000", "13800138000"), ("010-8888-6666", "01088886666"), ("(0755)1234", "07551234"), (None, "")],
)
def test_caller_numbers_are_stored_without_separators(raw, stored):
    assert rules.normalise_phone(raw) == stored


def test_the_work_order_number_is_the_day_and_a_five_digit_sequence():
    assert rules.work_order_number(date(2024, 3, 14), 123) == "2024031400123"
    assert rules.work_order_number(date(2024, 3, 14), 1) == "2024031400001"
    assert rules.work_order_number(date(2024, 3, 14), 123456) == "20240314123456"
    with pytest.raises(ValueError):
        rules.work_order_number(date(2024, 3, 14), 0)


# --- WO-4, WO-5, D8: deadlines -----------------------------------------------------------------------


def test_the_completion_clock_runs_from_the_end_of_the_contact():
    assert rules.completion_due_at(T0, 15) == T0 + timedelta(minutes=15)
    with pytest.raises(ValueError):
        rules.completion_due_at(T0, 0)


def test_a_delayed_answer_is_due_minutes_after_hanging_up():
    assert rules.callback_due_at(T0, 15) == datetime(2024, 3, 14, 9, 15, tzinfo=UTC)
    with pytest.raises(ValueError):
        rules.callback_due_at(T0, -1)


@pytest.mark.parametrize(
    ("at", "overdue"),
    [
        (T0 - timedelta(seconds=1), False),
        (T0, False),  # done exactly at the due time is on time
        (T0 + timedelta(microseconds=1), True),
        (T0 + timedelta(hours=3), True),
    ],
)
def test_an_order_is_overdue_only_after_its_due_time(at, overdue):
    assert rules.is_overdue(T0, at) is overdue


def test_without_a_deadline_nothing_is_overdue_and_nothing_remains():
    assert rules.is_overdue(None, T0) is False
    assert rules.remaining(None, T0) is None
    assert rules.remaining(T0, T0 + timedelta(minutes=5)) == timedelta(minutes=-5)


@given(moments, st.integers(min_value=1, max_value=1440), st.integers(min_value=1, max_value=1440))
def test_more_minutes_never_give_an_earlier_due_time(ended, minutes, more):
    assert rules.completion_due_at(ended, minutes + more) > rules.completion_due_at(ended, minutes)
    assert not rules.is_overdue(rules.completion_due_at(ended, minutes), ended)


H1, H2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)


@pytest.mark.parametrize(
    ("status", "handler_due", "callback_due", "expected"),
    [
        (NEW, None, None, None),
        (AWAITING_CALLBACK, None, H1, H1),
        (HANDED_OVER, H2, None, H2),
        (HANDED_OVER, H2, H1, H1),
        (IN_PROGRESS, H1, H2, H1),
        (CLOSED, H1, H2, None),
    ],
)
def test_the_next_due_time_is_the_earliest_running_deadline(status, handler_due, callback_due, expected):
    assert rules.next_due_at(status=status, handler_due_at=handler_due, callback_due_at=callback_due) == expected


@pytest.mark.parametrize(
    ("unit", "handler", "due", "problems"),
    [
        (1, None, H1, []),
        (None, 7, H1, []),
        (1, 7, H1, []),
        (None, None, H1, [Problem("to_department", "target_required")]),
        (1, None, None, [Problem("due_at", "required")]),
        (1, None, T0, [Problem("due_at", "due_not_ahead")]),
        (
            None,
            None,
            T0 - timedelta(minutes=1),
            [Problem("to_department", "target_required"), Problem("due_at", "due_not_ahead")],
        ),
    ],
)
def test_a_hand_over_names_a_target_and_a_due_time_ahead(unit, handler, due, problems):
    assert rules.hand_over_problems(to_unit_id=unit, to_handler_id=handler, due_at=due, now=T0) == problems


# --- statuses --------------------------------------------------------------------------------------------


ALL_STATUSES = [NEW, ASSIGNED, IN_PROGRESS, HANDED_OVER, AWAITING_CALLBACK, CLOSED]


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_open_status_can_be_closed_and_a_closed_order_goes_nowhere(status):
    if status == CLOSED:
        assert not any(rules.can_move(CLOSED, target) for target in ALL_STATUSES)
    else:
        assert rules.can_move(status, CLOSED)
        assert rules.can_move(status, HANDED_OVER)


def test_only_a_new_order_starts_waiting_for_a_callback_and_nothing_returns_to_new():
    assert [s for s in ALL_STATUSES if rules.can_move(s, AWAITING_CALLBACK)] == [NEW]
    assert [s for s in ALL_STATUSES if rules.can_move(s, NEW)] == []


# --- WO-5: consultation modes ---------------------------------------------------------------------------


def consultation(**kwargs):
    values = {"category": CONSULTATION, "mode": "", "answer": "", "basis_kind": "", "basis": ""}
    values.update(kwargs)
    return rules.consultation_problems(**values)


def test_a_consultation_names_its_handling_mode():
    assert consultation() == [Problem("consultation_mode", "required")]
    assert consultation(mode="telepathy") == [Problem("consultation_mode", "invalid_choice")]


def test_a_direct_answer_cites_its_basis_and_records_the_answer():
    assert consultation(mode="direct_answer") == [
        Problem("answer_basis_kind", "required"),
        Problem("answer_basis", "required"),
        Problem("answer", "required"),
    ]
    assert (
        consultation(mode="direct_answer", basis_kind="law", basis="《税收征收管理法》第二十条", answer="可以办理")
        == []
    )


@pytest.mark.parametrize("mode", ["three_way_call", "delayed_answer"])
def test_three_way_calls_and_delayed_answers_need_no_basis_yet(mode):
    assert consultation(mode=mode) == []


@pytest.mark.parametrize("category", [SUGGESTION, COMPLAINT, HELP_REQUEST])
def test_only_consultations_have_a_mode(category):
    assert consultation(category=category) == []
    assert consultation(category=category, mode="direct_answer") == [Problem("consultation_mode", "consultation_only")]


# --- WO-6, WO-7: who receives the order ------------------------------------------------------------------

DAY = Duty(10, T0 - timedelta(hours=1), T0 + timedelta(hours=7))
NIGHT = Duty(20, T0 + timedelta(hours=7), T0 + timedelta(hours=15))
RELIEF = Duty(30, T0 - timedelta(minutes=10), T0 + timedelta(hours=8))


@pytest.mark.parametrize(
    ("duties", "at", "on_duty"),
    [
        ([], T0, None),
        ([DAY], T0, 10),
        ([DAY], DAY.starts_at, 10),  # the start is included
        ([DAY], DAY.ends_at - timedelta(microseconds=1), 10),
        ([DAY, NIGHT], DAY.ends_at, 20),  # the end is excluded: the night lead has taken over
        ([DAY], DAY.ends_at, None),
        ([NIGHT], T0, None),
        ([DAY, RELIEF], T0, 30),  # overlapping duties: the one who came on last
        ([RELIEF, DAY], T0, 30),
        ([Duty(9, DAY.starts_at, DAY.ends_at), DAY], T0, 9),  # same start: the lower id
    ],
)
def test_the_shift_lead_on_duty_is_the_one_whose_duty_covers_the_moment(duties, at, on_duty):
    assert rules.shift_lead_on_duty(duties, at) == on_duty


@pytest.mark.parametrize(
    ("duties", "unit_head", "recipient"),
    [
        ([DAY], 99, Recipient(10, rules.SHIFT_LEAD)),
        ([DAY], None, Recipient(10, rules.SHIFT_LEAD)),
        ([NIGHT], 99, Recipient(99, rules.UNIT_HEAD)),
        ([], 99, Recipient(99, rules.UNIT_HEAD)),
        ([], None, None),
    ],
)
def test_an_urgent_order_goes_to_the_shift_lead_on_duty_else_to_the_unit_head(duties, unit_head, recipient):
    assert rules.urgent_recipient(duties, T0, unit_head) == recipient


def route(**kwargs):
    values = {
        "owner_id": 1,
        "urgent": False,
        "transfer_to_shift_lead": False,
        "consultation_mode": "",
        "duties": [DAY],
        "at": T0,
        "unit_head_id": 99,
    }
    values.update(kwargs)
    return rules.initial_routing(**values)


def test_an_ordinary_order_stays_new_with_its_owner():
    assert route() == rules.Routing(NEW, 1)


def test_a_delayed_answer_waits_for_its_callback_with_its_owner():
    assert route(consultation_mode="delayed_answer") == rules.Routing(AWAITING_CALLBACK, 1)


def test_an_urgent_order_is_assigned_to_the_shift_lead_on_duty():
    assert route(urgent=True) == rules.Routing(ASSIGNED, 10, Recipient(10, rules.SHIFT_LEAD))


def test_an_urgent_order_without_a_shift_lead_goes_to_the_unit_head():
    assert route(urgent=True, duties=[]) == rules.Routing(ASSIGNED, 99, Recipient(99, rules.UNIT_HEAD))


def test_an_urgent_order_nobody_can_take_is_a_problem_on_the_responsible_unit():
    assert route(urgent=True, duties=[], unit_head_id=None) == Problem("responsible_unit", "no_urgent_recipient")


def test_a_transfer_nobody_can_take_stays_with_its_owner():
    assert route(transfer_to_shift_lead=True) == rules.Routing(ASSIGNED, 10, Recipient(10, rules.SHIFT_LEAD))
    assert route(transfer_to_shift_lead=True, duties=[], unit_head_id=None) == rules.Routing(NEW, 1)


# --- WO-2, WO-9: custom fields -------------------------------------------------------------------------

TEXT = FieldSpec("tax_id", "text")
NUMBER = FieldSpec("amount", "number")
DATE = FieldSpec("invoice_date", "date")
CHOICE = FieldSpec("channel", "choice", choices=("电子税务局", "大厅"))
BOOLEAN = FieldSpec("repeat", "boolean")


@pytest.mark.parametrize(
    ("spec", "raw", "typed"),
    [
        (TEXT, " 91440300MA5 ", "91440300MA5"),
        (TEXT, "", None),
        (TEXT, None, None),
        (NUMBER, "12", 12),
        (NUMBER, 12, 12),
        (NUMBER, "12.50", 12.5),
        (NUMBER, "-3", -3),
        (NUMBER, "1e3", 1000),
        (NUMBER, "  ", None),
        (DATE, "2024-03-14", "2024-03-14"),
        (DATE, date(2024, 3, 14), "2024-03-14"),
        (CHOICE, "大厅", "大厅"),
        (BOOLEAN, True, True),
        (BOOLEAN, False, False),
        (BOOLEAN, "yes", True),
        (BOOLEAN, "0", False),
        (BOOLEAN, "是", True),
        (BOOLEAN, "否", False),
    ],
)
def test_a_custom_value_is_stored_typed(spec, raw, typed):
    assert rules.parse_field_value(spec, raw) == typed
    assert type(rules.parse_field_value(spec, raw)) is type(typed)


@pytest.mark.parametrize(
    ("spec", "raw", "code"),
    [
        (TEXT, 12, "invalid_text"),
        (TEXT, "x" * 201, "max_length"),
        (NUMBER, "twelve", "invalid_number"),
        (NUMBER, True, "invalid_number"),
        (NUMBER, "NaN", "invalid_number"),
        (NUMBER, "Infinity", "invalid_number"),
        (DATE, "14/03/2024", "invalid_date"),
        (DATE, "2024-02-30", "invalid_date"),
        (DATE, datetime(2024, 3, 14, 9, 0), "invalid_date"),
        (CHOICE, "网点", "invalid_choice"),
        (BOOLEAN, "maybe", "invalid_boolean"),
    ],
)
def test_a_bad_custom_value_names_its_rule(spec, raw, code):
    with pytest.raises(rules.BadValue) as caught:
        rules.parse_field_value(spec, raw)
    assert caught.value.code == code


def test_clean_custom_values_reports_missing_required_unknown_and_bad_fields_together():
    specs = [FieldSpec("tax_id", "text", required=True), NUMBER, BOOLEAN]
    values, problems = rules.clean_custom_values(specs, {"amount": "abc", "colour": "red", "repeat": "no"})
    assert values == {"repeat": False}
    assert problems == [
        Problem("custom_values.colour", "unknown_field", {"key": "colour"}),
        Problem("custom_values.tax_id", "required"),
        Problem("custom_values.amount", "invalid_number"),
    ]


def test_a_required_yes_no_field_accepts_no_as_an_answer():
    values, problems = rules.clean_custom_values([FieldSpec("repeat", "boolean", required=True)], {"repeat": False})
    assert values == {"repeat": False} and problems == []


def test_empty_optional_fields_are_left_out():
    values, problems = rules.clean_custom_values([TEXT, NUMBER], {"tax_id": " ", "amount": None})
    assert values == {} and problems == []


@pytest.mark.parametrize(
    ("spec", "stored", "searched"),
    [
        (NUMBER, 100, "100"),
        (NUMBER, 12.5, "12.50"),
        (NUMBER, 0, "0.0"),
        (TEXT, "A  B", " A B "),
        (DATE, "2024-03-14", "2024-03-14"),
        (BOOLEAN, True, "是"),
        (CHOICE, "大厅", "大厅"),
    ],
)
def test_a_search_term_finds_the_stored_value_it_equals(spec, stored, searched):
    assert rules.search_value(spec, searched) == rules.index_value(spec, stored)


@pytest.mark.parametrize(("spec", "searched"), [(NUMBER, "abc"), (DATE, "yesterday"), (CHOICE, "网点"), (TEXT, " ")])
def test_a_search_term_that_cannot_be_a_value_matches_nothing(spec, searched):
    assert rules.search_value(spec, searched) is None


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9))
def test_every_number_is_found_by_its_own_text(number):
    stored = rules.parse_field_value(NUMBER, str(number))
    assert rules.search_value(NUMBER, str(number)) == rules.index_value(NUMBER, stored)
