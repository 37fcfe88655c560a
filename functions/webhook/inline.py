"""Answering on the request's own thread when nothing has to be waited for.

The worker pool (budget.py) is what lets an answer stuck on a slow read be abandoned at BUDGET_MS, and the
hand-off to it costs about 0.2 ms, a third of a warm answer. Most answers read only cached values, so the
handler first runs the answer inline, inside `no_waiting()`: a read that would have to wait (a cache miss or
an expired entry, an uncached or refreshed secret, an outcome's queue write) raises WouldWait instead, and
the answer is run again on the pool, where it may wait. An incoming call's answer only reads, so running it
twice is safe; the load a miss started keeps running, and the pool's run joins it (caching.py).

A context variable rather than an argument threaded through every port: the pool's and loaders' threads
start with a fresh context, so whatever they run may always wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_no_waiting: ContextVar[bool] = ContextVar("webhook_no_waiting", default=False)


class WouldWait(Exception):
    """The inline answer needs a read that waits: answer on the pool instead."""


@contextmanager
def no_waiting() -> Iterator[None]:
    token = _no_waiting.set(True)
    try:
        yield
    finally:
        _no_waiting.reset(token)


def before_waiting() -> None:
    """Called by every read just before it would wait (or call AWS); raises WouldWait inside `no_waiting()`."""
    if _no_waiting.get():
        raise WouldWait
