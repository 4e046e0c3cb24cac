"""WebSocket routes of every app, collected in one list for banzu.asgi."""

from django.urls import path

from banzu.contact.consumers import CtiConsumer
from banzu.core.consumers import NotificationConsumer

websocket_urlpatterns: list = [
    path("cti/v1/ws", CtiConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
