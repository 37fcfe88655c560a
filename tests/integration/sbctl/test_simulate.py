"""`sbctl simulate` gives the router's real answer: compared with the webhook handler on generated calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.tenant_config.models import AgentProfile, Customer, RoutingRule, Tenant
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore
from functions.thunderphone.signing import sign
from functions.webhook import handler
from functions.webhook.dependencies import deps
from tests.fixtures.apigw import LambdaContext, load_event
from tests.fixtures.aws import SIGNING_SECRET, TABLE_NAME, TOOL_SECRET_PREFIX, add_route
from tests.integration.config_store import samples
from tests.integration.sbctl.conftest import Sbctl

CRM_TOKEN = "crm-token-value-never-printed"
NUMBER = "+33180000001"

CRM_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order by number",
        "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
    },
    "endpoint": {
        "url": "https://crm.example.com/orders",
        "method": "POST",
        "headers": {"Authorization": {"secret": "crm_token"}, "X-Tenant": "acme"},
    },
}


def seed(aws: dict[str, Any]) -> None:
    """A tenant with business hours, A/B variants, a VIP segment, an after-hours rule and a tool secret."""
    store = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="seed", writer="operator")
    hours = {
        "weekly": {day: ["09:00-12:30", "13:30-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "closed_dates": ["2026-05-01", "2026-12-25"],
    }
    store.put("acme", Tenant.model_validate(samples.tenant(business_hours=hours)), expected_version=None)
    prompts = {
        "reception": "At {{ tenant.name }}, {{ call.weekday }} {{ call.local_time }}. Hello {{ customer.name }}.",
        "after-hours": "We are closed ({{ call.local_date }}). Take a message for {{ company }}.",
        "vip": "VIP line. {{ customer.name }} on plan {{ plan | default('none') }}.",
        "sales-a": "Sales A for widget {{ call.widget_id }}.",
        "sales-b": "Sales B, call {{ call.id }}.",
        "uk": "UK desk, caller {{ call.from_number }}.",
    }
    for profile_id, prompt in prompts.items():
        extra = {"tools": [CRM_TOOL]} if profile_id == "sales-b" else {}
        profile = AgentProfile.model_validate(samples.profile(profile_id, prompt=prompt, **extra))
        store.put("acme", profile, expected_version=None)
    rules = [
        samples.rule("vip", priority=10, profile_id="vip"),
        samples.rule("closed", priority=20, when={"schedule": "after_hours"}, profile_id="after-hours"),
        samples.rule(
            "pricing-ab",
            priority=30,
            when={"channel": "web", "widget_ids": ["pricing"]},
            profile_id=None,
            variants=[
                {"name": "a", "profile_id": "sales-a", "weight": 1},
                {"name": "b", "profile_id": "sales-b", "weight": 1},
            ],
        ),
        samples.rule("uk", priority=40, when={"caller_prefixes": ["+44"]}, profile_id="uk"),
        samples.rule("off", priority=1, enabled=False, when={}, profile_id="uk"),
    ]
    for rule in rules:
        store.put("acme", RoutingRule.model_validate(rule), expected_version=None)
    customers = [
        samples.customer("+33612345678"),
        samples.customer("+33687654321", name="Paul", segment="regular", prompt_addendum="Paul prefers French."),
        samples.customer("+447700900123", name="Ada", segment="regular", prompt_override="Hi {{ customer.name }}!"),
    ]
    store.put_many("acme", [Customer.model_validate(customer) for customer in customers])
    aws["secretsmanager"].create_secret(
        Name=TOOL_SECRET_PREFIX + "acme", SecretString=json.dumps({"crm_token": CRM_TOKEN})
    )
    # The router (and so simulate) serves the published version only.
    Drafts(store, aws["dynamodb"], TABLE_NAME, "seed").publish("acme")


# The capability URL of each (tenant, widget) key the router is called through (filled by `seeded`).
PATHS: dict[tuple[str, str | None], str] = {}


@pytest.fixture
def seeded(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    # The comparison is about answers, not latency (the router's budget runs on the tests' clock, which only a
    # test moves), and needs no decision log.
    monkeypatch.delenv("CALLS_TABLE_NAME", raising=False)
    seed(aws)
    PATHS.clear()
    for tenant in ("acme", "ghost"):
        for widget in (None, "pricing", "support"):
            PATHS[(tenant, widget)] = add_route(aws["dynamodb"], tenant, widget)
    yield aws


def router_answer(tenant: str, widget: str | None, data: dict[str, Any], event_type: str, at: datetime) -> Any:
    """POST the signed webhook to the real handler, at a fixed time."""
    body = json.dumps({"type": event_type, "data": data}, sort_keys=True, separators=(",", ":"))
    path = PATHS[(tenant, widget)]
    event = load_event("sbctl_apigw_webhook.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["body"] = body
    event["headers"]["x-thunderphone-signature"] = sign(body.encode(), SIGNING_SECRET)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deps, "now", lambda: at)  # the webhook's clock: when the call arrives
        response = handler.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 200
    return json.loads(response["body"])


callers = st.sampled_from(
    ["+33612345678", "+33687654321", "+447700900123", "+447911123456", "+14155550199", "anonymous"]
)
# Any minute of 2026, weighted towards Paris office hours so rules other than "closed" get exercised.
moments = st.builds(
    lambda day, minute: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=minute),
    st.sampled_from(range(365)),
    st.one_of(st.sampled_from(range(0, 1440, 5)), st.sampled_from(range(7 * 60, 17 * 60, 5))),
)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    channel=st.sampled_from(["web", "phone"]),
    caller=callers,
    to=st.sampled_from([NUMBER, None]),
    widget=st.sampled_from([None, "pricing", "support"]),
    at=moments,
    call_id=st.integers(min_value=1, max_value=2**63 - 1),
    tenant=st.sampled_from(["acme"] * 7 + ["ghost"]),
)
def test_simulate_agrees_with_the_router(
    seeded: dict[str, Any],
    sbctl: Sbctl,
    channel: str,
    caller: str,
    to: str | None,
    widget: str | None,
    at: datetime,
    call_id: int,
    tenant: str,
) -> None:
    # Given a call, when the router answers it and sbctl simulates it
    data = {"call_id": call_id, "from_number": "web" if channel == "web" else caller, "to_number": to}
    event_type = "web.incoming" if channel == "web" else "telephony.incoming"
    real = router_answer(tenant, widget, {k: v for k, v in data.items() if v is not None}, event_type, at)
    argv = ["simulate", "--tenant", tenant, "--channel", channel, "--at", at.isoformat(), "--call-id", str(call_id)]
    argv += ["--caller", caller] if channel == "phone" and caller != "anonymous" else []
    argv += ["--to", to] if to else []
    argv += ["--widget", widget] if widget else []
    result = sbctl(*argv, "--format", "json")
    simulated = json.loads(result.out)
    # Then the simulated answer is the router's, with the credential shown as a placeholder only
    assert CRM_TOKEN not in result.out
    answer = json.loads(json.dumps(simulated["answer"]).replace("<secret:crm_token>", CRM_TOKEN))
    assert answer == real
    assert result.code == (0 if real else 1)
    assert (simulated["outcome"] == "config") == bool(real)


def test_simulate_explains_rule_variant_and_variables(seeded: dict[str, Any], sbctl: Sbctl) -> None:
    # A VIP calling on a Monday morning, Paris time
    result = sbctl(
        "simulate",
        "--tenant",
        "acme",
        "--channel",
        "phone",
        "--caller",
        "+33612345678",
        "--to",
        NUMBER,
        "--at",
        "2026-03-02T10:15",
        "--call-id",
        "42",
    )
    assert result.code == 0, result.err
    report = result.yaml()
    assert (report["outcome"], report["reason"], report["rule"], report["profile"]) == ("config", "rule", "vip", "vip")
    assert report["profile_version"] == 1
    assert report["customer_known"] is True
    assert report["local_time"] == "2026-03-02T10:15+01:00"
    assert report["answer"]["prompt"] == "VIP line. Marie Curie on plan gold."
    assert report["variables"]["customer"]["segment"] == "vip"


def test_simulate_shows_secret_headers_as_placeholders(seeded: dict[str, Any], sbctl: Sbctl) -> None:
    # Find a call id that lands on variant b (the profile with a credentialed tool)
    for call_id in range(1, 51):
        result = sbctl(
            "simulate",
            "--tenant",
            "acme",
            "--channel",
            "web",
            "--widget",
            "pricing",
            "--at",
            "2026-03-02T10:15",
            "--call-id",
            str(call_id),
        )
        if result.yaml()["variant"] == "b":
            break
    report = result.yaml()
    assert report["rule"] == "pricing-ab"
    headers = report["answer"]["tools"][0]["endpoint"]["headers"]
    assert headers == {"Authorization": "<secret:crm_token>", "X-Tenant": "acme"}
    assert CRM_TOKEN not in result.out + result.err


def test_simulate_reports_missing_variables_and_fallbacks(seeded: dict[str, Any], sbctl: Sbctl) -> None:
    unknown = sbctl(
        "simulate",
        "--tenant",
        "acme",
        "--channel",
        "phone",
        "--caller",
        "+14155550199",
        "--at",
        "2026-03-02T10:15",
        "--call-id",
        "1",
    )
    assert unknown.yaml()["missing_variables"] == ["customer.name"]
    ghost = sbctl("simulate", "--tenant", "ghost", "--channel", "web", "--call-id", "1")
    assert ghost.code == 1
    assert (ghost.yaml()["reason"], ghost.yaml()["answer"]) == ("unknown_tenant", {})
    usage = sbctl("simulate", "--tenant", "acme", "--channel", "web", "--caller", "+33612345678")
    assert usage.code == 2
    bad_time = sbctl("simulate", "--tenant", "acme", "--channel", "web", "--at", "tomorrow")
    assert bad_time.code == 2
    assert "ISO 8601" in bad_time.err
