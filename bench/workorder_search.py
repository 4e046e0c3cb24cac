"""Search latency over 1,000,000 work orders (WO-9), with recall checked against a full scan.

A centre of its own gets 1,000,000 work orders (``--orders`` or ``BENCH_WORK_ORDERS`` for fewer)
with Chinese titles, callers who call more than once, Chinese customer names and two custom
fields of the complaint form (户号 account number and 车牌号 plate). 400 searches, 100 for each of
caller number, work-order number, customer name and a custom field (a tenth of them for values
that do not exist), run through ``workorders.selectors.work_order_list`` as a manager of the
centre: what the list page and the API run, i.e. scope, search, sort, the first page of 20 and
the total count.

* ours: the indexed equality searches of the selector;
* peer: the same searches as a brute-force scan — the column wrapped in an expression so that no
  index can serve it, and custom fields read from the JSON column of every order — on a sample of
  the queries (each scan reads the whole table).

Recall: for every peer query, the ids the selector finds (whole result, not one page) against the
ids the scan finds; 1.0 means the index misses nothing, and extra ids are counted too.

value: p95 of ours in ms; ratio = peer p95 / ours p95 (above 1: ours is faster).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench._util import FAMILY_NAMES, GIVEN_NAMES, build_structure, percentile, print_result, setup_django

NAME = "workorder_search"
QUERIES_PER_FIELD = 100
PEER_QUERIES_PER_FIELD = 8
MISS_SHARE = 0.1
PAGE = 20
BATCH = 5000
PLACES = ["海淀区", "朝阳区", "西城区", "东城区", "丰台区", "通州区", "昌平区", "大兴区", "顺义区", "房山区"]
STREETS = ["中关村大街", "学院路", "建国路", "长安街", "望京西路", "丽泽路", "回龙观", "亦庄", "天竺", "良乡"]
EVENTS = [
    "发票未收到",
    "宽带无法连接",
    "快递延误",
    "退款未到账",
    "话费扣费异议",
    "路灯不亮",
    "噪音扰民",
    "燃气费查询",
    "社保卡补办",
    "预约挂号失败",
    "井盖缺失",
    "垃圾未清运",
]
CATEGORIES = ["consultation", "suggestion", "complaint", "help_request"]
STATUSES = ["new", "assigned", "in_progress", "handed_over", "closed", "closed", "closed"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}")
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_WORK_ORDERS", 1_000_000)))
    parser.add_argument("--seed", type=int, default=20241001)
    return parser.parse_args()


def make_people(org, count: int = 40):
    """Agents who own the orders and a manager who searches them all."""
    from datetime import date

    from django.contrib.auth import get_user_model

    from banzu.core.roles import Role
    from banzu.org.models import Employee, EmployeeRole, Position

    pid = os.getpid()
    agent = Position.objects.get(code="agent")
    people = []
    for n in range(count):
        team = org.teams[n % len(org.teams)]
        people.append(
            Employee.objects.create(
                centre=org.centre,
                department_id=team.department_id,
                team=team,
                employee_no=f"A{n + 1:05d}",
                name=random.choice(FAMILY_NAMES) + random.choice(GIVEN_NAMES),
                position=agent,
                hire_date=date(2020, 1, 1),
                position_since=date(2020, 1, 1),
                status=Employee.Status.REGULAR,
            )
        )
    user = get_user_model().objects.create_user(username=f"bench-{pid}-manager", password=None)
    manager = Employee.objects.create(
        user=user,
        centre=org.centre,
        department=org.departments[0],
        employee_no="M00001",
        name="周强",
        position=agent,
        hire_date=date(2018, 1, 1),
        position_since=date(2018, 1, 1),
        status=Employee.Status.REGULAR,
    )
    EmployeeRole.objects.create(employee=manager, role=Role.MANAGER)
    return people, user


def custom_fields(centre):
    from banzu.workorders.models import CustomFieldDefinition

    account = CustomFieldDefinition.objects.create(
        centre=centre, category="complaint", key="account", label="户号", field_type="text"
    )
    plate = CustomFieldDefinition.objects.create(
        centre=centre, category="complaint", key="plate", label="车牌号", field_type="text", order=1
    )
    return account, plate


def generate(rng: random.Random, orders: int):
    """Plain tuples per order; callers, names, accounts and plates repeat as they do in real life."""
    callers = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" for _ in range(max(orders // 3, 10))]
    names = [rng.choice(FAMILY_NAMES) + "".join(rng.choices(GIVEN_NAMES, k=rng.randint(1, 2))) for _ in range(50000)]
    accounts = [f"{rng.randrange(10**10):010d}" for _ in range(max(orders // 8, 10))]
    provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = (365 * 86400) / max(orders, 1)
    for n in range(orders):
        created = start + timedelta(seconds=n * step)
        category = CATEGORIES[n % 4]
        custom = {}
        if category == "complaint":
            custom["account"] = rng.choice(accounts)
            if rng.random() < 0.5:
                custom["plate"] = rng.choice(provinces) + rng.choice("ABCDEFG") + f"{rng.randrange(10**5):05d}"
        yield (
            n,
            created,
            category,
            rng.choice(callers) if rng.random() < 0.95 else "",
            rng.choice(names) if rng.random() < 0.8 else "",
            rng.choice(PLACES) + rng.choice(STREETS),
            rng.choice(EVENTS),
            rng.choice(STATUSES),
            custom,
        )


def insert(org, people, definitions, rows, orders: int) -> None:
    """Bulk inserts straight into the tables: set-up, not the thing measured."""
    from django.db import transaction
    from django.db.models import Max

    from banzu.workorders.models import CustomFieldIndex, WorkOrder

    first_pk = (WorkOrder.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    by_key = {d.key: d for d in definitions}
    started = time.perf_counter()
    batch, index = [], []

    def flush() -> None:
        with transaction.atomic():
            WorkOrder.objects.bulk_create(batch)
            CustomFieldIndex.objects.bulk_create(index)
        batch.clear()
        index.clear()

    for n, created, category, caller, name, location, summary, status, custom in rows:
        owner = people[n % len(people)]
        pk = first_pk + n
        batch.append(
            WorkOrder(
                pk=pk,
                centre=org.centre,
                number=f"{created:%Y%m%d}{n:07d}",
                category=category,
                location=location,
                summary=summary,
                title=f"{location}{summary}",
                status=status,
                caller_number=caller,
                customer_name=name,
                owner=owner,
                team_id=owner.team_id,
                department_id=owner.department_id,
                contact_ended_at=created,
                completion_due_at=created + timedelta(minutes=15),
                completed_at=created + timedelta(minutes=10),
                custom_values=custom,
                closed_at=created + timedelta(days=1) if status == "closed" else None,
                created_at=created,
                updated_at=created,
            )
        )
        for key, value in custom.items():
            index.append(CustomFieldIndex(work_order_id=pk, definition=by_key[key], value=value))
        if len(batch) >= BATCH:
            flush()
            done = n + 1
            if done % 100_000 == 0:
                print(f"  inserted {done:,} of {orders:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    if batch:
        flush()


def queries(rng: random.Random, sample: list[tuple], definitions) -> list[tuple[str, str, str]]:
    """(field parameter, value, label) for each search; sample rows give values that exist."""
    account, plate = definitions
    out = []
    for label in ("caller_number", "number", "customer_name", "custom"):
        for _ in range(QUERIES_PER_FIELD):
            miss = rng.random() < MISS_SHARE
            n, created, _cat, caller, name, _loc, _sum, _st, custom = rng.choice(sample)
            while label == "custom" and not custom:
                n, created, _cat, caller, name, _loc, _sum, _st, custom = rng.choice(sample)
            while label == "caller_number" and not caller:
                n, created, _cat, caller, name, _loc, _sum, _st, custom = rng.choice(sample)
            while label == "customer_name" and not name:
                n, created, _cat, caller, name, _loc, _sum, _st, custom = rng.choice(sample)
            if label == "caller_number":
                out.append(("caller_number", "10000000000" if miss else caller, label))
            elif label == "number":
                out.append(("number", "1999010100000" if miss else f"{created:%Y%m%d}{n:07d}", label))
            elif label == "customer_name":
                out.append(("customer_name", "无此人" if miss else name, label))
            else:
                key = "plate" if "plate" in custom and rng.random() < 0.5 else "account"
                definition = plate if key == "plate" else account
                out.append((f"cf:{definition.pk}", "京Z00000" if miss else custom[key], label))
    rng.shuffle(out)
    return out


def scan_queryset(centre, definitions, field: str, value: str):
    """The same search with no index able to serve it: every row is read."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Concat

    from banzu.workorders.models import WorkOrder
    from banzu.workorders.rules import normalise_phone, squeeze

    queryset = WorkOrder.objects.filter(centre=centre)
    if field.startswith("cf:"):
        key = next(d.key for d in definitions if f"cf:{d.pk}" == field)
        return queryset.filter(**{f"custom_values__{key}": squeeze(value)})
    column, wanted = {
        "caller_number": ("caller_number", normalise_phone(value)),
        "number": ("number", value),
        "customer_name": ("customer_name", squeeze(value)),
    }[field]
    unindexed = Concat(column, Value(""), output_field=CharField())
    return queryset.annotate(scanned=unindexed).filter(scanned=wanted)


def timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def page_and_count(queryset) -> tuple[list[int], int]:
    ordered = queryset.order_by("-created_at", "-pk")
    return [order.pk for order in ordered[:PAGE]], ordered.count()


def main() -> None:
    args = arguments()
    vendor = setup_django(NAME)
    from django.db import connection
    from django.utils import timezone

    from banzu.workorders import selectors

    rng = random.Random(args.seed)
    random.seed(args.seed)
    org = build_structure(departments=2, teams_per_department=5)
    people, manager = make_people(org)
    definitions = custom_fields(org.centre)
    print(f"{NAME}: {args.orders:,} work orders on {vendor}", flush=True)
    sample: list[tuple] = []

    def rows():
        for row in generate(rng, args.orders):
            if rng.random() < 2000 / max(args.orders, 1):
                sample.append(row)
            yield row

    started = time.perf_counter()
    insert(org, people, definitions, rows(), args.orders)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a running database has
    print(f"  set-up {time.perf_counter() - started:.0f} s, sample of {len(sample)} orders", flush=True)

    searches = queries(rng, sample, definitions)
    now = timezone.now()
    for field, value, _label in searches[:20]:  # warm-up: caches, prepared plans
        page_and_count(selectors.work_order_list(manager, {"field": field, "q": value}, now=now))

    ours: list[float] = []
    by_field: dict[str, list[float]] = {}
    for field, value, label in searches:
        elapsed, _ = timed(
            lambda field=field, value=value: page_and_count(
                selectors.work_order_list(manager, {"field": field, "q": value}, now=now)
            )
        )
        ours.append(elapsed)
        by_field.setdefault(label, []).append(elapsed)

    peer: list[float] = []
    found = expected = extra = 0
    picked: dict[str, int] = {}
    for field, value, label in searches:
        if picked.get(label, 0) >= PEER_QUERIES_PER_FIELD:
            continue
        picked[label] = picked.get(label, 0) + 1
        scan = scan_queryset(org.centre, definitions, field, value)
        elapsed, _ = timed(lambda scan=scan: page_and_count(scan))
        peer.append(elapsed)
        truth = set(scan.values_list("pk", flat=True))
        mine = set(
            selectors.work_order_list(manager, {"field": field, "q": value}, now=now).values_list("pk", flat=True)
        )
        expected += len(truth)
        found += len(truth & mine)
        extra += len(mine - truth)

    recall = found / expected if expected else 1.0
    for label, values in by_field.items():
        print(f"  {label:14s} p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 95):7.1f} ms")
    ours_p95, peer_p95 = percentile(ours, 95), percentile(peer, 95)
    print(f"  ours: p50 {statistics.median(ours):.1f} ms, p95 {ours_p95:.1f} ms over {len(ours)} searches (goal < 200)")
    print(f"  scan: p50 {statistics.median(peer):.1f} ms, p95 {peer_p95:.1f} ms over {len(peer)} searches")
    print(f"  recall {recall:.4f} ({found} of {expected} rows), extra rows {extra}")
    print_result(
        name=NAME,
        value=round(ours_p95, 2),
        unit="ms_p95",
        peer="full_scan",
        ratio=round(peer_p95 / ours_p95, 2),
        orders=args.orders,
        database=vendor,
        recall=round(recall, 4),
        extra=extra,
    )
    sys.exit(0 if recall == 1.0 and extra == 0 else 1)


if __name__ == "__main__":
    main()
