"""Pure rules of complaints (CMP-2 … CMP-6): level, deadline, workflow, analysis.

Plain values in and out; no ORM, clock or settings. Callers pass the calendar, `now` and policy
values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from banzu.core.rules import WorkCalendar, working_day_deadline

# --- values (mirrors of the model choices, so that rules need no Django) ---------------------------

PHONE, IN_PERSON, LETTER, MEDIA = "phone", "in_person", "letter", "media"
CHANNELS = (PHONE, IN_PERSON, LETTER, MEDIA)

COMPANY, GROUP, CITY_BUREAU, PROVINCIAL_BUREAU = "company", "group", "city_bureau", "provincial_bureau"
SOURCES = (COMPANY, GROUP, CITY_BUREAU, PROVINCIAL_BUREAU, MEDIA)

SUPERVISOR, MANAGER, DIRECTOR = "supervisor", "manager", "director"

FILED = "filed"
ACCEPTED = "accepted"
VERIFIED = "verified"
INVALID = "invalid"
EXPLAINED = "explained"
VALID = "valid"
APOLOGISED = "apologised"
SOLUTION_AGREED = "solution_agreed"
RESOLVED = "resolved"
RESPONSIBILITY_DETERMINED = "responsibility_determined"
UNSATISFIED = "unsatisfied"
SATISFIED = "satisfied"
CORRECTED = "corrected"
CORRECTION_VERIFIED = "correction_verified"
CLOSED = "closed"
STATUSES = (
    FILED,
    ACCEPTED,
    VERIFIED,
    INVALID,
    EXPLAINED,
    VALID,
    APOLOGISED,
    SOLUTION_AGREED,
    RESOLVED,
    RESPONSIBILITY_DETERMINED,
    UNSATISFIED,
    SATISFIED,
    CORRECTED,
    CORRECTION_VERIFIED,
    CLOSED,
)
OPEN_STATUSES = frozenset(STATUSES) - {CLOSED}

ACCEPT = "accept"
VERIFY = "verify"
DECIDE = "decide"
EXPLAIN = "explain"
APOLOGISE = "apologise"
AGREE_SOLUTION = "agree_solution"
RESOLVE = "resolve"
DETERMINE_RESPONSIBILITY = "determine_responsibility"
CALL_BACK = "call_back"
CORRECT = "correct"
VERIFY_CORRECTION = "verify_correction"
CLOSE = "close"
STEPS = (
    ACCEPT,
    VERIFY,
    DECIDE,
    EXPLAIN,
    APOLOGISE,
    AGREE_SOLUTION,
    RESOLVE,
    DETERMINE_RESPONSIBILITY,
    CALL_BACK,
    CORRECT,
    VERIFY_CORRECTION,
    CLOSE,
)


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field it concerns, a rule code and message parameters."""

    field: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


# --- CMP-2: level and handler -------------------------------------------------------------------

LEVEL_OF_SOURCE = {COMPANY: 1, GROUP: 2, CITY_BUREAU: 3, PROVINCIAL_BUREAU: 3, MEDIA: 3}

# Level 1: the call-centre supervisor; level 2: the regional service manager; level 3: the
# regional service manager or the service department manager (director), in that order.
HANDLER_ROLES = {1: (SUPERVISOR,), 2: (MANAGER,), 3: (MANAGER, DIRECTOR)}
# After the deadline the complaint goes one rung up.
ESCALATION_ROLES = {1: (MANAGER, DIRECTOR), 2: (DIRECTOR, MANAGER), 3: (DIRECTOR, MANAGER)}


def level_for_source(source: str) -> int:
    """CMP-2: where the complaint was lodged decides its warning level."""
    return LEVEL_OF_SOURCE[source]


def needs_authority_report(level: int) -> bool:
    """CMP-2: levels 2 and 3 end with a written report to the authority concerned."""
    return level >= 2


# --- CMP-3, D1, D11: the deadline ------------------------------------------------------------------


def complaint_due_at(filed_at: datetime, working_days: int, calendar: WorkCalendar) -> datetime:
    """End (23:59:59 local) of the N-th working day after the filing day; `filed_at` in local time."""
    return working_day_deadline(filed_at, working_days, calendar)


def reminder_at(due_at: datetime, hours_before: int, filed_at: datetime) -> datetime | None:
    """When to remind the handler; None when reminders are off or the time is already past at filing."""
    if hours_before <= 0:
        return None
    moment = due_at - timedelta(hours=hours_before)
    return moment if moment > filed_at else None


@dataclass(frozen=True)
class Remaining:
    """What the deadline badge shows: working days left, the state colour, how late."""

    working_days: int
    state: str  # "ok", "soon" (reminder time passed) or "overdue"
    overdue_by: timedelta | None

    @property
    def overdue_hours(self) -> int:
        return int(self.overdue_by.total_seconds() // 3600) if self.overdue_by else 0


def remaining(*, now: datetime, due_at: datetime, reminder_at: datetime | None, calendar: WorkCalendar) -> Remaining:
    """Working days between today and the due day (both local), on the official calendar."""
    if now > due_at:
        return Remaining(0, "overdue", now - due_at)
    days = calendar.working_days_between(now.date(), due_at.astimezone(now.tzinfo).date())
    state = "soon" if reminder_at is not None and now >= reminder_at else "ok"
    return Remaining(days, state, None)


# --- CMP-4: the workflow ---------------------------------------------------------------------------

# step -> statuses it may start from
FROM: dict[str, frozenset[str]] = {
    ACCEPT: frozenset({FILED}),
    VERIFY: frozenset({ACCEPTED}),
    DECIDE: frozenset({VERIFIED}),
    EXPLAIN: frozenset({INVALID}),
    APOLOGISE: frozenset({VALID}),
    AGREE_SOLUTION: frozenset({APOLOGISED}),
    RESOLVE: frozenset({SOLUTION_AGREED}),
    DETERMINE_RESPONSIBILITY: frozenset({RESOLVED}),
    CALL_BACK: frozenset({RESPONSIBILITY_DETERMINED, UNSATISFIED}),
    CORRECT: frozenset({SATISFIED}),
    VERIFY_CORRECTION: frozenset({CORRECTED}),
    CLOSE: frozenset({EXPLAINED, CORRECTION_VERIFIED}),
}

# step -> the text it must record (the field of the complaint record it fills)
REQUIRED_TEXT = {
    VERIFY: "investigation",
    DECIDE: "decision_note",
    EXPLAIN: "explanation",
    APOLOGISE: "apology",
    AGREE_SOLUTION: "solution",
    RESOLVE: "resolution",
    DETERMINE_RESPONSIBILITY: "penalty",
    CORRECT: "corrective_action",
    VERIFY_CORRECTION: "correction_verification",
}


def steps_from(status: str) -> tuple[str, ...]:
    """The steps the workflow allows next, in workflow order."""
    return tuple(step for step in STEPS if status in FROM[step])


def next_status(step: str, status: str, *, valid: bool | None = None, satisfied: bool | None = None) -> str:
    """The status after `step`; the caller has checked `status in FROM[step]`."""
    if step == DECIDE:
        return VALID if valid else INVALID
    if step == CALL_BACK:
        return SATISFIED if satisfied else UNSATISFIED
    return {
        ACCEPT: ACCEPTED,
        VERIFY: VERIFIED,
        EXPLAIN: EXPLAINED,
        APOLOGISE: APOLOGISED,
        AGREE_SOLUTION: SOLUTION_AGREED,
        RESOLVE: RESOLVED,
        DETERMINE_RESPONSIBILITY: RESPONSIBILITY_DETERMINED,
        CORRECT: CORRECTED,
        VERIFY_CORRECTION: CORRECTION_VERIFIED,
        CLOSE: CLOSED,
    }[step]


def step_problems(
    step: str,
    status: str,
    *,
    level: int,
    values: Mapping[str, Any],
    reported: bool,
) -> list[Problem]:
    """Every reason `step` cannot be taken now, each on its field.

    A step out of order is a Problem on `step` (code ``wrong_status``); a missing record on the
    field the step fills; closing a level 2-3 complaint without its written report on
    `authority_report` (CMP-2).
    """
    if step not in STEPS:
        return [Problem("step", "invalid_choice")]
    if status not in FROM[step]:
        return [Problem("step", "wrong_status", {"step": step, "status": status})]
    problems = []
    text_field = REQUIRED_TEXT.get(step)
    if text_field and not (values.get(text_field) or "").strip():
        problems.append(Problem(text_field, "required"))
    if step == DECIDE:
        if values.get("is_valid") is None:
            problems.append(Problem("is_valid", "required"))
        if not values.get("cause"):
            problems.append(Problem("cause", "required"))
    if step == DETERMINE_RESPONSIBILITY:
        if not values.get("responsible_person"):
            problems.append(Problem("responsible_person", "required"))
        if values.get("management_failure") and not values.get("responsible_superior"):
            # CMP-5: joint liability needs the superior named.
            problems.append(Problem("responsible_superior", "required_for_joint_liability"))
    if step == CALL_BACK:
        if not values.get("method"):
            problems.append(Problem("method", "required"))
        if values.get("satisfied") is None:
            problems.append(Problem("satisfied", "required"))
    if step == CLOSE and needs_authority_report(level) and not reported:
        problems.append(Problem("authority_report", "report_required", {"level": level}))
    return problems


# --- CMP-6: periodic cause analysis ----------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintFact:
    """One complaint as the analysis sees it."""

    cause: str
    channel: str
    level: int
    team: str
    is_valid: bool | None
    closed_on_time: bool | None  # None while open


@dataclass(frozen=True)
class Analysis:
    total: int
    valid: int
    invalid: int
    undecided: int
    on_time_rate: float | None  # closed on time / closed, percent with one decimal
    by_cause: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    by_level: list[tuple[int, int]]
    by_team: list[tuple[str, int]]


def _ranked(counter: Counter) -> list[tuple[Any, int]]:
    """Largest first; ties in the order of their key, so the report is stable."""
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))


def analyse(facts: Iterable[ComplaintFact]) -> Analysis:
    facts = list(facts)
    closed = [fact for fact in facts if fact.closed_on_time is not None]
    on_time = sum(1 for fact in closed if fact.closed_on_time)
    return Analysis(
        total=len(facts),
        valid=sum(1 for fact in facts if fact.is_valid is True),
        invalid=sum(1 for fact in facts if fact.is_valid is False),
        undecided=sum(1 for fact in facts if fact.is_valid is None),
        on_time_rate=round(on_time * 100 / len(closed), 1) if closed else None,
        by_cause=_ranked(Counter(fact.cause or "" for fact in facts)),
        by_channel=_ranked(Counter(fact.channel for fact in facts)),
        by_level=sorted(Counter(fact.level for fact in facts).items()),
        by_team=_ranked(Counter(fact.team for fact in facts)),
    )
