"""The live migration against a moto table in the shape deployments had before publishing existed: tenants with
settings, profiles and rules (a draft) and no LIVE item. Run as CloudFormation's custom resource runs it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common import table
from functions.live_migration import handler
from functions.live_migration.dependencies import deps
from functions.tenant_config.models import AgentProfile, RoutingRule, Tenant
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore
from functions.webhook import handler as webhook
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import TABLE_NAME, add_route, put_by_hand, seed

CREATE = {"RequestType": "Create", "ResourceProperties": {}}


@pytest.fixture(autouse=True)
def _migration_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    deps.reset()
    yield
    deps.reset()


def _old_tenant(dynamodb: Any, tenant_id: str, *, rule_profile: str = "main") -> None:
    """A tenant as earlier versions stored it: its draft items only, never published."""
    items = [
        Tenant(
            tenant_id=tenant_id, display_name=f"{tenant_id} Ltd", timezone="Europe/Paris", default_profile_id="main"
        ),
        AgentProfile(profile_id="main", prompt=f"You answer for {tenant_id}.", voice="en-US-James1", product="spark"),
        RoutingRule(rule_id="web", priority=10, when={"channel": "web"}, profile_id=rule_profile),
    ]
    seed(dynamodb, TABLE_NAME, tenant_id, items, publish=False)


def _live_version(dynamodb: Any, tenant_id: str) -> int | None:
    live = Drafts(
        ConfigStore(dynamodb, TABLE_NAME, actor="test", writer="operator"), dynamodb, TABLE_NAME, "test"
    ).live(tenant_id)
    return None if live is None else live.version


def _canonical(items: list[dict[str, Any]]) -> list[str]:
    return sorted(repr(sorted(item.items())) for item in items)


def _migrate(lambda_context: Any, event: dict[str, Any] = CREATE) -> dict[str, Any]:
    return handler.lambda_handler(event, lambda_context)


def test_publishes_a_first_version_for_every_tenant_without_one_and_leaves_live_ones_alone(
    aws: dict[str, Any], lambda_context: Any
) -> None:
    # Given two tenants in the old shape (draft only) and the demo tenant, already live at version 1
    dynamodb = aws["dynamodb"]
    _old_tenant(dynamodb, "acme")
    _old_tenant(dynamodb, "globex")
    seed(dynamodb, TABLE_NAME, demo.TENANT_ID, demo.demo_items())
    # When the deploy runs the migration
    result = _migrate(lambda_context)
    # Then the old tenants are live at version 1, published by the migration, and the demo tenant is untouched
    assert result["PhysicalResourceId"] == handler.PHYSICAL_ID
    assert result["Data"] == {
        "Summary": "2 published, 1 already live, 0 refused",
        "Published": 2,
        "AlreadyLive": 1,
        "Refused": 0,
    }
    assert {tenant: _live_version(dynamodb, tenant) for tenant in ("acme", "globex", demo.TENANT_ID)} == {
        "acme": 1,
        "globex": 1,
        demo.TENANT_ID: 1,
    }
    live = Drafts(ConfigStore(dynamodb, TABLE_NAME, actor="t", writer="operator"), dynamodb, TABLE_NAME, "t").versions(
        "acme"
    )
    assert [(info.version, info.published_by) for info in live] == [(1, "live-migration")]


def test_running_it_twice_changes_nothing(aws: dict[str, Any], lambda_context: Any) -> None:
    dynamodb = aws["dynamodb"]
    _old_tenant(dynamodb, "acme")
    _migrate(lambda_context)
    before = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    # When the migration runs again (a second deploy, or an Update of the resource)
    result = _migrate(lambda_context, {"RequestType": "Update", "PhysicalResourceId": handler.PHYSICAL_ID})
    # Then it publishes nothing and the table is exactly as it was
    assert result["Data"]["Summary"] == "0 published, 1 already live, 0 refused"
    assert _canonical(dynamodb.scan(TableName=TABLE_NAME)["Items"]) == _canonical(before)
    assert _live_version(dynamodb, "acme") == 1


def test_a_draft_that_cannot_be_published_is_reported_and_the_others_still_go_live(
    aws: dict[str, Any], lambda_context: Any, json_logs: Any
) -> None:
    # Given a tenant whose rule names a profile it does not have, and one whose settings item was broken by hand
    dynamodb = aws["dynamodb"]
    _old_tenant(dynamodb, "broken", rule_profile="gone")
    _old_tenant(dynamodb, "acme")
    put_by_hand(
        dynamodb,
        "mangled",
        table.TENANT_SK,
        tenant_id="mangled",
        timezone="Not/AZone",
        **{
            table.TENANT_INDEX_PARTITION_KEY: table.TENANT_INDEX_PARTITION_VALUE,
            table.TENANT_INDEX_SORT_KEY: "mangled",
        },
    )
    # When the migration runs
    result = _migrate(lambda_context)
    # Then acme is live, the two others are named as refused (the deploy goes on), and the log says why
    assert result["Data"]["Published"] == 1 and result["Data"]["Refused"] == 2
    assert "broken, mangled" in result["Data"]["Summary"]
    assert _live_version(dynamodb, "acme") == 1
    assert _live_version(dynamodb, "broken") is None
    warnings = {line["tenant_id"]: line["reason"] for line in json_logs() if line.get("level") == "WARNING"}
    assert "gone" in warnings["broken"]
    assert "timezone" in warnings["mangled"] and "Not/AZone" not in warnings["mangled"]  # names the field, no value


def test_delete_publishes_nothing_and_keeps_what_is_live(aws: dict[str, Any], lambda_context: Any) -> None:
    dynamodb = aws["dynamodb"]
    _old_tenant(dynamodb, "acme")
    result = _migrate(lambda_context, {"RequestType": "Delete", "PhysicalResourceId": handler.PHYSICAL_ID})
    assert result == {"PhysicalResourceId": handler.PHYSICAL_ID}
    assert _live_version(dynamodb, "acme") is None


def test_after_the_migration_an_old_tenant_s_calls_get_its_configuration(
    aws: dict[str, Any], lambda_context: Any
) -> None:
    # Given an old-shape tenant with a widget key's webhook URL
    dynamodb = aws["dynamodb"]
    _old_tenant(dynamodb, "acme")
    path = add_route(dynamodb, "acme")
    event = signed_event(path, webhook_body("web.incoming", 4242, "web"))
    # Before the migration its web calls fall back ({}); after it, they get its profile
    before = webhook.lambda_handler(event, lambda_context)
    assert json.loads(before["body"]) == {}
    _migrate(lambda_context)
    from functions.webhook.dependencies import deps as webhook_deps

    webhook_deps.reset()  # a new container: the new version goes live after the migration
    after = json.loads(
        webhook.lambda_handler(signed_event(path, webhook_body("web.incoming", 4243, "web")), lambda_context)["body"]
    )
    assert after["prompt"] == "You answer for acme."


def test_two_hundred_refused_tenants_still_fit_cloudformation_s_answer(
    aws: dict[str, Any], lambda_context: Any, json_logs: Any
) -> None:
    # Given 200 tenants whose settings item was broken by hand, each id as long as a tenant id may be
    dynamodb = aws["dynamodb"]
    ids = [f"t{n:03d}-" + "x" * 58 for n in range(200)]
    for tenant_id in ids:
        put_by_hand(
            dynamodb,
            tenant_id,
            table.TENANT_SK,
            tenant_id=tenant_id,
            timezone="Not/AZone",
            **{
                table.TENANT_INDEX_PARTITION_KEY: table.TENANT_INDEX_PARTITION_VALUE,
                table.TENANT_INDEX_SORT_KEY: tenant_id,
            },
        )
    # When the migration runs
    result = _migrate(lambda_context)
    # Then its answer stays far under CloudFormation's 4,096 bytes (the provider framework adds the stack's ids):
    # the summary names the first ten and counts the rest, and the log names every one
    assert result["Data"]["Refused"] == 200
    summary = result["Data"]["Summary"]
    assert summary.startswith(f"0 published, 0 already live, 200 refused ({ids[0]}, {ids[1]}")
    assert ids[9] in summary and ids[10] not in summary and "and 190 more" in summary
    assert len(json.dumps(result).encode()) < 2048
    logged = {line["tenant_id"] for line in json_logs() if line.get("level") == "WARNING"}
    assert logged == set(ids)
