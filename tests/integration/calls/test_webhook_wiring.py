"""The decision log and outcomes through the Lambdas themselves (moto, signed events): the webhook logs the
decision and queues the outcome, the outcome recorder drains the queue into the calls table."""

from __future__ import annotations

import json
from typing import Any

from functions.webhook import handler
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import get_call, wait_for_decision
from tests.fixtures.outcomes import drain_outcomes


def invoke(event: dict[str, Any], lambda_context: Any) -> tuple[int, dict[str, Any]]:
    response = handler.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def complete_body(event_type: str, call_id: int, **data: Any) -> bytes:
    payload = {"type": event_type, "data": {"call_id": call_id, **data}}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def test_webhook_logs_the_decision_then_stores_the_outcome_beside_it(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    incoming = webhook_body("web.incoming", 4242, "web", "")
    status, body = invoke(signed_event(f"/webhooks/{demo.PRICING_TOKEN}", incoming), lambda_context)
    assert status == 200 and body
    wait_for_decision(aws["dynamodb"], demo_tenant, 4242)

    complete = complete_body("web.complete", 4242, direction="widget", status="completed", billable_minutes=3)
    for _ in range(2):  # delivered twice
        status, body = invoke(signed_event(f"/webhooks/{demo.PRICING_TOKEN}", complete), lambda_context)
        assert (status, body) == (200, {"received": True})
    assert drain_outcomes(aws["sqs"]).delivered == 2

    item = get_call(aws["dynamodb"], demo_tenant, 4242)
    assert item is not None
    assert (item["decision"], item["widget_id"], item["channel"]) == ("config", "pricing", "web")
    assert (item["status"], item["billable_minutes"]) == ("completed", 3)


def test_webhook_org_endpoint_outcome_finds_the_tenant_by_number(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    org = f"/webhooks/{demo.ORG_TOKEN}"
    incoming = webhook_body("telephony.incoming", 77, "+14155550123", demo.DEMO_NUMBER)
    assert invoke(signed_event(org, incoming), lambda_context)[0] == 200  # the router answers it for demo
    wait_for_decision(aws["dynamodb"], demo_tenant, 77)  # the call ends minutes later, its decision long stored
    complete = complete_body("telephony.complete", 77, to_number=demo.DEMO_NUMBER, status="failed")

    status, _ = invoke(signed_event(org, complete), lambda_context)
    drain_outcomes(aws["sqs"])

    assert status == 200
    item = get_call(aws["dynamodb"], demo_tenant, 77)
    assert item is not None and item["status"] == "failed"
