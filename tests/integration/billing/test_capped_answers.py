"""A tenant past its plan's cap: the webhook answers what the operator chose, records the decision as `capped`,
and leaves every other tenant alone. The cap is read with the tenant's configuration and cached with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3

from functions.billing.months import month_of
from functions.billing.plan import Plan
from functions.billing.store import BillingStore, counter_update
from functions.calls.read_model import CallsReader
from functions.calls.report import Period, build_report
from functions.tenant_config.models import AgentProfile, Tenant
from functions.webhook import handler
from functions.webhook.dependencies import deps
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME, add_route, get_call, seed, wait_for_decision


def invoke(path: str, call_id: int, lambda_context: Any) -> dict[str, Any]:
    response = handler.lambda_handler(signed_event(path, webhook_body("web.incoming", call_id, "web")), lambda_context)
    assert response["statusCode"] == 200
    return dict(json.loads(response["body"]))


def use_minutes(tenant_id: str, minutes: float) -> None:
    """What the outcome recorder's counting leaves in the billing item (functions/billing/meter.py)."""
    month = month_of(datetime.now(UTC), deps.settings.billing_zone)
    update = counter_update(TABLE_NAME, tenant_id, month, minutes, minutes * 10, 1)
    boto3.client("dynamodb").update_item(**update)


def set_plan(tenant_id: str, plan: Plan) -> None:
    BillingStore(boto3.client("dynamodb"), TABLE_NAME).set_plan(tenant_id, plan, actor="ops", now=datetime.now(UTC))


def test_a_capped_tenant_gets_the_static_agent_and_another_tenant_is_untouched(
    demo_tenant: str, lambda_context: Any
) -> None:
    dynamodb = boto3.client("dynamodb")
    seed(
        dynamodb,
        TABLE_NAME,
        "globex",
        [
            Tenant(tenant_id="globex", display_name="Globex", default_profile_id="main"),
            AgentProfile(profile_id="main", prompt="Globex here, how can I help?", voice="en-US-Ava1"),
        ],
    )
    globex = add_route(dynamodb, "globex")
    acme = f"/webhooks/{demo.PRICING_TOKEN}"
    # Given both tenants on a 10-minute plan, and globex with 9.5 minutes used
    set_plan("demo", Plan(monthly_minutes=10))
    set_plan("globex", Plan(monthly_minutes=10))
    use_minutes("globex", 9.5)
    assert invoke(acme, 9001, lambda_context)["prompt"]
    assert invoke(globex, 9002, lambda_context)["prompt"] == "Globex here, how can I help?"
    # When the demo tenant's usage reaches its cap
    use_minutes("demo", 10)
    # Then within the cache time the cached configuration still answers (the cap lags by one cache time at most)
    assert invoke(acme, 9003, lambda_context)["prompt"]
    # and once it is read again, the demo's callers get `{}`: the key's static agent
    deps.store._configs.clear()
    assert invoke(acme, 9004, lambda_context) == {}
    # recorded as the call's decision `capped`, naming the cap
    wait_for_decision(dynamodb, "demo", 9004)
    call = get_call(dynamodb, "demo", 9004)
    assert call is not None and (call["decision"], call["reason"]) == ("capped", "minutes_cap")
    # and counted as capped in the tenant's report, not as a fallback
    today = datetime.now(UTC).date()
    period = Period(start=today, end=today)
    records = CallsReader(dynamodb, CALLS_TABLE_NAME).tenant_calls("demo", period.start_at, period.end_at)
    report = build_report(list(records), period).tenants[0]
    assert (report.capped, report.fallbacks) == (1, 0)
    # while globex, just under its own cap, is answered as before
    assert invoke(globex, 9005, lambda_context)["prompt"] == "Globex here, how can I help?"
    wait_for_decision(dynamodb, "globex", 9005)
    assert (get_call(dynamodb, "globex", 9005) or {})["decision"] == "config"


def test_a_capped_tenant_can_get_the_operators_over_limit_profile(demo_tenant: str, lambda_context: Any) -> None:
    dynamodb = boto3.client("dynamodb")
    over = AgentProfile(
        profile_id="over-limit",
        prompt="Sorry, {{ tenant.name }} cannot take calls right now. Leave a message.",
        voice="en-US-Ava1",
    )
    set_plan("demo", Plan(monthly_minutes=5, at_cap="over_limit_profile", over_limit_profile=over))
    use_minutes("demo", 6)
    body = invoke(f"/webhooks/{demo.PRICING_TOKEN}", 9101, lambda_context)
    assert body["prompt"] == "Sorry, Acme Dental cannot take calls right now. Leave a message."
    wait_for_decision(dynamodb, "demo", 9101)
    call = get_call(dynamodb, "demo", 9101)
    assert call is not None
    assert (call["decision"], call["reason"], call["profile_id"]) == ("capped", "minutes_cap", "over-limit")
