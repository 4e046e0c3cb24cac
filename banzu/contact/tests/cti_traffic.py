"""A concurrent CTI traffic driver for tests and benchmarks: callers and agent desks against one or
more app servers, over HTTP only (``docs/cti.md``).

Unlike the virtual switch (one thread, real-time pacing, a demo), this fires events from many
threads at once and at several servers, so that the server-side guarantees of CT-7 are what keeps
the books straight: an answer may cross a hang-up of the same call, two servers route at once.
Every event carries an id chosen here; when a server does not answer, the same event goes to the
next server, so a server dying mid-request never makes the driver apply an event twice or lose it.
What the driver believes is only bookkeeping; the test asserts on the database.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from banzu.contact.virtual_switch import CtiClient, CtiUnavailable


@dataclass
class TrafficConfig:
    calls: int = 300
    arrivals_per_second: float = 30.0
    queue: str = "TAX"
    ring_seconds: tuple[float, float] = (0.02, 0.15)
    talk_seconds: tuple[float, float] = (0.1, 0.5)
    patience_seconds: tuple[float, float] = (0.5, 5.0)
    acw_seconds: tuple[float, float] = (0.02, 0.1)
    break_probability: float = 0.2
    break_seconds: tuple[float, float] = (0.05, 0.3)
    workers: int = 12
    poll_seconds: float = 1.0
    # A call is looked at when nothing was heard of it for this long; at most this many per round.
    quiet_seconds: float = 5.0
    polls_per_round: int = 4
    seed: int = 1
    use_websocket: bool = True


@dataclass
class CallRecord:
    call_id: str
    server: int
    state: str = "new"  # new, waiting, ringing, talking, acw, done, refused
    agent: str | None = None
    contact_id: int | None = None
    polled_at: float = 0.0
    busy: bool = False  # an action of the driver is scheduled for this call


@dataclass
class TrafficResult:
    sent: int = 0
    refused: int = 0
    route_latencies: list[float] = field(default_factory=list)
    events: int = 0
    failovers: int = 0
    conflicts: int = 0
    offers: int = 0
    pushed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Traffic:
    """Drive `config.calls` calls through `servers` (base URLs) with the agents `agents`.

    Agents end after-call work with the phone's keys: ``agent_ready`` (routing then offers them the
    next call in its answer) or, going on a break, ``agent_away``. `on_thread_exit` runs in every
    worker thread before it ends (tests close their database connection there).
    """

    def __init__(
        self,
        servers: Sequence[str],
        token: str,
        agents: Sequence[str],
        config: TrafficConfig,
        *,
        on_thread_exit: Callable[[], None] = lambda: None,
    ) -> None:
        self.clients = [CtiClient(url, token) for url in servers]
        for client in self.clients:
            client.RETRY_DELAYS = (0.05, 0.2)  # fail over quickly instead of waiting on a dead server
        self.config = config
        self.agents = list(agents)
        self.on_thread_exit = on_thread_exit
        self.rng = random.Random(config.seed)  # noqa: S311
        self.rng_lock = threading.Lock()
        self.lock = threading.Lock()
        self.calls: dict[str, CallRecord] = {}
        self.result = TrafficResult()
        self.run_id = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        self._timers: list[tuple[float, int, Callable, tuple]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._in_flight = 0
        self._threads: list[threading.Thread] = []
        self._dead: set[int] = set()

    # --- plumbing --------------------------------------------------------------------------------

    def draw(self, bounds: tuple[float, float]) -> float:
        with self.rng_lock:
            return self.rng.uniform(*bounds)

    def later(self, seconds: float, action: Callable, *args) -> None:
        with self._wake:
            heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._order), action, args))
            self._wake.notify()

    def _worker(self) -> None:
        try:
            while not self._stop.is_set():
                with self._wake:
                    while not self._stop.is_set():
                        now = time.monotonic()
                        if self._timers and self._timers[0][0] <= now:
                            _due, _n, action, args = heapq.heappop(self._timers)
                            self._in_flight += 1
                            break
                        self._wake.wait(min(self._timers[0][0] - now, 0.2) if self._timers else 0.2)
                    else:
                        return
                try:
                    action(*args)
                except Exception as exc:
                    self.result.errors.append(f"{action.__name__}: {exc!r}")
                finally:
                    with self._wake:
                        self._in_flight -= 1
        finally:
            self.on_thread_exit()

    def post(self, preferred: int, body: dict) -> tuple[int, dict]:
        """POST one event, to the preferred server and, if it does not answer, to the others."""
        order = [preferred] + [i for i in range(len(self.clients)) if i != preferred]
        last: tuple[int, dict] = (0, {})
        for attempt, index in enumerate(order):
            if index in self._dead and attempt < len(order) - 1:
                continue
            try:
                status, answer = self.clients[index].request("POST", "events/", body)
            except CtiUnavailable:
                self._dead.add(index)
                self.result.failovers += 1
                continue
            if status >= 500:
                self.result.failovers += 1
                last = (status, answer)
                continue
            self.result.events += 1
            return status, answer
        return last

    def get(self, preferred: int, path: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
        order = [preferred] + [i for i in range(len(self.clients)) if i != preferred]
        for index in order:
            if index in self._dead and index != order[-1]:
                continue
            try:
                status, answer = self.clients[index].request(method, path, body)
            except CtiUnavailable:
                self._dead.add(index)
                continue
            if status < 500:
                return status, answer
        return 0, {}

    def event(self, preferred: int, kind: str, **fields) -> tuple[int, dict]:
        body = {"event_id": f"t{self.run_id}-{next(self._ids)}", "type": kind, **fields}
        status, answer = self.post(preferred, body)
        if status == 409:
            self.result.conflicts += 1
        return status, answer

    def server_for(self, record: CallRecord) -> int:
        # Spread a call's events over the servers: any server must handle any event of any call.
        with self.rng_lock:
            return self.rng.randrange(len(self.clients))

    # --- callers and desks -----------------------------------------------------------------------

    def arrive(self, record: CallRecord) -> None:
        started = time.perf_counter()
        status, body = self.event(
            record.server, "offered", call_id=record.call_id, queue=self.config.queue, caller_number="13800000000"
        )
        if status != 200:
            with self.lock:
                record.state = "refused"
            self.result.refused += 1
            self.result.errors.append(f"offered {record.call_id}: {status} {body.get('code')}")
            return
        self.result.route_latencies.append(time.perf_counter() - started)
        with self.lock:
            if record.state == "new":
                record.state = "waiting"
            record.polled_at = time.monotonic()
        self.later(self.draw(self.config.patience_seconds), self.give_up, record)
        self.take_offers(body)

    def take_offers(self, body: dict) -> None:
        route = body.get("route") or {}
        offers = list(body.get("offers") or [])
        if route.get("decision") == "agent":
            offers.append(route)
        for offer in offers:
            self.offer(offer.get("call_id"), (offer.get("agent") or {}).get("employee_no"), offer.get("contact_id"))

    def offer(self, call_id: str | None, agent: str | None, contact_id: int | None) -> None:
        with self.lock:
            record = self.calls.get(call_id or "")
            if record is None or agent is None or record.state != "waiting":
                return
            record.state, record.agent, record.contact_id = "ringing", agent, contact_id
            record.polled_at = time.monotonic()
        self.result.offers += 1
        self.later(self.draw(self.config.ring_seconds), self.answer, record, contact_id)

    def answer(self, record: CallRecord, contact_id: int | None) -> None:
        with self.lock:
            if record.state != "ringing" or record.contact_id != contact_id:
                return
            agent = record.agent
        status, _body = self.event(self.server_for(record), "answered", call_id=record.call_id, agent=agent)
        if status == 200:
            with self.lock:
                talking = record.state == "ringing"
                if talking:
                    record.state, record.polled_at = "talking", time.monotonic()
            if talking:
                self.later(self.draw(self.config.talk_seconds), self.hang_up, record)
        else:
            self.resync(record)

    def give_up(self, record: CallRecord) -> None:
        with self.lock:
            if record.state not in ("waiting", "ringing"):
                return
        status, body = self.event(self.server_for(record), "ended", call_id=record.call_id)
        if status == 200 and body.get("outcome") == "abandoned":
            with self.lock:
                record.state = "done"
        elif status == 200:
            # Answered under our feet (the answer won the race): the conversation ended now.
            self.after_end(record)
        else:
            self.resync(record)

    def hang_up(self, record: CallRecord) -> None:
        with self.lock:
            if record.state != "talking":
                return
        status, _body = self.event(self.server_for(record), "ended", call_id=record.call_id)
        if status == 200:
            self.after_end(record)
        else:
            self.resync(record)

    def after_end(self, record: CallRecord) -> None:
        with self.lock:
            if record.state in ("acw", "done"):
                return
            record.state = "acw"
        self.later(self.draw(self.config.acw_seconds), self.wrap_up, record)

    def wrap_up(self, record: CallRecord) -> None:
        with self.lock:
            if record.state != "acw":
                return
            agent = record.agent
        if agent is None:
            self.resync(record)
            return
        server = self.server_for(record)
        if self.draw((0, 1)) < self.config.break_probability:
            status, body = self.event(server, "agent_away", agent=agent, away_reason="break")
            if status == 200:
                self.later(self.draw(self.config.break_seconds), self.back, agent)
        else:
            status, body = self.event(server, "agent_ready", agent=agent)
        if status != 200:
            # The key press was refused (the driver's belief lost a race): press it again shortly.
            self.later(self.draw(self.config.acw_seconds), self.wrap_up, record)
            return
        with self.lock:
            record.state = "done"
        self.take_offers(body)

    def back(self, agent: str) -> None:
        with self.rng_lock:
            server = self.rng.randrange(len(self.clients))
        status, body = self.event(server, "agent_ready", agent=agent)
        if status == 200:
            self.take_offers(body)

    def resync(self, record: CallRecord) -> None:
        """The driver's belief lost a race: take the call's state from Banzu."""
        status, call = self.get(self.server_for(record), f"calls/{record.call_id}/")
        if status == 404:
            # Never arrived (the offered event was refused): nothing to follow.
            with self.lock:
                record.state = "done" if record.state != "new" else record.state
            return
        if status != 200:
            return
        self.apply(record, call)

    def apply(self, record: CallRecord, call: dict) -> None:
        state = call.get("status")
        agent = (call.get("agent") or {}).get("employee_no")
        with self.lock:
            record.polled_at = time.monotonic()
            mine = record.state
        if state in ("ended", "abandoned", "callback_requested"):
            with self.lock:
                record.state = "done"
        elif state == "acw":
            with self.lock:
                record.agent, record.contact_id = agent, call.get("contact_id")
            self.after_end(record)
        elif state in ("connected", "on_hold") and mine in ("waiting", "ringing"):
            with self.lock:
                record.state, record.agent, record.contact_id = "talking", agent, call.get("contact_id")
            self.later(self.draw(self.config.talk_seconds), self.hang_up, record)
        elif state == "offered" and mine == "waiting":
            self.offer(record.call_id, agent, call.get("contact_id"))
        elif state == "queued" and mine == "ringing":
            with self.lock:
                record.state, record.agent, record.contact_id = "waiting", None, None

    def _poll(self) -> None:
        """A safety net for offers whose push or answer was lost: look at calls waiting a while."""
        try:
            while not self._stop.wait(self.config.poll_seconds):
                now = time.monotonic()
                with self.lock:
                    due = [
                        r
                        for r in self.calls.values()
                        if r.state in ("waiting", "ringing", "talking")
                        and now - r.polled_at > self.config.quiet_seconds
                    ]
                due.sort(key=lambda r: r.polled_at)
                for record in due[: self.config.polls_per_round]:
                    if self._stop.is_set():
                        return
                    status, call = self.get(self.server_for(record), f"calls/{record.call_id}/")
                    if status == 200:
                        self.apply(record, call)
        finally:
            self.on_thread_exit()

    def _pushes(self, index: int) -> None:
        try:
            from websockets.exceptions import WebSocketException
            from websockets.sync.client import connect
        except ImportError:
            return
        client = self.clients[index]
        while not self._stop.is_set() and index not in self._dead:
            try:
                with connect(
                    client.ws_url,
                    additional_headers={"Authorization": f"Bearer {client.token}"},
                    origin=client.base_url,
                    open_timeout=5,
                    proxy=None,
                ) as socket:
                    while not self._stop.is_set():
                        try:
                            message = json.loads(socket.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        if isinstance(message, dict) and message.get("type") == "offer":
                            self.result.pushed += 1
                            agent = (message.get("agent") or {}).get("employee_no")
                            self.offer(message.get("call_id"), agent, message.get("contact_id"))
            except (OSError, WebSocketException, TimeoutError, ValueError):
                self._stop.wait(0.5)

    # --- running ---------------------------------------------------------------------------------

    def log_in(self) -> None:
        """Sign every agent in, from all workers at once; returns when all are in."""
        done = threading.Semaphore(0)

        def sign_in(number: int, agent: str) -> None:
            try:
                status, body = self.event(number % len(self.clients), "agent_login", agent=agent)
                if status != 200:
                    self.result.errors.append(f"agent_login {agent}: {status} {body.get('code')}")
            finally:
                done.release()

        for number, agent in enumerate(self.agents):
            self.later(0, sign_in, number, agent)
        for _agent in self.agents:
            done.acquire()

    def run(self, *, timeout: float = 120.0, during: Callable[[float], None] | None = None) -> TrafficResult:
        """Send every call, wait until each is finished (or `timeout`), return the driver's counts.

        `during(elapsed)` is called about every 0.1 s from the main thread (fault injection).
        """
        started = time.monotonic()
        self._threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.config.workers)]
        self._threads.append(threading.Thread(target=self._poll, daemon=True))
        if self.config.use_websocket:
            self._threads += [
                threading.Thread(target=self._pushes, args=(i,), daemon=True) for i in range(len(self.clients))
            ]
        for thread in self._threads:
            thread.start()
        self.log_in()
        at = 0.0
        for n in range(self.config.calls):
            record = CallRecord(call_id=f"t{self.run_id}-c{n}", server=n % len(self.clients))
            with self.lock:
                self.calls[record.call_id] = record
            self.later(at, self.arrive, record)
            with self.rng_lock:
                at += self.rng.expovariate(self.config.arrivals_per_second)
        self.result.sent = self.config.calls
        deadline = started + timeout
        try:
            while time.monotonic() < deadline:
                if during is not None:
                    during(time.monotonic() - started)
                with self.lock:
                    open_calls = sum(1 for r in self.calls.values() if r.state not in ("done", "refused"))
                if not open_calls and time.monotonic() - started > at:
                    break
                time.sleep(0.1)
        finally:
            self.result.seconds = time.monotonic() - started
            self._stop.set()
            with self._wake:
                self._wake.notify_all()
            for thread in self._threads:
                thread.join(10)
            for client in self.clients:
                client.close()
        return self.result

    def open_calls(self) -> list[CallRecord]:
        with self.lock:
            return [r for r in self.calls.values() if r.state not in ("done", "refused")]
