"""Complaint due times (CMP-3, D1) for every filing hour of the covered years, against the
`chinesecalendar` package's own ``find_workday``.

Workload: four filings a day (every 6 hours) over every day the calendar covers (except the last
month, whose deadline may fall outside the data), with the default 2 working days and with 5 — about
67,000 due times. Banzu: ``complaints.rules.complaint_due_at`` over the ``WorkCalendar`` built from
the same data the seeding migration loads. Peer: ``chinese_calendar.find_workday``, asked for the
n-th working day after the filing day as D1 counts it — ``find_workday(n - 1, filing day + 1)``, since
the package counts from the first working day on or after its start (a Saturday filing asked
plainly as ``find_workday(2, saturday)`` would land a day later than D1). Every answer is compared.

value = ratio = peer seconds / Banzu seconds; mismatches = filings where the two disagree.
No Django needed.
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from bench._util import print_result

NAME = "complaint_deadlines"
SHANGHAI = ZoneInfo("Asia/Shanghai")
END = clock(23, 59, 59)


def filings(years: range) -> list[datetime]:
    day, last = date(years.start, 1, 1), date(years.stop - 1, 11, 30)
    out = []
    while day <= last:
        out.extend(datetime.combine(day, clock(hour), tzinfo=SHANGHAI) for hour in range(0, 24, 6))
        day += timedelta(days=1)
    return out


def main() -> int:
    import chinese_calendar

    from banzu.complaints.rules import complaint_due_at
    from banzu.core import calendar_seed
    from banzu.core.rules import WorkCalendar

    years = calendar_seed.package_years()
    calendar = WorkCalendar.build(
        (day for year in years for day, working, _kind, _name in calendar_seed.package_days(year) if working), years
    )
    moments = filings(years)
    mismatches = 0
    ours_seconds = peer_seconds = 0.0
    for days in (2, 5):
        started = time.perf_counter()
        ours = [complaint_due_at(moment, days, calendar) for moment in moments]
        ours_seconds += time.perf_counter() - started
        started = time.perf_counter()
        peer = [
            datetime.combine(
                chinese_calendar.find_workday(days - 1, moment.date() + timedelta(days=1)), END, tzinfo=SHANGHAI
            )
            for moment in moments
        ]
        peer_seconds += time.perf_counter() - started
        mismatches += sum(1 for a, b in zip(ours, peer, strict=True) if a != b)
    count = 2 * len(moments)
    print(f"{count} due times; banzu {ours_seconds:.3f} s, chinese_calendar.find_workday {peer_seconds:.3f} s")
    ratio = peer_seconds / ours_seconds
    print_result(
        name=NAME,
        value=round(ratio, 2),
        unit="x",
        peer="chinese_calendar.find_workday",
        ratio=round(ratio, 2),
        due_times=count,
        mismatches=mismatches,
    )
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
