"""API Gateway limits per route: a flood on one route (unsigned webhook requests, a busy console) never
throttles the others."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import StageConfig
from tests.infra.conftest import resources, synth_templates

WEBHOOK, ADMIN, TENANT = "POST /webhooks/{token}", "ANY /admin/{proxy+}", "ANY /tenant/v1/{proxy+}"


def route_settings(template: dict[str, Any]) -> dict[str, Any]:
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    return stage["Properties"]["RouteSettings"]  # type: ignore[no-any-return]


def test_each_route_has_its_own_limits_from_the_stage_config(dev: dict[str, Any]) -> None:
    assert route_settings(dev) == {
        WEBHOOK: {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40},
        ADMIN: {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 10},
        TENANT: {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20},
        # the tenant console's page and assets: the tenant limits, on routes of their own
        "GET /console": {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20},
        "GET /console/{proxy+}": {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20},
    }
    # Every route the API has is listed: none falls back to a limit it shares with another.
    keys = {route["Properties"]["RouteKey"] for route in resources(dev, "AWS::ApiGatewayV2::Route").values()}
    assert keys == set(route_settings(dev))


def test_prod_sizes_the_webhook_route_for_thunderphone_and_keeps_admin_small() -> None:
    prod = synth_templates(stage="prod", alarmEmail="oncall@example.com")["Switchboard-prod"]
    assert route_settings(prod)[WEBHOOK] == {"ThrottlingRateLimit": 200, "ThrottlingBurstLimit": 400}
    assert route_settings(prod)[ADMIN] == {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}


def test_a_burst_below_its_rate_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match="webhookThrottleBurstLimit"):
        StageConfig(webhook_throttle_rate_limit=50, webhook_throttle_burst_limit=10)
