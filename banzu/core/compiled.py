"""Reads on a hot path whose SQL is compiled once per process.

The ORM builds and compiles a query's SQL each time it runs; for the small reads every switch event
makes (its call, the last time of a contact, who waits where) that costs several times the database
round trip. A :class:`CompiledRead` builds its queryset once, with marker values for the
parameters, keeps the SQL, and afterwards only puts the parameters in place. Rows come back as
``values_list`` would give them: the ORM's own converters run on each (SQLite hands times back as
text otherwise). The queryset stays the definition: tests compare the two.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# Parameter values no caller sends, so that their places in the compiled SQL can be found.
_MARKERS = {int: lambda n: -987_654_000 - n, str: lambda n: f"\x1fmarker-{n}\x1f"}


class CompiledRead:
    """``build(**params)`` → a ``values_list`` queryset of fixed shape; `params` name each
    parameter's type (``int`` or ``str``), used once for a marker. Each marker must reach the SQL as
    one parameter of its own (no ``__in`` lists, no expressions around it)."""

    def __init__(self, build: Callable[..., QuerySet], **params: type) -> None:
        unknown = {name: kind for name, kind in params.items() if kind not in _MARKERS}
        if unknown:
            raise TypeError(f"Only int and str parameters can be compiled: {unknown}")
        self.build = build
        self.params = params
        self._compiled: dict[str, tuple[str, list[Any], list[str | None], Any, Any]] = {}
        self._lock = threading.Lock()

    def _compile_with(self, alias: str, first: int):
        counter = itertools.count(first)
        markers = {name: _MARKERS[kind](next(counter)) for name, kind in self.params.items()}
        compiler = self.build(**markers).using(alias).query.get_compiler(using=alias)
        sql, constants = compiler.as_sql()
        by_marker = {value: name for name, value in markers.items()}
        slots = [by_marker.get(value) if isinstance(value, (int, str)) else None for value in constants]
        return compiler, sql, list(constants), slots

    def _compile(self, alias: str):
        # Twice, with other markers: a value computed from a parameter (year + 1, a list around it)
        # would be compiled in as a constant, so any constant that differs is refused.
        compiler, sql, constants, slots = self._compile_with(alias, 0)
        _compiler, other_sql, other_constants, other_slots = self._compile_with(alias, 100)
        fixed = [constant for constant, slot in zip(constants, slots, strict=True) if slot is None]
        other_fixed = [constant for constant, slot in zip(other_constants, other_slots, strict=True) if slot is None]
        if sql != other_sql or slots != other_slots or fixed != other_fixed or set(slots) - {None} != set(self.params):
            raise ValueError(
                f"Each of the parameters {sorted(self.params)} must reach the SQL as it is, as a parameter of its own"
            )
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        return sql, constants, slots, compiler, compiler.get_converters(columns)

    def _statement(self, alias: str):
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = compiled
        return compiled

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple]:
        if values.keys() != self.params.keys():
            raise TypeError(f"Expected the parameters {sorted(self.params)}, got {sorted(values)}")
        sql, constants, slots, compiler, converters = self._statement(using)
        params = [constant if slot is None else values[slot] for constant, slot in zip(constants, slots, strict=True)]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = [tuple(row[: compiler.col_count]) for row in cursor.fetchall()]
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def first(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> tuple | None:
        rows = self.rows(using, **values)
        return rows[0] if rows else None


def instance(model: type[Model], names: Sequence[str], row: Sequence[Any], using: str = DEFAULT_DB_ALIAS) -> Model:
    """A `model` holding a compiled row's values of the fields `names` (attribute names), as if the
    ORM had loaded them with ``only()``: any other field loads when asked for."""
    values = dict(zip(names, row, strict=True))
    loaded = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    # from_db takes the values in the order of the model's fields.
    return model.from_db(using, loaded, [values[name] for name in loaded])
