"""Interval statistics maintained as contacts end (CT-16, DESIGN principle 6).

``contact.services`` calls :func:`contact_reached` when a contact is abandoned, its conversation ends
or its after-call work finishes, and :func:`agent_state_left` when an agent leaves a state, inside
the service's own transaction: the statistics commit or roll back with the change they count.

Rows are added to with one upsert per table (``INSERT … ON CONFLICT DO UPDATE SET n = n + k``), so
app servers ending contacts of the same queue at the same time never lose a count, and a row is
created by whichever comes first. Rows are touched in one global order (queue rows, then agent
rows, each by key) so that two such transactions cannot deadlock on PostgreSQL.

:func:`recompute` counts the same figures from scratch from contacts and agent state changes; the
tests prove both agree, and :func:`rebuild_interval_statistics` repairs rows from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from banzu.contact import rules
from banzu.contact.models import AgentInterval, AgentStateChange, Contact, Queue, QueueInterval
from banzu.core import calendar, memo
from banzu.core.policies import policies_for
from banzu.org.models import Centre, Employee

Stage = rules.ContactStage
RowKey = tuple[str, int, int, datetime]

# PostgreSQL's wire protocol numbers a statement's parameters in 16 bits (Django reports no limit).
PROTOCOL_MAX_PARAMS = 65535

LENGTH_KEYS = ["contact.short_interval_minutes", "contact.long_interval_minutes"]


def _setup(centre_id: int) -> tuple[tuple[int, ...], Any]:
    def read() -> tuple[tuple[int, ...], Any]:
        values = policies_for(centre_id, LENGTH_KEYS)
        zone = calendar.centre_zone(Centre.objects.only("timezone").get(pk=centre_id))
        return rules.interval_lengths(*(values[key] for key in LENGTH_KEYS)), zone

    return memo.configuration(("statistics.setup", centre_id), read)


def _threshold(queue_id: int | None, centre_id: int) -> int:
    def read() -> int:
        own = (
            Queue.objects.filter(pk=queue_id).values_list("service_level_seconds", flat=True).first()
            if queue_id
            else None
        )
        return own or policies_for(centre_id, ["contact.service_level_seconds"])["contact.service_level_seconds"]

    return memo.configuration(("statistics.threshold", queue_id, centre_id), read)


def _facts(contact: Contact, threshold: int) -> rules.ContactFacts:
    return rules.ContactFacts(
        queue_id=contact.queue_id,
        agent_id=contact.agent_id,
        queued_at=contact.queued_at,
        answered_at=contact.answered_at,
        wait=contact.wait_seconds,
        talk=contact.talk_seconds,
        hold=contact.hold_seconds,
        acw=contact.acw_seconds,
        threshold_seconds=threshold,
    )


def _model(scope: str):
    return (QueueInterval, "queue_id") if scope == "queue" else (AgentInterval, "agent_id")


def apply_increments(centre_id: int, increments: Iterable[rules.Increment]) -> None:
    """Add `increments` to their rows atomically; the caller's transaction holds it together."""
    merged = rules.merge_increments(increments)
    rows: dict[str, list[tuple[RowKey, dict[str, int]]]] = {"queue": [], "agent": []}
    for key, counts in sorted(merged.items(), key=lambda item: _order(item[0])):
        if any(counts.values()):
            rows[key[0]].append((key, counts))
    for scope in ("queue", "agent"):
        if rows[scope]:
            _add_to_rows(centre_id, scope, rows[scope])


def _add_to_rows(centre_id: int, scope: str, rows: list[tuple[RowKey, dict[str, int]]]) -> None:
    """One ``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` for all `rows` of one table.

    The ORM has no upsert that adds to a column; this statement (PostgreSQL and SQLite alike)
    creates a missing row and adds to an existing one in one round trip, and a concurrent creator
    of the same row makes it add rather than fail.
    """
    model, owner_field = _model(scope)
    per_statement = (connection.features.max_query_params or PROTOCOL_MAX_PARAMS) // (len(model.COUNTS) + 4)
    if len(rows) > per_statement:  # a state held for days spans hundreds of intervals
        for first in range(0, len(rows), per_statement):
            _add_to_rows(centre_id, scope, rows[first : first + per_statement])
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    owner_column = model._meta.get_field(owner_field.removesuffix("_id")).column
    start_field = model._meta.get_field("start")
    columns = ["centre_id", owner_column, "minutes", "start", *model.COUNTS]
    params: list[Any] = []
    for (_scope, owner_id, minutes, start), counts in rows:
        params += [centre_id, owner_id, minutes, start_field.get_db_prep_value(start, connection)]
        params += [counts.get(name, 0) for name in model.COUNTS]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    additions = ", ".join(f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in model.COUNTS)
    # Only model metadata is spliced in (quoted names); every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(name) for name in columns)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({quote(owner_column)}, {quote('minutes')}, {quote('start')}) DO UPDATE SET {additions}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _order(key: RowKey) -> tuple:
    scope, owner_id, minutes, start = key
    return (scope != "queue", owner_id, minutes, start)


def contact_reached(contact: Contact, stage: Stage | str, *, now: datetime) -> None:
    """Count `contact` at `stage` (abandoned, ended, closed); at the end, also check the service rules."""
    stage = Stage(stage)
    lengths, zone = _setup(contact.centre_id)
    facts = _facts(contact, _threshold(contact.queue_id, contact.centre_id))
    apply_increments(contact.centre_id, rules.contact_increments(stage, facts, lengths, zone))
    if stage in (Stage.ABANDONED, Stage.ENDED):
        from banzu.contact import compliance

        compliance.check_contact(contact, now=now)


def agent_state_left(
    *, agent_id: int, state: str, since: datetime | None, until: datetime, centre_id: int | None = None
) -> None:
    """Count the time an agent spent in `state` (CT-9), split over the intervals it spans."""
    if since is None or state not in rules.COUNTED_STATES or until <= since:
        return
    centre_id = centre_id or memo.remembered(
        ("employee.centre", agent_id),
        lambda: Employee.objects.filter(pk=agent_id).values_list("centre_id", flat=True).first(),
    )
    if centre_id is None:
        return
    lengths, zone = _setup(centre_id)
    apply_increments(centre_id, rules.state_increments(agent_id, state, since, until, lengths, zone))


# --- from scratch ---------------------------------------------------------------------------------------


def recompute(centre: Any) -> dict[RowKey, dict[str, int]]:
    """Every interval row of `centre` counted from its contacts and agent state changes, with today's
    interval lengths and service-level thresholds."""
    centre_id = getattr(centre, "pk", centre)
    lengths, zone = _setup(centre_id)
    default = policies_for(centre_id, ["contact.service_level_seconds"])["contact.service_level_seconds"]
    thresholds = dict(Queue.objects.filter(centre_id=centre_id).values_list("pk", "service_level_seconds"))
    increments: list[rules.Increment] = []
    stages = {
        Contact.Status.ABANDONED: (Stage.ABANDONED,),
        Contact.Status.ACW: (Stage.ENDED,),
        Contact.Status.ENDED: (Stage.ENDED, Stage.CLOSED),
    }
    for contact in Contact.objects.filter(centre_id=centre_id, status__in=list(stages)).order_by("pk"):
        facts = _facts(contact, thresholds.get(contact.queue_id) or default)
        for stage in stages[contact.status]:
            increments.extend(rules.contact_increments(stage, facts, lengths, zone))
    previous: dict[int, datetime] = {}
    changes = AgentStateChange.objects.filter(agent__centre_id=centre_id).order_by("agent_id", "at", "pk")
    for agent_id, from_state, at in changes.values_list("agent_id", "from_state", "at"):
        since = previous.get(agent_id)
        if since is not None and since < at:
            increments.extend(rules.state_increments(agent_id, from_state, since, at, lengths, zone))
        previous[agent_id] = at
    return {key: {k: v for k, v in counts.items() if v} for key, counts in rules.merge_increments(increments).items()}


def maintained(centre: Any) -> dict[RowKey, dict[str, int]]:
    """The stored interval rows of `centre`, in the shape of :func:`recompute` (zero counts left out)."""
    centre_id = getattr(centre, "pk", centre)
    rows: dict[RowKey, dict[str, int]] = {}
    for scope in ("queue", "agent"):
        model, owner_field = _model(scope)
        for row in model.objects.filter(centre_id=centre_id).values(owner_field, "minutes", "start", *model.COUNTS):
            counts = {name: row[name] for name in model.COUNTS if row[name]}
            if counts:
                rows[(scope, row[owner_field], row["minutes"], row["start"])] = counts
    return rows


@transaction.atomic
def rebuild_interval_statistics(*, centre: Any) -> int:
    """Replace `centre`'s interval rows by a recomputation (after an outage or a policy change).

    Returns the number of rows written. Run it when no contact of the centre is ending, or counts
    made meanwhile are lost.
    """
    centre_id = getattr(centre, "pk", centre)
    QueueInterval.objects.filter(centre_id=centre_id).delete()
    AgentInterval.objects.filter(centre_id=centre_id).delete()
    rows = recompute(centre_id)
    queue_rows, agent_rows = [], []
    for (scope, owner_id, minutes, start), counts in rows.items():
        if scope == "queue":
            queue_rows.append(
                QueueInterval(centre_id=centre_id, queue_id=owner_id, minutes=minutes, start=start, **counts)
            )
        else:
            agent_rows.append(
                AgentInterval(centre_id=centre_id, agent_id=owner_id, minutes=minutes, start=start, **counts)
            )
    QueueInterval.objects.bulk_create(queue_rows, batch_size=1000)
    AgentInterval.objects.bulk_create(agent_rows, batch_size=1000)
    return len(rows)
