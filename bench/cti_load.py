"""CTI load on PostgreSQL with two app-server processes (CT-1, CT-7), against pgbench in the same run.

Workload: a 1,000-seat centre (one voice queue every agent may take), all agents signed in through
the CTI API, then calls arriving as a Poisson stream so that the switch sends about 200 events a
second (offered, answered, ended, the agent's wrap-up key or away / ready) for 2 minutes, spread over
two uvicorn processes on loopback that share one PostgreSQL database and Redis (when ``REDIS_URL``
is set; else pushes stay in each process and the driver polls). Agents end after-call work with the
phone's wrap-up key (``agent_ready``) or go on a break (``agent_away``), as switch events.

Measured: route-decision latency (the round trip of the ``offered`` event, whose answer carries the
routing decision: p50 and p99, goal p99 < 100 ms), events lost (calls the switch sent that did not
end as exactly one finished contact: goal 0), duplicates (a call id with two contacts, a contact
answered or abandoned twice, an agent holding two contacts: goal 0), and claims per second (offers
made, i.e. queued → offered conditional updates that won) against pgbench's single-row UPDATE
transactions per second with two clients (one per app server) on the same PostgreSQL.

value = p99 route-decision latency in ms; ratio = claims per second / pgbench update TPS. Events
and claims per second are counted in the database between the first and the last ``offered`` event
received, so signing 1,000 agents in before and the last calls talking after do not dilute them.
The lost / duplicate books are read from the database after the run, not from the driver's belief.
Also reported: the app servers' CPU time per event (``server_cpu_ms_per_event``), which unlike the
latencies hardly depends on what else the machine runs: two cores serve at most about
2,000 / that many events a second, less what PostgreSQL and the driver need.

Environment: ``BENCH_CTI_SECONDS`` (default 120), ``BENCH_CTI_EVENTS_PER_SECOND`` (200),
``BENCH_CTI_SEATS`` (1000), ``BENCH_PG_URL`` (server URL without database, default
``postgres://postgres@127.0.0.1:5432``), ``REDIS_URL``. The run creates and drops its own databases
``bz_bench_cti`` and ``bz_bench_cti_pgbench`` (``BENCH_CTI_KEEP_DATABASE=1`` keeps the first, to
look at it after the run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

NAME = "cti_load"
DATABASE = "bz_bench_cti"
PGBENCH_DATABASE = "bz_bench_cti_pgbench"
# Offered, answered, ended, the wrap-up key (agent_ready); a break (break_probability) adds its return.
EVENTS_PER_CALL = 4.05
PGBENCH_CLIENTS = 2
PGBENCH_SECONDS = 10
# How often the run refreshes the planner's statistics while traffic flows (see ``Analyzer``).
ANALYZE_EVERY_SECONDS = 20.0


def env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw else default


def admin_execute(server_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def pgbench_update_tps(server_url: str) -> float:
    """TPS of pgbench running a single-row UPDATE by primary key (random row), two clients."""
    from urllib.parse import urlsplit

    if shutil.which("pgbench") is None:
        raise SystemExit("pgbench is not installed (apt-get install postgresql-client)")
    parts = urlsplit(server_url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    admin_execute(server_url, f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE}", f"CREATE DATABASE {PGBENCH_DATABASE}")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("\\set aid random(1, 100000)\n")
        script.write("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n")
    try:
        subprocess.run(
            ["pgbench", *args, "-i", "-s", "1", "-q", PGBENCH_DATABASE], check=True, capture_output=True, env=env
        )
        completed = subprocess.run(
            [
                "pgbench",
                *args,
                "-n",
                "-f",
                script.name,
                "-c",
                str(PGBENCH_CLIENTS),
                "-j",
                str(PGBENCH_CLIENTS),
                "-T",
                str(PGBENCH_SECONDS),
                PGBENCH_DATABASE,
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    finally:
        os.unlink(script.name)
        admin_execute(server_url, f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE}")
    match = re.search(r"tps = ([0-9.]+)", completed.stdout)
    if match is None:
        raise SystemExit(f"cannot read pgbench's TPS:\n{completed.stdout}")
    return float(match.group(1))


class Analyzer:
    """Keeps the planner's statistics current, as autovacuum does on a production server.

    This machine's PostgreSQL may run with autovacuum off; without statistics the planner takes the
    1,000 freshly signed-in sessions for one row and joins them by nested loops, which costs
    PostgreSQL tens of milliseconds per routing round, a measure of the machine's set-up and not of
    Banzu. Passed as the driver's ``during`` hook, it runs ``ANALYZE`` once the agents are signed in
    and then every ``ANALYZE_EVERY_SECONDS`` while the tables grow.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.last: float | None = None
        self.runs = 0

    def __call__(self, elapsed: float) -> None:
        import psycopg

        if self.last is not None and elapsed - self.last < ANALYZE_EVERY_SECONDS:
            return
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            connection.execute("ANALYZE")
        self.last = elapsed
        self.runs += 1


def build_centre(seats: int):
    """The centre, its queue, `seats` agents and a switch token (bulk inserts: set-up, not measured)."""
    from banzu.contact import cti
    from banzu.contact.models import Channel, Queue
    from banzu.org.models import Employee
    from bench._util import build_structure, generate_people, insert_people

    org = build_structure(departments=4, teams_per_department=max(seats // 20 // 4, 1))
    people = generate_people(seats, org, seed=20250314)
    for person in people:
        person.status = "regular"
    insert_people(org, people)
    Queue.objects.create(
        centre=org.centre,
        department=org.departments[0],
        code="HOT",
        name="热线",
        channel=Channel.objects.get(code="voice"),
    )
    agents = list(
        Employee.objects.filter(centre=org.centre, employee_no__startswith="E")
        .order_by("employee_no")
        .values_list("employee_no", flat=True)
    )
    _switch, token = cti.create_switch(centre=org.centre, code=f"bench{os.getpid()}", name="基准交换机")
    return org.centre, agents, token


def count_books(centre, sent: list[str]) -> dict[str, int]:
    """Lost and duplicated calls, and offers made, read back from the database.

    Lost: a call the switch sent that has no contact, a contact not finished (ended or abandoned),
    or a finished contact never answered nor abandoned. Duplicates: a second contact for a call id,
    a contact answered or abandoned more than once, an agent offered a call while holding another.
    """
    from banzu.contact.models import Contact, ContactEvent, CtiCall

    contacts = Contact.objects.filter(centre=centre)
    by_call = Counter(CtiCall.objects.filter(contact__centre=centre).values_list("call_id", flat=True))
    rows = contacts.values_list("pk", "external_id", "status")
    contact_of = {external_id: (pk, status) for pk, external_id, status in rows}
    duplicates = sum(count - 1 for count in by_call.values() if count > 1)
    duplicates += contacts.count() - len(contact_of)
    per_contact: dict[int, Counter] = defaultdict(Counter)
    holding: dict[int, int] = defaultdict(int)
    double_booked = 0
    offers = 0
    for contact_id, kind, agent_id in (
        ContactEvent.objects.filter(contact__centre=centre).order_by("pk").values_list("contact_id", "kind", "agent_id")
    ):
        per_contact[contact_id][kind] += 1
        if kind == "offered":
            offers += 1
            holding[agent_id] += 1
            double_booked += holding[agent_id] > 1
        elif kind in ("offer_expired", "closed") or (kind == "abandoned" and agent_id):
            holding[agent_id] -= 1
    lost = 0
    for call_id in sent:
        pk, status = contact_of.get(call_id, (None, None))
        books = per_contact[pk] if pk is not None else Counter()
        lost += not by_call.get(call_id) or status not in FINAL or books["answered"] + books["abandoned"] == 0
    duplicates += sum(1 for c in per_contact.values() if c["answered"] + c["abandoned"] > 1)
    return {"lost": lost, "duplicates": duplicates + double_booked, "double_booked": double_booked, "offers": offers}


def traffic_window(centre) -> dict[str, float]:
    """Events and claims per second between the first and the last call offered by the switch.

    Signing the agents in before and the calls still talking after are left out, so the rates are
    those of the steady traffic the run was asked for.
    """
    from django.db.models import Max, Min

    from banzu.contact.models import ContactEvent, CtiEvent

    events = CtiEvent.objects.filter(switch__centre=centre)
    bounds = events.filter(kind="offered").aggregate(first=Min("received_at"), last=Max("received_at"))
    if bounds["first"] is None or bounds["first"] == bounds["last"]:
        return {"seconds": 0.0, "events_per_s": 0.0, "claims_per_s": 0.0}
    window = (bounds["first"], bounds["last"])
    seconds = (bounds["last"] - bounds["first"]).total_seconds()
    claims = ContactEvent.objects.filter(contact__centre=centre, kind="offered", at__range=window).count()
    return {
        "seconds": seconds,
        "events_per_s": events.filter(received_at__range=window).count() / seconds,
        "claims_per_s": claims / seconds,
    }


FINAL = {"ended", "abandoned"}


def _error_kind(text: str) -> str:
    """An error of the driver without its call id, so that alike errors are counted together."""
    return re.sub(r"t[0-9a-f]{8}-c[0-9]+", "<call>", text)[:200]


def main() -> int:
    seconds = env_number("BENCH_CTI_SECONDS", 120)
    rate = env_number("BENCH_CTI_EVENTS_PER_SECOND", 200)
    seats = int(env_number("BENCH_CTI_SEATS", 1000))
    server_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    redis_url = os.environ.get("REDIS_URL", "")

    admin_execute(server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = f"{server_url}/{DATABASE}"
    os.environ["BANZU_DB_CONN_MAX_AGE"] = "0"
    try:
        return run(seconds=seconds, rate=rate, seats=seats, server_url=server_url, redis_url=redis_url)
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_CTI_KEEP_DATABASE"):
            admin_execute(server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def run(*, seconds: float, rate: float, seats: int, server_url: str, redis_url: str) -> int:
    from bench._util import percentile, print_result, servers_cpu_seconds, setup_django

    setup_django(NAME)
    from django.db import connection

    from banzu.contact.tests.cti_traffic import Traffic, TrafficConfig
    from banzu.contact.tests.servers import app_servers

    centre, agents, token = build_centre(seats)
    calls_per_second = rate / EVENTS_PER_CALL
    # Talk long enough that the floor is busy but not swamped: offered load ≈ 70 % of the seats.
    mean_talk = max(0.7 * len(agents) / calls_per_second - 2.0, 1.0)
    config = TrafficConfig(
        calls=int(calls_per_second * seconds),
        arrivals_per_second=calls_per_second,
        queue="HOT",
        ring_seconds=(0.2, 1.5),
        talk_seconds=(mean_talk * 0.5, mean_talk * 1.5),
        patience_seconds=(20.0, 90.0),
        acw_seconds=(0.5, 2.0),
        break_probability=0.05,
        break_seconds=(1.0, 5.0),
        workers=32,
        seed=20250314,
        use_websocket=bool(redis_url),
    )
    # The servers run as in production: a connection pool per process (BANZU_DB_POOL).
    env = {"BANZU_REDIS_PREFIX": f"bzb{os.getpid()}", "BANZU_DB_POOL": os.environ.get("BANZU_DB_POOL", "1")}
    log_dir = Path(tempfile.mkdtemp(prefix="banzu-bench-cti-"))

    print(
        f"{len(agents)} seats, {config.calls} calls at {calls_per_second:.1f}/s for {seconds:.0f} s, "
        f"talk ~{mean_talk:.0f} s, redis={'yes' if redis_url else 'no'}",
        flush=True,
    )
    database = os.environ["DATABASE_URL"]
    with app_servers(2, database=database, redis=redis_url, extra_env=env, log_dir=log_dir) as running:
        traffic = Traffic(
            [server.base_url for server in running],
            token,
            agents,
            config,
            on_thread_exit=lambda: connection.close(),
        )
        cpu_before = servers_cpu_seconds(running)
        # Room for signing every agent in first, for the last callers' patience and talk after, and
        # for a backlog when the servers fall behind: calls cut off by the deadline count as lost
        # (the output says how many were still open), so a slow run ends late rather than wrong.
        result = traffic.run(timeout=seconds * 4 + 180 + len(agents) / 10, during=Analyzer(database))
        server_cpu = servers_cpu_seconds(running) - cpu_before
    books = count_books(centre, [record.call_id for record in traffic.calls.values()])
    steady = traffic_window(centre)
    shutil.rmtree(log_dir, ignore_errors=True)

    latencies = [value * 1000 for value in result.route_latencies] or [float("nan")]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    # What the app servers spend per event (the driver's polls included): unlike latency, it
    # holds on a busy machine, and it bounds the rate two cores can serve.
    cpu_ms_per_event = server_cpu * 1000 / max(result.events, 1)
    claims_per_second = steady["claims_per_s"]
    events_per_second = steady["events_per_s"]
    print(
        f"events {result.events} in {result.seconds:.1f} s, {events_per_second:.1f}/s over the "
        f"{steady['seconds']:.0f} s of arrivals (asked {rate:g}/s over {seconds:g} s), offers {books['offers']} "
        f"({claims_per_second:.1f}/s), route decision p50 {p50:.1f} ms p99 {p99:.1f} ms, "
        f"conflicts {result.conflicts}, pushed {result.pushed}, errors {len(result.errors)}, "
        f"open {len(traffic.open_calls())}, lost {books['lost']}, duplicates {books['duplicates']} "
        f"(double-booked {books['double_booked']}); app servers' CPU {cpu_ms_per_event:.1f} ms per event; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for error in Counter(_error_kind(text) for text in result.errors).most_common(5):
        print(f"  error x{error[1]}: {error[0]}", flush=True)
    tps = pgbench_update_tps(server_url)
    print(f"pgbench single-row UPDATE, {PGBENCH_CLIENTS} clients: {tps:.0f} TPS", flush=True)
    print_result(
        name=NAME,
        value=round(p99, 1),
        unit="ms_p99_route_decision",
        peer=f"pgbench_update_c{PGBENCH_CLIENTS}",
        ratio=round(claims_per_second / tps, 4),
        p50_ms=round(p50, 1),
        events_per_s=round(events_per_second, 1),
        asked_per_s=rate,
        server_cpu_ms_per_event=round(cpu_ms_per_event, 1),
        claims_per_s=round(claims_per_second, 1),
        peer_tps=round(tps, 1),
        lost=books["lost"],
        duplicates=books["duplicates"],
    )
    return 0 if not books["lost"] and not books["duplicates"] else 1


if __name__ == "__main__":
    sys.exit(main())
