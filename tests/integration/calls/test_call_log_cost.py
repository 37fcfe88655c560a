"""What `record_decision` costs, counted rather than timed: one conditional UpdateItem per decision against
moto, and a redelivered decision costs no more than a first one (and changes nothing). How long a write
takes is DynamoDB's and the machine's; how many the recorder makes is ours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from functions.calls.repository import CallRepository
from functions.webhook.models import CallFacts, Decision
from tests.fixtures.aws import CALLS_TABLE_NAME, get_call
from tests.fixtures.decisions import record_decision
from tests.integration.calls.conftest import NOW

FACTS = CallFacts(1, "web.incoming", "web", "web", "+15551234567", "home", NOW)
DECISION = Decision("acme", "config", "rule", rule_id="greet", variant="A", profile_id="a", profile_version=2)


def test_record_decision_costs_one_write_and_a_redelivery_no_more(aws: dict[str, Any]) -> None:
    log = CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)
    requests: Counter[str] = Counter()
    aws["dynamodb"].meta.events.register("before-call.dynamodb", lambda model, **_: requests.update([model.name]))
    calls = range(10_000, 10_100)

    first = [record_decision(log, replace(FACTS, call_id=call_id), DECISION, 1.0) for call_id in calls]
    first_requests = Counter(requests)
    requests.clear()
    other = replace(DECISION, variant="B")
    again = [record_decision(log, replace(FACTS, call_id=call_id), other, 1.0) for call_id in calls]

    assert all(first) and not any(again)
    assert first_requests == Counter({"UpdateItem": len(calls)})
    assert requests == Counter({"UpdateItem": len(calls)})
    item = get_call(aws["dynamodb"], "acme", calls[0])
    assert item is not None and item["variant"] == "A"  # the first decision stays
