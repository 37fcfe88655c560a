"""Predicted call ids: Mallory sends a signed incoming event for call id X to her own key URL, before or while
the victim's real session X happens, hoping the victim's completion, grade, transcript and cost are stored
under her, or at least not under the victim. ThunderPhone's call ids are integers and may well be sequential,
so she can guess X.

The attribution rule (functions/outcomes/attribution.py) answers: a decision counts only when it fits the call's
start; a call several tenants' decisions fit is settled by ThunderPhone's record or waits for the operator.
Decisions reach the calls table as in AWS, from the webhook's log lines through the subscription (`decisions`,
delivered when a test says so), and the clock is ThunderPhone's (`clock`)."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.common import table
from functions.common.clock import iso
from tests.fixtures import tenants as demo
from tests.fixtures.aws import CALLS_TABLE_NAME, get_call
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.outcomes import drain_outcomes
from tests.fixtures.thunderphone import FakeThunderPhone
from tests.security.conftest import MALLORY, VICTIM, Clock, Invoke, body, operator

ORG = f"/webhooks/{demo.ORG_TOKEN}"
WIDGET = f"/webhooks/{demo.PRICING_TOKEN}"  # the victim's widget key URL
CALLS = ("calls", "--calls-table", CALLS_TABLE_NAME)  # sbctl --operator calls ...
CLAIMANTS = ", ".join(sorted([VICTIM, MALLORY]))
TRANSCRIPT = [{"role": "user", "content_type": "text/plain", "content": "my card is 4111", "start_ms": 0}]
pytestmark = pytest.mark.subscribed_decisions  # decisions reach the calls table when `decisions` delivers them


def web_session(call_id: int) -> bytes:
    return body("web.incoming", call_id=call_id, from_number="web", to_number="")


def web_complete(call_id: int, start: datetime, **data: Any) -> bytes:
    facts = {"direction": "widget", "status": "completed", "billable_minutes": 3, "billing_total_cents": 27}
    return body("web.complete", call_id=call_id, start_time=iso(start), transcripts=TRANSCRIPT, **facts | data)


def grade(call_id: int, score: int = 91, **extra: Any) -> bytes:
    return body("call.graded", call_id=call_id, grade={"score": score, "grader_model": "full"}, **extra)


def outcome_of(aws: dict[str, Any], tenant_id: str, call_id: int) -> dict[str, Any]:
    """What a tenant's call record holds of the call's outcome (its completion and grade groups)."""
    item = get_call(aws["dynamodb"], tenant_id, call_id) or {}
    kept = ("status", "billable_minutes", "billing_total_cents", "transcript_gz", "grade_score", "recording_url")
    return {name: item[name] for name in kept if name in item}


def counted(output: str, metric: str) -> float:
    """The sum of a metric over the EMF documents a function printed."""
    total = 0.0
    for line in output.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        value = document.get(metric) if isinstance(document, dict) and "_aws" in document else None
        total += sum(value) if isinstance(value, list) else (value or 0)
    return total


def waiting(aws: dict[str, Any], call_id: int) -> list[dict[str, Any]]:
    """The call's events set aside for the operator."""
    request = {
        "TableName": CALLS_TABLE_NAME,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
        "ExpressionAttributeValues": {
            ":pk": {"S": table.CONTESTED_PK},
            ":sk": {"S": table.contested_prefix(call_id) + "EVENT#"},
        },
    }
    return list(aws["dynamodb"].query(**request)["Items"])


def test_a_call_id_claimed_hours_before_the_session_never_takes_the_victims_outcome(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DECISION_SETTLE_SECONDS", "120")  # as deployed: decisions arrive seconds after answers
    start, call_id = clock.at, 424_242
    # Two hours before the victim's widget session 424242 exists, Mallory claims its id on her own URL.
    clock.at = start - timedelta(hours=2)
    assert invoke(mallory_url, web_session(call_id))[0] == 200
    decisions.flush()
    # The victim's real session starts; its decision is still on its way to the calls table when the call ends
    # and ThunderPhone reports it, on the org-level URL (no number in a widget's events) and on the key's URL.
    clock.at = start
    assert invoke(WIDGET, web_session(call_id))[0] == 200
    clock.at = start + timedelta(seconds=20)
    for url in (ORG, WIDGET):
        assert invoke(url, web_complete(call_id, start)) == (200, {"received": True})
    assert invoke(ORG, grade(call_id)) == (200, {"received": True})  # a grade's start is ThunderPhone's record's
    thunderphone_api.add_call(call_id=call_id, direction="widget", to_number="", start_time=iso(start))

    early = drain_outcomes(aws["sqs"])
    decisions.flush()
    clock.at = start + timedelta(minutes=3)
    late = drain_outcomes(aws["sqs"])

    assert len(early.failed) == 3 and late.failed == []  # put back while a claiming decision could still arrive
    assert outcome_of(aws, MALLORY, call_id) == {}
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, call_id) is None
    victims = outcome_of(aws, VICTIM, call_id)
    assert (victims["status"], victims["billing_total_cents"], victims["grade_score"]) == ("completed", 27, 91)


@pytest.mark.parametrize("claimed", [-290, -1, 0, 59])
def test_a_claim_within_the_window_contests_the_call_and_wins_nothing(
    claimed: int,
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    start, call_id = clock.at, 7_000 + claimed
    # Mallory claims the id seconds around the victim's session start, in either order.
    steps = [(start + timedelta(seconds=claimed), mallory_url), (start, WIDGET)]
    for at, url in sorted(steps, key=lambda step: step[0]):
        clock.at = at
        assert invoke(url, web_session(call_id))[0] == 200
    decisions.flush()
    clock.at = start + timedelta(minutes=5)
    invoke(ORG, web_complete(call_id, start))
    invoke(ORG, grade(call_id))
    invoke(mallory_url, web_complete(call_id, start, billing_total_cents=99_999))  # and a forged bill on her URL

    drained = drain_outcomes(aws["sqs"])

    assert (drained.delivered, drained.failed) == (3, [])
    assert outcome_of(aws, MALLORY, call_id) == {} and outcome_of(aws, VICTIM, call_id) == {}
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, call_id) is None
    assert len(waiting(aws, call_id)) == 3  # kept whole for the operator, never dropped
    assert counted(capsys.readouterr().out, "OutcomeContested") == 3


def test_racing_claims_are_set_aside_every_time_and_the_operator_assigns_them(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
) -> None:
    rounds = [9_100 + index for index in range(12)]
    for call_id in rounds:
        # Mallory's claim and the victim's session race each other, in a different order each round.
        requests = [(mallory_url, web_session(call_id)), (WIDGET, web_session(call_id))]
        random.shuffle(requests)
        with ThreadPoolExecutor(max_workers=2) as pool:
            assert [status for status, _ in pool.map(lambda r: invoke(*r), requests)] == [200, 200]
    decisions.flush()
    start = clock.at
    clock.at = start + timedelta(minutes=4)
    for call_id in rounds:
        invoke(ORG, web_complete(call_id, start))
        invoke(WIDGET, web_complete(call_id, start))  # the victim's key URL too: the route names the victim
        invoke(mallory_url, grade(call_id, score=1))
    assert drain_outcomes(aws["sqs"]).failed == []

    for call_id in rounds:
        assert outcome_of(aws, MALLORY, call_id) == {} and outcome_of(aws, VICTIM, call_id) == {}
        assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, call_id) is None
        assert len(waiting(aws, call_id)) == 3

    # The operator looks, and assigns the first call to the victim (Mallory cannot be given an event that
    # arrived on the victim's URL, nor can anyone who did not claim the call).
    listed = operator(aws, *CALLS, "contested", "--call", str(rounds[0]))
    refused = operator(aws, *CALLS, "assign", str(rounds[0]), "--tenant", "acme2")
    assigned = operator(aws, *CALLS, "assign", str(rounds[0]), "--tenant", VICTIM)
    # A later event of that call follows the operator's choice at once.
    invoke(ORG, grade(rounds[0], score=77, report={"outcome_label": "booked"}))
    drain_outcomes(aws["sqs"])

    assert listed[0] == 0 and f"call {rounds[0]}: claimed by {CLAIMANTS}; 3 events set aside" in listed[1]
    assert refused[0] == 1 and "acme2's decision does not fit" in refused[2]
    assert assigned[0] == 0 and "2 events stored under" in assigned[1] and "refused call.graded" in assigned[1]
    victims = outcome_of(aws, VICTIM, rounds[0])
    assert (victims["status"], victims["billing_total_cents"], victims["grade_score"]) == ("completed", 27, 77)
    assert "transcript_gz" not in victims  # the victim keeps no transcripts: its switch, not the event's route
    assert waiting(aws, rounds[0]) == [] and outcome_of(aws, MALLORY, rounds[0]) == {}
    assert len(waiting(aws, rounds[1])) == 3  # the others still wait


def test_a_contested_phone_call_is_settled_by_thunderphones_record_of_the_number_called(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
) -> None:
    start, call_id = clock.at, 31_337
    # Mallory claims the id as a phone call on her URL, naming the victim's number; the victim's real call
    # reaches its number through the org-level URL a moment later.
    claim = body("telephony.incoming", call_id=call_id, from_number="+14155550123", to_number=demo.DEMO_NUMBER)
    real = body("telephony.incoming", call_id=call_id, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER)
    assert invoke(mallory_url, claim)[0] == 200
    clock.at = start + timedelta(seconds=2)
    assert "Acme Dental" in invoke(ORG, real)[1]["prompt"]
    decisions.flush()
    thunderphone_api.add_call(call_id=call_id, direction="inbound", to_number=demo.DEMO_NUMBER, start_time=iso(start))
    clock.at = start + timedelta(minutes=6)
    # ThunderPhone grades the call (a grade names no number) and Mallory forges a completion on her URL.
    invoke(ORG, grade(call_id))
    invoke(mallory_url, body("telephony.complete", call_id=call_id, start_time=iso(start), billing_total_cents=9_999))

    drained = drain_outcomes(aws["sqs"])

    assert drained.failed == []
    assert outcome_of(aws, VICTIM, call_id) == {"grade_score": 91}
    assert outcome_of(aws, MALLORY, call_id) == {}
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, call_id) is None and waiting(aws, call_id) == []


def test_a_forged_start_time_wins_only_the_forgers_own_partition(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], decisions: DecisionSubscription, clock: Clock
) -> None:
    start, call_id = clock.at, 55_555
    clock.at = start - timedelta(hours=1)
    invoke(mallory_url, web_session(call_id))
    clock.at = start
    invoke(WIDGET, web_session(call_id))
    decisions.flush()
    clock.at = start + timedelta(minutes=5)
    # Mallory's completion says the call started when she claimed it, so that her decision fits and the victim's
    # does not: on her own URL that can only ever reach her own partition.
    forged = web_complete(call_id, start - timedelta(hours=1), billing_total_cents=1)
    invoke(mallory_url, forged)
    invoke(ORG, web_complete(call_id, start))

    drain_outcomes(aws["sqs"])

    assert outcome_of(aws, MALLORY, call_id)["billing_total_cents"] == 1  # her own bill, nobody else's
    assert outcome_of(aws, VICTIM, call_id)["billing_total_cents"] == 27


def test_the_backfill_follows_the_same_rule(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.call_sync.handler import lambda_handler

    monkeypatch.setenv("SYNC_SAFETY_MARGIN_MS", "1000")
    start = clock.at.replace(microsecond=0)
    claimed_early, claimed_close, phone = 61_001, 61_002, 61_003
    clock.at = start - timedelta(hours=3)
    invoke(mallory_url, web_session(claimed_early))
    clock.at = start - timedelta(seconds=30)
    invoke(mallory_url, web_session(claimed_close))
    invoke(mallory_url, body("telephony.incoming", call_id=phone, from_number="+14155550123", to_number=""))
    clock.at = start
    invoke(WIDGET, web_session(claimed_early))
    invoke(WIDGET, web_session(claimed_close))
    invoke(ORG, body("telephony.incoming", call_id=phone, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER))
    decisions.flush()
    for call_id, direction, number in (
        (claimed_early, "widget", ""),
        (claimed_close, "widget", ""),
        (phone, "inbound", demo.DEMO_NUMBER),
    ):
        thunderphone_api.add_call(
            call_id=call_id,
            direction=direction,
            to_number=number,
            start_time=iso(start),
            billable_minutes=2,
            billing_total_cents=18,
            grade_score=0.8,
        )
    window = {"start": iso(start - timedelta(hours=1)), "end": iso(start + timedelta(hours=1)), "restart": True}

    [report] = lambda_handler(window, lambda_context)["windows"]
    assigned = operator(
        aws, "calls", "--calls-table", CALLS_TABLE_NAME, "assign", str(claimed_close), "--tenant", VICTIM
    )
    [again] = lambda_handler(window, lambda_context)["windows"]

    assert (report["matched"], report["contested"], report["completions_filled"]) == (2, 1, 2)
    assert outcome_of(aws, VICTIM, claimed_early) == {
        "status": "completed",
        "billable_minutes": 2,
        "billing_total_cents": 18,
        "grade_score": 80,
    }
    assert outcome_of(aws, VICTIM, phone)["billing_total_cents"] == 18  # settled by the number called
    # `assign` stored ThunderPhone's record the backfill had set aside: the next run finds nothing left to fill.
    assert assigned[0] == 0 and (again["matched"], again["contested"], again["completions_filled"]) == (3, 0, 0)
    assert outcome_of(aws, VICTIM, claimed_close)["billing_total_cents"] == 18
    for call_id in (claimed_early, claimed_close, phone):
        assert outcome_of(aws, MALLORY, call_id) == {}


def test_what_waits_for_the_operator_is_listed_in_words(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], decisions: DecisionSubscription, clock: Clock
) -> None:
    call_id = 80_808
    invoke(mallory_url, web_session(call_id))
    invoke(WIDGET, web_session(call_id))
    decisions.flush()
    invoke(ORG, web_complete(call_id, clock.at))
    drain_outcomes(aws["sqs"])

    code, out, _ = operator(aws, *CALLS, "contested")
    nothing = operator(aws, *CALLS, "contested", "--call", "1")

    assert code == 0
    assert f"call {call_id}: claimed by {CLAIMANTS}; 1 event set aside" in out
    assert "web.complete received" in out and "on the org-level URL" in out
    assert f"sbctl --operator calls assign {call_id} --tenant" in out
    assert nothing[1].strip() == "no contested call waits for call 1"
    assert outcome_of(aws, VICTIM, call_id) == {}
