"""The webhook Lambda in-process: real Powertools, real adapters, moto DynamoDB and Secrets Manager."""

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from functions.tenant_config.store import ConfigStore
from functions.webhook import handler
from functions.webhook.dependencies import deps
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import load_event, signed_event, webhook_body
from tests.fixtures.aws import (
    OUTCOME_QUEUE_URL,
    SIGNING_SECRET,
    SIGNING_SECRET_NAME,
    TABLE_NAME,
    add_route,
    count_webhook_aws_calls,
    put_by_hand,
)
from tests.fixtures.emf import metrics_of


def invoke(event: dict[str, Any], lambda_context: Any) -> tuple[int, dict[str, Any]]:
    response = handler.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def test_web_session_on_widget_path_gets_widget_profile(demo_tenant: str, lambda_context: Any) -> None:
    status, body = invoke(load_event("webhook_web_incoming_signed.json"), lambda_context)
    assert status == 200
    assert body["voice"] == "en-US-Ava1"
    assert body["prompt"].startswith("You answer questions about Acme Dental's prices")


def test_phone_call_from_vip_gets_concierge(demo_tenant: str, lambda_context: Any) -> None:
    status, body = invoke(load_event("webhook_phone_incoming_signed.json"), lambda_context)
    assert status == 200
    assert body["product"] == "storm-base-with-ack"
    assert "Jane Doe" in body["prompt"]
    assert body["tools"][0]["endpoint"]["headers"]["X-Api-Key"] == demo.TOOL_CREDENTIALS["crm_api_key"]


def test_org_endpoint_base64_legacy_event_routes_by_number(demo_tenant: str, lambda_context: Any) -> None:
    status, body = invoke(load_event("webhook_org_call_incoming_base64.json"), lambda_context)
    assert status == 200 and body["voice"]  # an unknown UK caller to the demo number: a demo profile


@pytest.mark.parametrize("fixture", ["webhook_bad_signature.json", "webhook_unsigned.json"])
def test_bad_or_missing_signature_is_401_without_detail(demo_tenant: str, lambda_context: Any, fixture: str) -> None:
    assert invoke(load_event(fixture), lambda_context) == (401, {"error": "unauthorized"})


def test_outcome_events_are_queued_then_acknowledged(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    assert invoke(load_event("webhook_telephony_complete_signed.json"), lambda_context) == (200, {"received": True})
    [message] = aws["sqs"].receive_message(QueueUrl=OUTCOME_QUEUE_URL, MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"]["tenant_id"]["StringValue"] == demo.TENANT_ID


def test_other_events_are_acknowledged(demo_tenant: str, lambda_context: Any) -> None:
    body = json.dumps({"type": "telephony.tool", "data": {"call_id": 5}}).encode()
    assert invoke(signed_event(f"/webhooks/{demo.KEY_TOKEN}", body), lambda_context) == (200, {"received": True})


def test_oversized_body_is_413(demo_tenant: str, lambda_context: Any) -> None:
    body = json.dumps({"type": "web.incoming", "data": {"pad": "x" * 70_000}}).encode()
    assert invoke(signed_event(f"/webhooks/{demo.KEY_TOKEN}", body), lambda_context)[0] == 413


def test_unknown_and_suspended_tenants_get_fallback(demo_tenant: str, lambda_context: Any) -> None:
    body = webhook_body("web.incoming", 1, "web")
    nobody = add_route(boto3.client("dynamodb"), "nobody")  # a route to a tenant with no items
    assert invoke(signed_event(nobody, body), lambda_context) == (200, {})
    # The operator suspends the tenant: it takes effect without a publish
    store = ConfigStore(boto3.client("dynamodb"), TABLE_NAME, actor="operator", writer="operator")
    tenant = store.get("demo", "tenant", "demo")
    assert tenant is not None
    store.put("demo", tenant.model_copy(update={"status": "suspended"}), expected_version=tenant.version)
    deps.store._configs.clear()
    assert invoke(signed_event(f"/webhooks/{demo.KEY_TOKEN}", body), lambda_context) == (200, {})


def test_draft_edits_by_hand_never_reach_callers(demo_tenant: str, lambda_context: Any) -> None:
    # Given a rule edited by hand into the draft, with a typo, as the console would let anyone do
    put_by_hand(boto3.client("dynamodb"), "demo", "CONFIG#RULE#typo", rule_id="typo", priority="first", profile_id="x")
    # When a call arrives, it is answered from the published version, which never held that item
    status, body = invoke(load_event("webhook_web_incoming_signed.json"), lambda_context)
    assert status == 200 and body.get("prompt")


def test_corrupt_published_item_gives_fallback_log_and_metric(
    demo_tenant: str, lambda_context: Any, json_logs: Any
) -> None:
    # Given the published item damaged by hand in the console
    put_by_hand(boto3.client("dynamodb"), "demo", "LIVE", version=3, config=b"not zlib")
    # When a call arrives
    status, body = invoke(load_event("webhook_web_incoming_signed.json"), lambda_context)
    # Then ThunderPhone gets {} and the operator gets a log line naming tenant and item, and a metric
    assert (status, body) == (200, {})
    log = next(line for line in json_logs() if line["message"] == "webhook answered with problems")
    assert log["tenant_id"] == "demo" and log["reason"] == "invalid_item"
    assert "LIVE" in log["problems"][0]
    emitted = metrics_of(log)  # the line's embedded metrics
    assert emitted["InvalidItem"][0] == 1
    assert emitted["FallbackByReason"] == (1, {"reason": "invalid_item", "service": log["service"]})


def test_warm_path_makes_no_aws_call_and_cold_miss_reads_once(demo_tenant: str, lambda_context: Any) -> None:
    calls = count_webhook_aws_calls()
    invoke(load_event("webhook_phone_incoming_signed.json"), lambda_context)
    # Cold: one signing-secret read, one GetItem for the URL's route, one BatchGetItem for the tenant's published
    # configuration and its plan and usage (read and cached together), one GetItem for the caller, one tool secret.
    assert calls == Counter({"secretsmanager.GetSecretValue": 2, "dynamodb.GetItem": 2, "dynamodb.BatchGetItem": 1})
    invoke(load_event("webhook_web_incoming_signed.json"), lambda_context)  # its own route: read once, cold
    calls.clear()
    for _ in range(3):
        assert invoke(load_event("webhook_phone_incoming_signed.json"), lambda_context)[0] == 200
        invoke(load_event("webhook_web_incoming_signed.json"), lambda_context)
    assert calls == Counter()


def test_warm_answers_are_answered_inline_and_a_miss_on_the_pool(
    demo_tenant: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed_off: list[Any] = []
    submit = deps.pool.submit
    monkeypatch.setattr(deps.pool, "submit", lambda fn, *a, **k: handed_off.append(fn) or submit(fn, *a, **k))
    phone = load_event("webhook_phone_incoming_signed.json")
    assert "Jane Doe" in invoke(phone, lambda_context)[1]["prompt"]
    assert len(handed_off) == 1  # cold: the reads waited for, on the pool, within the budget
    for _ in range(3):
        assert "Jane Doe" in invoke(phone, lambda_context)[1]["prompt"]
    assert len(handed_off) == 1  # warm: every read cached, answered on the request's own thread


def test_a_rotated_signing_secret_is_read_again_once_and_then_answered_inline(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    path = f"/webhooks/{demo.KEY_TOKEN}"
    body = webhook_body("telephony.incoming", 77, demo.VIP_CALLER, demo.DEMO_NUMBER)
    assert invoke(signed_event(path, body), lambda_context)[0] == 200  # the old secret, now cached
    aws["secretsmanager"].put_secret_value(
        SecretId=SIGNING_SECRET_NAME, SecretString=json.dumps(["whsec_new_0123456789", SIGNING_SECRET])
    )
    calls = count_webhook_aws_calls()
    status, answer = invoke(signed_event(path, body, secret="whsec_new_0123456789"), lambda_context)
    assert status == 200 and "Jane Doe" in answer["prompt"]
    assert calls == Counter({"secretsmanager.GetSecretValue": 1})  # the cached copy missed it: one re-read
    assert invoke(signed_event(path, body, secret="whsec_forged_0123456789"), lambda_context)[0] == 401
    assert invoke(signed_event(path, body, secret="whsec_new_0123456789"), lambda_context)[0] == 200
    assert calls == Counter({"secretsmanager.GetSecretValue": 1})  # re-reads are rate-limited


def test_the_answer_line_has_every_lines_keys_and_is_written_whatever_the_log_level(
    demo_tenant: str, lambda_context: Any, json_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.common.observability import logger

    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    logger.setLevel("ERROR")  # an operator quietening the function: the decision log must stay
    invoke(load_event("webhook_phone_incoming_signed.json"), lambda_context)
    line = next(entry for entry in json_logs() if entry["message"] == "webhook answered")
    assert (line["level"], line["service"], line["function_request_id"]) == (
        "INFO",
        logger.service,
        lambda_context.aws_request_id,
    )
    assert {"timestamp", "location", "cold_start", "function_name", "function_arn"} <= set(line)
    assert line["xray_trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert line["correlation_id"] == str(line["call_id"]) == str(line["decision"]["call_id"])


def test_logs_mask_caller_and_never_contain_prompts_or_secrets(
    demo_tenant: str, lambda_context: Any, json_logs: Any
) -> None:
    invoke(load_event("webhook_phone_incoming_signed.json"), lambda_context)
    output = json.dumps(json_logs())
    log = next(line for line in json_logs() if line["message"] == "webhook answered")
    assert log["caller"] == "+1415*****00" and log["rule_id"] == "vip" and log["correlation_id"] == "515151"
    for leaked in (demo.VIP_CALLER, "Jane Doe", demo.TOOL_CREDENTIALS["crm_api_key"], "whsec_"):
        assert leaked not in output
