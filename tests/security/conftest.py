"""Two tenants that do not trust each other: `victim` (the demo tenant, with a phone number, a VIP
customer and a tool credential) and `mallory`, an attacker who is a tenant too: it has its own key and
webhook URL, writes anything its IAM credentials allow in its own partition (`TENANT#mallory`), and
can make ThunderPhone sign bodies of its choosing (its tool endpoint receives signed tool calls)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from functions.tenant_config.models import AgentProfile, Tenant
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event
from tests.fixtures.aws import TABLE_NAME, add_route, seed

VICTIM = demo.TENANT_ID
MALLORY = "mallory"

Invoke = Callable[[str, bytes], tuple[int, dict[str, Any]]]


def body(event_type: str, **data: Any) -> bytes:
    """A body as ThunderPhone signs it: compact, keys sorted."""
    return json.dumps({"type": event_type, "data": data}, separators=(",", ":"), sort_keys=True).encode()


@pytest.fixture
def mallory_url(demo_tenant: str, aws: dict[str, Any]) -> str:
    """Mallory's own tenant and the path of its own key's webhook URL."""
    tenant = Tenant(tenant_id=MALLORY, display_name="Mallory Ltd", default_profile_id="main")
    profile = AgentProfile(profile_id="main", prompt="You are Mallory's agent.", voice="en-US-James1")
    seed(aws["dynamodb"], TABLE_NAME, MALLORY, [profile, tenant])
    return add_route(aws["dynamodb"], MALLORY)


@pytest.fixture
def invoke(lambda_context: Any) -> Invoke:
    """POST a signed body (ThunderPhone's signature: the secret every tenant's webhooks share) to a path."""
    from functions.webhook import handler

    def post(path: str, payload: bytes) -> tuple[int, dict[str, Any]]:
        response = handler.lambda_handler(signed_event(path, payload), lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return post
