"""Pure rules of work orders (WO-2 … WO-9, D8): plain values in and out, no ORM, clock or settings.

Problems are returned as ``Problem(field, code, params)``; the services turn each code into a
whole translated sentence, so that these rules stay testable without a language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

# Values of models.Category / Status / ConsultationMode / FieldType; rules do not import models.
CONSULTATION = "consultation"
SUGGESTION = "suggestion"
COMPLAINT = "complaint"
HELP_REQUEST = "help_request"
CATEGORIES = (CONSULTATION, SUGGESTION, COMPLAINT, HELP_REQUEST)
LIGHT_CATEGORIES = frozenset({CONSULTATION, SUGGESTION})
HEAVY_CATEGORIES = frozenset({COMPLAINT, HELP_REQUEST})

NEW = "new"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
HANDED_OVER = "handed_over"
AWAITING_CALLBACK = "awaiting_callback"
CLOSED = "closed"
OPEN_STATUSES = frozenset({NEW, ASSIGNED, IN_PROGRESS, HANDED_OVER, AWAITING_CALLBACK})

DIRECT_ANSWER = "direct_answer"
THREE_WAY_CALL = "three_way_call"
DELAYED_ANSWER = "delayed_answer"
CONSULTATION_MODES = (DIRECT_ANSWER, THREE_WAY_CALL, DELAYED_ANSWER)

TEXT = "text"
NUMBER = "number"
DATE = "date"
CHOICE = "choice"
BOOLEAN = "boolean"
FIELD_TYPES = (TEXT, NUMBER, DATE, CHOICE, BOOLEAN)

TEXT_VALUE_MAX_LENGTH = 200
LOCATION_MAX_LENGTH = 100
SUMMARY_MAX_LENGTH = 200


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


# --- category (WO-2, WO-6) ----------------------------------------------------------------------


def category_to_file(chosen: str, between: str | None = None) -> str:
    """WO-2: the category a case is filed under when the agent says it sits between two.

    A case between consultation/suggestion and complaint/help is treated as complaint/help
    (介于…之间的应视作投诉、求助类). Any other pair leaves the agent's choice as it is.
    """
    if chosen not in CATEGORIES:
        raise ValueError(f"unknown category {chosen!r}")
    if between is None or between == chosen:
        return chosen
    if between not in CATEGORIES:
        raise ValueError(f"unknown category {between!r}")
    if chosen in LIGHT_CATEGORIES and between in HEAVY_CATEGORIES:
        return between
    return chosen


def transfers_to_shift_lead_by_default(category: str) -> bool:
    """WO-6: complaints and help requests go to the shift lead on duty unless the agent says otherwise."""
    return category in HEAVY_CATEGORIES


# --- required fields and title (WO-3) -------------------------------------------------------------

# Standard fields a centre may require per category, besides location and summary (always required).
CONFIGURABLE_FIELDS = ("caller_number", "customer_name", "contact_ref", "responsible_unit")
DEFAULT_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    CONSULTATION: ("caller_number",),
    SUGGESTION: ("caller_number",),
    # A complaint or help request is followed up with the customer: number and name are key.
    COMPLAINT: ("caller_number", "customer_name"),
    HELP_REQUEST: ("caller_number", "customer_name"),
}


def required_fields(category: str, configured: Sequence[str] | None) -> tuple[str, ...]:
    """The category's required standard fields: the centre's list when it has one, else the default."""
    if configured is None:
        return DEFAULT_REQUIRED_FIELDS[category]
    unknown = set(configured) - set(CONFIGURABLE_FIELDS)
    if unknown:
        raise ValueError(f"not configurable: {sorted(unknown)}")
    return tuple(name for name in CONFIGURABLE_FIELDS if name in configured)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(required: Iterable[str], values: Mapping[str, Any]) -> list[Problem]:
    return [Problem(name, "required") for name in required if _blank(values.get(name))]


def squeeze(text: str | None) -> str:
    """One line, single spaces: what is stored for titles and searched for names."""
    return " ".join((text or "").split())


def title_problems(location: str | None, summary: str | None) -> list[Problem]:
    """WO-3: the title needs both parts, each within its length."""
    problems = []
    for name, value, limit in (
        ("location", squeeze(location), LOCATION_MAX_LENGTH),
        ("summary", squeeze(summary), SUMMARY_MAX_LENGTH),
    ):
        if not value:
            problems.append(Problem(name, "required"))
        elif len(value) > limit:
            problems.append(Problem(name, "max_length", {"max": limit}))
    return problems


def compose_title(location: str, summary: str, *, urgent_mark: str = "") -> str:
    """WO-3, WO-7: 「【急件】地点 — 概要」. The mark is passed in (translated by the caller)."""
    location, summary = squeeze(location), squeeze(summary)
    if not location or not summary:
        raise ValueError("a title needs a location and a summary")
    return f"{urgent_mark}{location} — {summary}"


_PHONE_NOISE = re.compile(r"[\s\-()（）]")


def normalise_phone(raw: str | None) -> str:
    """Caller numbers are stored and searched without spaces, dashes or brackets."""
    return _PHONE_NOISE.sub("", raw or "")


def work_order_number(day: date, sequence: int) -> str:
    """2024031400123: the centre's local date and the day's sequence, at least five digits."""
    if sequence < 1:
        raise ValueError("sequences start at 1")
    return f"{day:%Y%m%d}{sequence:05d}"


# --- deadlines (WO-4, WO-5, WO-8, D8) ---------------------------------------------------------------


def completion_due_at(contact_ended_at: datetime, minutes: int) -> datetime:
    """WO-4, D8: the work order is complete within `minutes` of the end of the contact."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return contact_ended_at + timedelta(minutes=minutes)


def callback_due_at(contact_ended_at: datetime, minutes: int) -> datetime:
    """WO-5: a delayed answer is called back within `minutes` of hanging up."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return contact_ended_at + timedelta(minutes=minutes)


def is_overdue(due_at: datetime | None, at: datetime) -> bool:
    """Late only after the due moment: done exactly at the due time is on time."""
    return due_at is not None and at > due_at


def remaining(due_at: datetime | None, now: datetime) -> timedelta | None:
    """Time left (negative when overdue); None when there is no deadline."""
    return None if due_at is None else due_at - now


def next_due_at(*, status: str, handler_due_at: datetime | None, callback_due_at: datetime | None) -> datetime | None:
    """The earliest deadline still running: a closed order has none."""
    if status == CLOSED:
        return None
    return min((due for due in (handler_due_at, callback_due_at) if due is not None), default=None)


def hand_over_problems(
    *, to_unit_id: int | None, to_handler_id: int | None, due_at: datetime | None, now: datetime
) -> list[Problem]:
    """WO-8: a hand-over names a department or a person, and a due time still ahead."""
    problems = []
    if to_unit_id is None and to_handler_id is None:
        problems.append(Problem("to_department", "target_required"))
    if due_at is None:
        problems.append(Problem("due_at", "required"))
    elif due_at <= now:
        problems.append(Problem("due_at", "due_not_ahead"))
    return problems


# --- status ---------------------------------------------------------------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({ASSIGNED, IN_PROGRESS, HANDED_OVER, AWAITING_CALLBACK, CLOSED}),
    ASSIGNED: frozenset({ASSIGNED, IN_PROGRESS, HANDED_OVER, CLOSED}),
    IN_PROGRESS: frozenset({ASSIGNED, HANDED_OVER, CLOSED}),
    HANDED_OVER: frozenset({ASSIGNED, IN_PROGRESS, HANDED_OVER, CLOSED}),
    AWAITING_CALLBACK: frozenset({ASSIGNED, IN_PROGRESS, HANDED_OVER, CLOSED}),
    CLOSED: frozenset(),
}


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS[from_status]


# --- consultation modes (WO-5) ------------------------------------------------------------------------


def consultation_problems(
    *, category: str, mode: str | None, answer: str | None, basis_kind: str | None, basis: str | None
) -> list[Problem]:
    """WO-5: a consultation names its handling mode; a direct answer cites its basis and records the answer."""
    if category != CONSULTATION:
        return [Problem("consultation_mode", "consultation_only")] if mode else []
    if not mode:
        return [Problem("consultation_mode", "required")]
    if mode not in CONSULTATION_MODES:
        return [Problem("consultation_mode", "invalid_choice")]
    problems = []
    if mode == DIRECT_ANSWER:
        if _blank(basis_kind):
            problems.append(Problem("answer_basis_kind", "required"))
        if _blank(basis):
            problems.append(Problem("answer_basis", "required"))
        if _blank(answer):
            problems.append(Problem("answer", "required"))
    return problems


# --- urgent routing (WO-6, WO-7) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    shift_lead_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Recipient:
    employee_id: int
    reason: str  # "shift_lead" or "unit_head"


SHIFT_LEAD = "shift_lead"
UNIT_HEAD = "unit_head"


def shift_lead_on_duty(duties: Iterable[Duty], at: datetime) -> int | None:
    """The shift lead whose duty covers `at` (start included, end excluded).

    Overlapping duties (a hand-over between shifts) go to the one who came on last: the relief
    has taken over. Equal starts are decided by the lower id, so the answer never depends on order.
    """
    covering = [duty for duty in duties if duty.starts_at <= at < duty.ends_at]
    if not covering:
        return None
    return min(covering, key=lambda duty: (-duty.starts_at.timestamp(), duty.shift_lead_id)).shift_lead_id


def urgent_recipient(duties: Iterable[Duty], at: datetime, unit_head_id: int | None) -> Recipient | None:
    """WO-7: the shift lead on duty at once; with nobody on duty, the responsible unit's head."""
    on_duty = shift_lead_on_duty(duties, at)
    if on_duty is not None:
        return Recipient(on_duty, SHIFT_LEAD)
    if unit_head_id is not None:
        return Recipient(unit_head_id, UNIT_HEAD)
    return None


@dataclass(frozen=True)
class Routing:
    status: str
    handler_id: int
    recipient: Recipient | None = None  # set when the order left its owner


def initial_routing(
    *,
    owner_id: int,
    urgent: bool,
    transfer_to_shift_lead: bool,
    consultation_mode: str | None,
    duties: Iterable[Duty],
    at: datetime,
    unit_head_id: int | None,
) -> Routing | Problem:
    """Where a new work order goes (WO-5, WO-6, WO-7).

    Urgent: to the shift lead on duty, else the responsible unit's head; with neither, the order
    cannot be filed as urgent (Problem on `responsible_unit`). A transfer (complaints and help
    requests by default) follows the same path but stays with its owner when nobody can take it.
    A delayed answer waits for its callback with the owner; anything else is new with the owner.
    """
    duties = list(duties)
    if urgent or transfer_to_shift_lead:
        recipient = urgent_recipient(duties, at, unit_head_id)
        if recipient is not None:
            return Routing(ASSIGNED, recipient.employee_id, recipient)
        if urgent:
            return Problem("responsible_unit", "no_urgent_recipient")
    if consultation_mode == DELAYED_ANSWER:
        return Routing(AWAITING_CALLBACK, owner_id)
    return Routing(NEW, owner_id)


# --- custom fields (WO-2, WO-9) -----------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "on", "是"}
_FALSE = {"false", "0", "no", "off", "否"}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    field_type: str
    required: bool = False
    choices: tuple[str, ...] = ()


class BadValue(ValueError):
    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params = dict(params or {})


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_field_value(spec: FieldSpec, raw: Any) -> Any:
    """The typed JSON value of one custom field, or BadValue. Empty input is None."""
    if _is_empty(raw):
        return None
    kind = spec.field_type
    if kind == TEXT:
        if not isinstance(raw, str):
            raise BadValue("invalid_text")
        value = raw.strip()
        if len(value) > TEXT_VALUE_MAX_LENGTH:
            raise BadValue("max_length", {"max": TEXT_VALUE_MAX_LENGTH})
        return value
    if kind == NUMBER:
        if isinstance(raw, bool):
            raise BadValue("invalid_number")
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise BadValue("invalid_number") from None
        if not number.is_finite():
            raise BadValue("invalid_number")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == DATE:
        if isinstance(raw, datetime):
            raise BadValue("invalid_date")
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise BadValue("invalid_date") from None
    if kind == CHOICE:
        value = str(raw).strip()
        if value not in spec.choices:
            raise BadValue("invalid_choice", {"value": value})
        return value
    if kind == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise BadValue("invalid_boolean")
    raise ValueError(f"unknown field type {kind!r}")


def clean_custom_values(specs: Sequence[FieldSpec], raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Typed values of the category's fields; unknown keys and bad values are problems.

    Problems name the field as ``custom_values.<key>``.
    """
    by_key = {spec.key: spec for spec in specs}
    values: dict[str, Any] = {}
    problems = [Problem(f"custom_values.{key}", "unknown_field", {"key": key}) for key in raw if key not in by_key]
    for spec in specs:
        try:
            value = parse_field_value(spec, raw.get(spec.key))
        except BadValue as exc:
            problems.append(Problem(f"custom_values.{spec.key}", exc.code, exc.params))
            continue
        if value is None:
            if spec.required:
                problems.append(Problem(f"custom_values.{spec.key}", "required"))
            continue
        values[spec.key] = value
    return values, problems


def index_value(spec: FieldSpec, value: Any) -> str:
    """The text one typed value is searched by; equal values always give equal text."""
    if spec.field_type == BOOLEAN:
        return "true" if value else "false"
    if spec.field_type == NUMBER:
        number = Decimal(str(value)).normalize()
        return format(number, "f") if number != 0 else "0"
    if spec.field_type == TEXT:
        return squeeze(str(value))[:TEXT_VALUE_MAX_LENGTH]
    return str(value)


def search_value(spec: FieldSpec, raw: Any) -> str | None:
    """The index text a search term must equal (exact search, WO-9); None when it cannot match."""
    try:
        value = parse_field_value(spec, raw)
    except BadValue:
        return None
    return None if value is None else index_value(spec, value)
