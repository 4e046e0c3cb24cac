"""One run at a time for work that many threads ask for at once, such as a routing round.

Every switch event of a busy centre asks for a routing round once its change is committed. Run side
by side, those rounds read the same ready agents and waiting contacts, reach the same decisions and
then race each other for the same claims, so that all but one of them do their work for nothing.
A :class:`Coalescer` runs one round at a time per process: a thread that asks while a round runs
waits for it, and then either finds that a round which began after it asked has finished (that
round saw its committed change, so there is nothing left to do for it) or runs the next round
itself, for everyone who asked meanwhile. No request is lost and no round runs twice for nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class Coalescer:
    """Runs `work` for concurrent callers, one run at a time, each caller covered by a run that
    began after it asked."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._asked = 0  # requests numbered in the order they came
        self._covered = 0  # every request up to this number saw a whole run begin after it
        self._running = False

    def run(self, work: Callable[[], T]) -> tuple[bool, T | None]:
        """(True, what `work` returned) if this caller ran it; (False, None) if another caller's run,
        begun after this request, covered it."""
        with self._changed:
            self._asked += 1
            ticket = self._asked
            while self._running:
                self._changed.wait()
            if self._covered >= ticket:
                return False, None
            self._running = True
            covers = self._asked
        done = False
        try:
            result = work()
            done = True
            return True, result
        finally:
            with self._changed:
                self._running = False
                if done:  # a failed run covers nobody: the next caller runs again
                    self._covered = max(self._covered, covers)
                self._changed.notify_all()


_coalescers: dict[Hashable, Coalescer] = {}
_coalescers_lock = threading.Lock()


def coalescer(key: Hashable) -> Coalescer:
    """The process's coalescer for `key` (e.g. one centre's routing)."""
    with _coalescers_lock:
        return _coalescers.setdefault(key, Coalescer())
