"""Two tenants that do not trust each other: `victim` (the demo tenant, with a phone number, a VIP
customer and a tool credential) and `mallory`, an attacker who is a tenant too: it has its own key and
webhook URL, writes anything its IAM credentials allow in its own partition (`TENANT#mallory`), and
can make ThunderPhone sign bodies of its choosing (its tool endpoint receives signed tool calls)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.tenant_config.models import AgentProfile, Tenant
from tests.fixtures import tenants as demo
from tests.fixtures.admin import API_KEY
from tests.fixtures.apigw import signed_event
from tests.fixtures.aws import API_KEY_SECRET_NAME, TABLE_NAME, add_route, seed
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.thunderphone import FakeThunderPhone, start_fake_thunderphone

VICTIM = demo.TENANT_ID
MALLORY = "mallory"

Invoke = Callable[[str, bytes], tuple[int, dict[str, Any]]]


def body(event_type: str, **data: Any) -> bytes:
    """A body as ThunderPhone signs it: compact, keys sorted."""
    return json.dumps({"type": event_type, "data": data}, separators=(",", ":"), sort_keys=True).encode()


def rival(aws: dict[str, Any], tenant_id: str, display_name: str, prompt: str) -> str:
    """Another tenant beside the demo, answering with `prompt`, and the path of its own key's webhook URL."""
    tenant = Tenant(tenant_id=tenant_id, display_name=display_name, default_profile_id="main")
    profile = AgentProfile(profile_id="main", prompt=prompt, voice="en-US-James1")
    seed(aws["dynamodb"], TABLE_NAME, tenant_id, [profile, tenant])
    return add_route(aws["dynamodb"], tenant_id)


@pytest.fixture
def mallory_url(demo_tenant: str, aws: dict[str, Any]) -> str:
    """Mallory's own tenant and the path of its own key's webhook URL."""
    return rival(aws, MALLORY, "Mallory Ltd", "You are Mallory's agent.")


@pytest.fixture
def decisions() -> Iterator[DecisionSubscription]:
    """The webhook log group's subscription: `flush()` is CloudWatch delivering what was logged so far. For tests
    marked `subscribed_decisions`, whose `aws` records decisions only then."""
    with DecisionSubscription() as subscription:
        yield subscription


@pytest.fixture
def invoke(lambda_context: Any) -> Invoke:
    """POST a signed body (ThunderPhone's signature: the secret every tenant's webhooks share) to a path."""
    from functions.webhook import handler

    def post(path: str, payload: bytes) -> tuple[int, dict[str, Any]]:
        response = handler.lambda_handler(signed_event(path, payload), lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return post


class Clock:
    """ThunderPhone's time, as the webhook (when a session starts and its decision is taken) and the outcome
    recorder (how old a call is) see it; tests move it to replay a call id's history."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Moves the time the webhook stamps on each request (`deps.now`, read once in `handler.respond`) and the
    outcome recorder's clock together."""
    from functions.outcome_recorder.dependencies import deps as recorder
    from functions.webhook.dependencies import deps as webhook

    moved = Clock()
    monkeypatch.setattr(webhook, "now", moved)
    monkeypatch.setattr(recorder, "clock", moved)
    return moved


@pytest.fixture
def thunderphone_api(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeThunderPhone]:
    """ThunderPhone's calls API as the outcome recorder and the backfill read it (GET /v1/calls[/{id}])."""
    fake = start_fake_thunderphone(API_KEY)
    aws["secretsmanager"].create_secret(Name=API_KEY_SECRET_NAME, SecretString=API_KEY)
    monkeypatch.setenv("THUNDERPHONE_API_KEY_SECRET_NAME", API_KEY_SECRET_NAME)
    monkeypatch.setenv("THUNDERPHONE_API_BASE", fake.base_url)
    yield fake
    fake.stop()


def operator(aws: dict[str, Any], *argv: str) -> tuple[int, str, str]:
    """`sbctl --operator ...` with the operator's AWS credentials (moto's clients), as printed."""
    import io

    from sbctl.cli import run_operator

    out, err = io.StringIO(), io.StringIO()
    code = run_operator(["--table", TABLE_NAME, *argv], out=out, err=err, clients={"dynamodb": aws["dynamodb"]})
    return code, out.getvalue(), err.getvalue()
