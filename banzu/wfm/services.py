"""Planning writes (WFM-1 … WFM-3): forecasts, staffing requirements, what-if scenarios, simulations.

Each write is one transaction that checks permission and scope through ``core.scoping``, validates,
applies ``wfm.rules`` / ``wfm.forecast`` / ``wfm.erlang`` with policy values read here, and saves.
A published forecast is never changed: accuracy is measured later against what was planned.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from banzu.contact.models import Queue
from banzu.core import scoping
from banzu.core.calendar import centre_zone, work_calendar
from banzu.core.errors import Conflict, invalid
from banzu.core.policies import policy
from banzu.core.rules import CalendarNotCovered
from banzu.org.models import Centre, Employee
from banzu.wfm import forecast, rules, selectors
from banzu.wfm.models import ForecastInterval, ForecastSnapshot, StaffingRequirement, TargetKind, WhatIfScenario

NAME_MAX_LENGTH = 100


def _employee(user: Any) -> Employee | None:
    actor = scoping.actor_for(user)
    return Employee.objects.filter(pk=actor.employee_id).first() if actor.employee_id else None


def _centre_of(user: Any) -> Centre:
    actor = scoping.actor_for(user)
    centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else Centre.objects.first()
    if centre is None:
        raise invalid("centre", _("You belong to no centre; ask an administrator."), code="no_centre")
    return centre


def interval_lengths(centre: Any) -> tuple[int, int]:
    """The two statistics interval lengths of the centre (CT-16): planning uses the same grid."""
    return policy("contact.short_interval_minutes", centre), policy("contact.long_interval_minutes", centre)


def default_target(queue: Queue | None, centre: Any) -> rules.Target:
    percent = (queue.service_level_percent if queue else None) or policy("contact.service_level_percent", centre)
    seconds = (queue.service_level_seconds if queue else None) or policy("contact.service_level_seconds", centre)
    return rules.Target(rules.SERVICE_LEVEL, float(seconds), float(percent))


# --- input checks: each names its field and says what to enter ---------------------------------------


def _number(raw: Any, field: str, message, *, code: str, ok) -> float:
    if isinstance(raw, bool):
        raise invalid(field, message, code=code)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise invalid(field, message, code=code) from None
    if not math.isfinite(value) or not ok(value):
        raise invalid(field, message, code=code)
    return value


def _moment(raw: Any, field: str, zone) -> datetime:
    try:
        value = raw if isinstance(raw, datetime) else parse_datetime(str(raw or ""))
    except ValueError:  # well formed but impossible, such as 30 February
        value = None
    if value is None:
        raise invalid(field, _("Enter a date and time as YYYY-MM-DDTHH:MM."), code="datetime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(zone)


def _interval_minutes(raw: Any, centre: Any) -> int:
    allowed = interval_lengths(centre)
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or str(raw).strip() not in {str(m) for m in allowed}:
        raise invalid(
            "interval_minutes",
            _("Choose an interval of %(short)s or %(long)s minutes.") % {"short": allowed[0], "long": allowed[1]},
            code="interval_minutes",
        )
    return int(raw)


def clean_target(data: Mapping[str, Any], default: rules.Target) -> rules.Target:
    """The target of a request: a service level (percent within seconds) or an ASA in seconds."""
    kind = data.get("target_kind") or default.kind
    if kind not in TargetKind.values:
        raise invalid("target_kind", _("Choose a service level target or an ASA target."), code="target_kind")
    if kind == rules.ASA:
        seconds = _number(
            data.get("asa_seconds"),
            "asa_seconds",
            _("Enter the average speed of answer target in seconds, above 0."),
            code="asa_seconds",
            ok=lambda v: v > 0,
        )
        return rules.Target(rules.ASA, seconds)
    percent = data.get("service_level_percent")
    percent = default.percent if percent in (None, "") else percent
    percent = _number(
        percent,
        "service_level_percent",
        _("Enter a service level target above 0 % and below 100 %."),
        code="service_level_percent",
        ok=lambda v: 0 < v < 100,
    )
    seconds = data.get("service_level_seconds")
    seconds = default.seconds if seconds in (None, "") else seconds
    seconds = _number(
        seconds,
        "service_level_seconds",
        _("Enter the service level threshold in seconds, 0 or more."),
        code="service_level_seconds",
        ok=lambda v: v >= 0,
    )
    return rules.Target(rules.SERVICE_LEVEL, seconds, percent)


def clean_shrinkage(raw: Any, centre: Any) -> float:
    if raw in (None, ""):
        return float(policy("wfm.shrinkage_percent", centre))
    return _number(
        raw,
        "shrinkage_percent",
        _("Enter a shrinkage of 0 % or more and below 100 %."),
        code="shrinkage_percent",
        ok=lambda v: 0 <= v < 100,
    )


def clean_patience(raw: Any) -> float | None:
    if raw in (None, ""):
        return None
    return _number(
        raw,
        "patience_seconds",
        _("Enter the average patience in seconds, above 0, or leave it empty."),
        code="patience_seconds",
        ok=lambda v: v > 0,
    )


def _clean_aht(raw: Any, field: str) -> float:
    return _number(
        raw, field, _("Enter the average handle time in seconds, above 0."), code="aht_seconds", ok=lambda v: v > 0
    )


def _clean_volume(raw: Any, field: str) -> float:
    return _number(raw, field, _("Enter a number of contacts, 0 or more."), code="volume", ok=lambda v: v >= 0)


def _clean_intervals(raw: Any, zone, max_count: int) -> list[dict]:
    if not isinstance(raw, list):
        raise invalid("intervals", _("Enter the intervals as a list."), code="intervals")
    if len(raw) > max_count:
        raise invalid(
            "intervals",
            _("Enter at most %(count)s intervals.") % {"count": max_count},
            code="too_many_intervals",
        )
    cleaned = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise invalid(f"intervals[{i}]", _("Enter an interval with its start and volume."), code="interval")
        row = {"start": _moment(item.get("start"), f"intervals[{i}].start", zone)}
        if item.get("volume") not in (None, ""):
            row["volume"] = _clean_volume(item.get("volume"), f"intervals[{i}].volume")
        if item.get("aht_seconds") not in (None, ""):
            row["aht_seconds"] = _clean_aht(item.get("aht_seconds"), f"intervals[{i}].aht_seconds")
        cleaned.append(row)
    return cleaned


@dataclass(frozen=True)
class WhatIf:
    """Validated what-if inputs (WFM-3) and the staffing they give."""

    centre: Centre
    queue: Queue
    snapshot: ForecastSnapshot | None
    interval_minutes: int
    target: rules.Target
    shrinkage_percent: float
    patience_seconds: float | None
    intervals: list[rules.PlannedInterval]
    rostered: list[int] | None
    staffing: list[rules.IntervalStaffing]
    seed: int


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _schedule(raw: Any, centre: Centre, zone) -> list[tuple[datetime, datetime]] | None:
    """A schedule as [{"employee": id, "start", "end"}]: the people must be staff of the centre."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, list):
        raise invalid("schedule", _("Enter the schedule as a list of shifts."), code="schedule")
    wanted = {item.get("employee") for item in raw if isinstance(item, Mapping) and _is_id(item.get("employee"))}
    known = set(
        Employee.objects.filter(centre=centre, pk__in=wanted)
        .exclude(status=Employee.Status.LEFT)
        .values_list("pk", flat=True)
    )
    shifts = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise invalid(f"schedule[{i}]", _("Enter a shift with a person, a start and an end."), code="shift")
        person = item.get("employee")
        if not _is_id(person) or person not in known:
            raise invalid(
                f"schedule[{i}].employee",
                _("This person is not on the centre's staff; choose someone from the roster."),
                code="unknown_employee",
            )
        begin = _moment(item.get("start"), f"schedule[{i}].start", zone)
        end = _moment(item.get("end"), f"schedule[{i}].end", zone)
        if end <= begin:
            raise invalid(f"schedule[{i}].end", _("The shift must end after it starts."), code="shift_order")
        shifts.append((begin, end))
    return shifts


def evaluate_what_if(*, user: Any, inputs: Mapping[str, Any]) -> WhatIf:
    """WFM-3: validate a planner's inputs and compute the agents needed per interval. Writes nothing.

    ``inputs``: ``snapshot`` (a forecast id) or ``queue`` (a queue id) with ``intervals``;
    ``intervals`` (each ``start`` with ``volume`` and/or ``aht_seconds``) replace the snapshot's
    values of those intervals; ``volume_multiplier``; ``aht_seconds`` for every interval; the
    target (``target_kind``, ``service_level_percent``/``service_level_seconds`` or
    ``asa_seconds``); ``shrinkage_percent``; ``patience_seconds``; ``schedule``; ``seed``.
    """
    scoping.ensure_can(user, "wfm.plan")
    if not isinstance(inputs, Mapping):
        raise invalid("inputs", _("Enter the scenario inputs."), code="inputs")
    centre = _centre_of(user)
    zone = centre_zone(centre)
    max_count = policy("wfm.forecast_max_horizon_days", centre) * 24 * 60 // min(interval_lengths(centre))
    snapshot = None
    if inputs.get("snapshot") not in (None, ""):
        snapshot = (
            selectors.forecasts_visible_to(user, "wfm.plan")
            .filter(pk=_whole(inputs.get("snapshot"), "snapshot"))
            .first()
        )
        if snapshot is None:
            raise invalid("snapshot", _("Choose a forecast you may plan with."), code="unknown_snapshot")
        queue = snapshot.queue
        interval_minutes = snapshot.interval_minutes
    else:
        queue = selectors.queues_for_planning(user).filter(pk=_whole(inputs.get("queue"), "queue")).first()
        if queue is None:
            raise invalid("queue", _("Choose a queue you may plan for."), code="unknown_queue")
        interval_minutes = _interval_minutes(inputs.get("interval_minutes"), centre)
    changes = _clean_intervals(inputs.get("intervals") or [], zone, max_count)
    multiplier = inputs.get("volume_multiplier")
    multiplier = _number(
        1.0 if multiplier in (None, "") else multiplier,
        "volume_multiplier",
        _("Enter a volume multiplier of 0 or more (1 keeps the forecast)."),
        code="volume_multiplier",
        ok=lambda v: v >= 0,
    )
    aht = None if inputs.get("aht_seconds") in (None, "") else _clean_aht(inputs.get("aht_seconds"), "aht_seconds")
    if snapshot is not None:
        base = selectors.intervals_of(snapshot)
        known = {item.start for item in base}
        for i, row in enumerate(changes):
            if row["start"] not in known:
                raise invalid(
                    f"intervals[{i}].start", _("This interval is not in the forecast."), code="unknown_interval"
                )
        handle = {row["start"]: row["aht_seconds"] for row in changes if "aht_seconds" in row}
        if handle:
            base = [rules.PlannedInterval(x.start, x.volume, handle.get(x.start, x.aht_seconds)) for x in base]
        volumes = {row["start"]: row["volume"] for row in changes if "volume" in row}
    else:
        base = []
        for i, row in enumerate(changes):
            if "volume" not in row:
                raise invalid(f"intervals[{i}].volume", _("Enter a number of contacts, 0 or more."), code="volume")
            if "aht_seconds" not in row and aht is None:
                raise invalid(
                    f"intervals[{i}].aht_seconds",
                    _("Enter the average handle time in seconds, above 0."),
                    code="aht_seconds",
                )
            base.append(rules.PlannedInterval(row["start"], row["volume"], row.get("aht_seconds", aht)))
        if not base:
            raise invalid("intervals", _("Enter at least one interval, or choose a forecast."), code="no_intervals")
        volumes = {}
    base.sort(key=lambda item: item.start)
    starts = [item.start for item in base]
    if len(set(starts)) != len(starts):
        raise invalid("intervals", _("Enter each interval once."), code="duplicate_interval")
    intervals = rules.adjusted_intervals(base, volume_multiplier=multiplier, aht_seconds=aht, volumes=volumes)
    target = clean_target(inputs, default_target(queue, centre))
    shrinkage = clean_shrinkage(inputs.get("shrinkage_percent"), centre)
    patience = clean_patience(inputs.get("patience_seconds"))
    shifts = _schedule(inputs.get("schedule"), centre, zone)
    rostered = rules.rostered_per_interval(shifts, starts, interval_minutes) if shifts is not None else None
    seed = inputs.get("seed", 0)
    seed = _whole(0 if seed in (None, "") else seed, "seed")
    result = rules.staffing(
        intervals,
        interval_minutes=interval_minutes,
        target=target,
        shrinkage_percent=shrinkage,
        patience_seconds=patience,
        rostered=rostered,
    )
    return WhatIf(
        centre, queue, snapshot, interval_minutes, target, shrinkage, patience, intervals, rostered, result, seed
    )


def _whole(raw: Any, field: str) -> int:
    if isinstance(raw, bool):
        raise invalid(field, _("Enter a whole number."), code="integer")
    if isinstance(raw, numbers.Integral):
        return int(raw)
    try:
        return int(str(raw).strip())
    except ValueError:
        raise invalid(field, _("Enter a whole number."), code="integer") from None


# --- forecasts (WFM-1) ---------------------------------------------------------------------------------


def _store_snapshot(
    *,
    queue: Queue,
    interval_minutes: int,
    horizon_start: date,
    horizon_days: int,
    method: str,
    parameters: dict,
    intervals: Sequence[rules.PlannedInterval],
    by: Employee | None,
    now: datetime,
) -> ForecastSnapshot:
    snapshot = ForecastSnapshot.objects.create(
        centre_id=queue.centre_id,
        queue=queue,
        interval_minutes=interval_minutes,
        horizon_start=horizon_start,
        horizon_days=horizon_days,
        method=method,
        parameters=parameters,
        created_by=by,
        created_at=now,
    )
    ForecastInterval.objects.bulk_create(
        ForecastInterval(snapshot=snapshot, starts_at=item.start, volume=item.volume, aht_seconds=item.aht_seconds)
        for item in intervals
    )
    return snapshot


def _overrides(raw: Any, zone) -> list[forecast.Override]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise invalid("overrides", _("Enter the overrides as a list."), code="overrides")
    result = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise invalid(f"overrides[{i}]", _("Enter an override with a start, an end and a change."), code="override")
        start = _moment(item.get("start"), f"overrides[{i}].start", zone)
        end = _moment(item.get("end"), f"overrides[{i}].end", zone)
        if end <= start:
            raise invalid(f"overrides[{i}].end", _("The override must end after it starts."), code="override_order")
        has_multiplier = item.get("multiplier") not in (None, "")
        has_volume = item.get("volume") not in (None, "")
        if has_multiplier == has_volume:
            raise invalid(
                f"overrides[{i}]",
                _("Enter either a multiplier or a volume for the override."),
                code="override_change",
            )
        if has_multiplier:
            value = _number(
                item["multiplier"],
                f"overrides[{i}].multiplier",
                _("Enter a multiplier of 0 or more."),
                code="multiplier",
                ok=lambda v: v >= 0,
            )
            result.append(forecast.Override(start=start, end=end, multiplier=value))
        else:
            result.append(
                forecast.Override(start=start, end=end, volume=_clean_volume(item["volume"], f"overrides[{i}].volume"))
            )
    return result


@transaction.atomic
def create_forecast(
    *,
    user: Any,
    queue_id: Any,
    interval_minutes: Any,
    horizon_start: date,
    horizon_days: Any,
    now: datetime,
    aht_seconds: Any = None,
    overrides: Any = None,
    intervals: Any = None,
) -> ForecastSnapshot:
    """WFM-1: a draft forecast of one queue over ``horizon_days`` days from ``horizon_start``.

    With ``intervals`` (each ``start``, ``volume``, ``aht_seconds``) the planner's own figures are
    stored (method "manual"); otherwise the statistical model is fitted to the queue's history up to
    the day before the horizon (or before today), with the calendar's day kinds and the overrides,
    and the handle time of each interval is the history's mean for that time of day (or
    ``aht_seconds`` when given).
    """
    scoping.ensure_can(user, "wfm.plan")
    centre = _centre_of(user)
    zone = centre_zone(centre)
    queue = selectors.queues_for_planning(user).filter(pk=_whole(queue_id, "queue")).first()
    if queue is None:
        raise invalid("queue", _("Choose a queue you may plan for."), code="unknown_queue")
    minutes = _interval_minutes(interval_minutes, centre)
    longest = policy("wfm.forecast_max_horizon_days", centre)
    days = _whole(horizon_days, "horizon_days")
    if not 1 <= days <= longest:
        raise invalid(
            "horizon_days",
            _("Enter a horizon of 1 to %(days)s days.") % {"days": longest},
            code="horizon_days",
        )
    if not isinstance(horizon_start, date):
        raise invalid("horizon_start", _("Enter a date as YYYY-MM-DD."), code="date")
    today = now.astimezone(zone).date()
    if horizon_start <= today and intervals in (None, ""):
        raise invalid("horizon_start", _("Start the forecast tomorrow or later."), code="horizon_in_past")
    first = datetime.combine(horizon_start, time(), tzinfo=zone)
    slots = days * 24 * 60 // minutes
    by = _employee(user)
    if intervals not in (None, ""):
        rows = _clean_intervals(intervals, zone, slots)
        grid = rules.interval_grid(first, minutes, slots)
        given = {row["start"]: row for row in rows}
        if set(given) != set(grid) or len(rows) != slots:
            raise invalid(
                "intervals",
                _("Enter every interval of the horizon once: %(count)s intervals.") % {"count": slots},
                code="incomplete_intervals",
            )
        planned = []
        for i, row in enumerate(rows):
            if "volume" not in row:
                raise invalid(f"intervals[{i}].volume", _("Enter a number of contacts, 0 or more."), code="volume")
            if "aht_seconds" not in row:
                raise invalid(
                    f"intervals[{i}].aht_seconds",
                    _("Enter the average handle time in seconds, above 0."),
                    code="aht_seconds",
                )
            planned.append(rules.PlannedInterval(row["start"], row["volume"], row["aht_seconds"]))
        planned.sort(key=lambda item: item.start)
        return _store_snapshot(
            queue=queue,
            interval_minutes=minutes,
            horizon_start=horizon_start,
            horizon_days=days,
            method=ForecastSnapshot.Method.MANUAL,
            parameters={},
            intervals=planned,
            by=by,
            now=now,
        )
    fixed_aht = None if aht_seconds in (None, "") else _clean_aht(aht_seconds, "aht_seconds")
    changes = _overrides(overrides, zone)
    history_end = min(horizon_start, today)
    history_days = policy("wfm.forecast_history_days", centre)
    since = datetime.combine(history_end - timedelta(days=history_days), time(), tzinfo=zone)
    until = datetime.combine(history_end, time(), tzinfo=zone)
    first_seen = selectors.first_arrival(queue, since=since)
    if first_seen is not None:
        since = datetime.combine(first_seen.astimezone(zone).date(), time(), tzinfo=zone)
    count = max(int((until - since).total_seconds() // (minutes * 60)), 0)
    if count < forecast.MIN_HISTORY_DAYS * 24 * 60 // minutes or first_seen is None:
        raise invalid(
            "queue",
            _("This queue has less than %(days)s days of history; enter the forecast by hand.")
            % {"days": forecast.MIN_HISTORY_DAYS},
            code="too_little_history",
        )
    volumes = selectors.actual_volumes(queue, first=since, interval_minutes=minutes, count=count)
    history = list(zip(rules.interval_grid(since, minutes, count), volumes, strict=True))
    try:
        model = forecast.fit_volume_model(
            history, interval_minutes=minutes, day_kind=forecast.day_kind_from_calendar(work_calendar())
        )
        predicted = forecast.forecast_volume(model, start=horizon_start, days=days, overrides=changes)
    except CalendarNotCovered as exc:
        raise invalid(
            "horizon_start",
            _("The working-day calendar has no data for %(year)s. An administrator must enter that year first.")
            % {"year": exc.day.year},
            code="calendar_not_covered",
        ) from None
    except ValueError as exc:
        if "day_kind" in str(exc):
            raise invalid(
                "horizon_start",
                _(
                    "The working-day calendar does not cover the history and the horizon; an administrator must "
                    "enter it."
                ),
                code="calendar_not_covered",
            ) from None
        raise
    handled = selectors.handled_contacts(queue, start=since, end=until, zone=zone)
    if fixed_aht is not None:
        profile, fallback = {}, fixed_aht
    else:
        if not handled:
            raise invalid(
                "aht_seconds",
                _("The history has no answered contacts; enter the average handle time."),
                code="aht_required",
            )
        profile = rules.handle_time_profile(handled, minutes)
        fallback = sum(seconds for _start, seconds in handled) / len(handled)
    planned = [
        rules.PlannedInterval(start, max(float(volume), 0.0), rules.aht_for(start, profile, fallback, minutes))
        for start, volume in predicted
    ]
    parameters = {
        "history_start": since.date().isoformat(),
        "history_end": (until.date() - timedelta(days=1)).isoformat(),
        "aht_seconds": fixed_aht,
        "overrides": [
            {
                "start": item.start.isoformat(),
                "end": item.end.isoformat(),
                "multiplier": item.multiplier,
                "volume": item.volume,
            }
            for item in changes
        ],
    }
    return _store_snapshot(
        queue=queue,
        interval_minutes=minutes,
        horizon_start=horizon_start,
        horizon_days=days,
        method=ForecastSnapshot.Method.STATISTICAL,
        parameters=parameters,
        intervals=planned,
        by=by,
        now=now,
    )


@transaction.atomic
def publish_forecast(*, user: Any, snapshot_id: int, now: datetime) -> ForecastSnapshot:
    """WFM-1: publish a draft; from now on it is the plan its accuracy is measured against.

    The row is locked so that two planners publishing at once record one publication.
    """
    scoping.ensure_can(user, "wfm.plan")
    found = scoping.get_in_scope(ForecastSnapshot.objects.all(), user, "wfm.plan", pk=snapshot_id)
    snapshot = ForecastSnapshot.objects.select_for_update().get(pk=found.pk)
    if snapshot.published_at is not None:
        raise Conflict(_("This forecast has already been published."), code="already_published")
    snapshot.published_at = now
    snapshot.published_by = _employee(user)
    snapshot.save(update_fields=["published_at", "published_by"])
    return snapshot


@transaction.atomic
def delete_forecast(*, user: Any, snapshot_id: int) -> None:
    """A draft can be thrown away; a published forecast is kept for accuracy."""
    scoping.ensure_can(user, "wfm.plan")
    found = scoping.get_in_scope(ForecastSnapshot.objects.all(), user, "wfm.plan", pk=snapshot_id)
    snapshot = ForecastSnapshot.objects.select_for_update().get(pk=found.pk)
    if snapshot.published_at is not None:
        raise Conflict(_("A published forecast is kept and cannot be deleted."), code="published_is_kept")
    snapshot.delete()


# --- staffing requirements (WFM-2) -----------------------------------------------------------------------


def requirement_basis(
    *, user: Any, snapshot: ForecastSnapshot, data: Mapping[str, Any]
) -> tuple[rules.Target, float, float | None]:
    target = clean_target(data, default_target(snapshot.queue, snapshot.centre_id))
    return (
        target,
        clean_shrinkage(data.get("shrinkage_percent"), snapshot.centre_id),
        clean_patience(data.get("patience_seconds")),
    )


def requirements_for(
    snapshot: ForecastSnapshot, target: rules.Target, shrinkage_percent: float, patience: float | None
) -> list[rules.IntervalStaffing]:
    """Per-interval staffing of a snapshot, computed (the stored rows hold the same numbers)."""
    return rules.staffing(
        selectors.intervals_of(snapshot),
        interval_minutes=snapshot.interval_minutes,
        target=target,
        shrinkage_percent=shrinkage_percent,
        patience_seconds=patience,
    )


@transaction.atomic
def compute_requirements(
    *, user: Any, snapshot_id: int, data: Mapping[str, Any], now: datetime
) -> list[StaffingRequirement]:
    """WFM-2: store the staffing requirement of a snapshot for one target, shrinkage and patience.

    Idempotent: the snapshot never changes, so the rows of the same basis are returned as they are.
    """
    scoping.ensure_can(user, "wfm.plan")
    snapshot = scoping.get_in_scope(ForecastSnapshot.objects.select_related("queue"), user, "wfm.plan", pk=snapshot_id)
    target, shrinkage, patience = requirement_basis(user=user, snapshot=snapshot, data=data)
    existing = selectors.stored_requirements(snapshot, target, shrinkage, patience)
    if existing:
        return existing
    rows = [
        StaffingRequirement(
            snapshot=snapshot,
            starts_at=item.start,
            target_kind=target.kind,
            target_percent=round(target.percent) if target.kind == rules.SERVICE_LEVEL else 0,
            target_seconds=round(target.seconds),
            shrinkage_percent=shrinkage,
            patience_seconds=patience or 0,
            load_erlangs=item.load,
            required_agents=item.required,
            scheduled_agents=item.scheduled,
            computed_at=now,
        )
        for item in requirements_for(snapshot, target, shrinkage, patience)
    ]
    try:
        with transaction.atomic():
            StaffingRequirement.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent request stored the same basis first; its rows are the same numbers.
        pass
    return selectors.stored_requirements(snapshot, target, shrinkage, patience)


# --- what-if scenarios (WFM-3) ----------------------------------------------------------------------------


def _clean_name(raw: Any) -> str:
    name = str(raw or "").strip()
    if not name:
        raise invalid("name", _("Enter a name for the scenario."), code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise invalid(
            "name",
            _("Enter a name of at most %(count)s characters.") % {"count": NAME_MAX_LENGTH},
            code="max_length",
        )
    return name


@transaction.atomic
def save_scenario(
    *, user: Any, name: Any, inputs: Mapping[str, Any], now: datetime, scenario_id: int | None = None
) -> WhatIfScenario:
    """Save a what-if with its staffing results; an existing scenario is replaced (its owner stays)."""
    scoping.ensure_can(user, "wfm.plan")
    name = _clean_name(name)
    evaluated = evaluate_what_if(user=user, inputs=inputs)
    owner = _employee(user)
    if owner is None:
        raise invalid("owner", _("Only staff members can save scenarios."), code="no_employee")
    if scenario_id is None:
        scenario = WhatIfScenario(centre=evaluated.centre, owner=owner, created_at=now)
    else:
        found = scoping.get_in_scope(WhatIfScenario.objects.all(), user, "wfm.plan", pk=scenario_id)
        scenario = WhatIfScenario.objects.select_for_update().get(pk=found.pk)
    clash = WhatIfScenario.objects.filter(owner=scenario.owner, name=name).exclude(pk=scenario.pk).exists()
    if clash:
        raise invalid("name", _("A scenario with this name already exists; choose another name."), code="unique")
    scenario.name = name
    scenario.snapshot = evaluated.snapshot
    scenario.inputs = dict(inputs)
    scenario.results = {"staffing": rules.staffing_rows(evaluated.staffing)}
    scenario.simulation_run_id = None  # the inputs changed: an earlier run no longer describes them
    scenario.updated_at = now
    scenario.save()
    return scenario


@transaction.atomic
def delete_scenario(*, user: Any, scenario_id: int) -> None:
    scoping.ensure_can(user, "wfm.plan")
    scenario = scoping.get_in_scope(WhatIfScenario.objects.all(), user, "wfm.plan", pk=scenario_id)
    scenario.delete()


def simulation_available() -> bool:
    """The simulator is a separate app; planning works without it."""
    try:
        from banzu.simulation import services as simulation_services
    except ImportError:
        return False
    return hasattr(simulation_services, "start_run")


@transaction.atomic
def run_scenario(*, user: Any, inputs: Mapping[str, Any], now: datetime, scenario_id: int | None = None):
    """WFM-3, CT-20: check the plan against the forecast with the simulator, in the background.

    The schedule's people after shrinkage staff each interval when a schedule is given, otherwise
    the Erlang requirement does (so the simulation checks the requirement itself). Returns the
    simulation run; a saved scenario remembers it.
    """
    scoping.ensure_can(user, "wfm.plan")
    scenario = None
    if scenario_id is not None:
        found = scoping.get_in_scope(WhatIfScenario.objects.all(), user, "wfm.plan", pk=scenario_id)
        scenario = WhatIfScenario.objects.select_for_update().get(pk=found.pk)
        inputs = scenario.inputs
    evaluated = evaluate_what_if(user=user, inputs=inputs)
    if not simulation_available():
        raise Conflict(
            _("The simulator is not available; the staffing results stand alone."), code="simulation_unavailable"
        )
    from banzu.simulation import services as simulation_services

    staffed = [row.available if row.available is not None else row.required for row in evaluated.staffing]
    config = rules.simulation_config(
        queue_code=evaluated.queue.code,
        skill_ids=list(evaluated.queue.skills.values_list("skill_id", flat=True)),
        target=evaluated.target,
        intervals=evaluated.intervals,
        agents_per_interval=staffed,
        interval_minutes=evaluated.interval_minutes,
        patience_seconds=evaluated.patience_seconds,
        seed=evaluated.seed,
    )
    run = simulation_services.start_run(user=user, centre=evaluated.centre, config=config, now=now)
    if scenario is not None:
        scenario.simulation_run_id = run.pk
        scenario.updated_at = now
        scenario.save(update_fields=["simulation_run_id", "updated_at"])
    return run
