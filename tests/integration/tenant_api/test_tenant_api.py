"""The tenant API as tenant admins use it, with what real signed calls get before and after each step."""

from __future__ import annotations

from typing import Any

import boto3

from tests.fixtures import tenants as demo
from tests.fixtures.aws import get_call, wait_for_decision
from tests.fixtures.tenant_api import TenantClient, tenant_api_transport
from tests.integration.tenant_api.conftest import Answered, Call

NEW_PRICING = "You quote {{ company_name }}'s new prices, clearly and briefly."


def edit_profile(admin: TenantClient, profile_id: str, **changes: Any) -> tuple[int, Any, dict[str, str]]:
    status, profile, headers = admin.get(f"/profiles/{profile_id}")
    assert status == 200
    return admin.put(f"/profiles/{profile_id}", profile | changes, etag=headers["ETag"])


def test_a_draft_is_not_live_until_published_and_rollback_brings_the_old_version_back(
    admin: TenantClient, web_call: Call
) -> None:
    assert "prices for visitors" in web_call(101)["prompt"]

    status, saved, headers = edit_profile(admin, "web-pricing", prompt=NEW_PRICING)
    assert (status, saved["effective"], headers["ETag"]) == (200, saved["effective"], '"2"')
    assert saved["effective"] == "Saved to the draft. Callers hear it after you publish."
    # Saved to the draft only: callers still get version 1.
    assert "prices for visitors" in web_call(102)["prompt"]
    status, draft, _ = admin.get("/draft")
    assert draft == {
        "live_version": 1,
        "changes": [{"kind": "profile", "id": "web-pricing", "change": "changed", "fields": ["prompt"]}],
    }

    status, published, _ = admin.post("/draft/publish")
    assert (status, published["version"]) == (201, 2)
    assert "new prices" in web_call(103)["prompt"]
    wait_for_decision(boto3.client("dynamodb"), demo.TENANT_ID, 103)

    status, rolled, _ = admin.post("/versions/1/rollback")
    assert (status, rolled["version"], rolled["restored_from"]) == (201, 3, 1)
    assert "prices for visitors" in web_call(104)["prompt"]
    # The draft follows the rollback, so the next publish does not bring the bad change back.
    assert admin.get("/draft")[1] == {"live_version": 3, "changes": []}
    assert "prices for visitors" in admin.get("/profiles/web-pricing")[1]["prompt"]
    versions = admin.get("/versions")[1]
    assert [(v["version"], v["restored_from"]) for v in versions["versions"]] == [(3, 1), (2, None), (1, None)]


def test_the_decision_log_records_the_version_that_answered(admin: TenantClient, web_call: Call) -> None:
    web_call(111)
    edit_profile(admin, "web-pricing", prompt=NEW_PRICING)
    admin.post("/draft/publish")
    web_call(112)
    client = boto3.client("dynamodb")
    for call_id in (111, 112):
        wait_for_decision(client, demo.TENANT_ID, call_id)
    versions = [(get_call(client, demo.TENANT_ID, n) or {}).get("config_version") for n in (111, 112)]
    assert versions == [1, 2]


def test_a_stale_edit_is_refused_with_the_other_change(admin: TenantClient) -> None:
    _, profile, headers = admin.get("/profiles/web-pricing")
    first = admin.put("/profiles/web-pricing", profile | {"voice": "en-US-Ava2"}, etag=headers["ETag"])
    assert first[0] == 200
    status, body, _ = admin.put("/profiles/web-pricing", profile | {"product": "bolt"}, etag=headers["ETag"])
    assert (status, body["error"]) == (412, "precondition_failed")
    assert "now version 2" in body["message"] and body["current"]["voice"] == "en-US-Ava2"
    # Without a precondition nothing is overwritten either.
    status, body, _ = admin.put("/profiles/web-pricing", profile)
    assert (status, body["error"]) == (428, "precondition_required")
    status, body, _ = admin.delete("/profiles/web-pricing")
    assert (status, body["error"]) == (428, "precondition_required")
    # Creating what exists says how to change it instead.
    status, body, _ = admin.put("/profiles/web-pricing", profile, create=True)
    assert (status, body["error"]) == (412, "already_exists")
    assert (
        body["message"]
        == "profile 'web-pricing' already exists (version 2); open it to change it, or choose another name"
    )


def test_a_rule_naming_a_missing_profile_is_refused_and_nothing_is_written(admin: TenantClient) -> None:
    rule = {"priority": 5, "when": {"channel": "web"}, "profile_id": "no-such-profile"}
    status, body, _ = admin.put("/rules/new-rule", rule, create=True)
    assert (status, body["error"]) == (409, "integrity")
    assert body["fields"] == {
        "rules.new-rule.profile_id": ["rule 'new-rule' names profile 'no-such-profile', which does not exist"]
    }
    assert admin.get("/rules/new-rule")[0] == 404
    variants = {"priority": 5, "variants": [{"name": "a", "profile_id": "receptionist", "weight": 0}]}
    status, body, _ = admin.put("/rules/no-weight", variants, create=True)
    assert status == 422 and "weights must add up to more than 0" in body["message"]


def test_deleting_a_profile_in_use_names_its_users(admin: TenantClient) -> None:
    _, _, headers = admin.get("/profiles/vip-concierge")
    status, body, _ = admin.delete("/profiles/vip-concierge", etag=headers["ETag"])
    assert (status, body["error"]) == (409, "integrity") and "rule 'vip'" in body["message"]
    status, body, _ = admin.delete("/profiles/receptionist", etag='"1"')
    assert "the tenant's default profile setting" in body["message"] and "rule 'greeting-test'" in body["message"]
    # Once no rule uses it, it goes.
    _, _, rule_headers = admin.get("/rules/vip")
    assert admin.delete("/rules/vip", etag=rule_headers["ETag"])[0] == 200
    assert admin.delete("/profiles/vip-concierge", etag=headers["ETag"])[:2] == (
        200,
        {"deleted": "vip-concierge", "effective": "Deleted from the draft. Callers stop getting it after you publish."},
    )


def test_settings_refuse_operator_owned_fields_and_a_missing_default_profile(admin: TenantClient) -> None:
    _, settings, headers = admin.get("/settings")
    for field, value in (("status", "active"), ("phone_numbers", ["+15550100999"]), ("display_name", "X")):
        status, body, _ = admin.patch("/settings", {field: value}, etag=headers["ETag"])
        assert (status, body["error"], list(body["fields"])) == (403, "operator_owned", [field])
    status, body, _ = admin.patch("/settings", {"default_profile_id": "nope"}, etag=headers["ETag"])
    assert (status, body["error"]) == (409, "integrity") and "'nope' does not exist" in body["message"]
    status, body, out = admin.patch("/settings", {"timezone": "Europe/Paris"}, etag=headers["ETag"])
    assert status == 200 and body["item"]["timezone"] == "Europe/Paris" and out["ETag"] == '"2"'
    assert admin.get("/settings")[1]["status"] == settings["status"]


def test_a_viewer_reads_but_never_writes(admin: TenantClient, viewer: TenantClient) -> None:
    assert viewer.get("/profiles")[0] == 200 and viewer.get("/draft")[0] == 200
    _, profile, headers = viewer.get("/profiles/web-pricing")
    refusals = [
        viewer.put("/profiles/web-pricing", profile, etag=headers["ETag"]),
        viewer.delete("/rules/vip", etag='"1"'),
        viewer.patch("/settings", {"timezone": "UTC"}, etag='"1"'),
        viewer.post("/draft/publish"),
        viewer.post("/versions/1/rollback"),
        viewer.request("DELETE", "/draft"),
    ]
    assert {(status, body["error"]) for status, body, _ in refusals} == {(403, "forbidden")}
    assert viewer.post("/simulate", {"channel": "web"})[0] == 200  # a preview changes nothing


def test_another_tenants_ids_are_simply_not_found(admin: TenantClient, globex: TenantClient) -> None:
    assert [p["profile_id"] for p in globex.get("/profiles")[1]["items"]] == ["receptionist"]
    assert globex.get("/profiles/vip-concierge")[0] == 404
    status, body, _ = globex.put("/profiles/vip-concierge", {"prompt": "mine now", "voice": "v"}, etag='"1"')
    assert (status, body["error"]) == (404, "not_found")
    assert globex.get("/customers/%2B14155550100")[0] == 404
    assert admin.get("/profiles/vip-concierge")[1]["prompt"].startswith("You are the personal concierge")


def test_no_token_or_no_group_is_refused() -> None:
    send = tenant_api_transport(None)
    status, _, body = send("GET", "https://api.example.test/tenant/v1/profiles", {}, b"")
    assert status == 401 and b"sign in" in body
    status, _, body = tenant_api_transport("demo", "owner")(
        "GET", "https://api.example.test/tenant/v1/profiles", {}, b""
    )
    assert status == 403 and b"ask the operator to make you an admin or a viewer" in body


def test_impact_lists_the_recent_calls_a_draft_would_change(admin: TenantClient, answered: Answered) -> None:
    web_ids, vip_ids = [201, 202, 203], [204, 205]
    answered(web_ids, vip_ids)
    assert admin.get("/draft/impact?days=7")[1]["changed"] == []

    _, rule, headers = admin.get("/rules/pricing-page")
    admin.put("/rules/pricing-page", rule | {"enabled": False}, etag=headers["ETag"])
    status, impact, _ = admin.get("/draft/impact?days=7")
    assert status == 200 and impact["calls_checked"] == 5
    assert sorted(change["call_id"] for change in impact["changed"]) == web_ids
    change = impact["changed"][0]
    assert change["live"]["rule_id"] == "pricing-page" and change["draft"]["rule_id"] == "greeting-test"


def test_simulate_previews_the_draft_or_live_and_refuses_calls_that_cannot_happen(admin: TenantClient) -> None:
    edit_profile(admin, "web-pricing", prompt=NEW_PRICING)
    call = {"channel": "web", "widget_id": "pricing"}
    draft = admin.post("/simulate", call | {"config": "draft"})[1]
    live = admin.post("/simulate", call | {"config": "live"})[1]
    assert "new prices" in draft["answer"]["prompt"] and draft["config_version"] is None
    assert "prices for visitors" in live["answer"]["prompt"] and live["config_version"] == 1
    assert draft["rule_id"] == "pricing-page" and any("pricing-page" in reason for reason in draft["reasons"])
    status, body, _ = admin.post("/simulate", {"channel": "phone", "widget_id": "pricing"})
    assert status == 422 and "a widget only starts web sessions" in body["message"]
    status, body, _ = admin.post("/simulate", {"channel": "phone", "caller": "0155 555"})
    assert status == 422 and "caller" in body["fields"]


def test_customers_are_live_versioned_and_paged(admin: TenantClient) -> None:
    path = "/customers/%2B15551234567"
    status, body, headers = admin.put(path, {"name": "Ada", "segment": "vip"}, create=True)
    assert (status, headers["ETag"]) == (201, '"1"') and body[
        "effective"
    ] == "Saved. Calls get it within about a minute."
    assert admin.get(path)[1]["name"] == "Ada"
    status, body, _ = admin.put(path, {"name": "Ada L."}, etag='"7"')
    assert status == 412
    first = admin.get("/customers?limit=1")[1]
    second = admin.get(f"/customers?limit=1&cursor={first['next_cursor']}")[1]
    assert len(first["items"]) == 1 and second["items"][0]["customer_id"] != first["items"][0]["customer_id"]
    assert admin.delete(path, etag='"1"')[0] == 200 and admin.get(path)[0] == 404


def test_unknown_placeholders_are_a_warning_and_bad_templates_an_error(admin: TenantClient) -> None:
    profile = {"prompt": "Hello {{ nickname }}, welcome to {{ company_name }}.", "voice": "en-US-Ava1"}
    status, body, _ = admin.put("/profiles/greeter", profile, create=True)
    assert status == 201 and len(body["warnings"]) == 1 and "nickname" in body["warnings"][0]
    status, body, _ = admin.put("/profiles/broken", {"prompt": "Hi {{ bogus.name }}", "voice": "v"}, create=True)
    assert status == 422 and "unknown namespace" in body["message"]


def test_bad_bodies_are_explained(admin: TenantClient) -> None:
    status, body, _ = admin.request("PUT", "/profiles/x", None, {"if-none-match": "*"})
    assert status == 422
    status, body, _ = admin.put("/profiles/x", {"prompt": "hi", "voice": "v", "colour": "red"}, create=True)
    assert status == 422 and "colour" in body["fields"].get("body.colour", [""])[0] + str(body["fields"])
    send = tenant_api_transport("demo")
    status, _, raw = send("PUT", "https://h/tenant/v1/profiles/x", {"if-none-match": "*"}, b"{not json")
    assert status == 400 and b"valid JSON" in raw


def test_publishing_nothing_and_discarding_a_draft(admin: TenantClient, web_call: Call) -> None:
    status, body, _ = admin.post("/draft/publish")
    assert (status, body["error"]) == (409, "nothing_to_publish")
    edit_profile(admin, "web-pricing", prompt=NEW_PRICING)
    status, body, _ = admin.request("DELETE", "/draft")
    assert (status, body) == (200, {"discarded": 1})
    assert "prices for visitors" in admin.get("/profiles/web-pricing")[1]["prompt"]
    assert admin.get("/draft")[1]["changes"] == []


def test_edits_are_logged_by_tenant_and_kind_never_by_content(admin: TenantClient, json_logs: Any) -> None:
    customer = {"name": "Ada Lovelace", "variables": {"note": "private-note-value"}}
    assert admin.put("/customers/%2B15557654321", customer, create=True)[0] == 201
    edit_profile(admin, "web-pricing", prompt=NEW_PRICING)
    assert admin.post("/draft/publish")[0] == 201
    lines = json_logs()
    assert {line["message"] for line in lines} >= {"item saved", "draft published"}
    text = str(lines)
    for private in ("Ada Lovelace", "private-note-value", "+15557654321", "new prices"):
        assert private not in text


def test_every_read_route_answers_a_viewer_with_an_etag(viewer: TenantClient) -> None:
    reads = [
        "/profiles",
        "/profiles/receptionist",
        "/rules",
        "/rules/vip",
        "/customers",
        "/customers/%2B14155550100",
        "/settings",
        "/draft",
        "/draft/impact?days=1",
        "/versions",
        "/versions/1",
    ]
    for path in reads:
        status, body, headers = viewer.get(path)
        assert status == 200 and headers.get("ETag"), (path, status, body)
    version = viewer.get("/versions/1")[1]
    assert version["version"] == 1 and {p["profile_id"] for p in version["profiles"]} >= {"receptionist"}
    assert viewer.get("/versions/9")[0] == 404


def test_sticky_variants_are_for_phone_rules_only(admin: TenantClient) -> None:
    variants = [
        {"name": "A", "profile_id": "receptionist", "weight": 1},
        {"name": "B", "profile_id": "vip-concierge", "weight": 1},
    ]
    web = {"priority": 5, "when": {"channel": "web"}, "bucket_by": "caller", "variants": variants}
    status, body, _ = admin.put("/rules/sticky", web, create=True)
    assert status == 422 and "web sessions have no caller" in body["message"]
    phone = web | {"when": {"channel": "phone"}}
    assert admin.put("/rules/sticky", phone, create=True)[0] == 201
