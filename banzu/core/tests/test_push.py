"""Notices pushed to an employee's open pages over the WebSocket /ws/notifications/."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from banzu.core import push

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings):
    """The consumer's logic over the in-memory layer: a Redis layer's blocking reads, started in
    each test's own event loop, can outlive a closed socket and time out at tear-down. Sending
    over the configured layer (Redis in CI) is exercised by the complaints' push test."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _socket(cookie: str | None) -> ApplicationCommunicator:
    from banzu.asgi import application

    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    scope = {
        "type": "websocket",
        "path": "/ws/notifications/",
        "raw_path": b"/ws/notifications/",
        "query_string": b"",
        "headers": headers,
        "subprotocols": [],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    return ApplicationCommunicator(application, scope)


def _session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_logged_in_employee_receives_the_notices_pushed_to_them(org):
    cookie = _session_of(org.people["supervisor"].user)

    async def scenario():
        socket = _socket(cookie)
        await socket.send_input({"type": "websocket.connect"})
        assert (await socket.receive_output(10))["type"] == "websocket.accept"
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        await layer.group_send(
            push.employee_group(org.people["supervisor"].pk),
            {"type": "notify", "text": "二级投诉待处理", "link": "/complaints/1/", "urgent": True},
        )
        sent = await socket.receive_output(10)
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        await socket.wait(10)
        return json.loads(sent["text"])

    assert async_to_sync(scenario)() == {"text": "二级投诉待处理", "link": "/complaints/1/", "urgent": True}


def test_a_notice_for_someone_else_does_not_arrive(org):
    cookie = _session_of(org.people["agent"].user)

    async def scenario():
        socket = _socket(cookie)
        await socket.send_input({"type": "websocket.connect"})
        assert (await socket.receive_output(10))["type"] == "websocket.accept"
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(
            push.employee_group(org.people["supervisor"].pk), {"type": "notify", "text": "x", "link": ""}
        )
        nothing = await socket.receive_nothing(0.5)
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        await socket.wait(10)
        return nothing

    assert async_to_sync(scenario)() is True


def test_an_anonymous_socket_is_closed(org):
    async def scenario():
        socket = _socket(None)
        await socket.send_input({"type": "websocket.connect"})
        return await socket.receive_output(10)

    answer = async_to_sync(scenario)()
    assert answer == {"type": "websocket.close", "code": 4401}


def test_pages_of_logged_in_users_name_the_push_socket(org, client_as):
    assert 'data-push-path="/ws/notifications/"' in client_as("agent").get("/workorders/").content.decode()
