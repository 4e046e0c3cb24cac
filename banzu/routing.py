"""WebSocket routes of every app, collected in one list for banzu.asgi."""

websocket_urlpatterns: list = []
