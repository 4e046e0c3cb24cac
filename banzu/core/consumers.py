"""WebSocket of the logged-in pages: notices pushed to the employee (complaints, urgent orders)."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from banzu.core import scoping
from banzu.core.push import employee_group

# Close codes in the 4000 range are the application's own (RFC 6455 §7.4.2).
NOT_LOGGED_IN = 4401
NOT_AN_EMPLOYEE = 4403


def _employee_id(user) -> int | None:
    return scoping.actor_for(user).employee_id


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Joins the group of the logged-in employee and forwards its notices to the page."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        employee_id = await database_sync_to_async(_employee_id)(user)
        if employee_id is None:
            await self.close(code=NOT_AN_EMPLOYEE)
            return
        self.group = employee_group(employee_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """The page only listens; anything it sends is ignored."""

    async def notify(self, event) -> None:
        await self.send_json(
            {
                "text": str(event.get("text", "")),
                "link": str(event.get("link", "")),
                "urgent": bool(event.get("urgent")),
            }
        )
