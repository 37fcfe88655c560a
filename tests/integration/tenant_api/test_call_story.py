"""The tenant's calls and one call's story through the tenant API: real signed calls answered by the webhook,
their outcomes drained into the calls table, then listed, filtered and told as a clinic manager reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.common.clock import iso
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event
from tests.fixtures.outcomes import drain_outcomes
from tests.fixtures.tenant_api import TenantClient
from tests.integration.tenant_api.conftest import Call

NEW_YORK = ZoneInfo("America/New_York")


def completed(lambda_context: Any, aws: dict[str, Any], call_id: int, **facts: Any) -> None:
    """ThunderPhone reports the phone call's end on the org-level URL; the outcome recorder stores it."""
    from functions.webhook import handler

    data = {
        "call_id": call_id,
        "direction": "inbound",
        "from_number": demo.VIP_CALLER,
        "to_number": demo.DEMO_NUMBER,
        "status": "completed",
        "end_reason": "caller_hangup",
        "duration_seconds": 185,
        "billable_minutes": 4,
        "billing_total_cents": 36,
        "start_time": iso(datetime.now(UTC)),
    } | facts
    body = json.dumps({"data": data, "type": "telephony.complete"}, separators=(",", ":"), sort_keys=True).encode()
    response = handler.lambda_handler(signed_event(f"/webhooks/{demo.ORG_TOKEN}", body), lambda_context)
    assert response["statusCode"] == 200
    drained = drain_outcomes(aws["sqs"])
    assert drained.failed == []


@pytest.fixture
def calls(admin: TenantClient, phone_call: Call, web_call: Call, lambda_context: Any, aws: dict[str, Any]) -> None:
    """Jane Doe (VIP) calls the clinic's number and hangs up after 3 minutes; a visitor opens the pricing widget."""
    phone_call(5_001, caller=demo.VIP_CALLER)
    completed(lambda_context, aws, 5_001)
    web_call(5_002)


def test_the_list_shows_the_tenants_calls_newest_first_in_its_own_time_zone(admin: TenantClient, calls: None) -> None:
    status, page, _ = admin.get("/calls")
    assert status == 200, page
    assert page["time_zone"] == "America/New_York"
    assert [call["call_id"] for call in page["calls"][:2]] == [5_002, 5_001]
    phone = page["calls"][1]
    # Times carry the tenant's offset; the caller is masked as the decision log masks numbers
    assert datetime.fromisoformat(phone["at"]).utcoffset() == datetime.now(NEW_YORK).utcoffset()
    assert phone["caller"] == "+1415*****00" and demo.VIP_CALLER not in json.dumps(page)
    assert (phone["rule_id"], phone["profile_id"], phone["fallback"]) == ("vip", "vip-concierge", False)
    assert phone["outcome"]["duration_seconds"] == 185 and phone["outcome"]["end_reason"] == "caller hangup"
    assert page["calls"][0]["outcome"] is None  # the web session has not ended yet


def test_filters_narrow_the_list_and_a_cursor_pages_through_it(admin: TenantClient, calls: None) -> None:
    today = datetime.now(NEW_YORK).date().isoformat()
    ids = lambda query: [c["call_id"] for c in admin.get(f"/calls?{query}")[1]["calls"]]  # noqa: E731
    assert ids(f"day={today}&channel=phone") == [5_001]
    assert ids("channel=web&widget=pricing") == [5_002]
    assert ids("rule=vip") == [5_001]
    assert ids("fallback=yes") == []
    assert set(ids(f"day={today}&fallback=no")) == {5_001, 5_002}
    assert ids("day=2020-01-01") == []
    # One call a page: the second page continues after the first, and the last says there is no more
    status, first, _ = admin.get("/calls?limit=1")
    assert status == 200 and [c["call_id"] for c in first["calls"]] == [5_002] and first["next_cursor"]
    status, second, _ = admin.get(f"/calls?limit=1&cursor={first['next_cursor']}")
    assert [c["call_id"] for c in second["calls"]] == [5_001] and second["next_cursor"] is None
    # A cursor sent with a later day than its own page's has nothing left to show, and says so without asking
    # DynamoDB for a range that ends before it starts (which DynamoDB refuses; moto does not)
    from functions.tenant_api.dependencies import deps

    ranges: list[tuple[str, str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        values = params.get("ExpressionAttributeValues") or {}
        if ":start" in values and ":before" in values:
            ranges.append((values[":start"]["S"], values[":before"]["S"]))

    deps.dynamodb.meta.events.register("before-parameter-build.dynamodb.Query", record)
    tomorrow = (datetime.now(NEW_YORK) + timedelta(days=1)).date().isoformat()
    status, later, _ = admin.get(f"/calls?limit=1&day={tomorrow}&cursor={first['next_cursor']}")
    assert (status, later["calls"], later["next_cursor"]) == (200, [], None)
    assert ids(f"day={today}") == [5_002, 5_001]
    assert ranges and all(start <= before for start, before in ranges)


def test_a_calls_story_says_why_its_rule_matched_and_how_it_went(admin: TenantClient, calls: None) -> None:
    status, story, _ = admin.get("/calls/5001")
    assert status == 200, story
    assert story["channel"] == "phone" and story["number"] == demo.DEMO_NUMBER
    assert story["caller"] == "+1415*****00" and story["customer_known"] is True
    assert story["why"] == [
        "The rule 'vip' was the first rule, in priority order, whose conditions all held:",
        "The customer is in the segment 'vip'.",
    ]
    assert (story["profile_id"], story["profile_version"], story["config_version"]) == ("vip-concierge", 1, 1)
    assert story["stale"] is False and story["fallback_reason"] is None
    assert story["outcome"] == {
        "status": "completed",
        "duration_seconds": 185,
        "end_reason": "caller hangup",
        "billable_minutes": 4,
        "cost_cents": 36,
    }
    status, web, _ = admin.get("/calls/5002")
    assert web["why"][1:] == ["It started from the widget 'pricing'."] and web["caller"] is None
    assert web["outcome"] is None and web["grade"] is None


def test_a_fallback_is_told_in_words(admin: TenantClient, phone_call: Call) -> None:
    # Given the operator suspended the tenant (live at once), a call falls back to ThunderPhone's own agent
    from functions.tenant_api.dependencies import deps
    from functions.tenant_config.store import ConfigStore

    store = ConfigStore(deps.dynamodb, deps.settings.TABLE_NAME, actor="operator", writer="operator")
    settings = store.get(demo.TENANT_ID, "tenant", demo.TENANT_ID)
    assert settings is not None
    store.put(demo.TENANT_ID, settings.model_copy(update={"status": "suspended"}), expected_version=settings.version)
    phone_call(5_003)
    status, story, _ = admin.get("/calls/5003")
    assert status == 200 and story["fallback"] is True
    assert story["fallback_reason"] == (
        "Your service was suspended by the operator at the time: "
        "ThunderPhone answered with the agent set on your key or number instead."
    )
    assert admin.get("/calls?fallback=yes")[1]["calls"][0]["call_id"] == 5_003


def test_viewers_read_calls_too(viewer: TenantClient, calls: None) -> None:
    assert viewer.get("/calls")[0] == 200
    assert viewer.get("/calls/5001")[0] == 200


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("day=yesterday", "day", "day must be a date like 2026-05-01"),
        ("day=2026-02-30", "day", "day must be a date like 2026-05-01"),
        ("channel=fax", "channel", "channel must be phone or web"),
        ("widget=../x", "widget", "widget must be one of your widgets' names"),
        ("rule=%00", "rule", "rule must be one of your rules' names"),
        ("fallback=maybe", "fallback", "fallback must be yes"),
        ("limit=0", "limit", "limit must be a whole number from 1 to 100"),
        ("limit=-5", "limit", "limit must be a whole number from 1 to 100"),
        ("cursor=not-ours", "cursor", "the cursor is not one this list gave"),
        ("cursor=%F0%9F%98%80", "cursor", "the cursor is not one this list gave"),
    ],
)
def test_bad_filters_are_refused_in_words(admin: TenantClient, query: str, field: str, words: str) -> None:
    status, body, _ = admin.get(f"/calls?{query}")
    assert status == 400, body
    assert words in body["message"] and field in body["fields"]


@pytest.mark.parametrize("call_id", ["abc", "0", "-1", "1.5", "99999999999999999999", "%2F..%2F"])
def test_a_call_id_that_is_no_number_is_refused_in_words(admin: TenantClient, call_id: str) -> None:
    status, body, _ = admin.get(f"/calls/{call_id}")
    assert 400 <= status < 500, body
    assert "message" in body and "Traceback" not in json.dumps(body)


def test_an_unknown_call_is_not_found_in_words(admin: TenantClient) -> None:
    status, body, _ = admin.get("/calls/424242")
    assert status == 404
    assert body["message"].startswith("there is no such call among your calls")


def test_the_report_counts_the_tenants_own_days_as_the_list_does(
    admin: TenantClient, phone_call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.webhook.dependencies import deps as webhook

    # Given a call at 02:30 UTC: the evening before, in the clinic's New York
    late = datetime.now(UTC).replace(hour=2, minute=30, second=0, microsecond=0)
    monkeypatch.setattr(webhook, "now", lambda: late)
    phone_call(5_010)
    evening = late.astimezone(NEW_YORK).date()
    # When the report covers that evening and the next day
    status, report, _ = admin.get(f"/calls/report?from={evening}&to={evening + timedelta(days=1)}")
    # Then the call is the evening's, as the calls list of that day says
    assert status == 200
    assert [(d["day"], d["phone"]) for d in report["daily"]] == [
        (evening.isoformat(), 1),
        ((evening + timedelta(days=1)).isoformat(), 0),
    ]
    assert [c["call_id"] for c in admin.get(f"/calls?day={evening}")[1]["calls"]] == [5_010]


def test_another_tenants_calls_are_not_there_even_by_id_or_cursor(
    admin: TenantClient, globex: TenantClient, calls: None
) -> None:
    # Another tenant's call reads exactly as a call that never happened
    unknown = globex.get("/calls/424242")[:2]
    assert globex.get("/calls/5001")[:2] == unknown and unknown[0] == 404
    # Its list is its own (empty), and the demo's own cursor pages nothing of the demo's for it
    assert globex.get("/calls")[1]["calls"] == []
    first = admin.get("/calls?limit=1")[1]
    assert first["next_cursor"]
    status, page, _ = globex.get(f"/calls?cursor={first['next_cursor']}")
    assert (status, page["calls"], page["next_cursor"]) == (200, [], None)
