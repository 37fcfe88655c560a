"""CloudWatch Logs entry point of the decision recorder: `functions.decision_recorder.handler.lambda_handler`.

A subscription filter on the webhook's log group (`{ $.decision.call_id = * }`) delivers the answer log
lines that carry a decision; each becomes the call's decision in the calls table (service.py), so the
webhook's answers never wait for a write. Lambda invokes this asynchronously: a failed write fails the
delivery, Lambda retries it (twice), then sends it to the on-failure queue (alarmed; the writes are
idempotent, so replaying it is safe). Lines without a readable decision are logged and dropped, and a
decision that can never be written is set aside once (an error log naming it, `DecisionSetAside`, alarmed):
retrying would never help either, and the rest of the delivery is recorded all the same.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import StoreUnavailable
from functions.common.metric_names import Metric
from functions.common.observability import logger, metrics, tracer
from functions.decision_recorder import service
from functions.decision_recorder.dependencies import deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    data = CloudWatchLogsEvent(event).parse_logs_data()
    messages = [log_event.message for log_event in data.log_events]
    fields = {"log_events": len(messages), "log_group": data.log_group}
    try:
        batch = service.record_lines(deps.calls, messages, writers=deps.settings.WRITERS)
    except StoreUnavailable as exc:
        logger.warning("decisions not recorded yet, the delivery will be retried", extra={**fields, "error": str(exc)})
        metrics.add_metric(name=Metric.DECISION_LOG_FAILED, unit=MetricUnit.Count, value=1)
        raise
    if batch.unreadable:
        logger.warning("log lines without a readable decision", extra={**fields, "problems": list(batch.problems)})
    for aside in batch.set_aside:
        record = aside.record
        logger.error(
            "decision set aside: it can never be recorded (its line stays in the webhook's log group)",
            extra={
                **fields,
                "tenant_id": record.tenant_id,
                "call_id": str(record.call_id),  # as text: it may be a number no JSON reader keeps exactly
                "decided_at": record.decided_at.isoformat(),
                "problem": aside.problem,
            },
        )
    counts = {
        "recorded": batch.recorded,
        "duplicates": batch.duplicates,
        "unreadable": batch.unreadable,
        "set_aside": len(batch.set_aside),
    }
    logger.info("decisions recorded", extra={**fields, **counts})
    metrics.add_metric(name=Metric.DECISIONS_RECORDED, unit=MetricUnit.Count, value=batch.recorded)
    if batch.set_aside:
        metrics.add_metric(name=Metric.DECISION_SET_ASIDE, unit=MetricUnit.Count, value=len(batch.set_aside))
    return counts
