"""Edge protection's origin check in report-only mode (ORIGIN_REPORT_ONLY, context `edgeOriginReportOnly`): while
the URLs made before edge protection are moved to CloudFront, a request that went around it is logged and answered
as usual, so no tenant's existing URL is refused at once; through CloudFront nothing changes."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from functions.webhook import handler
from functions.webhook.dependencies import deps
from functions.webhook.origin import ORIGIN_HEADER
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event
from tests.security.conftest import body

ORIGIN_SECRET_NAME = "switchboard/edge-origin"
CURRENT = "current-origin-value-0123456789abcdef"
KEY_PATH = f"/webhooks/{demo.KEY_TOKEN}"
REPORT_LINE = "the origin check would refuse this webhook request (report only)"


@pytest.fixture
def report_only(demo_tenant: str, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    aws["secretsmanager"].create_secret(Name=ORIGIN_SECRET_NAME, SecretString=json.dumps({"header": CURRENT}))
    monkeypatch.setenv("ORIGIN_SECRET_NAME", ORIGIN_SECRET_NAME)
    monkeypatch.setenv("ORIGIN_REPORT_ONLY", "true")
    deps.reset()


def post(lambda_context: Any, call_id: int, origin: str | None) -> tuple[int, dict[str, Any]]:
    event = signed_event(KEY_PATH, body("web.incoming", call_id=call_id, from_number="web", to_number=""))
    if origin is not None:
        event["headers"][ORIGIN_HEADER] = origin
    response = handler.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def test_a_call_around_cloudfront_is_answered_and_logged(
    report_only: None, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        status, answer = post(lambda_context, 7, None)
    assert status == 200 and answer["voice"]  # the tenant's configuration, not a refusal
    assert [r for r in caplog.records if r.getMessage() == REPORT_LINE]


def test_through_cloudfront_nothing_is_logged(
    report_only: None, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        status, answer = post(lambda_context, 8, CURRENT)
    assert status == 200 and answer["voice"]
    assert not [r for r in caplog.records if r.getMessage() == REPORT_LINE]


def test_an_unsigned_call_around_cloudfront_is_still_refused_by_its_signature(
    report_only: None, lambda_context: Any
) -> None:
    event = signed_event(KEY_PATH, body("web.incoming", call_id=9, from_number="web", to_number=""))
    event["headers"] = {k: v for k, v in event["headers"].items() if "signature" not in k.lower()}
    assert handler.lambda_handler(event, lambda_context)["statusCode"] == 401
