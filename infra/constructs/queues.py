"""Where messages that failed are kept: SQS queues that are themselves the end of a retry path (on-failure
destinations, dead-letter and quarantine queues), alike for every function that has one."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag

# Kept long enough to notice, fix and redrive or replay (a standard queue keeps a message's first enqueue time).
KEPT_RETENTION = Duration.days(14)


def kept_queue(
    scope: Construct,
    construct_id: str,
    *,
    why_no_dlq: str,
    removal_policy: RemovalPolicy | None = None,
    max_message_size_bytes: int | None = None,
) -> sqs.Queue:
    """A TLS-only, SQS-encrypted queue keeping its messages KEPT_RETENTION; `why_no_dlq` acknowledges cdk-nag's
    SQS3 (a queue without a dead-letter queue of its own)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        enforce_ssl=True,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        retention_period=KEPT_RETENTION,
        removal_policy=removal_policy,
        max_message_size_bytes=max_message_size_bytes,
    )
    nag.acknowledge(queue, "AwsSolutions-SQS3", why_no_dlq)
    return queue
