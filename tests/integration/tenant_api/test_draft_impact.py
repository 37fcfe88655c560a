"""The draft's impact: real signed calls are answered, then replayed against live and the draft through the
router's own decision; an edit shows as what callers hear, as routing, or (another tenant's) as nothing."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from functions.calls.records import Completion
from functions.calls.repository import CallRepository
from tests.fixtures import tenants as demo
from tests.fixtures.aws import CALLS_TABLE_NAME
from tests.fixtures.tenant_api import TenantClient, tenant_api_transport
from tests.integration.tenant_api.conftest import Answered

WEB_IDS, VIP_IDS = [301, 302, 303], [304, 305]


@pytest.fixture
def calls(admin: TenantClient, answered: Answered) -> None:
    """Three web sessions on the pricing widget and two calls from the VIP customer, decided and logged; the
    VIP's calls completed, which is how the calls table learns a caller's number (calls/decisions.py)."""
    answered(WEB_IDS, VIP_IDS)
    calls_table = CallRepository(boto3.client("dynamodb"), CALLS_TABLE_NAME)
    for call_id in VIP_IDS:
        completion = Completion(call_id, "event", "telephony.complete", status="completed", caller=demo.VIP_CALLER)
        calls_table.record_completion(demo.TENANT_ID, completion, keep_transcripts=False)


def edit(client: TenantClient, path: str, **changes: Any) -> None:
    status, item, headers = client.get(path)
    assert status == 200
    assert client.put(path, item | changes, etag=headers["ETag"])[0] == 200


def impact(client: TenantClient) -> dict[str, Any]:
    status, body, _ = client.get("/draft/impact?days=7")
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def test_a_prompt_edit_is_what_callers_hear_with_the_sample_before_and_after(admin: TenantClient, calls: None) -> None:
    assert impact(admin)["changed"] == [] and impact(admin)["sample"] is None

    edit(admin, "/profiles/web-pricing", prompt="{{ company_name }} now quotes its new prices first.")
    edit(admin, "/profiles/vip-concierge", voice="en-US-Emma1")
    body = impact(admin)

    assert body["calls_checked"] == 5
    assert (body["heard_differently"], body["routing_changed"]) == (5, 0)
    assert body["heard_by_part"] == {"prompt": 3, "voice": 2}
    heard = {change["call_id"]: change["heard"] for change in body["changed"]}
    assert heard == {**{n: ["prompt"] for n in WEB_IDS}, **{n: ["voice"] for n in VIP_IDS}}
    assert not any(change["routing_changed"] for change in body["changed"])
    sample = body["sample"]
    assert sample["call_id"] in WEB_IDS and sample["heard"] == ["prompt"]
    # When and where, in the tenant's time zone, so the console can say which call it was.
    assert (body["timezone"], sample["channel"], sample["widget_id"]) == ("America/New_York", "web", "pricing")
    assert sample["local_time"].endswith(("-05:00", "-04:00"))
    # The prompts as the webhook renders them: placeholders filled in with the tenant's variables.
    assert sample["live_prompt"] == "You answer questions about Acme Dental's prices for visitors of the pricing page."
    assert sample["draft_prompt"] == "Acme Dental now quotes its new prices first."


def test_a_variable_in_the_settings_changes_every_prompt_that_uses_it(admin: TenantClient, calls: None) -> None:
    _, _, headers = admin.get("/settings")
    patch = {"variables": {"company_name": "Acme Family Dental", "city": "Brooklyn"}}
    assert admin.patch("/settings", patch, etag=headers["ETag"])[0] == 200
    body = impact(admin)
    # The VIP's acknowledgement does not name the company; the prompts do.
    assert body["heard_by_part"] == {"prompt": 5} and body["routing_changed"] == 0
    assert "Acme Family Dental" in body["sample"]["draft_prompt"]


def test_a_routing_edit_shows_as_routing_and_as_what_the_callers_would_hear(admin: TenantClient, calls: None) -> None:
    edit(admin, "/rules/pricing-page", enabled=False)
    body = impact(admin)
    assert body["routing_changed"] == 3 and sorted(c["call_id"] for c in body["changed"]) == WEB_IDS
    change = body["changed"][0]
    assert change["routing_changed"] and change["live"]["rule_id"] == "pricing-page"
    assert change["draft"]["rule_id"] == "greeting-test" and change["draft"]["variant"] in {"A", "B"}
    # Another profile answers (a greeting variant): its prompt reaches the caller, and its booking tool.
    assert {"prompt", "tools"} <= set(change["heard"])


def test_a_tool_or_acknowledgement_edit_is_named_as_such(admin: TenantClient, calls: None) -> None:
    edit(admin, "/profiles/vip-concierge", acknowledgement_prompt="Just a second, {{ customer.name }}.", tools=[])
    body = impact(admin)
    assert body["heard_by_part"] == {"acknowledgement": 2, "tools": 2}
    # No prompt changed: the sample is a call that hears something else, with the same prompt on both sides.
    sample = body["sample"]
    assert sample["call_id"] in VIP_IDS and sample["live_prompt"] == sample["draft_prompt"]
    assert "Jane Doe" in sample["live_prompt"]


def test_another_tenants_edit_changes_nothing_for_this_one(
    admin: TenantClient, calls: None, globex: TenantClient
) -> None:
    edit(globex, "/profiles/receptionist", prompt="You are Globex's receptionist.", voice="en-US-Emma1")
    body = impact(admin)
    assert (body["calls_checked"], body["changed"], body["heard_by_part"]) == (5, [], {})
    # And the other tenant's replay never reaches this tenant's calls.
    status, other, _ = globex.get("/draft/impact?days=7")
    assert (status, other["calls_checked"]) == (200, 0)


def test_viewers_read_the_impact_and_strangers_do_not(viewer: TenantClient, calls: None) -> None:
    assert impact(viewer)["calls_checked"] == 5
    url = "https://api.example.test/tenant/v1/draft/impact?days=7"
    assert tenant_api_transport(None)("GET", url, {}, b"")[0] == 401
    assert tenant_api_transport(demo.TENANT_ID, "owner")("GET", url, {}, b"")[0] == 403
    status, body, _ = viewer.get("/draft/impact?days=91")
    assert status == 422 and "days" in body["fields"]


def test_past_the_limit_the_latest_calls_are_the_ones_replayed(
    admin: TenantClient, calls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.tenant_api.dependencies import deps

    monkeypatch.setattr(deps, "settings", deps.settings.model_copy(update={"IMPACT_MAX_CALLS": 2}))
    edit(admin, "/profiles/vip-concierge", prompt="Welcome back, {{customer.name}}. Ask how we can help today.")
    body = impact(admin)
    # The VIP's two calls came last: with room for two, they are the ones replayed, so both are changed.
    assert (body["calls_checked"], body["truncated"]) == (2, True)
    assert sorted(call["call_id"] for call in body["changed"]) == VIP_IDS
