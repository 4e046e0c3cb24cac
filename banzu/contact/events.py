"""Notifications of contact and agent changes, delivered after the transaction commits.

DESIGN principle 4: authoritative state lives in the database; this only fans out. Listeners are
plain callables ``(kind, payload)``; the WebSocket fan-out and interval statistics subscribe here.
A listener never runs for a change that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _deliver(kind: str, payload: dict[str, Any]) -> None:
    for listener in list(_listeners):
        try:
            listener(kind, payload)
        except Exception:
            # The change is committed; a failing listener must not hide it from the others.
            logger.exception("Contact event listener %r failed on %s", listener, kind)


def publish(kind: str, **payload: Any) -> None:
    """Deliver `kind` to every listener once the current transaction commits."""
    transaction.on_commit(lambda: _deliver(kind, payload))
