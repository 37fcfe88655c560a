"""Writes the answer's log line: one JSON document per answer, which is the decision log (read by
functions/decision_recorder/), the answer's metrics (EMF: telemetry.py) and what operators search.

It has the keys of every other line (Powertools' `level`, `location`, `message`, `timestamp`, `service`, the
Lambda context's keys, `xray_trace_id`) but is serialised here, with one `json.dumps`, through a plain
stdlib logger: Powertools' formatter costs about 50 us a line more, a sixth of a bare webhook's whole round
trip on a warm answer (bench/). Every other line of the function still goes through Powertools' Logger.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from functions.common.observability import logger

XRAY_TRACE_ENV = "_X_AMZN_TRACE_ID"
_FORMAT_KEYS = frozenset({"level", "location", "message", "timestamp"})  # placeholders in Powertools' keys

# The stdlib logger the answer lines go through (tests and the local run's subscription attach to it).
lines = logging.getLogger(f"{logger.name}.answers")
lines.propagate = False  # its lines are finished JSON: no other formatter may wrap them
lines.setLevel(logging.INFO)  # never filtered out: the lines are the decision log
if not lines.handlers:
    _stdout = logging.StreamHandler(sys.stdout)
    _stdout.setFormatter(logging.Formatter("%(message)s"))
    lines.addHandler(_stdout)


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
    lines.log(level, json.dumps(line, separators=(",", ":"), default=str))
