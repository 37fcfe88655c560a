"""Usage alerts on EventBridge, as the operator's rule sees them (moto's event bus): the client is made on the
first alert, never at a cold start."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws

from functions.billing.alerts import EVENT_DETAIL_TYPE, EVENT_SOURCE, EventBridgeAlerts, UsageAlert

ALERT = UsageAlert("acme", "2026-12", "minutes", 80, 80.0, 100, "fallback")


@mock_aws
def test_an_alert_reaches_a_rule_on_the_bus_and_the_client_waits_for_it() -> None:
    events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="usage", EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="usage", Targets=[{"Id": "q", "Arn": arn}])
    made: list[Any] = []

    def client() -> Any:
        made.append(events)
        return events

    alerts = EventBridgeAlerts(client, "default")
    assert made == []  # built at a cold start, no client yet
    alerts.send(ALERT)
    alerts.send(ALERT)
    assert len(made) == 1
    [message, *_] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert event["source"] == EVENT_SOURCE and event["detail-type"] == EVENT_DETAIL_TYPE
    assert event["detail"]["tenant_id"] == "acme" and event["detail"]["percent"] == 80
