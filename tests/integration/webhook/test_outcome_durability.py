"""Outcome events are never lost, against moto with injected faults: the webhook answers 200 only once an
event is queued and a non-2xx (ThunderPhone retries) for every failure before that; the outcome recorder
retries what the calls table cannot take yet and keeps aside what DynamoDB can never store."""

from __future__ import annotations

import gzip
import json
import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from functions.outcome_recorder.dependencies import deps as recorder
from functions.outcomes.queue import MAX_RECEIVE_COUNT
from functions.tenant_config.models import AgentProfile, Tenant
from functions.webhook import handler
from functions.webhook.dependencies import deps
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, to_event, webhook_body
from tests.fixtures.aws import (
    OUTCOME_DLQ_URL,
    OUTCOME_QUARANTINE_QUEUE_URL,
    OUTCOME_QUEUE_URL,
    TABLE_NAME,
    add_route,
    count_webhook_aws_calls,
    get_call,
    seed,
    wait_for_decision,
)
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually
from tests.fixtures.outcomes import drain_outcomes, queued, waiting

PRICING = f"/webhooks/{demo.PRICING_TOKEN}"


def post(event: dict[str, Any], lambda_context: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = handler.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"]), response.get("headers") or {}


def completion(call_id: int, **data: Any) -> bytes:
    """A web.complete body as ThunderPhone serialises it (NaN and huge numbers included, as Python's json)."""
    payload = {"type": "web.complete", "data": {"call_id": call_id, "direction": "widget", **data}}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def refuse(**_: Any) -> None:
    raise EndpointConnectionError(endpoint_url="https://unreachable.invalid")


@pytest.fixture
def decided_call(demo_tenant: str, aws: dict[str, Any], lambda_context: Any) -> int:
    """A widget session the router answered for the demo tenant (its decision is in the calls table)."""
    assert post(signed_event(PRICING, webhook_body("web.incoming", 4343, "web", "")), lambda_context)[0] == 200
    wait_for_decision(aws["dynamodb"], demo_tenant, 4343)
    return 4343


@pytest.fixture
def keeper_url(demo_tenant: str, aws: dict[str, Any]) -> Iterator[str]:
    """A tenant that keeps transcripts, and its key's webhook URL."""
    tenant = Tenant(tenant_id="keeper", display_name="Keeper", default_profile_id="main", keep_transcripts=True)
    seed(aws["dynamodb"], TABLE_NAME, "keeper", [AgentProfile(profile_id="main", prompt="Hi", voice="v1"), tenant])
    yield add_route(aws["dynamodb"], "keeper", "site")


def test_secrets_manager_down_is_503_and_the_retry_after_recovery_is_stored(
    decided_call: int, aws: dict[str, Any], lambda_context: Any, json_logs: Any
) -> None:
    # Given a cold container whose Secrets Manager read fails
    deps.reset()  # nothing cached: the signing secrets must be read for this request
    body = completion(decided_call, status="completed", billable_minutes=4)
    stubber = Stubber(deps.secrets.client)
    stubber.add_client_error("get_secret_value", service_error_code="InternalServiceError", http_status_code=500)

    # When ThunderPhone delivers the completion
    with stubber:
        status, answer, headers = post(signed_event(PRICING, body), lambda_context)

    # Then it is told to come back (not a 200 that would drop it), and nothing is queued
    assert (status, answer, headers.get("Retry-After")) == (503, {"error": "unavailable"}, "30")
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0
    # And ThunderPhone's retry, once Secrets Manager is back, is queued and stored
    assert post(signed_event(PRICING, body), lambda_context)[:2] == (200, {"received": True})
    assert drain_outcomes(aws["sqs"]).delivered == 1
    item = get_call(aws["dynamodb"], demo.TENANT_ID, decided_call)
    assert item is not None and (item["status"], item["billable_minutes"]) == ("completed", 4)


def test_queue_unreachable_is_503_and_nothing_is_acknowledged(
    decided_call: int, aws: dict[str, Any], lambda_context: Any, json_logs: Any
) -> None:
    assert deps.outcome_queue is not None
    deps.outcome_queue.client.meta.events.register("before-call.sqs", refuse)

    status, answer, headers = post(signed_event(PRICING, completion(decided_call, status="failed")), lambda_context)

    assert (status, answer, headers.get("Retry-After")) == (503, {"error": "unavailable"}, "30")
    assert [line for line in json_logs() if line["message"].startswith("webhook answered")][-1]["reason"] == (
        "queue_unavailable"
    )


def test_queue_too_slow_is_503_within_the_outcome_budget(
    monkeypatch: pytest.MonkeyPatch,
    decided_call: int,
    aws: dict[str, Any],
    lambda_context: Any,
    webhook_clock: FakeClock,
) -> None:
    monkeypatch.setenv("OUTCOME_BUDGET_MS", "10000")
    deps.reset()
    assert deps.outcome_queue is not None
    sending, release = threading.Event(), threading.Event()

    def slow_queue(**_: Any) -> None:
        sending.set()
        assert release.wait(SAFETY_NET_S)

    deps.outcome_queue.client.meta.events.register("before-call.sqs", slow_queue)
    body = completion(decided_call, status="failed")
    arrived = webhook_clock()

    with ThreadPoolExecutor(max_workers=1) as thunderphone:
        delivery = thunderphone.submit(post, signed_event(PRICING, body), lambda_context)
        assert sending.wait(SAFETY_NET_S)
        # An outcome event is not a blocking call: past BUDGET_MS it is still waited for
        webhook_clock.advance_when_waiting(deps.settings.BUDGET_MS / 1000)
        eventually(lambda: webhook_clock.waits_until() == [arrived + 10.0], "the wait goes on to OUTCOME_BUDGET_MS")
        assert not delivery.done()
        # until OUTCOME_BUDGET_MS, and then it is a 503 while the queue has still not answered
        webhook_clock.advance(10.0)
        status, _, headers = delivery.result(SAFETY_NET_S)
    assert (status, headers.get("Retry-After")) == (503, "30")
    assert not release.is_set()
    # The abandoned send may still land: ThunderPhone's retry is then a duplicate, which the recorder dedupes.
    # Let it land here so it never lands in the next test's queue.
    release.set()
    eventually(lambda: waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 1, "the abandoned send lands")


def test_route_store_down_is_429_for_an_outcome(demo_tenant: str, aws: dict[str, Any], lambda_context: Any) -> None:
    deps.store.client.meta.events.register("before-call.dynamodb", refuse)

    status, answer, headers = post(signed_event(PRICING, completion(1, status="completed")), lambda_context)

    assert (status, answer, headers.get("Retry-After")) == (429, {"error": "store_unavailable"}, "30")
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0


def test_no_outcome_queue_configured_is_503_and_says_why(
    monkeypatch: pytest.MonkeyPatch, demo_tenant: str, lambda_context: Any, json_logs: Any
) -> None:
    monkeypatch.delenv("OUTCOME_QUEUE_URL")

    status, _, _ = post(signed_event(PRICING, completion(1, status="completed")), lambda_context)
    incoming = post(signed_event(PRICING, webhook_body("web.incoming", 2, "web", "")), lambda_context)

    assert (status, incoming[0]) == (503, 200) and incoming[1]["prompt"]  # calls are unaffected
    assert any("OUTCOME_QUEUE_URL is not set" in line["message"] for line in json_logs())


def test_calls_table_failing_in_the_recorder_fails_only_that_record_then_it_is_stored(
    decided_call: int, aws: dict[str, Any], lambda_context: Any
) -> None:
    body = completion(decided_call, status="completed", billable_minutes=2)
    assert post(signed_event(PRICING, body), lambda_context)[0] == 200
    recorder.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", refuse)

    # The calls table refuses the write: the record is reported as a batch item failure and stays queued
    first = drain_outcomes(aws["sqs"])
    assert (first.delivered, len(first.failed)) == (1, 1)
    item = get_call(aws["dynamodb"], demo.TENANT_ID, decided_call)
    assert item is not None and "status" not in item
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 1

    # Once the table is back, the redelivered record is stored
    recorder.dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", refuse)
    second = drain_outcomes(aws["sqs"])
    assert (second.delivered, second.failed) == (1, [])
    item = get_call(aws["dynamodb"], demo.TENANT_ID, decided_call)
    assert item is not None and item["billable_minutes"] == 2
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0


def test_a_record_that_keeps_failing_moves_to_the_dead_letter_queue(
    decided_call: int, aws: dict[str, Any], lambda_context: Any
) -> None:
    assert post(signed_event(PRICING, completion(decided_call, status="completed")), lambda_context)[0] == 200
    recorder.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", refuse)

    for _ in range(MAX_RECEIVE_COUNT):
        assert len(drain_outcomes(aws["sqs"]).failed) == 1
    assert drain_outcomes(aws["sqs"]).delivered == 0  # SQS moved it on the next receive

    [dead] = queued(aws["sqs"], OUTCOME_DLQ_URL)
    assert json.loads(dead["Body"])["data"]["call_id"] == decided_call  # kept for a redrive once fixed
    assert dead["MessageAttributes"]["tenant_id"]["StringValue"] == demo.TENANT_ID


def test_a_110_kb_completion_is_accepted_and_stored_with_its_transcript(
    keeper_url: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    # A 20-minute call's transcript: far over MAX_BODY_BYTES (64 KiB), under MAX_OUTCOME_BODY_BYTES
    transcript = [
        {"role": "user" if i % 2 else "assistant", "content_type": "text/plain", "content": f"turn {i} " + "w" * 200}
        for i in range(410)
    ]
    body = completion(9090, status="completed", billable_minutes=20, transcripts=transcript)
    assert 105_000 < len(body) < 115_000  # about 110 KB

    status, answer, _ = post(signed_event(keeper_url, body), lambda_context)
    drained = drain_outcomes(aws["sqs"])

    assert (status, answer) == (200, {"received": True})
    assert (drained.delivered, drained.failed) == (1, [])
    item = get_call(aws["dynamodb"], "keeper", 9090)
    assert item is not None and item["billable_minutes"] == 20
    assert json.loads(gzip.decompress(bytes(item["transcript_gz"]))) == transcript


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "completed", "billable_minutes": 1e200}, "billable_minutes"),
        ({"status": "completed", "duration_seconds": math.inf}, "duration_seconds"),
    ],
)
def test_a_completion_dynamodb_cannot_store_is_acknowledged_once_and_quarantined(
    decided_call: int,
    aws: dict[str, Any],
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    data: dict[str, Any],
    field: str,
) -> None:
    status, answer, _ = post(signed_event(PRICING, completion(decided_call, **data)), lambda_context)
    drained = drain_outcomes(aws["sqs"])

    assert (status, answer) == (200, {"received": True})  # acknowledged once: ThunderPhone never retries it
    assert (drained.delivered, drained.failed) == (1, [])  # consumed, not retried for a day
    assert '"OutcomeQuarantined"' in capsys.readouterr().out
    [kept] = queued(aws["sqs"], OUTCOME_QUARANTINE_QUEUE_URL)
    assert kept["MessageAttributes"]["quarantine_reason"]["StringValue"] == f"not storable in DynamoDB: {field}"
    item = get_call(aws["dynamodb"], demo.TENANT_ID, decided_call)
    assert item is not None and "status" not in item
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0 and drain_outcomes(aws["sqs"]).delivered == 0


def test_a_grade_with_nan_is_quarantined(decided_call: int, aws: dict[str, Any], lambda_context: Any) -> None:
    body = json.dumps({"type": "call.graded", "data": {"call_id": decided_call, "grade": {"score": math.nan}}})
    assert "NaN" in body

    assert post(signed_event(PRICING, body.encode()), lambda_context)[0] == 200
    assert drain_outcomes(aws["sqs"]).failed == []

    [kept] = queued(aws["sqs"], OUTCOME_QUARANTINE_QUEUE_URL)
    assert kept["Body"] == body
    item = get_call(aws["dynamodb"], demo.TENANT_ID, decided_call)
    assert item is not None and "grade_score" not in item


def test_a_300_kb_body_is_413(demo_tenant: str, aws: dict[str, Any], lambda_context: Any) -> None:
    body = completion(1, status="completed", transcripts=[{"content": "x" * 300_000}])

    status, answer, _ = post(signed_event(PRICING, body), lambda_context)

    assert (status, answer) == (413, {"error": "payload_too_large"})
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0


@pytest.mark.parametrize("size", [200, 100_000])
def test_an_unsigned_outcome_is_401_without_any_aws_call_but_the_signing_secrets(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any, size: int
) -> None:
    # A warm container (the signing secrets cached by a real call)
    assert post(signed_event(PRICING, webhook_body("web.incoming", 1, "web", "")), lambda_context)[0] == 200
    assert deps.outcome_queue is not None
    calls = count_webhook_aws_calls(deps.outcome_queue.client)
    body = completion(2, status="completed", pad="x" * size)

    for signature in (None, "0" * 64):
        headers = {"content-type": "application/json"} | ({"x-thunderphone-signature": signature} if signature else {})
        status, answer, _ = post(to_event("POST", PRICING, headers, body, "203.0.113.9"), lambda_context)
        assert (status, answer) == (401, {"error": "unauthorized"})

    assert set(calls) <= {"secretsmanager.GetSecretValue"}  # at most the rate-limited re-read of the secrets
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0


def test_an_unexpected_error_is_503_for_an_outcome_event_and_fallback_for_a_call(
    monkeypatch: pytest.MonkeyPatch, demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug after the answer was decided")

    monkeypatch.setattr(handler.telemetry, "record_answer", broken)

    outcome = post(signed_event(PRICING, completion(3, status="completed")), lambda_context)
    incoming = post(signed_event(PRICING, webhook_body("web.incoming", 4, "web", "")), lambda_context)

    assert (outcome[0], outcome[2].get("Retry-After")) == (503, "30")  # ThunderPhone delivers it again
    assert incoming[:2] == (200, {})
