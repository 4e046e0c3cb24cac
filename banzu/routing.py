"""WebSocket routes of every app, collected in one list for banzu.asgi."""

from django.urls import path

from banzu.contact.consumers import CtiConsumer

websocket_urlpatterns: list = [
    path("cti/v1/ws", CtiConsumer.as_asgi()),
]
