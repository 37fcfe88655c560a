"""The decision log as synthesized: the webhook only logs its decisions; a subscription filter on its log group feeds
the decision recorder, which may only UpdateItem the calls table, is retried twice and then queues what still fails
(alarmed). Also the stage switches around the webhook's cold start: TRACE_SUBSEGMENTS and SnapStart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.common.metric_names import Metric
from functions.common.observability import TRACE_SUBSEGMENTS_ENV
from functions.decision_recorder.models import DecisionRecorderSettings
from infra.config import ConfigError, StageConfig
from tests.infra.conftest import (
    as_list,
    cdk_context,
    function_by_handler,
    our_functions,
    refers_to,
    resources,
    role_statements,
    synth_templates,
)
from tests.infra.test_service_stack import WEBHOOK, actions_on, calls_table_id, config_table_id, role_of

RECORDER = "functions.decision_recorder.handler.lambda_handler"
FILTER_PATTERN = "{ $.decision.call_id = * }"
FOURTEEN_DAYS = 14 * 86_400
SIX_HOURS = 6 * 3600


def webhook_log_group_id(template: dict[str, Any]) -> str:
    return str(function_by_handler(template, WEBHOOK)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])


def failure_queue_id(template: dict[str, Any]) -> str:
    (queue_id,) = [k for k in resources(template, "AWS::SQS::Queue") if k.startswith("Decisions")]
    return queue_id


def recorder_invoke_config(template: dict[str, Any]) -> dict[str, Any]:
    recorder_id, _ = function_by_handler(template, RECORDER)
    configs: list[dict[str, Any]] = [
        c["Properties"]
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if refers_to(c["Properties"]["FunctionName"], recorder_id)
    ]
    (config,) = configs
    return config


# ------------------------------------------------------------------ who can write the decision log


LOG_WRITES = {"logs:PutLogEvents", "logs:CreateLogStream", "logs:*", "*"}


def test_only_the_webhook_may_write_the_log_group_its_decisions_are_read_from(dev: dict[str, Any]) -> None:
    # Given the synthesized stack: a line in the webhook's log group becomes a call's decision, so no other
    # function may put one there, and none holds AWS's basic execution policy (logs writes on every group)
    webhook_logs = webhook_log_group_id(dev)
    writers = set()
    for role_id, role in resources(dev, "AWS::IAM::Role").items():
        managed = json.dumps(role["Properties"].get("ManagedPolicyArns", []))
        if "AWSLambdaBasicExecutionRole" in managed:
            writers.add(role_id)
        for statement in role_statements(dev, role_id):
            actions = set(as_list(statement["Action"]))
            if statement["Effect"] == "Allow" and actions & LOG_WRITES:
                targets = as_list(statement["Resource"])
                assert all(target != "*" for target in targets), (role_id, statement)
                if any(refers_to(target, webhook_logs) for target in targets):
                    writers.add(role_id)
    assert writers == {role_of(dev, WEBHOOK)}


# ------------------------------------------------------------------ the subscription


def test_subscription_filter_passes_decision_lines_of_the_webhook_log_group_to_the_recorder(
    dev: dict[str, Any],
) -> None:
    # Given the synthesized stack, When reading its subscription filters, Then exactly one exists: on the webhook's
    # own log group, matching the answer lines that carry a decision, delivering to the decision recorder
    recorder_id, _ = function_by_handler(dev, RECORDER)
    ((filter_id, subscription),) = resources(dev, "AWS::Logs::SubscriptionFilter").items()
    props = subscription["Properties"]
    assert props["FilterPattern"] == FILTER_PATTERN
    assert props["LogGroupName"] == {"Ref": webhook_log_group_id(dev)}
    assert props["DestinationArn"] == {"Fn::GetAtt": [recorder_id, "Arn"]}
    # CloudWatch Logs may invoke the recorder for this log group only, and the permission exists before the filter
    ((permission_id, permission),) = [
        (k, v["Properties"])
        for k, v in resources(dev, "AWS::Lambda::Permission").items()
        if v["Properties"]["Principal"] == "logs.amazonaws.com"
    ]
    assert refers_to(permission["FunctionName"], recorder_id)
    assert permission["SourceArn"] == {"Fn::GetAtt": [webhook_log_group_id(dev), "Arn"]}
    assert permission_id in as_list(dev["Resources"][filter_id].get("DependsOn", []))


def test_webhook_log_group_is_explicit_with_the_stage_retention(dev: dict[str, Any]) -> None:
    log_group = dev["Resources"][webhook_log_group_id(dev)]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 14


def test_recorder_env_names_the_calls_table_and_the_ttl(dev: dict[str, Any]) -> None:
    env = function_by_handler(dev, RECORDER)[1]["Properties"]["Environment"]["Variables"]
    assert env["CALLS_TABLE_NAME"] == {"Ref": calls_table_id(dev)}
    # the TTL the webhook's decision log used (its settings' default)
    assert env["DECISION_TTL_DAYS"] == str(DecisionRecorderSettings.model_fields["DECISION_TTL_DAYS"].default) == "90"
    assert env["POWERTOOLS_SERVICE_NAME"] == "decision-recorder-dev"
    assert "TABLE_NAME" not in env


# ------------------------------------------------------------------ least privilege


def test_recorder_may_only_update_items_of_the_calls_table(dev: dict[str, Any]) -> None:
    # Given the recorder's role, Then its only DynamoDB permission is UpdateItem on the calls table itself
    statements = [s for s in role_statements(dev, role_of(dev, RECORDER)) if s["Effect"] == "Allow"]
    dynamodb = [s for s in statements if any(str(a).startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert [as_list(s["Action"]) for s in dynamodb] == [["dynamodb:UpdateItem"]]
    assert as_list(dynamodb[0]["Resource"]) == [{"Fn::GetAtt": [calls_table_id(dev), "Arn"]}]
    assert actions_on(dev, RECORDER, config_table_id(dev)) == set()
    every_action = {a for s in statements for a in as_list(s["Action"])}
    assert not {a for a in every_action if a.startswith(("secretsmanager:", "kms:", "cognito-idp:"))}
    assert {a for a in every_action if a.startswith("sqs:")} == {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }  # the on-failure destination's grant, on the failure queue only
    assert actions_on(dev, RECORDER, failure_queue_id(dev)) >= {"sqs:SendMessage"}


def test_webhook_has_no_calls_table_access_and_no_decision_log_settings(dev: dict[str, Any]) -> None:
    assert actions_on(dev, WEBHOOK, calls_table_id(dev)) == set()
    env = function_by_handler(dev, WEBHOOK)[1]["Properties"]["Environment"]["Variables"]
    assert not {"CALLS_TABLE_NAME", "DECISION_TTL_DAYS", "DECISION_LOG_TIMEOUT_MS"} & set(env)


# ------------------------------------------------------------------ failures


def test_recorder_retries_twice_then_sends_to_the_failure_queue(dev: dict[str, Any]) -> None:
    config = recorder_invoke_config(dev)
    assert config["MaximumRetryAttempts"] == 2
    assert config["MaximumEventAgeInSeconds"] == SIX_HOURS
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [failure_queue_id(dev), "Arn"]}
    # every other function keeps Lambda's async retries off
    recorder_id, _ = function_by_handler(dev, RECORDER)
    for other in resources(dev, "AWS::Lambda::EventInvokeConfig").values():
        if not refers_to(other["Properties"]["FunctionName"], recorder_id):
            assert other["Properties"]["MaximumRetryAttempts"] == 0


def test_failure_queue_is_encrypted_tls_only_and_kept_14_days(dev: dict[str, Any]) -> None:
    queue_id = failure_queue_id(dev)
    props = dev["Resources"][queue_id]["Properties"]
    assert props["SqsManagedSseEnabled"] is True
    assert props["MessageRetentionPeriod"] == FOURTEEN_DAYS
    [policy] = [
        p for p in resources(dev, "AWS::SQS::QueuePolicy").values() if refers_to(p["Properties"]["Queues"], queue_id)
    ]
    [deny] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert dev["Outputs"]["DecisionFailureQueueUrl"]["Value"] == {"Ref": queue_id}


def test_alarms_on_failed_deliveries_and_on_the_failure_queue(dev: dict[str, Any]) -> None:
    alarms = [a["Properties"] for a in resources(dev, "AWS::CloudWatch::Alarm").values()]
    [queued] = [
        a
        for a in alarms
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible" and refers_to(a, failure_queue_id(dev))
    ]
    assert queued["Threshold"] == 1
    assert queued["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    [failed] = [a for a in alarms if a.get("MetricName") == Metric.DECISION_LOG_FAILED]
    assert failed["Namespace"] == "Switchboard"
    assert failed["Dimensions"] == [{"Name": "service", "Value": "decision-recorder-dev"}]
    [set_aside] = [a for a in alarms if a.get("MetricName") == Metric.DECISION_SET_ASIDE]
    assert set_aside["Threshold"] == 1
    assert set_aside["Dimensions"] == [{"Name": "service", "Value": "decision-recorder-dev"}]
    recorder_id, _ = function_by_handler(dev, RECORDER)
    assert any(a.get("MetricName") == "Errors" and refers_to(a["Dimensions"], recorder_id) for a in alarms)
    # the webhook no longer writes the decision log, so nothing watches its old time box
    assert not any(a.get("MetricName") == "DecisionLogTimedOut" for a in alarms)


def test_dashboard_shows_the_decision_log_and_the_recorder(dev: dict[str, Any]) -> None:
    (dashboard,) = resources(dev, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in (Metric.DECISIONS_RECORDED, Metric.DECISION_LOG_FAILED, "decision-recorder-dev", "Decision recorder"):
        assert name in body
    recorder_id, _ = function_by_handler(dev, RECORDER)
    assert recorder_id in body  # its Errors, Throttles and Duration


# ------------------------------------------------------------------ TRACE_SUBSEGMENTS


@pytest.fixture(scope="module")
def traced() -> Iterator[dict[str, Any]]:
    yield synth_templates(stage="dev", traceSubsegments="true")["Switchboard-dev"]


def test_trace_subsegments_off_by_default_tracing_still_active(dev: dict[str, Any]) -> None:
    for stage in ("dev", "prod"):
        assert StageConfig.from_context(cdk_context(stage=stage).get, {}).trace_subsegments is False
    functions = our_functions(dev).values()
    for function in functions:
        assert TRACE_SUBSEGMENTS_ENV not in function["Properties"]["Environment"]["Variables"]
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_trace_subsegments_on_sets_the_variable_on_every_function(traced: dict[str, Any]) -> None:
    functions = our_functions(traced).values()
    assert len(functions) >= 7
    for function in functions:
        assert function["Properties"]["Environment"]["Variables"][TRACE_SUBSEGMENTS_ENV] == "true"
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_trace_subsegments_must_be_a_bool() -> None:
    with pytest.raises(ConfigError, match="'traceSubsegments' must be a bool"):
        StageConfig.from_context({"traceSubsegments": "sometimes"}.get, {})


# ------------------------------------------------------------------ SnapStart


@pytest.fixture(scope="module")
def snapstart() -> Iterator[dict[str, Any]]:
    yield synth_templates(stage="dev", webhookColdStart="snapstart")["Switchboard-dev"]


def test_snapstart_publishes_a_version_behind_the_live_alias_the_api_invokes(snapstart: dict[str, Any]) -> None:
    # Given webhookColdStart=snapstart, Then the webhook has SnapStart on published versions (python3.12+), a version,
    # the `live` alias on that version without provisioned concurrency, and the webhook route's integration invokes
    # the alias, never $LATEST
    webhook_id, webhook = function_by_handler(snapstart, WEBHOOK)
    assert webhook["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    runtime = webhook["Properties"]["Runtime"]
    assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12
    ((version_id, version),) = resources(snapstart, "AWS::Lambda::Version").items()
    assert version["Properties"]["FunctionName"] == {"Ref": webhook_id}
    ((alias_id, alias),) = resources(snapstart, "AWS::Lambda::Alias").items()
    assert alias["Properties"]["Name"] == "live"
    assert refers_to(alias["Properties"]["FunctionVersion"], version_id)
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]
    integrations = resources(snapstart, "AWS::ApiGatewayV2::Integration")
    (route,) = [
        r["Properties"]
        for r in resources(snapstart, "AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["RouteKey"] == "POST /webhooks/{token}"
    ]
    (integration,) = [v["Properties"] for k, v in integrations.items() if refers_to(route["Target"], k)]
    assert integration["IntegrationUri"] == {"Ref": alias_id}


def test_snapstart_and_provisioned_concurrency_are_one_switch() -> None:
    # SnapStart cannot be combined with provisioned concurrency: both are values of webhookColdStart, never two keys
    with pytest.raises(ConfigError, match="'webhookColdStart'"):
        StageConfig.from_context({"webhookColdStart": "snapstart+provisioned"}.get, {})
    with pytest.raises(ConfigError, match="unknown keys"):
        StageConfig.from_context({"switchboard:stages": {"dev": {"webhookSnapStart": True}}}.get, {})
