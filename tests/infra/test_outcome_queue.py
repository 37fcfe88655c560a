"""The outcome queue as synthesized: encrypted, TLS-only queues with a dead-letter queue and a quarantine
queue kept 14 days, the recorder draining it with partial batch failures, least-privilege grants and alarms."""

from __future__ import annotations

from typing import Any

from functions.common.metric_names import Metric
from functions.outcomes.message import MAX_MESSAGE_BYTES
from functions.outcomes.queue import MAX_RECEIVE_COUNT
from tests.infra.conftest import as_list, function_by_handler, refers_to, resources, role_statements
from tests.infra.test_service_stack import WEBHOOK, actions_on, calls_table_id, config_table_id, role_of

RECORDER = "functions.outcome_recorder.handler.lambda_handler"
FOURTEEN_DAYS = 14 * 86_400


def queues(template: dict[str, Any]) -> dict[str, str]:
    """The outcome queues' logical ids by role: the one with a redrive policy, its target, and the other."""
    outcome = {k: v for k, v in resources(template, "AWS::SQS::Queue").items() if k.startswith("Outcomes")}
    (main,) = [k for k, v in outcome.items() if "RedrivePolicy" in v["Properties"]]
    target = outcome[main]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
    (dead,) = [k for k in outcome if k != main and refers_to(target, k)]
    (quarantine,) = set(outcome) - {main, dead}
    return {"main": main, "dead": dead, "quarantine": quarantine}


def test_outcome_queues_are_encrypted_tls_only_and_sized_for_one_event(dev: dict[str, Any]) -> None:
    ids = queues(dev)
    policies = resources(dev, "AWS::SQS::QueuePolicy").values()
    for logical_id in ids.values():
        props = dev["Resources"][logical_id]["Properties"]
        assert props["SqsManagedSseEnabled"] is True
        assert props["MaximumMessageSize"] == MAX_MESSAGE_BYTES
        [policy] = [p for p in policies if refers_to(p["Properties"]["Queues"], logical_id)]
        [deny] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_failed_and_unstorable_events_are_kept_14_days(dev: dict[str, Any]) -> None:
    ids = queues(dev)
    main = dev["Resources"][ids["main"]]["Properties"]
    assert main["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT
    for kept in ("dead", "quarantine"):
        assert dev["Resources"][ids[kept]]["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS


def test_recorder_drains_the_queue_with_partial_batch_failures(dev: dict[str, Any]) -> None:
    ids = queues(dev)
    function_id, function = function_by_handler(dev, RECORDER)
    [mapping] = [
        m["Properties"]
        for m in resources(dev, "AWS::Lambda::EventSourceMapping").values()
        if refers_to(m["Properties"]["FunctionName"], function_id)
    ]
    assert refers_to(mapping["EventSourceArn"], ids["main"])
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10
    assert mapping["ScalingConfig"]["MaximumConcurrency"] >= 2
    # AWS: a visibility timeout below 6 x the function timeout hands a batch still in progress to another invocation
    visibility = dev["Resources"][ids["main"]]["Properties"]["VisibilityTimeout"]
    assert visibility > 6 * function["Properties"]["Timeout"]


def test_webhook_may_only_send_to_the_outcome_queue(dev: dict[str, Any]) -> None:
    ids = queues(dev)
    env = function_by_handler(dev, WEBHOOK)[1]["Properties"]["Environment"]["Variables"]
    assert env["OUTCOME_QUEUE_URL"] == {"Ref": ids["main"]}
    assert actions_on(dev, WEBHOOK, ids["main"]) == {"sqs:SendMessage"}
    assert actions_on(dev, WEBHOOK, ids["dead"]) == actions_on(dev, WEBHOOK, ids["quarantine"]) == set()
    sqs_actions = {
        action
        for statement in role_statements(dev, role_of(dev, WEBHOOK))
        for action in as_list(statement["Action"])
        if str(action).startswith("sqs:")
    }
    assert sqs_actions == {"sqs:SendMessage"}


def test_recorder_reads_configuration_writes_calls_and_quarantines(dev: dict[str, Any]) -> None:
    ids = queues(dev)
    env = function_by_handler(dev, RECORDER)[1]["Properties"]["Environment"]["Variables"]
    assert env["OUTCOME_QUARANTINE_QUEUE_URL"] == {"Ref": ids["quarantine"]}
    assert env["TABLE_NAME"] == {"Ref": config_table_id(dev)}
    assert env["CALLS_TABLE_NAME"] == {"Ref": calls_table_id(dev)}
    assert actions_on(dev, RECORDER, config_table_id(dev)) == {"dynamodb:GetItem"}
    assert {"dynamodb:UpdateItem", "dynamodb:Query"} <= actions_on(dev, RECORDER, calls_table_id(dev))
    assert actions_on(dev, RECORDER, ids["quarantine"]) == {"sqs:SendMessage"}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= actions_on(dev, RECORDER, ids["main"])
    assert actions_on(dev, RECORDER, ids["dead"]) == set()  # redrive is an operator's decision


def test_recorder_reads_the_thunderphone_api_key_to_settle_contested_calls(dev: dict[str, Any]) -> None:
    env = function_by_handler(dev, RECORDER)[1]["Properties"]["Environment"]["Variables"]
    assert env["THUNDERPHONE_API_KEY_SECRET_NAME"] == "switchboard/dev/thunderphone-api-key"
    assert env["THUNDERPHONE_API_BASE"] == "https://api.thunderphone.com/v1"
    secrets = {v["Properties"]["Name"]: k for k, v in resources(dev, "AWS::SecretsManager::Secret").items()}
    on_api_key = actions_on(dev, RECORDER, secrets["switchboard/dev/thunderphone-api-key"])
    assert "secretsmanager:GetSecretValue" in on_api_key and "secretsmanager:PutSecretValue" not in on_api_key
    assert actions_on(dev, RECORDER, secrets["switchboard/dev/signing-secrets"]) == set()


def test_alarms_on_dead_letters_quarantine_and_backlog(dev: dict[str, Any]) -> None:
    ids = queues(dev)
    alarms = [a["Properties"] for a in resources(dev, "AWS::CloudWatch::Alarm").values()]
    dead = [
        a for a in alarms if a.get("MetricName") == "ApproximateNumberOfMessagesVisible" and refers_to(a, ids["dead"])
    ]
    assert len(dead) == 1 and dead[0]["Threshold"] == 1
    [quarantined] = [a for a in alarms if a.get("MetricName") == Metric.OUTCOME_QUARANTINED]
    assert quarantined["Threshold"] == 1
    assert {"Name": "service", "Value": "outcome-recorder-dev"} in quarantined["Dimensions"]
    # Counted by the recorder (events set aside) and the backfill (calls it found contested): one alarm on both.
    [contested] = [a for a in alarms if "calls contested" in a.get("AlarmDescription", "")]
    counted = {
        dimension["Value"]
        for query in contested["Metrics"]
        if query.get("MetricStat", {}).get("Metric", {}).get("MetricName") == Metric.OUTCOME_CONTESTED
        for dimension in query["MetricStat"]["Metric"]["Dimensions"]
        if dimension["Name"] == "service"
    }
    assert contested["Threshold"] == 1 and counted == {"outcome-recorder-dev", "call-sync-dev"}
    [backlog] = [a for a in alarms if a.get("MetricName") == "ApproximateAgeOfOldestMessage"]
    assert refers_to(backlog, ids["main"])
