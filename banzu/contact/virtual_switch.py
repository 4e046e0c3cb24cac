"""The virtual switch (CT-1): plays a telephone switch, its callers and some agents over the CTI API.

It is an external client of Banzu: everything it does goes through the documented CTI API over HTTP
with a switch token (``docs/cti.md``), exactly as a PBX adapter would, never through
``contact.services``. That keeps the CTI contract honest and lets the same code drive the embedded
demo (``manage.py serve``), a cluster (``manage.py virtual_switch``) and load tests.

Traffic model. Calls arrive per queue as a Poisson process whose rate follows a daily intraday
profile (48 half-hours, local time of the centre), scaled so the simulated agents are busy but not
swamped; or they are replayed from a file. Every caller has a patience: still waiting when it runs
out, they hang up (abandon). The switch simulates the agents it logged in itself: they go ready,
answer offers after a ring delay, sometimes hold, sometimes transfer, hang up, do after-call work
and go ready again. Anyone else logged in (a person at the agent console) still gets real offers;
the switch only plays the caller on those calls.

Randomness is seeded (one ``random.Random``), so a run's decisions are reproducible given the same
answers from the server; time is real time.
"""

from __future__ import annotations

import csv
import heapq
import http.client
import itertools
import json
import logging
import math
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

# --- traffic model (pure) -------------------------------------------------------------------------

SLOT_SECONDS = 1800
SLOTS_PER_DAY = 48
DAY_SECONDS = SLOT_SECONDS * SLOTS_PER_DAY

# Relative volume of each half-hour from 00:00, the shape of a public-service hotline: a quiet
# night, a morning peak, a lunch dip, an afternoon peak and an evening tail. Only the shape matters.
DEFAULT_PROFILE: tuple[float, ...] = (
    *(0.3, 0.2, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3, 0.4),  # 00:00–05:30
    *(0.6, 0.9, 1.5, 2.5, 4.5, 6.5),  # 06:00–08:30
    *(8.0, 9.0, 9.5, 9.0, 8.0, 7.0),  # 09:00–11:30
    *(5.0, 4.5, 5.5, 7.0),  # 12:00–13:30
    *(8.0, 8.5, 8.5, 8.0, 7.0, 6.0),  # 14:00–16:30
    *(5.0, 4.0, 3.0, 2.5, 2.0, 1.6),  # 17:00–19:30
    *(1.3, 1.1, 0.9, 0.7, 0.5, 0.45, 0.4, 0.35),  # 20:00–23:30
)


def profile_shares(weights: Sequence[float]) -> tuple[float, ...]:
    """The weights as shares of the day (summing to 1); one weight per half-hour."""
    if len(weights) != SLOTS_PER_DAY:
        raise ValueError(f"an intraday profile has {SLOTS_PER_DAY} half-hours, not {len(weights)}")
    if any(w < 0 or not math.isfinite(w) for w in weights):
        raise ValueError("profile weights must be finite and not negative")
    total = sum(weights)
    if total <= 0:
        raise ValueError("a profile needs some volume")
    return tuple(w / total for w in weights)


def slot_rates(shares: Sequence[float], daily_volume: float, *, floor: float = 0.0) -> tuple[float, ...]:
    """Arrivals per second in each half-hour for `daily_volume` calls a day.

    `floor` (0–1) lifts quiet half-hours to that fraction of the peak rate: a demo at three in the
    morning still has calls. With a floor the day carries more than `daily_volume` calls.
    """
    if not 0 <= floor <= 1:
        raise ValueError("floor is a fraction of the peak rate, between 0 and 1")
    rates = [daily_volume * share / SLOT_SECONDS for share in shares]
    lowest = max(rates) * floor
    return tuple(max(rate, lowest) for rate in rates)


def demo_daily_volume(
    shares: Sequence[float], *, agents: int, handle_seconds: float, occupancy: float, floor: float = 0.0
) -> float:
    """The daily volume that keeps `agents` at `occupancy` during the peak half-hour.

    Offered load in Erlangs is rate × handle time; at the peak it should be occupancy × agents.
    """
    if agents <= 0 or handle_seconds <= 0 or not 0 < occupancy <= 1:
        raise ValueError("agents, handle time and occupancy must be positive (occupancy at most 1)")
    peak_rate = occupancy * agents / handle_seconds
    return peak_rate * SLOT_SECONDS / max(shares)


def arrival_offsets(rng: random.Random, rates: Sequence[float], start: float, end: float) -> Iterator[float]:
    """Arrival times in [start, end) (seconds since local midnight, may run past a day) of a Poisson
    process whose rate is `rates[slot]` within each half-hour.

    The rate is constant within a slot, so an exponential gap drawn at the slot's rate is exact
    until the slot ends; a gap that crosses the boundary is redrawn from the boundary at the next
    slot's rate (the exponential forgets how long it already waited).
    """
    t = start
    while t < end:
        slot = int(t // SLOT_SECONDS)
        boundary = (slot + 1) * SLOT_SECONDS
        rate = rates[slot % len(rates)]
        gap = rng.expovariate(rate) if rate > 0 else math.inf
        if t + gap >= boundary:
            t = boundary
            continue
        t += gap
        if t < end:
            yield t


@dataclass(frozen=True)
class QueueTraffic:
    """Calls of one queue: its share of the centre's traffic and how its callers behave.

    Handle time is talk time (lognormal with the given mean), patience exponential (the usual
    assumption of Erlang A, so staffing and simulation agree).
    """

    queue: str
    share: float = 1.0
    talk_seconds: float = 150.0
    patience_seconds: float = 90.0


@dataclass(frozen=True)
class Call:
    """One arrival: when (seconds from the start of the run), where, who, and how the caller behaves."""

    at: float
    queue: str
    caller_number: str
    patience_seconds: float
    talk_seconds: float


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A lognormal draw with the given mean and coefficient of variation."""
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def caller_number(rng: random.Random) -> str:
    """A plausible mainland mobile number (never a real subscriber list)."""
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def synthetic_calls(
    rng: random.Random,
    traffic: Sequence[QueueTraffic],
    rates: Sequence[float],
    *,
    start_of_day_seconds: float,
    duration: float,
    talk_cv: float = 0.6,
) -> Iterator[Call]:
    """Calls of every queue for `duration` seconds from `start_of_day_seconds` (local time of day).

    One Poisson stream at the centre's rate, each call sent to a queue by the queues' shares: the
    same as one independent stream per queue (Poisson splitting), with one random stream.
    """
    if not traffic:
        return
    weights = [q.share for q in traffic]
    for t in arrival_offsets(rng, rates, start_of_day_seconds, start_of_day_seconds + duration):
        queue = rng.choices(traffic, weights)[0]
        yield Call(
            at=t - start_of_day_seconds,
            queue=queue.queue,
            caller_number=caller_number(rng),
            patience_seconds=rng.expovariate(1 / queue.patience_seconds),
            talk_seconds=lognormal(rng, queue.talk_seconds, talk_cv),
        )


REPLAY_COLUMNS = ("offset_seconds", "queue", "caller_number", "patience_seconds", "talk_seconds")


def read_replay(lines: Iterable[str], traffic: Sequence[QueueTraffic], rng: random.Random) -> list[Call]:
    """Calls from a CSV replay (header ``offset_seconds,queue[,caller_number,patience_seconds,talk_seconds]``).

    Missing optional values are drawn as for synthetic calls of that queue (or of default traffic).
    Raises ValueError naming the line of the first bad row.
    """
    reader = csv.DictReader(lines)
    fields = reader.fieldnames or []
    missing = [name for name in REPLAY_COLUMNS[:2] if name not in fields]
    if missing:
        raise ValueError(f"replay file lacks the column(s) {', '.join(missing)}")
    by_queue = {q.queue: q for q in traffic}
    calls = []
    for row in reader:
        line = reader.line_num
        try:
            at = float(row["offset_seconds"])
            queue = (row["queue"] or "").strip()
            if not queue or at < 0 or not math.isfinite(at):
                raise ValueError
            model = by_queue.get(queue) or QueueTraffic(queue)
            patience = float(row.get("patience_seconds") or rng.expovariate(1 / model.patience_seconds))
            talk = float(row.get("talk_seconds") or lognormal(rng, model.talk_seconds, 0.6))
            if patience < 0 or talk <= 0:
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(f"replay line {line}: expected offset_seconds ≥ 0, a queue, and positive times") from None
        number = (row.get("caller_number") or "").strip() or caller_number(rng)
        calls.append(Call(at=at, queue=queue, caller_number=number, patience_seconds=patience, talk_seconds=talk))
    calls.sort(key=lambda call: call.at)
    return calls


def read_replay_file(path: str | Path, traffic: Sequence[QueueTraffic], rng: random.Random) -> list[Call]:
    with open(path, encoding="utf-8", newline="") as handle:
        return read_replay(handle, traffic, rng)


@dataclass(frozen=True)
class AgentBehaviour:
    """How simulated agents work a call. Times in seconds; probabilities per call."""

    ring_seconds: tuple[float, float] = (1.0, 4.0)
    hold_probability: float = 0.15
    hold_seconds: tuple[float, float] = (5.0, 40.0)
    transfer_probability: float = 0.05
    acw_seconds: tuple[float, float] = (5.0, 30.0)
    break_probability: float = 0.02
    break_seconds: tuple[float, float] = (60.0, 300.0)
    # A person at the console talks as long as they like; the caller hangs up after this many times
    # the drawn talk time, so a forgotten call does not hold the person forever.
    human_talk_factor: float = 4.0


# --- the CTI client ---------------------------------------------------------------------------------


class CtiUnavailable(Exception):
    """The server did not answer (down, restarting, overloaded) after the retries."""


class CtiClient:
    """A small HTTP/1.1 client of the CTI API (``docs/cti.md``), one kept-alive connection per thread.

    Standard library only. A request whose connection broke is sent again: events carry the
    switch's event id, which Banzu deduplicates, so a resent event never applies twice.
    """

    RETRY_DELAYS = (0.1, 0.3, 1.0, 2.0)

    def __init__(self, url: str, token: str, *, timeout: float = 10.0, prefix: str = "vs") -> None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.root = parts.path.rstrip("/") + "/cti/v1/"
        self.token = token
        self.timeout = timeout
        self._local = threading.local()
        # Event ids are unique per switch forever: a random run id keeps two runs (same seed) apart.
        self.run_id = f"{prefix}{uuid.uuid4().hex[:10]}"
        self._sequence = itertools.count(1)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        scheme = "wss" if self.scheme == "https" else "ws"
        return f"{scheme}://{self.base_url.split('://', 1)[1]}{self.root}ws"

    def next_id(self, kind: str = "e") -> str:
        return f"{self.run_id}-{kind}{next(self._sequence)}"

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            connection = cls(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None

    def close(self) -> None:
        self._drop_connection()

    def _once(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "Accept-Language": "en",
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = self._connection()
        try:
            connection.request(method, self.root + path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self._drop_connection()
            raise
        if (response.getheader("Connection") or "").lower() == "close":
            self._drop_connection()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"code": "not_json", "message": raw[:200].decode(errors="replace")}
        return response.status, payload if isinstance(payload, dict) else {"body": payload}

    def request(self, method: str, path: str, body: dict | None = None, *, retries: bool = True) -> tuple[int, dict]:
        """(status, JSON body). Connection failures, 5xx and 429 are retried; then CtiUnavailable."""
        delays = self.RETRY_DELAYS if retries else ()
        for delay in (*delays, None):
            try:
                status, payload = self._once(method, path, body)
            except (http.client.HTTPException, OSError) as exc:
                if delay is None:
                    raise CtiUnavailable(f"{method} {path}: {exc}") from exc
            else:
                if status < 500 and status != 429:
                    return status, payload
                if delay is None:
                    return status, payload
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def event(self, kind: str, **fields) -> tuple[int, dict]:
        """POST one event with a fresh event id (resent under the same id when retried)."""
        return self.request("POST", "events/", {"event_id": self.next_id(), "type": kind, **fields})

    def call(self, call_id: str) -> tuple[int, dict]:
        return self.request("GET", f"calls/{quote(call_id, safe='')}/")

    def whoami(self) -> tuple[int, dict]:
        return self.request("GET", "", retries=False)


# --- the switch -------------------------------------------------------------------------------------


class CallPhase(StrEnum):
    WAITING = "waiting"  # queued at Banzu, the caller hears the hold message
    RINGING = "ringing"  # offered to an agent, their phone rings
    TALKING = "talking"
    HELD = "held"
    DONE = "done"


class AgentPhase(StrEnum):
    OFF = "off"  # not (yet) logged in, or given up on
    READY = "ready"
    RINGING = "ringing"
    BUSY = "busy"
    ACW = "acw"
    AWAY = "away"


@dataclass
class LiveCall:
    call: Call
    call_id: str
    phase: CallPhase = CallPhase.WAITING
    leg: int = 1
    agent: str | None = None
    contact_id: int | None = None
    talk_seconds: float = 0.0
    waiting_since: float = 0.0
    polled_at: float = 0.0


@dataclass
class SimAgent:
    number: str
    phase: AgentPhase = AgentPhase.OFF
    call_id: str | None = None
    since: float = 0.0


@dataclass
class SwitchStats:
    arrived: int = 0
    refused: int = 0
    offered: int = 0
    answered: int = 0
    answered_by_people: int = 0
    abandoned: int = 0
    transferred: int = 0
    held: int = 0
    ended: int = 0
    conflicts: int = 0
    unavailable: int = 0
    courtesy_prompts: int = 0

    def line(self) -> str:
        return " ".join(f"{key}={value}" for key, value in vars(self).items())


TERMINAL = ("acw", "ended", "abandoned", "callback_requested")


class VirtualSwitch:
    """Plays callers and simulated agents against one Banzu over the CTI API, in real time.

    One thread runs the switch: a timer heap of what happens next (an arrival, a ring, a hang-up)
    and an inbox that the WebSocket reader fills with Banzu's offers. Every decision that needs
    chance draws from one seeded ``random.Random``. Anything Banzu refuses (409: the caller hung up
    first, an offer was withdrawn) is resolved by asking Banzu for the call's state: Banzu is the
    authority, the switch only plays its part.
    """

    POLL_SECONDS = 3.0  # how often a waiting or person-handled call is checked without pushes
    POLL_SECONDS_WITH_PUSH = 15.0
    POLLS_PER_ROUND = 20
    STATS_SECONDS = 60.0
    READY_RETRY_SECONDS = 10.0
    READY_RETRY_MAX_SECONDS = 120.0

    def __init__(
        self,
        client: CtiClient,
        *,
        agents: Sequence[str],
        traffic: Sequence[QueueTraffic],
        seed: int = 0,
        calls: Iterable[Call] | None = None,
        rates: Sequence[float] | None = None,
        behaviour: AgentBehaviour | None = None,
        time_of_day: Callable[[], float] | None = None,
        use_websocket: bool = True,
        recover_calls: Sequence[str] = (),
        first_call_at_once: bool = False,
        courtesy_seconds: tuple[float, float] | None = None,
    ) -> None:
        self.client = client
        # CT-12: a courtesy prompt to each waiting caller, the gap drawn from this range; gaps over
        # the service rule's limit make the breaches QA sees. Its own generator: the traffic stays
        # the same for a seed whether prompts are played or not.
        self.courtesy_seconds = courtesy_seconds
        self._courtesy_rng = random.Random(seed + 1)  # noqa: S311 - simulation, not secrets
        self.rng = random.Random(seed)  # noqa: S311 - simulation, not secrets
        self.traffic = list(traffic)
        self.behaviour = behaviour or AgentBehaviour()
        self.agents = {number: SimAgent(number) for number in agents}
        self.calls: dict[str, LiveCall] = {}
        self.stats = SwitchStats()
        self.recover = list(recover_calls)
        self.use_websocket = use_websocket
        if calls is None:
            if not self.traffic:
                raise ValueError("the switch needs at least one queue")
            start = (time_of_day or _local_time_of_day)()
            calls = synthetic_calls(
                self.rng, self.traffic, rates or DEFAULT_RATES, start_of_day_seconds=start, duration=math.inf
            )
        self._arrivals = iter(calls)
        self._timers: list[tuple[float, int, Callable[..., None], tuple]] = []
        self._order = itertools.count()
        self._inbox: queue.SimpleQueue[dict] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._started = 0.0
        self._calls_made = itertools.count(1)
        self._push_connected = threading.Event()
        self._threads: list[threading.Thread] = []
        self._next_poll = 0.0
        self._next_stats = 0.0
        # A demo shows a call at once instead of after the first Poisson gap.
        self._first_call_at_once = first_call_at_once

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Run in background threads until ``stop()``."""
        runner = threading.Thread(target=self.run, name="virtual-switch", daemon=True)
        self._threads.append(runner)
        runner.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._inbox.put({"type": "_wake"})
        for thread in self._threads:
            thread.join(timeout)

    def run(self) -> None:
        """The switch's loop: wait for the server, log the agents in, then play calls until stopped."""
        try:
            if not self._wait_for_server():
                return
            self._started = time.monotonic()
            if self.use_websocket:
                self._start_push()
            for call_id in self.recover:
                self._end_leftover(call_id)
            for agent in self.agents.values():
                self._log_in(agent)
            self._schedule_next_arrival()
            self._next_poll = self._next_stats = time.monotonic()
            while not self._stop.is_set():
                self._step()
        except CtiUnavailable as exc:
            # Only the start-up requests (leftover calls, log-ins) get here: the steps after them retry.
            logger.warning("Virtual switch: the server did not answer while starting (%s).", exc)
        except Exception:
            logger.exception("The virtual switch stopped on an error.")
        finally:
            logger.info("Virtual switch stopped: %s", self.stats.line())
            self.client.close()

    def _wait_for_server(self) -> bool:
        while not self._stop.is_set():
            try:
                status, body = self.client.whoami()
            except CtiUnavailable:
                self._stop.wait(0.5)
                continue
            if status == 200:
                logger.info("Virtual switch connected to %s as %s.", self.client.base_url, body.get("switch"))
                return True
            logger.error("The CTI API refused the switch token (%s): %s", status, body.get("message", ""))
            return False
        return False

    def _step(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now and not self._stop.is_set():
            _due, _n, action, args = heapq.heappop(self._timers)
            self._safely(action, *args)
            now = time.monotonic()
        if now >= self._next_poll:
            self._safely(self._poll_calls, now)
            self._next_poll = now + (
                self.POLL_SECONDS_WITH_PUSH if self._push_connected.is_set() else self.POLL_SECONDS
            )
        if now >= self._next_stats:
            if self.stats.arrived:
                logger.info("Virtual switch: %s", self.stats.line())
            self._next_stats = now + self.STATS_SECONDS
        wait = min(self._timers[0][0] if self._timers else now + 1.0, self._next_poll) - time.monotonic()
        try:
            message = self._inbox.get(timeout=max(wait, 0.0))
        except queue.Empty:
            return
        while True:
            self._safely(self._on_push, message)
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _safely(self, action: Callable[..., None], *args) -> None:
        try:
            action(*args)
        except CtiUnavailable as exc:
            # The server is down or restarting: this step is lost, the next ones try again.
            self.stats.unavailable += 1
            logger.warning("Virtual switch: the server did not answer (%s).", exc)

    def later(self, seconds: float, action: Callable[..., None], *args) -> None:
        heapq.heappush(self._timers, (time.monotonic() + max(seconds, 0.0), next(self._order), action, args))

    def _uniform(self, bounds: tuple[float, float]) -> float:
        return self.rng.uniform(*bounds)

    # --- arrivals and callers --------------------------------------------------------------------

    def _schedule_next_arrival(self) -> None:
        call = next(self._arrivals, None)
        if call is None:
            return
        due = self._started + call.at
        if self._first_call_at_once:
            self._first_call_at_once = False
            due = self._started
        heapq.heappush(self._timers, (due, next(self._order), self._arrive, (call,)))

    def _arrive(self, call: Call) -> None:
        self._schedule_next_arrival()
        call_id = f"{self.client.run_id}-c{next(self._calls_made)}"
        live = LiveCall(call=call, call_id=call_id, talk_seconds=call.talk_seconds, waiting_since=time.monotonic())
        status, body = self.client.event("offered", call_id=call_id, queue=call.queue, caller_number=call.caller_number)
        if status != 200:
            # Unknown queue, closed queue: the switch plays "we are closed" and the caller is gone.
            self.stats.refused += 1
            logger.info("Call to queue %s refused (%s): %s", call.queue, status, body.get("message", ""))
            return
        self.stats.arrived += 1
        self.calls[call_id] = live
        self.later(call.patience_seconds, self._caller_gives_up, call_id, live.leg)
        self._prompt_later(call_id, live.leg)
        self._follow(live, body)

    def _prompt_later(self, call_id: str, leg: int) -> None:
        if self.courtesy_seconds is not None:
            self.later(self._courtesy_rng.uniform(*self.courtesy_seconds), self._courtesy_prompt, call_id, leg)

    def _courtesy_prompt(self, call_id: str, leg: int) -> None:
        """The waiting caller hears "please hold, your call is important to us" (CT-12)."""
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase != CallPhase.WAITING:
            return
        status, _body = self.client.event("courtesy_message", call_id=call_id)
        if status == 200:
            self.stats.courtesy_prompts += 1
        self._prompt_later(call_id, leg)

    def _follow(self, live: LiveCall, body: dict) -> None:
        """Act on an event answer: the call's new leg and status, and any offers Banzu made."""
        route = body.get("route") or {}
        if route.get("decision") == "agent" and route.get("call_id") == live.call_id:
            self._offer(live.call_id, (route.get("agent") or {}).get("employee_no"), route.get("contact_id"))
        for offer in body.get("offers") or []:
            self._offer(offer.get("call_id"), (offer.get("agent") or {}).get("employee_no"), offer.get("contact_id"))

    def _caller_gives_up(self, call_id: str, leg: int) -> None:
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase not in (CallPhase.WAITING, CallPhase.RINGING):
            return
        status, body = self.client.event("ended", call_id=call_id)
        if status == 200 and body.get("outcome") == "abandoned":
            self.stats.abandoned += 1
            self._release_agent(live.agent, call_id, AgentPhase.READY)
            self._finish(live)
        else:
            # Answered meanwhile (by a person at the console, or an answer crossed the hang-up).
            self._resync(live, status, body)

    def _caller_hangs_up(self, call_id: str, leg: int) -> None:
        """The caller ends a conversation with a person (the switch does not drive their console)."""
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase not in (CallPhase.TALKING, CallPhase.HELD):
            return
        status, body = self.client.event("ended", call_id=call_id)
        if status == 200:
            self.stats.ended += 1
            self._finish(live)
        else:
            self._resync(live, status, body)

    def _finish(self, live: LiveCall) -> None:
        live.phase = CallPhase.DONE
        self.calls.pop(live.call_id, None)

    # --- offers and simulated agents -------------------------------------------------------------

    def _offer(self, call_id: str | None, agent_no: str | None, contact_id: int | None) -> None:
        live = self.calls.get(call_id or "")
        if live is None or not agent_no:
            return  # another switch's call, or one this switch already finished
        if live.phase == CallPhase.RINGING and live.agent == agent_no and live.contact_id == contact_id:
            return  # the same offer again (event answer and push)
        if live.phase != CallPhase.WAITING:
            return
        live.phase, live.agent, live.contact_id = CallPhase.RINGING, agent_no, contact_id
        self.stats.offered += 1
        agent = self.agents.get(agent_no)
        status, body = self.client.event("ringing", call_id=call_id, agent=agent_no)
        if status != 200:
            self._resync(live, status, body)
            return
        if agent is None:
            # A person's phone rings; they answer in the console. Watch the call from here on.
            live.polled_at = 0.0
            return
        agent.phase, agent.call_id, agent.since = AgentPhase.RINGING, call_id, time.monotonic()
        self.later(self._uniform(self.behaviour.ring_seconds), self._answer, call_id, live.leg, contact_id)

    def _answer(self, call_id: str, leg: int, contact_id: int | None) -> None:
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase != CallPhase.RINGING or live.contact_id != contact_id:
            return
        status, body = self.client.event("answered", call_id=call_id, agent=live.agent)
        if status != 200:
            self._resync(live, status, body)
            return
        self.stats.answered += 1
        live.phase = CallPhase.TALKING
        agent = self.agents[live.agent]
        agent.phase, agent.since = AgentPhase.BUSY, time.monotonic()
        talk = live.talk_seconds
        if self.rng.random() < self.behaviour.hold_probability:
            self.later(talk * self.rng.uniform(0.2, 0.7), self._hold, call_id, leg)
        else:
            self.later(talk, self._end_talk, call_id, leg)

    def _hold(self, call_id: str, leg: int) -> None:
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase != CallPhase.TALKING:
            return
        status, body = self.client.event("held", call_id=call_id)
        if status != 200:
            self._resync(live, status, body)
            return
        self.stats.held += 1
        live.phase = CallPhase.HELD
        self.later(self._uniform(self.behaviour.hold_seconds), self._retrieve, call_id, leg)

    def _retrieve(self, call_id: str, leg: int) -> None:
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase != CallPhase.HELD:
            return
        status, body = self.client.event("retrieved", call_id=call_id)
        if status != 200:
            self._resync(live, status, body)
            return
        live.phase = CallPhase.TALKING
        self.later(live.talk_seconds * self.rng.uniform(0.2, 0.5), self._end_talk, call_id, leg)

    def _end_talk(self, call_id: str, leg: int) -> None:
        """The simulated agent's conversation ends: transferred elsewhere now and then, else hung up."""
        live = self.calls.get(call_id)
        if live is None or live.leg != leg or live.phase not in (CallPhase.TALKING, CallPhase.HELD):
            return
        agent_no = live.agent
        others = [q.queue for q in self.traffic if q.queue != live.call.queue]
        if others and self.rng.random() < self.behaviour.transfer_probability:
            target = self.rng.choice(others)
            status, body = self.client.event("transferred", call_id=call_id, to={"queue": target})
            if status == 200:
                self.stats.transferred += 1
                self._release_agent(agent_no, call_id, AgentPhase.ACW)
                live.leg += 1
                live.phase, live.agent, live.contact_id = CallPhase.WAITING, None, None
                live.waiting_since = time.monotonic()
                model = next((q for q in self.traffic if q.queue == target), QueueTraffic(target))
                live.talk_seconds = lognormal(self.rng, model.talk_seconds, 0.6)
                self.later(self.rng.expovariate(1 / model.patience_seconds), self._caller_gives_up, call_id, live.leg)
                self._prompt_later(call_id, live.leg)
                self._follow(live, body)
                return
            if status not in (400, 404):
                self._resync(live, status, body)
                return
            # A queue the server does not know: the agent simply ends the call instead.
        status, body = self.client.event("ended", call_id=call_id)
        if status != 200:
            self._resync(live, status, body)
            return
        self.stats.ended += 1
        self._release_agent(agent_no, call_id, AgentPhase.ACW)
        self._finish(live)
        self.client.event("recording_available", call_id=call_id, recording=f"vs://recordings/{call_id}-{leg}.wav")

    def _release_agent(self, agent_no: str | None, call_id: str, phase: AgentPhase) -> None:
        """The call no longer holds this simulated agent: after-call work, or ready again."""
        agent = self.agents.get(agent_no or "")
        if agent is None or agent.call_id != call_id:
            return
        agent.call_id, agent.since = None, time.monotonic()
        agent.phase = phase
        if phase == AgentPhase.ACW:
            self.later(self._uniform(self.behaviour.acw_seconds), self._wrap_up, agent.number, agent.since)

    def _wrap_up(self, number: str, since: float) -> None:
        """After-call work done: the agent is ready again, or now and then takes a break first."""
        agent = self.agents[number]
        if agent.phase != AgentPhase.ACW or agent.since != since:
            return
        if self.rng.random() < self.behaviour.break_probability:
            status, _body = self.client.event("agent_away", agent=number, away_reason="break")
            if status == 200:
                agent.phase, agent.since = AgentPhase.AWAY, time.monotonic()
                self.later(self._uniform(self.behaviour.break_seconds), self._back, number, agent.since)
                return
        self._ready(agent)

    def _back(self, number: str, since: float) -> None:
        agent = self.agents[number]
        if agent.phase == AgentPhase.AWAY and agent.since == since:
            self._ready(agent)

    def _ready(self, agent: SimAgent, attempt: int = 0) -> None:
        status, body = self.client.event("agent_ready", agent=agent.number)
        if status == 200:
            agent.phase, agent.call_id, agent.since = AgentPhase.READY, None, time.monotonic()
            self._follow_agent(body)
            return
        self.stats.conflicts += 1
        # Not possible now (still in after-call work on the server, or busy with a call this switch
        # lost track of): try again later, less and less often, rather than guess the server's state.
        agent.since = time.monotonic()
        delay = min(self.READY_RETRY_SECONDS * 2**attempt, self.READY_RETRY_MAX_SECONDS)
        self.later(delay, self._retry_ready, agent.number, agent.since, attempt + 1)

    def _retry_ready(self, number: str, since: float, attempt: int) -> None:
        agent = self.agents[number]
        if agent.since == since and agent.phase in (AgentPhase.ACW, AgentPhase.AWAY, AgentPhase.OFF):
            self._ready(agent, attempt)

    def _follow_agent(self, body: dict) -> None:
        for offer in body.get("offers") or []:
            self._offer(offer.get("call_id"), (offer.get("agent") or {}).get("employee_no"), offer.get("contact_id"))

    def _log_in(self, agent: SimAgent) -> None:
        status, body = self.client.event("agent_login", agent=agent.number)
        if status == 200:
            agent.phase, agent.since = AgentPhase.READY, time.monotonic()
            self._follow_agent(body)
            return
        if status == 409:
            # Already signed in (an earlier run of the switch, or a person): away and back makes a
            # ready or away agent ready; an agent busy with a call stays theirs.
            status, body = self.client.event("agent_away", agent=agent.number, away_reason="other")
            if status == 200:
                agent.phase = AgentPhase.AWAY
                self._ready(agent)
                return
        logger.info("Virtual switch leaves agent %s alone (%s): %s", agent.number, status, body.get("message", ""))
        agent.phase = AgentPhase.OFF

    def _end_leftover(self, call_id: str) -> None:
        """A call of an earlier run still open at Banzu: that run's caller is long gone."""
        status, _body = self.client.event("ended", call_id=call_id)
        if status not in (200, 404, 409):
            logger.info("Leftover call %s not ended (%s).", call_id, status)

    # --- learning what Banzu did -----------------------------------------------------------------

    def _on_push(self, message: dict) -> None:
        kind = message.get("type")
        agent_no = (message.get("agent") or {}).get("employee_no")
        if kind == "offer":
            self._offer(message.get("call_id"), agent_no, message.get("contact_id"))
        elif kind == "offer_withdrawn":
            live = self.calls.get(message.get("call_id") or "")
            if live is not None and live.phase == CallPhase.RINGING and live.contact_id == message.get("contact_id"):
                self._withdrawn(live)

    def _withdrawn(self, live: LiveCall) -> None:
        """RONA: the offer rang too long and went back to the queue; Banzu set the agent away."""
        agent = self.agents.get(live.agent or "")
        live.phase, live.agent, live.contact_id = CallPhase.WAITING, None, None
        if agent is not None and agent.call_id == live.call_id:
            agent.phase, agent.call_id, agent.since = AgentPhase.AWAY, None, time.monotonic()
            self.later(self._uniform(self.behaviour.ring_seconds), self._back, agent.number, agent.since)

    def _resync(self, live: LiveCall, status: int, body: dict) -> None:
        """Banzu refused an event (someone else acted first): take the call's state from Banzu."""
        self.stats.conflicts += 1
        if status not in (404, 409):
            logger.warning("Virtual switch: call %s: %s %s", live.call_id, status, body.get("message", ""))
        status, call = self.client.call(live.call_id)
        if status == 404:
            self._release_agent(live.agent, live.call_id, AgentPhase.READY)
            self._finish(live)
            return
        if status == 200:
            self._apply_state(live, call)

    def _apply_state(self, live: LiveCall, call: dict) -> None:
        state = call.get("status")
        holder = (call.get("agent") or {}).get("employee_no")
        leg = call.get("leg") or live.leg
        if state in TERMINAL:
            agent = self.agents.get(live.agent or "")
            if agent is not None and agent.call_id == live.call_id:
                self._release_agent(agent.number, live.call_id, AgentPhase.ACW if state == "acw" else AgentPhase.READY)
            self._finish(live)
        elif state == "queued":
            if live.phase == CallPhase.RINGING:
                self._withdrawn(live)
            live.phase = CallPhase.WAITING
            route = call.get("route") or {}
            if route.get("decision") == "agent":
                self._offer(live.call_id, (route.get("agent") or {}).get("employee_no"), route.get("contact_id"))
        elif state == "offered":
            if live.phase == CallPhase.WAITING:
                self._offer(live.call_id, holder, call.get("contact_id"))
        elif state in ("connected", "on_hold") and live.phase in (CallPhase.WAITING, CallPhase.RINGING):
            if holder in self.agents:
                return  # our own agent's answer crossed with something; its timers carry on
            # A person answered at the console: the caller talks, then hangs up.
            live.phase = CallPhase.TALKING if state == "connected" else CallPhase.HELD
            live.agent, live.leg = holder, leg
            self.stats.answered_by_people += 1
            self.later(live.talk_seconds * self.behaviour.human_talk_factor, self._caller_hangs_up, live.call_id, leg)

    def _poll_calls(self, now: float) -> None:
        """Without pushes (or as a safety net with them): ask Banzu about waiting and people's calls."""
        due = [
            live
            for live in self.calls.values()
            if (live.phase == CallPhase.WAITING or (live.agent and live.agent not in self.agents))
            and now - live.polled_at >= self.POLL_SECONDS
        ]
        due.sort(key=lambda live: live.polled_at)
        for live in due[: self.POLLS_PER_ROUND]:
            live.polled_at = now
            status, call = self.client.call(live.call_id)
            if status == 200:
                self._apply_state(live, call)
            elif status == 404:
                self._finish(live)

    # --- pushes ----------------------------------------------------------------------------------

    def _start_push(self) -> None:
        try:
            from websockets.sync.client import connect  # noqa: F401 - installed with uvicorn[standard]
        except ImportError:
            logger.info("Virtual switch: no WebSocket client installed; polling instead.")
            return
        reader = threading.Thread(target=self._read_pushes, name="virtual-switch-push", daemon=True)
        self._threads.append(reader)
        reader.start()

    def _read_pushes(self) -> None:
        from websockets.exceptions import InvalidStatus, WebSocketException
        from websockets.sync.client import connect

        delay = 0.5
        while not self._stop.is_set():
            try:
                with connect(
                    self.client.ws_url,
                    additional_headers={"Authorization": f"Bearer {self.client.token}"},
                    origin=self.client.base_url,
                    open_timeout=10,
                    proxy=None,
                ) as socket:
                    self._push_connected.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        try:
                            raw = socket.recv(timeout=1.0)
                        except TimeoutError:
                            continue
                        try:
                            message = json.loads(raw)
                        except ValueError:
                            continue
                        if isinstance(message, dict) and message.get("type") in ("offer", "offer_withdrawn"):
                            self._inbox.put(message)
            except InvalidStatus as exc:
                if exc.response.status_code == 404:
                    logger.info("Virtual switch: the server offers no CTI WebSocket; polling instead.")
                    return
            except (OSError, WebSocketException, TimeoutError):
                pass
            self._push_connected.clear()
            self._stop.wait(delay)
            delay = min(delay * 2, 10.0)


def _local_time_of_day(zone: str = "Asia/Shanghai") -> float:
    now = datetime.now(ZoneInfo(zone))
    return now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6


DEFAULT_RATES: tuple[float, ...] = slot_rates(profile_shares(DEFAULT_PROFILE), 1000.0)


# --- set-up from the database (embedded mode and the command) ---------------------------------------

EMBEDDED_SWITCH_CODE = "virtual"
EMBEDDED_SWITCH_NAME = "虚拟交换机"
EMBEDDED_AGENTS = 40
EMBEDDED_SEED = 2024
DEMO_OCCUPANCY = 0.75
DEMO_FLOOR = 0.5
DEMO_TALK_SECONDS = 150.0
DEMO_PATIENCE_SECONDS = 90.0
# Gaps between courtesy prompts to a waiting caller: mostly within CT-12's 10 s, now and then over it.
DEMO_COURTESY_SECONDS = (5.0, 12.0)
LIVE_CALL_STATUSES = ("queued", "offered", "connected", "on_hold")


@dataclass(frozen=True)
class Plan:
    """What the switch plays: the agents it simulates, the queues it calls, and at which rates."""

    agents: tuple[str, ...]
    traffic: tuple[QueueTraffic, ...]
    rates: tuple[float, ...]


def plan_for_centre(
    centre_code: str,
    *,
    agents: int,
    seed: int,
    exclude: Iterable[str] = (),
    occupancy: float = DEMO_OCCUPANCY,
    floor: float = DEMO_FLOOR,
    behaviour: AgentBehaviour | None = None,
) -> Plan:
    """A plan from the centre's configuration: its active voice queues and up to `agents` of its agents.

    Switch configuration, read once: a real switch knows its queues (hunt groups) and extensions the
    same way. Agents already signed in (people at the console) and `exclude` are left to people.
    """
    from banzu.contact.models import AgentSession, Queue
    from banzu.core.roles import Role
    from banzu.org.models import Employee, EmployeeSkill

    queues = list(
        Queue.objects.filter(centre__code=centre_code, active=True, channel__multi_contact=False)
        .prefetch_related("skills")
        .order_by("-priority", "code")
    )
    needed = {queue.code: {row.skill_id: row.min_level for row in queue.skills.all()} for queue in queues}
    signed_in = set(
        AgentSession.objects.filter(employee__centre__code=centre_code)
        .exclude(state=AgentSession.State.LOGGED_OUT)
        .values_list("employee__employee_no", flat=True)
    )
    candidates = list(
        Employee.objects.filter(
            centre__code=centre_code,
            roles__role=Role.AGENT,
            status__in=[Employee.Status.PROBATION, Employee.Status.REGULAR],
            user__is_active=True,
        )
        .exclude(employee_no__in=[*exclude])
        .order_by("employee_no")
        .values_list("pk", "employee_no")
        .distinct()
    )
    skills: dict[int, dict[int, int]] = {}
    for employee_id, skill_id, level in EmployeeSkill.objects.filter(
        employee_id__in=[pk for pk, _no in candidates]
    ).values_list("employee_id", "skill_id", "level"):
        skills.setdefault(employee_id, {})[skill_id] = level
    able = [
        number
        for pk, number in candidates
        if number not in signed_in
        and any(all(skills.get(pk, {}).get(s, 0) >= lvl for s, lvl in req.items()) for req in needed.values())
    ]
    chosen = sorted(random.Random(seed).sample(able, min(agents, len(able))))  # noqa: S311
    traffic = tuple(
        QueueTraffic(queue.code, share=1.0, talk_seconds=DEMO_TALK_SECONDS, patience_seconds=DEMO_PATIENCE_SECONDS)
        for queue in queues
    )
    behaviour = behaviour or AgentBehaviour()
    shares = profile_shares(DEFAULT_PROFILE)
    rates: tuple[float, ...] = ()
    if chosen and traffic:
        # Ring and after-call work occupy the agent as much as talking does.
        handle = DEMO_TALK_SECONDS + sum(behaviour.ring_seconds) / 2 + sum(behaviour.acw_seconds) / 2
        volume = demo_daily_volume(shares, agents=len(chosen), handle_seconds=handle, occupancy=occupancy)
        rates = slot_rates(shares, volume, floor=floor)
    return Plan(agents=tuple(chosen), traffic=traffic, rates=rates)


def leftover_calls(switch_code: str) -> list[str]:
    """Calls of an earlier run of this switch still open at Banzu (the switch was stopped mid-call)."""
    from banzu.contact.models import CtiCall

    return list(
        CtiCall.objects.filter(switch__code=switch_code, contact__status__in=LIVE_CALL_STATUSES)
        .order_by("pk")
        .values_list("call_id", flat=True)
    )


def embedded_token(centre_code: str) -> str:
    """The virtual switch's own token in demo mode: its switch is created once, its token renewed at
    every start (only a hash is stored, so the previous token cannot be read back)."""
    from banzu.contact import cti
    from banzu.contact.models import Switch
    from banzu.org.models import Centre

    switch = Switch.objects.filter(code=EMBEDDED_SWITCH_CODE).first()
    if switch is None:
        centre = Centre.objects.get(code=centre_code)
        _switch, token = cti.create_switch(centre=centre, code=EMBEDDED_SWITCH_CODE, name=EMBEDDED_SWITCH_NAME)
        return token
    return cti.rotate_token(switch=switch)


def start() -> Callable[[], None] | None:
    """The embedded service of ``manage.py serve`` (``BANZU_EMBEDDED_SERVICES``): the demo centre's
    virtual switch, talking to this process's server over loopback once it listens.

    Demo mode only: the switch gets its own token and demo queues, and simulates agents other than
    the printed demo log-ins, so a person signing in as an agent gets real calls. Returns the stop
    function, or None when there is nothing to play (no demo centre).
    """
    import os

    from django.conf import settings
    from django.db import connections

    from banzu.org import demo

    if not settings.DEMO:
        logger.warning("The virtual switch runs embedded only in demo mode; use `manage.py virtual_switch`.")
        return None
    url = os.environ.get("BANZU_SERVE_URL", "http://127.0.0.1:8000/")
    try:
        if not demo.ensure_demo_queues():
            return None
        people = [login.username for login in demo.demo_logins(password=None)]
        plan = plan_for_centre(demo.DEMO_CENTRE_CODE, agents=EMBEDDED_AGENTS, seed=EMBEDDED_SEED, exclude=people)
        if not plan.agents or not plan.traffic:
            return None
        token = embedded_token(demo.DEMO_CENTRE_CODE)
        leftovers = leftover_calls(EMBEDDED_SWITCH_CODE)
    finally:
        connections.close_all()  # the server's threads open their own
    switch = VirtualSwitch(
        CtiClient(url, token),
        agents=plan.agents,
        traffic=plan.traffic,
        rates=plan.rates,
        seed=EMBEDDED_SEED,
        recover_calls=leftovers,
        first_call_at_once=True,
        courtesy_seconds=DEMO_COURTESY_SECONDS,
    )
    switch.start()
    logger.info(
        "Virtual switch: %d simulated agents, queues %s.", len(plan.agents), ", ".join(q.queue for q in plan.traffic)
    )
    return switch.stop
