"""Lambda entry point for the outcome backfill: `functions.call_sync.handler.lambda_handler`.

Invoked by an EventBridge schedule (the event carries no window: the next scheduled window per
direction) or directly / from `sbctl calls sync` with `{"start", "end", "directions", "restart"}`.
Returns the run's report; a run that ran out of time or met a ThunderPhone failure is resumed by
the next one from its saved cursor.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.call_sync import service
from functions.call_sync.dependencies import deps
from functions.call_sync.models import SyncRequest, report_json
from functions.common.clock import utc_now
from functions.common.metric_names import Metric
from functions.common.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = deps.settings
    try:
        request = SyncRequest.model_validate(event if isinstance(event, dict) else {})
    except ValidationError as exc:
        logger.error("bad call sync request", extra={"problems": [e["msg"] for e in exc.errors()]})
        return {
            "finished": False,
            "errors": ["bad request: " + "; ".join(e["msg"] for e in exc.errors())],
            "windows": [],
        }
    margin_s = settings.SYNC_SAFETY_MARGIN_MS / 1000
    report = service.sync(
        request,
        source=deps.source,
        store=deps.store,
        schedule=deps.schedule,
        page_limit=settings.SYNC_PAGE_LIMIT,
        clock=utc_now,
        time_left_s=lambda: context.get_remaining_time_in_millis() / 1000 - margin_s,
        fit=settings.fit_window,
        owners=deps.owners,
    )
    for window in report.windows:
        metrics.add_metric(
            name=Metric.CALL_SYNC_COMPLETIONS_FILLED, unit=MetricUnit.Count, value=window.completions_filled
        )
        metrics.add_metric(name=Metric.CALL_SYNC_GRADES_FILLED, unit=MetricUnit.Count, value=window.grades_filled)
        if window.set_aside:
            metrics.add_metric(name=Metric.OUTCOME_CONTESTED, unit=MetricUnit.Count, value=window.set_aside)
    if report.errors:
        metrics.add_metric(name=Metric.CALL_SYNC_FAILED, unit=MetricUnit.Count, value=1)
    return report_json(report)
