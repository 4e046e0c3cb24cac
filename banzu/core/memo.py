"""A read cache for one unit of work, such as one CTI event.

Handling one switch event reads the same slow-changing rows several times (policies, the centre's
time zone, the queues' routing policy). Inside :func:`unit_of_work` such reads are kept for the rest
of that unit and thrown away after it, so a change made by an administrator is seen by the next
event, and nothing is shared between threads, requests or tests. Outside a unit nothing is cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_cache: ContextVar[dict[Hashable, object] | None] = ContextVar("banzu_unit_of_work_cache", default=None)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Keep :func:`remembered` values until the block ends (nested blocks share the outer cache)."""
    if _cache.get() is not None:
        yield
        return
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def active() -> bool:
    """Whether a unit of work is open (callers may then read more at once, to cache it)."""
    return _cache.get() is not None


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its value from earlier in the current unit of work."""
    cache = _cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]  # type: ignore[return-value]


def forget(key: Hashable) -> None:
    """Drop `key` from the current unit of work, after the unit itself changed what it caches."""
    cache = _cache.get()
    if cache is not None:
        cache.pop(key, None)
