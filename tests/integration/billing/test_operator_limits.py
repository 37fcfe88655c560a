"""Only the operator sets a tenant's plan: the admin API (IAM-authorised) sets and reads it and states any month;
the tenant API shows the plan and the month read-only and refuses every change in words."""

from __future__ import annotations

from typing import Any

from tests.fixtures.admin import Call
from tests.fixtures.tenant_api import TenantClient

OVER_LIMIT = {"profile_id": "over-limit", "prompt": "We cannot take calls right now.", "voice": "en-US-Ava1"}


def test_the_operator_sets_a_plan_and_the_tenant_sees_it_read_only(
    demo_tenant: str, call: Call, tenant_api_env: dict[str, Any]
) -> None:
    # Given the operator gives the demo tenant a 30-minute plan answered by an over-limit profile
    plan = {
        "monthly_minutes": 30,
        "alert_percent": 75,
        "at_cap": "over_limit_profile",
        "over_limit_profile": OVER_LIMIT,
    }
    status, body = call("PUT", "/admin/tenants/demo/plan", plan)
    assert status == 200, body
    assert body["plan"]["monthly_minutes"] == 30 and body["capped"] is False
    assert call("GET", "/admin/tenants/demo/plan")[1]["plan"]["alert_percent"] == 75
    # Then the tenant admin sees it
    admin = TenantClient("demo", "admin")
    status, seen, _ = admin.get("/plan")
    assert status == 200 and seen["plan"]["monthly_minutes"] == 30
    # and every change is refused, in words that say who changes it
    for method in ("PUT", "PATCH", "DELETE"):
        status, refused, _ = admin.request(method, "/plan", {"monthly_minutes": 100000})
        assert (status, refused["error"]) == (403, "operator_owned")
        assert "set by your provider" in refused["message"] and "Ask them" in refused["message"]
    assert call("GET", "/admin/tenants/demo/plan")[1]["plan"]["monthly_minutes"] == 30
    # and the tenant's settings take no plan either
    status, _, _ = admin.patch("/settings", {"monthly_minutes": 100000}, etag='"1"')
    assert status in (400, 403, 412, 422)
    assert call("GET", "/admin/tenants/demo/plan")[1]["plan"]["monthly_minutes"] == 30


def test_plans_and_months_are_checked_and_refused_in_words(demo_tenant: str, call: Call) -> None:
    status, body = call("PUT", "/admin/tenants/demo/plan", {"monthly_minutes": 10, "at_cap": "over_limit_profile"})
    assert status == 400 and "over_limit_profile" in body["message"]
    status, body = call("PUT", "/admin/tenants/demo/plan", {"monthly_minutes": 0})
    assert status == 400 and "monthly_minutes" in body["fields"]
    status, body = call("PUT", "/admin/tenants/nobody/plan", {"monthly_minutes": 10})
    assert status == 404
    status, body = call("GET", "/admin/tenants/demo/usage?month=2026-13")
    assert status == 400 and "YYYY-MM" in body["message"]


def test_the_operator_reads_one_tenants_month_and_every_tenants(demo_tenant: str, call: Call) -> None:
    status, one = call("GET", "/admin/tenants/demo/usage?month=2026-01")
    assert status == 200, one
    assert (one["tenant_id"], one["month"], one["timezone"], one["totals"]["sessions"]) == ("demo", "2026-01", "UTC", 0)
    status, every = call("GET", "/admin/usage?month=2026-01")
    assert status == 200 and [each["tenant_id"] for each in every["statements"]] == ["demo"]


def test_a_tenant_reads_its_month_and_a_bad_month_is_explained(
    demo_tenant: str, tenant_api_env: dict[str, Any]
) -> None:
    viewer = TenantClient("demo", "viewer")
    status, usage, _ = viewer.get("/usage?month=2026-01")
    assert status == 200 and usage["statement"]["totals"]["sessions"] == 0 and usage["plan"]["plan"] is None
    status, refused, _ = viewer.get("/usage?month=January")
    assert status == 400 and "such as 2026-03" in refused["message"]
