"""``core.coalesce``: concurrent requests share runs, one run at a time, and none is lost."""

from __future__ import annotations

import threading
import time

from banzu.core.coalesce import Coalescer, coalescer


def test_a_lone_caller_runs_the_work():
    assert Coalescer().run(lambda: 42) == (True, 42)
    assert Coalescer().run(lambda: None) == (True, None)


def test_each_key_has_one_coalescer_per_process():
    assert coalescer(("routing", 1)) is coalescer(("routing", 1))
    assert coalescer(("routing", 1)) is not coalescer(("routing", 2))


def test_concurrent_requests_share_runs_one_at_a_time_and_every_change_is_seen():
    shared = Coalescer()
    committed: list[int] = []
    seen: list[list[int]] = []
    running, most = [0], [0]
    lock = threading.Lock()
    callers = 24
    start = threading.Barrier(callers)
    outcomes: dict[int, bool] = {}

    def work() -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            snapshot = list(committed)
        time.sleep(0.03)  # long enough for the others to ask meanwhile
        with lock:
            seen.append(snapshot)
            running[0] -= 1
        return len(snapshot)

    def caller(n: int) -> None:
        start.wait()
        with lock:
            committed.append(n)  # the caller's change, committed before it asks for a run
        ran, _result = shared.run(work)
        outcomes[n] = ran

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1, "two runs at once"
    assert set().union(*seen) == set(range(callers)), "a change no run saw"
    assert sorted(seen[-1]) == list(range(callers)), "the last run missed a change"
    assert sum(outcomes.values()) == len(seen) <= callers // 2, "requests were not shared"


def test_a_request_made_while_a_run_is_under_way_gets_a_run_that_sees_it():
    shared = Coalescer()
    committed: list[str] = []
    seen: list[list[str]] = []
    begun = threading.Event()

    def work() -> None:
        seen.append(list(committed))
        begun.set()
        time.sleep(0.05)

    def ask(change: str, out: list) -> None:
        committed.append(change)
        out.append(shared.run(work))

    first, late = [], []
    one = threading.Thread(target=ask, args=("first", first))
    one.start()
    begun.wait(5)
    two = threading.Thread(target=ask, args=("late", late))
    two.start()
    one.join()
    two.join()
    assert first == late == [(True, None)]
    assert seen == [["first"], ["first", "late"]]


def test_a_failed_run_covers_nobody():
    shared = Coalescer()
    calls = [0]
    running = threading.Event()
    go = threading.Event()
    outcomes: list[object] = []

    def slow() -> None:
        running.set()
        go.wait(5)

    def flaky() -> str:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("database gone")
        return "routed"

    def ask() -> None:
        try:
            outcomes.append(shared.run(flaky))
        except RuntimeError as exc:
            outcomes.append(str(exc))

    busy = threading.Thread(target=shared.run, args=(slow,))
    busy.start()
    running.wait(5)
    # Both ask while a run is under way: the next run covers both, and fails.
    askers = [threading.Thread(target=ask) for _ in range(2)]
    for thread in askers:
        thread.start()
    time.sleep(0.05)
    go.set()
    busy.join()
    for thread in askers:
        thread.join()
    assert sorted(map(str, outcomes)) == sorted(["database gone", str((True, "routed"))])
