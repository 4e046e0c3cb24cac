"""Pushing notices to an employee's open pages over the channel layer.

The notice row is the record (it shows in the app whatever happens); the push only makes it
immediate. Sending waits for the write to commit and never fails it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def employee_group(employee_id: int) -> str:
    """The channel-layer group of one employee's browser tabs (core.consumers.NotificationConsumer)."""
    return f"employee-{employee_id}"


def push_to_employees(employee_ids: Iterable[int], payload: dict[str, Any]) -> None:
    """After commit, send `payload` ({text, link, urgent, …}) to each employee's open pages."""
    ids = list(dict.fromkeys(employee_ids))

    def send() -> None:
        try:
            from asgiref.sync import async_to_sync
            from channels.layers import get_channel_layer

            layer = get_channel_layer()
            if layer is None:
                return
            for employee_id in ids:
                async_to_sync(layer.group_send)(employee_group(employee_id), {"type": "notify", **payload})
        except Exception:
            logger.exception("Pushing a notice failed")

    transaction.on_commit(send)
