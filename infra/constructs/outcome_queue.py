"""Outcome events made durable: the queue the webhook sends them to before it answers 200, its dead-letter
queue, the quarantine queue, and the outcome recorder that drains the queue into the calls table.

    webhook --SendMessage--> Queue --(event source: batches, ReportBatchItemFailures)--> OutcomeRecorder
                               |  a record failed MAX_RECEIVE_COUNT times                  |  DynamoDB can never
                               v                                                           v  store it (once)
                          DeadLetters (alarm; redrive once fixed)                    Quarantine (alarm; inspect)

The stack does the grants (the webhook may only SendMessage; the recorder consumes through its event source,
and may SendMessage to the quarantine queue).
"""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.outcome_recorder.models import OutcomeRecorderSettings
from functions.outcomes.message import MAX_MESSAGE_BYTES
from functions.outcomes.queue import MAX_RECEIVE_COUNT
from functions.webhook.models import WebhookSettings
from infra.constructs.python_function import FunctionConstruct, FunctionOptions, FunctionSpec
from infra.constructs.queues import kept_queue

DESCRIPTION = "Records queued call outcome events (completions, grades) in the calls table"
RECORDER_TIMEOUT_S = 60
# AWS's rule for an SQS event source: the visibility timeout at least 6 x the function timeout, so a batch
# still being retried inside the function is never handed to a second invocation. With MAX_RECEIVE_COUNT
# receives, a record the calls table keeps refusing is retried for over an hour before the DLQ.
VISIBILITY_TIMEOUT = Duration.seconds(7 * RECORDER_TIMEOUT_S)
BATCH_SIZE = 10
MAX_BATCHING_WINDOW = Duration.seconds(1)
# Concurrent recorder invocations (the event source's maximum concurrency, and the stack reserves as much):
# bounds the calls table's write rate whatever the backlog.
RECORDER_CONCURRENCY = 5
QUEUE_RETENTION = Duration.days(4)
# ThunderPhone waits 30 s for a non-blocking event; the webhook takes at most OUTCOME_BUDGET_MS to queue one.
OUTCOME_BUDGET_MS: int = WebhookSettings.model_fields["OUTCOME_BUDGET_MS"].default


def webhook_timeout_seconds(blocking_timeout_seconds: int) -> int:
    """The webhook Lambda's timeout: its blocking answers stop at BUDGET_MS by themselves, but an outcome
    event may wait up to OUTCOME_BUDGET_MS for the queue; one more second to log and flush metrics."""
    return max(blocking_timeout_seconds, -(-(OUTCOME_BUDGET_MS + 1000) // 1000))


class OutcomeRecorder(FunctionConstruct):
    SPEC = FunctionSpec(
        "outcome_recorder", OutcomeRecorderSettings, DESCRIPTION, Duration.seconds(RECORDER_TIMEOUT_S), memory_mb=256
    )
    FUNCTION_ID = "OutcomeRecorder"


class OutcomeQueue(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, options: FunctionOptions, *, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)

        def kept(queue_id: str) -> sqs.Queue:
            return kept_queue(
                self,
                queue_id,
                why_no_dlq="This queue is where failed or unstorable outcome events are kept; a DLQ of a DLQ adds "
                "nothing.",
                removal_policy=removal_policy,
                max_message_size_bytes=MAX_MESSAGE_BYTES,
            )

        self.dead_letters = kept("DeadLetters")
        self.quarantine = kept("Quarantine")
        self.queue = sqs.Queue(
            self,
            "Queue",
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            max_message_size_bytes=MAX_MESSAGE_BYTES,
            retention_period=QUEUE_RETENTION,
            visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letters),
        )
        environment = {**options.environment, "OUTCOME_QUARANTINE_QUEUE_URL": self.quarantine.queue_url}
        self.recorder = OutcomeRecorder(self, "Recorder", replace(options, environment=environment))
        self.lambda_ = self.recorder.lambda_
        self.function = self.recorder.function
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=MAX_BATCHING_WINDOW,
                max_concurrency=RECORDER_CONCURRENCY,
                # The handler (Powertools BatchProcessor) reports the records that failed; only those come back.
                report_batch_item_failures=True,
            )
        )
