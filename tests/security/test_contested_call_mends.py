"""Predicted call ids against the backfill and the operator's assignment: a phone call ThunderPhone says reached
the victim's number is never stored under a tenant that only predicted its id; an assignment cannot be changed
once made; events the assigned tenant cannot take stay set aside instead of disappearing; and what the backfill
finds contested waits for the operator as visibly as the recorder's contested events."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

import pytest

from functions.common import table
from functions.common.clock import iso
from tests.fixtures import tenants as demo
from tests.fixtures.aws import CALLS_TABLE_NAME, get_call
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.outcomes import drain_outcomes
from tests.fixtures.thunderphone import FakeThunderPhone
from tests.security.conftest import MALLORY, VICTIM, Clock, Invoke, body, operator, rival
from tests.security.test_call_id_claims import counted, grade, outcome_of, waiting, web_complete, web_session

ORG = f"/webhooks/{demo.ORG_TOKEN}"
WIDGET = f"/webhooks/{demo.PRICING_TOKEN}"  # the victim's widget key URL
CALLS = ("calls", "--calls-table", CALLS_TABLE_NAME)
BOB = "bob"
pytestmark = pytest.mark.subscribed_decisions  # decisions reach the calls table when `decisions` delivers them


@pytest.fixture
def bob_url(demo_tenant: str, aws: dict[str, Any]) -> str:
    """A third tenant, whose own key URL claims call ids too."""
    return rival(aws, BOB, "Bob's Bakery", "You are Bob's agent.")


def contest(invoke: Invoke, mallory_url: str, clock: Clock, call_id: int) -> None:
    """Mallory claims the id 30 seconds before the victim's widget session starts (clock.at)."""
    start = clock.at
    clock.at = start - timedelta(seconds=30)
    assert invoke(mallory_url, web_session(call_id))[0] == 200
    clock.at = start
    assert invoke(WIDGET, web_session(call_id))[0] == 200


@pytest.fixture
def backfill(lambda_context: Any, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Any:
    """One backfill run over the hour around the clock's time, as `sbctl calls sync --restart` asks for it."""
    from functions.call_sync.handler import lambda_handler

    monkeypatch.setenv("SYNC_SAFETY_MARGIN_MS", "1000")
    start = clock.at

    def run() -> dict[str, Any]:
        window = {"start": iso(start - timedelta(hours=1)), "end": iso(start + timedelta(hours=1)), "restart": True}
        [report] = lambda_handler(window, lambda_context)["windows"]
        return dict(report)

    return run


def test_the_backfill_never_stores_a_phone_call_to_the_victims_number_under_the_tenant_that_predicted_it(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
    backfill: Any,
) -> None:
    start, call_id = clock.at.replace(microsecond=0), 62_001
    # Mallory claims the id seconds before the victim's phone call; the victim's decision never reaches the table.
    clock.at = start - timedelta(seconds=30)
    invoke(mallory_url, body("telephony.incoming", call_id=call_id, from_number="+14155550123", to_number=""))
    decisions.flush()
    thunderphone_api.add_call(
        call_id=call_id,
        direction="inbound",
        from_number=demo.VIP_CALLER,
        to_number=demo.DEMO_NUMBER,
        start_time=iso(start),
        duration_seconds=240,
        billable_minutes=4,
        billing_total_cents=36,
        grade_score=0.7,
    )
    clock.at = start

    report = backfill()

    assert (report["matched"], report["unmatched"], report["completions_filled"]) == (0, 1, 0)
    mallorys = get_call(aws["dynamodb"], MALLORY, call_id) or {}
    assert {"caller", "billing_total_cents", "duration_seconds", "grade_score"}.isdisjoint(mallorys)
    assert get_call(aws["dynamodb"], VICTIM, call_id) is None
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, call_id) is None


def test_assigning_a_call_leaves_waiting_the_events_the_chosen_tenants_decision_does_not_fit(
    mallory_url: str, bob_url: str, invoke: Invoke, aws: dict[str, Any], decisions: DecisionSubscription, clock: Clock
) -> None:
    start, call_id = clock.at, 63_001
    clock.at = start - timedelta(hours=2)
    invoke(bob_url, web_session(call_id))  # far from the start: a claim only where the start is unknown
    clock.at = start
    contest(invoke, mallory_url, clock, call_id)
    decisions.flush()
    clock.at = start + timedelta(minutes=5)
    invoke(ORG, web_complete(call_id, start))  # its start is known: the victim and Mallory claim it
    invoke(ORG, grade(call_id))  # ThunderPhone's record is not read here: all three claim it
    drain_outcomes(aws["sqs"])

    code, out, _ = operator(aws, *CALLS, "assign", str(call_id), "--tenant", BOB)

    assert code == 0 and "1 event stored under bob" in out
    assert "still waiting: web.complete received on the org-level URL" in out and "None" not in out
    [kept] = waiting(aws, call_id)  # ThunderPhone's completion is not deleted: it waits for the operator
    assert kept["event_type"]["S"] == "web.complete"
    assert outcome_of(aws, BOB, call_id) == {"grade_score": 91}
    assert outcome_of(aws, VICTIM, call_id) == {} and outcome_of(aws, MALLORY, call_id) == {}


def test_an_assignment_cannot_be_changed_so_a_call_is_never_split_between_tenants(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], decisions: DecisionSubscription, clock: Clock
) -> None:
    start, call_id = clock.at, 63_002
    contest(invoke, mallory_url, clock, call_id)
    decisions.flush()
    clock.at = start + timedelta(minutes=5)
    invoke(ORG, web_complete(call_id, start))
    drain_outcomes(aws["sqs"])

    first = operator(aws, *CALLS, "assign", str(call_id), "--tenant", VICTIM)
    changed = operator(aws, *CALLS, "assign", str(call_id), "--tenant", MALLORY)
    again = operator(aws, *CALLS, "assign", str(call_id), "--tenant", VICTIM)
    invoke(ORG, grade(call_id))  # a later event follows the first choice
    drain_outcomes(aws["sqs"])

    assert first[0] == 0 and again[0] == 0
    assert changed[0] == 1 and f"call {call_id} is already assigned to {VICTIM}" in changed[2]
    victims = outcome_of(aws, VICTIM, call_id)
    assert (victims["billing_total_cents"], victims["grade_score"]) == (27, 91)
    assert outcome_of(aws, MALLORY, call_id) == {}
    listed = operator(aws, *CALLS, "contested", "--call", str(call_id))[1]
    assert listed.strip() == f"no contested call waits for call {call_id}"


def test_a_call_the_backfill_finds_contested_waits_for_the_operator_and_is_counted_once(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
    backfill: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    start, call_id = clock.at.replace(microsecond=0), 63_003
    clock.at = start
    contest(invoke, mallory_url, clock, call_id)
    decisions.flush()
    thunderphone_api.add_call(
        call_id=call_id, direction="widget", start_time=iso(start), billable_minutes=2, billing_total_cents=18
    )

    first, second = backfill(), backfill()
    metrics = capsys.readouterr().out
    listed = operator(aws, *CALLS, "contested")[1]

    assert (first["contested"], first["set_aside"], second["contested"], second["set_aside"]) == (1, 1, 1, 0)
    assert counted(metrics, "OutcomeContested") == 1
    assert (
        f"call {call_id}: claimed by {VICTIM}, {MALLORY}; ThunderPhone's record of it (found by the backfill)" in listed
    )
    assert f"{MALLORY} decided it at {iso(start - timedelta(seconds=30))}, 30 seconds before it started" in listed
    assert f"{VICTIM} decided it at {iso(start)}, at its start" in listed
    assert f"sbctl --operator calls assign {call_id} --tenant TENANT" in listed  # no claimant suggested
    assert outcome_of(aws, VICTIM, call_id) == {} and outcome_of(aws, MALLORY, call_id) == {}


def test_a_flood_of_bodies_from_ones_own_key_url_keeps_one_item_per_event_type_and_asks_thunderphone_once(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
    capsys: pytest.CaptureFixture[str],
) -> None:
    start, call_id = clock.at, 63_004
    contest(invoke, mallory_url, clock, call_id)
    decisions.flush()
    thunderphone_api.add_call(call_id=call_id, direction="widget", start_time=iso(start))
    clock.at = start + timedelta(minutes=5)
    for score in range(20):  # each a different body ThunderPhone would sign
        invoke(mallory_url, grade(call_id, score=score))
        invoke(mallory_url, web_complete(call_id, start, billing_total_cents=score))
    invoke(ORG, web_complete(call_id, start))

    assert drain_outcomes(aws["sqs"]).failed == []

    kept = {(item["route_kind"]["S"], item["event_type"]["S"]) for item in waiting(aws, call_id)}
    assert len(waiting(aws, call_id)) == 3
    assert kept == {("key", "call.graded"), ("key", "web.complete"), ("org", "web.complete")}
    assert counted(capsys.readouterr().out, "OutcomeContested") == 3
    assert thunderphone_api.count("GET", f"/v1/calls/{call_id}") == 1


def test_a_late_lower_ranked_event_from_a_key_url_never_displaces_the_better_one_waiting(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
) -> None:
    start, call_id = clock.at, 63_005
    contest(invoke, mallory_url, clock, call_id)
    decisions.flush()
    thunderphone_api.add_call(call_id=call_id, direction="widget", start_time=iso(start))
    clock.at = start + timedelta(minutes=5)
    # The full grade (with its report) arrives, then the fast one, late (queues reorder)
    invoke(mallory_url, grade(call_id, score=91, report={"outcome_label": "booked"}))
    invoke(mallory_url, grade(call_id, score=40))
    assert drain_outcomes(aws["sqs"]).failed == []

    [kept] = [item for item in waiting(aws, call_id) if item["event_type"]["S"] == "call.graded"]
    body = json.loads(gzip.decompress(kept["body_gz"]["B"]))
    assert body["data"]["grade"]["score"] == 91 and body["data"]["report"] == {"outcome_label": "booked"}
