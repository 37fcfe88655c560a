"""Going around edge protection: with CloudFront and AWS WAF in front of the API, an attacker who finds the API's
execute-api host or its custom domain's endpoint calls it directly, so the WAF's per-source limit never sees them.
CloudFront adds a secret header to what it forwards (functions/webhook/origin.py); without it the webhook answers
403 before reading anything, even for a body ThunderPhone signed."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from functions.webhook import handler
from functions.webhook.dependencies import deps
from functions.webhook.origin import ORIGIN_HEADER
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event
from tests.fixtures.aws import count_webhook_aws_calls
from tests.security.conftest import body

ORIGIN_SECRET_NAME = "switchboard/edge-origin"
CURRENT, PREVIOUS = "current-origin-value-0123456789abcdef", "previous-origin-value-0123456789abcd"
KEY_PATH = f"/webhooks/{demo.KEY_TOKEN}"
INCOMING = body("web.incoming", call_id=7, from_number="web", to_number="")
OUTCOME = body("web.complete", call_id=7, from_number="web", to_number="", duration_seconds=30)


@pytest.fixture
def edge(demo_tenant: str, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The stack's origin secret (as CloudFormation generates it) and the webhook told to require it."""
    secret = {"header": CURRENT}
    aws["secretsmanager"].create_secret(Name=ORIGIN_SECRET_NAME, SecretString=json.dumps(secret))
    monkeypatch.setenv("ORIGIN_SECRET_NAME", ORIGIN_SECRET_NAME)
    deps.reset()
    return aws


def post(lambda_context: Any, payload: bytes, origin: str | None) -> tuple[int, dict[str, Any]]:
    event = signed_event(KEY_PATH, payload)
    if origin is not None:
        event["headers"][ORIGIN_HEADER] = origin
    response = handler.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(
    "origin",
    [None, "", "guess", CURRENT[:-1], CURRENT.upper(), CURRENT + "x"],
    ids=["none", "empty", "guess", "short", "case", "long"],
)
def test_a_signed_call_that_went_around_cloudfront_is_refused_before_anything_is_read(
    edge: dict[str, Any], lambda_context: Any, origin: str | None
) -> None:
    calls = count_webhook_aws_calls()
    status, answer = post(lambda_context, INCOMING, origin)
    assert (status, answer) == (403, {"error": "forbidden"})
    # only the origin secret was read: no signing secret, no route, no tenant
    assert calls == Counter({"secretsmanager.GetSecretValue": 1})


def test_an_outcome_event_around_cloudfront_is_refused_too(edge: dict[str, Any], lambda_context: Any) -> None:
    assert post(lambda_context, OUTCOME, None) == (403, {"error": "forbidden"})


def test_through_cloudfront_the_call_is_answered_and_a_warm_answer_reads_nothing(
    edge: dict[str, Any], lambda_context: Any
) -> None:
    status, answer = post(lambda_context, INCOMING, CURRENT)
    assert status == 200 and answer["voice"]
    calls = count_webhook_aws_calls()
    status, answer = post(lambda_context, body("web.incoming", call_id=8, from_number="web", to_number=""), CURRENT)
    assert status == 200 and answer["voice"]
    assert calls == Counter()  # the origin secret is cached like the signing secrets


def test_while_a_rotation_reaches_cloudfront_both_values_pass(edge: dict[str, Any], lambda_context: Any) -> None:
    rotated = {"header": CURRENT, "previous": PREVIOUS}
    edge["secretsmanager"].put_secret_value(SecretId=ORIGIN_SECRET_NAME, SecretString=json.dumps(rotated))
    assert post(lambda_context, INCOMING, PREVIOUS)[0] == 200
    assert post(lambda_context, INCOMING, CURRENT)[0] == 200


def test_an_unreadable_origin_secret_falls_back_and_defers_outcomes(
    demo_tenant: str, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # The webhook is told to require the header, but the secret is missing: never a 5xx for a blocking call
    monkeypatch.setenv("ORIGIN_SECRET_NAME", "switchboard/no-such-secret")
    deps.reset()
    assert post(lambda_context, INCOMING, CURRENT) == (200, {})
    status, _ = post(lambda_context, OUTCOME, CURRENT)
    assert status == 503  # ThunderPhone delivers it again


def test_without_edge_protection_no_header_is_needed(demo_tenant: str, lambda_context: Any) -> None:
    status, answer = post(lambda_context, INCOMING, None)
    assert status == 200 and answer["voice"]
