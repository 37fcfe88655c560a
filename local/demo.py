"""The demo tenant `demo` seeded by `make run`: profiles, rules with business hours and an A/B split,
a VIP customer, and a tool whose credential lives in Secrets Manager."""

from __future__ import annotations

from typing import Any

from functions.common.tenant_model import AgentProfile, Customer, RoutingRule, StoredItem, Tenant

TENANT_ID = "demo"
DEMO_NUMBER = "+15550100200"
VIP_CALLER = "+14155550100"
TOOL_CREDENTIALS = {"crm_api_key": "demo-crm-key-local-only"}

_BOOKING_TOOL: dict[str, Any] = {
    "function": {
        "name": "find_appointments",
        "description": "Find free appointment slots on a given date.",
        "parameters": {
            "type": "object",
            "properties": {"date": {"type": "string", "description": "YYYY-MM-DD"}},
            "required": ["date"],
        },
    },
    "endpoint": {
        "url": "https://crm.example.com/appointments/search",
        "headers": {"X-Api-Key": {"secret": "crm_api_key"}},
    },
}


def demo_items() -> list[StoredItem]:
    tenant = Tenant(
        tenant_id=TENANT_ID,
        display_name="Acme Dental",
        timezone="America/New_York",
        variables={"company_name": "Acme Dental", "city": "Brooklyn"},
        phone_numbers=[DEMO_NUMBER],
        default_profile_id="receptionist",
        business_hours={
            "weekly": {day: ["09:00-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": ["10:00-14:00"]},
            "closed_dates": ["2026-12-25"],
        },
    )
    profiles = [
        AgentProfile(
            profile_id="receptionist",
            prompt=(
                "You are the receptionist of {{ company_name }} in {{ city }}. It is {{ call.weekday }} "
                '{{ call.local_time }}. Greet {{ customer.name | default("the caller") }} and help book visits.'
            ),
            voice="en-US-James1",
            product="spark",
            tools=[_BOOKING_TOOL],
        ),
        AgentProfile(
            profile_id="receptionist-warm",
            description="Variant B of the greeting experiment: warmer, slower.",
            prompt=(
                "You are the warm, unhurried receptionist of {{ company_name }}. Greet "
                '{{ customer.name | default("the caller") }} by name when you know it and help book visits.'
            ),
            voice="en-US-Ava1",
            product="bolt",
            tools=[_BOOKING_TOOL],
        ),
        AgentProfile(
            profile_id="after-hours",
            prompt=(
                "{{ company_name }} is closed ({{ call.weekday }} {{ call.local_time }}). Take a message with the "
                "caller's name and number, and say the office opens at 9:00."
            ),
            voice="en-US-James1",
            product="spark",
        ),
        AgentProfile(
            profile_id="vip-concierge",
            prompt=(
                "You are the personal concierge of {{ company_name }} for {{ customer.name }}, a valued "
                '{{ customer.segment }} patient. Offer the first free slot with {{ dentist | default("any dentist") }}.'
            ),
            voice="en-US-Ava1",
            product="storm-base-with-ack",
            acknowledgement_prompt_mode="manual",
            acknowledgement_prompt="One moment, {{ customer.name }}, let me check that for you.",
            tools=[_BOOKING_TOOL],
        ),
        AgentProfile(
            profile_id="web-pricing",
            prompt="You answer questions about {{ company_name }}'s prices for visitors of the pricing page.",
            voice="en-US-Ava1",
            product="spark",
        ),
    ]
    rules = [
        RoutingRule(rule_id="vip", priority=10, when={"segments": ["vip"]}, profile_id="vip-concierge"),
        RoutingRule(
            rule_id="after-hours",
            priority=20,
            when={"channel": "phone", "schedule": "after_hours"},
            profile_id="after-hours",
        ),
        RoutingRule(rule_id="pricing-page", priority=30, when={"widget_ids": ["pricing"]}, profile_id="web-pricing"),
        RoutingRule(
            rule_id="greeting-test",
            priority=40,
            description="A/B: does a warmer greeting book more visits?",
            variants=[
                {"name": "A", "profile_id": "receptionist", "weight": 50},
                {"name": "B", "profile_id": "receptionist-warm", "weight": 50},
            ],
        ),
    ]
    customers = [
        Customer(
            customer_id=VIP_CALLER,
            name="Jane Doe",
            segment="vip",
            variables={"dentist": "Dr. Patel"},
            prompt_addendum="Jane prefers morning appointments and is allergic to latex.",
        ),
        Customer(customer_id="+14155550123", name="John Smith", segment="regular"),
    ]
    return [tenant, *profiles, *rules, *customers]
