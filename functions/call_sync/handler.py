"""Lambda entry point for the outcome backfill: `functions.call_sync.handler.lambda_handler`.

Invoked by an EventBridge schedule (the event carries no window: the next scheduled window per
direction) or directly / from `sbctl calls sync` with `{"start", "end", "directions", "restart"}`.
Returns the run's report; a run that ran out of time or met a ThunderPhone failure is resumed by
the next one from its saved cursor.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.call_sync import service
from functions.call_sync.adapters import DynamoOutcomeStore, ThunderPhoneCallSource
from functions.call_sync.models import CallSyncSettings, SyncReport, SyncRequest
from functions.common.aws import client_config, make_client
from functions.common.observability import logger, metrics, tracer
from functions.common.settings import load_settings
from functions.common.thunderphone_api import ThunderPhoneApi

API_KEY_MAX_AGE_S = 300


def utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def get_settings() -> CallSyncSettings:
    return load_settings(CallSyncSettings)


@cache
def get_store() -> DynamoOutcomeStore:
    settings = get_settings()
    config = client_config(connect_timeout_s=2, read_timeout_s=5, max_attempts=4)
    return DynamoOutcomeStore(
        make_client("dynamodb", config), settings.CALLS_TABLE_NAME, ttl_days=settings.DECISION_TTL_DAYS, clock=utc_now
    )


def api_key_from_secret(value: str) -> str:
    """The secret is the key itself, or a JSON object with an `api_key` field."""
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("ThunderPhone API key secret is not valid JSON") from None
        key = parsed.get("api_key") if isinstance(parsed, dict) else None
        if not isinstance(key, str) or not key:
            raise ValueError("ThunderPhone API key secret has no api_key field")
        return key
    return text


@cache
def get_source() -> ThunderPhoneCallSource:
    from aws_lambda_powertools.utilities import parameters

    settings = get_settings()

    def api_key() -> str:
        value = parameters.get_secret(settings.THUNDERPHONE_API_KEY_SECRET_NAME, max_age=API_KEY_MAX_AGE_S)
        return api_key_from_secret(value.decode() if isinstance(value, bytes) else str(value))

    api = ThunderPhoneApi(
        settings.THUNDERPHONE_API_BASE,
        api_key,
        timeout_s=settings.THUNDERPHONE_TIMEOUT_S,
        max_retries=settings.THUNDERPHONE_MAX_RETRIES,
    )
    return ThunderPhoneCallSource(api)


def schedule_of(settings: CallSyncSettings) -> service.Schedule:
    return service.Schedule(
        directions=settings.directions,
        lookback=timedelta(hours=settings.SYNC_LOOKBACK_HOURS),
        settle=timedelta(minutes=settings.SYNC_SETTLE_MINUTES),
        overlap=timedelta(minutes=settings.SYNC_OVERLAP_MINUTES),
    )


def report_json(report: SyncReport) -> dict[str, Any]:
    return {
        "finished": report.finished,
        "errors": report.errors,
        "windows": [
            {
                **asdict(window),
                "window_start": window.window_start.isoformat(),
                "window_end": window.window_end.isoformat(),
            }
            for window in report.windows
        ],
    }


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
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
        source=get_source(),
        store=get_store(),
        schedule=schedule_of(settings),
        page_limit=settings.SYNC_PAGE_LIMIT,
        clock=utc_now,
        time_left_s=lambda: context.get_remaining_time_in_millis() / 1000 - margin_s,
    )
    for window in report.windows:
        metrics.add_metric(name="CallSyncCompletionsFilled", unit=MetricUnit.Count, value=window.completions_filled)
        metrics.add_metric(name="CallSyncGradesFilled", unit=MetricUnit.Count, value=window.grades_filled)
    if report.errors:
        metrics.add_metric(name="CallSyncFailed", unit=MetricUnit.Count, value=1)
    return report_json(report)
