"""Import a clean 5,000-row roster xlsx through services.import_roster (ORG-2).

value: seconds for the whole import (read, check every row, write all rows in one transaction);
peer: the 10 s limit; ratio = 10 / seconds (above 1 is within the limit).
"""

from __future__ import annotations

import sys
import time

from bench._util import build_structure, generate_people, print_result, roster_rows, setup_django

NAME = "roster_import"
ROWS = 5000
LIMIT_SECONDS = 10.0


def main() -> int:
    database = setup_django(NAME)
    from banzu.org import roster, services
    from banzu.org.models import Employee

    org = build_structure()
    people = generate_people(ROWS, org)
    data = roster.write_workbook(roster_rows(people), title="Roster")
    before = Employee.objects.filter(centre=org.centre).count()
    started = time.perf_counter()
    result = services.import_roster(user=org.hr_user, data=data)
    seconds = time.perf_counter() - started
    imported = Employee.objects.filter(centre=org.centre).count() - before
    if not result.ok or imported != ROWS:
        print(f"import failed: created={result.created} imported={imported} errors={result.errors[:5]}")
        return 1
    print(f"imported {imported} rows ({len(data) // 1024} KiB xlsx) in {seconds:.2f} s on {database}")
    print_result(
        name=NAME,
        value=round(seconds, 3),
        unit="s",
        peer=f"limit:{LIMIT_SECONDS:g}s",
        ratio=round(LIMIT_SECONDS / seconds, 2),
        rows_per_second=round(ROWS / seconds),
        rows=ROWS,
        db=database,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
