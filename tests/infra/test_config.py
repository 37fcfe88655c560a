"""StageConfig from CDK context: precedence, `-c` string values, clear errors; no synth needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from infra.config import ConfigError, StageConfig
from tests.infra.conftest import cdk_context


def config(context: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> StageConfig:
    return StageConfig.from_context(context.get, environ or {})


def test_config_stage_block_from_cdk_json_applies() -> None:
    prod = config(cdk_context(stage="prod"))
    assert prod.stage == "prod"
    assert prod.log_retention_days == 90
    assert prod.webhook_cold_start == "provisioned"
    assert prod.stack_name == "Switchboard-prod"
    assert prod.is_prod


def test_config_command_line_beats_stage_block_and_is_coerced() -> None:
    # Given `-c` values (always strings), When building, Then they win and are typed like the field
    result = config(
        cdk_context(stage="prod", logRetentionDays="30", reservedConcurrency="false", fallbackRateAlarmPercent="12.5")
    )
    assert result.log_retention_days == 30
    assert result.reserved_concurrency is False
    assert result.fallback_rate_alarm_percent == 12.5


def test_config_account_region_from_cdk_default_env_when_not_in_context() -> None:
    result = config({"stage": "dev"}, {"CDK_DEFAULT_ACCOUNT": "210987654321", "CDK_DEFAULT_REGION": "us-east-2"})
    assert (result.account, result.region) == ("210987654321", "us-east-2")
    assert config({"stage": "dev"}).account is None  # environment-agnostic


def test_config_names_are_per_stage() -> None:
    dev = config({"stage": "dev"})
    assert dev.signing_secret_name == "switchboard/dev/signing-secrets"
    assert dev.thunderphone_api_key_secret_name == "switchboard/dev/thunderphone-api-key"
    assert dev.tool_secret_prefix == "switchboard/dev/tenant-tools/"
    assert dev.service_name("webhook") == "webhook-dev"


@pytest.mark.parametrize(("budget_ms", "timeout_s"), [(100, 1), (1500, 2), (1501, 3), (1900, 3)])
def test_config_webhook_timeout_follows_budget_capped_at_3s(budget_ms: int, timeout_s: int) -> None:
    assert config({"webhookBudgetMs": budget_ms}).webhook_timeout_seconds == timeout_s


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "staging"}, "'stage'"),
        ({"logRetentionDays": "10"}, "'logRetentionDays'"),
        ({"webhookBudgetMs": "2500"}, "'webhookBudgetMs'"),
        ({"webhookBudgetMs": "fast"}, "'webhookBudgetMs' must be a int"),
        ({"webhookColdStart": "warm"}, "'webhookColdStart'"),
        ({"alarmEmail": "not-an-address"}, "'alarmEmail'"),
        ({"account": "12345"}, "'account'"),
        ({"reservedConcurrency": "maybe"}, "'reservedConcurrency'"),
        ({"callSyncSchedule": "hourly"}, "'callSyncSchedule'"),
        ({"thunderphoneApiBase": "http://api.example.com"}, "'thunderphoneApiBase'"),
        ({"githubRepo": "no-slash"}, "'githubRepo'"),
        (
            {"webhookColdStart": "provisioned", "webhookProvisionedConcurrency": 60, "reservedConcurrency": "true"},
            "'webhookProvisionedConcurrency'",
        ),
        ({"switchboard:stages": {"dev": {"logRetentionDay": 7}}}, "unknown keys"),
    ],
)
def test_config_rejects_bad_context_naming_the_key(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(context)
