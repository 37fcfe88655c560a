"""Lambda entry point for ThunderPhone webhooks: `functions.webhook.handler.lambda_handler`.

Routes (API Gateway HTTP API, payload v2):
    POST /webhooks                           org-level endpoint; tenant found from `to_number`
    POST /webhooks/{tenant_id}               a tenant's publishable keys / numbers
    POST /webhooks/{tenant_id}/{widget_id}   one key per site or page group

Never answers 5xx: a config, `{}` (fallback), 401, 413 or 400, always inside BUDGET_MS. The budget
is enforced by running the answer on a worker thread and waiting at most the remaining budget; the
AWS clients' own timeouts make sure an abandoned worker finishes soon after.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common.aws import client_config, make_client
from functions.common.observability import logger, mask_number, metrics, tracer
from functions.common.settings import load_settings
from functions.webhook import service
from functions.webhook.adapters import DynamoTenantStore, SecretsManagerSource
from functions.webhook.call_log import CallLog, parse_metric_tenants, tenant_dimension
from functions.webhook.models import Reply, WebhookSettings
from functions.webhook.signature import SIGNATURE_HEADER, MalformedRequest, header, raw_body

app = APIGatewayHttpResolver()


@cache
def get_settings() -> WebhookSettings:
    return load_settings(WebhookSettings)


@cache
def get_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook")


def _aws_config(settings: WebhookSettings) -> Any:
    return client_config(
        connect_timeout_s=settings.AWS_CONNECT_TIMEOUT_MS / 1000,
        read_timeout_s=settings.AWS_READ_TIMEOUT_MS / 1000,
        max_attempts=settings.AWS_MAX_ATTEMPTS,
    )


@cache
def get_store() -> DynamoTenantStore:
    settings = get_settings()
    return DynamoTenantStore(
        lambda: make_client("dynamodb", _aws_config(settings)),
        settings.TABLE_NAME,
        ttl_seconds=settings.CACHE_TTL_SECONDS,
        max_tenants=settings.CACHE_MAX_TENANTS,
        max_customers=settings.CACHE_MAX_CUSTOMERS,
        pool=get_pool(),
    )


@cache
def get_secrets() -> SecretsManagerSource:
    settings = get_settings()
    return SecretsManagerSource(
        lambda: make_client("secretsmanager", _aws_config(settings)),
        signing_secret_name=settings.SIGNING_SECRET_NAME,
        tool_secret_prefix=settings.TOOL_SECRET_PREFIX,
        ttl_seconds=settings.CACHE_TTL_SECONDS,
    )


@cache
def get_call_log() -> CallLog | None:
    """The calls table, through its own client (built on first use, off the answer's path)."""
    settings = get_settings()
    if not settings.CALLS_TABLE_NAME:
        return None
    client = make_client("dynamodb", _aws_config(settings))
    return CallLog(client, settings.CALLS_TABLE_NAME, ttl_days=settings.DECISION_TTL_DAYS)


@cache
def get_metric_tenants() -> frozenset[str]:
    try:
        return parse_metric_tenants(get_settings().METRIC_TENANTS)
    except ValidationError:  # broken settings are reported by the answer path; metrics must still flush
        return frozenset()


@app.post("/webhooks")
def org_webhook() -> Response[str]:
    return respond(tenant_id=None, widget_id=None)


@app.post("/webhooks/<tenant_id>")
def tenant_webhook(tenant_id: str) -> Response[str]:
    return respond(tenant_id=tenant_id, widget_id=None)


@app.post("/webhooks/<tenant_id>/<widget_id>")
def widget_webhook(tenant_id: str, widget_id: str) -> Response[str]:
    return respond(tenant_id=tenant_id, widget_id=widget_id)


def respond(*, tenant_id: str | None, widget_id: str | None) -> Response[str]:
    started = time.perf_counter()
    event = app.current_event.raw_event
    try:
        request = service.WebhookRequest(
            body=raw_body(event),
            signature=header(event, SIGNATURE_HEADER),
            tenant_id=tenant_id,
            widget_id=widget_id,
            received_at=datetime.now(UTC),
        )
    except MalformedRequest:
        reply = Reply(400, {"error": "malformed_request"}, "rejected", "malformed_request")
    else:
        reply = within_budget(request, started)
    latency_ms = (time.perf_counter() - started) * 1000
    log_decision(reply, latency_ms, started)
    record(reply, tenant_id=tenant_id, widget_id=widget_id, latency_ms=latency_ms)
    return Response(status_code=reply.status, content_type="application/json", body=json.dumps(reply.body))


def _answer(request: service.WebhookRequest) -> Reply:
    settings = get_settings()
    return service.answer(
        request,
        store=get_store(),
        secrets=get_secrets(),
        max_body_bytes=settings.MAX_BODY_BYTES,
        max_prompt_chars=settings.MAX_PROMPT_CHARS,
        outcomes=get_call_log,  # called only for outcome events
    )


def log_decision(reply: Reply, latency_ms: float, started: float) -> None:
    """After the answer is decided: one write on the pool, waited for at most DECISION_LOG_TIMEOUT_MS and
    never past BUDGET_MS (an unfinished write completes on its worker). Nothing here can change the
    answer: every failure is logged and counted, never raised."""
    if reply.decision is None or reply.facts is None:
        return
    decision, facts = reply.decision, reply.facts

    def write() -> None:
        log = get_call_log()
        if log is not None:
            log.record_decision(facts, decision, latency_ms)

    try:
        settings = get_settings()
        remaining_s = settings.BUDGET_MS / 1000 - (time.perf_counter() - started)
        wait_s = max(0.0, min(settings.DECISION_LOG_TIMEOUT_MS / 1000, remaining_s))
        get_pool().submit(write).result(timeout=wait_s)
    except FutureTimeout:
        logger.warning("decision log write timed out", extra={"call_id": reply.call_id})
        metrics.add_metric(name="DecisionLogTimedOut", unit=MetricUnit.Count, value=1)
    except Exception:
        logger.exception("decision log write failed")


def within_budget(request: service.WebhookRequest, started: float) -> Reply:
    try:
        budget_s = get_settings().BUDGET_MS / 1000
        future = get_pool().submit(_answer, request)
        return future.result(timeout=max(0.0, budget_s - (time.perf_counter() - started)))
    except FutureTimeout:
        return service.fallback("budget_exceeded")
    except Exception:
        logger.exception("webhook answer failed")
        return service.fallback("internal_error")


def record(reply: Reply, *, tenant_id: str | None, widget_id: str | None, latency_ms: float) -> None:
    """One log line and the metrics for every answer; prompts never, phone numbers masked."""
    decision = reply.decision
    if reply.call_id is not None:
        logger.set_correlation_id(str(reply.call_id))
    fields: dict[str, Any] = {
        "outcome": reply.outcome,
        "reason": reply.reason,
        "status": reply.status,
        "tenant_id": decision.tenant_id if decision else tenant_id,
        "widget_id": widget_id,
        "call_id": reply.call_id,
        "latency_ms": round(latency_ms, 1),
    }
    if decision is not None:
        fields |= {
            "rule_id": decision.rule_id,
            "variant": decision.variant,
            "profile_id": decision.profile_id,
            "profile_version": decision.profile_version,
            "customer_known": decision.customer_known,
            "caller": mask_number(decision.variables.get("call", {}).get("from_number")),
        }
        if decision.missing_variables:
            fields["missing_variables"] = list(decision.missing_variables)
    if decision is not None and decision.problems:
        logger.warning("webhook answered with problems", extra={**fields, "problems": list(decision.problems)})
    else:
        logger.info("webhook answered", extra=fields)

    metrics.add_metric(name="WebhookRequests", unit=MetricUnit.Count, value=1)
    with single_metric(
        name="TenantAnswers", unit=MetricUnit.Count, value=1, default_dimensions=metrics.default_dimensions
    ) as metric:
        metric.add_dimension(name="tenant", value=tenant_dimension(fields["tenant_id"], get_metric_tenants()))
        metric.add_dimension(name="outcome", value=reply.outcome)
    metrics.add_metric(name="AnswerLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
    if reply.outcome == "config":
        metrics.add_metric(name="ConfigServed", unit=MetricUnit.Count, value=1)
    elif reply.outcome == "fallback":
        metrics.add_metric(name="Fallback", unit=MetricUnit.Count, value=1)
        with single_metric(
            name="FallbackByReason", unit=MetricUnit.Count, value=1, default_dimensions=metrics.default_dimensions
        ) as metric:
            metric.add_dimension(name="reason", value=str(reply.reason))
        if reply.reason == "invalid_item":
            metrics.add_metric(name="InvalidItem", unit=MetricUnit.Count, value=1)
    elif reply.reason == "bad_signature":
        metrics.add_metric(name="SignatureRejected", unit=MetricUnit.Count, value=1)


@app.not_found
def not_found(error: Exception) -> Response[str]:
    return Response(status_code=404, content_type="application/json", body='{"error":"not_found"}')


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(error: Exception) -> Response[str]:
    logger.exception("unexpected webhook error")
    return Response(status_code=200, content_type="application/json", body="{}")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not isinstance(event, dict) or "requestContext" not in event:
        logger.warning("not an API Gateway event")
        return {"statusCode": 400, "headers": {"Content-Type": "application/json"}, "body": '{"error":"bad_event"}'}
    return app.resolve(event, context)
