"""DynamoDB Streams entry point: `functions.item_validator.handler.lambda_handler`.

Triggered by the configuration table's stream (NEW_IMAGE or NEW_AND_OLD_IMAGES). Every changed
configuration or customer item is validated with the router's own models; an invalid one (written
from the console or a script, bypassing sbctl) is logged at WARNING with tenant, sort key and
problems (never values; a customer's phone number in its sort key is masked) and counted as the
`InvalidConfigItem` metric, so an alarm can fire before
callers notice the fallback. Invalid items are findings, not failures: nothing is retried for them.
Unexpected errors fail only their record (Powertools BatchProcessor; the event source mapping sets
ReportBatchItemFailures).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.masking import mask_sort_key
from functions.common.metric_names import Metric
from functions.common.observability import logger, metrics, tracer
from functions.item_validator import service

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    if stream is None or record.event_name == DynamoDBRecordEventName.REMOVE:
        return
    finding = service.check(stream.keys or {}, stream.new_image)
    if finding is None:
        return
    logger.warning(
        "invalid configuration item written",
        extra={
            "tenant_id": finding.tenant_id,
            "sort_key": mask_sort_key(finding.sort_key),
            "problems": list(finding.problems),
        },
    )
    metrics.add_metric(name=Metric.INVALID_CONFIG_ITEM, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
