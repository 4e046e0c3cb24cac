"""Template filters of the work-order pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def hms(value: timedelta | None) -> str:
    """A time left as hh:mm:ss (terms.md §10: durations in tables), negative when overdue."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@register.filter
def is_negative(value: timedelta | None) -> bool:
    return value is not None and value.total_seconds() < 0
