"""SQS entry point of the outcome recorder: `functions.outcome_recorder.handler.lambda_handler`.

Triggered by the outcome queue (the event source mapping sets ReportBatchItemFailures). Each record is one
outcome event the webhook acknowledged only once it was queued (service.py records it). A record fails
alone (Powertools BatchProcessor) when the calls table, the configuration or the quarantine queue fails,
or on anything unexpected: SQS delivers it again after the visibility timeout and, after maxReceiveCount
deliveries, moves it to the dead-letter queue (alarmed; redrive it once the cause is fixed). So does
ThunderPhone's calls API failing when the call's record is needed. An event whose call may still get a
claiming decision recorded is delivered again too, until DECISION_SETTLE_SECONDS. Events that can never be
stored are consumed at once: invalid data is logged and dropped, another tenant's call is refused
(`OutcomeRefused`), numbers DynamoDB cannot hold go to the quarantine queue (`OutcomeQuarantined`, alarmed),
and a contested call's events are set aside for the operator (`OutcomeContested`, alarmed).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import SecretsUnavailable, StoreUnavailable
from functions.common.metric_names import Metric
from functions.common.observability import logger, metrics, tracer
from functions.outcome_recorder import service
from functions.outcome_recorder.dependencies import deps
from functions.outcome_recorder.models import Recorded
from functions.outcomes.message import MalformedMessage, QueuedOutcome
from functions.thunderphone.client import ThunderPhoneError

# A whole failed batch is reported record by record too (no exception): only the failures come back.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

_METRICS = {
    "stored": Metric.OUTCOME_STORED,
    "refused": Metric.OUTCOME_REFUSED,
    "quarantined": Metric.OUTCOME_QUARANTINED,
    "contested": Metric.OUTCOME_CONTESTED,
}

_WARNINGS = {
    "refused": "outcome event refused: another tenant answered this call",
    "quarantined": "outcome event quarantined: DynamoDB cannot store it",
    "contested": "outcome event set aside for the operator: several tenants' decisions fit its call",
    "invalid": "outcome event not stored",
}


def record_handler(record: SQSRecord) -> Recorded:
    attributes = {name: value.string_value for name, value in record.message_attributes.items()}
    try:
        message = QueuedOutcome.of(record.body, attributes)
    except MalformedMessage as exc:  # not written by the webhook: failed, so it ends in the DLQ for a look
        problem = {"message_id": record.message_id, "problem": str(exc)}
        logger.error("outcome queue message not understood", extra=problem)
        raise
    fields: dict[str, Any] = {
        "event_type": message.event_type,
        "route_kind": message.route_kind,
        "message_id": record.message_id,
        "receive_count": record.attributes.approximate_receive_count,
    }
    settings = deps.settings
    now = deps.clock()
    try:
        recorded = service.record(
            message,
            calls=deps.calls,
            directory=deps.directory,
            quarantine=deps.quarantine,
            contested=deps.contested,
            thunderphone=deps.thunderphone,
            window=settings.fit_window,
            settle_seconds=settings.DECISION_SETTLE_SECONDS,
            now=now,
        )
    except (StoreUnavailable, SecretsUnavailable, ThunderPhoneError, service.DecisionPending) as exc:
        logger.warning("outcome event not recorded yet, will be retried", extra={**fields, "error": str(exc)})
        raise
    age_ms = (now - message.received_at).total_seconds() * 1000
    fields |= {
        "result": recorded.result,
        "call_id": recorded.call_id,
        "tenant_id": recorded.tenant_id,
        "age_ms": round(age_ms),
    }
    if recorded.result in _WARNINGS:
        logger.warning(_WARNINGS[recorded.result], extra={**fields, "problem": recorded.problem})
    else:
        logger.info("outcome event recorded", extra=fields)
    if recorded.result in _METRICS:
        metrics.add_metric(name=_METRICS[recorded.result], unit=MetricUnit.Count, value=1)
    return recorded


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
