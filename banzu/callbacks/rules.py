"""Pure rules of callbacks, surveys and on-site dispatch (CB-1 … CB-5, D1, D12).

Plain values in and out: no ORM, clock, settings or I/O. Callers pass `now`, the working-day
calendar (``core.rules.WorkCalendar``) and the policy values.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from banzu.core.rules import END_OF_DAY, WorkCalendar, working_day_deadline

# Values of models.Region / TaskStatus / Outcome / OnsiteStatus; rules do not import models.
CITY = "city"
PROVINCIAL = "provincial"
REGIONS = (CITY, PROVINCIAL)

PENDING = "pending"
RETRY = "retry"
DONE = "done"
CANCELLED = "cancelled"
OPEN_TASK_STATUSES = frozenset({PENDING, RETRY})

SATISFIED = "satisfied"
DISSATISFIED = "dissatisfied"
UNREACHABLE = "unreachable"
OUTCOMES = (SATISFIED, DISSATISFIED, UNREACHABLE)
# CB-5 (`002` 无法联系、有意见): these outcomes open a follow-up task.
FOLLOW_UP_OUTCOMES = frozenset({DISSATISFIED, UNREACHABLE})

REGISTERED = "registered"
DISPATCHED = "dispatched"
ACCEPTED = "accepted"
COMPLETED = "completed"
REVIEWED = "reviewed"
ONSITE_STEPS = (REGISTERED, DISPATCHED, ACCEPTED, COMPLETED, REVIEWED)
# CB-4: the order of 录单 → 派单 → 接单 → 完成 → 审核反馈; each step only from the one before it.
ONSITE_NEXT = {REGISTERED: DISPATCHED, DISPATCHED: ACCEPTED, ACCEPTED: COMPLETED, COMPLETED: REVIEWED}
# The response clock stops when the service is done on site.
ONSITE_OPEN = frozenset({REGISTERED, DISPATCHED, ACCEPTED})

RATING_MIN, RATING_MAX = 1, 5


# --- schedules (CB-3, D1) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """When a callback is made: from `starts_on`, finished by `due_at`; unreachable numbers are
    retried together on `retry_on`."""

    starts_on: date
    retry_on: date
    due_at: datetime


def provincial_window(
    collection_end: datetime,
    *,
    start_working_day: int,
    window_working_days: int,
    calendar: WorkCalendar,
) -> Window:
    """CB-3, D1: provincial callbacks after the collection period (征期).

    `collection_end` is any moment of the period's last day, aware and in the centre's zone; that
    day is day 0. Calls start on working day `start_working_day` after it (1 = the first working
    day after the period) and are finished within `window_working_days` working days, the start
    day counted: the deadline is 23:59:59 of the last of them, and that last day is the retry day.
    """
    if start_working_day < 1 or window_working_days < 1:
        raise ValueError("start and window must be at least one working day")
    starts_on = calendar.nth_working_day_after(collection_end.date(), start_working_day)
    last = start_working_day + window_working_days - 1
    due_at = working_day_deadline(collection_end, last, calendar)
    return Window(starts_on=starts_on, retry_on=due_at.date(), due_at=due_at)


def city_window(entered_at: datetime, *, first_run: date, interval_days: int) -> Window:
    """CB-3: city customers are called in runs every `interval_days` calendar days from
    `first_run` (1 = daily). A name entered on day d is called in the first run after d and the
    call is due by the end of that day, which is also its retry day.

    `entered_at` is aware and in the centre's zone.
    """
    if interval_days < 1:
        raise ValueError("interval must be at least one day")
    entered = entered_at.date()
    if entered < first_run:
        run = first_run
    else:
        runs_done = (entered - first_run).days // interval_days + 1
        run = first_run + timedelta(days=runs_done * interval_days)
    due_at = datetime.combine(run, END_OF_DAY).replace(tzinfo=entered_at.tzinfo)
    return Window(starts_on=run, retry_on=run, due_at=due_at)


# --- on-site dispatch (CB-4, D12) ----------------------------------------------------------------------


def onsite_response_due(
    registered_at: datetime, *, agreement_customer: bool, hours_agreement: int, hours_other: int
) -> datetime:
    """CB-4, D12: clock hours from registration, whatever the calendar says (nights and holidays count)."""
    if registered_at.tzinfo is None:
        raise ValueError("registered_at must be timezone-aware")
    hours = hours_agreement if agreement_customer else hours_other
    if hours < 1:
        raise ValueError("the response limit must be at least one hour")
    # Through UTC: aware arithmetic in one zone is wall-clock time and would lose an hour at a DST change.
    return (registered_at.astimezone(UTC) + timedelta(hours=hours)).astimezone(registered_at.tzinfo)


def onsite_can_move(current: str, target: str) -> bool:
    """CB-4: only the next step of 录单 → 派单 → 接单 → 完成 → 审核反馈."""
    return ONSITE_NEXT.get(current) == target


def onsite_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    """Still not done on site when the response limit has passed."""
    return status in ONSITE_OPEN and now > due_at


def onsite_completed_late(due_at: datetime, completed_at: datetime) -> bool:
    return completed_at > due_at


# --- callback outcomes (CB-3, CB-5) ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt does to its task: the new status, the final outcome ("" while a retry is
    still due) and whether a follow-up task opens."""

    status: str
    outcome: str
    follow_up: bool


def after_attempt(*, status: str, outcome: str, attempted_on: date, retry_on: date) -> AttemptResult:
    """CB-3, CB-5: the effect of one call attempt.

    Satisfied and dissatisfied end the task. Unreachable before the retry day puts the number aside
    to be retried with the others on that day; unreachable on (or after) it, or a second time, is
    final. Dissatisfied and final unreachable open a follow-up (`002` 无法联系、有意见).
    """
    if status not in OPEN_TASK_STATUSES:
        raise ValueError(f"task is not open: {status!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if outcome == UNREACHABLE and status == PENDING and attempted_on < retry_on:
        return AttemptResult(RETRY, "", False)
    return AttemptResult(DONE, outcome, outcome in FOLLOW_UP_OUTCOMES)


def task_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status in OPEN_TASK_STATUSES and now > due_at


# --- the monthly sample of resolved calls (CB-1) -----------------------------------------------------


def sample_per_agent(
    contacts_by_agent: Mapping[int, Iterable[int]], *, per_agent: int, seed: str
) -> dict[int, list[int]]:
    """CB-1: `per_agent` resolved contacts of each agent, drawn at random (每月…按照人员进行抽样).

    Fair: every agent gets min(per_agent, their contacts), whatever the others handled, so a busy
    agent does not crowd out a quiet one. Reproducible: the draw depends only on the seed, the
    agent and the set of their contact ids (not on the order they are given in), so an auditor can
    repeat it. Each agent's list is sorted.
    """
    if per_agent < 0:
        raise ValueError("per_agent must not be negative")
    chosen: dict[int, list[int]] = {}
    for agent_id in sorted(contacts_by_agent):
        pool = sorted(set(contacts_by_agent[agent_id]))
        draw = random.Random(f"{seed}:{agent_id}")  # noqa: S311 - a reproducible audit sample, not secrecy
        chosen[agent_id] = sorted(draw.sample(pool, min(per_agent, len(pool))))
    return chosen


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First day of the month and first day of the next (half-open)."""
    if not 1 <= month <= 12:
        raise ValueError("month must be 1-12")
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, end


# --- satisfaction (CB-5) -----------------------------------------------------------------------------------


def rating_is_satisfied(rating: int, minimum: int) -> bool:
    if not RATING_MIN <= rating <= RATING_MAX:
        raise ValueError(f"rating must be {RATING_MIN}-{RATING_MAX}")
    return rating >= minimum


@dataclass(frozen=True)
class Satisfaction:
    """CB-5: end-of-contact ratings and callback outcomes of one agent, team or month.

    `rate` is satisfied answers over all answers, ratings and callbacks together; unreachable
    callbacks are not answers and stay out of it. None when nobody answered.
    """

    ratings: int
    satisfied_ratings: int
    callbacks_satisfied: int
    callbacks_dissatisfied: int
    callbacks_unreachable: int

    @property
    def answers(self) -> int:
        return self.ratings + self.callbacks_satisfied + self.callbacks_dissatisfied

    @property
    def satisfied(self) -> int:
        return self.satisfied_ratings + self.callbacks_satisfied

    @property
    def rate(self) -> float | None:
        if not self.answers:
            return None
        return round(100 * self.satisfied / self.answers, 1)


def satisfaction(*, ratings: Sequence[int], minimum: int, callback_outcomes: Iterable[str]) -> Satisfaction:
    """Combine the ratings (1-5) and the final callback outcomes of one group."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in callback_outcomes:
        if outcome not in counts:
            raise ValueError(f"unknown outcome {outcome!r}")
        counts[outcome] += 1
    return Satisfaction(
        ratings=len(ratings),
        satisfied_ratings=sum(1 for rating in ratings if rating_is_satisfied(rating, minimum)),
        callbacks_satisfied=counts[SATISFIED],
        callbacks_dissatisfied=counts[DISSATISFIED],
        callbacks_unreachable=counts[UNREACHABLE],
    )


def combine(
    *, ratings: int, satisfied_ratings: int, satisfied: int, dissatisfied: int, unreachable: int
) -> Satisfaction:
    """The same figure from counts already aggregated by the database."""
    if min(ratings, satisfied_ratings, satisfied, dissatisfied, unreachable) < 0 or satisfied_ratings > ratings:
        raise ValueError("counts must be non-negative and satisfied ratings at most all ratings")
    return Satisfaction(ratings, satisfied_ratings, satisfied, dissatisfied, unreachable)
