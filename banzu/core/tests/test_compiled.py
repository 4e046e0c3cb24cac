"""Reads compiled once give what their queryset gives, converters included, for any parameters."""

from __future__ import annotations

import pytest

from banzu.core.compiled import CompiledRead
from banzu.core.models import CalendarDay

pytestmark = pytest.mark.django_db


def days(year, kind):
    return (
        CalendarDay.objects.filter(year_id=year, kind=kind)
        .order_by("date")
        .values_list("date", "is_working_day", "kind", "year__published")[:7]
    )


def test_rows_equal_the_querysets_for_every_parameter_set():
    read = CompiledRead(days, year=int, kind=str)
    cases = [(2024, "holiday"), (2025, "adjusted_workday"), (2025, "weekend"), (1999, "holiday")]
    for year, kind in cases:
        expected = list(days(year, kind))
        assert read.rows(year=year, kind=kind) == expected
        assert read.first(year=year, kind=kind) == (expected[0] if expected else None)
    # Dates and booleans come back as Python values on every database, not as text or 0/1.
    date, working, _kind, published = read.first(year=2025, kind="holiday")
    assert (type(date).__name__, working, published) == ("date", False, True)


def test_the_parameters_are_named_and_typed():
    read = CompiledRead(days, year=int, kind=str)
    with pytest.raises(TypeError):
        read.rows(year=2025)
    with pytest.raises(TypeError):
        CompiledRead(days, year=float, kind=str)


def test_a_parameter_that_does_not_reach_the_sql_alone_is_refused():
    read = CompiledRead(
        lambda year: CalendarDay.objects.filter(year_id__in=[year, year + 1]).values_list("date"), year=int
    )
    with pytest.raises(ValueError, match="year"):
        read.rows(year=2025)


def test_a_parameter_the_query_ignores_is_refused():
    read = CompiledRead(
        lambda year, kind: CalendarDay.objects.filter(year_id=year).values_list("date"), year=int, kind=str
    )
    with pytest.raises(ValueError, match="kind"):
        read.rows(year=2025, kind="holiday")
