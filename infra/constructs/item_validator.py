"""The configuration item validator: reads the config table's stream and reports invalid items."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from functions.item_validator.models import ItemValidatorSettings
from infra.constructs.python_function import FunctionConstruct, FunctionOptions, FunctionSpec
from infra.constructs.queues import kept_queue

DESCRIPTION = "Validates configuration items written to the config table and reports invalid ones"


class ItemValidator(FunctionConstruct):
    SPEC = FunctionSpec("item_validator", ItemValidatorSettings, DESCRIPTION, Duration.seconds(60), memory_mb=256)
    FUNCTION_ID = "ItemValidator"

    def __init__(
        self, scope: Construct, construct_id: str, options: FunctionOptions, *, table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id, options)
        # Batches that still fail after the retries land here (stream position metadata, not the items).
        self.failures = kept_queue(
            self,
            "Failures",
            why_no_dlq="This queue is itself the on-failure destination of the stream; a DLQ of a DLQ adds nothing.",
        )
        self.function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=100,
                max_batching_window=Duration.seconds(5),
                bisect_batch_on_error=True,
                # The handler (Powertools BatchProcessor) reports the records that failed; only those are retried.
                report_batch_item_failures=True,
                retry_attempts=3,
                max_record_age=Duration.hours(24),
                on_failure=sources.SqsDlq(self.failures),
                # Deletions have no new image to validate.
                filters=[
                    lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.or_("INSERT", "MODIFY")}),
                ],
            )
        )
