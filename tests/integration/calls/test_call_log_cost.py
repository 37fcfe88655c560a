"""What `record_decision` costs: one UpdateItem against moto (in-process), including building it.

Run with `-s` to see the figures. The bound is loose (moto is slower than DynamoDB's ~5 ms in-region
write, and CI machines are slow); the point is that the write fits well inside the webhook's 150 ms
time box, and that a duplicate costs no more than a first write.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from typing import Any

import pytest

from functions.calls.repository import CallRepository
from functions.webhook.models import CallFacts, Decision
from tests.fixtures.aws import CALLS_TABLE_NAME
from tests.fixtures.decisions import record_decision
from tests.integration.calls.conftest import NOW

FACTS = CallFacts(1, "web.incoming", "web", "web", "+15551234567", "home", NOW)
DECISION = Decision("acme", "config", "rule", rule_id="greet", variant="A", profile_id="a", profile_version=2)


def _timings(action: Any, runs: int) -> list[float]:
    timings = []
    for i in range(runs):
        started = time.perf_counter()
        action(i)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def test_record_decision_cost_against_moto(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    log = CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)
    record_decision(log, FACTS, DECISION, 1.0)  # warm the client

    first = _timings(lambda i: record_decision(log, replace(FACTS, call_id=10_000 + i), DECISION, 1.0), 100)
    duplicate = _timings(lambda i: record_decision(log, replace(FACTS, call_id=10_000 + i), DECISION, 1.0), 100)

    with capsys.disabled():  # the figures are the point of this test: show them in the pytest output
        for name, timings in (("new call", first), ("redelivered", duplicate)):
            p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
            sys.stdout.write(
                f"\nrecord_decision ({name}) against moto: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms"
            )
    assert statistics.median(first) < 100
    assert statistics.median(duplicate) < 100
