"""Sample tenant configuration in the demo tenant's style, shared by the config_store and sbctl tests."""

from __future__ import annotations

from typing import Any

TENANT_ID = "acme"


def tenant(**changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": TENANT_ID,
        "display_name": "Acme Plumbing",
        "timezone": "Europe/Paris",
        "variables": {"company": "Acme Plumbing"},
        "phone_numbers": ["+33180000001"],
        "default_profile_id": "reception",
        "business_hours": {"weekly": {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}},
        **changes,
    }


def profile(profile_id: str = "reception", **changes: Any) -> dict[str, Any]:
    return {
        "profile_id": profile_id,
        "description": "Front desk",
        "prompt": "You are the receptionist of {{ tenant.name }}. Greet {{ customer.name | default('the caller') }}.",
        "voice": "alloy",
        **changes,
    }


def rule(rule_id: str = "vip", **changes: Any) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "priority": 10,
        "when": {"customer": "known", "segments": ["vip"]},
        "profile_id": "reception",
        **changes,
    }


def customer(customer_id: str = "+33612345678", **changes: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "name": "Marie Curie",
        "segment": "vip",
        "variables": {"plan": "gold"},
        **changes,
    }
