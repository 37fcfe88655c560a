"""Where the webhook's store reads run: a small executor of its own, fair between tenants.

Answers never run loads themselves and loads never run on the answer pool, so a load abandoned by an
answer past its budget holds a loader thread, never an answer's. At most `workers` loads run at once and
at most `per_tenant` of one group's (a tenant's, or the one group of every route read: adapters.py says
why); a group's further loads wait in its own FIFO, holding no thread, and groups with work take turns
(round robin). One tenant's slow partition or heavy configuration
therefore occupies at most `per_tenant` threads, and another tenant's load starts as soon as any is free.

Threads are started on demand and end as soon as no runnable load is left: nothing idles, and a store
dropped by `deps.reset()` leaves no thread behind. A load that waited longer than `max_queue_seconds` is not
run (whoever wanted it has given up: its answer is past the budget) and fails with StoreUnavailable; a
group with `max_queued` loads waiting gets StoreUnavailable at once. Neither is ever cached (caching.py).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from functions.common.errors import StoreUnavailable

T = TypeVar("T")


@dataclass
class _Task:
    group: str
    run: Callable[[], Any]
    future: Future[Any]
    queued_at: float


class FairLoader:
    def __init__(
        self,
        *,
        workers: int,
        per_tenant: int,
        max_queued: int = 256,
        max_queue_seconds: float | None = None,
        name: str = "loader",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if workers < 1 or per_tenant < 1:
            raise ValueError("a loader needs at least one worker and one load per tenant")
        self._workers = workers
        self._per_group = per_tenant
        self._max_queued = max_queued
        self._max_queue_seconds = max_queue_seconds
        self._name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Task]] = {}
        self._running: dict[str, int] = {}
        # Groups with a queued load and a free slot, each at most once, in turn order.
        self._ready: deque[str] = deque()
        self._threads = 0

    def submit(self, group: str, run: Callable[[], T]) -> Future[T]:
        """Queue `run` for `group` (a tenant; or, for reads whose tenant is not known yet, one group for all of
        their kind, named so no tenant id can be the same, such as "#routes"); never blocks."""
        future: Future[T] = Future()
        with self._lock:
            queue = self._queues.setdefault(group, deque())
            full = len(queue) >= self._max_queued
            if not full:
                queue.append(_Task(group, run, future, self._clock()))
                if len(queue) == 1 and self._running.get(group, 0) < self._per_group:
                    self._ready.append(group)
            elif not queue:
                del self._queues[group]
            start = bool(self._ready) and self._threads < self._workers
            if start:
                self._threads += 1
        if full:
            # Messages never name the group: it may be a caller's or a route's key (the caller logs the tenant).
            future.set_exception(StoreUnavailable(f"too many reads of one tenant queued ({self._max_queued})"))
        if start:
            threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True).start()
        return future

    def in_flight(self, group: str) -> int:
        with self._lock:
            return self._running.get(group, 0)

    def outstanding(self) -> int:
        """Loads queued or running, of every group."""
        with self._lock:
            return sum(self._running.values()) + sum(len(queue) for queue in self._queues.values())

    def _work(self) -> None:
        task: _Task | None = None
        while True:
            with self._lock:
                if task is not None:
                    self._finished(task.group)
                task = self._next()
                if task is None:
                    self._threads -= 1
                    return
            self._run(task)

    def _run(self, task: _Task) -> None:
        waited = self._clock() - task.queued_at
        if self._max_queue_seconds is not None and waited > self._max_queue_seconds:
            task.future.set_exception(StoreUnavailable(f"read waited {waited:.1f} s to start; nobody waits that long"))
            return
        if not task.future.set_running_or_notify_cancel():
            return
        try:
            result = task.run()
        except BaseException as exc:  # handed to whoever waits; this thread goes on with the next load
            task.future.set_exception(exc)
        else:
            task.future.set_result(result)

    def _next(self) -> _Task | None:
        """The next group's oldest load (called with the lock held)."""
        if not self._ready:
            return None
        group = self._ready.popleft()
        queue = self._queues[group]
        task = queue.popleft()
        running = self._running.get(group, 0) + 1
        self._running[group] = running
        if queue and running < self._per_group:
            self._ready.append(group)
        return task

    def _finished(self, group: str) -> None:
        """A load of `group` ended (called with the lock held): its slot goes to its next load, in turn."""
        running = self._running[group] - 1
        queue = self._queues.get(group)
        if running:
            self._running[group] = running
        else:
            del self._running[group]
        if queue:
            if running == self._per_group - 1:  # it was at its limit, so it was not waiting its turn
                self._ready.append(group)
        elif queue is not None:
            del self._queues[group]
