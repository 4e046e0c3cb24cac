"""The CTI WebSocket /cti/v1/ws (CT-1): token at the handshake, events and routing questions as
messages, offers pushed to the switch that owns the call."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from banzu.contact import cti, services
from banzu.contact.models import Contact, CtiCall, CtiEvent
from banzu.contact.tests.factories import QueueFactory

# The consumer reaches the database from its own thread helpers; commits must be real so that
# offers are pushed after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings):
    """The consumer's logic over the in-memory layer: a Redis layer's blocking reads, started in
    each test's own event loop, can outlive a closed socket and time out at tear-down. Fan-out
    between processes over Redis is exercised by the two-server tests."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def setup(org):
    queue = QueueFactory(department=org.department, code="TAX", name="办税热线")
    _switch, token = cti.create_switch(centre=org.centre, code="pbx1")
    return org, queue, token


class WebsocketCommunicator(ApplicationCommunicator):
    """A WebSocket client for an ASGI app (channels.testing's own needs daphne, which is not installed)."""

    def __init__(self, application, path, headers):
        url, _, query = path.partition("?")
        scope = {
            "type": "websocket",
            "path": url,
            "raw_path": url.encode(),
            "query_string": query.encode(),
            "headers": headers,
            "subprotocols": [],
            "client": ("127.0.0.1", 50000),
            "server": ("localhost", 80),
        }
        super().__init__(application, scope)

    async def connect(self, timeout=10):
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        return response["type"] == "websocket.accept", response.get("code")

    async def send_to(self, text_data):
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data):
        await self.send_to(json.dumps(data))

    async def receive_from(self, timeout=10):
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return response["text"]

    async def disconnect(self, code=1000, timeout=10):
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def _communicator(path, headers):
    from banzu.asgi import application

    return WebsocketCommunicator(application, path, headers=headers)


async def _receive(communicator):
    return json.loads(await communicator.receive_from(timeout=10))


def test_a_bad_token_is_closed_with_4401(setup):
    async def scenario():
        communicator = _communicator("/cti/v1/ws", [ORIGIN, (b"authorization", b"Bearer bzsw_wrong")])
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        closed = await communicator.receive_output(timeout=10)
        assert closed == {"type": "websocket.close", "code": 4401}
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_socket_without_a_token_is_closed_too(setup):
    async def scenario():
        communicator = _communicator("/cti/v1/ws", [ORIGIN])
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        assert (await communicator.receive_output(timeout=10))["code"] == 4401
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_events_questions_and_pushed_offers_over_the_socket(setup):
    org, _queue, token = setup
    agent = org.people["agent"]

    async def scenario():
        # The token may also come in the query string, for clients that cannot set headers.
        communicator = _communicator(f"/cti/v1/ws?token={token}", [ORIGIN])
        connected, _ = await communicator.connect(timeout=10)
        assert connected

        await communicator.send_to(text_data="not json")
        error = await _receive(communicator)
        assert (error["type"], error["status"], error["body"]["code"]) == ("error", 400, "invalid")

        offered = {"event_id": "w1", "type": "offered", "call_id": "c1", "queue": "TAX"}
        await communicator.send_json_to(offered)
        result = await _receive(communicator)
        assert (result["type"], result["status"]) == ("event_result", 200)
        assert result["body"]["route"]["decision"] == "queue"
        assert result["body"]["route"]["position"] == 1

        await communicator.send_json_to(offered)  # a repeat
        again = await _receive(communicator)
        assert (again["status"], again["body"]["duplicate"]) == (200, True)

        await communicator.send_json_to({"event_id": "w2", "type": "held", "call_id": "c1"})
        refused = await _receive(communicator)
        assert (refused["status"], refused["body"]["code"]) == (409, "event_out_of_order")

        await communicator.send_json_to({"event_id": "w3", "type": "held", "call_id": "nope"})
        assert (await _receive(communicator))["status"] == 404

        await communicator.send_json_to({"event_id": "w4", "type": "offered", "call_id": "c2"})
        malformed = await _receive(communicator)
        assert (malformed["status"], list(malformed["body"]["fields"])) == (400, ["queue"])

        # The agent signs in through the switch; routing offers c1 and the offer is pushed.
        await communicator.send_json_to({"event_id": "w5", "type": "agent_login", "agent": agent.employee_no})
        messages = [await _receive(communicator), await _receive(communicator)]
        by_type = {message["type"]: message for message in messages}
        assert set(by_type) == {"offer", "event_result"}
        assert by_type["offer"]["call_id"] == "c1"
        assert by_type["offer"]["agent"]["employee_no"] == agent.employee_no
        assert by_type["event_result"]["body"]["offers"][0]["call_id"] == "c1"

        await communicator.send_json_to({"type": "route", "call_id": "c1", "request_id": "q1"})
        route = await _receive(communicator)
        assert (route["type"], route["status"], route["request_id"]) == ("route_result", 200, "q1")
        assert route["body"]["decision"] == "agent"

        await communicator.send_json_to({"type": "route", "request_id": "q2"})
        bad_route = await _receive(communicator)
        assert (bad_route["status"], bad_route["request_id"]) == (400, "q2")
        await communicator.disconnect()

    async_to_sync(scenario)()
    assert Contact.objects.get(external_id="c1").status == Contact.Status.OFFERED
    assert list(CtiEvent.objects.order_by("pk").values_list("event_id", flat=True)) == ["w1", "w5"]


def test_an_offer_made_elsewhere_is_pushed_to_the_switch_that_owns_the_call(setup):
    """The agent signs in at the console, not through the switch: the switch still hears of the offer."""
    from django.utils import timezone

    org, _queue, token = setup

    async def scenario():
        communicator = _communicator("/cti/v1/ws", [ORIGIN, (b"authorization", f"Bearer {token}".encode())])
        assert (await communicator.connect(timeout=10))[0]
        await communicator.send_json_to({"event_id": "w1", "type": "offered", "call_id": "c1", "queue": "TAX"})
        assert (await _receive(communicator))["status"] == 200

        def console():
            now = timezone.now()
            services.set_agent_state(agent=org.people["agent"], action="login", now=now)
            services.route_waiting(centre=org.centre, now=now)

        from channels.db import database_sync_to_async

        await database_sync_to_async(console)()
        pushed = await _receive(communicator)
        assert (pushed["type"], pushed["call_id"]) == ("offer", "c1")
        contact_id = await database_sync_to_async(lambda: CtiCall.objects.get(call_id="c1").contact_id)()
        assert pushed["contact_id"] == contact_id

        # The offer rings out unanswered (RONA): the switch is told to stop ringing.
        def sweep():
            services.withdraw_offer(contact_id=contact_id, now=timezone.now())

        await database_sync_to_async(sweep)()
        withdrawn = await _receive(communicator)
        assert (withdrawn["type"], withdrawn["call_id"]) == ("offer_withdrawn", "c1")
        assert withdrawn["agent"]["employee_no"] == org.people["agent"].employee_no
        await communicator.disconnect()

    async_to_sync(scenario)()
