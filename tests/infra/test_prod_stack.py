"""The prod stage: data kept, provisioned concurrency on the webhook alias, alarms mailed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.constructs.outcome_queue import webhook_timeout_seconds
from tests.infra.conftest import function_by_handler, our_functions, refers_to, resources, synth_templates

WEBHOOK = "functions.webhook.handler.lambda_handler"


@pytest.fixture(scope="module")
def prod() -> Iterator[dict[str, Any]]:
    yield synth_templates(stage="prod", alarmEmail="oncall@example.com")["Switchboard-prod"]


def test_prod_tables_retained_with_deletion_protection(prod: dict[str, Any]) -> None:
    tables = resources(prod, "AWS::DynamoDB::Table").values()
    assert len(tables) == 2
    for table in tables:
        assert table["DeletionPolicy"] == "Retain"
        assert table["UpdateReplacePolicy"] == "Retain"
        assert table["Properties"]["DeletionProtectionEnabled"] is True


def test_prod_tenant_user_pool_retained_with_deletion_protection(prod: dict[str, Any]) -> None:
    # Tenant users (and their passwords and MFA) cannot be recreated by a deploy: a replaced pool locks them all out
    (pool,) = resources(prod, "AWS::Cognito::UserPool").values()
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["UpdateReplacePolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_prod_secrets_and_logs_retained(prod: dict[str, Any]) -> None:
    for kind in ("AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        for resource in resources(prod, kind).values():
            assert resource["DeletionPolicy"] == "Retain"


def test_prod_log_retention_from_stage_context(prod: dict[str, Any]) -> None:
    assert {g["Properties"]["RetentionInDays"] for g in resources(prod, "AWS::Logs::LogGroup").values()} == {90}


def test_prod_webhook_alias_has_provisioned_concurrency_behind_the_api(prod: dict[str, Any]) -> None:
    ((alias_id, alias),) = resources(prod, "AWS::Lambda::Alias").items()
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    webhook_id, webhook = function_by_handler(prod, WEBHOOK)
    assert refers_to(alias["Properties"]["FunctionName"], webhook_id)
    assert webhook["Properties"]["ReservedConcurrentExecutions"] == 100
    webhook_integrations = [
        i
        for i in resources(prod, "AWS::ApiGatewayV2::Integration").values()
        if refers_to(i["Properties"]["IntegrationUri"], alias_id)
    ]
    assert len(webhook_integrations) == 1


def test_prod_keeps_a_reservation_on_every_function_but_the_deploy_time_migration(prod: dict[str, Any]) -> None:
    reserved = {
        props["Properties"]["Handler"]: props["Properties"].get("ReservedConcurrentExecutions")
        for props in our_functions(prod).values()
    }
    assert reserved.pop("functions.live_migration.handler.lambda_handler") is None
    assert reserved.pop("functions.call_sync.handler.lambda_handler") == 1  # two syncs never overlap
    assert all(value is not None and value >= 1 for value in reserved.values()), reserved


def test_prod_alarm_topic_mails_the_context_address(prod: dict[str, Any]) -> None:
    (subscription,) = resources(prod, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"


def test_snapstart_switch_publishes_versions_with_snapstart() -> None:
    template = synth_templates(stage="dev", webhookColdStart="snapstart")["Switchboard-dev"]
    props = function_by_handler(template, WEBHOOK)[1]["Properties"]
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    (alias,) = resources(template, "AWS::Lambda::Alias").values()
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_reserved_concurrency_switch_off_for_small_accounts() -> None:
    template = synth_templates(stage="prod", reservedConcurrency="false", webhookBudgetMs="1800")["Switchboard-prod"]
    for function in our_functions(template).values():
        assert "ReservedConcurrentExecutions" not in function["Properties"]
    webhook = function_by_handler(template, WEBHOOK)[1]["Properties"]
    assert webhook["Environment"]["Variables"]["BUDGET_MS"] == "1800"
    assert webhook["Timeout"] == webhook_timeout_seconds(3)  # the outcome budget's, longer than the blocking one
