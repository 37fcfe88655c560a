"""Writes the answer's log line: one JSON document per answer, which is the decision log (read by
functions/decision_recorder/), the answer's metrics (EMF: telemetry.py) and what operators search.

It has the keys of every other line (Powertools' `level`, `location`, `message`, `timestamp`, `service`, the
Lambda context's keys, `xray_trace_id`) but is serialised here, with one `json.dumps`, and written straight to
stdout: Powertools' formatter costs about 50 us a line more, a sixth of a bare webhook's whole round trip on a
warm answer, and a stdlib logger's record about 30 us more over the local HTTP front (bench/). Every other line
of the function still goes through Powertools' Logger. Tests, benchmarks and the local run's emulated
subscription read the lines through `subscribed`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from functions.common.observability import logger

XRAY_TRACE_ENV = "_X_AMZN_TRACE_ID"
_FORMAT_KEYS = frozenset({"level", "location", "message", "timestamp"})  # placeholders in Powertools' keys

Sink = Callable[[str], None]


def to_stdout(line: str) -> None:
    """Where Lambda reads a function's log lines. Never filtered by a log level: the lines are the decision log."""
    stream = sys.stdout  # looked up per line: the runtime's and a test's capture may replace it
    stream.write(line + "\n")
    stream.flush()


# Who else reads the lines: tests, benchmarks and the local run's emulated subscription (`subscribed`).
_subscribers: tuple[Sink, ...] = ()  # replaced whole, never changed in place: a writer may be iterating
_quiet = 0  # subscriptions that leave stdout out (benchmarks)


@contextmanager
def subscribed(sink: Sink, *, quiet: bool = False) -> Iterator[None]:
    """Hands every answer line to `sink` too until the block ends; `quiet` writes none to stdout meanwhile."""
    global _subscribers, _quiet
    _subscribers += (sink,)
    _quiet += quiet
    try:
        yield
    finally:
        _subscribers = tuple(subscriber for subscriber in _subscribers if subscriber is not sink)
        _quiet -= quiet


def write(level: int, message: str, fields: dict[str, Any]) -> None:
    now = time.time()
    line: dict[str, Any] = {
        "level": logging.getLevelName(level),
        "location": "answer_log.write",
        "message": message,
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f",{int(now % 1 * 1000):03d}+0000",
    }
    for key, value in logger.get_current_keys().items():  # service and the invocation's Lambda context
        if value is not None and key not in _FORMAT_KEYS:
            line[key] = value
    trace = os.environ.get(XRAY_TRACE_ENV)
    if trace:
        line["xray_trace_id"] = trace.split(";")[0].replace("Root=", "")
    line |= fields
    text = json.dumps(line, separators=(",", ":"), default=str)
    if not _quiet:
        to_stdout(text)
    for sink in _subscribers:
        sink(text)
