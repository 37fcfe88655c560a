"""DynamoDB and Secrets Manager slow, throttled or down: always 200 {} inside the budget, never a 5xx.

The webhook's clock is the tests' (tests/conftest.py): a budget runs out when a test moves that clock, so the
reason an answer gives never depends on how busy the machine is.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from functions.webhook import handler
from functions.webhook.dependencies import deps
from tests.fixtures.apigw import load_event
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually
from tests.fixtures.network import free_port

BUDGET_MS = 1000


@pytest.fixture(autouse=True)
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGET_MS", str(BUDGET_MS))


def call(lambda_context: Any, fixture: str = "webhook_phone_incoming_signed.json") -> tuple[int, Any]:
    response = handler.lambda_handler(load_event(fixture), lambda_context)
    return response["statusCode"], json.loads(response["body"])


def last_reason(json_logs: Any) -> str:
    return str([line for line in json_logs() if line["message"].startswith("webhook answered")][-1]["reason"])


def test_slow_dynamodb_answers_fallback_within_budget(
    demo_tenant: str, lambda_context: Any, json_logs: Any, webhook_clock: FakeClock
) -> None:
    # Given DynamoDB that does not answer
    release = threading.Event()
    deps.store.client.meta.events.register("before-call.dynamodb", lambda **_: release.wait(SAFETY_NET_S))
    try:
        with ThreadPoolExecutor(max_workers=1) as caller:
            answer = caller.submit(call, lambda_context)
            # When the budget runs out while the call waits for its read
            webhook_clock.advance_when_waiting(BUDGET_MS / 1000)
            status, body = answer.result(SAFETY_NET_S)
        # Then the call gets `{}` without waiting for DynamoDB, which has still not answered
        assert (status, body) == (200, {})
        assert not release.is_set()
        assert last_reason(json_logs) == "budget_exceeded"
    finally:
        release.set()
        eventually(lambda: deps.store.loader.outstanding() == 0, "the abandoned read ends before moto does")


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "AccessDeniedException"]
)
def test_dynamodb_errors_answer_fallback(demo_tenant: str, lambda_context: Any, json_logs: Any, code: str) -> None:
    stubber = Stubber(deps.store.client)
    for _ in range(2):  # the Query and the BatchGetItem run side by side on a cold call
        stubber.add_client_error("query", service_error_code=code)
        stubber.add_client_error("batch_get_item", service_error_code=code)
    with stubber:
        status, body = call(lambda_context)
    assert (status, body) == (200, {})
    assert last_reason(json_logs) == "store_unavailable"


def test_dynamodb_unreachable_answers_fallback(demo_tenant: str, lambda_context: Any, json_logs: Any) -> None:
    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")

    deps.store.client.meta.events.register("before-call.dynamodb", refuse)
    status, body = call(lambda_context, "webhook_web_incoming_signed.json")
    assert (status, body) == (200, {})
    assert last_reason(json_logs) == "store_unavailable"


def test_secrets_manager_down_answers_fallback_not_401(demo_tenant: str, lambda_context: Any, json_logs: Any) -> None:
    stubber = Stubber(deps.secrets.client)
    stubber.add_client_error("get_secret_value", service_error_code="InternalServiceError", http_status_code=500)
    with stubber:
        status, body = call(lambda_context)
    assert (status, body) == (200, {})
    assert last_reason(json_logs) == "secrets_unavailable"


def test_everything_unreachable_answers_fallback(
    monkeypatch: pytest.MonkeyPatch, webhook_env: dict[str, str], lambda_context: Any, json_logs: Any
) -> None:
    # No moto at all: every AWS endpoint is a closed local port.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    status, body = call(lambda_context)
    assert (status, body) == (200, {})
    assert last_reason(json_logs) == "secrets_unavailable"


def test_missing_settings_answer_fallback(monkeypatch: pytest.MonkeyPatch, lambda_context: Any, json_logs: Any) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    status, body = call(lambda_context)
    assert (status, body) == (200, {})
    assert last_reason(json_logs) == "internal_error"


def test_non_http_event_is_a_4xx(lambda_context: Any) -> None:
    assert handler.lambda_handler({"Records": []}, lambda_context)["statusCode"] == 400
