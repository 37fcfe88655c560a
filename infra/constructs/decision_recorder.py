"""The decision log, recorded from the webhook's answer log lines: a subscription filter on the webhook's log group
passes the lines that carry a decision to the decision recorder, which writes them to the calls table.

    webhook --log line {"decision": {...}}--> webhook log group --SubscriptionFilter--> DecisionRecorder (async)
                                                                  a delivery failed 1 + 2 times, or waited 6 h |
                                                                                                               v
                                                                             Failures (on-failure queue; alarm)

The stack does the grants (the recorder may only UpdateItem the calls table; the on-failure destination grants
its own SendMessage).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as log_destinations
from constructs import Construct

from functions.calls.decisions import DECISION_FIELD
from functions.decision_recorder.models import DELIVERY_RETRIES, DecisionRecorderSettings
from infra.constructs.python_function import AsyncInvoke, FunctionConstruct, FunctionOptions, FunctionSpec
from infra.constructs.queues import kept_queue

DESCRIPTION = "Records the webhook's decisions (from its answer log lines) in the calls table"
# Answer log lines that carry a decision (functions/webhook/telemetry.py). `call_id` is a JSON number: written as
# the unquoted wildcard the recorder documents, not FilterPattern.exists (which renders the quoted `= "*"`).
DECISION_FILTER = logs.FilterPattern.literal(f"{{ $.{DECISION_FIELD}.call_id = * }}")
# CloudWatch Logs invokes the recorder asynchronously: Lambda retries a failed delivery twice (the writes are
# conditional, so a retry only redoes what failed), keeps a throttled one up to MAX_EVENT_AGE, then hands it to
# the on-failure queue.
RETRY_ATTEMPTS = DELIVERY_RETRIES
MAX_EVENT_AGE = Duration.hours(6)
# Concurrent recorders (the stack reserves as much): bounds the calls table's write rate whatever the call rate;
# a throttled delivery waits in Lambda's async queue (up to MAX_EVENT_AGE).
RECORDER_CONCURRENCY = 5
# What the webhook used when it wrote the decision log itself (its settings' default); the outcome recorder and
# call_sync use the same default.
DECISION_TTL_DAYS: int = DecisionRecorderSettings.model_fields["DECISION_TTL_DAYS"].default


class DecisionRecorderFunction(FunctionConstruct):
    SPEC = FunctionSpec("decision_recorder", DecisionRecorderSettings, DESCRIPTION, Duration.seconds(60), memory_mb=256)
    FUNCTION_ID = "DecisionRecorder"


class DecisionRecorder(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        options: FunctionOptions,
        *,
        webhook_log_group: logs.ILogGroup,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # Deliveries still failing after the retries (the async invocation record, with the log data to replay).
        self.failures = kept_queue(
            self,
            "Failures",
            why_no_dlq="This queue is itself the decision recorder's on-failure destination; a DLQ of a DLQ adds "
            "nothing.",
            removal_policy=removal_policy,
        )
        self.recorder = DecisionRecorderFunction(
            self,
            "Recorder",
            options,
            async_invoke=AsyncInvoke(
                retry_attempts=RETRY_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
                on_failure=destinations.SqsDestination(self.failures),
            ),
        )
        self.lambda_ = self.recorder.lambda_
        self.function = self.recorder.function
        # LambdaDestination adds the permission for CloudWatch Logs (this log group only) and makes the filter
        # depend on it, so CloudFormation creates the permission first.
        self.subscription = logs.SubscriptionFilter(
            self,
            "WebhookDecisions",
            log_group=webhook_log_group,
            destination=log_destinations.LambdaDestination(self.function),
            filter_pattern=DECISION_FILTER,
        )
