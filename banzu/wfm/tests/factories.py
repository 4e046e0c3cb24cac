"""Planning test data, built through the services where behaviour depends on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from banzu.contact import statistics
from banzu.contact.models import Contact
from banzu.contact.tests.factories import QueueFactory, channel
from banzu.wfm import services

ZONE = ZoneInfo("Asia/Shanghai")
# Before any of these dates the calendar package covers every day.
DAY = date(2025, 3, 3)  # a Monday
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=ZONE)


def planning_queue(org, **kwargs):
    return QueueFactory(department=org.department, centre=org.centre, **kwargs)


def grid(start: date, days: int, minutes: int) -> list[datetime]:
    first = datetime.combine(start, time(), tzinfo=ZONE)
    return [first + i * timedelta(minutes=minutes) for i in range(days * 24 * 60 // minutes)]


def manual_intervals(
    start: date, days: int = 1, minutes: int = 30, volume: Callable[[datetime], float] | None = None, aht: float = 180
) -> list[dict]:
    def office(moment: datetime) -> float:
        return 40.0 if 9 <= moment.hour < 17 else 0.0

    volume = volume or office
    return [
        {"start": moment.isoformat(), "volume": volume(moment), "aht_seconds": aht}
        for moment in grid(start, days, minutes)
    ]


def manual_forecast(org, queue, *, start: date = DAY, days: int = 1, minutes: int = 30, by: str = "manager", **kw):
    return services.create_forecast(
        user=org.people[by].user,
        queue_id=queue.pk,
        interval_minutes=minutes,
        horizon_start=start,
        horizon_days=days,
        intervals=manual_intervals(start, days, minutes, **kw),
        now=NOW,
    )


def arrived(queue, moments: Iterable[datetime], *, handle_seconds: int = 180) -> None:
    """Contacts that arrived and were answered at these moments (history for forecasts and accuracy)."""
    voice = channel("voice")
    Contact.objects.bulk_create(
        Contact(
            centre_id=queue.centre_id,
            channel=voice,
            queue=queue,
            status=Contact.Status.ENDED,
            arrived_at=moment,
            queued_at=moment,
            answered_at=moment + timedelta(seconds=5),
            ended_at=moment + timedelta(seconds=handle_seconds),
            talk_seconds=handle_seconds - 30,
            acw_seconds=30,
        )
        for moment in moments
    )
    # Planning reads the interval statistics kept as contacts end; rows for contacts written directly.
    statistics.rebuild_interval_statistics(centre=queue.centre_id)
