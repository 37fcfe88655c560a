"""What watches a stage: the HTTP API's own alarms (5xx, the webhook route's 429s and latency), call sync failures,
provisioned-concurrency spillover, alarm actions on ALARM only by default, and a runbook entry for every alarm."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from infra.constructs.monitoring import WEBHOOK_THROTTLED_METRIC
from tests.infra.conftest import ROOT, function_by_handler, resources, synth_templates

RUNBOOK = ROOT / "docs" / "runbook.md"


@pytest.fixture(scope="module")
def prod() -> Iterator[dict[str, Any]]:
    yield synth_templates(stage="prod", alarmEmail="oncall@example.com")["Switchboard-prod"]


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarms by their id: the synthesized name without the stack's prefix."""
    found = {}
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        name = alarm["Properties"]["AlarmName"]
        _stage, _, alarm_id = name.partition("-")[2].partition("-")
        found[alarm_id] = alarm["Properties"]
    return found


def metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]


def test_api_5xx_rate_is_alarmed_over_the_whole_stage(dev: dict[str, Any]) -> None:
    alarm = alarms(dev)["Api5xxRate"]
    (api_id,) = resources(dev, "AWS::ApiGatewayV2::Api")
    names = {m["MetricName"]: m for m in metrics_of(alarm)}
    assert set(names) == {"Count", "5xx"}
    for metric in names.values():
        assert metric["Namespace"] == "AWS/ApiGateway"
        assert {"Name": "ApiId", "Value": {"Ref": api_id}} in metric["Dimensions"]
        assert {"Name": "Stage", "Value": "$default"} in metric["Dimensions"]
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    assert "100 * errors / requests" in expression


def test_webhook_route_429s_are_counted_from_the_access_log_and_alarmed_as_a_rate(dev: dict[str, Any]) -> None:
    (metric_filter,) = resources(dev, "AWS::Logs::MetricFilter").values()
    props = metric_filter["Properties"]
    assert '$.status = "429"' in props["FilterPattern"]
    assert '$.routeKey = "POST /webhooks/{token}"' in props["FilterPattern"]
    (transformation,) = props["MetricTransformations"]
    assert transformation["MetricName"] == WEBHOOK_THROTTLED_METRIC
    assert transformation["Dimensions"] == [{"Key": "ApiId", "Value": "$.apiId"}]
    (stage,) = resources(dev, "AWS::ApiGatewayV2::Stage").values()
    assert '"apiId":"$context.apiId"' in stage["Properties"]["AccessLogSettings"]["Format"].replace(" ", "")
    alarm = alarms(dev)["WebhookThrottleRate"]
    by_name = {m["MetricName"]: m for m in metrics_of(alarm)}
    assert {"Name": "Route", "Value": "POST /webhooks/{token}"} in by_name["Count"]["Dimensions"]
    assert WEBHOOK_THROTTLED_METRIC in by_name


def test_webhook_route_p99_latency_is_alarmed_at_the_budget(dev: dict[str, Any]) -> None:
    alarm = alarms(dev)["WebhookApiLatencyP99"]
    assert (alarm["MetricName"], alarm["Namespace"], alarm["ExtendedStatistic"]) == (
        "Latency",
        "AWS/ApiGateway",
        "p99",
    )
    assert {"Name": "Route", "Value": "POST /webhooks/{token}"} in alarm["Dimensions"]
    assert alarm["Threshold"] == 1500


def test_call_sync_failures_are_alarmed(dev: dict[str, Any]) -> None:
    alarm = alarms(dev)["CallSyncFailed"]
    assert alarm["MetricName"] == "CallSyncFailed"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "call-sync-dev"}]


def test_spillover_is_alarmed_only_where_concurrency_is_provisioned(dev: dict[str, Any], prod: dict[str, Any]) -> None:
    assert "WebhookSpillover" not in alarms(dev)
    alarm = alarms(prod)["WebhookSpillover"]
    assert alarm["MetricName"] == "ProvisionedConcurrencySpilloverInvocations"
    webhook_id, _ = function_by_handler(prod, "functions.webhook.handler.lambda_handler")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": webhook_id}},
        {"Name": "Resource", "Value": {"Fn::Join": ["", [{"Ref": webhook_id}, ":live"]]}},  # the alias API calls
    ]


def test_alarms_notify_on_alarm_only_unless_asked(dev: dict[str, Any]) -> None:
    # A first deploy would otherwise mail every alarm's return to OK
    for alarm in alarms(dev).values():
        assert alarm["AlarmActions"] and "OKActions" not in alarm
    asked = synth_templates(stage="dev", alarmOkActions="true")["Switchboard-dev"]
    for alarm in alarms(asked).values():
        assert alarm["OKActions"] == alarm["AlarmActions"]


def _runbook_entries() -> set[str]:
    return {match.strip() for match in re.findall(r"^### (.+)$", RUNBOOK.read_text(), flags=re.MULTILINE)}


def test_every_alarm_has_a_runbook_entry_its_description_links_to(dev: dict[str, Any], prod: dict[str, Any]) -> None:
    from tests.infra.test_public_urls import edge_templates

    entries = _runbook_entries()
    every = alarms(dev) | alarms(prod) | alarms(edge_templates()["Switchboard-dev"])
    assert sorted(every) == sorted(set(every) & entries), f"no runbook entry for {sorted(set(every) - entries)}"
    for alarm_id, alarm in every.items():
        assert alarm["AlarmDescription"].endswith(f"Runbook: docs/runbook.md#{alarm_id.lower()}")
    assert len(every) >= 36
