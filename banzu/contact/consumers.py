"""WebSocket of the CTI API: /cti/v1/ws (CT-1; contract in docs/cti.md).

The switch sends the same JSON bodies as over HTTP and gets each answer back as a message; Banzu
pushes offers and withdrawn offers of the switch's calls as they happen, from any app server (the
channel layer carries them; ``contact.cti.push_to_switch`` sends them after commit).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _
from rest_framework import exceptions

from banzu.contact import cti, cti_api
from banzu.core.drf import exception_handler

# The WebSocket counterpart of HTTP 401 (close codes 4000–4999 are the application's).
CLOSE_UNAUTHENTICATED = 4401


def _token(scope: dict) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() == "bearer":
                return parts[1]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("token") or [""])[0]


def _run(call, *args) -> tuple[int, Any]:
    """Run a CTI call as the HTTP view would: (status, body), errors in the API's one shape."""
    try:
        return 200, call(*args)
    except Exception as exc:
        response = exception_handler(exc, {})
        if response is None:
            raise
        return response.status_code, response.data


class CtiConsumer(AsyncWebsocketConsumer):
    switch = None

    async def connect(self):
        self.switch = await database_sync_to_async(cti.switch_for_token)(_token(self.scope))
        await self.accept()
        if self.switch is None:
            # Accept, then close: a refused handshake would hide the reason from the switch.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.channel_layer.group_add(cti.switch_group(self.switch.pk), self.channel_name)

    async def disconnect(self, code):
        if self.switch is not None:
            await self.channel_layer.group_discard(cti.switch_group(self.switch.pk), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if self.switch is None:
            return
        try:
            data = json.loads(text_data if text_data is not None else bytes_data.decode())
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            status, body = _run(self._malformed)
            await self._send("error", status, body)
            return
        if data.get("type") == "route":
            status, body = await database_sync_to_async(_run)(cti_api.answer_route, self.switch, data)
            await self._send("route_result", status, body, request_id=data.get("request_id"))
            return
        status, body = await database_sync_to_async(_run)(cti_api.apply_event, self.switch, data)
        await self._send("event_result", status, body)

    @staticmethod
    def _malformed():
        raise exceptions.ValidationError({"non_field_errors": [_("Send each message as a JSON object.")]})

    async def _send(self, kind: str, status: int, body: Any, **extra: Any) -> None:
        await self.send(text_data=json.dumps({"type": kind, "status": status, **extra, "body": body}, default=str))

    async def cti_push(self, event):
        """An offer or a withdrawn offer of this switch's call (sent by ``cti.push_to_switch``)."""
        await self.send(text_data=json.dumps(event["message"], default=str))
