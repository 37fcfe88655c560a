"""The decision log and outcomes through the webhook Lambda itself (moto, signed events)."""

from __future__ import annotations

import json
from typing import Any

from functions.webhook import handler
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.integration.calls.conftest import get_call


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
    status, body = invoke(signed_event(f"/webhooks/{demo_tenant}/pricing", incoming), lambda_context)
    assert status == 200 and body

    complete = complete_body("web.complete", 4242, direction="widget", status="completed", billable_minutes=3)
    for _ in range(2):  # delivered twice
        status, body = invoke(signed_event(f"/webhooks/{demo_tenant}/pricing", complete), lambda_context)
        assert (status, body) == (200, {"received": True})

    item = get_call(aws["dynamodb"], demo_tenant, 4242)
    assert item is not None
    assert (item["decision"], item["widget_id"], item["channel"]) == ("config", "pricing", "web")
    assert (item["status"], item["billable_minutes"]) == ("completed", 3)


def test_webhook_org_endpoint_outcome_finds_the_tenant_by_number(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    complete = complete_body("telephony.complete", 77, to_number=demo.DEMO_NUMBER, status="failed")

    status, _ = invoke(signed_event("/webhooks", complete), lambda_context)

    assert status == 200
    item = get_call(aws["dynamodb"], demo_tenant, 77)
    assert item is not None and item["status"] == "failed"
