"""The provisioning Lambda in-process: real Powertools, real adapters, moto, and the fake ThunderPhone API."""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

import pytest

from functions.common import table
from functions.common.errors import StoreUnavailable
from functions.webhook_routes.model import Route, route_id, token_in
from functions.webhook_routes.repository import RouteRepository
from tests.fixtures.admin import API_KEY, WEBHOOK_BASE, Call
from tests.fixtures.apigw import load_event
from tests.fixtures.aws import SIGNING_SECRET, SIGNING_SECRET_NAME, TABLE_NAME
from tests.fixtures.thunderphone import FakeThunderPhone

KEY = {"name": "Pricing page", "widget_id": "pricing", "allowed_domains": ["www.acme.example", "acme.example"]}
CREATE = ("POST", "/v1/publishable-key")
TOKEN_URL = re.compile(rf"^{re.escape(WEBHOOK_BASE)}/webhooks/[A-Za-z0-9_-]{{32}}$")


def items(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return aws["dynamodb"].scan(TableName=TABLE_NAME)["Items"]  # type: ignore[no-any-return]


def key_records(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in items(aws) if item[table.SORT_KEY]["S"].startswith(table.KEY_PREFIX)]


def route(aws: dict[str, Any], url: str) -> Route:
    """The route a webhook URL opens, read from the table."""
    token = token_in(url)
    assert token is not None, url
    found = RouteRepository(aws["dynamodb"], TABLE_NAME).get(route_id(token), consistent=True)
    assert found is not None, "no route for the URL"
    return found


# ---------------------------------------------------------------- tenants


def test_admin_create_tenant_event_creates_tenant_and_profile(
    call: Call, provisioning_env: Any, lambda_context: Any
) -> None:
    from functions.provisioning.handler import lambda_handler

    result = lambda_handler(load_event("admin_create_tenant.json"), lambda_context)
    body = json.loads(result["body"])
    assert result["statusCode"] == 201
    assert body["tenant"]["updated_by"].endswith("assumed-role/SwitchboardOperator/ops-session")
    assert body["default_profile"]["product"] == "bolt"
    status, again = call("GET", "/admin/tenants/acme")
    assert (status, again["tenant"]["phone_numbers"]) == (200, ["+15551230001"])


def test_admin_create_tenant_twice_is_a_conflict(call: Call, tenant: str) -> None:
    status, body = call("POST", "/admin/tenants", {"tenant_id": tenant, "display_name": "Again"})
    assert (status, body["error"]) == (409, "already_exists")


def test_admin_create_tenant_rejects_bad_input_naming_fields(call: Call) -> None:
    status, body = call(
        "POST", "/admin/tenants", {"tenant_id": "Bad_ID", "display_name": "X", "timezone": "Mars/Base", "colour": 1}
    )
    assert status == 400
    assert body["error"] == "validation_error"
    assert {"tenant_id", "colour"} <= set(body["fields"])


def test_admin_create_tenant_rejects_unknown_time_zone(call: Call) -> None:
    status, body = call("POST", "/admin/tenants", {"tenant_id": "t1", "display_name": "X", "timezone": "Mars/Base"})
    assert status == 400
    assert "unknown time zone" in body["message"]


def test_admin_get_unknown_tenant_is_404(call: Call) -> None:
    status, body = call("GET", "/admin/tenants/nobody")
    assert (status, body["error"]) == (404, "not_found")


def test_admin_patch_tenant_suspends_with_version_check(call: Call, tenant: str) -> None:
    status, body = call("PATCH", f"/admin/tenants/{tenant}", {"version": 1, "status": "suspended"})
    assert (status, body["tenant"]["status"], body["tenant"]["version"]) == (200, "suspended", 2)
    status, body = call("PATCH", f"/admin/tenants/{tenant}", {"version": 1, "display_name": "Stale"})
    assert (status, body["error"]) == (409, "version_conflict")
    status, listing = call("GET", "/admin/tenants")
    assert [(t["tenant_id"], t["status"]) for t in listing["tenants"]] == [(tenant, "suspended")]


def test_admin_patch_tenant_number_taken(call: Call, tenant: str) -> None:
    call("POST", "/admin/tenants", {"tenant_id": "other", "display_name": "O", "phone_numbers": ["+15550001111"]})
    status, body = call("PATCH", f"/admin/tenants/{tenant}", {"version": 1, "phone_numbers": ["+15550001111"]})
    assert (status, body["error"]) == (409, "number_taken")


# ---------------------------------------------------------------- keys


def test_admin_create_key_event_derives_the_webhook_url_from_the_stage(
    call: Call, tenant: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, provisioning_env: dict[str, Any]
) -> None:
    from functions.provisioning import handler
    from functions.provisioning.dependencies import deps

    monkeypatch.delenv("WEBHOOK_BASE_URL")
    deps.reset()
    result = handler.lambda_handler(load_event("admin_create_key.json"), lambda_context)
    body = json.loads(result["body"])
    assert result["statusCode"] == 201, body
    stage_base = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/webhooks/"
    assert re.fullmatch(re.escape(stage_base) + r"[A-Za-z0-9_-]{32}", body["webhook_url"])
    opened = route(provisioning_env, body["webhook_url"])
    assert (opened.tenant_id, opened.widget_id) == ("acme", "pricing")
    assert body["warnings"]  # only *.acme-dental.example and www, not the bare domain
    again = handler.lambda_handler(load_event("admin_create_key.json"), lambda_context)
    assert (again["statusCode"], json.loads(again["body"])["id"]) == (200, body["id"])
    assert json.loads(again["body"])["webhook_url"] == body["webhook_url"]


def test_admin_create_key_stores_record_and_returns_snippets(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    assert status == 201
    assert TOKEN_URL.match(body["webhook_url"])
    opened = route(provisioning_env, body["webhook_url"])
    assert (opened.kind, opened.tenant_id, opened.widget_id, opened.active) == ("key", tenant, "pricing", True)
    assert body["route_id"] == opened.route_id
    assert body["key"] in body["embed"]["react"]
    assert "useThunderPhone" in body["embed"]["hook"]
    assert "ThunderPhone.mount" in body["embed"]["cdn"]
    remote = fake_thunderphone.keys[body["id"]]
    assert (remote["mode"], remote["webhook_url"]) == ("webhook", body["webhook_url"])
    [record] = key_records(provisioning_env)
    assert record[table.PARTITION_KEY]["S"] == table.operator_pk(tenant)  # out of the tenant admin's reach
    assert record["key"]["S"] == body["key"]  # the pk value is public by design
    [reservation] = [item for item in items(provisioning_env) if item[table.SORT_KEY]["S"].startswith("KEYREQ#")]
    assert reservation[table.PARTITION_KEY]["S"] == table.operator_pk(tenant)
    assert route_id(reservation["webhook_token"]["S"]) == opened.route_id
    assert not any(
        item[table.PARTITION_KEY]["S"] == table.tenant_pk(tenant) and item[table.SORT_KEY]["S"].startswith("KEY")
        for item in items(provisioning_env)
    )
    # Published configurations are compressed: read them as the router does.
    text = json.dumps(items(provisioning_env), default=lambda compiled: zlib.decompress(compiled).decode())
    assert API_KEY not in text
    assert "whsec_" not in text


def test_admin_create_key_agent_mode_requires_agent_id(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone
) -> None:
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", {"mode": "agent", "allowed_domains": ["a.example"]})
    assert status == 400
    assert "agent_id is required" in body["message"]
    status, body = call(
        "POST", f"/admin/tenants/{tenant}/keys", {"mode": "agent", "agent_id": 12, "allowed_domains": ["a.example"]}
    )
    assert (status, body["agent_id"], body["webhook_url"]) == (201, 12, None)


def test_admin_create_key_bad_domains_never_reach_thunderphone(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone
) -> None:
    status, body = call(
        "POST", f"/admin/tenants/{tenant}/keys", {"allowed_domains": ["https://a.example", "*.*", "ok.example"]}
    )
    assert (status, body["error"]) == (400, "invalid_domains")
    assert len(body["fields"]["allowed_domains"]) == 2
    assert "'https://a.example'" in body["message"] and "'*.*'" in body["message"]
    assert fake_thunderphone.count(*CREATE) == 0


def test_admin_create_key_for_unknown_tenant_is_404(call: Call, fake_thunderphone: FakeThunderPhone) -> None:
    status, _ = call("POST", "/admin/tenants/ghost/keys", KEY)
    assert status == 404
    assert fake_thunderphone.count(*CREATE) == 0


def test_admin_create_key_crash_between_create_and_store_is_recovered(
    call: Call,
    tenant: str,
    fake_thunderphone: FakeThunderPhone,
    provisioning_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.provisioning.adapters import DynamoKeyStore

    # Given ThunderPhone creates the key, then our DynamoDB write fails
    original = DynamoKeyStore.complete
    failures = iter([True])

    def flaky(self: DynamoKeyStore, *args: Any) -> None:
        if next(failures, False):
            raise StoreUnavailable("store key failed: ProvisionedThroughputExceededException")
        original(self, *args)

    monkeypatch.setattr(DynamoKeyStore, "complete", flaky)
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    assert (status, body["error"]) == (503, "store_unavailable")
    assert len(fake_thunderphone.keys) == 1
    assert key_records(provisioning_env) == []
    sent = fake_thunderphone.keys[next(iter(fake_thunderphone.keys))]["webhook_url"]
    # When the same request is retried; Then exactly one key exists and it is recorded, with the same URL
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    assert status == 201
    assert list(fake_thunderphone.keys) == [body["id"]]
    assert [int(r["id"]["N"]) for r in key_records(provisioning_env)] == [body["id"]]
    assert fake_thunderphone.count(*CREATE) == 1
    assert body["webhook_url"] == sent
    assert route(provisioning_env, sent).active


def test_admin_create_key_timeout_after_thunderphone_created_it(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone
) -> None:
    fake_thunderphone.delay_next(0.8)  # longer than THUNDERPHONE_TIMEOUT_MS=400
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY, {"idempotency-key": "req-1"})
    assert (status, body["error"]) == (503, "thunderphone_unavailable")
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY, {"idempotency-key": "req-1"})
    assert status == 201
    assert list(fake_thunderphone.keys) == [body["id"]]
    assert fake_thunderphone.keys[body["id"]]["webhook_url"] == body["webhook_url"]


def test_admin_create_key_402_then_retry(call: Call, tenant: str, fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(402)
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    assert (status, body["error"]) == (402, "thunderphone_payment_required")
    status, _ = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    assert status == 201
    assert len(fake_thunderphone.keys) == 1


def test_admin_bad_api_key_is_a_502_without_the_key(
    call: Call, tenant: str, provisioning_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    provisioning_env["secretsmanager"].put_secret_value(
        SecretId="switchboard/thunderphone-api-key", SecretString="sk_live_revoked_key_value"
    )
    status, body = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    assert (status, body["error"]) == (502, "thunderphone_auth")
    assert "switchboard/thunderphone-api-key" in body["message"]
    output = capsys.readouterr().out
    assert "sk_live_revoked_key_value" not in output + json.dumps(body)
    assert API_KEY not in output


def test_admin_thunderphone_5xx_exhausted_is_503_with_retry_after(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone
) -> None:
    status, created = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    fake_thunderphone.fail_next(502, times=10)
    status, body = call("PATCH", f"/admin/tenants/{tenant}/keys/{created['id']}", {"name": "Renamed"})
    assert (status, body["error"]) == (503, "thunderphone_unavailable")
    assert fake_thunderphone.count("PATCH", f"/v1/publishable-key/{created['id']}") == 3  # 1 + 2 retries


def test_admin_patch_key_domains_retried_through_429(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone
) -> None:
    _, created = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    fake_thunderphone.fail_next(429, retry_after=0)
    status, body = call(
        "PATCH",
        f"/admin/tenants/{tenant}/keys/{created['id']}",
        {"allowed_domains": ["*.Shop.example", "shop.example"]},
    )
    assert (status, body["allowed_domains"], body["warnings"]) == (200, ["*.shop.example", "shop.example"], [])
    assert fake_thunderphone.keys[created["id"]]["allowed_domains"] == ["*.shop.example", "shop.example"]
    assert fake_thunderphone.keys[created["id"]]["name"].startswith("Pricing page [sb:")


def test_admin_disable_enable_and_deactivate_key(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    _, created = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    path = f"/admin/tenants/{tenant}/keys/{created['id']}"
    status, body = call("PATCH", path, {"is_enabled": False})
    assert (status, body["status"], fake_thunderphone.keys[created["id"]]["is_enabled"]) == (200, "disabled", False)
    status, body = call("PATCH", path, {"is_enabled": True})
    assert body["status"] == "active"
    status, body = call("DELETE", path)
    assert (status, body["status"], fake_thunderphone.keys[created["id"]]["is_active"]) == (200, "deactivated", False)
    assert not route(provisioning_env, created["webhook_url"]).active
    status, body = call("PATCH", path, {"name": "Too late"})
    assert (status, body["error"]) == (409, "key_deactivated")


def test_admin_rotate_key(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    _, old = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    status, new = call("POST", f"/admin/tenants/{tenant}/keys/{old['id']}/rotate")
    assert status == 201
    assert (new["replaces"], new["widget_id"], new["allowed_domains"]) == (old["id"], "pricing", old["allowed_domains"])
    assert new["key"] != old["key"]
    assert TOKEN_URL.match(new["webhook_url"]) and new["webhook_url"] != old["webhook_url"]
    assert fake_thunderphone.keys[new["id"]]["webhook_url"] == new["webhook_url"]
    new_route, old_route = route(provisioning_env, new["webhook_url"]), route(provisioning_env, old["webhook_url"])
    assert (new_route.tenant_id, new_route.widget_id, new_route.active) == (tenant, "pricing", True)
    assert not old_route.active
    assert fake_thunderphone.keys[old["id"]]["is_active"] is False
    assert fake_thunderphone.keys[new["id"]]["is_active"] is True
    status, again = call("POST", f"/admin/tenants/{tenant}/keys/{old['id']}/rotate")
    assert (status, again["id"]) == (200, new["id"])
    _, listing = call("GET", f"/admin/tenants/{tenant}/keys")
    assert [(k["id"], k["status"]) for k in listing["keys"]] == [(old["id"], "deactivated"), (new["id"], "active")]


def test_admin_key_record_naming_another_key_is_refused(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    # Given a stored record whose own id is not the key its sort key names
    _, mine = call("POST", f"/admin/tenants/{tenant}/keys", KEY)
    [record] = key_records(provisioning_env)
    moved = {**record, table.SORT_KEY: {"S": table.key_sk("4242")}}
    provisioning_env["dynamodb"].put_item(TableName=TABLE_NAME, Item=moved)
    # When the operator acts on that key; Then the record is refused as invalid and nothing happens
    for method, path in (("POST", "/rotate"), ("DELETE", ""), ("GET", "")):
        status, body = call(method, f"/admin/tenants/{tenant}/keys/4242{path}")
        assert (status, body["error"]) == (409, "invalid_stored_item"), (method, path)
    assert call("GET", f"/admin/tenants/{tenant}/keys")[0] == 409
    assert fake_thunderphone.keys[mine["id"]]["is_active"] is True
    assert len(fake_thunderphone.keys) == 1


def test_admin_unknown_key_and_route(call: Call, tenant: str) -> None:
    assert call("GET", f"/admin/tenants/{tenant}/keys/999")[0] == 404
    assert call("GET", "/admin/nothing-here")[1]["error"] == "not_found"


# ---------------------------------------------------------------- org-level webhook endpoint


def test_admin_webhook_endpoint_stores_secret_beside_the_current_one(
    call: Call, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    status, body = call("POST", "/admin/webhook-endpoint", {})
    assert status == 201
    [endpoint] = fake_thunderphone.endpoints.values()
    assert TOKEN_URL.match(endpoint["url"])
    opened = route(provisioning_env, endpoint["url"])
    assert (opened.kind, opened.tenant_id, opened.active) == ("org", None, True)
    assert {"telephony.incoming", "web.incoming", "call.graded"} <= set(endpoint["events"])
    stored = json.loads(
        provisioning_env["secretsmanager"].get_secret_value(SecretId=SIGNING_SECRET_NAME)["SecretString"]
    )
    assert stored == {"secrets": [endpoint["secret"], SIGNING_SECRET]}
    assert "whsec_" not in json.dumps(body).replace(endpoint["secret_hint"], "")
    status, again = call("POST", "/admin/webhook-endpoint", {})
    assert (status, again["created"], len(fake_thunderphone.endpoints)) == (200, False, 1)
    assert again["endpoint"]["url"] == endpoint["url"]


def test_admin_webhook_endpoint_rotate_secret_gives_a_new_url(
    call: Call, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    _, first = call("POST", "/admin/webhook-endpoint", {})
    status, second = call("POST", "/admin/webhook-endpoint", {"rotate_secret": True})
    assert (status, second["removed_endpoint_ids"]) == (201, [first["endpoint"]["id"]])
    assert list(fake_thunderphone.endpoints) == [second["endpoint"]["id"]]
    assert second["endpoint"]["url"] != first["endpoint"]["url"]
    assert not route(provisioning_env, first["endpoint"]["url"]).active
    assert route(provisioning_env, second["endpoint"]["url"]).active


def test_admin_webhook_endpoint_refuses_a_full_url(call: Call, fake_thunderphone: FakeThunderPhone) -> None:
    status, body = call("POST", "/admin/webhook-endpoint", {"url": "https://hooks.example.test/webhooks"})
    assert (status, body["error"]) == (400, "validation_error")
    status, body = call("POST", "/admin/webhook-endpoint", {"base_url": "ftp://hooks.example.test"})
    assert (status, body["error"]) == (400, "validation_error")
    status, body = call("POST", "/admin/webhook-endpoint", {"base_url": "https://custom.example.test"})
    assert status == 201
    assert body["endpoint"]["url"].startswith("https://custom.example.test/webhooks/")
    assert list(fake_thunderphone.endpoints) == [body["endpoint"]["id"]]
