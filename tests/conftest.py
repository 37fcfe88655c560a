"""Shared test set-up: fake AWS credentials, Powertools settings, moto tables and secrets, events."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Set before anything imports boto3 or Powertools.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "POWERTOOLS_SERVICE_NAME": "switchboard-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "SwitchboardTests",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

EVENTS = Path(__file__).parent / "events"

TABLE_NAME = "switchboard-config"
CALLS_TABLE_NAME = "switchboard-calls"
SIGNING_SECRET_NAME = "switchboard/signing-secrets"
TOOL_SECRET_PREFIX = "switchboard/tenant-tools/"
SIGNING_SECRET = "whsec_test_current_0123456789"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())  # type: ignore[no-any-return]


@dataclass
class FakeLambdaContext:
    function_name: str = "webhook"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:webhook"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "TABLE_NAME": TABLE_NAME,
        "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
        "SIGNING_SECRET_NAME": SIGNING_SECRET_NAME,
        "TOOL_SECRET_PREFIX": TOOL_SECRET_PREFIX,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Factories and Powertools' parameter cache are per process; tests must not share them."""
    from aws_lambda_powertools.utilities import parameters

    from functions.webhook import handler

    def clear() -> None:
        factories = (
            handler.get_settings,
            handler.get_store,
            handler.get_secrets,
            handler.get_call_log,
            handler.get_metric_tenants,
        )
        for factory in factories:
            factory.cache_clear()
        parameters.clear_caches()

    clear()
    yield
    clear()


@pytest.fixture
def aws(webhook_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """moto-emulated DynamoDB (config and calls tables) and Secrets Manager with a signing secret."""
    import boto3
    from moto import mock_aws

    from functions.common import table

    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**table.create_table_request(TABLE_NAME, table.CONFIG_TABLE_INDEXES))
        dynamodb.create_table(**table.create_table_request(CALLS_TABLE_NAME, table.CALLS_TABLE_INDEXES))
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name=SIGNING_SECRET_NAME, SecretString=json.dumps({"secrets": [SIGNING_SECRET]}))
        yield {"dynamodb": dynamodb, "secretsmanager": secrets}


def webhook_body(event_type: str, call_id: int, from_number: str, to_number: str | None = "") -> bytes:
    """A body serialised as ThunderPhone does: compact, keys sorted."""
    data = {"call_id": call_id, "from_number": from_number, "to_number": to_number}
    return json.dumps({"data": data, "type": event_type}, separators=(",", ":"), sort_keys=True).encode()


def signed_event(path: str, body: bytes, *, secret: str = SIGNING_SECRET, base64_body: bool = False) -> dict[str, Any]:
    """An API Gateway HTTP API (v2) event for `path`, signed with `secret`."""
    from functions.webhook.signature import sign
    from local.server import to_event

    headers = {"content-type": "application/json", "x-thunderphone-signature": sign(body, secret)}
    event = to_event("POST", path, headers, body, "34.96.0.10")
    if base64_body:
        import base64

        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


@pytest.fixture
def demo_tenant(aws: dict[str, Any]) -> str:
    """The demo tenant of `make run`, seeded into the moto table, with its tool credentials secret."""
    from local import demo
    from local.emulator import seed

    seed(aws["dynamodb"], TABLE_NAME, demo.TENANT_ID, demo.demo_items())
    aws["secretsmanager"].create_secret(
        Name=TOOL_SECRET_PREFIX + demo.TENANT_ID, SecretString=json.dumps(demo.TOOL_CREDENTIALS)
    )
    return demo.TENANT_ID


@pytest.fixture
def json_logs() -> Iterator[Any]:
    """What our Powertools logger writes, as parsed JSON lines (`json_logs()` -> list of dicts)."""
    import io
    import logging

    from functions.common.observability import logger

    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    previous = logger.log_level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        logger.setLevel(previous)
        logger.removeHandler(capture)
