"""A read cache for one unit of work, such as one CTI event.

Handling one switch event reads the same slow-changing rows several times (policies, the centre's
time zone, the queues' routing policy). Inside :func:`unit_of_work` such reads are kept for the rest
of that unit and thrown away after it, so a change made by an administrator is seen by the next
event, and nothing is shared between threads, requests or tests. Outside a unit nothing is cached.

Settings read by every event are kept longer, by :func:`configuration`: across units of work, until
a change to them is committed anywhere.
"""

from __future__ import annotations

import threading
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


# --- configuration: slow-changing rows kept across units of work --------------------------------------
#
# Every CTI event reads the same settings: policy overrides, the centre's time zone, its queues'
# routing policies and hours, the switch of a token. An administrator changes them now and then, so a
# process keeps what it read until any process reports a change: a version number in the shared
# cache (Redis in production), bumped once the changing transaction commits. A unit of work reads
# the version once.

CONFIGURATION_VERSION_KEY = "banzu:configuration:v1"
_CONFIGURATION = "core.memo.configuration"
_VERSION_KEY = (_CONFIGURATION, "version")
_configuration: dict[Hashable, tuple[int, object]] = {}
_changing = threading.local()  # this thread's open transaction changed configuration


def _shared_version() -> int:
    from django.core.cache import cache

    return cache.get_or_set(CONFIGURATION_VERSION_KEY, 1, timeout=None)


def _changed_in_this_transaction() -> bool:
    from django.db import connection

    if getattr(_changing, "flag", False) and not connection.in_atomic_block:
        _changing.flag = False  # the transaction that changed it was rolled back
    return getattr(_changing, "flag", False)


def configuration(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` of settings that rarely change, kept by the process until a change is reported
    (:func:`configuration_changed`). The value is shared between threads: treat it as read-only.

    While this thread's own transaction has changed settings, values are kept for the unit of work
    only, and read again after each further change: it sees its uncommitted change, no other thread
    does.
    """
    if _changed_in_this_transaction():
        return remembered((_CONFIGURATION, key), compute)
    version = remembered(_VERSION_KEY, _shared_version)
    hit = _configuration.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    _configuration[key] = (version, value)
    return value


def _publish_change() -> None:
    from django.core.cache import cache

    _changing.flag = False
    try:
        cache.incr(CONFIGURATION_VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new number differs from what processes hold
        cache.set(CONFIGURATION_VERSION_KEY, _shared_version() + 1, timeout=None)
    _configuration.clear()


def configuration_changed(**_signal_arguments: object) -> None:
    """Report a change of settings; every process reads them again once it commits.

    Connected to the saves and deletes of the models registered with :func:`watch`; call it
    yourself after a bulk write (``update()``, ``bulk_create()``) to such a model.
    """
    from django.db import transaction

    _changing.flag = True
    unit = _cache.get()
    if unit is not None:
        for key in [key for key in unit if isinstance(key, tuple) and key[:1] == (_CONFIGURATION,)]:
            del unit[key]
    transaction.on_commit(_publish_change)


def watch(*models: type) -> None:
    """Saves and deletes of `models` change the configuration (call from ``AppConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        post_save.connect(configuration_changed, sender=model, dispatch_uid=f"memo.watch.save.{model._meta.label}")
        post_delete.connect(configuration_changed, sender=model, dispatch_uid=f"memo.watch.delete.{model._meta.label}")


def reset_configuration() -> None:
    """Forget everything kept (tests: a rolled-back test must not leak what it configured)."""
    _changing.flag = False
    _configuration.clear()
