"""Planning actuals read the queue interval statistics (CT-16) and give the answers the scan of raw
contacts gave, on a generated history of answered and abandoned contacts (WFM-1, WFM-4)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
import pytest

from banzu.contact import statistics
from banzu.contact.models import Contact
from banzu.contact.tests.factories import channel
from banzu.core.calendar import centre_zone
from banzu.wfm import rules, selectors
from banzu.wfm.tests.factories import DAY, planning_queue

DAYS = 3


@pytest.fixture
def history(org):
    """Three days of a queue: arrivals through the day (more by day), four in five answered with
    talk, hold and after-call work, the rest abandoned; interval rows rebuilt from them."""
    queue = planning_queue(org)
    other = planning_queue(org)  # another queue's contacts must not count
    zone = centre_zone(org.centre)
    rng = np.random.default_rng(17)
    midnight = datetime.combine(DAY, time(), tzinfo=zone)
    voice = channel()
    rows = []
    for target in (queue, other):
        for day in range(DAYS):
            hours = rng.choice(24, size=400, p=_shape())
            for hour, second in zip(hours, rng.integers(0, 3600, size=hours.size), strict=True):
                moment = midnight + timedelta(days=day, hours=int(hour), seconds=int(second))
                answered = rng.random() < 0.8
                talk, hold, acw = (int(x) for x in rng.integers([30, 0, 5], [600, 90, 120]))
                rows.append(
                    Contact(
                        centre=org.centre,
                        channel=voice,
                        queue=target,
                        status=Contact.Status.ENDED if answered else Contact.Status.ABANDONED,
                        arrived_at=moment,
                        queued_at=moment,
                        answered_at=moment + timedelta(seconds=7) if answered else None,
                        ended_at=moment + timedelta(seconds=7 + talk + hold if answered else 40),
                        wait_seconds=7 if answered else 40,
                        talk_seconds=talk if answered else 0,
                        hold_seconds=hold if answered else 0,
                        acw_seconds=acw if answered else 0,
                    )
                )
    Contact.objects.bulk_create(rows, batch_size=500)
    statistics.rebuild_interval_statistics(centre=org.centre)
    return queue, zone, midnight


def _shape() -> np.ndarray:
    weights = np.array([0.2] * 8 + [3.0] * 10 + [1.0] * 6)
    return weights / weights.sum()


def raw_volumes(queue, first: datetime, minutes: int, count: int) -> list[int]:
    """The former computation: every contact of the queue by its arrival time."""
    moments = Contact.objects.filter(queue=queue).values_list("arrived_at", flat=True)
    return rules.bucket_counts(moments, first=first, interval_minutes=minutes, count=count)


def raw_handled(queue, zone) -> list[tuple[datetime, float]]:
    rows = Contact.objects.filter(queue=queue, answered_at__isnull=False).values_list(
        "arrived_at", "talk_seconds", "hold_seconds", "acw_seconds"
    )
    return [(moment.astimezone(zone), float(t + h + a)) for moment, t, h, a in rows]


@pytest.mark.parametrize(("minutes", "offset"), [(15, 0), (30, 0), (60, 0), (120, 60), (30, 30), (30, 10), (45, 0)])
def test_volumes_from_interval_rows_equal_the_count_of_contacts(history, minutes, offset):
    queue, _zone, midnight = history
    first = midnight + timedelta(minutes=offset)  # 10 minutes past: a grid no row length tiles
    count = (DAYS * 24 * 60 - offset) // minutes
    expected = raw_volumes(queue, first, minutes, count)
    assert sum(expected) > 0.95 * 400 * DAYS - 400  # nearly every contact falls in the grid
    assert selectors.actual_volumes(queue, first=first, interval_minutes=minutes, count=count) == expected


def test_volumes_of_a_period_without_contacts_are_zero(history):
    queue, _zone, midnight = history
    later = midnight + timedelta(days=30)
    assert selectors.actual_volumes(queue, first=later, interval_minutes=30, count=4) == [0, 0, 0, 0]


@pytest.mark.parametrize("minutes", [15, 30, 60])
def test_handle_time_profile_from_interval_rows_equals_the_one_from_contacts(history, minutes):
    queue, zone, midnight = history
    handled = selectors.handled_contacts(queue, start=midnight, end=midnight + timedelta(days=DAYS), zone=zone)
    expected = raw_handled(queue, zone)
    assert len(handled) == len(expected) > 0
    got, want = rules.handle_time_profile(handled, minutes), rules.handle_time_profile(expected, minutes)
    assert got.keys() == want.keys()
    for slot, seconds in want.items():
        assert got[slot] == pytest.approx(seconds, rel=1e-9)
    mean = sum(s for _m, s in handled) / len(handled)
    assert mean == pytest.approx(sum(s for _m, s in expected) / len(expected), rel=1e-9)
    # Only the period asked for.
    first_day = selectors.handled_contacts(queue, start=midnight, end=midnight + timedelta(days=1), zone=zone)
    assert 0 < len(first_day) < len(handled)


def test_first_arrival_is_found_in_the_interval_rows(history):
    queue, zone, midnight = history
    first = selectors.first_arrival(queue, since=midnight - timedelta(days=5))
    earliest = Contact.objects.filter(queue=queue).order_by("arrived_at").values_list("arrived_at", flat=True)[0]
    assert first.astimezone(zone).date() == earliest.astimezone(zone).date() == DAY
    assert first <= earliest < first + timedelta(minutes=15)
    assert selectors.first_arrival(queue, since=midnight + timedelta(days=DAYS)) is None
