"""Shared test set-up: fake AWS credentials and Powertools settings (before anything imports boto3),
fresh composition roots per test, and the moto-backed fixtures every layer uses (tests/fixtures/)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from hypothesis import settings

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

from tests.fixtures.admin import call, fake_thunderphone, provisioning_env, tenant
from tests.fixtures.apigw import LambdaContext
from tests.fixtures.aws import (
    CALLS_TABLE_NAME,
    OUTCOME_QUARANTINE_QUEUE_URL,
    OUTCOME_QUEUE_URL,
    SIGNING_SECRET_NAME,
    TABLE_NAME,
    TOOL_SECRET_PREFIX,
    emulated_aws,
    seed,
)
from tests.fixtures.clock import FakeClock
from tests.fixtures.decisions import inline_decisions
from tests.fixtures.tenant_api import tenant_api_env

# No per-example deadline anywhere: Hypothesis's default (200 ms of real time) fails a property on a busy machine.
settings.register_profile("switchboard", deadline=None)
settings.load_profile("switchboard")

# The admin API's fixtures (tests/fixtures/admin.py), for every test that calls it.
__all__ = ["call", "fake_thunderphone", "provisioning_env", "tenant", "tenant_api_env"]


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "TABLE_NAME": TABLE_NAME,
        "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
        "SIGNING_SECRET_NAME": SIGNING_SECRET_NAME,
        "TOOL_SECRET_PREFIX": TOOL_SECRET_PREFIX,
        "OUTCOME_QUEUE_URL": OUTCOME_QUEUE_URL,  # the webhook queues outcome events here
        "OUTCOME_QUARANTINE_QUEUE_URL": OUTCOME_QUARANTINE_QUEUE_URL,  # the outcome recorder's
        # Decisions are recorded inline here (tests/fixtures/decisions.py): no outcome waits for one.
        "DECISION_SETTLE_SECONDS": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(autouse=True)
def _fresh_dependencies() -> Iterator[None]:
    """Each function's composition root and Powertools' parameter cache live per process; a test starts
    with none of them built, so it sees its own environment and moto."""
    from aws_lambda_powertools.utilities import parameters

    from functions.call_sync.dependencies import deps as call_sync
    from functions.decision_recorder.dependencies import deps as decision_recorder
    from functions.outcome_recorder.dependencies import deps as outcome_recorder
    from functions.provisioning.dependencies import deps as provisioning
    from functions.tenant_api.dependencies import deps as tenant_api
    from functions.webhook.dependencies import deps as webhook

    def reset() -> None:
        for deps in (webhook, provisioning, call_sync, tenant_api, outcome_recorder, decision_recorder):
            deps.reset()
        parameters.clear_caches()

    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def webhook_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The webhook's clock in every test: its budgets, cache ages and waits end when a test moves this clock
    (tests/fixtures/clock.py), never because the machine running the tests is busy."""
    from functions.webhook import handler
    from functions.webhook.dependencies import deps
    from functions.webhook.lifecycle import Lifecycle

    clock = FakeClock()
    monkeypatch.setattr(deps, "monotonic", clock)
    monkeypatch.setattr(handler, "lifecycle", Lifecycle(clock()))  # no INIT to count from
    return clock


@pytest.fixture
def aws(webhook_env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """moto-emulated DynamoDB (config and calls tables) and Secrets Manager with a signing secret; each answer's
    decision recorded from its log line as it is written (what the decision log's subscription does), except in
    tests marked `subscribed_decisions`: there only when the subscription delivers them (tests/security's
    `decisions` fixture)."""
    subscribed = request.node.get_closest_marker("subscribed_decisions") is not None
    with emulated_aws() as clients, nullcontext() if subscribed else inline_decisions():
        yield clients


@pytest.fixture
def demo_tenant(aws: dict[str, Any]) -> str:
    """The demo tenant of `make run`, seeded into the moto table, with its tool credentials secret."""
    from functions.webhook_routes.repository import RouteRepository
    from tests.fixtures import tenants

    seed(aws["dynamodb"], TABLE_NAME, tenants.TENANT_ID, tenants.demo_items())
    routes = RouteRepository(aws["dynamodb"], TABLE_NAME)
    tokens = {"key_token": tenants.KEY_TOKEN, "pricing_token": tenants.PRICING_TOKEN, "org_token": tenants.ORG_TOKEN}
    for route in tenants.demo_routes(**tokens):
        routes.add(route)
    aws["secretsmanager"].create_secret(
        Name=TOOL_SECRET_PREFIX + tenants.TENANT_ID, SecretString=json.dumps(tenants.TOOL_CREDENTIALS)
    )
    return tenants.TENANT_ID


@pytest.fixture
def json_logs() -> Iterator[Any]:
    """What our Powertools logger writes, as parsed JSON lines (`json_logs()` -> list of dicts)."""
    import io
    import logging

    from functions.common.observability import logger
    from functions.webhook import answer_log

    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    previous = logger.log_level
    logger.setLevel(logging.INFO)
    try:
        with answer_log.subscribed(lambda line: stream.write(line + "\n")):  # the webhook's answer lines
            yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        logger.setLevel(previous)
        logger.removeHandler(capture)
