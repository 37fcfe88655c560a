"""The demo tenant behind the tenant API and the webhook, both against the same moto tables; the router's
cache is off, so what a real signed call gets is what is published right now."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import TABLE_NAME, seed, wait_for_decision
from tests.fixtures.tenant_api import TenantClient

Call = Callable[..., dict[str, Any]]
Answered = Callable[[list[int], list[int]], None]


@pytest.fixture
def admin(demo_tenant: str, tenant_api_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> TenantClient:
    monkeypatch.setenv("CACHE_TTL_SECONDS", "0")
    return TenantClient(demo.TENANT_ID, "admin")


@pytest.fixture
def viewer(admin: TenantClient) -> TenantClient:
    return TenantClient(demo.TENANT_ID, "viewer")


@pytest.fixture
def globex(admin: TenantClient) -> TenantClient:
    """Another tenant, globex, with the demo's settings (no numbers) and one profile, published as its version 1;
    signed in as its admin."""
    tenant, profile = demo.demo_items()[:2]
    seed(
        boto3.client("dynamodb"),
        TABLE_NAME,
        "globex",
        [tenant.model_copy(update={"tenant_id": "globex", "phone_numbers": []}), profile],
    )
    return TenantClient("globex", "admin")


@pytest.fixture
def phone_call(lambda_context: Any) -> Call:
    """A real signed call to the demo tenant's org-level URL; returns the agent configuration answered."""
    from functions.webhook import handler

    def call(call_id: int, caller: str = "+12125550123", to: str = demo.DEMO_NUMBER) -> dict[str, Any]:
        body = webhook_body("telephony.incoming", call_id, caller, to)
        response = handler.lambda_handler(signed_event(f"/webhooks/{demo.ORG_TOKEN}", body), lambda_context)
        assert response["statusCode"] == 200
        return json.loads(response["body"])  # type: ignore[no-any-return]

    return call


@pytest.fixture
def web_call(lambda_context: Any) -> Call:
    from functions.webhook import handler

    def call(call_id: int, token: str = demo.PRICING_TOKEN) -> dict[str, Any]:
        body = webhook_body("web.incoming", call_id, "web")
        response = handler.lambda_handler(signed_event(f"/webhooks/{token}", body), lambda_context)
        assert response["statusCode"] == 200
        return json.loads(response["body"])  # type: ignore[no-any-return]

    return call


@pytest.fixture
def answered(web_call: Call, phone_call: Call) -> Answered:
    """Answers web sessions on the pricing widget and phone calls from the VIP customer, by their call ids, and
    waits until each decision is logged."""

    def answer(web_ids: list[int], vip_ids: list[int]) -> None:
        for call_id in web_ids:
            web_call(call_id)
        for call_id in vip_ids:
            phone_call(call_id, caller=demo.VIP_CALLER)
        client = boto3.client("dynamodb")
        for call_id in web_ids + vip_ids:
            wait_for_decision(client, demo.TENANT_ID, call_id)

    return answer
